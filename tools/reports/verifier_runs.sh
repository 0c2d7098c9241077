#!/usr/bin/env bash
# The runs behind the README's "Verifiers against voting" tables: N=16, T=0.7, seed 0, on 200 held-out problems
# of each set (the chains' held-out seed, the first 200 of MAWPS SingleOp and SingleEq). Resumable: each
# `banyan eval --out` file skips the problems it already has. HEAD_ONLY=1 runs only those that use the head.
# Then: python3 tools/verifier_report.py
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BANYAN:-.build/release/banyan}
R=${RESULTS:-results/wave6}   # runs that do not use the head (and, there, session 6's runs with the head before)
L=${LATER:-results/wave8}   # session 8's runs (the operations verifier)
HD=${HEADRUNS:-results/wave9}   # runs with the head shipped since session 9 (three layers, ranking loss)
mkdir -p "$R" "$L" "$HD"
CH="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
run() { local name=$1; shift; echo "== $name" >&2; "$B" eval --out "$R/$name.jsonl" --json "$@" 2>"$R/$name.log" | tail -1 > "$R/$name.summary.json"; }
for set in chains singleop singleeq; do
    case $set in
        chains) data=(--dataset "$CH") ;;
        *) data=(--dataset "data/$set.jsonl" --limit 200) ;;
    esac
    R=$HD run "$set-bon16-head" --batch 8 "${data[@]}" --strategy best-of-n --n 16 --prm head
    [ -n "${HEAD_ONLY:-}" ] || run "$set-adaptive16" --batch 32 "${data[@]}" --strategy adaptive --n 16 --prm checker
    [ "$set" = chains ] || [ -n "${HEAD_ONLY:-}" ] || run "$set-bon16-provenance" --batch 8 "${data[@]}" --strategy best-of-n --n 16 --prm provenance
    [ "$set" = chains ] || [ -n "${HEAD_ONLY:-}" ] || R=$L run "$set-bon16-operations" --batch 8 "${data[@]}" --strategy best-of-n --n 16 --prm operations
done
R=$HD run chains-particles16-head --batch 8 --dataset "$CH" --strategy particles --n 16 --prm head
R=$HD run chains-beam16-head --batch 8 --dataset "$CH" --strategy beam --n 16 --beam-width 4 --prm head
# 200 distinct chains the head and the auto table never trained on (tools/unseen_chains.py; the seed-7 set
# repeats some questions).
R=$HD run unseen-bon16-head --batch 8 --dataset data/chains-unseen.jsonl --strategy best-of-n --n 16 --prm head
# Session 14: the head times the arithmetic checker (`--prm head*checker`), and the checker alone, on every set.
P=${PRODUCTRUNS:-results/wave14}
mkdir -p "$P"
for set in chains unseen singleop singleeq; do
    case $set in
        chains) data=(--dataset "$CH") ;;
        unseen) data=(--dataset data/chains-unseen.jsonl) ;;
        *) data=(--dataset "data/$set.jsonl" --limit 200) ;;
    esac
    R=$P run "$set-bon16-head-checker" --batch 8 "${data[@]}" --strategy best-of-n --n 16 --prm 'head*checker'
    [ -n "${HEAD_ONLY:-}" ] || R=$P run "$set-bon16-checker" --batch 8 "${data[@]}" --strategy best-of-n --n 16 --prm checker
done
R=$P run chains-particles16-head-checker --batch 8 --dataset "$CH" --strategy particles --n 16 --prm 'head*checker'
R=$P run unseen-particles16-head-checker --batch 8 --dataset data/chains-unseen.jsonl --strategy particles --n 16 --prm 'head*checker'
R=$P run unseen-particles16-head --batch 8 --dataset data/chains-unseen.jsonl --strategy particles --n 16 --prm head
