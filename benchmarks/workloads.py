"""The benchmark workloads, each written three times so that all three compute the same
numbers: with tinygrad_sgd, with PyTorch, and as hand-written numpy with analytic gradients
(the "numpy floor": what any autograd on numpy arrays must at least spend).

tinygrad_sgd mirrors torch's API, so one function (`lib` = tinygrad_sgd or torch) writes the
autograd version for both: the timed lines are literally the same for the two libraries.
Every workload takes an `Env`, which says where each of the three runs: on the CPU the floor
computes with numpy, on a GPU with cupy (the same code; cupy mirrors numpy), so
`--device cpu` runs exactly the code that `--device cuda` times on a GPU.

A workload run is split so that only the work is timed:
  state = impl.prepare()     fresh parameters (untimed; the data are made once, up front)
  impl.run(state)            the timed part: steps, an epoch, a chain built and backpropagated
  impl.values(state)         host copies of the results, to check the three agree (untimed)
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from time import perf_counter
from types import ModuleType
from typing import Any, Callable, Optional

import numpy as np
import torch

import tinygrad_sgd as tg

IMPLS = ("tinygrad_sgd", "torch", "floor")  # the order of the table's columns

# Called between forward and backward when memory is measured (None when timing).
Probe = Optional[Callable[[], None]]
# What a run may return: seconds spent in named parts of it (W5: 'fwd', 'bwd'); None for a
# part an implementation has no work for.
Phases = Optional[dict[str, Optional[float]]]


# ---------------------------------------------------------------------------------------
# Where things run
# ---------------------------------------------------------------------------------------
@dataclass
class Env:
    """Devices of the three implementations, the floor's array module, and how to wait for
    a GPU (timers read before a synchronize would time only the kernel launches)."""

    tg_device: str = "cpu"
    torch_device: str = "cpu"
    xp: ModuleType = np
    sync: Callable[[], None] = lambda: None
    release: Callable[[], None] = lambda: None  # hand cached device memory back

    @property
    def name(self) -> str:
        return self.tg_device

    def to_xp(self, a: np.ndarray) -> Any:
        """Host data as the floor's array (no copy for numpy)."""
        return self.xp.asarray(a)

    def host(self, a: Any) -> np.ndarray:
        """A floor array as a fresh numpy array."""
        return np.array(a) if self.xp is np else self.xp.asnumpy(a)


class EnvironmentUnavailable(RuntimeError):
    """The requested device cannot run all three implementations here."""


def make_env(device: str) -> Env:
    """'cpu': numpy, torch CPU, tinygrad_sgd 'cpu'. 'cuda': cupy, torch CUDA, tinygrad_sgd
    'cuda'; raises EnvironmentUnavailable saying what is missing."""
    if device == "cpu":
        return Env()
    if device != "cuda":
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
    problems = []
    cupy: Any = None
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            problems.append("cupy sees no CUDA GPU")
    except Exception as e:  # ImportError, or a CUDA driver/runtime error
        problems.append(f"cupy is not usable ({type(e).__name__}: {e}); "
                        "install it with `pip install -e '.[gpu]'` on a machine with a GPU")
    if not torch.cuda.is_available():
        problems.append(f"torch {torch.__version__} cannot use CUDA (built for CUDA: "
                        f"{torch.version.cuda or 'no, a CPU-only build'})")
    try:
        dev = tg.device("cuda")
        if "stand-in" in dev.description:
            problems.append("tinygrad_sgd's 'cuda' is the CPU stand-in, not a GPU")
    except RuntimeError as e:
        problems.append(f"tinygrad_sgd: {e}")
    if problems:
        raise EnvironmentUnavailable("--device cuda needs a CUDA GPU with cupy and a CUDA "
                                     "build of torch:\n  - " + "\n  - ".join(problems))

    def sync() -> None:
        cupy.cuda.Device().synchronize()  # tinygrad_sgd and the floor compute with cupy
        torch.cuda.synchronize()

    def release() -> None:
        cupy.get_default_memory_pool().free_all_blocks()
        torch.cuda.empty_cache()

    return Env("cuda", "cuda", cupy, sync, release)


