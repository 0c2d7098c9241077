#!/usr/bin/env python3
"""Paired comparison of two methods on the same problems, from `banyan eval --out` files.

    python3 tools/reports/paired_compare.py A.jsonl:RULE[@K] B.jsonl:RULE[@K] [--json]

Each side is a results file, the selection rule whose pick counts (majority, weighted, vanilla) and the
budget K (default: the run's whole budget). Only problems present in both files are compared. Prints
each side's accuracy with a 95% Wilson interval, the paired difference A - B with a 95% interval
(normal approximation on the per-problem differences, which is what pairing buys: both methods face the
same problems), the discordant counts, and decoded tokens per problem on each side with their ratio
(tokens for a sub-budget K of a Best-of-N run are counted as K/N of the run's: its samples are
independent and equally long in expectation).
"""
import json
import math
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in (json.loads(line) for line in f if line.strip())}


def side(spec):
    path, _, rest = spec.rpartition(":")
    rule, _, k = rest.partition("@")
    return path, rule, (int(k) if k else None)


def right(record, rule, k):
    by_budget = record["correct"].get(rule, {})
    if not by_budget:
        return False
    key = str(k) if k is not None else max(by_budget, key=int)
    if key not in by_budget:
        raise SystemExit(f"{record['id']}: no pick of {rule} at budget {key} (budgets: {sorted(by_budget, key=int)})")
    return bool(by_budget[key])


def tokens(record, k):
    budgets = [int(b) for v in record["correct"].values() for b in v]  # none when no sample had an answer
    n = max(budgets) if budgets else len(record["answers"])
    share = 1.0 if k is None or record["strategy"] != "best-of-n" else min(1.0, k / n)
    return record["tokensDecoded"] * share


def wilson(hits, n, z=1.959964):
    if n == 0:
        return (0.0, 0.0)
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt((p * (1 - p) + z * z / (4 * n)) / n)
    return ((centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n))


def compare(a_spec, b_spec):
    (pa, ra, ka), (pb, rb, kb) = side(a_spec), side(b_spec)
    a, b = load(pa), load(pb)
    ids = [i for i in a if i in b]
    if not ids:
        raise SystemExit("no problem is in both files")
    xa = [right(a[i], ra, ka) for i in ids]
    xb = [right(b[i], rb, kb) for i in ids]
    n = len(ids)
    d = [int(x) - int(y) for x, y in zip(xa, xb)]
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1) if n > 1 else 0.0
    half = 1.959964 * math.sqrt(var / n)
    ta = sum(tokens(a[i], ka) for i in ids) / n
    tb = sum(tokens(b[i], kb) for i in ids) / n
    samples_a = sum(len(a[i]["answers"]) for i in ids) / n
    samples_b = sum(len(b[i]["answers"]) for i in ids) / n
    return {
        "problems": n,
        "a": {"spec": a_spec, "accuracy": sum(xa) / n, "interval": wilson(sum(xa), n), "tokens_decoded": ta, "samples": samples_a},
        "b": {"spec": b_spec, "accuracy": sum(xb) / n, "interval": wilson(sum(xb), n), "tokens_decoded": tb, "samples": samples_b},
        "difference": mean, "difference_interval": (mean - half, mean + half),
        "only_a_right": sum(1 for x in d if x > 0), "only_b_right": sum(1 for x in d if x < 0),
        "token_ratio": ta / tb if tb else float("nan"),
    }


def main(argv):
    as_json = "--json" in argv
    args = [x for x in argv if x != "--json"]
    if len(args) != 2:
        raise SystemExit(__doc__)
    r = compare(args[0], args[1])
    if as_json:
        print(json.dumps(r))
        return
    for key in ("a", "b"):
        s = r[key]
        lo, hi = s["interval"]
        print(f"{key.upper()} {s['spec']}: {100 * s['accuracy']:.1f}% [{100 * lo:.1f}-{100 * hi:.1f}], "
              f"{s['tokens_decoded']:.0f} tokens decoded per problem, {s['samples']:.1f} samples")
    lo, hi = r["difference_interval"]
    print(f"A - B on {r['problems']} problems: {100 * r['difference']:+.1f} points [{100 * lo:+.1f}, {100 * hi:+.1f}] (95%, paired); "
          f"only A right {r['only_a_right']}, only B right {r['only_b_right']}; tokens A/B {r['token_ratio']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
