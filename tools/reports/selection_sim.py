#!/usr/bin/env python3
"""Offline simulation of answer-selection and early-stopping rules on `banyan eval` Best-of-N outputs.

    python3 tools/reports/selection_sim.py [--train PATH] [--grid STEP]

Nothing is sampled: every rule here is a function of a Best-of-N record's `answers` and `scores` (in
sample order), so it can be replayed on the first n samples of a run.

It mirrors the Swift code exactly:
  * AnswerEquivalence.key / .equivalent / .value and AnswerExtraction.clean
    (Sources/BanyanSearch/Answers/AnswerExtraction.swift);
  * Selection.pick (Sources/BanyanSearch/Scoring/Scorers.swift): vanilla = first highest-scoring
    answered solution; weighted = largest score sum per answer key, ties by votes, then first seen;
    majority = most votes, ties first seen; unanswered samples (null) are ignored;
  * AdaptiveConsistency (Sources/BanyanSearch/Strategies/AdaptiveConsistency.swift): the Beta rule
    P(Binomial(v1+v2+1, 1/2) <= v1) >= confidence, computed with the same floating-point operations, is
    checked after EVERY sample (samples of a round are taken one by one until the vote settles), so the
    number of samples used does not depend on the round size; the round size only sets how many samples
    are decoded: min(N, ceil(used / round) * round). Unanswered samples count toward N but do not vote.
    The pick is the majority over the samples used.
and checks itself first: the reimplementation must reproduce every record's `correct` and `picks`
fields (Best-of-N files) and every adaptive record (answers count and pick).

Sections printed:
  0. verification (mismatch counts);
  1. conditional majority (LiLaVe-style) on held-out files: accuracy over a tau grid per variant,
     paired difference vs majority@16 with a 95% interval; then the variant and tau chosen on the
     training file (first n samples, n = 4..64) and what that rule gives on each held-out file;
  2. adaptive-consistency and ESC (stop at the first unanimous window of w samples) simulations:
     accuracy, paired difference vs majority@16, samples used/decoded and estimated decoded tokens.
     "AC c=…" is the Swift rule (checked after every sample; the round only sets the decoded count);
     "ACw… c=…" checks only at round boundaries and votes with every decoded sample (an alternative).

Paired intervals: d_i = right_rule_i - right_majority_i in {-1, 0, 1}; mean +- 1.96 * sd / sqrt(n),
sd with n - 1 (as tools/reports/paired_compare.py). Tokens of a simulated run are estimated as
tokensDecoded(N) / N per sample of that problem, times the samples decoded.
"""
import argparse
import json
import math
import os
import unicodedata

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RUNS = os.path.join(ROOT, "experiments", "verifiers", "runs")
TRAIN = os.path.join(ROOT, "experiments", "scaling", "head-train", "bon64-head.jsonl")

# Held-out Best-of-16 files: (label, file, scorer).
HELD_OUT = [
    ("chains/head", "chains-bon16-head.jsonl"),
    ("singleop/head", "singleop-bon16-head.jsonl"),
    ("singleop/prov", "singleop-bon16-provenance.jsonl"),
    ("singleeq/head", "singleeq-bon16-head.jsonl"),
    ("singleeq/prov", "singleeq-bon16-provenance.jsonl"),
]
# Adaptive runs and the Best-of-16 run whose first samples they share.
ADAPTIVE = [
    ("chains", "chains-adaptive16.jsonl", "chains-bon16-head.jsonl"),
    ("singleop", "singleop-adaptive16.jsonl", "singleop-bon16-head.jsonl"),
    ("singleeq", "singleeq-adaptive16.jsonl", "singleeq-bon16-head.jsonl"),
]

# ---------------------------------------------------------------------------------------------------
# AnswerExtraction.clean / AnswerEquivalence (Swift mirror)

_NEWLINES = set("\n\u000b\u000c\r\u0085\u2028\u2029")


def _is_ws(c):  # CharacterSet.whitespaces: Unicode Zs plus tab
    return c == "\t" or unicodedata.category(c) == "Zs"


def _strip(s, newlines):
    ok = (lambda c: _is_ws(c) or c in _NEWLINES) if newlines else _is_ws
    i, j = 0, len(s)
    while i < j and ok(s[i]):
        i += 1
    while j > i and ok(s[j - 1]):
        j -= 1
    return s[i:j]


