"""A sharded `banyan eval` (over Ray with tools/dist/ray_eval.py, or as a Slurm array with
tools/dist/slurm_eval.sbatch) must give the single-process run's results, problem for problem.

The binary is $BANYAN (default: the checkout's .build/release/banyan). The Ray tests connect to the
running cluster ($RAY_ADDRESS, or the one `ray start --head` made, as tools/ci/distributed.sh does) and
start a throwaway local one when there is none. Run: python3 -m pytest tools/ci/test_distributed_eval.py
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "tools" / "dist"
BANYAN = os.environ.get("BANYAN") or str(REPO / ".build" / "release" / "banyan")
RAY_EVAL = DIST / "ray_eval.py"
SLURM_EVAL = DIST / "slurm_eval.sbatch"
SHARDS = 4
DATASET = "arith:operands=3,digits=1,ops=+-,count=12,seed=7"
EVAL_ARGS = ["--dataset", DATASET, "--strategy", "best-of-n", "--n", "4", "--prm", "checker",
             "--max-tokens", "48", "--batch", "4"]
TIMEOUT = 900

# A record's fields that say how a run went, not what its search found, and so are not compared:
# - seconds: wall time;
# - tokensPrefilled: a batch prefills its prompts' longest common prefix (the few-shot examples, plus any
#   leading words its questions share) once, charged to the batch's first problem, so the count moves
#   with the batches a run happens to make: shards make their own, and a resumed retry starts a new one.
#   (Each run's summary must still be its records' sum.) Every other field must be equal.
TIMING = {"seconds"}
BATCH_ACCOUNTING = {"tokensPrefilled"}
SUMMARY_TIMING = {"seconds"}
SUMMARY_BATCH_ACCOUNTING = {"tokens_prefilled"}

sys.path.insert(0, str(DIST))
import ray_eval  # noqa: E402  (its helpers; Ray itself is imported only when it runs)


def run(command, **kw):
    return subprocess.run([str(c) for c in command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=TIMEOUT, **kw)


def records(path):
    """Records of a JSONL result file in file order; fails on a repeated id."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), f"{path} repeats ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    return rows


def compare(single_path, other_path, label):
    """Every difference between two result files, problem by problem, as readable lines."""
    a, b = records(single_path), records(other_path)
    single, other = {r["id"]: r for r in a}, {r["id"]: r for r in b}
    out = []
    if set(single) != set(other):
        out.append(f"ids only in the single run: {sorted(set(single) - set(other))}; only in {label}: {sorted(set(other) - set(single))}")
    elif [r["id"] for r in a] != [r["id"] for r in b]:
        out.append(f"{label} lists the problems in another order: {[r['id'] for r in b]}")
    for i in sorted(set(single) & set(other)):
        for field in sorted(set(single[i]) | set(other[i])):
            if field in TIMING or field in BATCH_ACCOUNTING:
                continue
            if single[i].get(field) != other[i].get(field):
                out.append(f"{i}: {field}: single {json.dumps(single[i].get(field))}, {label} {json.dumps(other[i].get(field))}")
    return out


def summary(stdout):
    lines = stdout.strip().splitlines()
    assert lines, "no output"
    return json.loads(lines[-1])


def compare_summaries(single, other, other_file):
    out = []
    for key in sorted(set(single) | set(other)):
        if key in SUMMARY_TIMING or key in SUMMARY_BATCH_ACCOUNTING:
            continue
        if single.get(key) != other.get(key):
            out.append(f"summary {key}: single {single.get(key)}, sharded {other.get(key)}")
    total = sum(r["tokensPrefilled"] for r in records(other_file))
    if other.get("tokens_prefilled") != total:
        out.append(f"summary tokens_prefilled {other.get('tokens_prefilled')} is not its records' sum {total}")
    return out


@pytest.fixture(scope="session")
def binary():
    if not os.access(BANYAN, os.X_OK):
        pytest.fail(f"no banyan binary at {BANYAN}: build it (swift build -c release --product banyan) or set BANYAN")
    return BANYAN


@pytest.fixture(scope="session")
def single(binary, tmp_path_factory):
    """The single-process reference: (its result file, its JSON summary)."""
    out = tmp_path_factory.mktemp("single") / "single.jsonl"
    r = run([binary, "eval", *EVAL_ARGS, "--out", out, "--json"])
    assert r.returncode == 0, r.stderr[-3000:]
    s = summary(r.stdout)
    assert s["problems"] == 12
    return out, s


@pytest.fixture(scope="session")
def ray_address():
    """auto when a cluster is up ($RAY_ADDRESS, or `ray start` on this machine), else local."""
    if os.environ.get("RAY_ADDRESS"):
        return "auto"
    probe = run([sys.executable, "-c", "import ray; ray.init(address='auto', logging_level='ERROR'); ray.shutdown()"])
    return "auto" if probe.returncode == 0 else "local"


def run_ray_eval(binary, address, out, *extra):
    return run([sys.executable, RAY_EVAL, "--address", address, "--shards", SHARDS, "--out", out,
                "--banyan", binary, *extra, "--", *EVAL_ARGS])


