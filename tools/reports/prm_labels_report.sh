#!/usr/bin/env bash
# Which labels make the better PRM head: samples 4 solutions per training chain (arith seed=1, 80 problems, the
# last 20 held out), labels every step three ways (exact chain-checker labels, outcome labels, Monte-Carlo labels
# from 4 rollouts per step on forked prefixes), trains a head on each from the same steps, then uses each in
# weighted Best-of-N (N=8) on the first 50 held-out chains (seed=7). Writes experiments/prms/labels/
# (then bash tools/reports/make_all.sh for the table of docs/prms.md).
# Usage: tools/reports/prm_labels_report.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/reports/eval_runs.sh
L=experiments/prms/labels
mkdir -p "$L"
EXAMPLES=${EXAMPLES:-$L/examples.bin}  # sampled steps with all labels (large; not committed)
for labels in mc exact outcome; do
  "$BANYAN" train-prm --dataset "arith:operands=3,digits=1,ops=+-,count=80,seed=1" --n 4 --rollouts 4 --labels $labels \
    --examples "$EXAMPLES" --out "$L/$labels.safetensors" --json > "$L/train-$labels.log"
done
OUT=$L
for labels in exact outcome mc; do
  run "bon8-$labels" 50 --strategy best-of-n --n 8 --prm "head:$L/$labels.safetensors" --aggregate min
done
for labels in exact outcome mc; do
  echo "$labels: $("$BANYAN" eval --merge "$L/bon8-$labels.jsonl" | grep -E '^weighted')"
done
