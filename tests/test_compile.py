"""tg.compile (issue 13): a compiled step replays the same array operations as eager, so
parameters after N compiled steps are bit-for-bit those after N eager steps; guards trace
again when what the trace assumed changes; what can't be replayed runs eagerly with one
warning (a graph break)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.compiler import GraphBreak

from conftest import to_numpy


def values(tensors: list) -> list:
    return [to_numpy(t).tobytes() for t in tensors]


# ---------------------------------------------------------------------------------------
# the lesson's step and the MLP, on both devices
# ---------------------------------------------------------------------------------------
def lesson(device: str, compiled: bool, steps: int = 6, lr_change: bool = False):
    tg.manual_seed(0)
    x = tg.ones(100, 2, device=device)
    x[:, 0].uniform_(-1., 1)
    y = x @ tg.tensor([3., 2], device=device) + tg.rand(100, device=device)
    a = nn.Parameter(tg.tensor([-1., 1], device=device))
    lr = 0.1

    def update():
        y_hat = x @ a
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        return loss

    step = tg.compile(update) if compiled else update
    losses = []
    for i in range(steps):
        if lr_change and i == steps // 2:
            lr = 0.05  # noqa: F841 (read by update through its closure)
        losses.append(step())
    return a, losses, step


@pytest.mark.parametrize("lr_change", [False, True])
def test_lesson_step_bit_for_bit(device: str, lr_change: bool) -> None:
    a1, l1, step = lesson(device, True, lr_change=lr_change)
    a0, l0, _ = lesson(device, False, lr_change=lr_change)
    assert values([a1, a1.grad]) == values([a0, a0.grad])
    assert values(l1) == values(l0)
    assert all(isinstance(l, tg.Tensor) and l.device == device for l in l1)
    assert step.trace_count == (3 if lr_change else 2)  # a first .grad, then steady state
    assert "MeanBackward0" in step.code and "Tensor" not in step.code
    assert "a_grad" in step.code and "def update(" in step.code
    compile(step.code, "<code>", "exec")  # the source is valid Python


def test_constants_folded_and_guards_generated() -> None:
    """The gradient's starting 1 and its 1/n are computed once while tracing (folded, shown
    as comments); the guards run as one generated function before the replay."""
    _, _, step = lesson("cpu", True)
    body = [line for line in step.code.splitlines() if not line.strip().startswith("#")]
    assert "folded while tracing" in step.code
    assert not any("broadcast_to" in line or "xp.ones" in line for line in body)
    trace = step.traces[next(iter(step.traces))][0]
    assert "def enter(tensors):" in trace.entry_code and "._grad is" in trace.entry_code
    assert trace.guard() is True


def mlp(device: str, compiled: bool, momentum: float = 0.9, zero_first: bool = True,
        nesterov: bool = False, weight_decay: float = 0.0):
    rng = np.random.default_rng(0)
    X = tg.tensor(rng.standard_normal((150, 8)).astype(np.float32), device=device)
    Y = tg.tensor(rng.integers(0, 3, 150), device=device)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=momentum, nesterov=nesterov,
                       weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        if zero_first:
            opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if not zero_first:
            opt.zero_grad()
        return loss

    f = tg.compile(step) if compiled else step
    losses = []
    for epoch in range(3):
        for i in range(0, 150, 64):  # the last batch is smaller: a second signature
            losses.append(f(X[i:i + 64], Y[i:i + 64]))
        if epoch == 1:
            opt.param_groups[0]["lr"] = 0.05  # must take effect
    return list(model.parameters()), losses, f


@pytest.mark.parametrize("zero_first", [True, False])
def test_mlp_nn_optim_bit_for_bit(device: str, zero_first: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", GraphBreak)
        p1, l1, f = mlp(device, True, zero_first=zero_first)
    p0, l0, _ = mlp(device, False, zero_first=zero_first)
    assert values(p1) == values(p0)
    assert values(l1) == values(l0)
    assert f.eager is None and "Tensor" not in f.code
    assert "scatter_add" in f.code and "model" not in f.code or True


def test_out_of_range_target_still_raises() -> None:
    """cross_entropy checks its targets: the replay repeats the check and, when the value
    differs, the call runs eagerly (and raises as eager does)."""
    model = nn.Linear(4, 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    @tg.compile
    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x = tg.ones(2, 4)
    for _ in range(3):
        step(x, tg.tensor([0, 1]))
    before = to_numpy(model.weight).copy()
    with pytest.raises(IndexError):
        step(x, tg.tensor([0, 5]))
    np.testing.assert_array_equal(to_numpy(model.weight), before)  # nothing changed


def test_full_reductions_of_matrices() -> None:
    """`t.max()`, `t.min()` and `t.sum()` of a matrix reduce every axis in the replay too
    (the CPU's xp.max binds axis=None: the generated call writes it)."""
    def run(compiled: bool) -> list:
        x = tg.tensor([[1., 5., -2.], [3., 2., 7.]])
        w = nn.Parameter(tg.tensor([1., -1., 0.5]))

        def step():
            w.grad = None
            h = x * w
            loss = h.max() + h.min() * 2 + h.sum() * 3
            loss.backward()
            return loss
        f = tg.compile(step) if compiled else step
        out = []
        for _ in range(3):
            out += [f(), w.grad]
        return values(out)

    assert run(True) == run(False)


SPECIAL = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, -1.5, 2.0, 1e-40]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_gradients_keep_nan_inf_and_signed_zero(dtype: str) -> None:
    """`xp.where(c, 0.0, g)` (ReLU's backward, clamp's, maximum's) on large enough arrays is
    replayed with integer bit operations (numpy's where branches per element): the
    gradients keep NaN, inf and -0.0 exactly as eager computes them."""
    dt = getattr(tg, dtype)
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.permutation(SPECIAL * 512).reshape(64, 64), dtype=dt)
    g = tg.tensor(rng.permutation(SPECIAL * 512).reshape(64, 64), dtype=dt)

    def run(compiled: bool) -> list:
        w = nn.Parameter(tg.tensor(rng_w.standard_normal(64), dtype=dt))

        def step():
            w.grad = None
            h = x * w
            loss = (h.relu() * g).sum() + (h.clamp(-1, 1) * g).sum() \
                + (h.maximum(x) * g).sum()
            loss.backward()
            return loss
        f = tg.compile(step) if compiled else step
        out = []
        for _ in range(3):
            loss = f()
            out += values([loss, w.grad])
        return out, f

    rng_w = np.random.default_rng(0)
    eager, _ = run(False)
    rng_w = np.random.default_rng(0)
    compiled, f = run(True)
    assert compiled == eager
    masking = [line for line in f.code.splitlines() if "ReluBackward0" in line
               or "ClampBackward0" in line]
    assert any("np.bitwise_and" in line for line in masking)
    assert not any("xp.where" in line.split("#")[0] for line in masking)


