"""tg.viz.graph (the graph as DOT text, checked structurally) and tg.viz.draw; and the
flagship example's --explain flag, which uses both tools."""
from __future__ import annotations

import importlib.util
import re
import shutil
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import nn, viz

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------
# A small DOT reader: enough of the language to check what graph() writes.
# ---------------------------------------------------------------------------------------
NODE = re.compile(r"^\s+(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\s+(\w+) -> (\w+)(?: \[label=\"(\d+)\"\])?$")
ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(dot: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, str | None]]]:
    """{node id: {attribute: value}} and [(tail, head, edge label)], labels unescaped."""
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph computation_graph {" and lines[-1] == "}"
    nodes: dict[str, dict[str, str]] = {}
    edges = []
    for line in lines[1:-1]:
        if m := EDGE.match(line):
            edges.append((m[1], m[2], m[3]))
        elif (m := NODE.match(line)) and m[1] not in ("graph", "node", "edge"):
            attrs = {k: re.sub(r"\\(.)", lambda e: "\n" if e[1] == "n" else e[1], v)
                     for k, v in ATTR.findall(m[2])}
            assert m[1] not in nodes, f"node {m[1]} declared twice"
            nodes[m[1]] = attrs
        else:
            assert line.strip().startswith(("graph [", "node [", "edge [")), line
    for tail, head, _ in edges:
        assert tail in nodes and head in nodes, f"edge {tail} -> {head} to an undeclared node"
    return nodes, edges


def by_label(nodes: dict, first_line: str) -> list[str]:
    return [k for k, v in nodes.items() if v["label"].split("\n")[0] == first_line]


def lesson(n: int = 5) -> tuple[tg.Tensor, tg.Tensor]:
    """The lesson's loss mse(y, x @ a) on n points; returns (loss, a)."""
    tg.manual_seed(0)
    x = tg.ones(n, 2)
    x[:, 0].uniform_(-1., 1)
    y = x @ tg.tensor(3., 2) + tg.rand(n)
    a = nn.Parameter(tg.tensor(-1., 1))
    return ((y - x @ a) ** 2).mean(), a


# ---------------------------------------------------------------------------------------
# graph()
# ---------------------------------------------------------------------------------------
def test_lesson_graph_nodes_edges_and_labels() -> None:
    loss, a = lesson()
    nodes, edges = parse(viz.graph(loss, params={"a": a, "loss": loss}))
    ops = {v["label"]: k for k, v in nodes.items() if v.get("shape") == "ellipse"}
    assert set(ops) == {"Mv", "Sub", "Pow", "Mean"}
    tensors = {k: v for k, v in nodes.items() if v.get("shape") == "box"}
    assert len(tensors) == 4 + 1 + 3  # 4 op outputs, the leaf a, constants x, y and 2

    [leaf] = by_label(nodes, "a")
    assert nodes[leaf]["label"] == "a\n(2,) float32\nrequires_grad"
    assert nodes[leaf]["fillcolor"] == viz._LEAF_COLOR
    [root] = by_label(nodes, "loss")
    assert nodes[root]["label"] == "loss\n() float32\ngrad_fn=<MeanBackward0>"
    assert nodes[root]["fillcolor"] == viz._OUTPUT_COLOR

    def output_of(op: str) -> str:
        [(_, t, _)] = [e for e in edges if e[0] == ops[op]]
        return t

    def inputs_of(op: str) -> list[tuple[str, str | None]]:
        return [(tail, label) for tail, head, label in edges if head == ops[op]]

    # data flows x, a -> Mv -> (y -) Sub -> Pow (** 2) -> Mean -> loss
    assert output_of("Mean") == root
    assert inputs_of("Mean") == [(output_of("Pow"), None)]
    assert inputs_of("Pow")[0] == (output_of("Sub"), "0")
    assert inputs_of("Sub")[1] == (output_of("Mv"), "1")  # y - (x @ a): the 2nd operand
    matmul_in = dict((label, tail) for tail, label in inputs_of("Mv"))
    assert matmul_in["1"] == leaf
    assert nodes[matmul_in["0"]]["label"] == "constant\n(5, 2)"
    assert nodes[matmul_in["0"]]["style"] == "dashed"
    assert nodes[output_of("Mv")]["label"] == "(5,) float32\ngrad_fn=<MvBackward0>"
    assert nodes[output_of("Pow")]["label"] == "(5,) float32\ngrad_fn=<PowBackward0>"
    assert len(edges) == 4 + 2 + 2 + 2 + 1  # one out of each op; the ops' operands
    assert "no gradients yet" in viz.graph(loss)


