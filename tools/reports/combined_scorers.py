#!/usr/bin/env python3
"""Weighted Best-of-N with two verifiers at once, replayed offline on two `banyan eval` runs of the same samples.

    python3 tools/reports/combined_scorers.py A.jsonl B.jsonl [--rule weighted]

A and B must be Best-of-N runs with the same seed, N and temperature on the same problems (so their samples,
hence answers, agree sample for sample; the script checks it). Each sample's combined score is the product
of its two scores (independent probabilities of being right); the pick is the usual weighted one (largest
score sum per answer, ties by votes, then first seen), as tools/reports/selection_sim.py mirrors it from the Swift
code. Prints accuracy of each side's own weighted pick, of the combined pick and of the vote, and the paired
differences with 95% intervals.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import selection_sim as sim  # noqa: E402


def load(path):
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in (json.loads(line) for line in f if line.strip())}


def paired(a, b):
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    m = sum(d) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
    return 100 * m, 100 * 1.959964 * sd / math.sqrt(n)


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    ids = [i for i in a if i in b]
    mismatched = [i for i in ids if a[i]["answers"] != b[i]["answers"]]
    if mismatched:
        raise SystemExit(f"{len(mismatched)} problems have different samples in the two runs (first: {mismatched[0]})")
    rows = {"A weighted": [], "B weighted": [], "A x B weighted": [], "majority": []}
    for i in ids:
        ra, rb = a[i], b[i]
        answers, expected = ra["answers"], ra["expected"]
        product = [x * y for x, y in zip(ra["scores"], rb["scores"])]
        rows["A weighted"].append(int(sim.right(sim.pick("weighted", answers, ra["scores"]), expected)))
        rows["B weighted"].append(int(sim.right(sim.pick("weighted", answers, rb["scores"]), expected)))
        rows["A x B weighted"].append(int(sim.right(sim.pick("weighted", answers, product), expected)))
        rows["majority"].append(int(sim.right(sim.pick("majority", answers, ra["scores"]), expected)))
    n = len(ids)
    print(f"A = {sys.argv[1]}\nB = {sys.argv[2]}\n{n} problems, identical samples")
    for name, hits in rows.items():
        print(f"  {name:16s} {100 * sum(hits) / n:5.1f}%")
    for name in ["A weighted", "B weighted", "A x B weighted"]:
        m, h = paired(rows[name], rows["majority"])
        print(f"  {name} - majority: {m:+.1f} [{m - h:+.1f}, {m + h:+.1f}]")
    for name in ["A weighted", "B weighted"]:
        m, h = paired(rows["A x B weighted"], rows[name])
        print(f"  A x B - {name}: {m:+.1f} [{m - h:+.1f}, {m + h:+.1f}]")


if __name__ == "__main__":
    main()