# ---------------------------------------------------------------------------------------
# What a workload is
# ---------------------------------------------------------------------------------------
@dataclass
class Impl:
    prepare: Callable[[], dict]
    run: Callable[[dict, Probe], Phases]
    values: Callable[[dict], dict[str, np.ndarray]]


@dataclass
class Goal:
    """The issue's targets for a row: time ratios (ours / theirs) and a per-op bound."""

    vs_floor: float | None = None
    vs_torch: float | None = None
    max_us: float | None = None  # an absolute bound on the reported time, in microseconds

    def describe(self) -> str:
        parts = []
        if self.max_us is not None:
            parts.append(f"<={self.max_us:g}us")
        if self.vs_floor is not None:
            parts.append(f"<={self.vs_floor:g}x floor")
        if self.vs_torch is not None:
            parts.append(f"<={self.vs_torch:g}x torch")
        return ", ".join(parts)


@dataclass
class Workload:
    key: str  # unique row key, e.g. 'W4-100k'
    group: str  # what --only selects, e.g. 'W4'
    label: str  # the table's first column
    per: str  # what one reported time is for: 'step', 'epoch', 'op', 'run'
    units: int  # how many of `per` one run does (reported time = run time / units)
    impls: dict[str, Impl]
    goal: Goal | None = None
    phases: tuple[str, ...] = ()  # parts a run times itself; each gets its own row
    phase_goal: bool = False  # the goal is on the sum of the phases (W5), not the run
    rtol: float = 1e-4  # float32 tolerances for the three to agree
    atol: float = 1e-5
    memory: bool = False  # report peak memory (W2, W3)
    notes: list[str] = field(default_factory=list)


def _lib_array(lib: ModuleType, host: np.ndarray, device: str) -> Any:
    """Host data as a tensor of `lib` on `device` (sharing memory on the CPU)."""
    t = lib.from_numpy(host)
    return t if device == "cpu" else t.to(device)


def _host(t: Any) -> np.ndarray:
    """A tinygrad_sgd or torch tensor's values as a fresh numpy array."""
    return np.array(t.detach().cpu().numpy())


def _autograd_impls(env: Env, make: Callable[[ModuleType, str], Impl]) -> dict[str, Impl]:
    return {"tinygrad_sgd": make(tg, env.tg_device), "torch": make(torch, env.torch_device)}


# ---------------------------------------------------------------------------------------
# W1, W2 (and the GPU suite's G1): the lesson's regression, full batch
# ---------------------------------------------------------------------------------------
def regression_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's data in float32: x = (u, 1) with u ~ U(-1, 1), y = x @ (3, 2) + U(0, 1)."""
    rng = np.random.default_rng(seed)
    x = np.ones((n, 2), np.float32)
    u = rng.random(n, dtype=np.float32)  # float32 throughout: n may be 1e8 on a GPU run
    u *= 2
    u -= 1
    x[:, 0] = u
    del u
    y = x @ np.array([3, 2], np.float32)
    y += rng.random(n, dtype=np.float32)
    return x, y


A0 = np.array([-1.0, 1.0], np.float32)  # the lesson's starting point


def _regression_autograd(x_h: np.ndarray, y_h: np.ndarray, steps: int,
                         lr: float) -> Callable[[ModuleType, str], Impl]:
    def make(lib: ModuleType, device: str) -> Impl:
        x, y = _lib_array(lib, x_h, device), _lib_array(lib, y_h, device)
        no_grad = lib.no_grad

        def prepare() -> dict:
            return {"a": lib.nn.Parameter(lib.tensor(A0, device=device))}

        def run(s: dict, probe: Probe = None) -> None:
            a = s["a"]
            for _ in range(steps):  # the lesson's step, verbatim
                y_hat = x @ a
                loss = ((y_hat - y) ** 2).mean()
                if probe is not None:
                    probe()
                loss.backward()
                with no_grad():
                    a.sub_(lr * a.grad)
                    a.grad.zero_()
            s["loss"] = loss.detach()

        return Impl(prepare, run, lambda s: {"a": _host(s["a"]), "loss": _host(s["loss"])})
    return make


