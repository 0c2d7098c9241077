#!/usr/bin/env python3
"""The verifier tables: paired comparisons on the held-out sets from `banyan eval --out` runs.

    python3 tools/reports/verifier_report.py [RUNS_DIR] [--summary]     (default experiments/verifiers/runs)

Reads, per set (chains, unseen, singleop, singleeq), whichever of the runs of tools/reports/verifier_runs.sh
exist: SET-bon16-{head,head-checker,checker,final-layer-head,provenance,provenance-bare-numbers,operations},
chains-bon16-head-aggregate-last, SET-adaptive16, SET-adaptive-weighted-{provenance,checker}-c0.8-n10,
SET-particles16-{head,head-checker} and chains-beam16-head. Best-of-N runs draw the same samples (same seeds),
so every Best-of-N row pairs with the head run's majority vote. Prints Markdown: accuracy with 95% Wilson
intervals and paired differences with 95% intervals on the same problems; --summary prints the one table of
accuracies the README shows.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paired_compare import compare, load  # noqa: E402

SETS = [("chains", "held-out chains `arith:operands=3,digits=1,ops=+-,count=200,seed=7`", "held-out chains"),
        ("unseen", "held-out chains with distinct questions never trained on, `data/chains-unseen.jsonl`",
         "distinct unseen chains"),
        ("singleop", "MAWPS SingleOp, first 200 of `data/singleop.jsonl`", "MAWPS SingleOp"),
        ("singleeq", "MAWPS SingleEq, first 200 of `data/singleeq.jsonl`", "MAWPS SingleEq")]


def pct(x):
    return f"{100 * x:.1f}%"


def interval(lo_hi):
    lo, hi = lo_hi
    return f"[{100 * lo:.1f}–{100 * hi:.1f}]"


def diff(r):
    lo, hi = r["difference_interval"]
    return f"{100 * r['difference']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


def coverage(path):
    records = load(path).values()
    return sum(1 for r in records if r["coverage"]) / max(1, len(records))


def tables(runs):
    rows = []
    for name, title, _ in SETS:
        def f(run):
            path = os.path.join(runs, f"{name}-{run}.jsonl")
            return path if os.path.exists(path) else None
        bon = f("bon16-head")
        if bon is None:
            continue
        rows.append(f"\n**{title}** (N=16, T=0.7, seed 0; pass@16 {pct(coverage(bon))})\n")
        rows.append("| comparison | A | B | A − B, paired (95%) | tokens A/B |")
        rows.append("|---|---|---|---|---|")

        def add(label, a, b):
            r = compare(a, b)
            rows.append(f"| {label} ({r['problems']} problems) | {pct(r['a']['accuracy'])} {interval(r['a']['interval'])} | "
                        f"{pct(r['b']['accuracy'])} {interval(r['b']['interval'])} | {diff(r)} | {r['token_ratio']:.2f} |")

        vote = f"{bon}:majority@16"
        add("head-weighted Best-of-N − majority", f"{bon}:weighted@16", vote)
        add("head conditional − majority", f"{bon}:conditional@16", vote)
        add("head vanilla (top-1) − majority", f"{bon}:vanilla@16", vote)
        if last := f("bon16-head-aggregate-last"):
            add("head scored by its answer step (`--aggregate last`), weighted − majority", f"{last}:weighted@16", vote)
        if final := f("bon16-final-layer-head"):
            add("final-layer head, weighted − majority", f"{final}:weighted@16", vote)
            add("head − final-layer head, weighted", f"{bon}:weighted@16", f"{final}:weighted@16")
        checker = f("bon16-checker")
        if checker:
            add("checker-weighted Best-of-N − majority", f"{checker}:weighted@16", vote)
        if both := f("bon16-head-checker"):
            add("**head × checker**-weighted Best-of-N − majority", f"{both}:weighted@16", vote)
            add("head × checker − head, weighted", f"{both}:weighted@16", f"{bon}:weighted@16")
            if checker:
                add("head × checker − checker, weighted", f"{both}:weighted@16", f"{checker}:weighted@16")
            add("head × checker run's majority − head run's (same samples: must be 0)", f"{both}:majority@16", vote)
        provenance, bare = f("bon16-provenance"), f("bon16-provenance-bare-numbers")
        if provenance:
            add("provenance-weighted Best-of-N − majority", f"{provenance}:weighted@16", vote)
        if bare:
            add("provenance reading bare numbers only, weighted − majority", f"{bare}:weighted@16", vote)
            if provenance:
                add("provenance − provenance reading bare numbers only, weighted", f"{provenance}:weighted@16", f"{bare}:weighted@16")
        if operations := f("bon16-operations"):
            add("operations-weighted Best-of-N − majority", f"{operations}:weighted@16", vote)
            add("operations conditional − majority", f"{operations}:conditional@16", vote)
            if bare:
                add("operations − provenance (both reading bare numbers only), weighted", f"{operations}:weighted@16",
                    f"{bare}:weighted@16")
            add("operations run's majority − head run's (same samples: must be 0)", f"{operations}:majority@16", vote)
        if adaptive := f("adaptive16"):
            add("adaptive (≤16 samples) − majority@16", f"{adaptive}:majority", vote)
        for verifier in ("provenance", "checker"):
            if weighted := f(f"adaptive-weighted-{verifier}-c0.8-n10"):
                add(f"adaptive weighted by {verifier} (≤10 samples, confidence 0.8) − majority@16", f"{weighted}:weighted", vote)
        particles, beam = f("particles16-head"), f("beam16-head")
        if particles:
            add("particles (head) − majority@16", f"{particles}:weighted", vote)
            if beam:
                add("particles (head) − beam search (head, M=4)", f"{particles}:weighted", f"{beam}:weighted")
        if beam:
            add("beam search (head, M=4) − majority@16", f"{beam}:weighted", vote)
        if particles_both := f("particles16-head-checker"):
            add("particles (head × checker) − majority@16", f"{particles_both}:weighted", vote)
            if both:
                add("particles (head × checker) − Best-of-N (head × checker), weighted", f"{particles_both}:weighted",
                    f"{both}:weighted@16")
            if particles:
                add("particles: head × checker − head", f"{particles_both}:weighted", f"{particles}:weighted")
    return "\n".join(rows)


def summary(runs):
    """One row per set: the vote and the verifiers that know no answer, N=16, paired against the vote."""
    columns = [("Best-of-16, checker", "bon16-checker", "weighted@16"), ("provenance", "bon16-provenance", "weighted@16"),
               ("PRM head", "bon16-head", "weighted@16"), ("head × checker", "bon16-head-checker", "weighted@16"),
               ("particles, head × checker", "particles16-head-checker", "weighted")]
    out = ["| held-out set (200 problems) | majority vote | " + " | ".join(c[0] for c in columns) + " |",
           "|---|---|" + "---|" * len(columns)]
    for name, _, short in SETS:
        bon = os.path.join(runs, f"{name}-bon16-head.jsonl")
        if not os.path.exists(bon):
            continue
        vote = f"{bon}:majority@16"
        cells = [pct(compare(vote, vote)["a"]["accuracy"])]
        for _, run, rule in columns:
            path = os.path.join(runs, f"{name}-{run}.jsonl")
            if os.path.exists(path):
                r = compare(f"{path}:{rule}", vote)
                cells.append(f"{pct(r['a']['accuracy'])} ({100 * r['difference']:+.1f})")
            else:
                cells.append("")
        out.append(f"| {short} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = args[0] if args else "experiments/verifiers/runs"
    print(summary(runs) if "--summary" in sys.argv else tables(runs))
