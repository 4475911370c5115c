"""Benchmark the threshold checker: statistics over 1M latency samples and the free-text parser.

- percentiles (nearest-rank p50/p90/p95/p99) + mean/max + Apdex over 1,000,000 samples held in memory;
- the same samples read from a plain sample file (one "123.456ms" a line), parse included;
- chat messages through extract_metrics (Spanish and English, with and without metrics).
Samples are log-normal (a latency-shaped tail) from a fixed seed, so every run measures the same input.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import best_of  # noqa: E402  (bench/ is the script directory)

from tools.metrics_files import read_metrics_file, sample_measurements  # noqa: E402
from tools.metrics_text import extract_metrics  # noqa: E402

SAMPLES = 1_000_000
REPEAT = 3
MESSAGES = [
    "El P95 de /checkout pasó de 300 ms a 1,8 segundos y la tasa de error del 2 % no baja.",
    "p99 went from 300ms to 2s after the deploy; error rate 2%, Apdex 0.72.",
    "LCP 4.2s, INP 350 ms, CLS 0.12 and TTFB 900 ms on the product page",
    "¿Por qué va lento el endpoint de usuarios desde ayer por la tarde?",
    "Can you review this pull request before lunch? Nothing urgent.",
]


def main() -> None:
    rng = random.Random(42)
    samples = [rng.lognormvariate(4.5, 0.7) for _ in range(SAMPLES)]
    stats_s = best_of(lambda: sample_measurements(samples, None, source="bench", apdex_t_ms=300,
                                                  method="nearest-rank"), REPEAT)
    text = "# unit: ms\n" + "\n".join(f"{v:.3f}" for v in samples) + "\n"
    file_s = best_of(lambda: read_metrics_file("bench.txt", text, apdex_t_ms=300), repeat=2)
    rounds = 2_000
    corpus = MESSAGES * (rounds // len(MESSAGES))
    text_s = best_of(lambda: [extract_metrics(m) for m in corpus], REPEAT)
    found = sum(len(extract_metrics(m)) for m in MESSAGES)

    print("<!-- bench_thresholds -->")
    print("## Threshold checker: sample statistics and free-text metrics")
    print()
    print("| workload | size | best CPU time | rate |")
    print("|---|---|---|---|")
    print(f"| p50/p90/p95/p99 (nearest-rank) + mean + max + Apdex, in memory | {SAMPLES:,} samples "
          f"| {stats_s * 1000:.0f} ms | {SAMPLES / stats_s / 1e6:.2f} M samples/s |")
    print(f"| same, read from a sample file (parse + statistics + histogram) | {SAMPLES:,} lines, "
          f"{len(text) / 1e6:.1f} MB | {file_s * 1000:.0f} ms | {SAMPLES / file_s / 1e6:.2f} M samples/s |")
    print(f"| extract_metrics on chat messages (ES/EN, {found} metrics in {len(MESSAGES)} messages) "
          f"| {len(corpus):,} messages | {text_s * 1000:.0f} ms | {len(corpus) / text_s:,.0f} messages/s |")
    print()
    print(f"Best of {REPEAT} (file: 2) runs, CPU time of one thread; log-normal samples, fixed seed.")
    print()
    print("```")
    print(".venv/bin/python bench/bench_thresholds.py")
    print("```")


if __name__ == "__main__":
    main()
