#!/usr/bin/env bash
# Search with the shipped PRM head on the held-out chains (after tools/search_report.sh), then rewrites
# docs/search-report.md with the head's rows. Usage: tools/prm_report.sh [TABLE_PROBLEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
N_TABLE=${1:-100}
source tools/eval_runs.sh
run bon-head "$N_TABLE" --strategy best-of-n --n 16 --prm head --aggregate min
run beam4-head "$N_TABLE" --strategy beam --n 4 --prm head --aggregate min
run dvts4-head "$N_TABLE" --strategy dvts --n 4 --prm head --aggregate min
python3 tools/search_report.py "$OUT" 200 "$N_TABLE" > docs/search-report.md
cat docs/search-report.md
