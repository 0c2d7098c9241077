#!/usr/bin/env python3
"""Formats the scaling report (docs/scaling-report.md and two SVG plots) from banyan eval outputs.

Usage: tools/scaling_report.py RESULTS_DIR PROBLEMS DOCS_DIR [TABLE_TEXT_FILE|-] [NAME] [DATASET]
Reads RESULTS_DIR/{bon32,beam<N>,dvts<N>,auto<N>}-checker.jsonl and greedy.jsonl, keeps the first PROBLEMS
problems of each, and writes DOCS_DIR/NAME-accuracy-n.svg and DOCS_DIR/NAME-accuracy-tokens.svg (NAME: scaling);
the markdown goes to stdout. DATASET names the problems in the text.
"""
import json, math, os, sys

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
    sys.exit(f"missing {results}/bon32-checker.jsonl: run tools/scaling_report.sh")
ids = sorted(bon, key=order_key)[:limit]


def wilson(k, n, z=1.96):
    if n == 0:
        return 0, 0, 0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0, c - h), min(1, c + h)


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
# The learned PRM head beside the checker (tools/prm_report.sh runs), so the gap between them stays visible.
head = load("bon-head")
if head:
    for n in [b for b in BUDGETS if b <= max(len(r["answers"]) for r in head.values())]:
        sub = lambda r, n=n: r["tokensPrefilled"] + r["tokensDecoded"] * n / len(r["answers"])
        add("Best-of-N weighted, PRM head", n, head, "weighted", True, sub)
for name, method in [("beam4-head", "beam search, PRM head"), ("dvts4-head", "DVTS, PRM head")]:
    rows = load(name)
    if rows:
        add(method, 4, rows)
greedy = load("greedy")
if greedy and all(i in greedy for i in ids):
    add("greedy", 1, greedy, "vanilla")

COLORS = {"majority vote": "#888888", "Best-of-N vanilla": "#b07aa1", "Best-of-N weighted": "#4e79a7", "beam search": "#e15759",
          "DVTS": "#59a14f", "auto": "#f28e2b", "greedy": "#222222", "Best-of-N weighted, PRM head": "#76b7b2",
          "beam search, PRM head": "#ff9da7", "DVTS, PRM head": "#9c755f"}


def svg(path, xkey, xlabel, title):
    W, H, L, R, T, B = 780, 440, 60, 250, 40, 50
    pts = {m: sorted((xkey(n, v), v[0] / v[1]) for n, v in c.items()) for m, c in curves.items()}
    xs = [x for p in pts.values() for x, _ in p]
    lo, hi = math.log2(min(xs)), math.log2(max(xs))
    if hi - lo < 1e-9:
        hi = lo + 1
    lo, hi = math.floor(lo), math.ceil(hi)
    ymax = min(1.0, math.ceil(max(y for p in pts.values() for _, y in p) * 10 + 1) / 10)
    X = lambda x: L + (math.log2(x) - lo) / (hi - lo) * (W - L - R)
    Y = lambda y: H - B - y / ymax * (H - T - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="22" font-size="14" font-weight="bold">{title}</text>']
    for e in range(lo, hi + 1):
        x = X(2 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{2 ** e:g}</text>')
    steps = int(round(ymax * 10))
    for k in range(steps + 1):
        y = Y(k / 10)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{k * 10}%</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text transform="translate(16 {(T + H - B) / 2}) rotate(-90)" text-anchor="middle">accuracy ({len(ids)} problems)</text>')
    for i, (m, p) in enumerate(pts.items()):
        c = COLORS.get(m, "#000")
        if m == "greedy":  # one point: drawn as a reference level across the plot
            y = Y(p[0][1])
            out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="{c}" stroke-dasharray="5 4"/>')
        if len(p) > 1:
            d = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in p)
            out.append(f'<polyline points="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in p:
            out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3.5" fill="{c}"><title>{m}: {100 * y:.0f}% at {x:.0f}</title></circle>')
        ly = T + 10 + 20 * i
        dash = ' stroke-dasharray="5 4"' if m == "greedy" else ""
        out.append(f'<line x1="{W - R + 14}" y1="{ly}" x2="{W - R + 38}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{W - R + 44}" y="{ly + 4}">{m}</text>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


os.makedirs(docs, exist_ok=True)
svg(os.path.join(docs, f"{plot_name}-accuracy-n.svg"), lambda n, v: n, "budget N (samples / beams)",
    "Accuracy against N (T=0.7; PRM: the checker unless named)")
svg(os.path.join(docs, f"{plot_name}-accuracy-tokens.svg"), lambda n, v: v[2], "tokens computed per problem (prompt + decoded + scorer)",
    "Accuracy against tokens computed")

print(f"Held-out {dataset}, first {len(ids)} problems; T=0.7, seed 0, "
      "PRM: the arithmetic step checker (aggregate min, weighted vote unless named) or, where named, the learned PRM head "
      "shipped with banyan. Accuracy with 95% Wilson intervals; "
      "under it, tokens computed per problem.\n")
print("| method | " + " | ".join(f"N={n}" for n in BUDGETS) + " |")
print("|---|" + "---|" * len(BUDGETS))
for m, c in curves.items():
    cells = []
    for n in BUDGETS:
        if n in c:
            p, l, h = wilson(c[n][0], c[n][1])
            cells.append(f"{100 * p:.0f}% [{100 * l:.0f}–{100 * h:.0f}]<br>{c[n][2]:,.0f} tok")
        else:
            cells.append("")
    print(f"| {m} | " + " | ".join(cells) + " |")
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