def clean(s):
    t = _strip(s, newlines=True)
    for a, b in [("\\left", ""), ("\\right", ""), ("\\!", ""), ("dfrac", "frac"), ("tfrac", "frac"), ("$", ""), ("\\%", "%")]:
        t = t.replace(a, b)
    r = t.find("\\text{")
    if r >= 0:
        t = t[:r]
    while t.endswith("."):
        t = t[:-1]
    return _strip(t, newlines=False)


def _swift_double(t):
    """Swift's Double(String): strtod syntax (decimal or hex), whole string, no whitespace."""
    import re
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t):
        return float(t)
    if re.fullmatch(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?", t):
        return float.fromhex(t)
    if re.fullmatch(r"[+-]?(inf|infinity|nan)", t, re.IGNORECASE):
        return float(t)
    return None


def value(answer):
    t = clean(answer).replace(",", "").replace(" ", "")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    if t.startswith("\\frac{") or t.startswith("-\\frac{"):
        negative = t.startswith("-")
        parts = [p for p in t.replace("-\\frac{", "").replace("\\frac{", "").replace("}", "").split("{") if p]
        if len(parts) != 2:
            return None
        n, d = _swift_double(parts[0]), _swift_double(parts[1])
        if n is None or d is None or d == 0:
            return None
        return (-n / d if negative else n / d) * scale
    slash = [p for p in t.split("/") if p]  # Swift split omits empty pieces
    if len(slash) == 2:
        n, d = _swift_double(slash[0]), _swift_double(slash[1])
        if n is not None and d is not None and d != 0:
            return n / d * scale
    v = _swift_double(t)
    if v is None or not math.isfinite(v):
        return None
    return v * scale


def normalize(s):
    return clean(s).lower().replace(" ", "")


def _round(x):  # Swift .rounded(): to nearest, ties away from zero
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return math.copysign(r, x)


def key(answer):
    v = value(answer)
    if v is not None:
        rounded = _round(v * 1e6) / 1e6
        if rounded == _round(rounded) and abs(rounded) < 1e15:
            return str(int(rounded))
        return repr(rounded)
    return normalize(answer)


def _close(x, y):
    return abs(x - y) <= 1e-6 * max(1, abs(x), abs(y))


def equivalent(a, b):
    x, y = value(a), value(b)
    if x is not None and y is not None:
        if _close(x, y):
            return True
        if "%" in a or "%" in b:
            u, v = value(a.replace("%", "")), value(b.replace("%", ""))
            if u is not None and v is not None:
                return _close(u, v)
        return False
    return normalize(a) == normalize(b)


def right(pick, expected):
    return pick is not None and equivalent(pick, expected)


# ---------------------------------------------------------------------------------------------------
# Selection.pick (Swift mirror) and the tallies the conditional rules need


def tally(answers, scores):
    """Per answer key in first-seen order: (key, first answer, score sum, votes)."""
    order, first, total, votes = [], {}, {}, {}
    for a, s in zip(answers, scores):
        if a is None:
            continue
        k = key(a)
        if k not in total:
            order.append(k)
            first[k] = a
            total[k] = 0.0
            votes[k] = 0
        total[k] += s
        votes[k] += 1
    return order, first, total, votes


def _confident_score():
    """Selection.confidentShare from Scorers.swift (the shipped `conditional` threshold, variant (c)), if present."""
    import re
    try:
        with open(os.path.join(ROOT, "Sources", "BanyanSearch", "Scoring", "Scorers.swift"), encoding="utf-8") as f:
            m = re.search(r"static let confidentShare = ([0-9.]+)", f.read())
        return float(m.group(1)) if m else None
    except OSError:
        return None


CONFIDENT_SCORE = _confident_score()


def pick(rule, answers, scores):
    """Selection.pick for rule in vanilla, weighted, majority, conditional (= variant (c) at
    Selection.confidentShare)."""
    if rule == "conditional":
        if CONFIDENT_SCORE is None:
            raise ValueError("no Selection.confidentShare in Scorers.swift")
        return conditional("c", CONFIDENT_SCORE, answers, scores)
    if rule not in ("vanilla", "weighted", "majority"):
        raise ValueError(f"unknown selection rule {rule}")
    if rule == "vanilla":
        best = None
        for a, s in zip(answers, scores):
            if a is not None and (best is None or s > best[1]):
                best = (a, s)
        return best[0] if best else None
    order, first, total, votes = tally(answers, [1.0] * len(answers) if rule == "majority" else scores)
    best = None
    for k in order:
        if best is None or (total[k] > total[best] if total[k] != total[best] else votes[k] > votes[best]):
            best = k
    return first[best] if best is not None else None


def weighted_winner(answers, scores):
    """(answer, score sum, votes, total score over answered samples) of the weighted pick."""
    order, first, total, votes = tally(answers, scores)
    best = None
    for k in order:
        if best is None or (total[k] > total[best] if total[k] != total[best] else votes[k] > votes[best]):
            best = k
    if best is None:
        return None, 0.0, 0, 0.0
    return first[best], total[best], votes[best], sum(total.values())


# ---------------------------------------------------------------------------------------------------
# Conditional majority (LiLaVe-style)

VARIANTS = {
    "a": "top single score >= tau -> its answer, else majority",
    "b": "weighted winner's mean score >= tau -> weighted, else majority",
    "c": "weighted winner's score share >= tau -> weighted, else majority",
}


def conditional(variant, tau, answers, scores):
    if variant == "a":
        best = None
        for a, s in zip(answers, scores):
            if a is not None and (best is None or s > best[1]):
                best = (a, s)
        if best is not None and best[1] >= tau:
            return best[0]
        return pick("majority", answers, scores)
    ans, tot, votes, grand = weighted_winner(answers, scores)
    if ans is not None:
        stat = tot / votes if variant == "b" else (tot / grand if grand > 0 else None)
        if stat is not None and stat >= tau:
            return ans
    return pick("majority", answers, scores)


# ---------------------------------------------------------------------------------------------------
# Adaptive-Consistency (Swift mirror) and ESC


def leader_probability(v1, v2):
    trials = v1 + v2 + 1
    total, log_c = 0.0, 0.0
    for j in range(0, v1 + 1):
        if j > 0:
            log_c += math.log(float(trials - j + 1)) - math.log(float(j))
        total += math.exp(log_c - float(trials) * math.log(2))
    return min(1.0, total)


def settled(answers, confidence):
    votes = {}
    for a in answers:
        if a is not None:
            k = key(a)
            votes[k] = votes.get(k, 0) + 1
    top = sorted(votes.values(), reverse=True)
    if not top:
        return False
    return leader_probability(top[0], top[1] if len(top) > 1 else 0) >= confidence


def adaptive_stop(answers, confidence, n):
    """Samples used: the first k (1-based) after which the vote is settled, else n."""
    for k in range(1, n + 1):
        if settled(answers[:k], confidence):
            return k
    return n


def adaptive_round_stop(answers, confidence, n, size):
    """Alternative (not what the Swift code does): check the Beta rule only at round boundaries and use
    every sample decoded, so no decoded sample is thrown away."""
    for end in range(size, n + size, size):
        end = min(end, n)
        if settled(answers[:end], confidence):
            return end
    return n


def esc_stop(answers, window, n):
    """ESC: after each window of w samples, stop if all w answers are the same (and answered)."""
    for end in range(window, n + 1, window):
        w = answers[end - window:end]
        if all(a is not None for a in w) and len({key(a) for a in w}) == 1:
            return end
    return n


def decoded(used, size, n):
    return min(n, -(-used // size) * size)


# ---------------------------------------------------------------------------------------------------
# Statistics and IO


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sample_chains(trees, problem_id):
    """A Best-of-N run's samples from its `--trees` directory, in seed order: each the list of its step
    nodes (a Best-of-N tree is the root's children, each a chain of one child per step)."""
    with open(os.path.join(trees, problem_id + ".json"), encoding="utf-8") as f:
        nodes = {n["id"]: n for n in json.load(f)["nodes"]}
    chains = []
    for first in nodes[0]["children"]:
        chain = [nodes[first]]
        while chain[-1]["children"]:
            chain.append(nodes[chain[-1]["children"][0]])
        chains.append(chain)
    return chains


def paired(xs, ys):
    """Mean of x - y and its 95% half-width (normal approximation, sd with n - 1)."""
    d = [int(x) - int(y) for x, y in zip(xs, ys)]
    n = len(d)
    m = sum(d) / n
    var = sum((v - m) ** 2 for v in d) / (n - 1) if n > 1 else 0.0
    return m, 1.959964 * math.sqrt(var / n)


def fmt_diff(m, h):
    return f"{100 * m:+.1f} [{100 * (m - h):+.1f},{100 * (m + h):+.1f}]"


def verify_bon(records):
    """Mismatches of (rule, budget) picks/correct fields; and the count of checks."""
    bad_c, bad_p, checks, bad16 = 0, 0, 0, 0
    for r in records:
        for rule, by_budget in r["correct"].items():
            # Records written before conditional became variant (c) (the last 80 training problems were
            # written with an earlier rule) are not checked on it.
            if rule == "conditional" and (CONFIDENT_SCORE is None or r.get("_early_conditional")):
                continue
            for b, ok in by_budget.items():
                p = pick(rule, r["answers"][: int(b)], r["scores"][: int(b)])
                checks += 1
                mine = right(p, r["expected"])
                if mine != ok:
                    bad_c += 1
                    if b == "16" and rule in ("majority", "weighted"):
                        bad16 += 1
                want = (r.get("picks") or {}).get(rule, {}).get(b)
                if want is not None and want != p:
                    bad_p += 1
    return checks, bad_c, bad_p, bad16


def print_rule(label, recs, v, t):
    maj = [right(pick("majority", r["answers"], r["scores"]), r["expected"]) for r in recs]
    x = [right(conditional(v, t, r["answers"], r["scores"]), r["expected"]) for r in recs]
    m, h = paired(x, maj)
    wins = sum(1 for a, b in zip(x, maj) if a and not b)
    losses = sum(1 for a, b in zip(x, maj) if b and not a)
    print(f"   {label:14s} {100 * sum(x) / len(recs):.1f} vs majority {100 * sum(maj) / len(recs):.1f}: "
          f"{fmt_diff(m, h)}  (+{wins}/-{losses})")


# ---------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default=TRAIN)
    ap.add_argument("--grid", type=float, default=0.05, help="tau grid step (default 0.05)")
    ap.add_argument("--keep-overlap", action="store_true",
                    help="keep training problems whose question is also in a held-out file (dropped by default)")
    args = ap.parse_args()
    taus = [round(i * args.grid, 6) for i in range(int(round(1 / args.grid)) + 1)]

    held = {label: load(os.path.join(RUNS, f)) for label, f in HELD_OUT}
    train = load(args.train) if os.path.exists(args.train) else []
    for r in train:
        r["_early_conditional"] = True  # written before conditional became variant (c), or without it

    # 0. Verification -------------------------------------------------------------------------------
    print("== 0. Verification of the reimplementation")
    for label, recs in list(held.items()) + [("train/bon64", train)]:
        checks, bad_c, bad_p, bad16 = verify_bon(recs)
        print(f"{label:14s} {len(recs):4d} records, {checks} rule x budget checks: correct mismatches {bad_c} "
              f"(majority/weighted@16: {bad16}), pick mismatches {bad_p}")
    for name, afile, bfile in ADAPTIVE:
        ad = {r["id"]: r for r in load(os.path.join(RUNS, afile))}
        bon = {r["id"]: r for r in load(os.path.join(RUNS, bfile))}
        prefix = count = picks = corr = 0
        for i, a in ad.items():
            b = bon[i]
            k = adaptive_stop(b["answers"], 0.95, 16)
            prefix += a["answers"] != b["answers"][: len(a["answers"])]
            count += k != len(a["answers"])
            p = pick("majority", b["answers"][:k], [1.0] * k)
            picks += p != a["picks"]["majority"]["16"]
            corr += right(p, a["expected"]) != a["correct"]["majority"]["16"]
        print(f"adaptive {name:8s} {len(ad)} records (c=0.95): not a prefix of bon16 {prefix}, "
              f"sample-count mismatches {count}, pick mismatches {picks}, correct mismatches {corr}")
    # tokens: estimate vs real for the adaptive runs (4 samples per round)
    for name, afile, bfile in ADAPTIVE:
        ad = {r["id"]: r for r in load(os.path.join(RUNS, afile))}
        bon = {r["id"]: r for r in load(os.path.join(RUNS, bfile))}
        real = sum(a["tokensDecoded"] for a in ad.values())
        est = sum(bon[i]["tokensDecoded"] / 16 * decoded(len(a["answers"]), 4, 16) for i, a in ad.items())
        full = sum(b["tokensDecoded"] for b in bon.values())
        print(f"adaptive {name:8s} tokens decoded: real {real}, estimated {est:.0f} (bon16 {full}; real/bon16 {real / full:.3f})")

    # 1. Conditional majority on held-out files -----------------------------------------------------
    print("\n== 1. Conditional majority, held-out, n=16 (acc %, diff vs majority@16 in points [95%])")
    for v, text in VARIANTS.items():
        print(f"   ({v}) {text}")
    show = [t for t in taus if abs(t * 10 - round(t * 10)) < 1e-9]  # print tenths; the grid itself is finer
    for label, recs in held.items():
        maj = [right(pick("majority", r["answers"], r["scores"]), r["expected"]) for r in recs]
        wtd = [right(pick("weighted", r["answers"], r["scores"]), r["expected"]) for r in recs]
        m, h = paired(wtd, maj)
        print(f"-- {label}: majority@16 {100 * sum(maj) / len(recs):.1f}, weighted@16 {100 * sum(wtd) / len(recs):.1f} "
              f"(diff {fmt_diff(m, h)})")
        for v in VARIANTS:
            cells = []
            for t in show:
                x = [right(conditional(v, t, r["answers"], r["scores"]), r["expected"]) for r in recs]
                m, h = paired(x, maj)
                cells.append(f"{t:.1f}:{100 * sum(x) / len(recs):.1f}({fmt_diff(m, h)})")
            print(f"   ({v}) " + "  ".join(cells))

    # Choose the variant and tau on the training file -----------------------------------------------
    ns = [4, 8, 16, 32, 64]
    held_questions = {r["question"] for recs in held.values() for r in recs}
    overlap = sum(r["question"] in held_questions for r in train)
    if not args.keep_overlap:
        train = [r for r in train if r["question"] not in held_questions]
    ntrain = len(train)
    print(f"\n== 1b. Training file {os.path.relpath(args.train, ROOT)}: {ntrain} problems "
          f"({overlap} whose question is also held out {'kept' if args.keep_overlap else 'dropped'})")
    chosen = None
    if ntrain:
        ns = [n for n in ns if all(len(r["answers"]) >= n for r in train)]
        base = {}
        for n in ns:
            maj = [right(pick("majority", r["answers"][:n], r["scores"][:n]), r["expected"]) for r in train]
            wtd = [right(pick("weighted", r["answers"][:n], r["scores"][:n]), r["expected"]) for r in train]
            base[n] = maj
            print(f"   n={n:2d}: majority {100 * sum(maj) / ntrain:.1f}, weighted {100 * sum(wtd) / ntrain:.1f}")
        table = {}
        for v in VARIANTS:
            for t in taus:
                accs = {}
                for n in ns:
                    x = [right(conditional(v, t, r["answers"][:n], r["scores"][:n]), r["expected"]) for r in train]
                    accs[n] = sum(x) / ntrain
                table[(v, t)] = accs
        # Best at n=16; ties broken by mean accuracy over all n, then by the larger tau (closer to majority).
        n0 = 16 if 16 in ns else ns[-1]
        chosen = max(table, key=lambda vt: (round(table[vt][n0], 9), round(sum(table[vt].values()) / len(ns), 9), vt[1]))
        for v in VARIANTS:
            best_t = max((t for t in taus), key=lambda t: (round(table[(v, t)][n0], 9), round(sum(table[(v, t)].values()) / len(ns), 9), t))
            lo = min(t for t in taus if abs(table[(v, t)][n0] - table[(v, best_t)][n0]) < 1e-12)
            hi = max(t for t in taus if abs(table[(v, t)][n0] - table[(v, best_t)][n0]) < 1e-12)
            cells = "  ".join(f"n={n}:{100 * table[(v, best_t)][n]:.1f}" for n in ns)
            print(f"   ({v}) best tau {best_t:.2f} (taus with the same n={n0} accuracy span {lo:.2f}-{hi:.2f}): {cells}")
        for v in VARIANTS:
            row = "  ".join(f"{t:.1f}:{100 * table[(v, t)][n0]:.1f}" for t in show)
            print(f"   ({v}) n={n0} by tau: {row}")
        v, t = chosen
        print(f"   CHOSEN on training: variant ({v}), tau = {t:.2f}")
        if CONFIDENT_SCORE is not None:
            sb = table[("c", min(taus, key=lambda x: abs(x - CONFIDENT_SCORE)))]
            print(f"   (shipped Selection.conditional = (c) at {CONFIDENT_SCORE}: "
                  + "  ".join(f"n={n}:{100 * sb[n]:.1f}" for n in ns) + ")")
        cells = []
        for n in ns:
            x = [right(conditional(v, t, r["answers"][:n], r["scores"][:n]), r["expected"]) for r in train]
            cells.append(f"n={n}: {100 * sum(x) / ntrain:.1f} ({fmt_diff(*paired(x, base[n]))})")
        print("   chosen rule on training vs majority@n: " + "  ".join(cells))

        print(f"\n== 1c. Chosen rule ({v}, tau={t:.2f}) on held-out, n=16 vs majority@16")
        for label, recs in held.items():
            print_rule(label, recs, v, t)
        if CONFIDENT_SCORE is not None:
            print(f"   shipped Selection.conditional, (c) tau={CONFIDENT_SCORE}:")
            for label, recs in held.items():
                print_rule(label, recs, "c", CONFIDENT_SCORE)

    # 2. Adaptive consistency and ESC ---------------------------------------------------------------
    print("\n== 2. Early stopping (N=16, pick = majority of samples used). acc, diff vs majority@16 [95%], "
          "samples used %, decoded % for 1/2/4 samples per round (samples; tokens est.)")
    sets = [(name, load(os.path.join(RUNS, bfile))) for name, _, bfile in ADAPTIVE]
    rows = []
    for name, recs in sets:
        maj = [right(pick("majority", r["answers"], r["scores"]), r["expected"]) for r in recs]
        tok16 = sum(r["tokensDecoded"] for r in recs)
        print(f"-- {name}: majority@16 {100 * sum(maj) / len(recs):.1f}")
        rules = [(f"AC c={c}", lambda a, c=c: adaptive_stop(a, c, 16)) for c in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)]
        rules += [(f"ACw{w} c={c}", lambda a, c=c, w=w: adaptive_round_stop(a, c, 16, w))
                  for w in (2, 4) for c in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)]
        rules += [(f"ESC w={w}", lambda a, w=w: esc_stop(a, w, 16)) for w in (2, 3, 4, 5, 6, 8)]
        for rname, stop in rules:
            ks = [stop(r["answers"]) for r in recs]
            x = [right(pick("majority", r["answers"][:k], [1.0] * k), r["expected"]) for r, k in zip(recs, ks)]
            m, h = paired(x, maj)
            used = sum(ks) / (16 * len(recs))
            if rname.startswith("AC c"):
                rounds = (1, 2, 4)
            elif rname.startswith("ACw"):
                rounds = (int(rname[3]),)
            else:
                rounds = (int(rname.split("=")[1]),)
            dec = []
            for w in rounds:
                ds = [decoded(k, w, 16) for k in ks]
                s = sum(ds) / (16 * len(recs))
                tk = sum(r["tokensDecoded"] / 16 * d for r, d in zip(recs, ds)) / tok16
                dec.append((w, s, tk))
            ok = (m - h) <= 0 <= (m + h) and m >= -0.01
            rows.append((name, rname, m, h, used, dec, ok))
            dtxt = " ".join(f"w{w}:{100 * s:.0f}/{100 * tk:.0f}" for w, s, tk in dec)
            flag = "  <- majority level, <=50% decoded" if ok and min(d[1] for d in dec) <= 0.5 else ""
            print(f"   {rname:11s} {100 * sum(x) / len(recs):5.1f} {fmt_diff(m, h):22s} used {100 * used:5.1f}%  decoded {dtxt}{flag}")
    print("\nSettings at majority@16 level (interval contains 0, mean >= -1 pt) with <= 50% of samples decoded:")
    for name, _ in sets:
        hits = [f"{rname}" + (f" w{w}" if rname.startswith("AC c") else "") + f" ({100 * s:.0f}% samples, {100 * tk:.0f}% tokens)"
                for nm, rname, m, h, used, dec, ok in rows if nm == name and ok for w, s, tk in dec if s <= 0.5]
        print(f"   {name}: " + ("; ".join(hits) if hits else "none"))


if __name__ == "__main__":
    main()
