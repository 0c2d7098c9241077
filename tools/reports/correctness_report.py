#!/usr/bin/env python3
"""The correctness report's figures: perplexity against llama.cpp's, and what the llama.cpp and gguf-py
references in Tests/Fixtures hold.

    python3 tools/reports/correctness_report.py REGION      (REGION: perplexity | fixtures)

perplexity reads experiments/correctness/perplexity-{llama,exact}.json (`banyan perplexity --json`, the
commands are in experiments/correctness/perplexity.host.txt) and llama.cpp's figure for the same file and
context from Tests/Fixtures/README.md. fixtures counts the reference cases the tests compare against.
"""
import json
import re
import sys

EXP = "experiments/correctness"
FIX = "Tests/Fixtures"


def llama_cpp_perplexity():
    text = open(f"{FIX}/README.md", encoding="utf-8").read()
    m = re.search(r"llama-perplexity -c (\d+)`: ([\d.]+)", text)
    if not m:
        sys.exit("correctness_report: Tests/Fixtures/README.md names no llama-perplexity figure")
    return int(m.group(1)), float(m.group(2))


def perplexity():
    ctx, reference = llama_cpp_perplexity()
    rows = ["| numerics | `banyan perplexity` | llama.cpp `llama-perplexity -c %d` | difference |" % ctx, "|---|---|---|---|"]
    for name, label in [("llama", "`--numerics llama` (default: 8-bit activations, f16 KV, as llama.cpp's CPU backend)"),
                        ("exact", "`--numerics exact` (f32 throughout)")]:
        r = json.load(open(f"{EXP}/perplexity-{name}.json"))
        assert r["ctx"] == ctx, f"perplexity-{name}.json has ctx {r['ctx']}, llama.cpp's figure {ctx}"
        rows.append(f"| {label} | {r['perplexity']:.4f} | {reference:.4f} | {100 * (r['perplexity'] / reference - 1):+.2f}% |")
    r = json.load(open(f"{EXP}/perplexity-llama.json"))
    rows.append(f"\n`/usr/share/common-licenses/Apache-2.0`, {r['tokens']:,} tokens in {r['chunks']} chunks of {ctx}, "
                f"{r['scored_tokens']:,} scored (the second half of each chunk, llama.cpp's protocol).")
    print("\n".join(rows))


def fixtures():
    tok = json.load(open(f"{FIX}/tokenizer_public.json"))
    greedy = json.load(open(f"{FIX}/greedy_public.json"))
    golden = json.load(open(f"{FIX}/dequant-golden.json"))
    types = golden["types"]
    names = [t["name"] for t in (types.values() if isinstance(types, dict) else types)]
    values = sum(len(t["values"]) for t in (types.values() if isinstance(types, dict) else types))
    print("| reference | made by | cases |")
    print("|---|---|---|")
    print(f"| `Tests/Fixtures/tokenizer_public.json` | `llama-tokenize --ids` | {len(tok)} strings and their ids |")
    print(f"| `Tests/Fixtures/greedy_public.json` | llama.cpp, `--temp 0` | {len(greedy)} prompts and the first {greedy[0]['max_tokens']} tokens of llama.cpp's greedy continuation |")
    print(f"| `Tests/Fixtures/dequant-golden.json` | {golden['source']} | "
          f"{values:,} values of {', '.join(names)} |")


if __name__ == "__main__":
    region = sys.argv[1] if len(sys.argv) == 2 else None
    {"perplexity": perplexity, "fixtures": fixtures}.get(region, lambda: sys.exit(__doc__))()
