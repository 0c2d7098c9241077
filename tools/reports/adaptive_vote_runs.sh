#!/usr/bin/env bash
# Weighted adaptive voting with `provenance` on the held-out word problems (the first 200 of MAWPS SingleOp
# and SingleEq), against majority@16 and weighted@16 on the same samples (the Best-of-16 provenance runs of
# tools/reports/verifier_runs.sh, same seeds). The settings come from training problems:
# tools/reports/adaptive_vote_choice.py (its output: experiments/verifiers/adaptive-choice/adaptive-vote-choice.txt).
#   bash tools/reports/adaptive_vote_runs.sh CONFIDENCE N [SAMPLES_PER_ROUND]     e.g. 0.8 10 2
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${BANYAN:-.build/release/banyan}
R=${RESULTS:-experiments/verifiers/runs}
BASE=${BASE:-experiments/verifiers/runs}
c=${1:?confidence}; n=${2:?N}; round=${3:-2}
mkdir -p "$R"
for set in singleop singleeq; do
    name="$set-adaptive-weighted-provenance-c$c-n$n"
    echo "== $name" >&2
    "$B" eval --out "$R/$name.jsonl" --json --batch 32 --dataset "data/$set.jsonl" --limit 200 --strategy adaptive \
        --vote weighted --prm provenance --n "$n" --confidence "$c" --samples-per-round "$round" 2>"$R/$name.log" | tail -1 > "$R/$name.summary.json"
    python3 tools/reports/paired_compare.py "$R/$name.jsonl:weighted" "$BASE/$set-bon16-provenance.jsonl:majority@16"
    python3 tools/reports/paired_compare.py "$R/$name.jsonl:weighted" "$BASE/$set-bon16-provenance.jsonl:weighted@16"
done