def _regression_floor(env: Env, x_h: np.ndarray, y_h: np.ndarray, steps: int,
                      lr: float) -> Impl:
    xp = env.xp
    x, y = env.to_xp(x_h), env.to_xp(y_h)
    n = x.shape[0]

    def prepare() -> dict:
        return {"a": xp.array(A0)}  # a copy, on the floor's device

    def run(s: dict, probe: Probe = None) -> None:
        a = s["a"]
        for _ in range(steps):
            y_hat = x @ a  # kept in a variable, as the lesson (and the others here) do
            d = y_hat - y
            loss = (d * d).mean()  # computed every step, as the lesson does
            if probe is not None:
                probe()
            g = (2.0 / n) * (x.T @ d)  # d/da mean((x@a - y)^2)
            a -= lr * g
        s["loss"] = loss

    return Impl(prepare, run, lambda s: {"a": env.host(s["a"]), "loss": env.host(s["loss"])})


def regression(env: Env, n: int, steps: int, *, key: str, group: str, label: str,
               lr: float = 0.1, goal: Goal | None = None, memory: bool = False) -> Workload:
    x_h, y_h = regression_data(n)
    impls = _autograd_impls(env, _regression_autograd(x_h, y_h, steps, lr))
    impls["floor"] = _regression_floor(env, x_h, y_h, steps, lr)
    # Means over 1e6+ float32 values are summed in different orders by the three.
    tol = {"rtol": 1e-4, "atol": 1e-5} if n <= 10_000 else {"rtol": 1e-3, "atol": 1e-4}
    return Workload(key, group, label, "step", steps, impls, goal, memory=memory, **tol)


# ---------------------------------------------------------------------------------------
# W3 (and the GPU suite's G2): an MLP with ReLU and cross-entropy, SGD
# ---------------------------------------------------------------------------------------
MLP_SIZES = (64, 128, 10)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:  # loaded once; callers only read it
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X, y = (X / 16).astype(np.float32), y.astype(np.int64)
    return X, y


def digits(samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's 8x8 digits: 1,797 images as float32 in [0, 1], labels as int64."""
    X, y = _digits()
    return (X, y) if samples is None else (X[:samples], y[:samples])


def synthetic_classes(n: int, features: int = 64, classes: int = 10,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, features), dtype=np.float32),
            rng.integers(0, classes, n, dtype=np.int64))


