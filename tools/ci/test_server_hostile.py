"""`banyan serve` under hostile input, as a hostile client would send it.

Starts the real server ($BANYAN, default the checkout's .build/release/banyan) on a loopback port with
`--parallel 8 --queue 16 --max-body 1048576` and sends: an oversized body, a 200,000-character single-word
prompt, a 1 MB single word to /tokenize, a file path as the search verifier, unknown routes and methods,
unimplemented OpenAI fields, sockets that stop mid-body or send garbage, and a flood of streams past the
queue. Every answer must be OpenAI's error JSON with the right status (never a 5xx other than 503), the
pool and gauges must end idle with /health answering, the same hostile round run twice must leave resident
memory within 5%, and SIGTERM during a long request must end the process within 5 s.
"""
import concurrent.futures
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from served import start, wait_idle

MAX_BODY = 1 << 20
HOSTILE = ("--parallel", "8", "--queue", "16", "--ctx", "2048", "--max-body", str(MAX_BODY))


@pytest.fixture(scope="module")
def server():
    proc, base, log = start("hostile", *HOSTILE)
    yield proc, base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


def call(base, path, body=None, method=None, raw=None, timeout=60):
    """(status, parsed JSON or None, headers, seconds) for one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    t = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            payload, status, headers = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        payload, status, headers = e.read(), e.code, e.headers
    seconds = time.time() - t
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = None
    return status, parsed, headers, seconds


def assert_error(status, parsed, expected):
    assert status == expected, (status, parsed)
    assert isinstance(parsed, dict) and isinstance(parsed.get("error"), dict), f"OpenAI's error JSON: {parsed}"
    assert parsed["error"].get("message"), parsed


def resident_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def raw_socket(base, payload, close_after=True):
    host, port = base.rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(payload)
        if not close_after:
            try:
                return s.recv(4096)
            except socket.timeout:
                return b""
    return b""


def test_oversized_body_is_413_at_once(server):
    _, base = server
    status, parsed, _, seconds = call(base, "/v1/completions", raw=b'{"prompt": "' + b"a" * (MAX_BODY + 10) + b'"}')
    assert_error(status, parsed, 413)
    assert seconds < 5, f"refused in {seconds:.1f} s"


def test_long_single_word_prompt_is_refused_quickly(server):
    _, base = server
    status, parsed, _, seconds = call(base, "/v1/completions", {"prompt": "a" * 200_000, "max_tokens": 4})
    assert_error(status, parsed, 400)
    assert "context" in parsed["error"]["message"], parsed
    assert seconds < 5, f"refused in {seconds:.1f} s"
    status, parsed, _, seconds = call(base, "/v1/chat/completions",
                                      {"messages": [{"role": "user", "content": "x" * 200_000}], "max_tokens": 4})
    assert_error(status, parsed, 400)
    assert seconds < 5, f"refused in {seconds:.1f} s"


def test_a_megabyte_word_tokenizes_in_under_a_second(server):
    _, base = server
    status, parsed, _, seconds = call(base, "/tokenize", {"content": "b" * ((1 << 20) - 64)}, timeout=30)
    assert status == 200 and len(parsed["tokens"]) > 0, status
    assert seconds < 1.5, f"1 MB word through /tokenize in {seconds:.2f} s (HTTP included)"


def test_a_client_cannot_name_a_file(server):
    _, base = server
    for prm in ["head:/etc/passwd", "token:/etc/hostname", "/etc/passwd"]:
        status, parsed, _, _ = call(base, "/v1/completions", {"prompt": "1+1=", "max_tokens": 4,
                                                              "search": {"strategy": "best-of-n", "n": 2, "prm": prm}})
        assert_error(status, parsed, 400)
        assert "head" in parsed["error"]["message"], f"the 400 lists the names a request may use: {parsed}"
        assert "root:" not in json.dumps(parsed)


def test_unknown_routes_methods_and_fields_are_openai_errors(server):
    _, base = server
    status, parsed, _, _ = call(base, "/v1/nothing-here", {"a": 1})
    assert_error(status, parsed, 404)
    status, parsed, headers, _ = call(base, "/v1/completions", method="GET")
    assert_error(status, parsed, 405)
    assert "POST" in (headers.get("Allow") or ""), headers
    status, parsed, _, _ = call(base, "/v1/completions", {"prompt": "hi", "max_tokens": 2, "no_such_field": 1})
    assert_error(status, parsed, 400)
    assert "no_such_field" in parsed["error"]["message"]
    status, parsed, _, _ = call(base, "/v1/completions", raw=b'{"prompt": "hi", "max_tokens": ')
    assert_error(status, parsed, 400)
    status, parsed, _, _ = call(base, "/v1/completions", raw=b"\xff\xfe garbage \x00")
    assert_error(status, parsed, 400)
    for bad in [{"prompt": "x", "max_tokens": -1}, {"prompt": "x", "n": 10_000}, {"prompt": "x", "temperature": "hot"},
                {"prompt": [1, 2, 10**12]}, {"prompt": "x", "logprobs": 1000}, {"prompt": "x", "stop": [1]}]:
        status, parsed, _, _ = call(base, "/v1/completions", bad)
        assert 400 <= status < 500, (bad, status, parsed)
        assert_error(status, parsed, status)


def test_sockets_that_stop_or_lie(server):
    _, base = server
    raw_socket(base, b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"prompt\": \"")
    raw_socket(base, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200))
    raw_socket(base, b"GARBAGE / NOTHTTP\r\n\r\n", close_after=False)
    raw_socket(base, b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n", close_after=False)
    status, _, _, _ = call(base, "/health")
    assert status == 200


def test_a_flood_past_the_queue_is_429_with_retry_after(server):
    _, base = server

    def one(i):
        body = {"prompt": f"Story {i}:", "max_tokens": 48, "stream": True, "temperature": 0}
        status, parsed, headers, _ = call(base, "/v1/completions", body, timeout=180)
        return status, headers.get("Retry-After") if status == 429 else None

    with concurrent.futures.ThreadPoolExecutor(48) as pool:
        results = list(pool.map(one, range(48)))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 429}, sorted(set(statuses))
    assert statuses.count(200) >= 16, "the queued requests are served"
    assert statuses.count(429) >= 1, "past the queue is 429"
    assert all(r for s, r in results if s == 429), "every 429 says when to retry"
    m = wait_idle(base, 30, pages=True)
    assert m["banyan_requests_running"] == 0 and m["banyan_requests_waiting"] == 0
    assert m["banyan_kv_pages_used"] == m["banyan_prefix_cache_pages"], "the pool is back to the prefix cache"


def hostile_round(base):
    call(base, "/v1/completions", raw=b"x" * (MAX_BODY + 1))
    call(base, "/v1/completions", {"prompt": "a b " * 3_000, "max_tokens": 4})
    for i in range(24):
        raw_socket(base, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{\"messages\": [")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: call(base, "/v1/completions", {"prompt": f"Item {i % 7} is", "max_tokens": 8, "n": 2}), range(64)))
    wait_idle(base, 30, pages=True)


def test_two_identical_hostile_rounds_leave_memory_flat(server):
    proc, base = server
    hostile_round(base)  # the first round commits what the server keeps (KV pages, caches)
    first = resident_mib(proc.pid)
    hostile_round(base)
    second = resident_mib(proc.pid)
    print(f"resident memory after round 1: {first:.0f} MiB, after round 2: {second:.0f} MiB")
    assert second <= first * 1.05, f"resident memory grew from {first:.0f} to {second:.0f} MiB"
    assert call(base, "/health")[0] == 200


def test_sigterm_during_long_work_exits_within_five_seconds():
    proc, base, log = start("hostile", *HOSTILE)
    port = int(base.rsplit(":", 1)[1])
    try:
        def busy():
            try:
                call(base, "/v1/completions", {"prompt": "Write a very long story.", "max_tokens": 1500, "stream": True}, timeout=60)
            except Exception:
                pass
        pool = concurrent.futures.ThreadPoolExecutor(4)
        for _ in range(2):
            pool.submit(busy)
        pool.submit(lambda: call(base, "/tokenize", {"content": "d" * (MAX_BODY - 100)}, timeout=60))
        # A client that sends headers and then nothing keeps a connection open.
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
        time.sleep(1.0)
        t = time.time()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        seconds = time.time() - t
        print(f"exited {seconds:.2f} s after SIGTERM")
        assert seconds < 5, f"still running {seconds:.1f} s after SIGTERM"
        stuck.close()
        pool.shutdown(wait=False, cancel_futures=True)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
