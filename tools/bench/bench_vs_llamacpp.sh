#!/usr/bin/env bash
# Side-by-side throughput of Banyan and llama.cpp on this machine, in one run, as ratios of medians.
#
#   bash tools/bench/bench_vs_llamacpp.sh [THREADS…] [-- ROUNDS]      e.g. bash tools/bench/bench_vs_llamacpp.sh 2 1 -- 3
#
# llama.cpp is built outside the repository by tools/bench/llamacpp_build.sh (none of its code enters this repo).
# Each round runs, in turn and never at once: llama-bench (pp512, tg128), llama-batched-bench -npp 512
# -ntg 128 -npl 16 -pps -kvu (16 sequences sharing one 512-token prompt, 128 tokens each: its S_TG is the
# generation rate), and banyan bench (the same three workloads). Prints the host CPU and the kernel path
# Banyan was built with.
#
# KERNELS=avx2 compares the AVX2 paths instead (what a Zen 3 host runs): llama.cpp built without AVX-512 or
# VNNI (LLAMACPP_CPU=avx2 tools/bench/llamacpp_build.sh) against Banyan built with BANYAN_TARGET_CPU=haswell in
# .build-avx2.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=(); rounds=3
while (($#)); do
    if [ "$1" = "--" ]; then rounds=$2; break; fi
    threads+=("$1"); shift
done
((${#threads[@]})) || threads=(2 1)
case ${KERNELS:-native} in
    native) banyan=.build/release/banyan
        [ -x "$banyan" ] || swift build -c release --product banyan >&2 ;;
    avx2) banyan=.build-avx2/release/banyan
        BANYAN_TARGET_CPU=haswell swift build -c release --scratch-path .build-avx2 --product banyan >&2 ;;
    *) echo "bench: KERNELS is native or avx2, not $KERNELS" >&2; exit 2 ;;
esac
bin=$(LLAMACPP_CPU=${KERNELS:-native} bash tools/bench/llamacpp_build.sh llama-bench llama-batched-bench)
model=$($banyan fetch-model 2>/dev/null | tail -1)
[ -f "$model" ] || { echo "bench: cannot find the default model (run tools/setup.sh)" >&2; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
if command -v objdump >/dev/null && [ -f "$bin/libggml-cpu.so" ]; then
    echo "llama.cpp ($bin): $(objdump -d "$bin/libggml-cpu.so" | grep -c vpdpbusd) vpdpbusd and $(objdump -d "$bin/libggml-cpu.so" | grep -c zmm) zmm instructions in libggml-cpu"
fi
$banyan bench --prompt-tokens 8 --gen-tokens 2 --parallel 0 --repeats 1 --json 2>/dev/null | python3 -c 'import json,sys; print("banyan kernel path:", json.load(sys.stdin)["kernels"])'
for t in "${threads[@]}"; do
    lpp=(); ltg=(); lnp=(); bpp=(); btg=(); bnp=()
    for r in $(seq "$rounds"); do
        echo "bench: $t thread(s), round $r/$rounds" >&2
        out=$("$bin/llama-bench" -m "$model" -t "$t" -p 512 -n 128 -r 1 -o csv 2>/dev/null)
        lpp+=("$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"512","0"/ {gsub(/"/,""); print $(NF-1)}' | head -1)")
        ltg+=("$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"0","128"/ {gsub(/"/,""); print $(NF-1)}' | head -1)")
        # The table row: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |
        lnp+=("$("$bin/llama-batched-bench" -m "$model" -t "$t" -c 4096 -b 2048 -ub 512 -npp 512 -ntg 128 -npl 16 -pps -kvu 2>/dev/null \
            | awk -F'|' '$2 ~ /512/ && $4 ~ /16/ {gsub(/ /,"",$9); print $9}' | tail -1)")
        json=$($banyan bench --threads "$t" --repeats 1 --parallel 16 --json 2>/dev/null)
        bpp+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prefill_tok_s"])')")
        btg+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["decode_tok_s"])')")
        bnp+=("$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["parallel_tok_s"])')")
    done
    row() {
        local name=$1 l b
        l=$(printf '%s\n' "${@:2:$rounds}" | median)
        b=$(printf '%s\n' "${@:$((rounds + 2))}" | median)
        printf '%-44s %10.1f %10.1f %8.2f×\n' "$name" "$l" "$b" "$(python3 -c "print($b / $l)")"
    }
    printf '\n%d thread(s), median of %d rounds\n%-44s %10s %10s %9s\n' "$t" "$rounds" "" "llama.cpp" "banyan" "ratio"
    row "prompt processing, pp512 (tok/s)" "${lpp[@]}" "${bpp[@]}"
    row "generation, tg128 (tok/s)" "${ltg[@]}" "${btg[@]}"
    row "16 sequences from one 512 prompt (gen tok/s)" "${lnp[@]}" "${bnp[@]}"
done
