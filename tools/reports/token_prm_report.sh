#!/usr/bin/env bash
# The token PRM's compute against the reference's re-encode: DVTS N=16 on the first held-out chains, the
# default model standing in as the PRM (no PRM checkpoint can be fetched), each format forked and re-encoded.
# Writes experiments/kv-forking/token-prm/<format>-<mode>.{jsonl,log}; the last line of each log is the PRM's
# accounting. Then: bash tools/reports/make_all.sh (the table of docs/kv-forking.md).
# Usage: tools/reports/token_prm_report.sh [PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-8}
BANYAN=${BANYAN:-.build/release/banyan}
DATA="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
OUT=experiments/kv-forking/token-prm
mkdir -p "$OUT"
[ -x "$BANYAN" ] || swift build -c release --product banyan
for format in rlhflow math-shepherd; do
  for mode in forked reencode; do
    extra=""; [ "$mode" = reencode ] && extra=",reencode"
    rm -f "$OUT/$format-$mode.jsonl"
    echo "== $format $mode: banyan eval --dataset $DATA --limit $N --strategy dvts --n 16 --prm token:default,format=$format$extra" >&2
    "$BANYAN" eval --dataset "$DATA" --limit "$N" --batch 8 --strategy dvts --n 16 --prm "token:default,format=$format$extra" \
      --aggregate last --out "$OUT/$format-$mode.jsonl" 2>&1 >/dev/null | tr '\r' '\n' | grep -E "token PRM|accuracy" | tail -2 > "$OUT/$format-$mode.log"
    tail -1 "$OUT/$format-$mode.log"
  done
done
