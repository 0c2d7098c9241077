#!/usr/bin/env bash
# Runs the search comparison on held-out arithmetic chains and writes its tables into
# docs/search-strategies.md. Every run appends one JSON line per problem to
# experiments/search-strategies/runs/<run>.jsonl and resumes from it, so an interrupted report picks up where
# it stopped; with every run present it only regenerates the tables.
#   bash tools/reports/search_report.sh [PROBLEMS] [TABLE_PROBLEMS]
#   PROBLEMS (default 200): problems for greedy, Best-of-N and beam search with the checker at N = 4, 8, 16
#   TABLE_PROBLEMS (default 50): problems for the other table rows (the first ones of the same set)
set -euo pipefail
cd "$(dirname "$0")/../.."
N_ALL=${1:-200}
N_TABLE=${2:-50}
source tools/reports/eval_runs.sh
run greedy "$N_ALL" --strategy greedy
run bon-checker "$N_ALL" --strategy best-of-n --n 16 --prm checker
run beam4-checker "$N_ALL" --strategy beam --n 4 --prm checker
run beam8-checker "$N_ALL" --strategy beam --n 8 --prm checker
run bon-likelihood "$N_TABLE" --strategy best-of-n --n 16 --prm likelihood --aggregate mean
run beam16-checker "$N_TABLE" --strategy beam --n 16 --prm checker
# The reference's way, re-prefilling every beam's full text each step, on the first problems.
run beam16-checker-nofork 3 --strategy beam --n 16 --prm checker --no-fork
for n in 4 8 16; do
  run "beam$n-likelihood" "$N_TABLE" --strategy beam --n $n --prm likelihood --aggregate mean
  run "dvts$n-checker" "$N_TABLE" --strategy dvts --n $n --prm checker
  run "dvts$n-likelihood" "$N_TABLE" --strategy dvts --n $n --prm likelihood --aggregate mean
done
# The PRM rows use the head on the final hidden state alone (experiments/prms/final-layer-head); the shipped
# head is measured on all 200 chains in docs/verifiers.md and docs/scaling.md.
HEAD=head:experiments/prms/final-layer-head/head.safetensors
run bon-head "$N_TABLE" --strategy best-of-n --n 16 --prm "$HEAD" --aggregate min
run beam4-head "$N_TABLE" --strategy beam --n 4 --prm "$HEAD" --aggregate min
run dvts4-head "$N_TABLE" --strategy dvts --n 4 --prm "$HEAD" --aggregate min
python3 tools/reports/search_report.py "$OUT" "$N_ALL" "$N_TABLE" | python3 tools/reports/embed.py docs/search-strategies.md search-report
