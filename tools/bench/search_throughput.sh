#!/usr/bin/env bash
# Search throughput: beam search N=16 (M=4, the checker) over a batch of held-out chains, as `banyan eval`
# runs it, in decoded tokens per second of wall time (medians of ROUNDS). Give several binaries to compare
# builds side by side in one run (e.g. one built from an older commit with --scratch-path):
#
#   bash tools/bench/search_throughput.sh [-- ROUNDS] [BANYAN…]        (default: .build/release/banyan, 3 rounds)
#
# Run nothing else meanwhile: it is a speed measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3
if [ "${1:-}" = "--" ]; then rounds=$2; shift 2; fi
bins=("$@"); ((${#bins[@]})) || bins=(.build/release/banyan)
problems=${PROBLEMS:-32}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for bin in "${bins[@]}"; do
    rates=()
    for r in $(seq "$rounds"); do
        "$bin" eval --dataset "arith:operands=3,digits=1,ops=+-,count=200,seed=7" --limit "$problems" --batch "$problems" \
            --strategy beam --n 16 --beam-width 4 --prm checker --threads 2 --out "$out/run-$r.jsonl" --json 2>/dev/null | tail -1 > "$out/summary.json"
        rates+=("$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tokens_decoded"] / d["seconds"])' "$out/summary.json")")
        tokens=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_decoded"])' "$out/summary.json")
        rm -f "$out/run-$r.jsonl"
    done
    median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    printf '%s: beam N=16 over %d problems in one batch: %.1f decoded tok/s (median of %d; %s tokens per run)\n' "$bin" "$problems" "$median" "$rounds" "$tokens"
done