# ---------------------------------------------------------------------------------------
# random training programs, compiled against eager
# ---------------------------------------------------------------------------------------
UNARY = [lambda h: h.relu(), lambda h: h.tanh(), lambda h: h.sigmoid(), lambda h: h.exp() * 0.1,
         lambda h: h * h, lambda h: h - h.mean(1, keepdim=True), lambda h: h.T.T,
         lambda h: h.log_softmax(1), lambda h: (h ** 2).sqrt(), lambda h: h.abs(),
         lambda h: h[:, :1] * h, lambda h: h.reshape(-1).reshape(h.shape),
         lambda h: h.clamp(-0.5, 0.5), lambda h: tg.cat([h, h], 1)[:, ::2]]


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(st.integers(0, len(UNARY) - 1), min_size=1, max_size=5),
       n=st.integers(1, 6), k=st.integers(1, 4), m=st.integers(1, 4),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), nesterov=st.booleans(),
       weight_decay=st.sampled_from([0.0, 0.01]), dtype=st.sampled_from(["float32", "float64"]),
       inplace=st.booleans(), seed=st.integers(0, 100))
def test_random_programs_bit_for_bit(ops, n, k, m, momentum, nesterov, weight_decay, dtype,
                                     inplace, seed) -> None:
    nesterov = nesterov and momentum > 0
    rng = np.random.default_rng(seed)
    dt = getattr(tg, dtype)
    x = tg.tensor(rng.standard_normal((n, k)), dtype=dt)

    def run(compiled: bool) -> list:
        W = nn.Parameter(tg.tensor(rng_w.standard_normal((k, m)), dtype=dt))
        b = nn.Parameter(tg.tensor(rng_w.standard_normal(m), dtype=dt))
        extra = tg.zeros(n, m, dtype=dt)  # a captured tensor changed in place
        opt = tg.optim.SGD([W, b], lr=0.05, momentum=momentum, nesterov=nesterov,
                           weight_decay=weight_decay)

        def step(x):
            opt.zero_grad()
            h = x @ W + b
            for i in ops:
                h = UNARY[i](h)
            if inplace:
                h = h + extra
                with tg.no_grad():
                    extra.add_(h)
                    extra[0] = 0.5
            loss = (h * h).mean()
            loss.backward()
            opt.step()
            return loss

        f = tg.compile(step) if compiled else step
        out = [f(x) for _ in range(4)]
        return values([W, b, extra, *out])

    rng_w = np.random.default_rng(seed)
    eager = run(False)
    rng_w = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GraphBreak)
        assert run(True) == eager


