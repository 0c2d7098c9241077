#!/usr/bin/env python3
"""Compares two `banyan eval --out` files problem for problem (the problems of the first file).

    python3 tools/dev/compare_eval_runs.py NEW.jsonl OLD.jsonl

Prints how many records are identical in every field a run decides (answers, scores, every rule's
correctness at every budget, coverage, strategy, tokens decoded, forward steps; and picks when both
files have them) and each rule's accuracy at the run's budget in both. Exits 1 when any record differs.
Used to show that a refactor changed no search result (experiments/*/runs hold reference runs).
"""
import json
import sys

FIELDS = ["answers", "scores", "correct", "coverage", "strategy", "tokensDecoded", "forwardSteps", "picks"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def right(record, rule):
    byBudget = record["correct"].get(rule, {})
    return bool(byBudget) and byBudget[max(byBudget, key=int)]


def main(new_path, old_path):
    new = load(new_path)
    old = {r["id"]: r for r in load(old_path)}
    missing = [r["id"] for r in new if r["id"] not in old]
    if missing:
        sys.exit(f"{old_path} lacks {len(missing)} of the problems, e.g. {missing[:3]}")
    differing = []
    for r in new:
        o = old[r["id"]]
        fields = [k for k in FIELDS if (k in r and k in o) and r[k] != o[k]]
        if fields:
            differing.append((r["id"], fields))
    print(f"{len(new)} problems: {len(new) - len(differing)} identical, {len(differing)} differing {differing[:5]}")
    for rule in ["weighted", "majority", "vanilla"]:
        print(f"  {rule}: {sum(right(r, rule) for r in new)} right now, {sum(right(old[r['id']], rule) for r in new)} before")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
