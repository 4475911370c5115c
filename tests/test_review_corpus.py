"""The review corpus (tests/data/review_corpus/) stays well formed: every label parses, names a known
application and rule, gives a reason, and is given once; every planted problem names its line. The
scores themselves are bench/bench_review_judgement.py's (it needs the applications' snapshots)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_review_judgement as bench  # noqa: E402

from tools import catalogue  # noqa: E402


def test_every_label_parses_and_names_a_known_app_and_rule():
    apps = {a.repo for a in bench.load_apps()}
    labels = bench.load_labels()  # raises on a malformed or duplicated line
    assert len(labels) > 1000
    for label in labels.values():
        assert label.key.repo in apps, label
        assert catalogue.get(label.key.rule) is not None, label
        assert len(label.reason) > 15, label
        assert len(label.key.commit) == 40, label


def test_recall_items_say_which_commit_fixed_or_showed_them():
    recall = [lb for lb in bench.load_labels().values() if lb.verdict == "historical"]
    assert len(recall) >= 5
    assert all(lb.fix for lb in recall)


def test_planted_problems_name_a_rule_and_a_line_of_their_code():
    apps = {a.name for a in bench.load_apps()}
    planted = tomllib.loads((bench.CORPUS / "planted.toml").read_text())["plant"]
    assert len(planted) >= 15
    for plant in planted:
        assert plant["app"] in apps
        assert catalogue.get(plant["rule"]) is not None
        assert sum(plant["flag"] in line for line in plant["code"].split("\n")) == 1, plant["flag"]
        assert plant["reason"]