def test_grad_norms_leaves_after_backward_and_intermediates_from_a_trace() -> None:
    loss, a = lesson()
    loss.backward()
    nodes, _ = parse(viz.graph(loss, params={"a": a}))
    [leaf] = by_label(nodes, "a")
    norm = float(np.linalg.norm(a.grad.tolist()))
    assert nodes[leaf]["label"].endswith(f"grad norm = {norm:.4g}")
    # the engine kept no intermediate gradient, so none is drawn (and the caption says so)
    assert sum("grad norm" in v["label"] for v in nodes.values()) == 1
    assert "draw with trace= to see them" in viz.graph(loss)

    loss, a = lesson()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    nodes, edges = parse(viz.graph(loss, params={"a": a}, trace=t))
    steps = {v["label"].split("\n")[0]: v["label"].split("\n")[1]
             for v in nodes.values() if v.get("shape") == "ellipse"}
    assert steps == {"Mean": "backward step 1", "Pow": "backward step 2",
                     "Sub": "backward step 3", "Mv": "backward step 4"}
    for record in t.records:  # each op's output shows the gradient backward sent it
        [box] = [v for v in nodes.values() if f"grad_fn=<{record.op}>" in v["label"]]
        assert box["label"].endswith(f"grad norm = {record.grad_output_norm:.4g}")


def test_graph_on_each_device(device: str) -> None:
    w = tg.ones(3, 2, device=device, requires_grad=True)
    b = tg.zeros(2, device=device, requires_grad=True)
    loss = (tg.ones(4, 3, device=device) @ w + b).sum()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    nodes, _ = parse(viz.graph(loss, params={"w": w, "b": b}, trace=t))
    [box] = by_label(nodes, "b")
    assert nodes[box]["label"].endswith(f"grad norm = {np.hypot(4, 4):.4g}")  # 4 rows summed


def test_trace_of_another_graph_adds_nothing() -> None:
    loss, _ = lesson()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    other, _ = lesson()
    assert "backward step" not in viz.graph(other, trace=t)


def test_leaf_used_twice_is_one_box_and_mlp_is_legible() -> None:
    tg.manual_seed(0)
    x = tg.randn(8, 6)
    target = tg.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    w1 = nn.Parameter(tg.randn(6, 4))
    b1 = nn.Parameter(tg.zeros(4))
    w2 = nn.Parameter(tg.randn(4, 3))
    b2 = nn.Parameter(tg.zeros(3))
    logp = ((x @ w1 + b1).relu() @ w2 + b2).log_softmax(1)
    loss = -logp[tg.arange(8), target].mean() + 1e-3 * (w1 * w1).sum()  # w1 used twice
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "loss": loss}
    nodes, edges = parse(viz.graph(loss, params=params))
    for name, p in params.items():
        [box] = by_label(nodes, name)
        assert f"{tuple(p.shape)} float32" in nodes[box]["label"]
    [w1_box] = by_label(nodes, "w1")
    assert sum(tail == w1_box for tail, _, _ in edges) == 3  # x @ w1, and w1 * w1
    ops = [v["label"] for v in nodes.values() if v.get("shape") == "ellipse"]
    assert sorted(ops) == sorted(["Mm", "Add", "Relu", "Mm", "Add", "LogSoftmax",
                                  "AdvancedIndex", "Mean", "Neg", "Mul", "Sum", "Mul", "Add"])
    for v in nodes.values():  # every tensor box says its shape
        if v.get("shape") == "box":
            assert re.search(r"\(\d*(, \d+)*,?\)", v["label"]), v["label"]


