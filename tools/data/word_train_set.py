#!/usr/bin/env python3
"""Builds the word-problem training set for a PRM head: ASDiv, SVAMP, MultiArith and AddSub, minus every
problem that is, or nearly is, a question of an evaluation set.

Usage: tools/data/word_train_set.py OUT.jsonl [--eval data/singleop.jsonl data/singleeq.jsonl]
A training question is dropped when its word set overlaps an evaluation question's by Jaccard >= 0.5
(SVAMP rewrites MAWPS questions, so exact matching is not enough), or when its text is identical.
Answers must parse as numbers. Prints what it kept and dropped per source to stderr.
"""
import json, re, sys

SOURCES = ["data/asdiv.jsonl", "data/svamp.jsonl", "data/multiarith.jsonl", "data/addsub.jsonl"]
args = sys.argv[1:]
out = args[0]
evals = args[args.index("--eval") + 1:] if "--eval" in args else ["data/singleop.jsonl", "data/singleeq.jsonl"]


def words(q):
    return set(re.findall(r"[a-z]+|\d+(?:\.\d+)?", q.lower()))


held = [words(json.loads(l)["question"]) for p in evals for l in open(p) if l.strip()]
index = {}
for i, w in enumerate(held):
    for t in w:
        index.setdefault(t, []).append(i)


def near_duplicate(q):
    w = words(q)
    seen = {}
    for t in w:
        for i in index.get(t, ()):
            seen[i] = seen.get(i, 0) + 1
    return any(c / len(w | held[i]) >= 0.5 for i, c in seen.items())


kept_questions = set()
with open(out, "w") as f:
    for src in SOURCES:
        kept = dropped = bad = dup = 0
        for line in open(src):
            if not line.strip():
                continue
            p = json.loads(line)
            try:
                float(str(p["answer"]).replace(",", ""))
            except ValueError:
                bad += 1
                continue
            key = " ".join(p["question"].split())
            if key in kept_questions:
                dup += 1
                continue
            if near_duplicate(p["question"]):
                dropped += 1
                continue
            kept_questions.add(key)
            kept += 1
            f.write(json.dumps({"id": p["id"], "question": p["question"], "answer": str(p["answer"])}) + "\n")
        print(f"{src}: kept {kept}, dropped {dropped} near an evaluation question, {dup} repeats, {bad} non-numeric answers",
              file=sys.stderr)
