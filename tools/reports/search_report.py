#!/usr/bin/env python3
"""Formats the runs of tools/reports/search_report.sh as Markdown: accuracy and coverage against N with 95%
Wilson intervals, and the compute each run took. Reads the JSON lines `banyan eval --out` wrote.

    python3 tools/reports/search_report.py RUNS_DIR PROBLEMS TABLE_PROBLEMS
        (tools/reports/make_all.sh: experiments/search-strategies/runs 200 50)

The forked-against-`--no-fork` comparison of the same runs is in tools/reports/kv_report.py (no-fork)."""
import json
import math
import os
import sys

BUDGETS = [1, 2, 4, 8, 16]


def wilson(hits, total, z=1.96):
    if total == 0:
        return (0.0, 0.0, 0.0)
    p = hits / total
    d = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / d
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / d
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def cell(hits, total):
    p, lo, hi = wilson(hits, total)
    return f"{100 * p:.1f}% [{100 * lo:.0f}–{100 * hi:.0f}]"


def same(a, b):
    if a is None:
        return False
    try:
        return float(a.replace(",", "")) == float(b.replace(",", ""))
    except ValueError:
        return a.strip() == b.strip()


def load(directory, name, limit):
    path = os.path.join(directory, name + ".jsonl")
    if not os.path.exists(path):
        return None
    records = {}
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            records[r["id"]] = r
    ordered = sorted(records.values(), key=lambda r: int(r["id"].rsplit("-", 1)[1]))
    return ordered[:limit]


def accuracy(records, rule, budget):
    """Hits of `rule` at `budget`; budget None: at each record's whole run (DVTS returns one solution
    per subtree, N/M of them, so its picks are keyed by that count)."""
    def hit(r):
        picks = r["correct"].get(rule, {})
        key = str(budget) if budget is not None else max(picks, key=int, default=None)
        return picks.get(key, False) if key is not None else False
    return sum(1 for r in records if hit(r)), len(records)


def paired(a, rule_a, n_a, b, rule_b, n_b):
    by_id = {r["id"]: r for r in b}
    d = [accuracy([r], rule_a, n_a)[0] - accuracy([by_id[r["id"]]], rule_b, n_b)[0] for r in a if r["id"] in by_id]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0
    half = 1.96 * sd / math.sqrt(n)
    return f"{100 * mean:+.1f} [{100 * (mean - half):+.1f}, {100 * (mean + half):+.1f}] over {n} problems"


def coverage(records, budget):
    """pass@budget: any of the first `budget` answers right (Best-of-N samples are in seed order)."""
    return sum(1 for r in records if any(same(a, r["expected"]) for a in r["answers"][:budget])), len(records)


def compute(records):
    n = len(records)
    return (sum(r["tokensPrefilled"] for r in records) / n, sum(r["tokensDecoded"] for r in records) / n,
            sum(r["seconds"] for r in records) / n)