def test_digits_mlp_with_nn_modules() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    x, y = tg.rand(8, 64), tg.randint(0, 10, (8,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    params = dict(model.named_parameters())
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    nodes, edges = parse(viz.graph(loss, params={**params, "loss": loss}, trace=t))
    for name, p in params.items():  # each parameter: one blue box, with its name and grad
        [box] = by_label(nodes, name)
        assert nodes[box]["fillcolor"] == viz._LEAF_COLOR
        assert f"grad norm = {float(np.linalg.norm(p.grad.tolist())):.4g}" in nodes[box]["label"]
    [root] = by_label(nodes, "loss")
    assert any(head == root for _, head, _ in edges)
    steps = sorted(int(v["label"].split("backward step ")[1]) for v in nodes.values()
                   if "backward step" in v["label"])
    assert steps == list(range(1, len(t.records) + 1))  # every op drawn ran once


def test_dtypes_and_conversions() -> None:
    a = tg.tensor([1., 2.], requires_grad=True)
    d = a.double()  # a Cast: its target dtype is not kept by the graph
    loss = (d * 2).sum()
    nodes, _ = parse(viz.graph(loss))
    labels = [v["label"] for v in nodes.values()]
    assert "(2,) ?\ngrad_fn=<CastBackward0>" in labels
    assert "output\n() float64\ngrad_fn=<SumBackward0>" in labels  # the drawn tensor: known
    b = tg.tensor([1., 2.], dtype=tg.float64, requires_grad=True)
    nodes, _ = parse(viz.graph((b * b).sum()))
    assert "(2,) float64\ngrad_fn=<MulBackward0>" in [v["label"] for v in nodes.values()]


def test_names_are_quoted() -> None:
    a = tg.tensor([1.], requires_grad=True)
    nodes, _ = parse(viz.graph((a * 2).sum(), params={'say "hi" \\': a}))
    assert by_label(nodes, 'say "hi" \\')


def test_deep_graph_draws_without_recursion() -> None:
    a = tg.tensor([1.], requires_grad=True)
    x = a
    for _ in range(5000):
        x = x * 1.0
    nodes, edges = parse(viz.graph(x.sum()))
    assert sum(v.get("shape") == "ellipse" for v in nodes.values()) == 5001


def test_no_graph_to_draw_is_a_clear_error() -> None:
    a = tg.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf .* no graph to draw"):
        viz.graph(a)
    with pytest.raises(RuntimeError, match="no graph to draw.*no_grad"):
        viz.graph(tg.tensor([1., 2.]) * 2)
    with tg.no_grad():
        b = a * 2
    with pytest.raises(RuntimeError, match="grad mode off"):
        viz.draw(b, "unused.svg")
    with pytest.raises(TypeError, match="expects a Tensor"):
        viz.graph([1.0])


# ---------------------------------------------------------------------------------------
# draw()
# ---------------------------------------------------------------------------------------
def test_draw_without_graphviz_writes_dot_and_says_how_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(viz._shutil, "which", lambda name: None)
    loss, a = lesson()
    written = viz.draw(loss, tmp_path / "figs" / "graph.svg", params={"a": a})
    assert written == tmp_path / "figs" / "graph.dot"
    assert written.read_text() == viz.graph(loss, params={"a": a})
    assert not (tmp_path / "figs" / "graph.svg").exists()
    message = capsys.readouterr().out
    assert "`dot` is not installed" in message
    assert "apt install graphviz" in message and "brew install graphviz" in message
    assert "pip install graphviz" in message
    assert "Traceback" not in message


def test_draw_dot_suffix_needs_no_graphviz(tmp_path: Path) -> None:
    loss, _ = lesson()
    assert viz.draw(loss, tmp_path / "g.dot") == tmp_path / "g.dot"
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


FAKE_DOT = """#!{python}
# A stand-in for Graphviz's dot: writes an "svg" holding the DOT text it was given.
import sys
args = sys.argv[1:]
fmt = [a[2:] for a in args if a.startswith("-T")][0]
if fmt == "nope":
    sys.stderr.write('Format: "nope" not recognized. Use one of: svg png pdf')
    sys.exit(1)
out = args[args.index("-o") + 1] if "-o" in args else None
files = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i-1] != "-o")]
text = open(files[0]).read() if files else sys.stdin.read()
result = "<svg format='%s'>%s</svg>" % (fmt, text)
if out:
    open(out, "w").write(result)
else:
    sys.stdout.write(result)
"""


@pytest.mark.parametrize("with_package", [True, False])
def test_draw_renders_through_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture,
                                       with_package: bool) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(FAKE_DOT.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    if not with_package:  # the `graphviz` package missing: dot is run directly
        monkeypatch.setitem(sys.modules, "graphviz", None)
    loss, a = lesson()
    written = viz.draw(loss, tmp_path / "graph.svg", params={"a": a})
    assert written == tmp_path / "graph.svg"
    rendered = written.read_text()
    assert rendered.startswith("<svg format='svg'>digraph computation_graph {")
    assert (tmp_path / "graph.dot").exists()
    # a format Graphviz refuses: what it said, and the .dot file instead of a traceback
    assert viz.draw(loss, tmp_path / "graph.nope") == tmp_path / "graph.dot"
    message = capsys.readouterr().out
    assert "nope" in message and "saved as DOT" in message and "install" not in message


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz program is not installed")
def test_draw_with_real_graphviz(tmp_path: Path) -> None:
    loss, a = lesson()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    written = viz.draw(loss, tmp_path / "graph.svg", params={"a": a}, trace=t)
    svg = written.read_text()
    assert written.suffix == ".svg" and "<svg" in svg and "MvBackward0" in svg


# ---------------------------------------------------------------------------------------
# examples/linear_regression.py --explain
# ---------------------------------------------------------------------------------------
def test_example_explain(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = importlib.util.spec_from_file_location(
        "linear_regression_example", ROOT / "examples" / "linear_regression.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(["--explain", "--steps", "2", "--epochs", "1", "--no-plots",
                  "--out", str(tmp_path)])
    out = capsys.readouterr().out
    traced = [line.split()[1] for line in out.splitlines() if re.match(r"\s+\d\. \w", line)]
    assert traced == ["MeanBackward0", "PowBackward0", "SubBackward0", "MvBackward0"]
    dot = (tmp_path / "linear_regression_graph.dot").read_text()
    nodes, _ = parse(dot)
    assert by_label(nodes, "a") and by_label(nodes, "loss")
    assert "backward step 4" in dot