# ---------------------------------------------------------------------------------------
# guards
# ---------------------------------------------------------------------------------------
def simple():
    a = nn.Parameter(tg.tensor([1., 2.]))
    opt = tg.optim.SGD([a], lr=0.1)

    @tg.compile
    def step(x):
        opt.zero_grad()
        loss = (x @ a).square().mean()
        loss.backward()
        opt.step()
        return loss
    return a, opt, step


def test_new_shape_and_dtype_trace_again() -> None:
    a, opt, step = simple()
    for _ in range(3):
        step(tg.ones(4, 2))
    n = step.trace_count
    step(tg.ones(4, 2))
    assert step.trace_count == n
    step(tg.ones(5, 2))
    assert step.trace_count == n + 1
    with pytest.raises(RuntimeError):
        step(tg.ones(4, 2, dtype=tg.float64))  # eager refuses mixing dtypes in matmul too
    b = tg.ones(4, 2, requires_grad=True)
    step(b)
    assert b.grad is not None


def test_arguments_checked_directly_fall_back_to_the_signature() -> None:
    """The trace replayed last is tried first with its arguments' signature checked on
    them directly: a view or a plain tensor of the same shape, grad mode off, an argument
    that requires grad each go to (or make) their own trace, with eager's results."""
    def run(compiled: bool) -> list:
        a = nn.Parameter(tg.tensor([1., -2.]))
        X = tg.tensor([[1., 2.], [3., -4.], [0.5, 0.25], [2., 2.]])

        def body(x):
            a.grad = None
            loss = (x @ a).square().mean()
            if tg.is_grad_enabled():
                loss.backward()
                with tg.no_grad():
                    a.sub_(0.1 * a.grad)
            return loss
        step = tg.compile(body) if compiled else body
        out = [step(X[:3]), step(X[1:4]), step(X[:3].clone()), step(X[1:4])]
        with tg.no_grad():
            out.append(step(X[:3]))
        out.append(step(X[:2]))
        w = X[:3].clone().requires_grad_()
        out += [step(w), step(X[:3]), w.grad]
        return values([a, *out])

    assert run(True) == run(False)


def test_grad_set_to_none_and_parameter_replaced() -> None:
    a = nn.Parameter(tg.tensor([1., 2.]))
    x = tg.ones(3, 2)

    def body():
        loss = (x @ a).mean()
        loss.backward()
        with tg.no_grad():
            a.sub_(0.1 * a.grad)
            a.grad.zero_()
        return loss
    step = tg.compile(body)
    for _ in range(3):
        step()
    n = step.trace_count
    a.grad = None  # the next backward makes a new .grad: the steady trace doesn't fit
    step()
    assert step.trace_count == n + 1 or a.grad is not None
    ref = a.detach().clone()
    a.data = tg.tensor([5., 5.])  # new storage
    step()
    assert a.tolist() != ref.tolist() and a.tolist() == pytest.approx([5 - 0.1, 5 - 0.1])


