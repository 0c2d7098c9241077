#!/usr/bin/env python3
"""Writes Tests/Fixtures/dequant-golden.json: golden dequantization values for the quantized block types
Banyan computes with, from a reference that is not Banyan's own code.

Source of the expected values: the `gguf` Python package (gguf-py, from the llama.cpp repository,
https://github.com/ggml-org/llama.cpp/tree/master/gguf-py, MIT License, Copyright (c) 2023 Georgi Gerganov),
version 0.19.0 when the fixture was generated: its `gguf.quants.dequantize(data, gguf.GGMLQuantizationType.X)`,
a numpy port of ggml's reference dequantizers. The fixture records the version it was made with.

The input blocks are built here: seeded numpy RNG, random bytes for every quantized payload byte (nibbles,
high bits, packed 6-bit scales, int8 scales), and the fp16 scale fields (d, and m / dmin where the type has
one) overwritten with finite values drawn uniformly from [-0.1, 0.1]. The last block of each type has an
all-0xFF payload (every quant and scale at its maximum pattern) and a subnormal fp16 d (0x03FF), so the
extremes and the fp16 subnormal path are covered too.

Fixture layout, per type: name (ggml's, as GGMLType.name spells it), ggml_type (ggml's id), blocks,
block_size, bytes_per_block, bytes (the raw blocks, lowercase hex), values (the expected f32 values as JSON
numbers: the shortest repr of each value widened to double, so parsing as Double and narrowing to Float
gives the f32 exactly), and bits (the same values' IEEE-754 binary32 patterns, little-endian, lowercase hex:
the exact reference, and the only one that keeps the sign of a zero).

Usage: python3 tools/dev/make_dequant_golden.py   (needs `pip install gguf numpy`)
"""
import importlib.metadata
import json
import os

import numpy as np
import gguf

SEED = 20240611
# (type, blocks, byte offsets of the fp16 scale fields within a block)
TYPES = [
    ("Q4_0", 4, [0]),
    ("Q4_1", 4, [0, 2]),
    ("Q5_0", 4, [0]),
    ("Q5_1", 4, [0, 2]),
    ("Q8_0", 4, [0]),
    ("Q4_K", 2, [0, 2]),
    ("Q5_K", 2, [0, 2]),
    ("Q6_K", 2, [208]),
]
SUBNORMAL_D = 0x03FF  # largest fp16 subnormal, ~6.1e-5


def make_blocks(rng, qtype, n_blocks, scale_offsets):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    raw[-1, :] = 0xFF
    for b in range(n_blocks):
        for k, off in enumerate(scale_offsets):
            if b == n_blocks - 1 and k == 0:
                bits = SUBNORMAL_D
            else:
                bits = int(np.float16(rng.uniform(-0.1, 0.1)).view(np.uint16))
            raw[b, off] = bits & 0xFF
            raw[b, off + 1] = bits >> 8
    for b in range(n_blocks):
        for off in scale_offsets:
            h = raw[b, off:off + 2].copy().view("<f2")[0]
            assert np.isfinite(h), (qtype, b, off)
    return raw, block_size, type_size


def independent_q4_0(raw):
    """ggml's dequantize_row_q4_0, written out from the block layout: fp16 d, then 16 bytes whose low
    nibbles are elements 0-15 and high nibbles elements 16-31, each (nibble - 8) * d."""
    blocks = raw.reshape(-1, 18)
    out = np.empty((blocks.shape[0], 32), dtype=np.float32)
    for b, blk in enumerate(blocks):
        d = np.float32(blk[0:2].copy().view("<f2")[0])
        for j in range(16):
            out[b, j] = np.float32(int(blk[2 + j] & 0x0F) - 8) * d
            out[b, j + 16] = np.float32(int(blk[2 + j] >> 4) - 8) * d
    return out.reshape(-1)


def independent_q8_0(raw):
    """ggml's dequantize_row_q8_0: fp16 d, then 32 int8 quants, each q * d."""
    blocks = raw.reshape(-1, 34)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(-1)


def self_check(doc):
    """Re-reads the fixture as written: values and bits agree bit for bit, and Q4_0 / Q8_0 match an
    independent implementation (not gguf's) bit for bit."""
    for case in doc["types"]:
        bits = np.frombuffer(bytes.fromhex(case["bits"]), dtype="<f4")
        from_numbers = np.array(case["values"], dtype=np.float64).astype(np.float32)
        assert np.array_equal(bits.view(np.uint32), from_numbers.view(np.uint32)), case["name"]
        raw = np.frombuffer(bytes.fromhex(case["bytes"]), dtype=np.uint8)
        assert raw.size == case["blocks"] * case["bytes_per_block"], case["name"]
        mine = {"Q4_0": independent_q4_0, "Q8_0": independent_q8_0}.get(case["name"])
        if mine is not None:
            got = mine(raw)
            assert np.array_equal(got.view(np.uint32), bits.view(np.uint32)), f"{case['name']}: independent dequant differs from gguf"
            print(f"self-check: {case['name']} independent numpy dequant matches gguf bit for bit ({got.size} values)")
    print("self-check: values and bits agree for every type")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    out_path = os.path.join(root, "Tests", "Fixtures", "dequant-golden.json")
    version = importlib.metadata.version("gguf")
    rng = np.random.default_rng(SEED)
    cases = []
    for name, n_blocks, scale_offsets in TYPES:
        qtype = gguf.GGMLQuantizationType[name]
        raw, block_size, type_size = make_blocks(rng, qtype, n_blocks, scale_offsets)
        values = gguf.quants.dequantize(raw.reshape(-1), qtype)
        values = np.asarray(values, dtype=np.float32).reshape(-1)
        assert values.size == n_blocks * block_size, (name, values.size)
        assert np.all(np.isfinite(values)), name
        cases.append({
            "name": name,
            "ggml_type": int(qtype.value),
            "blocks": n_blocks,
            "block_size": block_size,
            "bytes_per_block": type_size,
            "bytes": raw.tobytes().hex(),
            "values": [float(v) for v in values],
            "bits": values.astype("<f4").tobytes().hex(),
        })
    doc = {
        "source": f"gguf-py {version} (llama.cpp, MIT License): gguf.quants.dequantize",
        "generator": "tools/dev/make_dequant_golden.py",
        "seed": SEED,
        "types": cases,
    }
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(out_path) as f:
        self_check(json.load(f))
    print(f"wrote {out_path}: {len(cases)} types, {sum(c['blocks'] * c['block_size'] for c in cases)} values, gguf {version}")


if __name__ == "__main__":
    main()
