"""Benchmark the EXPLAIN analyzer: a 10,000-node plan as FORMAT JSON and as TEXT.

JSON: parse + analyze time against ``json.loads`` of the same document (goal: within 3x).
TEXT: parse + analyze throughput in MB/s (goal: at least 20 MB/s).
The plan is synthetic but shaped like real ones (joins over scans with filters, sorts and hashes,
buffers and timings on every node), generated with a fixed seed so every run measures the same input.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import best_of_each  # noqa: E402  (bench/ is the script directory)

from tools.explain import analyze, parse_plan  # noqa: E402

NODES = 10_000
REPEAT = 9


def synthetic_plan(nodes: int, seed: int = 0) -> dict:
    """A FORMAT JSON plan with ``nodes`` nodes: an Append of join trees over scans."""
    rng = random.Random(seed)
    counter = [0]

    def timing(rows: int) -> dict:
        start = rng.uniform(0, 5)
        return {"Actual Startup Time": round(start, 3), "Actual Total Time": round(start + rng.uniform(0, 50), 3),
                "Actual Rows": rows, "Actual Loops": 1}

    def buffers() -> dict:
        out = {f"{s} {f} Blocks": 0 for s in ("Shared", "Local") for f in ("Hit", "Read", "Dirtied", "Written")}
        out.update({"Temp Read Blocks": 0, "Temp Written Blocks": 0, "Shared Hit Blocks": rng.randint(0, 10_000),
                    "Shared Read Blocks": rng.randint(0, 500)})
        return out

    def base(node_type: str, rows: int) -> dict:
        counter[0] += 1
        return {"Node Type": node_type, "Parent Relationship": "Outer", "Parallel Aware": False,
                "Async Capable": False, "Startup Cost": round(rng.uniform(0, 100), 2),
                "Total Cost": round(rng.uniform(100, 10_000), 2), "Plan Rows": rows, "Plan Width": rng.randint(4, 200),
                **timing(rows), **buffers()}

    def scan() -> dict:
        rows = rng.randint(1, 100_000)
        if rng.random() < 0.5:
            node = base("Seq Scan", rows)
            node.update({"Relation Name": f"table_{counter[0]}", "Alias": f"t{counter[0]}",
                         "Filter": f"((status = 'open'::text) AND (amount > {rng.randint(1, 999)}))",
                         "Rows Removed by Filter": rng.randint(0, 100_000)})
        else:
            node = base("Index Scan", rows)
            node.update({"Scan Direction": "Forward", "Index Name": f"idx_{counter[0]}",
                         "Relation Name": f"table_{counter[0]}", "Alias": f"t{counter[0]}",
                         "Index Cond": f"(id = t{counter[0] - 1}.ref_id)", "Rows Removed by Index Recheck": 0})
        return node

    def subtree(budget: int) -> dict:
        if budget <= 1:
            return scan()
        if budget == 2:
            node = base("Sort", rng.randint(1, 100_000))
            node.update({"Sort Key": ["t.created_at DESC", "t.id"], "Sort Method": "quicksort",
                         "Sort Space Used": rng.randint(25, 5000), "Sort Space Type": "Memory",
                         "Plans": [scan()]})
            return node
        node = base("Hash Join", rng.randint(1, 100_000))
        node.update({"Join Type": "Inner", "Inner Unique": False, "Hash Cond": "(a.id = b.a_id)"})
        hash_node = base("Hash", rng.randint(1, 100_000))
        hash_node.update({"Parent Relationship": "Inner", "Hash Buckets": 1024, "Original Hash Buckets": 1024,
                          "Hash Batches": 1, "Original Hash Batches": 1, "Peak Memory Usage": 120})
        left = (budget - 2) // 2
        hash_node["Plans"] = [subtree(budget - 2 - left)]
        node["Plans"] = [subtree(left), hash_node]
        return node

    root = base("Append", 1)
    root["Plans"] = []
    while counter[0] < nodes:
        root["Plans"].append(subtree(min(50, nodes - counter[0])))
    return [{"Plan": root, "Planning Time": 12.5, "Triggers": [], "Execution Time": 1234.5}]


def to_text(document: list) -> str:
    """The same plan in EXPLAIN's TEXT layout (what psql prints)."""
    lines: list[str] = []

    def emit(node: dict, depth: int) -> None:
        pad = " " * (depth * 6)
        name = node["Node Type"]
        if "Index Name" in node:
            name += f" using {node['Index Name']} on {node['Relation Name']} {node['Alias']}"
        elif "Relation Name" in node:
            name += f" on {node['Relation Name']} {node['Alias']}"
        head = (f"{name}  (cost={node['Startup Cost']:.2f}..{node['Total Cost']:.2f} rows={node['Plan Rows']} "
                f"width={node['Plan Width']}) (actual time={node['Actual Startup Time']:.3f}.."
                f"{node['Actual Total Time']:.3f} rows={node['Actual Rows']} loops={node['Actual Loops']})")
        lines.append(f"{pad[:-4]}->  {head}" if depth else head)
        prop = pad + "  "
        for key in ("Hash Cond", "Index Cond", "Filter"):
            if key in node:
                lines.append(f"{prop}{key}: {node[key]}")
        if node.get("Rows Removed by Filter"):
            lines.append(f"{prop}Rows Removed by Filter: {node['Rows Removed by Filter']}")
        if "Sort Key" in node:
            lines.append(f"{prop}Sort Key: {', '.join(node['Sort Key'])}")
            lines.append(f"{prop}Sort Method: {node['Sort Method']}  Memory: {node['Sort Space Used']}kB")
        if node["Node Type"] == "Hash":
            lines.append(f"{prop}Buckets: {node['Hash Buckets']}  Batches: {node['Hash Batches']}  "
                         f"Memory Usage: {node['Peak Memory Usage']}kB")
        lines.append(f"{prop}Buffers: shared hit={node['Shared Hit Blocks']} read={node['Shared Read Blocks']}")
        for child in node.get("Plans", []):
            emit(child, depth + 1)

    emit(document[0]["Plan"], 0)
    lines += ["Planning Time: 12.500 ms", "Execution Time: 1234.500 ms"]
    return "\n".join(lines) + "\n"


