#!/usr/bin/env python3
"""Held-out chains whose questions are all distinct and were never trained on.

    python3 tools/data/unseen_chains.py [--check experiments/verifiers/runs/chains-bon16-head.jsonl] > data/chains-unseen.jsonl

The held-out chains `arith:operands=3,digits=1,ops=+-,count=200,seed=7` repeat questions (186 distinct; "What is
0 - 0 - 0?" seven times). This writes 200 chains of the same shape, each question once, none of them a question
of the head's training chains (`count=1200,seed=1`) or of the auto table's (`count=620,seed=2`), drawn in order
from seed 11. The generator re-implements `ArithmeticSource.problems()` (SplitMix64, left-to-right chains, a
subtrahend redrawn below the running value); `--check FILE` compares it with the questions and answers of a
`banyan eval --out` file of the seed-7 set first and stops on any difference.
"""
import json
import sys

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def chains(seed, count, operands=3, ops="+-"):
    random = SplitMix64(seed)
    low, high = 0, 9
    out = []
    for i in range(count):
        numbers = [low + random.next() % (high - low + 1)]
        value = numbers[0]
        used = []
        for _ in range(1, operands):
            op = ops[random.next() % len(ops)]
            n = low + random.next() % (high - low + 1)
            if op == "-" and n > value:
                if value >= low:
                    n = low + random.next() % (value - low + 1)
                else:
                    op = "+"
            used.append(op)
            numbers.append(n)
            value = value + n if op == "+" else value - n
        expression = str(numbers[0]) + "".join(f" {op} {n}" for op, n in zip(used, numbers[1:]))
        out.append({"id": f"arith-{seed}-{i}", "question": f"What is {expression}?", "answer": str(value)})
    return out


def main(argv):
    if "--check" in argv:
        path = argv[argv.index("--check") + 1]
        ran = {}
        for line in open(path):
            r = json.loads(line)
            ran[r["id"]] = (r["question"], r["expected"])
        mine = {p["id"]: (p["question"], p["answer"]) for p in chains(7, 200)}
        bad = [i for i in ran if ran[i] != mine.get(i)]
        if bad or not ran:
            sys.exit(f"the generator differs from ArithmeticSource on {len(bad)} of {len(ran)} problems, e.g. {bad[:3]}")
        print(f"generator matches ArithmeticSource on all {len(ran)} problems of {path}", file=sys.stderr)
    trained = {p["question"] for p in chains(1, 1200) + chains(2, 620)}
    seen, kept = set(), []
    for p in chains(11, 100000):
        if p["question"] in trained or p["question"] in seen:
            continue
        seen.add(p["question"])
        p["id"] = f"unseen-{len(kept)}"
        kept.append(p)
        if len(kept) == 200:
            break
    for p in kept:
        print(json.dumps(p))
    print(f"{len(kept)} distinct questions, none among the {len(trained)} distinct training questions", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
