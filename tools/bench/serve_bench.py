#!/usr/bin/env python3
"""Load benchmark for an OpenAI-compatible completions server (banyan serve, llama-server, vLLM).

    python3 tools/bench/serve_bench.py --url http://127.0.0.1:8080 [--clients 1,4,16] [--requests 4]
                                 [--max-tokens 128] [--json] [--soak SECONDS --soak-clients 8]

For each concurrency level, that many clients on loopback each send --requests streaming completions one
after another (each prompt its own, ~100 tokens; ignore_eos so every server generates exactly
--max-tokens). Reports aggregate generated tokens per second (all clients' tokens over the level's wall
time), time to first token p50/p99, and failures. --soak runs --soak-clients clients for SECONDS (each
request bounded in time) and reports the failures: it must be 0. Only loopback addresses are accepted.
"""
import argparse
import concurrent.futures
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

WORDS = ("tree river cloud stone garden lantern harbor meadow forest island mountain valley orchard bridge "
         "candle window letter journey winter summer").split()


def prompt(i):
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(60)]
    return f"Story {i}: " + " ".join(words) + ". Continue the story:"


def one(url, i, max_tokens, model, timeout=600):
    """One streaming completion; returns (tokens generated, seconds to the first token)."""
    u = urllib.parse.urlparse(url)
    body = {"prompt": prompt(i), "max_tokens": max_tokens, "stream": True, "temperature": 0.8, "seed": i,
            "ignore_eos": True, "stream_options": {"include_usage": True}}
    if model:
        body["model"] = model
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    start = time.perf_counter()
    first, chunks, usage = None, 0, None
    try:
        conn.request("POST", "/v1/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {r.read()[:200]!r}")
        for raw in r:
            line = raw.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if "error" in event:
                raise RuntimeError(event["error"])
            if event.get("usage"):
                usage = event["usage"]
            for ch in event.get("choices", []):
                if ch.get("text"):
                    chunks += 1
                    if first is None:
                        first = time.perf_counter() - start
    finally:
        conn.close()
    tokens = usage["completion_tokens"] if usage else chunks
    return tokens, first if first is not None else time.perf_counter() - start


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))] if xs else float("nan")


def level(url, clients, requests, max_tokens, model):
    results, failures, lock = [], [], threading.Lock()

    def worker(c):
        for k in range(requests):
            try:
                r = one(url, 1000 * clients + c * requests + k, max_tokens, model)
                with lock:
                    results.append(r)
            except Exception as e:  # noqa: BLE001 (counted, reported)
                with lock:
                    failures.append(str(e))

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - start
    tokens = sum(t for t, _ in results)
    ttft = [f for _, f in results]
    return {"clients": clients, "requests": len(results), "failures": len(failures), "first_failure": failures[:1],
            "tokens": tokens, "seconds": wall, "tokens_per_second": tokens / wall if wall else 0,
            "ttft_p50": statistics.median(ttft) if ttft else float("nan"), "ttft_p99": percentile(ttft, 0.99)}


def soak(url, clients, seconds, max_tokens, model):
    end = time.time() + seconds
    done, failures, lock = [0], [], threading.Lock()

    def worker(c):
        i = 0
        while time.time() < end:  # bounded: stops at the deadline; each request is bounded by its timeout
            try:
                one(url, c * 100000 + i, max_tokens, model, timeout=120)
                with lock:
                    done[0] += 1
            except Exception as e:  # noqa: BLE001
                with lock:
                    failures.append(repr(e))
            i += 1

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return {"soak_seconds": seconds, "clients": clients, "requests": done[0], "failures": len(failures), "first_failures": failures[:3]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--clients", default="1,4,16")
    p.add_argument("--requests", type=int, default=4, help="requests per client per level")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--model", default="")
    p.add_argument("--soak", type=float, default=0, help="seconds of soak instead of the levels")
    p.add_argument("--soak-clients", type=int, default=8)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    host = urllib.parse.urlparse(a.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1") and not (host or "").startswith("127."):
        sys.exit("serve_bench: only loopback addresses are benchmarked")
    if a.soak:
        r = soak(a.url, a.soak_clients, a.soak, a.max_tokens, a.model)
        print(json.dumps(r) if a.json else f"soak {r['soak_seconds']:.0f} s, {r['clients']} clients: {r['requests']} requests, {r['failures']} failed {r['first_failures']}")
        sys.exit(1 if r["failures"] else 0)
    rows = [level(a.url, int(c), a.requests, a.max_tokens, a.model) for c in a.clients.split(",")]
    if a.json:
        print(json.dumps(rows))
        return
    print(f"{'clients':>8} {'requests':>9} {'failed':>7} {'tok/s':>9} {'TTFT p50':>9} {'TTFT p99':>9}")
    for r in rows:
        print(f"{r['clients']:>8} {r['requests']:>9} {r['failures']:>7} {r['tokens_per_second']:>9.1f} {r['ttft_p50']:>8.3f}s {r['ttft_p99']:>8.3f}s")


if __name__ == "__main__":
    main()
