#!/usr/bin/env python3
"""The performance tables, from the side-by-side outputs committed in experiments/performance/.

    python3 tools/reports/performance_report.py REGION [DIR]      (DIR: experiments/performance)

REGION is one of
  readme   the one table the README shows: host path, 2 and 1 threads, against llama.cpp
  bench    the same table with the host and kernel path named
  avx2     the AVX2 paths side by side (llama.cpp built without AVX-512/VNNI, banyan with BANYAN_TARGET_CPU=haswell)
  serve    banyan serve against llama-server --parallel 16
  search   search throughput (beam search N=16 over a batch of held-out chains)

The inputs are what the scripts print: tools/bench/bench_vs_llamacpp.sh (bench-native.txt, its 1-thread run
bench-native-1thread.txt, KERNELS=avx2 bench-avx2.txt), tools/bench/serve_vs_llamacpp.sh
(serve-vs-llamacpp.txt) and tools/bench/search_throughput.sh (search-throughput.txt). Each file's first line
is the command that wrote it.
"""
import os
import re
import sys

WORKLOADS = [("prompt processing", "prompt processing, pp512"), ("generation", "generation, tg128"),
             ("16 sequences", "16 sequences from one 512-token prompt (generation)")]


def read(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        sys.exit(f"performance_report: missing {path}")
    return open(path, encoding="utf-8").read().splitlines()


def bench(lines):
    """{threads: {workload: (llama.cpp, banyan, ratio)}}, the command, the host and the kernel path."""
    out, threads = {}, None
    host = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("host:")), None)
    kernels = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("banyan kernel path:")), None)
    for line in lines:
        m = re.match(r"(\d+) thread\(s\), median of (\d+) rounds", line)
        if m:
            threads = int(m.group(1))
            out[threads] = {"rounds": int(m.group(2))}
            continue
        for key, _ in WORKLOADS:
            if threads is not None and line.startswith(key):
                nums = re.findall(r"(\d+\.\d+)", line)
                out[threads][key] = tuple(float(x) for x in nums[-3:])
    return out, lines[0].strip(), host, kernels


def side_by_side(tables):
    """One Markdown table: a row per workload, a column group per thread count."""
    threads = sorted(tables, reverse=True)
    head = "| workload | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}: llama.cpp | Banyan | ratio" for t in threads) + " |"
    rows = [head, "|---|" + "---|---|---|" * len(threads)]
    for key, label in WORKLOADS:
        cells = []
        for t in threads:
            l, b, r = tables[t][key]
            cells.append(f"{l:.1f} tok/s | {b:.1f} tok/s | **{r:.2f}×**")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def native(directory):
    two, cmd2, host, kernels = bench(read(directory, "bench-native.txt"))
    one, cmd1, _, _ = bench(read(directory, "bench-native-1thread.txt"))
    return {**two, **one}, [cmd2, cmd1.split("   ")[0]], host, kernels


def main(region, directory):
    if region in ("readme", "bench"):
        tables, commands, host, kernels = native(directory)
        rounds = tables[min(tables)]["rounds"]
        if region == "bench":
            print(f"Host: {host} ({kernels}); default model; median of {rounds} rounds. "
                  f"Commands: `{commands[0]}`, then `{commands[1]}`.\n")
        print(side_by_side(tables))
        if region == "readme":
            print(f"\n{host}, kernel path `{kernels}`, median of {rounds} rounds "
                  f"(`{commands[0]}` and `{commands[1]}`).")
    elif region == "avx2":
        tables, command, host, kernels = bench(read(directory, "bench-avx2.txt"))
        llama = next((l for l in read(directory, "bench-avx2.txt") if l.startswith("llama.cpp (")), "")
        m = re.search(r": (.*) in libggml-cpu", llama)
        print(f"Host: {host}; Banyan `{kernels}`, llama.cpp's CPU library with {m.group(1) if m else '?'}; "
              f"median of {tables[min(tables)]['rounds']} rounds. Command: `{command}`.\n")
        print(side_by_side(tables))
    elif region == "serve":
        lines = read(directory, "serve-vs-llamacpp.txt")
        print(f"{lines[1].removeprefix('host: ')}. Command: `{lines[0]}`.\n")
        print("| streaming clients | llama-server | banyan serve | ratio | time to first token p50 (llama / banyan) | p99 (llama / banyan) | failed |")
        print("|---|---|---|---|---|---|---|")
        for line in lines[3:]:
            c, lt, bt, ratio, p50, p99, failed = line.split()
            print(f"| {c} | {lt} tok/s | {bt} tok/s | {ratio} | {p50.replace('/', ' / ')} s | {p99.replace('/', ' / ')} s | {failed.replace('/', ' / ')} |")
    elif region == "search":
        lines = read(directory, "search-throughput.txt")
        m = re.search(r"over (\d+) problems in one batch: ([\d.]+) decoded tok/s \(median of (\d+); (\d+) tokens per run\)", lines[1])
        print(f"Beam search N=16 (M=4, `--prm checker`) over {m.group(1)} held-out chains in one batch, as `banyan eval` runs it: "
              f"**{m.group(2)} decoded tok/s** (median of {m.group(3)} runs, {int(m.group(4)):,} tokens decoded per run; "
              f"`{lines[0]}`).")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "experiments/performance")
