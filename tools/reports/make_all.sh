#!/usr/bin/env bash
# Regenerates every generated table and plot of the reports in docs/ and the two tables of README.md from the
# data committed in experiments/ (and Tests/Fixtures/). Nothing is run or sampled: it takes seconds. The runs
# behind the data are made by the scripts each report names (tools/reports/*_runs.sh, *_report.sh,
# tools/bench/*); run one of them first to refresh its data, then this.
#   bash tools/reports/make_all.sh
# Each table sits between `<!-- NAME:start -->` and `<!-- NAME:end -->` in its document
# (tools/reports/embed.py replaces only what is between them; the prose around is written by hand).
set -euo pipefail
cd "$(dirname "$0")/../.."
R=tools/reports
embed() { python3 $R/embed.py "$1" "$2"; }   # DOC NAME, the text on standard input
fenced() { echo '```'; cat "$@"; echo '```'; }

# README.md: one performance table, one search-quality table.
python3 $R/performance_report.py readme | embed README.md readme-performance
python3 $R/verifier_report.py --summary | embed README.md readme-search-quality

# docs/performance.md
for region in bench avx2 serve search; do
    python3 $R/performance_report.py $region | embed docs/performance.md perf-$region
done

# docs/correctness.md
python3 $R/correctness_report.py perplexity | embed docs/correctness.md correctness-perplexity
python3 $R/correctness_report.py fixtures | embed docs/correctness.md correctness-fixtures

# docs/search-strategies.md (runs: tools/reports/search_report.sh)
python3 $R/search_report.py experiments/search-strategies/runs 200 50 | embed docs/search-strategies.md search-report

# docs/verifiers.md (runs: tools/reports/verifier_runs.sh)
python3 $R/verifier_report.py --summary | embed docs/verifiers.md verifier-summary
python3 $R/verifier_report.py | embed docs/verifiers.md verifier-tables
A=experiments/verifiers/adaptive-choice
{ echo '```'; sed -n '1,2p' $A/adaptive-vote-choice.txt; awk 'NR > 2 && $3 == "0"' $A/adaptive-vote-choice.txt
  grep '^chosen' $A/adaptive-vote-choice.txt; echo '```'; } | embed docs/verifiers.md verifier-adaptive-choice
grep -E '^(==|A - B)' $A/adaptive-vote-runs.txt | fenced | embed docs/verifiers.md verifier-adaptive-runs
fenced experiments/verifiers/confidence/replay.txt | embed docs/verifiers.md verifier-confidence
fenced experiments/verifiers/answer-level/replay.txt | embed docs/verifiers.md verifier-answer-level

# docs/scaling.md (runs: tools/reports/auto_table_head.sh, tools/reports/scaling_report.sh); plots go to docs/
DOCS=docs python3 $R/scaling_report_head.py | embed docs/scaling.md scaling-head
fenced experiments/scaling/head-auto-table.txt | embed docs/scaling.md scaling-head-table
python3 $R/scaling_report.py experiments/search-strategies/runs 50 docs experiments/scaling/checker-auto-table.txt \
    | embed docs/scaling.md scaling-checker
python3 $R/scaling_report.py experiments/scaling/singleop 30 docs - singleop "MAWPS SingleOp (\`data/singleop.jsonl\`)" \
    | embed docs/scaling.md scaling-singleop

# docs/prms.md (runs: banyan train-prm as named there, tools/reports/prm_labels_report.sh)
for region in final-layer labels layers more-chains word-head addsub; do
    python3 $R/prms_report.py $region | embed docs/prms.md prm-$region
done

# docs/kv-forking.md (banyan kv --json; tools/reports/search_report.sh; tools/reports/token_prm_report.sh)
for region in kv no-fork token-prm; do
    python3 $R/kv_report.py $region | embed docs/kv-forking.md kv-$region
done
echo "make_all: README.md and docs/*.md regenerated" >&2
