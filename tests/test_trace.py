"""tg.autograd.trace (watching backward run) and tg.autograd.detect_anomaly."""
from __future__ import annotations

import io
import threading
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.autograd import engine


def lesson_loss(n: int = 5, device: str = "cpu") -> tuple[tg.Tensor, tg.Tensor]:
    """The lesson's loss, mse(y, x @ a), on n points; returns (loss, a)."""
    tg.manual_seed(0)
    x = tg.ones(n, 2, device=device)
    x[:, 0].uniform_(-1., 1)
    y = x @ tg.tensor(3., 2, device=device) + tg.rand(n, device=device)
    a = nn.Parameter(tg.tensor(-1., 1, device=device))
    return ((y - x @ a) ** 2).mean(), a


# ---------------------------------------------------------------------------------------
# trace
# ---------------------------------------------------------------------------------------
def test_lesson_trace_order_shapes_and_norms(device: str) -> None:
    loss, a = lesson_loss(device=device)
    with tg.autograd.trace(show=False, params={"a": a}) as t:
        loss.backward()
    # a chain has exactly one reverse topological order
    assert [r.op for r in t.records] == ["MeanBackward0", "PowBackward0", "SubBackward0",
                                        "MvBackward0"]
    assert [r.step for r in t.records] == [1, 2, 3, 4]
    mean, pow_, sub, matmul = t.records
    assert mean.grad_output_shape == () and mean.grad_output_norm == pytest.approx(1.0)
    assert mean.inputs[0].returned_shape == (5,) and mean.inputs[0].to == "PowBackward0"
    # d mean / d z_i = 1/5 for 5 elements: norm sqrt(5) / 5
    assert mean.inputs[0].norm == pytest.approx(5 ** 0.5 / 5)
    assert pow_.inputs[1].to == "constant" and pow_.inputs[1].norm is None  # the exponent 2
    assert sub.inputs[0].to == "constant"  # y
    assert sub.inputs[1].to == "MvBackward0"
    assert matmul.inputs[0].to == "constant"  # x
    grad_a = matmul.inputs[1]
    assert grad_a.to == ".grad of a" and grad_a.returned_shape == (2,) == grad_a.input_shape
    assert grad_a.norm == pytest.approx(float(np.linalg.norm(a.grad.tolist())), rel=1e-5)
    # each op receives what its consumer sent
    for consumer, producer in zip(t.records, t.records[1:]):
        sent = [i for i in consumer.inputs if i.to == producer.op]
        assert sent[0].norm == pytest.approx(producer.grad_output_norm)


def test_trace_shows_broadcasting_being_undone() -> None:
    x = tg.ones(4, 3)
    w = tg.ones(3, 2, requires_grad=True)
    b = tg.zeros(2, requires_grad=True)
    with tg.autograd.trace(show=False, params={"b": b}) as t:
        (x @ w + b).sum().backward()
    add = t.records[1]
    assert add.op == "AddBackward0"
    bias = add.inputs[1]
    assert (bias.returned_shape, bias.input_shape, bias.summed) == ((4, 2), (2,), True)
    assert bias.norm == pytest.approx(float(np.linalg.norm([4.0, 4.0])))  # 4 rows summed
    assert not add.inputs[0].summed
    assert "sends (4, 2), summed to (2,)" in str(t)


def test_trace_order_is_reverse_topological_on_a_diamond() -> None:
    # a is used twice: by exp and by mul; mul's output is used by add and by exp
    a = tg.tensor([0.5, 1.0], requires_grad=True)
    m = a * 2
    loss = (m.exp() + m + a.exp()).sum()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    ops = [r.op for r in t.records]
    assert sorted(ops) == sorted(["SumBackward0", "AddBackward0", "AddBackward0",
                                  "ExpBackward0", "ExpBackward0", "MulBackward0"])
    assert ops[0] == "SumBackward0"
    # every op runs after all the ops that consumed its output
    position = {}
    for r in t.records:
        node = r.node()
        position[node] = r.step
        for parent in node.parents:
            if isinstance(parent, engine.Function):
                assert parent not in position, f"{parent.name()} ran before its consumer"
    assert ops[-1] == "MulBackward0"  # consumed by exp and by the first add: it runs last


def test_trace_prints_live_to_stdout_or_a_file(capsys: pytest.CaptureFixture) -> None:
    loss, a = lesson_loss()
    with tg.autograd.trace(params={"a": a}):
        loss.backward()
    out = capsys.readouterr().out
    assert out.startswith("backward ran these ops, in reverse topological order")
    lines = [line for line in out.splitlines() if ". " in line[:6]]
    assert [line.split()[1] for line in lines] == ["MeanBackward0", "PowBackward0",
                                                   "SubBackward0", "MvBackward0"]
    assert "-> .grad of a" in out and "constant, needs no gradient" in out

    loss, a = lesson_loss()
    buffer = io.StringIO()
    with tg.autograd.trace(file=buffer):
        loss.backward()
    assert capsys.readouterr().out == ""
    assert "MvBackward0" in buffer.getvalue()
    assert "-> .grad of Parameter (2,)" in buffer.getvalue()  # unnamed: its class and shape


