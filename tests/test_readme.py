"""Every ```python block of README.md runs as pasted, in a fresh interpreter, and prints
what its comments say.

The convention: a comment containing `prints: TEXT` (for example
`print(loss)  # prints: tensor(7.8118, grad_fn=<MeanBackward0>)` or
`# first prints: ...`) states one line of output. The block's stdout must contain every
stated line, whole and in the order the comments come. Lines without such a comment may
print anything.

Each block runs twice in a fresh subprocess, in an empty folder, with the repository on
PYTHONPATH: as a script (`python block.py`), and line by line through an interactive
console, the way a paste into `python`'s prompt reads it (there a compound statement
ends only at a blank line, and expression statements echo their values).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"#.*?\bprints: (.+?)\s*$")

# Feeds a file to code.InteractiveConsole line by line, as a paste into the prompt; exits
# 1 if any statement raised or did not compile (the console itself only prints those).
PASTE = """\
import code, sys
class Console(code.InteractiveConsole):
    failed = False
    def showtraceback(self):
        Console.failed = True
        super().showtraceback()
    def showsyntaxerror(self, filename=None, **kwargs):
        Console.failed = True
        super().showsyntaxerror(filename, **kwargs)
console = Console()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines() + [""]:
    console.push(line)
sys.exit(1 if Console.failed else 0)
"""


def python_blocks(markdown: str) -> list[str]:
    """The source of every ```python fenced block, in order."""
    return FENCE.findall(markdown)


def stated_lines(block: str) -> list[str]:
    """The output lines that the block's `prints:` comments state, in order."""
    return [m.group(1) for line in block.splitlines() if (m := PRINTS.search(line))]


def not_printed(stated: list[str], stdout: str) -> list[str]:
    """The stated lines that stdout lacks, whole and in order (an empty list if none)."""
    lines = [line.strip() for line in stdout.splitlines()]
    missing, start = [], 0
    for want in stated:
        try:
            start = lines.index(want, start) + 1
        except ValueError:
            missing.append(want)
    return missing


def run_block(block: str, folder: Path, mode: str) -> subprocess.CompletedProcess:
    """Run `block` in a fresh interpreter in `folder`, as a script or as a paste."""
    script = folder / "block.py"
    script.write_text(block, encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, str(script)] if mode == "script" else \
        [sys.executable, "-c", PASTE, str(script)]
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)


def check_block(block: str, folder: Path, mode: str) -> None:
    """Assert that `block` exits 0 and prints every line its comments state."""
    done = run_block(block, folder, mode)
    assert done.returncode == 0, f"the block failed ({mode}):\n{block}\n{done.stderr[-3000:]}"
    missing = not_printed(stated_lines(block), done.stdout)
    assert not missing, (f"({mode}) the comments say it prints {missing}, but it printed:\n"
                         f"{done.stdout[-3000:]}")


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks_that_state_their_output() -> None:
    assert len(BLOCKS) >= 2
    assert "torch.manual_seed(" in BLOCKS[0]  # the lesson's printed losses depend on it
    assert all(stated_lines(b) for b in BLOCKS), "each block states some of its output"


@pytest.mark.parametrize("mode", ["script", "pasted"])
@pytest.mark.parametrize("index", range(len(BLOCKS)),
                         ids=[b.splitlines()[0][:30] for b in BLOCKS])
def test_readme_block_runs_and_prints_what_it_says(tmp_path: Path, index: int,
                                                   mode: str) -> None:
    check_block(BLOCKS[index], tmp_path, mode)


# The check itself must be able to fail.
@pytest.mark.parametrize("block, why", [
    ("print(1 + 1)  # prints: 3\n", "the comments say it prints ['3']"),
    ("print('b')  # prints: a\nprint('a')  # prints: b\n", "prints ['b']"),  # order counts
    ("print(undefined)  # prints: 0\n", "NameError"),
    ("for i in range(2):\n    pass\nprint(i)  # prints: 1\n", "SyntaxError"),  # paste only
])
def test_the_check_fails_when_the_readme_is_wrong(tmp_path: Path, block: str,
                                                  why: str) -> None:
    modes = ["pasted"] if why == "SyntaxError" else ["script", "pasted"]
    for mode in modes:
        with pytest.raises(AssertionError, match=re.escape(why)):
            check_block(block, tmp_path, mode)


def test_stated_lines_and_not_printed() -> None:
    block = "f(x)   # first prints: tensor(1.5)\nprint(y)  # prints: done\nz = 1  # no output\n"
    assert stated_lines(block) == ["tensor(1.5)", "done"]
    assert not_printed(["tensor(1.5)", "done"], "tensor(1.5)\nmore\n  done \n") == []
    assert not_printed(["done", "tensor(1.5)"], "tensor(1.5)\ndone\n") == ["tensor(1.5)"]
