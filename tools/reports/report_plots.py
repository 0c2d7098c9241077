"""Shared pieces of the report scripts: Wilson intervals, paired differences and SVG accuracy plots."""
import math


def wilson(k, n, z=1.96):
    if n == 0:
        return 0, 0, 0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0, c - h), min(1, c + h)


def accuracy_table(curves, budgets, decimals=0):
    """Markdown rows: a method per row, each N's accuracy with its Wilson interval and tokens per problem."""
    lines = ["| method | " + " | ".join(f"N={n}" for n in budgets) + " |", "|---|" + "---|" * len(budgets)]
    for m, c in curves.items():
        cells = []
        for n in budgets:
            if n in c:
                p, lo, hi = wilson(c[n][0], c[n][1])
                cells.append(f"{100 * p:.{decimals}f}% [{100 * lo:.0f}–{100 * hi:.0f}]<br>{c[n][2]:,.0f} tok")
            else:
                cells.append("")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired(a, b, z=1.96):
    """Mean of a_i − b_i over paired 0/1 outcomes, with a normal 95% interval."""
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if n == 0:
        return 0, 0, 0
    m = sum(d) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1)) if n > 1 else 0
    return m, m - z * sd / math.sqrt(n), m + z * sd / math.sqrt(n)


def svg(path, curves, xkey, xlabel, title, problems, colors):
    """Accuracy curves {method: {N: (right, total, tokens)}} against log2 of xkey(N, value), as an SVG file."""
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
    out.append(f'<text transform="translate(16 {(T + H - B) / 2}) rotate(-90)" text-anchor="middle">accuracy ({problems} problems)</text>')
    for i, (m, p) in enumerate(pts.items()):
        c = colors.get(m, "#000")
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


