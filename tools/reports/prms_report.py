#!/usr/bin/env python3
"""The PRM report's tables, from the committed `banyan train-prm --json` logs and `banyan eval` runs.

    python3 tools/reports/prms_report.py REGION

REGION               reads (under experiments/prms/ unless named)
  final-layer        final-layer-head/train.log: the head on the final hidden state, exact and outcome labels
  labels             labels/train-mc.log and labels/bon8-{exact,outcome,mc}.jsonl (tools/reports/prm_labels_report.sh)
  layers             layers-and-ranking/train.log: feature layers 10, 20 and the ranking loss, against the final layer alone
  more-chains        more-chains/train.log and more-chains/SET-bon16.jsonl, paired with the shipped head's runs
                     (experiments/verifiers/runs/SET-bon16-head.jsonl, the same samples)
  word-head          word-head/train.log and word-head/SET-bon16.jsonl, paired likewise, and the product of the word
                     head's and provenance's scores replayed on the same samples (tools/reports/combined_scorers.py's rule)
  addsub             addsub/*.log: heads trained on the policy's own AddSub samples

A train-prm log's last JSON line holds, per scorer, the step AUROC against exact labels, the solution AUROC of
the min-aggregated score against final correctness, the calibration error, and top-1 pick rates (min and last
step) over the held-out problems and over those where the choice matters (right and wrong samples both).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paired_compare import compare, load  # noqa: E402
import selection_sim as sim  # noqa: E402

P = "experiments/prms"
RUNS = "experiments/verifiers/runs"
SETS = [("chains", "held-out chains (seed 7)"), ("unseen", "distinct unseen chains"), ("singleop", "MAWPS SingleOp"),
        ("singleeq", "MAWPS SingleEq")]


def log(path):
    lines = [l for l in open(os.path.join(P, path), encoding="utf-8") if l.startswith("{")]
    if not lines:
        sys.exit(f"prms_report: {path} has no JSON summary line")
    return json.loads(lines[-1])


def f3(x):
    return f"{x:.3f}"


def pct(x):
    return f"{100 * x:.1f}%"


def diff(r):
    lo, hi = r["difference_interval"]
    return f"{100 * r['difference']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


def final_layer():
    d = log("final-layer-head/train.log")
    print(f"{d['train_solutions']:,} training solutions ({d['train_steps']:,} steps), {d['heldout_solutions']:,} held-out solutions "
          f"({d['heldout_steps']:,} steps); {pct(d['step_label_positive_rate'])} of training steps are right.\n")
    print("| scorer | step AUROC (vs exact labels) | solution AUROC (min over steps, vs final answer) | calibration error |")
    print("|---|---|---|---|")
    for key, label in [("exact_labels", "head, exact step labels"), ("outcome_labels", "head, outcome labels (final answer on every step)"),
                       ("likelihood", "likelihood (mean token probability)"), ("arithmetic_checker", "arithmetic checker (each line adds up)")]:
        r = d[key]
        print(f"| {label} | {f3(r['step_auroc'])} | {f3(r['solution_auroc'])} | {f3(r['calibration_error'])} |")


def labels():
    d = log("labels/train-mc.log")
    runs = {k: load(os.path.join(P, f"labels/bon8-{k}.jsonl")) for k in ("exact", "outcome", "mc")}
    n = len(runs["exact"])
    print(f"{d['train_steps']:,} training steps, {d['heldout_steps']:,} held-out steps ({d['heldout_solutions']} solutions); "
          f"weighted Best-of-8 on the first {n} held-out chains.\n")
    print(f"| head trained on | step AUROC (vs exact) | solution AUROC | calibration error | weighted Best-of-8, {n} held-out chains |")
    print("|---|---|---|---|---|")
    for key, label, run in [("exact_labels", "exact step labels (chain checker)", "exact"), ("outcome_labels", "outcome labels", "outcome"),
                            ("mc_labels", "Monte-Carlo labels, 4 rollouts", "mc")]:
        r = d[key]
        c = compare(f"{P}/labels/bon8-{run}.jsonl:weighted@8", f"{P}/labels/bon8-{run}.jsonl:weighted@8")
        lo, hi = c["a"]["interval"]
        print(f"| {label} | {f3(r['step_auroc'])} | {f3(r['solution_auroc'])} | {f3(r['calibration_error'])} | "
              f"{pct(c['a']['accuracy'])} [{100 * lo:.0f}–{100 * hi:.0f}] |")
    print(f"| (the Monte-Carlo labels themselves) | {f3(d['monte_carlo_labels']['step_auroc'])} | | | |")
    print(f"| likelihood / arithmetic checker | {f3(d['likelihood']['step_auroc'])} / {f3(d['arithmetic_checker']['step_auroc'])} | "
          f"{f3(d['likelihood']['solution_auroc'])} / {f3(d['arithmetic_checker']['solution_auroc'])} | | |")
    vote = compare(f"{P}/labels/bon8-exact.jsonl:majority@8", f"{P}/labels/bon8-exact.jsonl:majority@8")
    print(f"\nMajority vote on the same samples: {pct(vote['a']['accuracy'])}.")


def top1_table(d, rows):
    any_row = d[rows[0][0]]
    print(f"{d['train_solutions']:,} training solutions ({d['train_steps']:,} steps); {d['heldout_solutions']:,} held-out solutions; "
          f"{any_row['mixed_problems']} held-out problems have right and wrong samples, where a pick can matter "
          f"(a random pick is right on {pct(any_row['random_mixed'])} of them).\n")
    print("| head (linear, exact step labels unless named) | step AUROC | solution AUROC | top-1 where it matters, min / last step |")
    print("|---|---|---|---|")
    for key, label in rows:
        r = d[key]
        print(f"| {label} | {f3(r['step_auroc'])} | {f3(r['solution_auroc'])} | {pct(r['top1_min_mixed'])} / {pct(r['top1_last_mixed'])} |")


LAYER_ROWS = [("final_layer_only_exact_labels", "final hidden state"), ("exact_labels", "final + layers 10, 20"),
              ("final_layer_only_ranked_exact_labels", "final hidden state, + ranking loss"),
              ("ranked_exact_labels", "final + layers 10, 20, + ranking loss (the shipped recipe)"),
              ("outcome_labels", "outcome labels, final + layers"), ("likelihood", "likelihood"),
              ("arithmetic_checker", "arithmetic checker")]


def layers():
    top1_table(log("layers-and-ranking/train.log"), LAYER_ROWS)


def search_rows(folder, extra=None):
    head = "| set (200 each) | weighted pick | − the vote | − the shipped head |" + (f" {extra[0]} |" if extra else "")
    print(head)
    print("|---|---|---|---|" + ("---|" if extra else ""))
    for name, label in SETS:
        run = os.path.join(P, folder, f"{name}-bon16.jsonl")
        shipped = os.path.join(RUNS, f"{name}-bon16-head.jsonl")
        if not os.path.exists(run):
            continue
        vote = compare(f"{run}:weighted@16", f"{shipped}:majority@16")
        head = compare(f"{run}:weighted@16", f"{shipped}:weighted@16")
        cells = [pct(vote["a"]["accuracy"]), diff(vote), diff(head)]
        if extra:
            cells.append(extra[1](name, run))
        print(f"| {label} | " + " | ".join(cells) + " |")


def more_chains():
    d = log("more-chains/train.log")
    r = d["ranked_exact_labels"]
    print(f"Trained on {d['train_solutions']:,} solutions ({d['train_steps']:,} steps). On its own held-out split the pick looks "
          f"better: top-1 where the choice matters {pct(r['top1_last_mixed'])} by the answer step, on {r['mixed_problems']} problems.\n")
    print("In search, Best-of-16 on the same samples as the shipped head's runs, paired:\n")
    search_rows("more-chains")


def product_minus_vote(name, run):
    provenance = os.path.join(RUNS, f"{name}-bon16-provenance.jsonl")
    a, b = load(run), load(provenance)
    ids = [i for i in a if i in b]
    if any(a[i]["answers"] != b[i]["answers"] for i in ids):
        return "(different samples)"
    prod, vote = [], []
    for i in ids:
        answers, expected = a[i]["answers"], a[i]["expected"]
        scores = [x * y for x, y in zip(a[i]["scores"], b[i]["scores"])]
        prod.append(int(sim.right(sim.pick("weighted", answers, scores), expected)))
        vote.append(int(sim.right(sim.pick("majority", answers, scores), expected)))
    m, h = sim.paired(prod, vote)
    return f"{100 * m:+.1f} [{100 * (m - h):+.1f}, {100 * (m + h):+.1f}]"


def word_head():
    d = log("word-head/train.log")
    r = d["ranked_outcome_labels"]
    print(f"Trained on {d['train_solutions']:,} solutions ({d['train_steps']:,} steps) of the word problems in "
          f"`experiments/prms/word-head/words-train.jsonl`; on its own held-out quarter (pass@8 {pct(r['pass_at_n'])}) it picks a right "
          f"solution on {pct(r['top1_min_mixed'])} of the {r['mixed_problems']} problems where the choice matters "
          f"(a random pick: {pct(r['random_mixed'])}).\n")
    print("In search, Best-of-16 on the same samples as every other run on these sets, paired:\n")
    search_rows("word-head", ("word head × provenance − the vote (replayed)", product_minus_vote))


def addsub():
    print("| head trained on AddSub samples | step AUROC | top-1 where it matters, min / last step | random pick |")
    print("|---|---|---|---|")
    for path, key, label in [("addsub-exact.log", "exact_labels", "arithmetic-checker step labels"),
                             ("addsub-outcome.log", "outcome_labels", "outcome labels"),
                             ("addsub-outcome-rank1.log", "ranked_outcome_labels", "outcome labels + ranking loss (weight 1)"),
                             ("addsub-outcome-rank4.log", "ranked_outcome_labels", "outcome labels + ranking loss (weight 4)")]:
        r = log(f"addsub/{path}")[key]
        print(f"| {label} | {f3(r['step_auroc'])} | {pct(r['top1_min_mixed'])} / {pct(r['top1_last_mixed'])} | {pct(r['random_mixed'])} |")
    r = log("addsub/addsub-exact.log")["exact_labels"]
    print(f"\n{r['mixed_problems']} held-out AddSub problems have a choice to make.")


if __name__ == "__main__":
    regions = {"final-layer": final_layer, "labels": labels, "layers": layers, "more-chains": more_chains,
               "word-head": word_head, "addsub": addsub}
    if len(sys.argv) != 2 or sys.argv[1] not in regions:
        sys.exit(__doc__)
    regions[sys.argv[1]]()
