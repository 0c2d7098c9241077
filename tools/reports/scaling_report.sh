#!/usr/bin/env bash
# The scaling report: accuracy against N and against tokens for majority, vanilla and weighted Best-of-N, beam
# search, DVTS and auto at N ∈ {1, 2, 4, 8, 16, 32} on the held-out chains, with the arithmetic checker as PRM.
# Writes docs/scaling-report.md and docs/scaling-accuracy-{n,tokens}.svg. Every run is resumable (results in
# results/search/ and results/auto-train/); the N=4, 8, 16 beam/DVTS runs are shared with tools/search_report.sh.
# Steps: (1) held-out runs; (2) training runs on other chains (seed=1) and the auto table learned from them
# (written to Sources/BanyanSearch/Resources/auto-table.json, the one `--strategy auto` ships with); (3) auto on
# the held-out chains at each budget; (4) the report; (5) the real-text held-out set (data/singleop.jsonl,
# MAWPS SingleOp, never trained on) with the same strategies but auto (its table is learned on chains), and its
# report. Usage: tools/scaling_report.sh [PROBLEMS] [TRAIN_PROBLEMS] [SINGLEOP_PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
N_TRAIN=${2:-32}
N_TEXT=${3:-30}
source tools/eval_runs.sh
run greedy "$N" --strategy greedy
run bon32-checker "$N" --strategy best-of-n --n 32 --prm checker
for n in 4 8 16 32; do
  run "beam$n-checker" "$N" --strategy beam --n $n --prm checker
  run "dvts$n-checker" "$N" --strategy dvts --n $n --prm checker
done

TRAIN="arith:operands=3,digits=1,ops=+-,count=200,seed=1"
T=results/auto-train
mkdir -p "$T"
train() { local name=$1; shift
  echo "== train $name: banyan eval --dataset $TRAIN --limit $N_TRAIN $*" >&2
  "$BANYAN" eval --dataset "$TRAIN" --limit "$N_TRAIN" --batch 8 --out "$T/$name.jsonl" "$@" > /dev/null; }
train bon32-checker --strategy best-of-n --n 32 --prm checker
runs=()
for n in 4 8 16; do
  train "beam$n-checker" --strategy beam --n $n --prm checker
  train "dvts$n-checker" --strategy dvts --n $n --prm checker
  runs+=("$n:$T/beam$n-checker.jsonl" "$n:$T/dvts$n-checker.jsonl")
done
TABLE=Sources/BanyanSearch/Resources/auto-table.json
"$BANYAN" auto-table --best-of-n "$T/bon32-checker.jsonl" --runs "${runs[@]}" --budgets 4,8,16,32 \
  --source "$TRAIN (training chains), first $N_TRAIN problems" --out "$TABLE" > results/auto-table.txt
cat results/auto-table.txt

for b in 4 8 16 32; do
  run "auto$b-checker" "$N" --strategy auto --budget $b --prm checker --auto-table "$TABLE"
done
python3 tools/scaling_report.py "$OUT" "$N" docs results/auto-table.txt > docs/scaling-report.md
cat docs/scaling-report.md

DATA=data/singleop.jsonl
OUT=results/singleop
mkdir -p "$OUT"
run greedy "$N_TEXT" --strategy greedy
run bon32-checker "$N_TEXT" --strategy best-of-n --n 32 --prm checker
for n in 4 8 16; do
  run "beam$n-checker" "$N_TEXT" --strategy beam --n $n --prm checker
  run "dvts$n-checker" "$N_TEXT" --strategy dvts --n $n --prm checker
done
python3 tools/scaling_report.py "$OUT" "$N_TEXT" docs - singleop "MAWPS SingleOp (\`data/singleop.jsonl\`)" \
  > docs/singleop-report.md   # (session 13 added a paragraph on the rerun by hand, after the first one)
cat docs/singleop-report.md
