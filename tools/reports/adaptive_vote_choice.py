#!/usr/bin/env python3
"""Choose `adaptive --vote weighted`'s settings on training problems, by replaying a Best-of-16 run.

    banyan eval --dataset TRAIN --strategy best-of-n --n 16 --prm P --batch 8 --out RUN.jsonl --trees TREES
    python3 tools/reports/adaptive_vote_choice.py RUN.jsonl TREES [--delimiter '\\n'] [--fallback]

Sample i of `adaptive` is sample i of Best-of-N with the same seed, so the Best-of-16 run's samples, with
their step scores and token counts from the search trees, replay the Swift strategy exactly:

* rounds of 2 samples per problem (`--samples-per-round 2`); after each sample the weighted Beta rule
  P(Beta(w1 + 1, w2 + 1) > 1/2) >= c decides whether the vote is settled (w1, w2: the two largest
  per-answer sums of the samples' min-aggregated scores), at most N samples;
* a sample is abandoned at the first step scored 0 that ends with the delimiter (an unfinished step: the
  sample would have gone on), so it decodes only the tokens up to there, and has no answer;
* the answer is the weighted pick of the samples used; tokens count every sample of every round decoded.

With --fallback the grid also tries a fallback of F samples: when the cap is reached and no sample has a
positive vote, F more samples (the next in seed order) are decoded in full, never abandoned, and their
majority answers.

The chosen setting is the one decoding the fewest tokens whose training accuracy is at least
majority@16's on the same problems (majority@16 decodes all 16 samples in full). Prints the grid.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import selection_sim as S  # noqa: E402
from scipy.stats import beta  # noqa: E402

CONFIDENCES = (0.6, 0.7, 0.8, 0.9, 0.95)
CAPS = (6, 8, 10, 12, 16)
ROUND = 2


def samples(record, trees, delimiter):
    """Per sample, in seed order: (answer or None, min step score, tokens decoded if abandoning, full tokens)."""
    out = []
    for chain in S.sample_chains(trees, record["id"]):
        full = sum(len(n["tokens"]) for n in chain)
        used, abandoned = full, False
        spent = 0
        for n in chain:
            spent += len(n["tokens"])
            if (n.get("score") or 0) <= 0 and n["text"].endswith(delimiter):
                used, abandoned = spent, True
                break
        score = min((n.get("score") or 0) for n in chain) if chain else 0.0
        answer = None if abandoned else chain[-1].get("answer")
        out.append((answer, 0.0 if abandoned else score, used, full, chain[-1].get("answer") if chain else None))
    if [a for a, *_ in out if a is not None] != [a for a, (b, *_) in zip(record["answers"], out) if b is not None]:
        raise SystemExit(f"{record['id']}: the tree's answers are not the run's")
    return out


def settled(votes, confidence):
    _, _, total, _ = S.tally([a for a, _ in votes], [max(0.0, s) for _, s in votes])
    top = sorted(total.values(), reverse=True)
    if not top:
        return False
    return beta.sf(0.5, top[0] + 1, (top[1] if len(top) > 1 else 0.0) + 1) >= confidence


def replay(sample_list, confidence, cap, fallback=0):
    votes, tokens = [], 0
    for start in range(0, cap, ROUND):
        batch = sample_list[start:min(cap, start + ROUND)]
        tokens += sum(s[2] for s in batch)
        done = False
        for answer, score, *_ in batch:
            votes.append((answer, score))
            if settled(votes, confidence):
                done = True
                break
        if done:
            break
    if fallback and not any(a is not None and s > 0 for a, s in votes):
        extra = sample_list[cap:cap + fallback]
        tokens += sum(s[3] for s in extra)
        return S.pick("majority", [s[4] for s in extra], [1.0] * len(extra)), tokens, len(votes) + len(extra)
    pick = S.pick("weighted", [a for a, _ in votes], [s for _, s in votes])
    return pick, tokens, len(votes)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    records = S.load(sys.argv[1])
    args = sys.argv[3:]
    delimiter = args[args.index("--delimiter") + 1].encode().decode("unicode_escape") if "--delimiter" in args else "\n"
    fallbacks = (0, 2, 4, 6) if "--fallback" in args else (0,)
    per = [samples(r, sys.argv[2], delimiter) for r in records]
    base = [S.right(S.pick("majority", r["answers"][:16], [1.0] * 16), r["expected"]) for r in records]
    base_tokens = sum(sum(s[3] for s in p[:16]) for p in per)
    print(f"training: {sys.argv[1]} ({len(records)} problems); majority@16 {100 * sum(base) / len(records):.1f}%, "
          f"{base_tokens} tokens")
    print("  c     N  F  accuracy  difference [95%]     samples used  tokens decoded / majority@16's")
    best = None
    for cap, fallback in ((cap, f) for f in fallbacks for cap in CAPS if cap + f <= 16):
        for c in CONFIDENCES:
            runs = [replay(p, c, cap, fallback) for p in per]
            acc = [S.right(pick, r["expected"]) for (pick, _, _), r in zip(runs, records)]
            m, h = S.paired(acc, base)
            tokens = sum(t for _, t, _ in runs) / base_tokens
            used = sum(u for _, _, u in runs) / len(runs)
            print(f"  {c:<5} {cap:>2} {fallback:>2}  {100 * sum(acc) / len(acc):6.1f}%   {S.fmt_diff(m, h):22s} {used:5.1f}        {100 * tokens:5.1f}%")
            if m >= 0 and (best is None or tokens < best[2]):
                best = (c, cap, tokens, fallback)
    if best is None:
        sys.exit("no setting reaches majority@16's training accuracy")
    print(f"chosen: --confidence {best[0]} --n {best[1]} --samples-per-round {ROUND}"
          f"{f' --fallback {best[3]}' if best[3] else ''} ({100 * best[2]:.1f}% of majority@16's tokens on training problems)")


if __name__ == "__main__":
    main()
