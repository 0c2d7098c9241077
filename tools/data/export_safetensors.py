#!/usr/bin/env python3
"""Write a GGUF Llama model as a Hugging Face safetensors checkpoint.

Weights are dequantized to F32 (or F16 with --f16) under their HF names, Q/K rows are put back into
HF's half-split RoPE layout (undoing the GGUF converter's permutation), and config.json,
tokenizer.json and tokenizer_config.json are written beside them.

    python3 tools/data/export_safetensors.py MODEL.gguf OUT_DIR [--f16]

Needs numpy and the `gguf` package (pip install gguf numpy).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    if f.types and f.types[0].name == "STRING":
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    if f.types and f.types[0].name == "ARRAY":
        if f.types[-1].name == "STRING":
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    return f.parts[f.data[0]][0].item()


def hf_name(name):
    fixed = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    if name in fixed:
        return fixed[name]
    _, layer, role = name.split(".", 2)
    role = {"attn_norm.weight": "input_layernorm.weight", "attn_q.weight": "self_attn.q_proj.weight",
            "attn_k.weight": "self_attn.k_proj.weight", "attn_v.weight": "self_attn.v_proj.weight",
            "attn_output.weight": "self_attn.o_proj.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
            "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
            "ffn_down.weight": "mlp.down_proj.weight"}[role]
    return f"model.layers.{layer}.{role}"


def unpermute(w, heads):
    """GGUF row h*d + 2i + j holds HF row h*d + j*(d/2) + i: put rows back in HF order."""
    rows, cols = w.shape
    d = rows // heads
    return w.reshape(heads, d // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, arr in tensors:
        dtype = {np.float32: "F32", np.float16: "F16"}[arr.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    header["__metadata__"] = {"format": "pt"}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * ((8 - len(blob) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for _, arr in tensors:
            f.write(np.ascontiguousarray(arr).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gguf")
    ap.add_argument("out")
    ap.add_argument("--f16", action="store_true", help="store F16 instead of F32")
    args = ap.parse_args()
    r = GGUFReader(args.gguf)
    arch = field(r, "general.architecture")
    if arch != "llama":
        sys.exit(f"{args.gguf}: architecture {arch!r} is not llama")
    heads = field(r, "llama.attention.head_count")
    kv_heads = field(r, "llama.attention.head_count_kv", heads)
    os.makedirs(args.out, exist_ok=True)
    dtype = np.float16 if args.f16 else np.float32
    tensors = []
    for t in r.tensors:
        w = dequantize(t.data, t.tensor_type).astype(np.float32)
        w = w.reshape([int(x) for x in reversed(t.shape)])
        if t.name.endswith("attn_q.weight"):
            w = unpermute(w, heads)
        elif t.name.endswith("attn_k.weight"):
            w = unpermute(w, kv_heads)
        tensors.append((hf_name(t.name), w.astype(dtype)))
        if len(tensors) % 20 == 0 or len(tensors) == len(r.tensors):
            print(f"{len(tensors)}/{len(r.tensors)} tensors", file=sys.stderr)
    tensors.sort(key=lambda x: x[0])
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors)

    tied = not any(t.name == "output.weight" for t in r.tensors)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": field(r, "llama.embedding_length"), "intermediate_size": field(r, "llama.feed_forward_length"),
        "num_hidden_layers": field(r, "llama.block_count"), "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "vocab_size": len(field(r, "tokenizer.ggml.tokens")), "max_position_embeddings": field(r, "llama.context_length"),
        "rms_norm_eps": field(r, "llama.attention.layer_norm_rms_epsilon"), "rope_theta": field(r, "llama.rope.freq_base"),
        "tie_word_embeddings": tied, "bos_token_id": field(r, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": field(r, "tokenizer.ggml.eos_token_id"), "torch_dtype": "float16" if args.f16 else "float32",
    }
    json.dump(config, open(os.path.join(args.out, "config.json"), "w"), indent=2)

    tokens = field(r, "tokenizer.ggml.tokens")
    types = field(r, "tokenizer.ggml.token_type", [1] * len(tokens))
    merges = field(r, "tokenizer.ggml.merges", [])
    pre = field(r, "tokenizer.ggml.pre", "default")
    if field(r, "tokenizer.ggml.model") != "gpt2":
        sys.exit("only byte-level BPE tokenizers are exported")
    pretok = {"type": "ByteLevel", "add_prefix_space": False}
    if pre == "smollm":
        pretok = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, pretok]}
    tokenizer = {
        "version": "1.0",
        "added_tokens": [{"id": i, "content": t, "special": True} for i, t in enumerate(tokens) if types[i] == 3],
        "pre_tokenizer": pretok,
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges},
    }
    json.dump(tokenizer, open(os.path.join(args.out, "tokenizer.json"), "w"), ensure_ascii=False)
    tcfg = {"bos_token": tokens[config["bos_token_id"]], "eos_token": tokens[config["eos_token_id"]],
            "chat_template": field(r, "tokenizer.chat_template")}
    json.dump(tcfg, open(os.path.join(args.out, "tokenizer_config.json"), "w"), ensure_ascii=False, indent=2)
    print(args.out)


if __name__ == "__main__":
    main()
