#!/usr/bin/env bash
# Builds llama.cpp tools outside the repository, for side-by-side comparisons only: from the source that
# PyPI's llama-cpp-python sdist carries (vendor/llama.cpp), into $BANYAN_CACHE/llama.cpp (default
# ~/.cache/banyan/llama.cpp). None of its code enters this repository. Prints the directory of the binaries.
#
#   bash tools/bench/llamacpp_build.sh llama-bench llama-batched-bench llama-server …
#
# LLAMACPP_CPU=avx2 builds instead for AVX2 without AVX-512 or VNNI (GGML_NATIVE=OFF, ggml's default x86-64
# set: AVX, AVX2, FMA, F16C, BMI2), into build-avx2: what a Zen 3 host gets, to compare on the same footing
# with Banyan's AVX2 path (BANYAN_TARGET_CPU=haswell).
set -euo pipefail
cache=${BANYAN_CACHE:-$HOME/.cache/banyan}
version=0.3.36
src="$cache/llama.cpp/llama_cpp_python-$version/vendor/llama.cpp"
case ${LLAMACPP_CPU:-native} in
    native) build="$cache/llama.cpp/build"; flags=(-DGGML_NATIVE=ON) ;;
    avx2) build="$cache/llama.cpp/build-avx2"; flags=(-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF) ;;
    *) echo "llamacpp: LLAMACPP_CPU is native or avx2, not $LLAMACPP_CPU" >&2; exit 2 ;;
esac
missing=()
for t in "$@"; do [ -x "$build/bin/$t" ] || missing+=("$t"); done
if ((${#missing[@]})); then
    mkdir -p "$cache/llama.cpp"
    command -v cmake >/dev/null || python3 -m pip install --quiet cmake >&2
    if [ ! -d "$src" ]; then
        echo "llamacpp: downloading llama-cpp-python $version (source) from PyPI" >&2
        python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python -d "$cache/llama.cpp" "llama-cpp-python==$version" >&2
        tar -xzf "$cache/llama.cpp/llama_cpp_python-$version.tar.gz" -C "$cache/llama.cpp"
    fi
    echo "llamacpp: building ${missing[*]} (${flags[*]}; several minutes on 2 cores)" >&2
    cmake -S "$src" -B "$build" "${flags[@]}" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" --target "${missing[@]}" >/dev/null
fi
echo "$build/bin"
