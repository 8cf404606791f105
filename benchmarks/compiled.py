"""Compiled rows (issue 13): W1, W2 and W3-nn with `tg.compile`, timed in the same run as
eager tinygrad_sgd, torch and the numpy floor, interleaved round by round (the machine is
shared: each round times the four one after the other; the table gives medians).

The compiled step is the workload's own step written as a function and wrapped in
tg.compile; its first calls (the traces) happen in the untimed warm-up, as a training loop
pays them once. `guards` is the cost of one call's guard checks alone (signature and
guards, no replay), measured on its own.
"""
from __future__ import annotations

import statistics
from time import perf_counter
from typing import Any, Callable

import numpy as np

import tinygrad_sgd as tg

from . import workloads as W


def _lesson(env: W.Env, n: int, steps: int, lr: float = 0.1) -> tuple[W.Impl, Callable]:
    x_h, y_h = W.regression_data(n)
    x, y = tg.from_numpy(x_h), tg.from_numpy(y_h)

    def prepare() -> dict:
        a = tg.nn.Parameter(tg.tensor(W.A0))

        def update():  # the lesson's step, verbatim
            y_hat = x @ a
            loss = ((y_hat - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                a.sub_(lr * a.grad)
                a.grad.zero_()
            return loss
        return {"a": a, "step": tg.compile(update)}

    def run(s: dict, probe: Any = None) -> None:
        step = s["step"]
        for _ in range(steps):
            loss = step()
        s["loss"] = loss.detach()

    impl = W.Impl(prepare, run, lambda s: {"a": W._host(s["a"]), "loss": W._host(s["loss"])})
    return impl, lambda s: s["step"].guard_cost()


def _mlp(env: W.Env) -> tuple[W.Impl, Callable]:
    X_h, Y_h = W.digits()
    params0 = W.mlp_init((X_h.shape[1], *W.MLP_SIZES[1:]))
    X, Y = tg.from_numpy(X_h), tg.from_numpy(Y_h)
    starts = range(0, X_h.shape[0], 64)
    nn, cross_entropy = tg.nn, tg.nn.functional.cross_entropy

    def prepare() -> dict:
        lins = [nn.Linear(w.shape[0], w.shape[1]) for w in params0[::2]]
        model = nn.Sequential(lins[0], nn.ReLU(), lins[1])
        with tg.no_grad():
            for lin, w, b in zip(lins, params0[::2], params0[1::2]):
                lin.weight.copy_(tg.tensor(np.ascontiguousarray(w.T)))
                lin.bias.copy_(tg.tensor(b))
        opt = tg.optim.SGD(model.parameters(), lr=0.1)

        def step(xb, yb):
            opt.zero_grad()
            loss = cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss
        return {"lins": lins, "step": tg.compile(step)}

    def run(s: dict, probe: Any = None) -> None:
        step = s["step"]
        for i in starts:
            loss = step(X[i:i + 64], Y[i:i + 64])
        s["loss"] = loss.detach()

    def values(s: dict) -> dict:
        (l1, l2), out = s["lins"], {"loss": W._host(s["loss"])}
        for name, lin in (("1", l1), ("2", l2)):
            out["W" + name], out["b" + name] = W._host(lin.weight).T, W._host(lin.bias)
        return out

    xb, yb = X[:64], Y[:64]  # sliced once: the guard row times the guards, not slicing
    return W.Impl(prepare, run, values), lambda s: s["step"].guard_cost(xb, yb)


ROWS = [("W1", "W1 lesson n=100, /step", 100, 100, W.Goal(2.5, 0.2)),
        ("W2", "W2 regression n=1e6, /step", 1_000_000, 20, W.Goal(1.3, 0.3)),
        ("W3-nn", "W3 MLP digits (nn + optim), /epoch", 1797, 1, W.Goal(1.4, 0.5))]


def measure(env: W.Env, rounds: int = 15) -> list[dict]:
    out = []
    for key, label, n, units, goal in ROWS:
        if key == "W3-nn":
            wl = W.digits_epoch(env, module=True)
            compiled, guard = _mlp(env)
        else:
            wl = W.regression(env, n, units, key=key, group=key, label=label)
            compiled, guard = _lesson(env, n, units)
        impls = {**wl.impls, "compiled": compiled}
        times: dict[str, list[float]] = {k: [] for k in impls}
        for r in range(rounds + 2):  # two warm-up rounds: the traces happen there
            for name, impl in impls.items():
                s = impl.prepare()
                if name == "compiled":  # trace before timing, as a training loop does
                    impl.run(s)
                t0 = perf_counter()
                impl.run(s)
                t = perf_counter() - t0
                if r >= 2:
                    times[name].append(t / units)
        s = compiled.prepare()
        compiled.run(s)
        g = []
        for _ in range(2000):
            t0 = perf_counter()
            guard(s)
            g.append(perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        out.append({"key": key, "label": label, "us": {k: v * 1e6 for k, v in med.items()},
                    "guards_us": statistics.median(g) * 1e6,
                    "goal": goal.describe()})
    return out


def table(rows: list[dict]) -> str:
    head = ["workload (compiled)", "eager", "compiled", "torch", "floor", "compiled/floor",
            "compiled/torch", "eager/floor", "guards", "goal"]
    body = []
    for r in rows:
        us = r["us"]
        body.append([r["label"], f"{us['tinygrad_sgd']:.1f}us", f"{us['compiled']:.1f}us",
                     f"{us['torch']:.1f}us", f"{us['floor']:.1f}us",
                     f"{us['compiled'] / us['floor']:.2f}x",
                     f"{us['compiled'] / us['torch']:.2f}x",
                     f"{us['tinygrad_sgd'] / us['floor']:.2f}x", f"{r['guards_us']:.1f}us",
                     r["goal"]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
