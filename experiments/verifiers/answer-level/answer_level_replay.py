#!/usr/bin/env python3
"""Would a learned answer-level selector beat `provenance`-weighted voting on word problems?

    python3 experiments/verifiers/answer-level/answer_level_replay.py TRAIN_RUN:TREES[,TRAIN_RUN:TREES…] [HELD_RUN:TREES …]

Each RUN is a Best-of-16 `--prm provenance` run (`banyan eval --out`) and TREES its `--trees` directory. Per
problem, the samples' answers are grouped as the vote groups them, and each group gets 12 features: its vote
share and log count, its share and sum of the provenance weight, its best sample's score, its samples' mean
and least token log-probability, whether the answer copies a number of the question, is not whole or is
negative, whether any sample has a positive weight, and the weighted pick's share. A conditional logit (a
softmax over the groups of one problem, L2 1.0) is fit on the training problems; its pick is the top group.

Fixed before looking at held-out problems: adopt only if 5-fold cross-validation on the training problems
beats the weighted pick by 2 points or more. Prints the cross-validated training result, then each held-out
run once, paired against majority@16 and against weighted@16 on the same samples. The committed runs (from the repository's root):

    tar xzf experiments/verifiers/answer-level/trees.tar.gz -C /tmp    # wt-more-trees, wt13-singleop, wt13-singleeq
    tar xzf experiments/verifiers/adaptive-choice/wordstrain-bon16-provenance-trees.tar.gz -C /tmp    # wordstrain-trees
    python3 experiments/verifiers/answer-level/answer_level_replay.py \
        experiments/verifiers/adaptive-choice/wordstrain-bon16-provenance.jsonl:/tmp/wordstrain-trees,experiments/verifiers/answer-level/words-train-301-1000-bon16-provenance.jsonl:/tmp/wt-more-trees \
        experiments/verifiers/runs/singleop-bon16-provenance.jsonl:/tmp/wt13-singleop experiments/verifiers/runs/singleeq-bon16-provenance.jsonl:/tmp/wt13-singleeq
"""
import math
import os
import random
import re
import sys

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "reports"))
import selection_sim as S  # noqa: E402
def qnumbers(q):
    return [float(m.replace(',', '')) for m in re.findall(r'\d[\d,]*(?:\.\d+)?', q)]

def problem_features(rec, trees):
    chains = S.sample_chains(trees, rec['id'])
    answers = rec['answers']; scores = rec['scores']
    qn = qnumbers(rec['question'])
    clusters = {}
    for i, (a, s) in enumerate(zip(answers, scores)):
        if a is None: continue
        k = S.key(a)
        ch = chains[i]
        ml = np.mean([n.get('mean_logprob', 0) for n in ch]) if ch else 0
        mn = min([n.get('min_logprob', 0) for n in ch]) if ch else 0
        c = clusters.setdefault(k, {'answer': a, 'n': 0, 'w': 0.0, 'mx': 0.0, 'ml': [], 'mn': [], 'len': []})
        c['n'] += 1; c['w'] += max(0, s); c['mx'] = max(c['mx'], s); c['ml'].append(ml); c['mn'].append(mn)
        c['len'].append(sum(len(n['tokens']) for n in ch))
    if not clusters: return None
    total_w = sum(c['w'] for c in clusters.values())
    N = len(answers)
    allml = np.mean([x for c in clusters.values() for x in c['ml']])
    rows, labels, keys = [], [], []
    for k, c in clusters.items():
        v = S.value(c['answer'])
        in_q = 1.0 if v is not None and any(abs(v - x) < 1e-9 for x in qn) else 0.0
        nonint = 1.0 if v is None or v != round(v) else 0.0
        neg = 1.0 if v is not None and v < 0 else 0.0
        f = [c['n'] / N, math.log(c['n']), c['w'] / total_w if total_w > 0 else 0.0, c['w'], c['mx'],
             np.mean(c['ml']) - allml, np.mean(c['mn']), in_q, nonint, neg, 1.0 if total_w > 0 else 0.0,
             (c['w'] / total_w if total_w > 0 else c['n'] / N)]
        rows.append(f); labels.append(1.0 if S.right(c['answer'], rec['expected']) else 0.0); keys.append(c['answer'])
    return np.array(rows), np.array(labels), keys

NAMES = ['share', 'logn', 'wshare', 'w', 'max', 'ml_rel', 'min_lp', 'in_q', 'nonint', 'neg', 'anypos', 'weighted_pick_share']

def load(run, trees):
    out = []
    for r in S.load(run):
        pf = problem_features(r, trees)
        out.append((r, pf))
    return out

def fit(data, l2=1.0, cols=None, iters=300):
    # conditional logit over clusters within each problem, only problems with a right cluster among >1
    groups = [(X[:, cols] if cols is not None else X, y) for r, pf in data if pf is not None for X, y, _ in [pf] if y.sum() > 0 and len(y) > 1]
    d = groups[0][0].shape[1]
    allX = np.concatenate([g[0] for g in groups]); mu = allX.mean(0); sd = allX.std(0) + 1e-9
    w = np.zeros(d)
    from scipy.optimize import minimize
    def loss(w):
        L = 0.5 * l2 * w @ w; G = l2 * w
        for X, y in groups:
            Z = (X - mu) / sd; s = Z @ w; s -= s.max(); p = np.exp(s); p /= p.sum()
            t = y / y.sum()
            L -= (t * np.log(p + 1e-12)).sum(); G -= Z.T @ (t - p)
        return L, G
    res = minimize(loss, w, jac=True, method='L-BFGS-B')
    return res.x, mu, sd

def evaluate(data, model, cols=None):
    w, mu, sd = model
    acc = []
    for r, pf in data:
        if pf is None: acc.append(False); continue
        X, y, keys = pf
        X = X[:, cols] if cols is not None else X
        s = ((X - mu) / sd) @ w
        acc.append(bool(y[int(np.argmax(s))]))
    return acc

def baseline(data, rule):
    return [S.right(S.pick(rule, r['answers'], r['scores']), r['expected']) for r, _ in data]


def run_list(spec):
    data = []
    for part in spec.split(","):
        run, trees = part.split(":")
        data += load(run, trees)
    return data


def report(label, a, b):
    m, h = S.paired(a, b)
    return f"{label}: {100 * sum(a) / len(a):.1f}% vs {100 * sum(b) / len(b):.1f}%, {S.fmt_diff(m, h)}"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    train = run_list(sys.argv[1])
    order = list(range(len(train)))
    random.Random(0).shuffle(order)
    cv = [False] * len(train)
    for k in range(5):
        held = set(order[k::5])
        model = fit([train[i] for i in order if i not in held])
        for i, right in zip(sorted(held), evaluate([train[i] for i in sorted(held)], model)):
            cv[i] = right
    print(f"training, {len(train)} problems, 5-fold cross-validated")
    print("  " + report("learned − majority@16", cv, baseline(train, "majority")))
    print("  " + report("learned − weighted@16", cv, baseline(train, "weighted")))
    model = fit(train)
    print("  weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(NAMES, model[0])))
    for spec in sys.argv[2:]:
        held = run_list(spec)
        picks = evaluate(held, model)
        print(f"held out: {spec.split(':')[0]} ({len(held)} problems)")
        print("  " + report("learned − majority@16", picks, baseline(held, "majority")))
        print("  " + report("learned − weighted@16", picks, baseline(held, "weighted")))


if __name__ == "__main__":
    main()
