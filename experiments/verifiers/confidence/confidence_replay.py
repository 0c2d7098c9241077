#!/usr/bin/env python3
"""Does the policy's token confidence add to the head? A replay on Best-of-16 runs with the head.

    banyan eval --dataset D --strategy best-of-n --n 16 --prm head --batch 8 --out RUN.jsonl --trees TREES
    python3 experiments/verifiers/confidence/confidence_replay.py TRAIN.jsonl TRAIN_TREES HELDOUT.jsonl HELDOUT_TREES ...

Each TREES is a `--trees` directory, or a file of per-sample log-probabilities extracted from one (as in
this folder). Per sample: the head's solution score (min over steps), the lowest token
log-probability of the solution (the least confident token, DeepConf's "lowest group confidence" at a group of
one token) and the mean of its steps' mean log-probabilities. Rules replayed against majority@16 (paired):
weighted votes with exp(min log-prob), exp(mean log-prob), head × exp(min log-prob), a logistic regression of
correctness on (logit head, min, mean) fitted on the first (training) run, the head's score sharpened
(squared, to the fourth, positive log-odds) or its single best sample, and DeepConf's filter: keep the
most confident 25/50/75% of the samples, then vote or head-weight.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "reports"))
import selection_sim as S  # noqa: E402


def logprobs(records, source):
    if os.path.isdir(source):
        out = {}
        for r in records:
            rows = []
            for chain in S.sample_chains(source, r["id"]):
                rows.append({"min_logprob": min(n["min_logprob"] for n in chain if "min_logprob" in n),
                             "mean_logprob": sum(n["mean_logprob"] for n in chain) / len(chain)})
            out[r["id"]] = rows
        return out
    return {d["id"]: d["steps_logprob"] for d in S.load(source)}


def load(run, source):
    records = S.load(run)
    lp = logprobs(records, source)
    data = []
    for r in records:
        samples = [dict(answer=a, head=h, minlp=l["min_logprob"], meanlp=l["mean_logprob"],
                        right=a is not None and S.right(a, r["expected"]))
                   for a, h, l in zip(r["answers"], r["scores"], lp[r["id"]])]
        data.append((r, samples))
    return data


def features(s):
    h = min(max(s["head"], 1e-6), 1 - 1e-6)
    return [math.log(h / (1 - h)), s["minlp"], s["meanlp"]]


def fit(data):
    x = np.array([features(s) for _, ss in data for s in ss])
    y = np.array([s["right"] for _, ss in data for s in ss], float)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w = np.zeros(z.shape[1] + 1)
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(z @ w[:-1] + w[-1])))
        g = np.concatenate([z.T @ (p - y), [np.sum(p - y)]]) / len(y) + 1e-3 * np.concatenate([w[:-1], [0]])
        w -= 0.5 * g
    return lambda s: 1 / (1 + math.exp(-(((np.array(features(s)) - mu) / sd) @ w[:-1] + w[-1])))


def compare(data, choose):
    base = [S.right(S.pick("majority", [s["answer"] for s in ss], [1.0] * len(ss)), r["expected"]) for r, ss in data]
    acc = [S.right(choose(ss), r["expected"]) for r, ss in data]
    m, h = S.paired(acc, base)
    return f"{100 * sum(acc) / len(acc):5.1f}%  {S.fmt_diff(m, h)}"


def weighted(score):
    return lambda ss: S.pick("weighted", [s["answer"] for s in ss], [score(s) for s in ss])


def deepconf(keep, score):
    def choose(ss):
        top = sorted(ss, key=lambda s: -s["minlp"])[:max(1, round(keep * len(ss)))]
        return S.pick("weighted", [s["answer"] for s in top], [score(s) for s in top])
    return choose


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    sets = [(args[i], load(args[i], args[i + 1])) for i in range(0, len(args), 2)]
    logistic = fit(sets[0][1])
    for path, data in sets:
        base = [S.right(S.pick("majority", [s["answer"] for s in ss], [1.0] * len(ss)), r["expected"]) for r, ss in data]
        print(f"== {path} ({len(data)} problems; majority@16 {100 * sum(base) / len(base):.1f}%){' [training]' if path == sets[0][0] else ''}")
        rows = [("head, weighted", weighted(lambda s: s["head"])),
                ("exp(min log-prob), weighted", weighted(lambda s: math.exp(s["minlp"]))),
                ("exp(mean log-prob), weighted", weighted(lambda s: math.exp(s["meanlp"]))),
                ("head x exp(min log-prob), weighted", weighted(lambda s: s["head"] * math.exp(s["minlp"]))),
                ("logistic(head, min, mean), weighted", weighted(logistic)),
                ("head^2, weighted", weighted(lambda s: s["head"] ** 2)),
                ("head^4, weighted", weighted(lambda s: s["head"] ** 4)),
                ("positive log-odds of the head, weighted", weighted(lambda s: max(0.0, features(s)[0]))),
                ("head, best sample's answer (vanilla)", lambda ss: S.pick("vanilla", [s["answer"] for s in ss], [s["head"] for s in ss]))]
        for keep in (0.25, 0.5, 0.75):
            rows.append((f"most confident {int(keep * 100)}%, vote", deepconf(keep, lambda s: 1.0)))
            rows.append((f"most confident {int(keep * 100)}%, head-weighted", deepconf(keep, lambda s: s["head"])))
        for label, choose in rows:
            print(f"  {label:40s} {compare(data, choose)}")


if __name__ == "__main__":
    main()
