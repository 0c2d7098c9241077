#!/usr/bin/env python3
"""Copies docs/search-report.md, docs/scaling-report.md, docs/scaling-report-head.md and docs/singleop-report.md into the README between their markers
(<!-- NAME:start --> … <!-- NAME:end -->), pointing their images at docs/. With names as arguments (for
example `scaling-report-head`), only those: the search report's region also holds the verifier report, which
tools/verifier_report.py embeds.
Usage: tools/embed_reports.py [NAME…]"""
import os, re, sys

root = os.path.join(os.path.dirname(__file__), "..")
readme_path = os.path.join(root, "README.md")
readme = open(readme_path).read()
for name in sys.argv[1:] or ["search-report", "scaling-report", "scaling-report-head", "singleop-report"]:
    path = os.path.join(root, "docs", name + ".md")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if not os.path.exists(path) or start not in readme:
        continue
    body = re.sub(r"\]\((?!https?:|docs/)([^)]+\.svg)\)", r"](docs/\1)", open(path).read().strip())
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    readme = head + start + "\n" + body + "\n" + end + tail
open(readme_path, "w").write(readme)
