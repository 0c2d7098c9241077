#!/usr/bin/env bash
# The runs behind docs/verifiers.md: N=16, T=0.7, seed 0, on four held-out sets of 200 problems (the
# chains' held-out seed, the 200 distinct unseen chains of data/chains-unseen.jsonl, the first 200 of MAWPS
# SingleOp and SingleEq), into experiments/verifiers/runs/. Best-of-N runs with different scorers draw the
# same samples (same seeds), so their majority votes agree problem for problem. Resumable: each
# `banyan eval --out` file skips the problems it already has. HEAD_ONLY=1 runs only those that use a head.
# Then: bash tools/reports/make_all.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${BANYAN:-.build/release/banyan}
R=${RESULTS:-experiments/verifiers/runs}
FINAL=head:experiments/prms/final-layer-head/head.safetensors   # the head on the final hidden state alone
mkdir -p "$R"
CH="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
run() { local name=$1; shift; echo "== $name" >&2; "$B" eval --out "$R/$name.jsonl" --json "$@" 2>"$R/$name.log" | tail -1 > "$R/$name.summary.json"; }
for set in chains unseen singleop singleeq; do
    case $set in
        chains) data=(--dataset "$CH") ;;
        unseen) data=(--dataset data/chains-unseen.jsonl) ;;
        *) data=(--dataset "data/$set.jsonl" --limit 200) ;;
    esac
    bon=(--batch 8 "${data[@]}" --strategy best-of-n --n 16)
    run "$set-bon16-head" "${bon[@]}" --prm head
    run "$set-bon16-head-checker" "${bon[@]}" --prm 'head*checker'
    [ "$set" = unseen ] || run "$set-bon16-final-layer-head" "${bon[@]}" --prm "$FINAL"
    [ -z "${HEAD_ONLY:-}" ] || continue
    run "$set-bon16-checker" "${bon[@]}" --prm checker
    [ "$set" = unseen ] || run "$set-adaptive16" --batch 32 "${data[@]}" --strategy adaptive --n 16 --prm checker
    case $set in
        chains|unseen)
            # Weighted adaptive voting with the checker, at the settings chosen for word problems on training
            # problems (tools/reports/adaptive_vote_choice.py); not tuned on chains.
            run "$set-adaptive-weighted-checker-c0.8-n10" --batch 32 "${data[@]}" --strategy adaptive --vote weighted \
                --prm checker --n 10 --confidence 0.8 --samples-per-round 2 ;;
        *)
            run "$set-bon16-provenance" "${bon[@]}" --prm provenance
            run "$set-bon16-operations" "${bon[@]}" --prm operations ;;
    esac
done
run chains-bon16-head-aggregate-last --batch 8 --dataset "$CH" --strategy best-of-n --n 16 --prm head --aggregate last
for set in chains unseen; do
    case $set in chains) data=(--dataset "$CH") ;; unseen) data=(--dataset data/chains-unseen.jsonl) ;; esac
    run "$set-particles16-head" --batch 8 "${data[@]}" --strategy particles --n 16 --prm head
    run "$set-particles16-head-checker" --batch 8 "${data[@]}" --strategy particles --n 16 --prm 'head*checker'
done
run chains-beam16-head --batch 8 --dataset "$CH" --strategy beam --n 16 --beam-width 4 --prm head
# Weighted adaptive voting with provenance on the word problems: its own script (paired comparisons printed).
[ -n "${HEAD_ONLY:-}" ] || bash tools/reports/adaptive_vote_runs.sh 0.8 10 2
