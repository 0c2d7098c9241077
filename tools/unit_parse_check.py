#!/usr/bin/env python3
"""Which steps of a run does session 13's calculation parse read differently from session 12's?

    python3 tools/unit_parse_check.py TREES...

TREES are `banyan eval --trees` directories. Every node's text is parsed twice with Python copies of
StepChecker's patterns: the old one (bare numbers: `x op y = z`) and the new one ("$" before a number, up to
three unit words after it, on the same line; a result written with decimals may be rounded to them). Prints,
per directory, how many steps there are, how many have different calculations, and how many get a different
verdict (wrong / correct / none), with examples. On the chains, zero of each means every checker result on
them stands as it was.
"""
import glob
import json
import os
import re
import sys

NUM = r'-?\d+(?:\.\d+)?'
OPS = r'[+\-*×x/÷]'
UNITS = r"(?:[ \t]+(?!x\b)[A-Za-z']+){0,3}"
OLD = re.compile(f'({NUM})((?:\\s*{OPS}\\s*{NUM})+)\\s*=\\s*({NUM})')
OLD_OP = re.compile(f'({OPS})\\s*({NUM})')
NEW = re.compile(f'\\$?({NUM}){UNITS}((?:\\s*{OPS}\\s*\\$?{NUM}{UNITS})+)\\s*=\\s*\\$?({NUM})')
NEW_OP = re.compile(f'({OPS})\\s*\\$?({NUM})')
WORD = re.compile(r"(?<![A-Za-z'])(?!x(?![A-Za-z']))[A-Za-z']+")


def parse(text, new):
    out = []
    for m in (NEW if new else OLD).finditer(text):
        tail = WORD.sub("", m.group(2)) if new else m.group(2)
        ops, xs = [], [float(m.group(1))]
        for o in (NEW_OP if new else OLD_OP).finditer(tail):
            ops.append({'×': '*', 'x': '*', '÷': '/'}.get(o.group(1), o.group(1)))
            xs.append(float(o.group(2)))
        written = m.group(3)
        decimals = len(written.split('.')[1]) if new and '.' in written else 0
        out.append((xs, ops, float(written), decimals))
    return out


def value(xs, ops):
    terms, signs = [xs[0]], []
    for op, x in zip(ops, xs[1:]):
        if op in '*/':
            if op == '/' and x == 0:
                return None
            terms[-1] = terms[-1] * x if op == '*' else terms[-1] / x
        else:
            terms.append(x)
            signs.append(op)
    v = terms[0]
    for s, t in zip(signs, terms[1:]):
        v = v + t if s == '+' else v - t
    return v


def verdict(calcs):
    def right(c):
        v = value(c[0], c[1])
        return v is not None and abs(v - c[2]) <= (0.5 * 10 ** -c[3] if c[3] else 0) + 1e-9 * max(1, abs(v))
    if any(not right(c) for c in calcs):
        return "wrong"
    return "correct" if calcs else "none"


def main(dirs):
    for d in dirs:
        steps = changed = flipped = 0
        examples = []
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            for n in json.load(open(path, encoding="utf-8"))["nodes"][1:]:
                text = n.get("text") or ""
                steps += 1
                old, new = parse(text, False), parse(text, True)
                if [c[:3] for c in old] != [c[:3] for c in new]:
                    changed += 1
                if verdict(old) != verdict(new):
                    flipped += 1
                    if len(examples) < 5:
                        examples.append(f"    {verdict(old)} → {verdict(new)}: {text.strip()!r}")
        print(f"{d}: {steps} steps; {changed} parse differently, {flipped} change verdict")
        print("\n".join(examples))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
