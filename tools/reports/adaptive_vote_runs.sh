#!/usr/bin/env bash
# Weighted adaptive voting with `provenance` on the held-out word problems (the first 200 of MAWPS SingleOp
# and SingleEq), against majority@16 on the same samples (session 6's Best-of-16 runs with provenance, same
# seeds; BASE names another directory of such runs, as results/wave13 after the checker learned unit words). The
# settings come from training problems: tools/adaptive_vote_choice.py.
#   bash tools/adaptive_vote_runs.sh CONFIDENCE N
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BANYAN:-.build/release/banyan}
R=${RESULTS:-results/wave12}
BASE=${BASE:-results/wave6}
c=${1:?confidence}; n=${2:?N}
mkdir -p "$R"
for set in singleop singleeq; do
    name="$set-adaptive-weighted-provenance-c$c-n$n"
    echo "== $name" >&2
    "$B" eval --out "$R/$name.jsonl" --json --batch 32 --dataset "data/$set.jsonl" --limit 200 --strategy adaptive \
        --vote weighted --prm provenance --n "$n" --confidence "$c" --wave 2 2>"$R/$name.log" | tail -1 > "$R/$name.summary.json"
    python3 tools/paired_compare.py "$R/$name.jsonl:weighted" "$BASE/$set-bon16-provenance.jsonl:majority@16"
    python3 tools/paired_compare.py "$R/$name.jsonl:weighted" "$BASE/$set-bon16-provenance.jsonl:weighted@16"
done
