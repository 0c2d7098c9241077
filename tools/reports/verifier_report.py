#!/usr/bin/env python3
"""The verifier report: paired comparisons on the held-out sets from `banyan eval --out` runs.

    python3 tools/verifier_report.py [RESULTS_DIR [LATER_DIR [HEAD_DIR [ADAPTIVE_DIR [UNITS_DIR [PRODUCT_DIR]]]]]]
    (default: results/wave6 results/wave8 results/wave9 results/wave12 results/wave13 results/wave14)

Reads, per set (chains, singleop, singleeq, unseen), whichever of these runs exist (see tools/verifier_runs.sh):
from HEAD_DIR the shipped head's runs (since session 9 the three-layer ranked head): SET-bon16-head,
SET-particles16-head, SET-beam16-head; from RESULTS_DIR SET-bon16-provenance, SET-adaptive16 and the previous
head's SET-bon16-head (session 6); from LATER_DIR SET-bon16-operations and session 8's runs of today's head,
SET-bon16-head-layers-ranked-{min,last}; from ADAPTIVE_DIR the weighted adaptive runs of session 12,
SET-adaptive-weighted-{provenance,checker}-c0.8-n10 (tools/adaptive_vote_runs.sh); from UNITS_DIR the same
Best-of-16 provenance and weighted adaptive runs after session 13 taught the checker unit words; from PRODUCT_DIR
session 14's Best-of-16 runs with `--prm head*checker` and `--prm checker`, and its particle-filter runs with
`head*checker` (and with the head on the unseen chains, which had none). Best-of-N runs draw the same samples (same seeds). Prints markdown:
accuracy with 95% Wilson intervals, and paired differences with 95% intervals on the same problems.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paired_compare import compare, load  # noqa: E402

SETS = [("chains", "held-out chains `arith:operands=3,digits=1,ops=+-,count=200,seed=7`"),
        ("singleop", "MAWPS SingleOp, first 200 of `data/singleop.jsonl`"),
        ("singleeq", "MAWPS SingleEq, first 200 of `data/singleeq.jsonl`"),
        ("unseen", "held-out chains with distinct questions never trained on, `data/chains-unseen.jsonl`")]


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


def main(directory, later, heads, adaptive, units, product):
    rows = []
    for name, title in SETS:
        f = lambda run, d=directory: os.path.join(d, f"{name}-{run}.jsonl")  # noqa: E731
        bon = f("bon16-head", heads)
        if not os.path.exists(bon):
            continue
        rows.append(f"\n**{title}** (N=16, T=0.7, seed 0; pass@16 {pct(coverage(bon))})\n")
        rows.append("| comparison | A | B | A − B, paired (95%) | tokens A/B |")
        rows.append("|---|---|---|---|---|")

        def add(label, a, b):
            r = compare(a, b)
            rows.append(f"| {label} ({r['problems']} problems) | {pct(r['a']['accuracy'])} {interval(r['a']['interval'])} | "
                        f"{pct(r['b']['accuracy'])} {interval(r['b']['interval'])} | {diff(r)} | {r['token_ratio']:.2f} |")

        add("head-weighted Best-of-N − majority", f"{bon}:weighted@16", f"{bon}:majority@16")
        add("head conditional − majority", f"{bon}:conditional@16", f"{bon}:majority@16")
        add("head vanilla (top-1) − majority", f"{bon}:vanilla@16", f"{bon}:majority@16")
        previous = f("bon16-head")
        if os.path.exists(previous):
            add("previous head (session 6)-weighted − majority", f"{previous}:weighted@16", f"{bon}:majority@16")
            add("head − previous head, weighted", f"{bon}:weighted@16", f"{previous}:weighted@16")
        same = os.path.join(later, f"{name}-bon16-head-layers-ranked-min.jsonl")
        if os.path.exists(same):
            add("head − session 8's run of the same head (must be 0)", f"{bon}:weighted@16", f"{same}:weighted@16")
        last = os.path.join(later, f"{name}-bon16-head-layers-ranked-last.jsonl")
        if os.path.exists(last):
            add("head scored by its answer step (`--aggregate last`), weighted − majority", f"{last}:weighted@16", f"{bon}:majority@16")
        if os.path.exists(f("bon16-provenance")):
            add("provenance-weighted Best-of-N − majority", f"{f('bon16-provenance')}:weighted@16", f"{bon}:majority@16")
        operations = os.path.join(later, f"{name}-bon16-operations.jsonl")
        if os.path.exists(operations):
            add("operations-weighted Best-of-N − majority", f"{operations}:weighted@16", f"{bon}:majority@16")
            add("operations conditional − majority", f"{operations}:conditional@16", f"{bon}:majority@16")
            add("operations-weighted − provenance-weighted", f"{operations}:weighted@16", f"{f('bon16-provenance')}:weighted@16")
            add("operations majority − head-run majority (same samples: must be 0)", f"{operations}:majority@16", f"{bon}:majority@16")
        units_bon = os.path.join(units, f"{name}-bon16-provenance.jsonl")
        if os.path.exists(units_bon):
            add("provenance reading unit words (session 13)-weighted − majority", f"{units_bon}:weighted@16", f"{bon}:majority@16")
            add("provenance with unit words − without, weighted", f"{units_bon}:weighted@16", f"{f('bon16-provenance')}:weighted@16")
        checker = os.path.join(product, f"{name}-bon16-checker.jsonl")
        if os.path.exists(checker):
            add("checker-weighted Best-of-N − majority (session 14)", f"{checker}:weighted@16", f"{bon}:majority@16")
        both = os.path.join(product, f"{name}-bon16-head-checker.jsonl")
        if os.path.exists(both):
            add("**head × checker**-weighted Best-of-N − majority (session 14)", f"{both}:weighted@16", f"{bon}:majority@16")
            add("head × checker − head, weighted", f"{both}:weighted@16", f"{bon}:weighted@16")
            if os.path.exists(checker):
                add("head × checker − checker, weighted", f"{both}:weighted@16", f"{checker}:weighted@16")
            add("head × checker run's majority − head run's (same samples: must be 0)", f"{both}:majority@16", f"{bon}:majority@16")
        if os.path.exists(f("adaptive16")):
            add("adaptive (≤16 samples) − majority@16", f"{f('adaptive16')}:majority", f"{bon}:majority@16")
        for verifier in ("provenance", "checker"):
            weighted = os.path.join(adaptive, f"{name}-adaptive-weighted-{verifier}-c0.8-n10.jsonl")
            if os.path.exists(weighted):
                add(f"adaptive weighted by {verifier} (≤10 samples, confidence 0.8) − majority@16", f"{weighted}:weighted",
                    f"{bon}:majority@16")
            again = os.path.join(units, f"{name}-adaptive-weighted-{verifier}-c0.8-n10.jsonl")
            if os.path.exists(again) and verifier == "provenance":
                add("adaptive weighted by provenance reading unit words (session 13) − majority@16", f"{again}:weighted",
                    f"{bon}:majority@16")
            elif os.path.exists(again):
                add("adaptive weighted by checker: session 13's checker − session 12's (must be 0)", f"{again}:weighted",
                    f"{weighted}:weighted")
        particles, beam = f("particles16-head", heads), f("beam16-head", heads)
        if not os.path.exists(particles):
            particles = os.path.join(product, f"{name}-particles16-head.jsonl")
        if os.path.exists(particles):
            add("particles (head) − majority@16", f"{particles}:weighted", f"{bon}:majority@16")
            if os.path.exists(beam):
                add("particles (head) − beam search (head, M=4)", f"{particles}:weighted", f"{beam}:weighted")
                add("beam search (head, M=4) − majority@16", f"{beam}:weighted", f"{bon}:majority@16")
        particles_both = os.path.join(product, f"{name}-particles16-head-checker.jsonl")
        if os.path.exists(particles_both):
            add("particles (head × checker) − majority@16", f"{particles_both}:weighted", f"{bon}:majority@16")
            if os.path.exists(both):
                add("particles (head × checker) − Best-of-N (head × checker), weighted", f"{particles_both}:weighted",
                    f"{both}:weighted@16")
            if os.path.exists(particles):
                add("particles: head × checker − head", f"{particles_both}:weighted", f"{particles}:weighted")
    print("\n".join(rows))


if __name__ == "__main__":
    args = sys.argv[1:] + ["results/wave6", "results/wave8", "results/wave9", "results/wave12", "results/wave13",
                           "results/wave14"][len(sys.argv) - 1:]
    main(*args[:6])
