"""How long `import tinygrad_sgd` takes against `import numpy` (issue 12's bar: < 1.5x).

Each import runs in a fresh interpreter, many times, interleaved with the other two (the
machine is shared); the table gives the fastest run of each, minus a bare `python -c pass`
(the interpreter's own start-up). tinygrad_sgd's import includes numpy's.

Run twice, as a user meets it:
  with bytecode   Python's normal case: the first import writes __pycache__/*.pyc, later
                  imports read it (what this script measures after compiling the package)
  from source     PYTHONDONTWRITEBYTECODE=1 and no cache: every import compiles the source

    python benchmarks/import_time.py [--repeats 30]
"""
from __future__ import annotations

import argparse
import compileall
import os
import pathlib
import shutil
import subprocess
import sys
import time

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tinygrad_sgd"
CODES = {"python": "pass", "numpy": "import numpy", "tinygrad_sgd": "import tinygrad_sgd"}


def fastest(repeats: int, env: dict) -> dict[str, float]:
    """The fastest wall time of each snippet in a fresh interpreter, interleaved."""
    best = {name: float("inf") for name in CODES}
    for _ in range(repeats):
        for name, code in CODES.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def clear_cache() -> None:
    for cache in PACKAGE.rglob("__pycache__"):
        shutil.rmtree(cache)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    print("mode           | python  | import numpy | import tinygrad_sgd | ratio")
    print("---------------+---------+--------------+---------------------+------")
    for mode in ("with bytecode", "from source"):
        env = dict(os.environ)
        clear_cache()
        if mode == "with bytecode":
            compileall.compile_dir(str(PACKAGE), quiet=1)
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        t = fastest(args.repeats, env)
        numpy_s, ours_s = t["numpy"] - t["python"], t["tinygrad_sgd"] - t["python"]
        print(f"{mode:14s} | {t['python'] * 1e3:5.1f}ms | {numpy_s * 1e3:10.1f}ms | "
              f"{ours_s * 1e3:17.1f}ms | {ours_s / numpy_s:.2f}x")
    clear_cache()
    print("times: the fastest of the runs, minus `python -c pass`; ratio: tinygrad_sgd's "
          "import (numpy's included) over numpy's")


if __name__ == "__main__":
    main()
