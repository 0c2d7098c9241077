#!/usr/bin/env bash
# Search with the shipped PRM head on the held-out chains (after tools/search_report.sh), then rewrites
# docs/search-report.md with the head's rows. Usage: tools/prm_report.sh [TABLE_PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
N_TABLE=${1:-100}
BANYAN=${BANYAN:-.build/release/banyan}
DATA="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
OUT=results/search
mkdir -p "$OUT" docs
[ -x "$BANYAN" ] || swift build -c release --product banyan
run() { # name limit args…
  local name=$1 limit=$2; shift 2
  echo "== $name ($limit problems): banyan eval --dataset $DATA --limit $limit $*" >&2
  "$BANYAN" eval --dataset "$DATA" --limit "$limit" --batch 8 --out "$OUT/$name.jsonl" "$@" > /dev/null
}
run bon-head "$N_TABLE" --strategy best-of-n --n 16 --prm head --aggregate min
run beam4-head "$N_TABLE" --strategy beam --n 4 --prm head --aggregate min
run dvts4-head "$N_TABLE" --strategy dvts --n 4 --prm head --aggregate min
python3 tools/search_report.py "$OUT" 200 "$N_TABLE" > docs/search-report.md
cat docs/search-report.md
