#!/usr/bin/env python3
"""The KV-forking report's tables, from committed measurements.

    python3 tools/reports/kv_report.py REGION

REGION      reads
  kv        experiments/kv-forking/kv.json (`banyan kv --json`; host in experiments/kv-forking/kv.host.txt)
  no-fork   experiments/search-strategies/runs/beam16-checker{,-nofork}.jsonl (tools/reports/search_report.sh):
            beam search N=16 forked against re-prefilling every branch, on the same problems
  token-prm experiments/kv-forking/token-prm/FORMAT-{forked,reencode}.{log,jsonl} (tools/reports/token_prm_report.sh)
"""
import json
import os
import re
import sys

K = "experiments/kv-forking"
MiB = 1024 * 1024


def kv():
    d = json.load(open(f"{K}/kv.json"))
    host = open(f"{K}/kv.host.txt", encoding="utf-8").read().splitlines()[1].removeprefix("host: ")
    print(f"{host}. {d['prompt_tokens']}-token prompt, {d['forks']} forks, {d['gen_tokens']} tokens each, "
          f"{d['kv_type']} pages of {d['page_size']} tokens (`banyan kv --json`).\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| fork of the {d['prompt_tokens']}-token sequence | {d['fork_us_median']:.2f} µs median, {d['fork_bytes_copied']} KV bytes copied |")
    print("| fork against length | " + ", ".join(f"{c['pages']} pages {c['us_median']:.2f} µs" for c in d["fork_cost"]) + " |")
    print(f"| KV right after forking into {d['forks']} | {d['kv_bytes_after_fork'] / MiB:.1f} MiB physical vs "
          f"{d['kv_bytes_independent_after_fork'] / MiB:.1f} MiB as {d['forks']} copies (1/{d['kv_bytes_independent_after_fork'] / d['kv_bytes_after_fork']:.0f}) |")
    print(f"| KV after {d['gen_tokens']} tokens each | {d['kv_bytes_shared_run'] / MiB:.1f} MiB peak physical vs "
          f"{d['kv_bytes_independent'] / MiB:.1f} MiB as {d['forks']} copies (1/{d['sharing_ratio_end']:.1f}) |")
    print(f"| copy-on-write copies of a shared, partly filled last page | {d['cow_copies']} ({d['cow_bytes'] / 1024:.0f} KiB) |")
    print(f"| {d['forks']} forks sampled together | {d['parallel_tok_s']:.0f} tok/s |")
    print(f"| attention per {d['forks']}-way decode step at {d['prompt_tokens']} + 64 tokens | per-sequence {d['attention_ms_per_sequence']:.1f} ms, "
          f"shared-prefix {d['attention_ms_shared_prefix']:.1f} ms ({d['attention_speedup']:.2f}×) |")
    print(f"| whole decode step, same | per-sequence {d['step_ms_per_sequence']:.1f} ms, shared-prefix {d['step_ms_shared_prefix']:.1f} ms "
          f"({d['step_speedup']:.2f}×) |")


def no_fork():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from search_report import load
    runs = "experiments/search-strategies/runs"
    plain = load(runs, "beam16-checker-nofork", 10 ** 9)
    ids = {r["id"] for r in plain}
    forked = [r for r in load(runs, "beam16-checker", 10 ** 9) if r["id"] in ids]
    same = all(a["answers"] == b["answers"] and a["scores"] == b["scores"] for a, b in zip(forked, plain))
    total = lambda rs, k: sum(r[k] for r in rs)
    fp, pp = total(forked, "tokensPrefilled"), total(plain, "tokensPrefilled")
    print(f"Beam search N=16, M=4, `--prm checker`, on the first {len(plain)} held-out chains, one batch each way:\n")
    print("| | forked | `--no-fork` |")
    print("|---|---|---|")
    print(f"| prompt tokens prefilled | {fp:,} | {pp:,} ({pp / fp:.1f}×) |")
    print(f"| tokens decoded | {total(forked, 'tokensDecoded'):,} | {total(plain, 'tokensDecoded'):,} |")
    print(f"| peak KV of a problem | {max(r['peakKVBytes'] for r in forked) / MiB:.1f} MiB | {max(r['peakKVBytes'] for r in plain) / MiB:.1f} MiB |"
          if all("peakKVBytes" in r for r in forked + plain) else "| peak KV | | |")
    print(f"| seconds | {total(forked, 'seconds'):.1f} | {total(plain, 'seconds'):.1f} |")
    print(f"| same solutions and scores on every problem | {'yes' if same else 'NO'} | |")


LINE = re.compile(r"token PRM: (\d+) steps scored \((\d+) repeats free\), (\d+) tokens computed \(([\d.]+) per step; "
                  r"the steps' own: (\d+)\), re-encoding each prefix: (\d+) tokens \(([\d.]+)×\), ([\d.]+) s")


def token_prm():
    print("| DVTS N=16, 8 problems | PRM tokens computed | per scored step | PRM seconds | scores and answers |")
    print("|---|---|---|---|---|")
    counts = []
    for fmt in ("rlhflow", "math-shepherd"):
        parsed = {}
        for mode in ("forked", "reencode"):
            text = open(f"{K}/token-prm/{fmt}-{mode}.log", encoding="utf-8").read()
            m = LINE.search(text)
            if not m:
                sys.exit(f"kv_report: no token PRM line in {fmt}-{mode}.log")
            parsed[mode] = m
        runs = {mode: [json.loads(l) for l in open(f"{K}/token-prm/{fmt}-{mode}.jsonl") if l.strip()] for mode in parsed}
        same = all(a["answers"] == b["answers"] and a["scores"] == b["scores"] for a, b in zip(runs["forked"], runs["reencode"]))
        f, r = parsed["forked"], parsed["reencode"]
        own = int(f.group(5)) / int(f.group(1))
        print(f"| {fmt}, forked | {int(f.group(3)):,} | {f.group(4)} (the steps' own: {own:.1f}) | {f.group(8)} | "
              f"{'identical' if same else 'DIFFERENT'} |")
        print(f"| {fmt}, re-encode | {int(r.group(3)):,} ({int(r.group(3)) / int(f.group(3)):.1f}×) | {r.group(4)} | "
              f"{r.group(8)} ({float(r.group(8)) / float(f.group(8)):.1f}×) | |")
        counts.append(f"{fmt} {f.group(1)} distinct steps scored and {f.group(2)} repeats served free")
    print("\nPer run: " + "; ".join(counts) + ".")


if __name__ == "__main__":
    regions = {"kv": kv, "no-fork": no_fork, "token-prm": token_prm}
    if len(sys.argv) != 2 or sys.argv[1] not in regions:
        sys.exit(__doc__)
    regions[sys.argv[1]]()
