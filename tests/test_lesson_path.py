"""The engine issue's bar, kept: one warm lesson step executes at most 130 distinct library
lines in at most 6 files (tools/lesson_path.py measures it with sys.settrace)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_lesson_step_reads_in_130_lines_of_6_files() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "lesson_path.py"),
                          "--max-lines", "130", "--max-files", "6"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert summary.startswith("lesson path: ") and "engine.py" in run.stdout, run.stdout
