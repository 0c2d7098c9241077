#!/usr/bin/env bash
# The distributed-eval tests: a sharded `banyan eval` over Ray (tools/dist/ray_eval.py) and as a Slurm array
# (tools/dist/slurm_eval.sbatch) must give the single-process results. Installs Ray and pytest when missing,
# starts a one-node Ray cluster with 2 CPUs, runs tools/ci/test_distributed_eval.py against it, and
# stops the cluster on the way out, failed or not. The binary is $BANYAN (default: the checkout's
# .build/release/banyan, built with the model fetched by tools/setup.sh when missing).
set -uo pipefail
cd "$(dirname "$0")/../.."

export BANYAN=${BANYAN:-$PWD/.build/release/banyan}
if [[ ! -x $BANYAN ]]; then
    bash tools/setup.sh || exit 1
fi
"$BANYAN" fetch-model >/dev/null || exit 1

if ! python3 -c "import ray, pytest" >/dev/null 2>&1; then
    echo "ci_distributed: installing ray and pytest" >&2
    python3 -m pip install --quiet --disable-pip-version-check ray pytest >&2 || exit 1
fi

export PYTHONDONTWRITEBYTECODE=1
stop_ray() { ray stop >/dev/null 2>&1 || true; }
trap stop_ray EXIT
if ! started=$(ray start --head --num-cpus 2 --include-dashboard=false --disable-usage-stats 2>&1); then
    echo "$started" >&2
    echo "ci_distributed: ray start failed (is a cluster already running here? ray stop ends it)" >&2
    trap - EXIT
    exit 1
fi
unset RAY_ADDRESS  # the tests find the cluster ray start just made (address auto)

log=$(mktemp)
python3 -m pytest tools/ci/test_distributed_eval.py -v -p no:cacheprovider 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
stop_ray
trap - EXIT
# pytest's closing summary line, last.
grep -E '^=+ .*(passed|failed|error|skipped|no tests ran).* =+$' "$log" | tail -n1
rm -f "$log"
exit "$status"
