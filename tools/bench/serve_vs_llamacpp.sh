#!/usr/bin/env bash
# Load benchmark side by side: llama.cpp's llama-server --parallel 16 and banyan serve --parallel 16 on this
# machine, one after the other (never both at once), with tools/bench/serve_bench.py at 1, 4 and 16 concurrent
# streaming clients on loopback. llama-server is built outside the repository (tools/bench/llamacpp_build.sh).
#
#   bash tools/bench/serve_vs_llamacpp.sh [THREADS] [REQUESTS_PER_CLIENT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
requests=${2:-4}
rounds=${3:-1}
bin=$(bash tools/bench/llamacpp_build.sh llama-server)
model=$(.build/release/banyan fetch-model 2>/dev/null | tail -1)
out=$(mktemp -d)
port=18080
wait_healthy() {
    for _ in $(seq 600); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "serve_vs_llamacpp: the server did not come up" >&2
    return 1
}
run() { # name command…
    local name=$1; shift
    "$@" > "$out/$name.log" 2>&1 &
    local pid=$!
    wait_healthy
    python3 tools/bench/serve_bench.py --url "http://127.0.0.1:$port" --clients 1,4,8,16 --requests "$requests" --max-tokens 128 --json > "$out/$name.json"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores" >&2
for r in $(seq "$rounds"); do
    echo "round $r/$rounds: llama-server" >&2
    run "llama-$r" "$bin/llama-server" -m "$model" -t "$threads" --parallel 16 -c $((16 * 2048)) --host 127.0.0.1 --port "$port" -kvu
    echo "round $r/$rounds: banyan serve" >&2
    run "banyan-$r" .build/release/banyan serve --threads "$threads" --parallel 16 --ctx 2048 --port "$port"
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(name):
    return [json.load(open(f"{out}/{name}-{r}.json")) for r in range(1, rounds + 1)]
llama, banyan = load("llama"), load("banyan")
print(f"{'clients':>8} {'llama-server tok/s':>19} {'banyan tok/s':>13} {'ratio':>6}   {'TTFT p50 l/b':>14} {'TTFT p99 l/b':>14}  failures l/b")
for i, row in enumerate(llama[0]):
    med = lambda runs, key: statistics.median(run[i][key] for run in runs)
    lt, bt = med(llama, "tokens_per_second"), med(banyan, "tokens_per_second")
    print(f"{row['clients']:>8} {lt:>19.1f} {bt:>13.1f} {bt / lt:>5.2f}×   {med(llama, 'ttft_p50'):>6.3f}/{med(banyan, 'ttft_p50'):<6.3f} "
          f"{med(llama, 'ttft_p99'):>6.3f}/{med(banyan, 'ttft_p99'):<6.3f}  {sum(r[i]['failures'] for r in llama)}/{sum(r[i]['failures'] for r in banyan)}")
PY
echo "(raw results in $out)" >&2
