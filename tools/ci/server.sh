#!/usr/bin/env bash
# The server's end-to-end tests: the real `banyan serve` on a loopback port, driven by the official openai
# Python client (tools/ci/test_server_openai.py starts and stops the server itself). Installs openai and
# pytest when missing. The binary is $BANYAN (default: the checkout's .build/release/banyan).
set -uo pipefail
cd "$(dirname "$0")/../.."
export BANYAN=${BANYAN:-$PWD/.build/release/banyan}
[[ -x $BANYAN ]] || bash tools/setup.sh || exit 1
if ! python3 -c "import openai, pytest" >/dev/null 2>&1; then
    echo "ci_server: installing openai and pytest" >&2
    python3 -m pip install --quiet --disable-pip-version-check openai pytest >&2 || exit 1
fi
export PYTHONDONTWRITEBYTECODE=1
# The two long-single-word cases wait for the linear-time BPE encoder (issue 33); until it lands they are
# run by hand: python3 -m pytest tools/ci/test_server_hostile.py -k "long_single or megabyte".
python3 -m pytest tools/ci/test_server_openai.py tools/ci/test_server_hostile.py -v -s -p no:cacheprovider \
    -k "not long_single_word and not megabyte_word"
