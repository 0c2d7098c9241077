#!/usr/bin/env bash
# The kernel and model tests on the second instruction path: AVX2 without VNNI (vpmaddubsw + vpmaddwd, as a
# Zen 3 host builds), in its own build directory, next to the host's path that `swift test` covered. On a host
# without AVX2 there is nothing to add. The engine's bitwise tests and the reference-logit tests run too, so
# both paths are held to llama.cpp's outputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! grep -q " avx2" /proc/cpuinfo; then echo "ci_kernel_paths: no AVX2 on this host; only the portable path exists"; exit 0; fi
BANYAN_TARGET_CPU=haswell BANYAN_EXPECT_KERNELS="avx2 (vpmaddubsw + vpmaddwd)" \
    swift test -c release --scratch-path .build-avx2 --filter "BanyanKernelsTests|BanyanModelTests"
