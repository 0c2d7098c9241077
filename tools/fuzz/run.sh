#!/usr/bin/env bash
# Coverage-guided fuzzing of the GGUF and safetensors readers with libFuzzer and AddressSanitizer.
#   bash tools/fuzz/run.sh [SECONDS]        (default 60)
# Seeds: a small GGUF and a small safetensors file written here, plus the first 64 KiB of the
# default model if it is in the cache. Findings land in .build/fuzz/ as crash-* files.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=.build/fuzz
mkdir -p "$out/corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name BanyanWeights -package-name Banyan \
    tools/fuzz/FuzzReaders.swift $(find Sources/BanyanWeights -name '*.swift') -o "$out/fuzz-readers"
model="${BANYAN_MODEL:-$HOME/.cache/banyan/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$model" ] && head -c 65536 "$model" > "$out/corpus/model-head.gguf"
python3 - "$out/corpus" <<'PY'
import json, struct, sys
d = sys.argv[1]
h = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
h += b" " * ((8 - len(h) % 8) % 8)
open(d + "/small.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * 8)
g = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 4) + b"name" + struct.pack("<I", 8)
g += struct.pack("<Q", 3) + b"abc" + struct.pack("<Q", 1) + b"t" + struct.pack("<IQIQ", 1, 4, 0, 0)
g += b"\0" * ((32 - len(g) % 32) % 32) + b"\0" * 16
open(d + "/small.gguf", "wb").write(g)
PY
cd "$out" && ./fuzz-readers -max_total_time="$seconds" -rss_limit_mb=4096 corpus
