#!/usr/bin/env python3
"""Puts generated Markdown into a document between its markers, leaving the prose around them alone.

    python3 tools/reports/embed.py DOC NAME [FILE]        (FILE, or standard input: the generated text)

DOC holds `<!-- NAME:start -->` and `<!-- NAME:end -->`; everything between them is replaced. The report
scripts print their tables and this puts them in place, so a report's figures always come from a script and
its prose from a person. Fails when DOC has no such markers (a renamed region must not go missing silently).
"""
import sys


def main(doc, name, source=None):
    body = (open(source, encoding="utf-8") if source else sys.stdin).read().strip()
    text = open(doc, encoding="utf-8").read()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        sys.exit(f"embed: {doc} has no {start} … {end} region")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    open(doc, "w", encoding="utf-8").write(head + start + "\n" + body + "\n" + end + tail)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
