#!/usr/bin/env bash
# The scaling report with the arithmetic checker: accuracy against N and against tokens for majority, vanilla
# and weighted Best-of-N, beam search, DVTS and auto at N ∈ {1, 2, 4, 8, 16, 32} on the held-out chains, then
# the same strategies but auto (its table is learned on chains) on MAWPS SingleOp (data/singleop.jsonl, never
# trained on). Writes the tables into docs/scaling.md and the plots beside it. Every run is resumable:
#   experiments/search-strategies/runs/   held-out chain runs (the N=4, 8, 16 beam/DVTS runs are shared with
#                                         tools/reports/search_report.sh)
#   experiments/scaling/checker-train/    training chains (seed=1), from which the auto table is learned
#                                         (Sources/BanyanSearch/Resources/auto-table.json, the one shipped)
#   experiments/scaling/singleop/         the SingleOp runs
#   bash tools/reports/scaling_report.sh [PROBLEMS] [TRAIN_PROBLEMS] [SINGLEOP_PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-50}
N_TRAIN=${2:-32}
N_TEXT=${3:-30}
DOC=docs/scaling.md
source tools/reports/eval_runs.sh
run greedy "$N" --strategy greedy
run bon32-checker "$N" --strategy best-of-n --n 32 --prm checker
for n in 4 8 16 32; do
  run "beam$n-checker" "$N" --strategy beam --n $n --prm checker
  run "dvts$n-checker" "$N" --strategy dvts --n $n --prm checker
done

TRAIN="arith:operands=3,digits=1,ops=+-,count=200,seed=1"
T=experiments/scaling/checker-train
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
TEXT=experiments/scaling/checker-auto-table.txt
"$BANYAN" auto-table --best-of-n "$T/bon32-checker.jsonl" --runs "${runs[@]}" --budgets 4,8,16,32 \
  --source "$TRAIN (training chains), first $N_TRAIN problems" --out "$TABLE" > "$TEXT"
cat "$TEXT"

for b in 4 8 16 32; do
  run "auto$b-checker" "$N" --strategy auto --budget $b --prm checker --auto-table "$TABLE"
done
python3 tools/reports/scaling_report.py "$OUT" "$N" docs "$TEXT" | python3 tools/reports/embed.py "$DOC" scaling-checker

DATA=data/singleop.jsonl
OUT=experiments/scaling/singleop
mkdir -p "$OUT"
run greedy "$N_TEXT" --strategy greedy
run bon32-checker "$N_TEXT" --strategy best-of-n --n 32 --prm checker
for n in 4 8 16; do
  run "beam$n-checker" "$N_TEXT" --strategy beam --n $n --prm checker
  run "dvts$n-checker" "$N_TEXT" --strategy dvts --n $n --prm checker
done
python3 tools/reports/scaling_report.py "$OUT" "$N_TEXT" docs - singleop "MAWPS SingleOp (\`data/singleop.jsonl\`)" \
  | python3 tools/reports/embed.py "$DOC" scaling-singleop