def main() -> None:
    document = synthetic_plan(NODES)
    json_text = json.dumps(document, indent=2)
    text = to_text(document)
    nodes = parse_plan(json_text).stats.nodes
    assert nodes == parse_plan(text).stats.nodes, "TEXT and JSON renderings must give the same tree"

    loads, json_full, text_full = best_of_each(
        [lambda: json.loads(json_text), lambda: analyze(parse_plan(json_text)), lambda: analyze(parse_plan(text))],
        REPEAT)
    text_mb = len(text.encode()) / 2**20
    json_mb = len(json_text.encode()) / 2**20

    print("<!-- bench_explain -->")
    print("## EXPLAIN analyzer: parse + analyze a 10,000-node plan")
    print()
    print(f"Synthetic plan, {nodes:,} nodes; best CPU time (`time.process_time`) of {REPEAT} runs, the three "
          "measurements taking turns.")
    print()
    print("| input | size | time | result | goal |")
    print("|---|---:|---:|---:|---|")
    print(f"| FORMAT JSON, `json.loads` only | {json_mb:.1f} MB | {loads * 1000:.1f} ms | 1.00x | baseline |")
    print(f"| FORMAT JSON, parse + analyze | {json_mb:.1f} MB | {json_full * 1000:.1f} ms | "
          f"{json_full / loads:.2f}x json.loads | ≤ 3x |")
    print(f"| TEXT, parse + analyze | {text_mb:.1f} MB | {text_full * 1000:.1f} ms | "
          f"{text_mb / text_full:.1f} MB/s | ≥ 20 MB/s |")
    print()
    print(f"Across machines, compare this instead of MB/s: TEXT parse + analyze takes {text_full / loads:.2f}x "
          f"the time `json.loads` takes for the same plan as JSON ({json_mb / text_mb:.0f}x the bytes).")
    print()
    print("Reproduce: `.venv/bin/python bench/bench_explain.py`")


if __name__ == "__main__":
    main()
