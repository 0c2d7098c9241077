#!/usr/bin/env python3
"""The scaling table with the shipped PRM head (Markdown on stdout, two SVG plots), 200 held-out chains.

Usage: tools/reports/scaling_report_head.py [HELDOUT_DIR [HEAD_RUNS_DIR [OTHER_DIR…]]]
Reads the shipped head's runs: HELDOUT_DIR (experiments/scaling/head-heldout) bon64-head and auto{4,16,64}-head
(and auto{4,16,64}-head-best-of-n-only-table, the same with a table that may only choose Best-of-N, where
present), HEAD_RUNS_DIR (experiments/verifiers/runs) chains-beam16-head and chains-particles16-head; and runs
that do not use the head, from the first of HELDOUT_DIR and the OTHER_DIRs (default experiments/verifiers/runs)
that has them: bon64-checker, adaptive16-c08, chains-adaptive16. Plots go to $DOCS (docs).
tools/reports/auto_table_head.sh and tools/reports/verifier_runs.sh make the runs. Best-of-N rows read one N=64
run at each sub-budget (its samples are independent); their tokens are the prompt plus that share of the
decoded tokens. Differences are paired on the same problems, with 95% normal intervals.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_plots  # noqa: E402
from report_plots import paired, svg  # noqa: E402

held = sys.argv[1] if len(sys.argv) > 1 else "experiments/scaling/head-heldout"
heads = sys.argv[2] if len(sys.argv) > 2 else "experiments/verifiers/runs"
others = sys.argv[3:] or ["experiments/verifiers/runs"]
docs = os.environ.get("DOCS", "docs")
BUDGETS = [1, 2, 4, 8, 16, 32, 64]


def load(path):
    if not os.path.exists(path):
        return None
    return {r["id"]: r for r in (json.loads(l) for l in open(path) if l.strip())}


def other(name):
    """A run that does not use the head, from the first directory that has it."""
    for d in [held] + others:
        if os.path.exists(f"{d}/{name}"):
            return load(f"{d}/{name}")
    return None


bon = load(f"{held}/bon64-head.jsonl")
if bon is None:
    sys.exit(f"missing {held}/bon64-head.jsonl: run tools/reports/auto_table_head.sh heldout")
ids = sorted(bon, key=lambda i: int(i.rpartition("-")[2]))
checker = other("bon64-checker.jsonl")


def right(r, rule, n):
    return bool(r["correct"].get(rule, {}).get(str(n), False))


def top(r):
    return max(int(k) for c in r["correct"].values() for k in c)


# method -> {N: [0/1 per problem in ids order]}, and tokens per problem
outcomes, tokens = {}, {}


def add(method, n, rows, rule, sub):
    if rows is None or any(i not in rows for i in ids):
        return
    got = [rows[i] for i in ids]
    outcomes.setdefault(method, {})[n] = [right(r, rule, n if sub else top(r)) for r in got]
    tok = [(r["tokensPrefilled"] + r["tokensDecoded"] * n / len(r["answers"])) if sub else
           (r["tokensPrefilled"] + r["tokensDecoded"] + r.get("scorerTokens", 0)) for r in got]
    tokens.setdefault(method, {})[n] = sum(tok) / len(tok)


for n in BUDGETS:
    add("majority vote", n, bon, "majority", True)
    add("Best-of-N weighted, head", n, bon, "weighted", True)
    add("conditional majority, head", n, bon, "conditional", True)
    add("Best-of-N weighted, checker", n, checker, "weighted", True)
add("beam search, head (M=4)", 16, load(f"{heads}/chains-beam16-head.jsonl"), "weighted", False)
add("particle filter, head", 16, load(f"{heads}/chains-particles16-head.jsonl"), "weighted", False)
add("adaptive vote (≤16)", 16, other("chains-adaptive16.jsonl"), "majority", False)
add("adaptive vote (≤16), confidence 0.8", 16, other("adaptive16-c08.jsonl"), "majority", False)
for b in [4, 16, 64]:
    add("auto, head", b, load(f"{held}/auto{b}-head.jsonl"), "weighted", False)
    # The same with a table that may only choose Best-of-N (learned from the Best-of-N@64 training run alone).
    add("auto, head, Best-of-N-only table", b, load(f"{held}/auto{b}-head-best-of-n-only-table.jsonl"), "weighted", False)

COLORS = {"majority vote": "#888888", "Best-of-N weighted, head": "#4e79a7", "conditional majority, head": "#76b7b2",
          "Best-of-N weighted, checker": "#59a14f", "beam search, head (M=4)": "#e15759", "particle filter, head": "#b07aa1",
          "adaptive vote (≤16)": "#9c755f", "adaptive vote (≤16), confidence 0.8": "#edc948", "auto, head": "#f28e2b",
          "auto, head, Best-of-N-only table": "#ff9da7"}
curves = {m: {n: (sum(o), len(o), tokens[m][n]) for n, o in c.items()} for m, c in outcomes.items()}
os.makedirs(docs, exist_ok=True)
svg(os.path.join(docs, "head-scaling-accuracy-n.svg"), curves, lambda n, v: n, "budget N (samples / particles / beams)",
    "Held-out chains: accuracy against N (T=0.7)", len(ids), COLORS)
svg(os.path.join(docs, "head-scaling-accuracy-tokens.svg"), curves, lambda n, v: v[2], "tokens computed per problem",
    "Held-out chains: accuracy against tokens computed", len(ids), COLORS)

print(f"Held-out chains `arith:operands=3,digits=1,ops=+-,count=200,seed=7`, all {len(ids)} problems; T=0.7, seed 0. "
      "The head is the PRM head shipped with banyan (`--prm head`: layers 10, 20 and the final hidden state, trained with "
      "the ranking loss); the checker is the line-by-line arithmetic checker; "
      "neither knows the answer. Accuracy with 95% Wilson intervals; under it, tokens computed per problem.\n")
print(report_plots.accuracy_table(curves, BUDGETS, 1))
cov = sum(r["coverage"] for r in bon.values()) / len(bon)
print(f"\nCoverage (any of the 64 samples right): {100 * cov:.1f}%.\n")
print("![accuracy against N](head-scaling-accuracy-n.svg)\n")
print("![accuracy against tokens](head-scaling-accuracy-tokens.svg)\n")

print("Paired differences in points on the same problems (95% intervals):\n")
print("| budget | weighted (head) − majority | conditional (head) − majority | weighted (checker) − majority | auto (head) − best single method at that budget |")
print("|---|---|---|---|---|")
fmt = lambda d: f"{100 * d[0]:+.1f} [{100 * d[1]:+.1f}, {100 * d[2]:+.1f}]"
for n in BUDGETS:
    maj = outcomes["majority vote"][n]
    cells = []
    for m in ["Best-of-N weighted, head", "conditional majority, head", "Best-of-N weighted, checker"]:
        cells.append(fmt(paired(outcomes[m][n], maj)) if n in outcomes.get(m, {}) else "")
    auto = outcomes.get("auto, head", {}).get(n)
    if auto is not None:
        # The best single head-run method with N ≤ budget, chosen on these held-out problems (favours it).
        singles = [(sum(o), m, k) for m, c in outcomes.items() if not m.startswith("auto") and m != "Best-of-N weighted, checker"
                   for k, o in c.items() if k <= n]
        best = max(singles)
        cells.append(f"{fmt(paired(auto, outcomes[best[1]][best[2]]))} vs {best[1]} N={best[2]}")
    else:
        cells.append("")
    print(f"| {n} | " + " | ".join(cells) + " |")
old = outcomes.get("auto, head, Best-of-N-only table", {})
if old:
    print("\nAuto with the shipped table, which can choose particle filtering, against a table that may only choose Best-of-N (paired): "
          + "; ".join(f"budget {b}: {fmt(paired(outcomes['auto, head'][b], old[b]))}" for b in sorted(old) if b in outcomes.get("auto, head", {}))
          + ".")
