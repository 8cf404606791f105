"""Drawing the computation graph: `graph(loss)` gives Graphviz DOT text, `draw(loss, path)`
renders it to a file.

    dot_text = tg.viz.graph(loss, params={"a": a})
    tg.viz.draw(loss, "out/graph.svg", params={"a": a})

What the drawing shows, and where each fact comes from. The graph's nodes are Function
instances (a tensor's `grad_fn`); each knows its inputs (`node.parents`: the node that made
the input, the leaf tensor itself, or None for a constant) and their shapes
(`node.input_shapes`). Intermediate tensors are *not* kept by the graph (that frees their
memory), so:

- ellipses are ops; boxes are tensors; edges follow the data, from inputs to outputs;
- an intermediate tensor's shape is the input shape recorded by the op that used it; its
  dtype is its op's input dtype (every op here gets its operands promoted to one dtype
  first), except after a dtype conversion (Cast), whose target is not kept: shown as '?';
- blue boxes are leaves that require grad (what backward computes `.grad` for), the green
  box is the tensor you drew from, dashed boxes are constants (inputs needing no gradient);
- gradient norms: a leaf shows the norm of its `.grad` as it is now. Intermediate gradients
  are dropped by the engine as soon as they are used, so they appear only when you pass the
  records of a trace: `with tg.autograd.trace() as t: loss.backward()`, then
  `graph(loss, trace=t)`; each op is then also numbered in the order backward ran it.

In a notebook, `graphviz.Source(tg.viz.graph(loss))` displays the graph inline.
"""
# imported under private names (as the standard library does), so that dir(tg.viz) shows
# graph and draw, not the tools they are built from
import shutil as _shutil
import subprocess as _subprocess
from pathlib import Path as _Path
from typing import Any as _Any

from .autograd.engine import Function as _Function
from .autograd.trace import BackwardRecord as _BackwardRecord
from .autograd.trace import grad_norm as _grad_norm
from .autograd.trace import leaf_name as _leaf_name
from .autograd.trace import names_of as _names_of
from .autograd.trace import trace as _Trace  # the class; `trace` is graph()'s argument
from .ops.elementwise import Cast as _Cast
from .tensor import Tensor as _Tensor

__all__ = ["graph", "draw"]

_LEAF_COLOR, _OUTPUT_COLOR, _OP_COLOR = "lightblue", "darkolivegreen1", "lightgray"

_INSTALL_HELP = """\
To render it, install the Graphviz program and its Python package:
    apt install graphviz      (macOS: brew install graphviz; conda: conda install graphviz)
    pip install graphviz
then call draw() again, or run:  dot -T{fmt} {dot} -o {out}
(Or paste the .dot file's text into an online Graphviz viewer.)"""


def _forward_order(root: _Function) -> list[_Function]:
    """Every node reachable from `root`, each after the nodes that made its inputs (the
    order forward ran them). A depth-first walk with an explicit stack, so a graph
    100,000 ops deep draws too."""
    order: list[_Function] = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if isinstance(parent, _Function) and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every input of `node` is placed: place the node
            stack.pop()
            order.append(node)
    return order


def _quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as DOT's \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items()) + "]"


def _check_drawable(tensor: _Any, caller: str) -> _Function:
    if not isinstance(tensor, _Tensor):
        raise TypeError(f"{caller}() expects a Tensor computed by autograd (such as a loss), "
                        f"got {type(tensor).__name__}")
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if tensor.requires_grad:
        raise RuntimeError(
            f"{caller}(): this tensor is a leaf (you made it; no op computed it), so it has no "
            "graph to draw. Draw a result computed from it, such as the loss.")
    raise RuntimeError(
        f"{caller}(): this tensor has no graph to draw: no op recorded it, because it was "
        "computed with grad mode off (inside no_grad()) or from tensors none of which "
        "requires grad. Give a leaf requires_grad=True (for example nn.Parameter(...)) and "
        "compute from it with grad mode on.")


