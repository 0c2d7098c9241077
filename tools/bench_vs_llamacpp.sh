#!/usr/bin/env bash
# Side-by-side throughput of Banyan and llama.cpp on this machine, in one run, as ratios.
#
# llama.cpp is built outside the repository from the source that PyPI's llama-cpp-python sdist carries
# (vendor/llama.cpp), into $BANYAN_CACHE/llama.cpp (default ~/.cache/banyan/llama.cpp); none of its code
# enters this repository. The first run downloads and builds it (about 10 minutes on 2 cores).
#
#   bash tools/bench_vs_llamacpp.sh [THREADS] [ROUNDS]
#
# Each round runs llama-bench (pp512, tg128), llama-batched -np 16, banyan bench, in turn, so both
# see the same machine state; medians over rounds are compared.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
rounds=${2:-3}
cache=${BANYAN_CACHE:-$HOME/.cache/banyan}
version=0.3.36
src="$cache/llama.cpp/llama_cpp_python-$version/vendor/llama.cpp"
build="$cache/llama.cpp/build"
model=$(.build/release/banyan fetch-model 2>/dev/null | tail -1)
[ -f "$model" ] || { echo "bench: cannot find the default model (run tools/setup.sh)" >&2; exit 1; }

if [ ! -x "$build/bin/llama-bench" ] || [ ! -x "$build/bin/llama-batched" ]; then
    mkdir -p "$cache/llama.cpp"
    command -v cmake >/dev/null || python3 -m pip install --quiet cmake
    if [ ! -d "$src" ]; then
        echo "bench: downloading llama-cpp-python $version (source) from PyPI" >&2
        python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python -d "$cache/llama.cpp" "llama-cpp-python==$version"
        tar -xzf "$cache/llama.cpp/llama_cpp_python-$version.tar.gz" -C "$cache/llama.cpp"
    fi
    echo "bench: building llama-bench and llama-batched (GGML_NATIVE=ON)" >&2
    cmake -S "$src" -B "$build" -DGGML_NATIVE=ON -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" --target llama-bench llama-batched >/dev/null
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -a lpp ltg lnp bpp btg bnp
for r in $(seq "$rounds"); do
    echo "bench: round $r/$rounds" >&2
    out=$("$build/bin/llama-bench" -m "$model" -t "$threads" -p 512 -n 128 -r 1 -o csv 2>/dev/null)
    lpp+=("$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"512","0"/ {gsub(/"/,""); print $(NF-1)}' | head -1)")
    ltg+=("$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"0","128"/ {gsub(/"/,""); print $(NF-1)}' | head -1)")
    lnp+=("$("$build/bin/llama-batched" -m "$model" -p "Once upon a time, in a small town by the sea, there lived" \
        -np 16 -n 128 -t "$threads" -kvu 2>&1 | sed -n 's/.*speed: \([0-9.]*\) t\/s.*/\1/p' | tail -1)")
    json=$(.build/release/banyan bench --threads "$threads" --repeats 1 --json 2>/dev/null)
    bpp+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prefill_tok_s"])')")
    btg+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["decode_tok_s"])')")
    bnp+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["parallel_tok_s"])')")
done
row() {
    local name=$1 l b
    l=$(printf '%s\n' "${@:2:$rounds}" | median)
    b=$(printf '%s\n' "${@:$((rounds + 2))}" | median)
    printf '%-34s %10.1f %10.1f %8.2f×\n' "$name" "$l" "$b" "$(python3 -c "print($b / $l)")"
}
printf '\n%d threads, median of %d rounds\n%-34s %10s %10s %9s\n' "$threads" "$rounds" "" "llama.cpp" "banyan" "ratio"
row "prompt processing, 512 (tok/s)" "${lpp[@]}" "${bpp[@]}"
row "generation, 128 (tok/s)" "${ltg[@]}" "${btg[@]}"
row "16 sequences in parallel (tok/s)" "${lnp[@]}" "${bnp[@]}"