def mlp_init(sizes: tuple[int, ...] = MLP_SIZES, seed: int = 0) -> list[np.ndarray]:
    """[W1, b1, W2, b2] drawn as torch.nn.Linear draws them (U(-1/sqrt(fan_in), ..)) and
    stored (in, out), so the forward is x @ W + b. All three implementations copy these."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32),
                   rng.uniform(-bound, bound, fan_out).astype(np.float32)]
    return params


def _mlp_autograd(X_h: np.ndarray, Y_h: np.ndarray, params0: list[np.ndarray], batch: int,
                  passes: int, lr: float) -> Callable[[ModuleType, str], Impl]:
    """Plain tensor ops (no nn, no optim), the same lines for tinygrad_sgd and torch."""
    starts = range(0, X_h.shape[0], batch)

    def make(lib: ModuleType, device: str) -> Impl:
        X, Y = _lib_array(lib, X_h, device), _lib_array(lib, Y_h, device)
        no_grad, arange = lib.no_grad, lib.arange

        def prepare() -> dict:
            return {"p": [lib.nn.Parameter(lib.tensor(w, device=device)) for w in params0]}

        def run(s: dict, probe: Probe = None) -> None:
            params = s["p"]
            W1, b1, W2, b2 = params
            for _ in range(passes):
                for i in starts:
                    xb, yb = X[i:i + batch], Y[i:i + batch]
                    h = (xb @ W1 + b1).relu()
                    logp = (h @ W2 + b2).log_softmax(1)
                    loss = -logp[arange(xb.shape[0], device=device), yb].mean()
                    if probe is not None:
                        probe()
                    loss.backward()
                    with no_grad():
                        for p in params:
                            p.sub_(lr * p.grad)
                            p.grad.zero_()
            s["loss"] = loss.detach()

        def values(s: dict) -> dict[str, np.ndarray]:
            names = ("W1", "b1", "W2", "b2")
            return {"loss": _host(s["loss"]), **{k: _host(p) for k, p in zip(names, s["p"])}}

        return Impl(prepare, run, values)
    return make


def _mlp_module(X_h: np.ndarray, Y_h: np.ndarray, params0: list[np.ndarray], batch: int,
                passes: int, lr: float) -> Callable[[ModuleType, str], Impl]:
    """The same MLP through nn.Sequential, nn.Linear, F.cross_entropy and optim.SGD."""
    starts = range(0, X_h.shape[0], batch)

    def make(lib: ModuleType, device: str) -> Impl:
        X, Y = _lib_array(lib, X_h, device), _lib_array(lib, Y_h, device)
        nn, cross_entropy = lib.nn, lib.nn.functional.cross_entropy

        def prepare() -> dict:
            lins = [nn.Linear(w.shape[0], w.shape[1]) for w in params0[::2]]
            model = nn.Sequential(lins[0], nn.ReLU(), lins[1]).to(device)
            with lib.no_grad():  # Linear keeps weight as (out, in): copy W.T
                for lin, w, b in zip(lins, params0[::2], params0[1::2]):
                    lin.weight.copy_(lib.tensor(np.ascontiguousarray(w.T), device=device))
                    lin.bias.copy_(lib.tensor(b, device=device))
            return {"model": model, "lins": lins,
                    "opt": lib.optim.SGD(model.parameters(), lr=lr)}

        def run(s: dict, probe: Probe = None) -> None:
            model, opt = s["model"], s["opt"]
            for _ in range(passes):
                for i in starts:
                    opt.zero_grad()
                    loss = cross_entropy(model(X[i:i + batch]), Y[i:i + batch])
                    if probe is not None:
                        probe()
                    loss.backward()
                    opt.step()
            s["loss"] = loss.detach()

        def values(s: dict) -> dict[str, np.ndarray]:
            (l1, l2), out = s["lins"], {"loss": _host(s["loss"])}
            for name, lin in (("1", l1), ("2", l2)):
                out["W" + name], out["b" + name] = _host(lin.weight).T, _host(lin.bias)
            return out

        return Impl(prepare, run, values)
    return make


def _mlp_floor(env: Env, X_h: np.ndarray, Y_h: np.ndarray, params0: list[np.ndarray],
               batch: int, passes: int, lr: float) -> Impl:
    xp = env.xp
    X, Y = env.to_xp(X_h), env.to_xp(Y_h)
    starts = range(0, X_h.shape[0], batch)

    def prepare() -> dict:
        return {"p": [xp.array(w) for w in params0]}

    def run(s: dict, probe: Probe = None) -> None:
        W1, b1, W2, b2 = s["p"]
        for _ in range(passes):
            for i in starts:
                xb, yb = X[i:i + batch], Y[i:i + batch]
                rows = xp.arange(xb.shape[0])
                h = xb @ W1 + b1
                r = xp.maximum(h, 0)
                z = r @ W2 + b2
                zm = z - z.max(axis=1, keepdims=True)  # log_softmax, stably
                e = xp.exp(zm)
                se = e.sum(axis=1, keepdims=True)
                logp = zm - xp.log(se)
                loss = -logp[rows, yb].mean()
                if probe is not None:
                    probe()
                dz = e / se  # d loss / dz = (softmax - onehot) / batch
                dz[rows, yb] -= 1
                dz /= xb.shape[0]
                dW2, db2 = r.T @ dz, dz.sum(axis=0)
                dh = (dz @ W2.T) * (h > 0)  # through the ReLU
                dW1, db1 = xb.T @ dh, dh.sum(axis=0)
                W1 -= lr * dW1
                b1 -= lr * db1
                W2 -= lr * dW2
                b2 -= lr * db2
        s["loss"] = loss

    def values(s: dict) -> dict[str, np.ndarray]:
        return {"loss": env.host(s["loss"]),
                **{k: env.host(p) for k, p in zip(("W1", "b1", "W2", "b2"), s["p"])}}

    return Impl(prepare, run, values)


def has_nn_api() -> bool:
    """tinygrad_sgd's nn.Linear, nn.Sequential, F.cross_entropy and optim.SGD (being
    written in parallel; the module variant of W3 runs once they exist)."""
    nn = getattr(tg, "nn", None)
    optim = getattr(tg, "optim", None)
    functional = getattr(nn, "functional", None)
    return (all(hasattr(nn, k) for k in ("Linear", "Sequential", "ReLU"))
            and hasattr(functional, "cross_entropy") and hasattr(optim, "SGD"))


def mlp(env: Env, X_h: np.ndarray, Y_h: np.ndarray, *, batch: int, passes: int, key: str,
        group: str, label: str, per: str, units: int, lr: float = 0.1,
        goal: Goal | None = None, memory: bool = False, module: bool = False) -> Workload:
    """`passes` passes over X in order, in batches of `batch` (the last may be smaller)."""
    params0 = mlp_init((X_h.shape[1], *MLP_SIZES[1:]))
    make = (_mlp_module if module else _mlp_autograd)(X_h, Y_h, params0, batch, passes, lr)
    impls = _autograd_impls(env, make)
    impls["floor"] = _mlp_floor(env, X_h, Y_h, params0, batch, passes, lr)
    return Workload(key, group, label, per, units, impls, goal, memory=memory,
                    rtol=1e-3, atol=1e-5)


def digits_epoch(env: Env, samples: int | None = None, batch: int = 64,
                 module: bool = False) -> Workload:
    X, Y = digits(samples)
    what = "nn.Module + optim.SGD" if module else "plain ops"
    return mlp(env, X, Y, batch=batch, passes=1, key="W3-nn" if module else "W3", group="W3",
               label=f"W3 MLP digits ({what}), /epoch", per="epoch", units=1,
               goal=Goal(vs_floor=1.6, vs_torch=0.6), memory=not module, module=module)


# ---------------------------------------------------------------------------------------
# W4: a long chain y = y*1.0001 + 0.001, built and backpropagated
# ---------------------------------------------------------------------------------------
def chain(env: Env, links: int) -> Workload:
    """`links` repetitions of y = y*1.0001 + 0.001 (two ops each) on a 1-element float32
    vector, then backward: dy/dx = 1.0001**links."""
    def make(lib: ModuleType, device: str) -> Impl:
        def prepare() -> dict:
            return {"x": lib.ones(1, device=device, requires_grad=True),
                    "seed": lib.ones(1, device=device)}

        def run(s: dict, probe: Probe = None) -> None:
            y = s["x"]
            for _ in range(links):
                y = y * 1.0001 + 0.001
            y.backward(s["seed"])
            s["y"] = y.detach()  # the graph itself is freed inside the timed run

        return Impl(prepare, run, lambda s: {"y": _host(s["y"]), "dx": _host(s["x"].grad)})

    xp = env.xp

    def prepare() -> dict:
        return {"x": xp.ones(1, dtype=xp.float32), "seed": xp.ones(1, dtype=xp.float32)}

    def run(s: dict, probe: Probe = None) -> None:
        y = s["x"]
        for _ in range(links):
            y = y * 1.0001 + 0.001
        g = s["seed"]
        for _ in range(links):  # link by link, as backprop must: d(y*c + b)/dy = c
            g = g * 1.0001
        s["y"], s["dx"] = y, g

    impls = _autograd_impls(env, make)
    impls["floor"] = Impl(prepare, run, lambda s: {"y": env.host(s["y"]),
                                                   "dx": env.host(s["dx"])})
    size = f"{links // 1000}k" if links % 1000 == 0 else str(links)
    return Workload(f"W4-{size}", "W4", f"W4 chain of {links:,} links, build+backward",
                    "run", 1, impls, Goal(vs_floor=6, vs_torch=0.4), rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------------------
# W5: per-op overhead, a chain of small adds, forward and backward timed apart
# ---------------------------------------------------------------------------------------
def adds(env: Env, ops: int = 1000, width: int = 10) -> Workload:
    """y = y + b, `ops` times, on `width`-element float32 vectors; x requires grad, b is a
    constant. Times per op: the forward, the backward, and the whole run."""
    sync = env.sync
    b_h = np.full(width, 0.5, np.float32)

    def make(lib: ModuleType, device: str) -> Impl:
        def prepare() -> dict:
            return {"x": lib.zeros(width, device=device, requires_grad=True),
                    "b": lib.tensor(b_h, device=device), "seed": lib.ones(width, device=device)}

        def run(s: dict, probe: Probe = None) -> Phases:
            y, b = s["x"], s["b"]
            t0 = perf_counter()
            for _ in range(ops):
                y = y + b
            sync()
            t1 = perf_counter()
            y.backward(s["seed"])
            sync()
            t2 = perf_counter()
            s["y"] = y.detach()
            return {"fwd": t1 - t0, "bwd": t2 - t1}

        return Impl(prepare, run, lambda s: {"y": _host(s["y"]), "dx": _host(s["x"].grad)})

    xp = env.xp

    def prepare() -> dict:
        return {"x": xp.zeros(width, dtype=xp.float32), "b": env.to_xp(b_h),
                "seed": xp.ones(width, dtype=xp.float32)}

    def run(s: dict, probe: Probe = None) -> Phases:
        y, b = s["x"], s["b"]
        t0 = perf_counter()
        for _ in range(ops):
            y = y + b
        sync()
        t1 = perf_counter()
        # The adjoint of y + b is the identity: dx = seed, with nothing to compute.
        s["y"], s["dx"] = y, s["seed"]
        return {"fwd": t1 - t0, "bwd": None}

    impls = _autograd_impls(env, make)
    impls["floor"] = Impl(prepare, run, lambda s: {"y": env.host(s["y"]),
                                                   "dx": env.host(s["dx"])})
    return Workload("W5", "W5", f"W5 {ops:,} adds of {width} floats", "op", ops, impls,
                    Goal(max_us=3, vs_torch=0.6), phases=("fwd", "bwd"), phase_goal=True,
                    rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------
# The suites: what `run.py` measures, in order
# ---------------------------------------------------------------------------------------
@dataclass
class Spec:
    """One workload to build (lazily: the GPU suite's data are large) and time."""

    key: str
    group: str
    build: Callable[[Env, int], Workload]
    size: int  # the workload's main size, which --quick or a test may change
    repeats: int  # timed rounds (after warm-up) in a full run
    quick_repeats: int
    warmup: int = 1  # untimed rounds first; the first also checks the three agree


def cpu_suite(nn_variant: bool | None = None) -> list[Spec]:
    if nn_variant is None:
        nn_variant = has_nn_api()
    specs = [
        Spec("W1", "W1", lambda env, n: regression(
            env, n, 100, key="W1", group="W1", label="W1 lesson n=100, 100 steps, /step",
            goal=Goal(vs_floor=2.5, vs_torch=0.2)), 100, 30, 7),
        Spec("W2", "W2", lambda env, n: regression(
            env, n, 20, key="W2", group="W2", label="W2 regression n=1e6, 20 steps, /step",
            goal=Goal(vs_floor=1.3, vs_torch=0.3), memory=True), 1_000_000, 7, 3),
        Spec("W3", "W3", lambda env, n: digits_epoch(env, n), 1797, 15, 5),
    ]
    if nn_variant:
        specs.append(Spec("W3-nn", "W3", lambda env, n: digits_epoch(env, n, module=True),
                          1797, 15, 5))
    specs += [
        Spec("W4-10k", "W4", chain, 10_000, 7, 3),
        Spec("W4-100k", "W4", chain, 100_000, 5, 1),
        Spec("W5", "W5", lambda env, n: adds(env, n), 1000, 30, 10),
    ]
    return specs


def gpu_suite(quick: bool = False) -> list[Spec]:
    """Issue 5's GPU run: the lesson's regression at 1e6, 1e7, 1e8 and the MLP step at
    large batch. `quick` shrinks the sizes (for trying the suite on a CPU)."""
    ns = (10**4, 10**5, 10**6) if quick else (10**6, 10**7, 10**8)
    batches = (2**10, 2**14) if quick else (2**16, 2**20)
    specs = []
    for n in ns:
        specs.append(Spec(f"G1-1e{len(str(n)) - 1}", "G1", lambda env, n: regression(
            env, n, 20, key=f"G1-1e{len(str(n)) - 1}", group="G1",
            label=f"G1 regression n=1e{len(str(n)) - 1}, 20 steps, /step"), n, 5, 2))
    for b in batches:
        def build(env: Env, b: int) -> Workload:
            X, Y = synthetic_classes(b)
            return mlp(env, X, Y, batch=b, passes=10, key=f"G2-{b}", group="G2",
                       label=f"G2 MLP 64-128-10 step, batch {b:,}, /step", per="step",
                       units=10)
        specs.append(Spec(f"G2-{b}", "G2", build, b, 5, 2))
    return specs