def check_same(single, out, stdout, label):
    single_file, single_summary = single
    differences = compare(single_file, out, label) + compare_summaries(single_summary, summary(stdout), out)
    assert not differences, f"{label} differs from the single-process run:\n" + "\n".join(differences)


def test_ray_shards_equal_the_single_run(binary, single, ray_address, tmp_path):
    out = tmp_path / "ray.jsonl"
    r = run_ray_eval(binary, ray_address, out)
    assert r.returncode == 0, r.stderr[-3000:]
    assert ("connected to the Ray cluster" if ray_address == "auto" else "started a local Ray cluster") in r.stderr
    for s in range(SHARDS):
        assert f"shard {s}/{SHARDS}: started on" in r.stderr
        assert f"shard {s}/{SHARDS}: done, 3 problems in" in r.stderr
    check_same(single, out, r.stdout, "ray_eval")


def test_ray_retries_a_failed_shard_and_a_dead_worker(binary, single, ray_address, tmp_path):
    out = tmp_path / "ray.jsonl"
    r = run_ray_eval(binary, ray_address, out, "--retries", "2", "--fail-once", "1", "--die-once", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    # Shard 1's banyan is killed after its first problem: a non-zero exit, retried by ray_eval.
    assert f"shard 1/{SHARDS}: failed (--fail-once" in r.stderr and "retry 1 of 2" in r.stderr, r.stderr
    assert f"shard 1/{SHARDS}: started again" in r.stderr, r.stderr
    # Shard 2's Ray worker dies after its first problem: restarted by Ray (max_retries).
    assert f"shard 2/{SHARDS}: restarted by Ray after its worker died" in r.stderr, r.stderr
    for s in range(SHARDS):
        assert f"shard {s}/{SHARDS}: done, 3 problems in" in r.stderr
    check_same(single, out, r.stdout, "ray_eval with retries")


def test_slurm_array_then_merge_equals_the_single_run(binary, single, tmp_path):
    out = tmp_path / "slurm.jsonl"
    env = dict(os.environ, BANYAN=binary)
    env.pop("BANYAN_SHARDS", None)
    for i in range(SHARDS):
        task = dict(env, SLURM_ARRAY_TASK_ID=str(i), SLURM_ARRAY_TASK_COUNT=str(SHARDS))
        r = run(["bash", SLURM_EVAL, "--out", out, "--", *EVAL_ARGS], env=task)
        assert r.returncode == 0, r.stderr[-3000:]
        assert f"shard {i}/{SHARDS}: done, 3 problems" in r.stderr
    r = run(["bash", SLURM_EVAL, "merge", "--shards", SHARDS, "--out", out, "--", *EVAL_ARGS], env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    check_same(single, out, r.stdout, "slurm_eval")
    # The merge refuses a problem in two parts.
    parts = out.with_name(out.name + ".parts")
    first = (parts / "shard-0.jsonl").read_text().splitlines()[0]
    with open(parts / "shard-1.jsonl", "a") as f:
        f.write(first + "\n")
    r = run(["bash", SLURM_EVAL, "merge", "--shards", SHARDS, "--out", out, "--", *EVAL_ARGS], env=env)
    assert r.returncode != 0 and "is in shard 0 and shard 1" in r.stderr, r.stderr


def test_part_check_refuses_duplicates_and_missing_problems():
    line = lambda i: json.dumps({"id": i, "answers": []})
    good = {0: [line("a"), line("c")], 1: [line("b")]}
    assert [json.loads(x)["id"] for x in ray_eval.check_parts(good, {0: 2, 1: 1})] == ["a", "b", "c"]
    with pytest.raises(SystemExit, match="more than once"):
        ray_eval.check_parts({0: [line("a"), line("a")], 1: [line("b")]}, {0: 2, 1: 1})
    with pytest.raises(SystemExit, match="is in shard 0 and shard 1"):
        ray_eval.check_parts({0: [line("a")], 1: [line("a")]}, {0: 1, 1: 1})
    with pytest.raises(SystemExit, match="was given 3 problems but its part holds 2"):
        ray_eval.check_parts({0: [line("a"), line("c")], 1: [line("b")]}, {0: 3, 1: 1})
    # A torn last line (a killed run) is dropped; whole lines are kept.
    assert ray_eval.clean_lines(line("a") + "\n" + line("b")[:7]) == [line("a")]


@pytest.mark.parametrize("limit,shards", [(12, 4), (7, 4), (3, 4), (1, 3), (10, 1)])
def test_limit_is_the_first_k_problems_of_the_set(limit, shards):
    # banyan gives shard i the offsets o with o % N == i, then keeps the first --limit of them.
    taken = []
    for i in range(shards):
        n = ray_eval.shard_limit(limit, i, shards)
        taken += [o for o in range(100) if o % shards == i][:n]
    assert sorted(taken) == list(range(limit))
    assert ray_eval.shard_limit(None, 0, shards) is None
    assert math.isclose(sum(ray_eval.shard_limit(limit, i, shards) for i in range(shards)), limit)
