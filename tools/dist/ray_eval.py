#!/usr/bin/env python3
"""Fan `banyan eval` out over a Ray cluster, one Ray task per shard, and merge the shards.

    python3 tools/dist/ray_eval.py [--address auto|HOST:PORT|local] --shards N [--out FILE]
                              [--retries 2] [--num-cpus C] [--banyan PATH] -- <banyan eval args>

Shard i runs `banyan eval <args> --shard i/N --out <part> --json` on whichever node Ray puts it. The
task writes its part file on its own node and returns the part's lines, which the driver keeps in
FILE.parts/shard-i.jsonl (a temporary directory without --out), so no shared file system is needed.
A shard whose banyan exits non-zero (or whose task raises) is submitted again, up to --retries times,
with the lines it already had: banyan's --out resume skips those problems. A worker that dies is
restarted by Ray (the task's max_retries, out of the same budget); the restarted task resumes from the
lines the driver had, and from the attempt's own part file when it lands on the same node.

Then the parts are checked (every part's ids distinct, no id in two parts, each part holding exactly the
problems its shard was given, as its banyan reported them) and summarized with
`banyan eval --merge parts… --json <args>`, whose output is printed: the last line is the JSON summary
`banyan eval --json` prints for a single-process run of the same args. With --out, FILE gets every
problem's line, in the problem set's order, as a single-process `--out FILE` would. FILE.parts/ is kept,
so a rerun with the same args and --shards resumes (or only merges).

`--limit K` means the first K problems of the set, as in a single-process run (banyan applies --limit
after --shard, so each shard is given its share of the first K instead). --threads defaults to
--num-cpus when that is a whole number. Relative paths in the args are resolved from the driver's
working directory where the worker can see it; on a multi-node cluster the banyan binary, the data set
file and the model must be at the same paths on every node.

Progress goes to stderr: each shard's start (and host), its problems, retries, and its end with its
count and seconds. --fail-once and --die-once are test hooks (see --help).
"""

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BANYAN = os.path.join(REPO, ".build", "release", "banyan")
# Environment a shard's banyan needs from the driver (workers inherit `ray start`'s environment, not ours).
FORWARDED_ENV = ("BANYAN_MODEL", "BANYAN_CACHE", "XDG_CACHE_HOME")