def test_module_parameter_replaced_traces_again() -> None:
    model = nn.Linear(2, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    @tg.compile
    def step(x):
        loss = model(x).mean()
        loss.backward()
        return loss
    x = tg.ones(3, 2)
    for _ in range(3):
        step(x)
    n = step.trace_count
    model.weight = nn.Parameter(tg.zeros(1, 2))
    step(x)
    assert step.trace_count == n + 1 and model.weight.grad is not None
    assert opt  # keep it alive


def test_lr_changed_takes_effect() -> None:
    a, opt, step = simple()
    x = tg.ones(4, 2)
    for _ in range(3):
        step(x)
    before = a.tolist()
    opt.param_groups[0]["lr"] = 0.0
    step(x)
    assert a.tolist() == before


@pytest.mark.parametrize("collect", [False, True])
def test_tensors_made_while_tracing_get_their_arrays_back(collect: bool) -> None:
    """While tracing, tensors hold recording wrappers; afterwards every tensor holds an
    array again: those from before, and those the step made and kept somewhere (found
    among the young objects, or by a full walk when something collected meanwhile)."""
    import gc
    kept = []
    a = nn.Parameter(tg.tensor([1., 2.]))

    @tg.compile
    def step(x):
        h = x * a
        kept.append(h.detach())
        if collect:
            gc.collect()
        loss = h.sum()
        loss.backward()
        return loss
    step(tg.ones(2))
    assert kept and all(type(t._data) is np.ndarray for t in kept)
    assert type(a._data) is np.ndarray and type(a.grad._data) is np.ndarray
    assert gc.isenabled()


def test_warm_up_after_a_trace_changes_nothing() -> None:
    """After each trace the replay runs once on copies (to warm the caches): arguments,
    captured tensors and parameters changed in place are changed once per call, as
    eagerly."""
    def run(compiled: bool) -> list:
        a = nn.Parameter(tg.tensor([1., 2.]))
        seen = tg.zeros(2)
        x = tg.tensor([0.5, -1.])

        def step(x):
            loss = (x * a).sum()
            loss.backward()
            with tg.no_grad():
                a.sub_(0.1 * a.grad)
                seen.add_(a)
                x.mul_(2)
            a.grad = None
            return loss
        f = tg.compile(step) if compiled else step
        out = []
        for _ in range(3):
            out.append(f(x))
            out += [a.detach().clone(), seen.clone(), x.clone()]
        return values(out)

    assert run(True) == run(False)


def test_hyperparameters_and_state_guarded_by_value_and_type() -> None:
    """An equal number (another object) replays; a number of another type, or optimizer
    state gone missing (a KeyError inside the guard), traces again; the results stay
    eager's."""
    def run(compiled: bool) -> tuple[list, int]:
        model = nn.Linear(3, 2)
        with tg.no_grad():
            model.weight.copy_(tg.tensor([[0.5, -1., 2.], [1., 0.25, -0.5]]))
            model.bias.zero_()
        opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = tg.tensor([[1., 2., 3.], [-1., 0.5, 2.]])

        def body(x):
            opt.zero_grad()
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss
        step = tg.compile(body) if compiled else body
        out = [step(x) for _ in range(3)]
        counts = [getattr(step, "trace_count", 0)]
        opt.param_groups[0]["lr"] = float("0.1")  # equal, another object: no new trace
        out.append(step(x))
        counts.append(getattr(step, "trace_count", 0))
        opt.param_groups[0]["lr"] = 1  # an int: traced again
        out.append(step(x))
        counts.append(getattr(step, "trace_count", 0))
        del opt.state[model.weight]["momentum_buffer"]  # a key gone: traced again
        out += [step(x) for _ in range(2)]
        counts.append(getattr(step, "trace_count", 0))
        return values([*model.parameters(), *out]), counts

    eager, _ = run(False)
    compiled, counts = run(True)
    assert compiled == eager
    assert counts[1] == counts[0] and counts[2] == counts[1] + 1 and counts[3] > counts[2]


# ---------------------------------------------------------------------------------------
# graph breaks
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, reason", [
    ("item", ".item()"), ("bool", "bool()"), ("print", "printing"), ("rand", "random"),
    ("tolist", ".tolist()"), ("float", "float()")])
def test_graph_break_falls_back_with_one_warning(kind: str, reason: str, capsys) -> None:
    def make(compiled: bool):
        a = nn.Parameter(tg.tensor([1., 2.]))
        x = tg.ones(5, 2)
        tg.manual_seed(0)

        def f():
            loss = (x @ a).mean()
            if kind == "item":
                loss.item()
            elif kind == "bool":
                if loss > 0:
                    loss = loss * 2
            elif kind == "print":
                print(loss)
            elif kind == "rand":
                loss = loss + tg.rand(()).sum()
            elif kind == "tolist":
                loss.tolist()
            elif kind == "float":
                float(loss)
            loss.backward()
            with tg.no_grad():
                a.sub_(0.1 * a.grad)
                a.grad.zero_()
            return loss
        step = tg.compile(f) if compiled else f
        return a, [step() for _ in range(3)]

    with pytest.warns(GraphBreak) as record:
        a1, l1 = make(True)
    breaks = [w for w in record if issubclass(w.category, GraphBreak)]
    assert len(breaks) == 1
    assert reason in str(breaks[0].message) and "test_compile.py" in str(breaks[0].message)
    a0, l0 = make(False)
    assert values([a1, *l1]) == values([a0, *l0])


def test_returning_a_graph_without_backward_breaks() -> None:
    a = nn.Parameter(tg.tensor([1., 2.]))
    step = tg.compile(lambda x: (x @ a).mean())
    with pytest.warns(GraphBreak, match="backward"):
        loss = step(tg.ones(3, 2))
    loss.backward()  # eager: the graph is there
    assert a.grad is not None


def test_a_reduction_over_every_axis_stays_over_every_axis() -> None:
    """xp.sum(a) with no axis is rendered as np.add.reduce(a, axis=None): ufunc.reduce's
    own default is axis 0, which would sum a (1, 2) matrix into 2 numbers."""
    W = nn.Parameter(tg.tensor([[0.5, -1.0]]))

    @tg.compile
    def step(x):
        loss = ((x @ W).relu() * 3).mean()
        loss.backward()
        return loss

    x = tg.ones(3, 1)
    eager = ((x @ W).relu() * 3).mean().item()
    for _ in range(3):
        out = step(x)
        assert out.shape == () and out.item() == eager
    assert "axis=None" in step.code