def main():
    directory, n_all, n_table = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = []
    w = out.append
    data = "arith:operands=3,digits=1,ops=+-,count=200,seed=7"
    w(f"Held-out problems: `{data}` (3-operand one-digit ± chains, no negative running values). "
      "Sampling T=0.7, one calculation per line, weighted selection unless named; the checker aggregates "
      "steps by min, the likelihood scorer by mean. 95% Wilson intervals in brackets.\n")

    greedy = load(directory, "greedy", n_all)
    bon = load(directory, "bon-checker", n_all)
    beam4 = load(directory, "beam4-checker", n_all)
    beam8 = load(directory, "beam8-checker", n_all)
    if greedy and bon and beam4 and beam8:
        w(f"#### Search against voting ({len(bon)} problems)\n")
        w("| method | N=4 | N=8 |")
        w("|---|---|---|")
        w(f"| greedy (N=1) | {cell(*accuracy(greedy, 'vanilla', 1))} | |")
        w(f"| majority vote | {cell(*accuracy(bon, 'majority', 4))} | {cell(*accuracy(bon, 'majority', 8))} |")
        w(f"| Best-of-N, checker, weighted | {cell(*accuracy(bon, 'weighted', 4))} | {cell(*accuracy(bon, 'weighted', 8))} |")
        w(f"| beam search, checker (M=4) | {cell(*accuracy(beam4, 'weighted', None))} | {cell(*accuracy(beam8, 'weighted', None))} |")
        w(f"| coverage of Best-of-N (pass@N) | {cell(*coverage(bon, 4))} | {cell(*coverage(bon, 8))} |")
        w("")
        w("Paired differences on the same problems (percentage points, 95% normal interval of the mean per-problem difference):\n")
        w(f"- Best-of-N checker − majority at N=8: {paired(bon, 'weighted', 8, bon, 'majority', 8)}")
        w(f"- beam search checker − majority at N=8: {paired(beam8, 'weighted', None, bon, 'majority', 8)}")
        w(f"- beam search checker − Best-of-N checker at N=4: {paired(beam4, 'weighted', None, bon, 'weighted', 4)}")
        w("")

    w(f"#### Accuracy against N (first {n_table} problems)\n")
    w("| method | " + " | ".join(f"N={n}" for n in BUDGETS) + " |")
    w("|---|" + "---|" * len(BUDGETS))
    rows = []
    g = load(directory, "greedy", n_table)
    if g:
        rows.append(("greedy (T=0)", {1: accuracy(g, "vanilla", 1)}))
    b = load(directory, "bon-checker", n_table)
    if b:
        rows.append(("majority vote", {n: accuracy(b, "majority", n) for n in BUDGETS}))
        rows.append(("Best-of-N, checker", {n: accuracy(b, "weighted", n) for n in BUDGETS}))
    bl = load(directory, "bon-likelihood", n_table)
    if bl:
        rows.append(("Best-of-N, likelihood", {n: accuracy(bl, "weighted", n) for n in BUDGETS}))
    bh = load(directory, "bon-head", n_table)
    if bh:
        rows.append(("Best-of-N, PRM head", {n: accuracy(bh, "weighted", n) for n in BUDGETS}))
    for strategy, label in [("beam", "beam search"), ("dvts", "DVTS")]:
        for scorer in ["checker", "likelihood", "head"]:
            cells = {}
            for n in [4, 8, 16]:
                r = load(directory, f"{strategy}{n}-{scorer}", n_table)
                if r:
                    cells[n] = accuracy(r, "weighted", None)
            if cells:
                rows.append((f"{label}, {scorer if scorer != 'head' else 'PRM head'}", cells))
    if b:
        rows.append(("coverage (pass@N of Best-of-N)", {n: coverage(b, n) for n in BUDGETS}))
    for label, cells in rows:
        sizes = {t for _, t in cells.values()}
        if sizes != {n_table}:
            label += f" ({'/'.join(str(t) for t in sorted(sizes))} problems)"
        w(f"| {label} | " + " | ".join(cell(*cells[n]) if n in cells else "" for n in BUDGETS) + " |")
    w("\nBeam search and DVTS use width M=4, so they start at N=4; DVTS's N is subtrees × width (N/M solutions, one per subtree).\n")

    w(f"#### Compute per problem\n")
    w("| run | problems | prompt tokens prefilled | tokens decoded | seconds |")
    w("|---|---|---|---|---|")
    names = ["greedy", "bon-checker", "bon-likelihood", "beam4-checker", "beam8-checker", "beam16-checker", "beam16-checker-nofork"]
    names += [f"{s}{n}-likelihood" for s in ["beam"] for n in [4, 8, 16]]
    names += [f"dvts{n}-{s}" for s in ["checker", "likelihood"] for n in [4, 8, 16]]
    names += ["bon-head", "beam4-head", "dvts4-head"]
    for name in names:
        r = load(directory, name, 10 ** 9)
        if r:
            p, d, s = compute(r)
            w(f"| {name} | {len(r)} | {p:.0f} | {d:.0f} | {s:.2f} |")
    w("\nProblems run 8 at a time in one batch: the few-shot prompt they share is prefilled once per batch "
      "and forked, so prompt tokens per problem are far below the prompt's length; seconds are the batch's "
      "wall time divided by its problems (2 threads).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
