#!/usr/bin/env python3
"""Formats a scaling table (Markdown on stdout) and its two SVG plots from banyan eval outputs.

Usage: tools/reports/scaling_report.py RESULTS_DIR PROBLEMS DOCS_DIR [TABLE_TEXT_FILE|-] [NAME] [DATASET]
Reads RESULTS_DIR/{bon32,beam<N>,dvts<N>,auto<N>}-checker.jsonl and greedy.jsonl, keeps the first PROBLEMS
problems of each, and writes DOCS_DIR/NAME-accuracy-n.svg and DOCS_DIR/NAME-accuracy-tokens.svg (NAME: scaling);
the markdown goes to stdout. DATASET names the problems in the text.
"""
import json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_plots  # noqa: E402

results, limit, docs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
table_text = open(sys.argv[4]).read().strip() if len(sys.argv) > 4 and sys.argv[4] != "-" else None
plot_name = sys.argv[5] if len(sys.argv) > 5 else "scaling"
dataset = sys.argv[6] if len(sys.argv) > 6 else "chains `arith:operands=3,digits=1,ops=+-,count=200,seed=7`"
BUDGETS = [1, 2, 4, 8, 16, 32]


def load(name):
    path = os.path.join(results, name + ".jsonl")
    if not os.path.exists(path):
        return None
    rows = {}
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            rows[r["id"]] = r
    return rows


def order_key(i):
    head, _, tail = i.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (i, 0)


bon = load("bon32-checker")
if bon is None:
    sys.exit(f"missing {results}/bon32-checker.jsonl: run tools/reports/scaling_report.sh")
ids = sorted(bon, key=order_key)[:limit]


def tokens(r):
    return r["tokensPrefilled"] + r["tokensDecoded"] + r.get("scorerTokens", 0)


# method -> {N: (right, total, tokens per problem)}
curves = {}


def top(r):
    """The run's own largest pick budget (N; N/M for DVTS, which picks among its subtrees' solutions)."""
    return max((int(k) for c in r["correct"].values() for k in c), default=len(r["answers"]))


def add(method, n, rows, rule="weighted", sub=False, token_fn=tokens):
    got = [rows[i] for i in ids if i in rows]
    if len(got) < len(ids):
        return
    k = sum(1 for r in got if r["correct"].get(rule, {}).get(str(n if sub else top(r)), False))
    curves.setdefault(method, {})[n] = (k, len(got), sum(token_fn(r) for r in got) / len(got))


# Best-of-N sub-budgets come from the one N=32 run (samples are i.i.d.); tokens at n: the prompt plus n/32
# of the decoded tokens (the run counts its 32 samples together).
for n in BUDGETS:
    sub = lambda r, n=n: r["tokensPrefilled"] + r["tokensDecoded"] * n / len(r["answers"])
    add("majority vote", n, bon, "majority", True, sub)
    add("Best-of-N vanilla", n, bon, "vanilla", True, sub)
    add("Best-of-N weighted", n, bon, "weighted", True, sub)
for n in BUDGETS:
    for method, name in [("beam search", "beam"), ("DVTS", "dvts"), ("auto", "auto")]:
        rows = load(f"{name}{n}-checker")
        if rows:
            add(method, n, rows)
# A learned head beside the checker (the final-layer head runs of tools/reports/search_report.sh), so the gap stays visible.
head = load("bon-head")
if head:
    for n in [b for b in BUDGETS if b <= max(len(r["answers"]) for r in head.values())]:
        sub = lambda r, n=n: r["tokensPrefilled"] + r["tokensDecoded"] * n / len(r["answers"])
        add("Best-of-N weighted, final-layer head", n, head, "weighted", True, sub)
for name, method in [("beam4-head", "beam search, final-layer head"), ("dvts4-head", "DVTS, final-layer head")]:
    rows = load(name)
    if rows:
        add(method, 4, rows)
greedy = load("greedy")
if greedy and all(i in greedy for i in ids):
    add("greedy", 1, greedy, "vanilla")

COLORS = {"majority vote": "#888888", "Best-of-N vanilla": "#b07aa1", "Best-of-N weighted": "#4e79a7", "beam search": "#e15759",
          "DVTS": "#59a14f", "auto": "#f28e2b", "greedy": "#222222", "Best-of-N weighted, final-layer head": "#76b7b2",
          "beam search, final-layer head": "#ff9da7", "DVTS, final-layer head": "#9c755f"}


def svg(path, xkey, xlabel, title):
    report_plots.svg(path, curves, xkey, xlabel, title, len(ids), COLORS)


os.makedirs(docs, exist_ok=True)
svg(os.path.join(docs, f"{plot_name}-accuracy-n.svg"), lambda n, v: n, "budget N (samples / beams)",
    "Accuracy against N (T=0.7; PRM: the checker unless named)")
svg(os.path.join(docs, f"{plot_name}-accuracy-tokens.svg"), lambda n, v: v[2], "tokens computed per problem (prompt + decoded + scorer)",
    "Accuracy against tokens computed")

print(f"Held-out {dataset}, first {len(ids)} problems; T=0.7, seed 0, "
      "PRM: the arithmetic step checker (aggregate min, weighted vote unless named) or, where named, the learned head on the "
      "final hidden state alone (`experiments/prms/final-layer-head/head.safetensors`). Accuracy with 95% Wilson intervals; "
      "under it, tokens computed per problem.\n")
print(report_plots.accuracy_table(curves, BUDGETS, 0))
print()
cov = [bon[i] for i in ids]
print("Coverage (any of the 32 samples right): " + f"{100 * sum(r['coverage'] for r in cov) / len(cov):.0f}%. "
      "Best-of-N rows come from one N=32 run read at each sub-budget (its samples are independent); their tokens are the "
      "prompt plus that share of the decoded tokens. Beam search and DVTS use M=4 (N=1, 2 are not defined for them); auto "
      "spends its 4-sample probe on top of its choice unless the choice is Best-of-N within the probe.\n")
print(f"![accuracy against N]({plot_name}-accuracy-n.svg)\n")
print(f"![accuracy against tokens]({plot_name}-accuracy-tokens.svg)\n")
if table_text:
    print("The auto table (`banyan auto-table`, learned on the training chains `seed=1`, first 32 problems):\n")
    print("```\n" + table_text + "\n```")