def log(message):
    print(f"ray_eval: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Arguments

def parse_args(argv):
    if "--" in argv:
        cut = argv.index("--")
        ours, eval_args = argv[:cut], argv[cut + 1:]
    else:
        ours, eval_args = argv, []
    p = argparse.ArgumentParser(
        prog="ray_eval.py",
        description="Run `banyan eval` sharded over a Ray cluster and merge the shards "
                    "(the arguments after -- go to banyan eval).",
        usage="%(prog)s [--address auto|HOST:PORT|local] --shards N [--out FILE] [--retries 2] "
              "[--num-cpus C] [--banyan PATH] -- <banyan eval args>")
    p.add_argument("--address", default="auto",
                   help="auto (the running cluster: $RAY_ADDRESS or the one `ray start` made), HOST:PORT, "
                        "or local (a throwaway local cluster, shut down at the end). Default: auto.")
    p.add_argument("--shards", type=int, required=True, help="Number of shards N (one Ray task each).")
    p.add_argument("--out", help="Write every problem's JSON line here; parts go to OUT.parts/.")
    p.add_argument("--retries", type=int, default=2, help="Retries per shard (non-zero exit or dead worker). Default 2.")
    p.add_argument("--num-cpus", type=float, default=1, help="CPUs each shard's task asks Ray for. Default 1.")
    p.add_argument("--banyan", default=DEFAULT_BANYAN, help="The banyan binary (default: the checkout's .build/release/banyan).")
    p.add_argument("--fail-once", type=int, action="append", default=[], metavar="SHARD",
                   help="For tests: kill shard SHARD's banyan after its first problem, on its first attempt only, "
                        "so the shard fails with a non-zero exit and is retried from its partial part.")
    p.add_argument("--die-once", type=int, action="append", default=[], metavar="SHARD",
                   help="For tests (single node): kill shard SHARD's Ray worker after its first problem, on its first "
                        "attempt only, so Ray restarts the task (max_retries).")
    a = p.parse_args(ours)
    if a.shards < 1:
        p.error("--shards must be ≥ 1")
    if a.retries < 0:
        p.error("--retries must be ≥ 0")
    if a.num_cpus <= 0:
        p.error("--num-cpus must be > 0")
    for s in a.fail_once + a.die_once:
        if not 0 <= s < a.shards:
            p.error(f"shard {s} is not in 0..{a.shards - 1}")
    if not eval_args:
        p.error("give the banyan eval arguments after --, e.g. -- --dataset arith:count=12")
    return a, eval_args


def option_value(args, name):
    """The value of --name in banyan args (either `--name V` or `--name=V`), or None."""
    for i, t in enumerate(args):
        if t == name and i + 1 < len(args):
            return args[i + 1]
        if t.startswith(name + "="):
            return t[len(name) + 1:]
    return None


def without_option(args, name, takes_value=True):
    out, skip = [], False
    for t in args:
        if skip:
            skip = False
            continue
        if t == name:
            skip = takes_value
            continue
        if takes_value and t.startswith(name + "="):
            continue
        out.append(t)
    return out


def split_eval_args(eval_args):
    """(args common to every shard and to the merge, the global --limit or None). Refuses the options
    this tool sets itself."""
    if eval_args and eval_args[0] == "eval":
        eval_args = eval_args[1:]
    for own in ("--shard", "--out", "--merge"):
        if option_value(eval_args, own) is not None or own in eval_args:
            raise SystemExit(f"ray_eval: {own} is set by ray_eval.py; leave it out of the banyan eval args")
    if option_value(eval_args, "--dataset") is None:
        raise SystemExit("ray_eval: the banyan eval args need --dataset")
    limit = option_value(eval_args, "--limit")
    args = without_option(without_option(eval_args, "--limit"), "--json", takes_value=False)
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise SystemExit(f"ray_eval: --limit {limit} is not a number")
        if limit < 1:
            raise SystemExit("ray_eval: --limit must be ≥ 1")
    return args, limit


def shard_limit(limit, shard, shards):
    """Problems shard `shard` of `shards` gets from the first `limit` of the set: those at offsets
    o < limit with o % shards == shard (banyan's --shard rule). None: no limit."""
    if limit is None:
        return None
    return max(0, math.ceil((limit - shard) / shards))


# ---------------------------------------------------------------------------------------------------
# Part files

def clean_lines(text):
    """The complete JSON object lines of a part (a killed run may leave a torn last line)."""
    lines = []
    for line in text.split("\n")[:-1] if not text.endswith("\n") else text.split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            lines.append(line)
    return lines


def union_lines(*groups):
    """Lines of several copies of one part, each problem id once (first copy wins)."""
    seen, out = set(), []
    for group in groups:
        for line in group:
            i = json.loads(line)["id"]
            if i not in seen:
                seen.add(i)
                out.append(line)
    return out


def write_atomic(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return clean_lines(f.read())


def check_parts(parts, assigned):
    """Refuses duplicates and missing problems. parts: shard → lines; assigned: shard → the number of
    problems that shard's banyan was given (its JSON summary's "problems": the records of its problems
    in its --out, so the part holds every one of its problems). Returns the lines in the set's order."""
    errors, owner = [], {}
    for shard, lines in sorted(parts.items()):
        ids = [json.loads(line)["id"] for line in lines]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            errors.append(f"shard {shard} holds {', '.join(dup)} more than once")
        for i in set(ids):
            if i in owner:
                errors.append(f"{i} is in shard {owner[i]} and shard {shard}")
            owner[i] = shard
        if len(set(ids)) != assigned[shard]:
            errors.append(f"shard {shard} was given {assigned[shard]} problems but its part holds {len(set(ids))}")
    if errors:
        raise SystemExit("ray_eval: the parts do not cover the problems exactly once each:\n  " + "\n  ".join(errors))
    # The set's order: shard s's k-th problem is the set's (k·N + s)-th.
    order = []
    for k in range(max((len(v) for v in parts.values()), default=0)):
        for s in sorted(parts):
            if k < len(parts[s]):
                order.append(parts[s][k])
    return order


# ---------------------------------------------------------------------------------------------------
# The Ray task (runs on a worker node)

PROGRESS_LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+): ")


def run_shard(spec, progress):
    """Runs one shard's banyan eval; returns its part lines whether or not it succeeded."""
    import signal
    import socket
    import subprocess
    import threading

    import ray

    shard, host = spec["shard"], socket.gethostname()
    start = time.time()
    scratch = os.path.join(tempfile.gettempdir(), "ray_eval-parts", spec["run"])
    os.makedirs(scratch, exist_ok=True)
    part = os.path.join(scratch, f"shard-{shard}.jsonl")
    died_marker = os.path.join(scratch, f"shard-{shard}.died")
    # The lines the driver had, and those an earlier attempt of this run left on this node.
    lines = union_lines(spec["lines"], read_lines(part))
    write_atomic(part, lines)
    # Events are sent synchronously, so the driver has them all before it sees the task's result.
    ray.get(progress.add.remote({"shard": shard, "event": "started", "host": host, "resumed": len(lines)}))

    cwd = spec["cwd"] if os.path.isdir(spec["cwd"]) else None
    env = dict(os.environ)
    env.update(spec["env"])
    command = [spec["banyan"], "eval", *spec["args"], "--shard", f"{shard}/{spec['shards']}", "--out", part, "--json"]

    def die_with_parent():
        # The banyan child must not outlive a killed worker (it would go on appending to the part).
        try:
            import ctypes
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:
            pass

    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=die_with_parent)
    stderr_tail, first_problem = [], threading.Event()

    def read_stderr():
        for line in child.stderr:
            line = line.rstrip("\n")
            stderr_tail.append(line)
            del stderr_tail[:-40]
            m = PROGRESS_LINE.match(line)
            if m:
                first_problem.set()
                ray.get(progress.add.remote({"shard": shard, "event": "problem", "done": int(m[1]), "of": int(m[2]), "id": m[3]}))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    out_chunks = []
    out_reader = threading.Thread(target=lambda: out_chunks.append(child.stdout.read()), daemon=True)
    out_reader.start()

    simulated = None
    hook = "fail" if spec["fail_once"] else "die" if (spec["die_once"] and not os.path.exists(died_marker)) else None
    if hook:
        # Test hooks: stop the first attempt after its first problem (or at its end, if it is faster).
        while child.poll() is None and not first_problem.wait(0.05):
            pass
        if child.poll() is None:
            child.kill()
        child.wait()
        if hook == "die":
            open(died_marker, "w").close()
            ray.get(progress.add.remote({"shard": shard, "event": "note", "text": "--die-once: killing this Ray worker"}))
            os._exit(1)
        simulated = "--fail-once: killed its banyan after the first problem"
    child.wait()
    reader.join(5)
    out_reader.join(5)
    stdout = "".join(out_chunks)
    lines = read_lines(part)
    summary = None
    last = stdout.strip().split("\n")[-1] if stdout.strip() else ""
    try:
        summary = json.loads(last)
    except ValueError:
        pass
    ok = child.returncode == 0 and simulated is None and isinstance(summary, dict) and "problems" in summary
    if ok:
        for path in (part, died_marker):
            try:
                os.remove(path)
            except OSError:
                pass
        try:
            os.rmdir(scratch)
        except OSError:
            pass
    return {
        "shard": shard, "ok": ok, "returncode": child.returncode, "simulated": simulated, "host": host,
        "lines": lines, "assigned": summary.get("problems") if isinstance(summary, dict) else None,
        "seconds": time.time() - start, "stderr": stderr_tail[-12:], "command": command,
    }


