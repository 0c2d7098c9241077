"""What the server tests share: the binary, a free loopback port, starting `banyan serve` until /health
answers, and reading /metrics."""
import os
import socket
import subprocess
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BANYAN = os.environ.get("BANYAN", os.path.join(REPO, ".build", "release", "banyan"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, *arguments):
    """(process, base URL, log file) of `banyan serve` on a free port, once /health answers 200."""
    port = free_port()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"banyan-{name}-{port}.log"), "w")
    proc = subprocess.Popen([BANYAN, "serve", "--port", str(port), *arguments], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base, log
        except Exception:
            time.sleep(0.2)
    proc.kill()
    log.close()
    pytest.fail("the server did not become healthy")


def metrics(base):
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and " " in line:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def wait_idle(base, seconds=20, pages=False):
    """The metrics once nothing runs or waits (and, with `pages`, only the prefix cache holds KV pages),
    or as they are after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        m = metrics(base)
        if m.get("banyan_requests_running") == 0 and m.get("banyan_requests_waiting") == 0 \
                and (not pages or m["banyan_kv_pages_used"] == m["banyan_prefix_cache_pages"]):
            return m
        time.sleep(0.1)
    return metrics(base)