def test_trace_show_false_collects_for_a_notebook(capsys: pytest.CaptureFixture) -> None:
    loss, _ = lesson_loss()
    with tg.autograd.trace(show=False) as t:
        loss.backward()
    assert capsys.readouterr().out == ""
    assert len(t.records) == 4
    text = str(t)
    assert text.splitlines()[2].split()[1] == "MeanBackward0"


def test_trace_removes_its_hook_even_when_backward_fails() -> None:
    before = list(engine.hooks.after_backward)
    a = tg.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        with tg.autograd.trace(show=False):
            (a * 2).backward()  # not a scalar: backward refuses
    assert engine.hooks.after_backward == before
    # and after that, backward runs untraced
    (a * 2).sum().backward()


def test_trace_ignores_other_threads() -> None:
    loss_here, _ = lesson_loss()
    loss_there, _ = lesson_loss()
    with tg.autograd.trace(show=False) as t:
        worker = threading.Thread(target=loss_there.backward)
        worker.start()
        worker.join()
        assert t.records == []
        loss_here.backward()
    assert len(t.records) == 4


def test_trace_with_grad_mode_off_says_so() -> None:
    loss, a = lesson_loss()
    with tg.no_grad():
        with pytest.warns(UserWarning, match="grad mode off"):
            with tg.autograd.trace(show=False) as t:
                loss.backward()  # a graph built earlier still backpropagates (as in torch)
    assert len(t.records) == 4


def test_trace_with_no_backward_says_nothing_was_traced() -> None:
    with pytest.warns(UserWarning, match="no backward"):
        with tg.autograd.trace(show=False) as t:
            pass
    assert "nothing recorded" in str(t)


def test_trace_cannot_be_entered_twice() -> None:
    t = tg.autograd.trace(show=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with t:
            with pytest.raises(RuntimeError, match="already active"):
                with t:
                    pass


# ---------------------------------------------------------------------------------------
# detect_anomaly
# ---------------------------------------------------------------------------------------
def test_detect_anomaly_names_the_op_and_the_users_line() -> None:
    x = tg.tensor([0., 4.], requires_grad=True)
    with tg.autograd.detect_anomaly():
        root = x.sqrt()  # the line the message must point at
        loss = (root * 2).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("Function 'SqrtBackward0' returned inf values in its 0th output.")
    assert "test_trace.py" in message and "root = x.sqrt()" in message
    assert "d/du = 1/(2√u)" in message  # the op's derivative, from its docstring
    assert engine.hooks.on_record == []  # off again after the block


def test_detect_anomaly_nan(device: str) -> None:
    x = tg.tensor([0., 1.], device=device, requires_grad=True)
    with tg.autograd.detect_anomaly():
        loss = (x.sqrt() * 0).sum()  # MulBackward sends 0; SqrtBackward makes 0/0 = nan
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned nan"):
            loss.backward()


def test_detect_anomaly_gradient_passed_in_with_nan() -> None:
    x = tg.tensor([1., 2.], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = x * 2
        with pytest.raises(RuntimeError, match="arriving at 'MulBackward0' already holds nan"):
            y.backward(tg.tensor([float("nan"), 1.]))


def test_detect_anomaly_op_made_before_it_was_on() -> None:
    x = tg.tensor([0.], requires_grad=True)
    loss = x.sqrt().sum()
    with tg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="unknown: the op ran before anomaly"):
            loss.backward()


def test_detect_anomaly_leaves_healthy_graphs_alone_and_switches_off() -> None:
    before = list(engine.hooks.after_backward)
    with tg.autograd.detect_anomaly():
        loss, a = lesson_loss()
        loss.backward()
        assert loss.grad_fn.forward_frames  # where each op was called is kept
        with tg.autograd.detect_anomaly(check_nan=False):  # nested: only locations
            x = tg.tensor([0.], requires_grad=True)
            x.sqrt().sum().backward()
            assert x.grad.tolist() == [float("inf")]
        with pytest.raises(RuntimeError, match="returned inf"):  # outer setting restored
            x.sqrt().sum().backward()
    assert engine.hooks.on_record == [] and engine.hooks.after_backward == before
    loss, a = lesson_loss()
    assert not hasattr(loss.grad_fn, "forward_frames")  # off: nothing recorded per op


def test_detect_anomaly_as_decorator_and_set_detect_anomaly() -> None:
    @tg.autograd.detect_anomaly()
    def step() -> None:
        x = tg.tensor([0.], requires_grad=True)
        x.sqrt().sum().backward()

    with pytest.raises(RuntimeError, match="SqrtBackward0"):
        step()
    assert engine.hooks.on_record == []
    tg.autograd.set_detect_anomaly(True)
    try:
        assert engine.hooks.on_record != []
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert engine.hooks.on_record == []


def test_trace_across_devices_norms_each_gradient_on_its_own_device() -> None:
    """After .to(), the gradient a node sends to its input lives on the input's device,
    not the node's (on the stand-in, a norm taken on the wrong device raises)."""
    for src, dst in (("cuda", "cpu"), ("cpu", "cuda")):
        a = tg.tensor([1., 2.], device=src, requires_grad=True)
        with tg.autograd.trace(show=False) as t:
            (a.to(dst) * 3).sum().backward()
        moved = [r for r in t.records if r.op == "ToDeviceBackward0"]
        assert len(moved) == 1 and moved[0].inputs[0].norm == pytest.approx(np.sqrt(18))
