#!/usr/bin/env bash
# The auto table shipped for --prm head (Sources/BanyanSearch/Resources/auto-table-head.json), learned on 620
# training chains (seed=2; the held-out chains are seed=7), then checked on the 200 held-out chains at budgets
# 4–64 beside every single method. Every run is resumable (banyan eval --out skips problems already done).
#   1. training runs with the shipped head (experiments/scaling/head-train): Best-of-N@64 (its first 4 samples
#      are each problem's difficulty probe; its picks at 1..64 are the Best-of-N candidates) and particle
#      filtering at N in $PARTICLES (default 4 8 16), which resamples instead of pruning by a fixed width, so the
#      signal cap does not apply and the table judges it by its training accuracy. Beam search and DVTS are not
#      run: the head's signal-to-noise on these samples (Δ/σ 0.63, pruning pays up to 1 in 1) rules out pruning
#      1 in 4 before any run (auto-table's signal cap); BEAM=1 runs them anyway;
#   2. training problems whose question is also a held-out one are dropped (tools/data/drop_overlap.py);
#   3. banyan auto-table --prm head; its text goes to experiments/scaling/head-auto-table.txt;
#   4. held-out runs (experiments/scaling/head-heldout): Best-of-N@64 with the head and auto at budgets 4, 16,
#      64; with ALL=1 also adaptive voting at confidence 0.8 and Best-of-N@64 with the checker, which do not
#      use the head.
# Usage: bash tools/reports/auto_table_head.sh [train|table|heldout|all]   (BANYAN=path/to/banyan for another binary)
# Then: bash tools/reports/make_all.sh (the tables of docs/scaling.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${BANYAN:-.build/release/banyan}
W=${RESULTS:-experiments/scaling}
T=$W/head-train
H=$W/head-heldout
TRAIN="arith:operands=3,digits=1,ops=+-,count=620,seed=2"
HELD="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
step=${1:-all}
mkdir -p "$T" "$H"
run() { local out=$1; shift; echo "== $out: banyan eval $*" >&2; "$B" eval --out "$out.jsonl" --json "$@" 2>"$out.log" | tail -1 > "$out.summary.json"; }
if [ "$step" = train ] || [ "$step" = all ]; then
    run "$T/bon64-head" --batch 4 --dataset "$TRAIN" --strategy best-of-n --n 64 --prm head
    for n in ${PARTICLES:-4 8 16}; do
        run "$T/particles$n-head" --batch $((128 / n)) --dataset "$TRAIN" --strategy particles --n $n --prm head
    done
    if [ -n "${BEAM:-}" ]; then
        run "$T/beam16-head" --batch 8 --dataset "$TRAIN" --strategy beam --n 16 --beam-width 4 --prm head
        run "$T/beam4-head" --batch 16 --dataset "$TRAIN" --strategy beam --n 4 --beam-width 4 --prm head
    fi
fi
if [ "$step" = table ] || [ "$step" = all ]; then
    # The held-out questions, from the held-out chains' run of tools/reports/verifier_runs.sh.
    runs=()
    for f in bon64-head beam16-head beam4-head $(cd "$T" && ls particles*-head.jsonl 2>/dev/null | sed 's/\.jsonl$//'); do
        [ -f "$T/$f.jsonl" ] || continue
        python3 tools/data/drop_overlap.py "$T/$f.jsonl" experiments/verifiers/runs/chains-bon16-head.jsonl > "$T/$f.train.jsonl"
        case $f in beam16*) runs+=(16:"$T/$f.train.jsonl") ;; beam4*) runs+=(4:"$T/$f.train.jsonl") ;;
            particles*) n=${f#particles}; runs+=("${n%-head}:$T/$f.train.jsonl") ;; esac
    done
    "$B" auto-table --best-of-n "$T/bon64-head.train.jsonl" ${runs[@]+--runs "${runs[@]}"} \
        --probe 4 --bins 3 --budgets 4,8,16,32,64 --prm head \
        --source "$TRAIN (training chains, questions also held out dropped)" \
        --out Sources/BanyanSearch/Resources/auto-table-head.json | tee "$W/head-auto-table.txt"
fi
if [ "$step" = heldout ] || [ "$step" = all ]; then
    run "$H/bon64-head" --batch 4 --dataset "$HELD" --strategy best-of-n --n 64 --prm head
    for b in 4 16 64; do run "$H/auto$b-head" --batch 8 --dataset "$HELD" --strategy auto --budget $b --prm head; done
    [ -n "${ALL:-}" ] || exit 0   # the runs below do not use the head
    # Adaptive voting at the confidence the training chains support (0.8: the vote of the first 16 training
    # samples unchanged with 43% of them, tools/reports/selection_sim.py), 2 samples per round.
    run "$H/adaptive16-c08" --batch 32 --dataset "$HELD" --strategy adaptive --n 16 --confidence 0.8 --samples-per-round 2 --prm checker
    run "$H/bon64-checker" --batch 4 --dataset "$HELD" --strategy best-of-n --n 64 --prm checker
fi
