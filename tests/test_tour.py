"""docs/tour.md stays true to the source: every `path.py::name` reference resolves to a
function, class or module-level name, every code block quoted from a function still appears
in it (in order), and the trace printed in the tour is what trace() prints today."""
from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import nn

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "docs" / "tour.md"

# `tinygrad_sgd/function.py::run_backward`, `tinygrad_sgd/ops/reduce.py::Mean.backward`,
# or a bare file: `examples/linear_regression.py`
REF = re.compile(r"((?:tinygrad_sgd|examples|tests|benchmarks)/[\w/]+\.py)(?:::([\w.]+))?")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.S | re.M)


def resolve(path: str, qualname: str | None, root: Path = ROOT) -> ast.AST | str:
    """The ast node that `path::qualname` names, or a sentence saying why there is none."""
    file = root / path
    if not file.is_file():
        return f"{path}: no such file"
    tree: ast.AST = ast.parse(file.read_text(encoding="utf-8"))
    if qualname is None:
        return tree
    node = tree
    for depth, part in enumerate(qualname.split(".")):
        found = None
        for child in getattr(node, "body", []):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if child.name == part:
                    found = child
            elif isinstance(child, (ast.Assign, ast.AnnAssign)):  # names like backward_hooks
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if part in names:
                    found = child
        if found is None:
            where = ".".join(qualname.split(".")[:depth]) or "the module"
            return f"{path}::{qualname}: {part!r} is not defined in {where}"
        node = found
    return node


def source_lines(path: str, node: ast.AST, root: Path = ROOT) -> list[str]:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    if isinstance(node, ast.Module):
        return lines
    return lines[node.lineno - 1:node.end_lineno]


def problems(text: str, root: Path = ROOT) -> list[str]:
    """Everything in a tour's text that no longer matches the source under `root`."""
    found = []
    for m in REF.finditer(text):
        result = resolve(m[1], m[2], root)
        if isinstance(result, str):
            found.append(result)
    for info, body in FENCE.findall(text):
        words = info.split()
        if len(words) < 2 or words[0] != "python":
            continue
        ref = REF.fullmatch(words[1])
        node = resolve(ref[1], ref[2], root) if ref else f"bad reference {words[1]!r}"
        if isinstance(node, str):
            continue  # already reported above
        source = [line.rstrip() for line in source_lines(ref[1], node, root)]
        at = 0
        for line in body.splitlines():
            if not line.strip() or line.strip() == "...":  # '...' marks left-out lines
                continue
            try:
                at = source.index(line.rstrip(), at) + 1
            except ValueError:
                found.append(f"{words[1]}: quoted line not in the source (in this order): "
                             f"{line.strip()!r}")
                break
    return found


def test_every_reference_and_quote_resolves() -> None:
    found = problems(TOUR.read_text(encoding="utf-8"))
    assert not found, ("docs/tour.md no longer matches the source: after renaming or "
                       "rewriting code that the tour visits, update the tour.\n"
                       + "\n".join(found))


def test_the_tour_walks_the_whole_path() -> None:
    refs = {f"{m[1]}::{m[2]}" for m in REF.finditer(TOUR.read_text(encoding="utf-8"))}
    for needed in ["tinygrad_sgd/tensor.py::Tensor.backward",
                   "tinygrad_sgd/autograd/engine.py::Function.apply",
                   "tinygrad_sgd/autograd/engine.py::backward",
                   "tinygrad_sgd/autograd/engine.py::sum_to",
                   "tinygrad_sgd/ops/reduce.py::Mean.backward",
                   "tinygrad_sgd/ops/arithmetic.py::Pow.backward",
                   "tinygrad_sgd/ops/arithmetic.py::Sub.backward",
                   "tinygrad_sgd/ops/arithmetic.py::Mv.backward",
                   "tinygrad_sgd/tensor.py::Tensor._accumulate_grad"]:
        assert needed in refs, f"the tour no longer visits {needed}"


def test_the_checker_catches_broken_references(tmp_path: Path) -> None:
    """The check above can fail: a renamed function, a missing file and a stale quote."""
    pkg = tmp_path / "tinygrad_sgd"
    pkg.mkdir()
    (pkg / "engine.py").write_text("class Op:\n    def backward(ctx, g):\n        return g * 2\n"
                                   "\n\nhooks = []\n")
    good = ("`tinygrad_sgd/engine.py::Op.backward` and `tinygrad_sgd/engine.py::hooks`\n"
            "```python tinygrad_sgd/engine.py::Op.backward\n        return g * 2\n```\n")
    assert problems(good, tmp_path) == []
    bad = ("`tinygrad_sgd/engine.py::Op.forward` `tinygrad_sgd/gone.py::f` "
           "`tinygrad_sgd/engine.py::Nope`\n"
           "```python tinygrad_sgd/engine.py::Op.backward\n        return g * 3\n```\n")
    found = problems(bad, tmp_path)
    assert len(found) == 4, found
    assert "'forward' is not defined in Op" in found[0]
    assert "no such file" in found[1]
    assert "'Nope' is not defined in the module" in found[2]
    assert "return g * 3" in found[3]


def test_the_trace_in_the_tour_is_what_trace_prints() -> None:
    """The tour shows the trace of the lesson's first step (examples/linear_regression.py
    --explain, seed 42); it must be today's output, op order and numbers alike."""
    blocks = dict(FENCE.findall(TOUR.read_text(encoding="utf-8")))
    shown = blocks["text lesson-trace"].rstrip("\n")
    spec = importlib.util.spec_from_file_location(
        "linear_regression_example", ROOT / "examples" / "linear_regression.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    tg.manual_seed(42)  # as the example's main() does
    x, y = example.make_data(100, "cpu")
    a = nn.Parameter(tg.tensor(-1., 1))
    loss = example.mse(y, x @ a)
    with tg.autograd.trace(show=False, params={"a": a}) as t:
        loss.backward()
    assert str(t) == shown


def test_the_anomaly_message_in_the_tour_is_what_detect_anomaly_says() -> None:
    blocks = dict(FENCE.findall(TOUR.read_text(encoding="utf-8")))
    shown = blocks["text anomaly-message"].splitlines()
    x = tg.tensor([0., 4.], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = x.sqrt()            # √x has an infinite slope at 0
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    said = f"RuntimeError: {info.value}".splitlines()
    assert said[:4] == shown[:4]  # the file and line differ: the tour's is a script
    assert said[-1] == shown[-1]


def test_the_reuse_trace_in_the_tour_is_what_trace_prints() -> None:
    """The tour's example of a tensor used twice: its trace and a.grad are today's."""
    blocks = dict(FENCE.findall(TOUR.read_text(encoding="utf-8")))
    a = tg.tensor([1., 2.], requires_grad=True)
    b = a * 3
    c = b * b + b
    with tg.autograd.trace(show=False, params={"a": a}) as t:
        c.sum().backward()
    assert str(t) == blocks["text reuse-trace"].rstrip("\n")
    assert a.grad.tolist() == [21.0, 39.0]
    assert "`a.grad` is `tensor([21., 39.])`" in TOUR.read_text(encoding="utf-8")
