"""The review bot judged on real applications: per-rule precision at warning and above, false errors, recall.

The corpus is tests/data/review_corpus/ (see its README): public Python web applications, each
reviewed as a whole-repository diff at a pinned commit and over real commits (`git diff C^...C`, what
`lmagent review --base C^ --head C` reviews), every finding labelled by hand with a reason:

    owner/repo@commit:path:line RULE true: why an expert wants this finding at warning or above
    owner/repo@commit:path:line RULE false: why it is noise (or a false error)

The recall set (recall.txt) holds true problems the review should report at warning or above: historical
ones (the code before a real performance fix, reviewed as the whole file at the fix's parent) and
planted ones (planted.toml: a few lines of ours inserted into a real file, reviewed as that change).

The applications are not committed: the bench reads them from the snapshots `fetch` leaves under
/work/.mirror/<owner>+<name>/repo (or $LMAGENT_REVIEW_CORPUS) and says which are absent.

Usage: python bench/bench_review_judgement.py [--list] [--unjudged] [--app NAME ...]
  --list       every scored finding (warning and above) with its label, and every miss
  --unjudged   every finding without a label, at any severity (what still needs judging)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.review import GitSource, git_range  # noqa: E402
from tools.codecheck import run_codecheck  # noqa: E402
from tools.codecheck.config import ReviewConfig  # noqa: E402
from tools.codecheck.diff import FileDiff  # noqa: E402
from tools.codecheck.project import Project  # noqa: E402
from tools.findings import Finding  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "review_corpus"
MIRRORS = Path(os.environ.get("LMAGENT_REVIEW_CORPUS", "/work/.mirror"))
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SCORED = ("warning", "error")
_LABEL = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{7,40}):(?P<path>.+):(?P<line>\d+)\s+"
                    r"(?P<rule>[A-Z]+\d{3})\s+(?P<verdict>true|false|historical|planted)(?:\((?P<fix>[0-9a-f]+)\))?"
                    r"\s*:\s*(?P<reason>.+)$")


@dataclass(frozen=True)
class Key:
    repo: str
    commit: str
    path: str
    line: int
    rule: str


@dataclass
class Label:
    key: Key
    verdict: str  # true, false (labels); historical, planted (recall set: all true)
    reason: str
    fix: str | None = None


@dataclass
class Scored:
    finding: Finding
    key: Key
    source: str  # "tree", "commit C", "recall"
    label: Label | None


@dataclass
class App:
    name: str
    repo: str
    commit: str
    commits: list[str]
    kind: str = ""
    mirror: Path | None = None
    findings: list[Scored] = field(default_factory=list)


def load_apps() -> list[App]:
    raw = tomllib.loads((CORPUS / "apps.toml").read_text())["app"]
    apps = []
    for a in raw:
        app = App(a["name"], a["repo"], a["commit"], a.get("commits", []), a.get("kind", ""))
        mirror = MIRRORS / app.repo.replace("/", "+") / "repo"
        app.mirror = mirror if mirror.is_dir() else None
        apps.append(app)
    return apps


def load_labels() -> dict[Key, Label]:
    labels: dict[Key, Label] = {}
    for path in sorted((CORPUS / "labels").glob("*.txt")) + [CORPUS / "recall.txt"]:
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = _LABEL.match(line)
            if m is None:
                raise SystemExit(f"{path}:{n}: not a label")
            key = Key(m["repo"], m["commit"], m["path"], int(m["line"]), m["rule"])
            if key in labels:
                raise SystemExit(f"{path}:{n}: labelled twice")
            labels[key] = Label(key, m["verdict"], m["reason"], m["fix"])
    return labels


def _git(mirror: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=mirror, capture_output=True, check=check)
    return proc.stdout.decode("utf-8", "replace")


def absent_blobs(mirror: Path, commit: str) -> tuple[str, ...]:
    """Pathspecs excluding files the snapshot does not hold (fetch leaves out files of 4 MiB and more)."""
    tree = [line.split(None, 3) for line in _git(mirror, "ls-tree", "-r", commit).splitlines()]
    check = subprocess.run(["git", "cat-file", "--batch-check"], cwd=mirror, capture_output=True, text=True,
                           input="".join(t[2] + "\n" for t in tree)).stdout
    missing = {line.split()[0] for line in check.splitlines() if line.endswith(" missing")}
    return tuple(f":(exclude,literal){t[3]}" for t in tree if t[2] in missing)


def review_range(mirror: Path, spec: str, head: str) -> list[Finding]:
    """What `lmagent review --base` finds (default configuration), through the same git plumbing."""
    text, diffs, files = git_range(mirror, spec, head, absent_blobs(mirror, head))
    return run_codecheck(diffs, files, ReviewConfig(), Project(GitSource(mirror, head))).findings


def review_file(mirror: Path, commit: str, path: str) -> list[Finding]:
    """One file at a commit reviewed as if every line were added (a historical recall item)."""
    text = _git(mirror, "show", f"{commit}:{path}")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    numbered = {i + 1: line for i, line in enumerate(lines)}
    fd = FileDiff(path=path, status="added", added=numbered, new_side=numbered, hunks=[(1, len(lines))])
    return run_codecheck([fd], {path: text}, ReviewConfig(), Project(GitSource(mirror, commit))).findings


def review_planted(mirror: Path, commit: str, plant: dict) -> tuple[list[Finding], int]:
    """A real file with our lines inserted after line ``after``: only the inserted lines are the change.
    Returns the findings and the file line of the line holding ``flag``."""
    text = _git(mirror, "show", f"{commit}:{plant['path']}")
    lines = text.split("\n")
    trailing = lines[-1] == ""
    if trailing:
        lines.pop()
    inserted = plant["code"].strip("\n").split("\n")
    if plant["code"].startswith("\n\n"):  # a new top-level definition: two blank lines before it
        inserted = ["", ""] + inserted
    after = len(lines) if plant["after"] == "end" else plant["after"]
    new = lines[:after] + inserted + lines[after:]
    added = {after + i + 1: t for i, t in enumerate(inserted) if t.strip()}
    numbered = {i + 1: t for i, t in enumerate(new)}
    flagged = next(n for n, t in added.items() if plant["flag"] in t)
    fd = FileDiff(path=plant["path"], status="modified", added=added, new_side=numbered,
                  hunks=[(after + 1, after + len(inserted))])
    content = "\n".join(new) + ("\n" if trailing else "")
    project = Project(GitSource(mirror, commit))
    return run_codecheck([fd], {plant["path"]: content}, ReviewConfig(), project).findings, flagged


def key_of(app: App, commit: str, f: Finding) -> Key:
    return Key(app.repo, commit, f.location.path or "", f.location.line or 0, f.code)


def lookup(labels: dict[Key, Label], key: Key) -> Label | None:
    label = labels.get(key)
    if label is None:  # labels may abbreviate the commit
        for k, v in labels.items():
            if (k.repo, k.path, k.line, k.rule) == (key.repo, key.path, key.line, key.rule) \
                    and key.commit.startswith(k.commit):
                return v
    return label


def run(apps: list[App], labels: dict[Key, Label]) -> tuple[list[Scored], list[tuple[Label, bool]], dict]:
    """Every finding of every review, the recall set with found/missed, and timings."""
    scored: list[Scored] = []
    recall: list[tuple[Label, bool]] = []
    timings: dict[str, float] = {}
    planted = tomllib.loads((CORPUS / "planted.toml").read_text()).get("plant", []) \
        if (CORPUS / "planted.toml").exists() else []
    for app in apps:
        if app.mirror is None:
            continue
        start = time.perf_counter()
        for f in review_range(app.mirror, f"{EMPTY_TREE} {app.commit}", app.commit):
            scored.append(Scored(f, key := key_of(app, app.commit, f), "tree", lookup(labels, key)))
        for commit in app.commits:
            for f in review_range(app.mirror, f"{commit}^...{commit}", commit):
                scored.append(Scored(f, key := key_of(app, commit, f), f"commit {commit[:10]}", lookup(labels, key)))
        # Historical recall items: the file at the commit before the fix, as new code.
        items = [lb for lb in labels.values() if lb.verdict == "historical" and lb.key.repo == app.repo]
        for commit, path in sorted({(lb.key.commit, lb.key.path) for lb in items}):
            findings = review_file(app.mirror, commit, path)
            for f in findings:
                key = key_of(app, commit, f)
                scored.append(Scored(f, key, "recall", lookup(labels, key)))
            hits = {(f.location.line, f.code) for f in findings if f.severity in SCORED}
            for lb in items:
                if (lb.key.commit, lb.key.path) == (commit, path):
                    recall.append((lb, (lb.key.line, lb.key.rule) in hits))
        for plant in planted:
            if plant["app"] != app.name:
                continue
            findings, line = review_planted(app.mirror, app.commit, plant)
            label = Label(Key(app.repo, app.commit, plant["path"], line, plant["rule"]), "planted", plant["reason"])
            for f in findings:
                key = key_of(app, app.commit, f)
                scored.append(Scored(f, key, "planted", label if key == label.key else lookup(labels, key)))
            recall.append((label, any(f.location.line == line and f.code == plant["rule"]
                                      and f.severity in SCORED for f in findings)))
        timings[app.name] = time.perf_counter() - start
    return scored, recall, timings


def verdict(s: Scored) -> str:
    if s.label is None:
        return "unjudged"
    return "fp" if s.label.verdict == "false" else "tp"


def table(scored: list[Scored]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for s in scored:
        c = out.setdefault(s.finding.code, Counter())
        c[f"all_{s.finding.severity}"] += 1
        if s.finding.severity in SCORED:
            c[verdict(s)] += 1
            if s.finding.severity == "error" and verdict(s) == "fp":
                c["false_error"] += 1
    return dict(sorted(out.items()))


def precision(c: Counter) -> str:
    judged = c["tp"] + c["fp"]
    return f"{c['tp'] / judged:.2f}" if judged else "—"


def main(argv: list[str]) -> int:
    apps = load_apps()
    if "--app" in argv:
        wanted = set(argv[argv.index("--app") + 1:])
        apps = [a for a in apps if a.name in wanted]
    labels = load_labels()
    scored, recall, timings = run(apps, labels)
    if "--unjudged" in argv:
        for s in scored:
            if s.label is None:
                k = s.key
                print(f"{k.repo}@{k.commit}:{k.path}:{k.line} {k.rule} ?: [{s.finding.severity}, {s.source}] "
                      f"{s.finding.message}")
        return 0
    if "--list" in argv:
        for s in scored:
            if s.finding.severity in SCORED:
                k = s.key
                print(f"{verdict(s):8} {s.finding.severity:7} {k.repo}@{k.commit[:10]}:{k.path}:{k.line} {k.rule} "
                      f"{s.finding.message}{(' — ' + s.label.reason) if s.label else ''}")
        for label, found in recall:
            if not found:
                k = label.key
                print(f"miss     {k.repo}@{k.commit[:10]}:{k.path}:{k.line} {k.rule} — {label.reason}")
        return 0
    present = [a for a in apps if a.mirror is not None]
    absent = [a for a in apps if a.mirror is None]
    rules = table(scored)
    total = Counter()
    for c in rules.values():
        total.update(c)
    print("<!-- bench_review_judgement -->")
    print("## Review bot judged on real applications (precision at warning and above)\n")
    print(f"Corpus: tests/data/review_corpus/ — {len(present)} of {len(apps)} applications present "
          f"({', '.join(a.name for a in present) or 'none'}), each reviewed as a whole-repository diff and "
          f"over {sum(len(a.commits) for a in present)} real commits; every finding labelled by hand with "
          "a reason. Info findings are listed, not scored.")
    if absent:
        print(f"\n**Absent** (no snapshot under {MIRRORS}; fetch them to score them): "
              f"{', '.join(f'{a.name} ({a.repo})' for a in absent)}.")
    print("\n| rule | error | warning | info | true (warning+) | false | unjudged | precision | false errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for code, c in rules.items():
        print(f"| {code} | {c['all_error']} | {c['all_warning']} | {c['all_info']} | {c['tp']} | {c['fp']} | "
              f"{c['unjudged']} | {precision(c)} | {c['false_error']} |")
    print(f"| all | {total['all_error']} | {total['all_warning']} | {total['all_info']} | {total['tp']} | "
          f"{total['fp']} | {total['unjudged']} | {precision(total)} | {total['false_error']} |")
    print("\nBefore issue 18's work (commit 92efbaa, same corpus and labels): PERF101 0.10 (21 true, 188 false, all "
          "errors), PERF190 0.01 (9 true, 1,054 false errors), PERF105 0.17, PERF106 0.03, PERF107 0.14, SQL006/SQL007 "
          "17 false errors in migrations; all rules 0.06 with 1,259 false errors; recall 13/30.")
    found = sum(1 for _, hit in recall if hit)
    by_rule: dict[str, Counter] = {}
    for label, hit in recall:
        by_rule.setdefault(label.key.rule, Counter())["found" if hit else "missed"] += 1
        by_rule[label.key.rule][label.verdict] += 1
    print(f"\nRecall on the labelled true problems (historical: the code before a real fix; planted): "
          f"**{found}/{len(recall)}**" + (f" ({found / len(recall):.2f})" if recall else ""))
    if by_rule:
        print("\n| rule | historical | planted | found at warning+ | missed |")
        print("|---|---:|---:|---:|---:|")
        for code, c in sorted(by_rule.items()):
            print(f"| {code} | {c['historical']} | {c['planted']} | {c['found']} | {c['missed']} |")
    print("\nTime per application (whole tree, commits, recall items): "
          + ", ".join(f"{name} {t:.1f} s" for name, t in timings.items()))
    print("\nReproduce: `.venv/bin/python bench/bench_review_judgement.py` (`--list` prints every scored finding "
          "with its label; `--unjudged` what still needs a label)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