def graph(tensor: _Tensor, params: dict[str, _Tensor] | None = None,
          trace: _Trace | None = None) -> str:
    """The computation graph that produced `tensor`, as Graphviz DOT text.

    `params` names tensors ({'a': a, 'loss': loss}); `trace` (a finished
    `tg.autograd.trace`) adds the gradient norms backward sent through the graph.

    >>> a = tg.tensor([1., 2.], requires_grad=True)
    >>> print(tg.viz.graph((a * 3).sum(), params={"a": a}))   # doctest: +ELLIPSIS
    digraph computation_graph {
    ...
      leaf0 [label="a\\n(2,) float32\\nrequires_grad", shape="box", ...]
    ...
    """
    root = _check_drawable(tensor, "graph")
    names = _names_of(params)
    nodes = _forward_order(root)
    index = {node: k for k, node in enumerate(nodes)}

    # What backward sent each node, if a trace watched it (matched by identity, weakly).
    traced: dict[_Function, _BackwardRecord] = {}
    for record in (trace.records if trace is not None else ()):
        node = record.node()
        if node in index:
            traced[node] = record

    # The shape of each node's output: recorded by whichever op used it as input.
    out_shape: dict[_Function, tuple[int, ...]] = {root: tuple(tensor.shape)}
    for node in nodes:
        for parent, shape in zip(node.parents, node.input_shapes):
            if isinstance(parent, _Function):
                out_shape.setdefault(parent, tuple(shape))

    # The dtype of each node's output, inferred forward (see the module docstring).
    out_dtype: dict[_Function, str] = {}
    for node in nodes:
        if isinstance(node, _Cast):
            out_dtype[node] = "?"
            continue
        first = next(p for p in node.parents if p is not None)
        out_dtype[node] = out_dtype[first] if isinstance(first, _Function) else first.dtype.name
    out_dtype[root] = tensor.dtype.name

    lines = ["digraph computation_graph {",
             '  graph [rankdir="TB", labelloc="b", fontsize="10", fontname="Helvetica"]',
             '  node [fontname="Helvetica", fontsize="10", ordering="in"]',
             '  edge [fontname="Helvetica", fontsize="9"]']
    leaves: dict[int, str] = {}  # id(leaf tensor) -> its DOT id
    for k, node in enumerate(nodes):
        # the inputs: leaves (one box each, however often used), constants, earlier ops
        sources = []
        for i, (parent, shape) in enumerate(zip(node.parents, node.input_shapes)):
            if parent is None:
                src = f"const{k}_{i}"
                lines.append(f"  {src} " + _attrs(label=f"constant\n{tuple(shape)}",
                                                   shape="box", style="dashed",
                                                   color="gray50", fontcolor="gray30"))
            elif isinstance(parent, _Function):
                src = f"t{index[parent]}"
            else:
                src = leaves.get(id(parent))
                if src is None:
                    src = leaves[id(parent)] = f"leaf{len(leaves)}"
                    label = (f"{_leaf_name(parent, names)}\n{tuple(parent.shape)} "
                             f"{parent.dtype.name}\nrequires_grad")
                    if parent.grad is not None:
                        label += f"\ngrad norm = {_grad_norm(parent.device, parent.grad._data):.4g}"
                    lines.append(f"  {src} " + _attrs(label=label, shape="box", style="filled",
                                                       fillcolor=_LEAF_COLOR))
            sources.append(src)
        # the op, then the tensor it made
        record = traced.get(node)
        op_label = type(node).__name__
        if record is not None:
            op_label += f"\nbackward step {record.step}"
        lines.append(f"  op{k} " + _attrs(label=op_label, shape="ellipse", style="filled",
                                          fillcolor=_OP_COLOR))
        out_label = f"{out_shape.get(node, '?')} {out_dtype[node]}\ngrad_fn=<{node.name()}>"
        if node is root:
            out_label = f"{names.get(id(tensor), 'output')}\n" + out_label
        if record is not None:
            out_label += f"\ngrad norm = {record.grad_output_norm:.4g}"
        style = {"style": "filled", "fillcolor": _OUTPUT_COLOR} if node is root else {}
        lines.append(f"  t{k} " + _attrs(label=out_label, shape="box", **style))
        for i, src in enumerate(sources):
            # number the operands of ops with several (a - b is not b - a)
            edge = f' [label="{i}"]' if len(sources) > 1 else ""
            lines.append(f"  {src} -> op{k}{edge}")
        lines.append(f"  op{k} -> t{k}")

    lines.append("  graph " + _attrs(label=_legend(nodes, traced)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend(nodes: list[_Function], traced: dict) -> str:
    """A caption: what the shapes mean, and what the gradient norms are (and are not)."""
    caption = (f"{len(nodes)} ops (ellipses) and the tensors they read and make (boxes): "
               "blue, leaves that require grad; green, the output; dashed, constants")
    if traced:
        return caption + ("\ngrad norm: of each leaf's .grad now, and of the gradient "
                          "backward sent each other tensor (from the trace)")
    if any(isinstance(p, _Tensor) and p.grad is not None for n in nodes for p in n.parents):
        return caption + ("\ngrad norm: of each leaf's .grad now (intermediate gradients are "
                          "not kept; draw with trace= to see them)")
    return caption + "\nno gradients yet: call backward() to see each leaf's grad norm"


def draw(tensor: _Tensor, path: str | _Path = "graph.svg",
         params: dict[str, _Tensor] | None = None, trace: _Trace | None = None) -> _Path:
    """Write the graph of `tensor` next to `path` as DOT text, then render `path` (its
    suffix picks the format: .svg, .png, .pdf) with Graphviz. Returns the file written:
    the rendered one, or the .dot file when Graphviz is not installed (then it prints
    how to install it instead of failing).

    >>> tg.viz.draw(loss, "out/graph.svg", params={"a": a})   # doctest: +SKIP
    PosixPath('out/graph.svg')
    """
    text = graph(tensor, params=params, trace=trace)
    path = _Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        fmt, path = "svg", path.with_suffix(".svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(text, encoding="utf-8")
    if fmt in ("dot", "gv"):
        return dot_path
    if _shutil.which("dot") is None:  # the `graphviz` package needs the program too
        print(f"draw(): the Graphviz program `dot` is not installed (not found on PATH), so "
              f"{path} was not made.\nThe graph is saved as DOT text in {dot_path}.\n"
              + _INSTALL_HELP.format(fmt=fmt, dot=dot_path, out=path))
        return dot_path
    problem = _render(text, dot_path, path, fmt)
    if problem is not None:
        print(f"draw(): Graphviz could not make {path}: {problem}\n"
              f"The graph is saved as DOT text in {dot_path}.")
        return dot_path
    return path


def _render(text: str, dot_path: _Path, path: _Path, fmt: str) -> str | None:
    """Render with the `graphviz` package, or the `dot` program directly when the package
    is missing. Returns None on success, else what Graphviz said went wrong."""
    try:
        import graphviz
    except ImportError:
        graphviz = None
    try:
        if graphviz is not None:
            path.write_bytes(graphviz.pipe("dot", fmt, text.encode("utf-8")))
        else:
            _subprocess.run(["dot", f"-T{fmt}", str(dot_path), "-o", str(path)],
                           check=True, capture_output=True)
    except Exception as e:  # a bad format or a broken install: say what Graphviz said
        detail = getattr(e, "stderr", None) or e
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        return str(detail).strip() or f"it failed on the {fmt!r} format"
    return None
