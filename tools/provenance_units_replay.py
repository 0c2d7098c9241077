#!/usr/bin/env python3
"""Would `provenance` gain from reading calculations with unit words ("9 apples + 2 apples = 11 apples")?

    python3 tools/provenance_units_replay.py RUN.jsonl TREES

RUN.jsonl and TREES are a Best-of-16 `--prm provenance` run on training problems and its `--trees`
directory (results/wave12/wordstrain-bon16-provenance.jsonl and the trees in
wordstrain-bon16-provenance-trees.tar.gz). A Python mirror of ProvenanceScorer (StepChecker's pattern, the
question's numbers, the answer step) rescores every sample with today's parse and with one that allows up to
three words (not "x") and "$" around each number. The mirror's answer extraction is simpler than Swift's,
so it agrees with the recorded step scores on most steps, not all: the script prints how many. It then
compares weighted Best-of-16 with each against majority@16 on the same samples.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import selection_sim as S  # noqa: E402
NUM = r'-?\d+(?:\.\d+)?'
OPS = r'[+\-*×x/÷]'
PLAIN = re.compile(f'({NUM})((?:\\s*{OPS}\\s*{NUM})+)\\s*=\\s*({NUM})')
OPER = re.compile(f'({OPS})\\s*({NUM})')
UNIT = r"(?:\s+(?!x\b)[A-Za-z']+){0,3}"
UNITS = re.compile(f'\\$?({NUM}){UNIT}((?:\\s*{OPS}\\s*\\$?{NUM}{UNIT})+)\\s*=\\s*\\$?({NUM})')
OPER_U = re.compile(f'({OPS})\\s*\\$?({NUM})')
def parse(text, units):
    out = []
    for m in (UNITS if units else PLAIN).finditer(text):
        first, tail, result = float(m.group(1)), m.group(2), float(m.group(3))
        ops, xs = [], [first]
        for o in (OPER_U if units else OPER).finditer(tail):
            sym = o.group(1); ops.append({'×': '*', 'x': '*', '÷': '/'}.get(sym, sym)); xs.append(float(o.group(2)))
        out.append((xs, ops, result))
    return out
def value(xs, ops):
    terms, signs = [xs[0]], []
    for op, x in zip(ops, xs[1:]):
        if op in '*/':
            if op == '/' and x == 0: return None
            terms[-1] = terms[-1] * x if op == '*' else terms[-1] / x
        else: terms.append(x); signs.append(op)
    v = terms[0]
    for s, t in zip(signs, terms[1:]): v = v + t if s == '+' else v - t
    return v
def right(c):
    v = value(c[0], c[1]); return v is not None and abs(v - c[2]) <= 1e-9 * max(1, abs(v))
WORDS = {"one": [1], "two": [2], "three": [3], "four": [4], "five": [5], "six": [6], "seven": [7], "eight": [8], "nine": [9],
 "ten": [10], "eleven": [11], "twelve": [12], "fifteen": [15], "twenty": [20], "thirty": [30], "fifty": [50], "hundred": [100],
 "dozen": [12], "dozens": [12], "twice": [2], "double": [2], "doubled": [2], "doubles": [2], "triple": [3], "tripled": [3], "halved": [2, 0.5], "thrice": [3], "half": [2, 0.5], "quarter": [4, 0.25],
 "week": [7], "weeks": [7], "hour": [60], "hours": [60], "pair": [2], "pairs": [2]}
def numbers(q):
    found = [float(m.replace(',', '')) for m in re.findall(r'\d[\d,]*(?:\.\d+)?', q)]
    for w in re.split(r'[^A-Za-z]+', q.lower()):
        found += WORDS.get(w, [])
    return found
def contains(vs, x): return any(abs(v - x) <= 1e-9 * max(1, abs(x)) for v in vs)
def extract(text):
    i = text.lower().rfind('answer:')
    if i < 0: return None
    rest = text[i + 7:].strip(' :$').split('\n')[0]
    m = re.search(r'-?[\d,]*\.?\d+', rest)
    return m.group(0) if m else None
def scores(question, steps, units):
    given = numbers(question); known = list(given); used = set(); results = []
    needed = min(2, len(set(given))); out = []
    for t in steps:
        calcs = parse(t, units); sc = 1.0
        for c in calcs:
            if not right(c): sc = 0
            for x in c[0]:
                idx = next((i for i, g in enumerate(given) if abs(g - x) <= 1e-9 * max(1, abs(x))), None)
                if idx is not None: used.add(idx); continue
                if not contains(known, x): sc = 0
            known.append(c[2]); results.append(c[2])
        if not calcs and 'answer' in t.lower():
            a = extract(t)
            try: v = float(a.replace(',', '')) if a else None
            except ValueError: v = None
            if v is not None:
                if not contains(results, v) and not contains(given, v): sc = 0
                elif len(set(given[i] for i in used)) < needed: sc = 0.5
        out.append(sc)
    return out
if len(sys.argv) != 3:
    sys.exit(__doc__)
recs = S.load(sys.argv[1])
match = total = 0
old_scores, new_scores = {}, {}
for r in recs:
    chains = S.sample_chains(sys.argv[2], r['id'])
    o, n = [], []
    for ch in chains:
        texts = [c['text'] for c in ch]
        so, sn = scores(r['question'], texts, False), scores(r['question'], texts, True)
        for c, s in zip(ch, so):
            total += 1; match += abs((c.get('score') or 0) - s) < 1e-9
        o.append(min(so) if so else 0); n.append(min(sn) if sn else 0)
    old_scores[r['id']], new_scores[r['id']] = o, n
print(f'mirror agrees with the Swift step scores on {match}/{total} steps')
base = [S.right(S.pick('majority', r['answers'], [1.0]*16), r['expected']) for r in recs]
for label, sc in [('recorded', {r['id']: r['scores'] for r in recs}), ('mirror, plain parse', old_scores), ('mirror, unit-tolerant parse', new_scores)]:
    acc = [S.right(S.pick('weighted', r['answers'], sc[r['id']]), r['expected']) for r in recs]
    m, h = S.paired(acc, base)
    zero = sum(s <= 0 for r in recs for s in sc[r['id']]) / (16 * len(recs))
    print(f'{label:30s} weighted@16 {100*sum(acc)/len(acc):.1f}% vs majority {100*sum(base)/len(base):.1f}%: {S.fmt_diff(m, h)}; zero-scored samples {100*zero:.0f}%')
