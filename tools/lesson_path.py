#!/usr/bin/env python
"""What a learner steps through: the distinct library lines one lesson step executes.

Runs the fast.ai lesson's step (forward `mse(x@a, y)`, `loss.backward()`, the update under
`no_grad`) twice to warm up, then traces one more with `sys.settrace` and counts the
distinct lines of tinygrad_sgd that ran, per file. `--show` prints the lines themselves.

    python tools/lesson_path.py [--show] [--max-lines L] [--max-files F]

Exit status 1 when over a given maximum (the engine issue's bar: 130 lines, 6 files).
"""
from __future__ import annotations

import argparse
import linecache
import os
import sys

import tinygrad_sgd as torch
from tinygrad_sgd import nn

ROOT = os.path.dirname(torch.__file__)


def traced(fn) -> set[tuple[str, int]]:
    """(file, line) of every library line that runs inside fn()."""
    lines: set[tuple[str, int]] = set()

    def tracer(frame, event, arg):
        filename = frame.f_code.co_filename
        if event == "line" and filename.startswith(ROOT):
            lines.add((filename, frame.f_lineno))
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return lines


def lesson_step() -> dict[str, set[tuple[str, int]]]:
    """The lesson's data and parameter, two warm-up steps, then one traced step."""
    torch.manual_seed(42)
    n = 100
    x = torch.ones(n, 2)
    x[:, 0].uniform_(-1., 1)
    y = x @ torch.tensor(3., 2) + torch.rand(n)
    a = nn.Parameter(torch.tensor(-1., 1))
    lr = 1e-1
    state = {}

    def mse(y_hat, y):
        return ((y_hat - y) ** 2).mean()

    def forward():
        state["loss"] = mse(x @ a, y)

    def backward():
        state["loss"].backward()

    def update():
        with torch.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()

    for _ in range(2):  # first-call paths (imports, caches) are not the lesson
        forward()
        backward()
        update()
    return {"forward": traced(forward), "backward": traced(backward),
            "update": traced(update)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="print every line, file by file")
    ap.add_argument("--max-lines", type=int, default=None)
    ap.add_argument("--max-files", type=int, default=None)
    args = ap.parse_args(argv)
    parts = lesson_step()
    every = set().union(*parts.values())
    per_file: dict[str, list[int]] = {}
    for filename, line in every:
        per_file.setdefault(filename, []).append(line)
    for filename, lines in sorted(per_file.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(lines):5d}  {os.path.relpath(filename, ROOT)}")
        if args.show:
            for line in sorted(lines):
                print(f"         {line:4d}  {linecache.getline(filename, line).rstrip()}")
    print(f"lesson path: {len(every)} lines in {len(per_file)} files (forward "
          f"{len(parts['forward'])}, backward {len(parts['backward'])}, update "
          f"{len(parts['update'])})")
    over_lines = args.max_lines is not None and len(every) > args.max_lines
    over_files = args.max_files is not None and len(per_file) > args.max_files
    return 1 if over_lines or over_files else 0


if __name__ == "__main__":
    sys.exit(main())
