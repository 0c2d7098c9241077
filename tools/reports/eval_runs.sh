# Sourced by the report scripts: where runs go and one resumable `banyan eval` run on the held-out chains.
BANYAN=${BANYAN:-.build/release/banyan}
DATA="arith:operands=3,digits=1,ops=+-,count=200,seed=7"
OUT=experiments/search-strategies/runs
mkdir -p "$OUT"
[ -x "$BANYAN" ] || swift build -c release --product banyan
run() { # name limit args…
  local name=$1 limit=$2; shift 2
  echo "== $name ($limit problems): banyan eval --dataset $DATA --limit $limit $*" >&2
  "$BANYAN" eval --dataset "$DATA" --limit "$limit" --batch 8 --out "$OUT/$name.jsonl" "$@" > /dev/null
}
