#!/usr/bin/env python3
"""Drops from a banyan eval output (JSON Lines) the problems whose question also appears in a held-out run.

Usage: tools/data/drop_overlap.py TRAIN.jsonl HELDOUT.jsonl > TRAIN.train.jsonl
Questions are compared after collapsing whitespace. One-digit chains repeat: about 5% of a training seed's
questions are also held-out ones, and a table or head learned on them would have seen the test.
"""
import json, sys


def questions(path):
    return {" ".join(json.loads(l)["question"].split()) for l in open(path) if l.strip()}


held = questions(sys.argv[2])
kept = dropped = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    if " ".join(json.loads(line)["question"].split()) in held:
        dropped += 1
        continue
    kept += 1
    sys.stdout.write(line if line.endswith("\n") else line + "\n")
print(f"{sys.argv[1]}: kept {kept}, dropped {dropped} whose question is held out in {sys.argv[2]}", file=sys.stderr)