# ---------------------------------------------------------------------------------------------------
# The driver

def main(argv):
    a, eval_args = parse_args(argv)
    args, limit = split_eval_args(eval_args)
    banyan = os.path.abspath(a.banyan)
    if not os.access(banyan, os.X_OK):
        raise SystemExit(f"ray_eval: no banyan binary at {banyan} (build it, or give --banyan PATH)")
    if option_value(args, "--threads") is None and float(a.num_cpus).is_integer():
        args = args + ["--threads", str(int(a.num_cpus))]
    shard_args = {}
    for s in range(a.shards):
        n = shard_limit(limit, s, a.shards)
        if n == 0:
            continue  # the first K problems hold none of this shard's
        shard_args[s] = args + (["--limit", str(n)] if n is not None else [])

    if a.out:
        work = os.path.abspath(a.out) + ".parts"
        if os.path.exists(a.out) and not os.path.isdir(work):
            raise SystemExit(f"ray_eval: {a.out} exists and there is no {work}/ to resume from; remove it or choose another --out")
        os.makedirs(work, exist_ok=True)
        temporary = False
    else:
        work = tempfile.mkdtemp(prefix="banyan-ray-")
        temporary = True
    manifest = {"eval_args": eval_args, "shards": a.shards}
    manifest_path = os.path.join(work, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            old = json.load(f)
        if old != manifest:
            raise SystemExit(f"ray_eval: {work}/ holds parts of another run ({old}); remove it or choose another --out")
    else:
        with open(manifest_path, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
    part_path = {s: os.path.join(work, f"shard-{s}.jsonl") for s in shard_args}
    parts = {s: read_lines(part_path[s]) for s in shard_args}

    import ray

    @ray.remote(num_cpus=0)
    class Progress:
        def __init__(self):
            self.events = []

        def add(self, event):
            self.events.append(event)

        def drain(self):
            events, self.events = self.events, []
            return events

    env = {k: os.environ[k] for k in FORWARDED_ENV if os.environ.get(k)}
    local = a.address == "local"
    try:
        ray.init(address="local" if local else a.address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True)
    except ConnectionError as e:
        raise SystemExit(f"ray_eval: no Ray cluster at --address {a.address} ({e}); start one with "
                         "`ray start --head`, or give --address local")
    cpus = ray.cluster_resources().get("CPU", 0)
    log(f"{'started a local Ray cluster' if local else 'connected to the Ray cluster'}: "
        f"{len(ray.nodes())} node(s), {cpus:g} CPUs; {len(shard_args)} shards of {a.num_cpus:g} CPU each")
    run = uuid.uuid4().hex[:12]
    try:
        progress = Progress.remote()
        task = ray.remote(run_shard)
        started = {s: 0 for s in shard_args}  # attempts begun (Ray's restarts of a dead worker included)
        submitted = {s: 0 for s in shard_args}

        def left(s):  # attempts shard s may still start
            return 1 + a.retries - max(started[s], submitted[s])
        pending, assigned, counts = {}, {}, {}
        fail_once, die_once = set(a.fail_once), set(a.die_once)
        clock = time.time()

        def submit(s):
            spec = {"shard": s, "shards": a.shards, "banyan": banyan, "args": shard_args[s], "lines": parts[s],
                    "run": run, "cwd": os.getcwd(), "env": env, "fail_once": s in fail_once and started[s] == 0,
                    "die_once": s in die_once}
            ref = task.options(num_cpus=a.num_cpus, max_retries=left(s) - 1).remote(spec, progress)
            submitted[s] += 1
            pending[ref] = s

        def show(events):
            for e in events:
                s = e["shard"]
                name = f"shard {s}/{a.shards}"
                if e["event"] == "started":
                    started[s] += 1
                    if started[s] == 1:
                        log(f"{name}: started on {e['host']}")
                    else:
                        how = "restarted by Ray after its worker died" if started[s] > submitted[s] else "started again"
                        log(f"{name}: {how}, on {e['host']} (attempt {started[s]}, resuming from {e['resumed']} problems)")
                elif e["event"] == "problem":
                    counts[s] = (e["done"], e["of"])
                    log(f"{name}: {e['done']}/{e['of']} problems ({e['id']})")
                else:
                    log(f"{name}: {e['text']}")

        for s in shard_args:
            submit(s)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            events = ray.get(progress.drain.remote())
            # A shard that began on the CPU one just freed is shown starting after that one's end.
            finishing = {pending[r] for r in ready}
            later = [e for e in events if e["event"] == "started" and e["shard"] not in finishing]
            show([e for e in events if e not in later])
            for ref in ready:
                s = pending.pop(ref)
                name = f"shard {s}/{a.shards}"
                try:
                    result = ray.get(ref)
                except Exception as e:  # the task raised, or its worker died more often than max_retries
                    reason = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
                    result = None
                else:
                    parts[s] = union_lines(parts[s], result["lines"])
                    write_atomic(part_path[s], parts[s])
                    if result["ok"]:
                        assigned[s] = result["assigned"]
                        log(f"{name}: done, {result['assigned']} problems in {result['seconds']:.1f} s on {result['host']}")
                        continue
                    reason = result["simulated"] or f"banyan exited with {result['returncode']}"
                    tail = [line for line in result["stderr"] if line.strip()][-3:]
                    if tail:
                        reason += ": " + " | ".join(tail)
                if left(s) > 0:
                    log(f"{name}: failed ({reason}); retry {a.retries - left(s) + 1} of {a.retries}, "
                        f"from {len(parts[s])} problems already done")
                    submit(s)
                else:
                    for ref in pending:
                        ray.cancel(ref, force=True)
                    raise SystemExit(f"ray_eval: {name} failed after {started[s]} attempts ({reason}); "
                                     f"its part so far is in {part_path[s]}")
            show(later)
        show(ray.get(progress.drain.remote()))
        log(f"all {len(shard_args)} shards done in {time.time() - clock:.1f} s")
    finally:
        ray.shutdown()
        # The attempts' own part files on this node (other nodes' go with their temporary directories).
        import shutil
        shutil.rmtree(os.path.join(tempfile.gettempdir(), "ray_eval-parts", run), ignore_errors=True)

    order = check_parts(parts, assigned)
    # The problems a single-process run of the same args would search, from banyan itself (no model loaded).
    import subprocess
    listed = subprocess.run([banyan, "eval", *eval_args, "--list-ids"], stdout=subprocess.PIPE, text=True)
    if listed.returncode != 0:
        raise SystemExit(f"ray_eval: banyan eval --list-ids exited with {listed.returncode}")
    expected = [i for i in listed.stdout.split("\n") if i]
    got = [json.loads(line)["id"] for line in order]
    if sorted(got) != sorted(expected):
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        raise SystemExit(f"ray_eval: the parts do not hold the run's problems: missing {missing[:10]}, unexpected {extra[:10]}")
    files = [part_path[s] for s in sorted(shard_args)]
    if not files:
        raise SystemExit("ray_eval: no shard holds a problem")
    merged = subprocess.run([banyan, "eval", *args, "--merge", *files, "--json"], stdout=subprocess.PIPE, text=True)
    if merged.returncode != 0:
        raise SystemExit(f"ray_eval: banyan eval --merge exited with {merged.returncode}")
    report = merged.stdout.rstrip("\n").split("\n")
    if json.loads(report[-1]).get("problems") != len(order):
        raise SystemExit(f"ray_eval: the merge counted {json.loads(report[-1]).get('problems')} problems, the parts {len(order)}")
    if a.out:
        write_atomic(os.path.abspath(a.out), order)
    if temporary:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
