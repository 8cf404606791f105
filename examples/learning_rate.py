"""Learning rates: too small, about right, too large.

Gradient descent steps against the gradient: p = p - lr * dL/dp. On the quadratic
L(x) = x² that step is x = x - lr * 2x = (1 - 2 lr) x, so
    lr = 0.01   x shrinks by 2% per step: correct but slow;
    lr = 0.3    x shrinks by 60% per step: fast;
    lr = 1.1    x flips sign and grows by 20% per step: it diverges.
The lesson's line y = x @ a has the same curvature (about 2) along its steepest direction,
so the same three learning rates behave the same way there. This script runs both with
tinygrad_sgd's autograd and optim.SGD, says how each run went (diverged, converged,
oscillating, no progress or too slow: see verdict()) and plots the losses side by side.
Between 0.5 and 1 the step overshoots the minimum but less than it started from: x
oscillates around 0 and still converges; at 1.0, the edge, it bounces between 3 and -3.

    python examples/learning_rate.py
    python examples/learning_rate.py --lrs 0 0.1 0.9 1.0   # no progress, and oscillations
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Callable

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))  # examples/cli.py, however run
import cli  # noqa: E402


def descend(loss_fn: Callable[[tg.Tensor], tg.Tensor], start: tg.Tensor, lr: float,
            steps: int) -> tuple[list[float], list[list[float]]]:
    """Plain gradient descent on loss_fn from `start`: the loss before each step and at
    the end, and the parameters along the way."""
    p = nn.Parameter(start.clone())
    opt = tg.optim.SGD([p], lr=lr)
    losses, path = [], [p.tolist()]
    for _ in range(steps):
        loss = loss_fn(p)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()  # p -= lr * p.grad
        path.append(p.tolist())
    with tg.no_grad():
        losses.append(loss_fn(p).item())
    return losses, path


def lesson_line(n: int, device: str) -> Callable[[tg.Tensor], tg.Tensor]:
    """The lesson's data (x = (u, 1), y = x @ (3, 2) + noise) and its mean squared error."""
    x = tg.ones(n, 2, device=device)
    x[:, 0].uniform_(-1., 1)
    y = x @ tensor(3., 2, device=device) + tg.rand(n, device=device)
    return lambda a: ((x @ a - y) ** 2).mean()


DIVERGED = 1e6  # a loss this many times its start (or inf, nan): the steps are blowing up
CONVERGED = 1e-3  # what may remain of the loss's way down, as a share of the way it came


def verdict(losses: list[float], path: list[list[float]]) -> str:
    """How one run of gradient descent went, read from its own losses (and, to tell an
    oscillation, from the direction of its steps), never compared with the other runs:

    diverged     a loss is not finite, passes DIVERGED times the start, or ends above it
    converged    the loss came (nearly) all the way down: it fell to a millionth of its
                 start, or it fell and then went flat, or what its last decreases promise
                 still to come (were they to keep shrinking at the same rate) is under
                 CONVERGED of the way it already came
    oscillating  not converged, and each step jumps back across the minimum (the step
                 reverses direction): the rate is large, the run bounces down or stays put
    no progress  the loss did not move (lr = 0, or a zero gradient)
    too slow     the loss is still going down steadily when the steps run out
    """
    start, final = losses[0], losses[-1]
    blew_up = not all(math.isfinite(v) for v in losses) or max(losses) > DIVERGED * start
    if blew_up or final > start:
        return "diverged"
    came = start - final
    if final <= 1e-6 * start:
        return "converged"
    if len(losses) >= 3 and came > 1e-3 * start:
        last, before = losses[-2] - final, losses[-3] - losses[-2]
        if abs(last) <= 1e-5 * final:  # flat, down to float32 rounding: it has arrived
            return "converged"
        rate = last / before if before > 0 else 1.0  # how fast the decreases shrink
        to_come = last * rate / (1 - rate) if 0 <= rate < 1 else math.inf
        if to_come <= CONVERGED * came:
            return "converged"
    steps = [[b - a for a, b in zip(p, q)] for p, q in zip(path, path[1:])]
    reversals = sum(sum(u * v for u, v in zip(s, t)) < 0 for s, t in zip(steps, steps[1:]))
    if reversals > (len(steps) - 1) / 2:
        return "oscillating"
    if came <= 1e-3 * start:
        return "no progress"
    return "too slow"


def loss_limits(runs: list[tuple[list[float], list]]) -> tuple[float, float]:
    """Log-scale y limits that frame every run that did not blow up: a diverging run would
    stretch the axis over many decades and squash the others into a line, so it is left
    to run off the top instead. The bottom stops at a 1e-8th of the start: x² goes on to
    1e-39, which is not worth the space."""
    start = runs[0][0][0]
    kept = [v for losses, _ in runs if max(losses) <= DIVERGED * start and
            all(map(math.isfinite, losses)) for v in losses]
    top = 3 * max(kept, default=start)
    bottom = max(min((v for v in kept if v > 0), default=start) / 2, 1e-8 * start)
    return bottom, top


def save_figure(lrs: list[float], quad: list, line: list, verdicts: list[tuple[str, str]],
                out: Path) -> Path:
    """learning_rate.png: the first steps on the parabola x², and the loss per step on x²
    and on the lesson's line, one colour per learning rate, the verdicts in the legend."""
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    colors = plt.get_cmap("tab10").colors
    dashes = ["-", "--", "-.", ":"]  # runs with the same losses (x² at lr and 1 - lr) stay visible
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained")
    ax = axes[0]  # the path of x on the parabola, first steps only; far steps leave the frame
    x0 = quad[0][1][0][0]
    edge = 1.6 * abs(x0) or 1.0
    grid = tg.linspace(-edge, edge, 200)
    ax.plot(grid, grid ** 2, "k", lw=1)
    for i, (_, path) in enumerate(quad):
        xs = [p[0] for p in path[:8]]
        ax.plot(xs, [v ** 2 for v in xs], marker="o", ls=dashes[i % 4], ms=4,
                color=colors[i % 10], alpha=0.8)
    ax.set(xlim=(-edge, edge), ylim=(-0.05 * edge ** 2, edge ** 2), xlabel="x",
           ylabel="L(x) = x²", title=f"the first 7 steps on L(x) = x², from x = {x0:g}")
    for ax, runs, title in ((axes[1], quad, "quadratic: L(x) = x²"),
                            (axes[2], line, "the lesson's line: mse(x @ a, y)")):
        bottom, top = loss_limits(runs)
        for i, (losses, _) in enumerate(runs):
            ax.plot(range(len(losses)), losses, color=colors[i % 10], ls=dashes[i % 4], lw=1.8)
            off = next((t for t, v in enumerate(losses) if not v <= top), None)
            if off is not None:  # say where a run leaves through the top
                ax.text(off, top / 1.3, f" lr={lrs[i]:g} ↑", color=colors[i % 10], fontsize=9,
                        va="top")
        ax.set(yscale="log", ylim=(bottom, top), xlabel="step", ylabel="loss", title=title)
    handles = [plt.Line2D([], [], color=colors[i % 10], ls=dashes[i % 4], marker="o", ms=4)
               for i in range(len(lrs))]
    labels = [f"lr={lr:g}: {q} on x², {ln} on the line" for lr, (q, ln) in zip(lrs, verdicts)]
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(lrs)), fontsize=9)
    fig.suptitle("Gradient descent with a learning rate too small, about right, too large")
    path = out / "learning_rate.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    p = cli.Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lrs", type=cli.nonnegative_float, nargs="+", default=[0.01, 0.3, 1.1],
                   help="learning rates to compare")
    p.add_argument("--steps", type=cli.positive_int, default=50, help="gradient-descent steps")
    p.add_argument("--start", type=cli.nonzero_float, default=3.0,
                   help="starting x on the quadratic")
    p.add_argument("--n", type=cli.positive_int, default=100, help="points on the lesson's line")
    p.add_argument("--seed", type=cli.nonnegative_int, default=42, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figure")
    p.add_argument("--device", type=cli.device, default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--no-plots", action="store_true", help="skip the figure")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    begin = time.perf_counter()
    quad = [descend(lambda x: (x ** 2).sum(), tensor([args.start], device=args.device), lr,
                    args.steps) for lr in args.lrs]
    line_loss = lesson_line(args.n, args.device)
    line = [descend(line_loss, tensor(-1., 1, device=args.device), lr, args.steps)
            for lr in args.lrs]

    print(f"Gradient descent, {args.steps} steps: the loss at the start and at the end")
    print(f"{'lr':>8}  {'quadratic x²':>32}  {'lesson line (mse)':>32}")
    verdicts = [(verdict(*q), verdict(*ln)) for q, ln in zip(quad, line)]
    for lr, (q, _), (ln, _), said in zip(args.lrs, quad, line, verdicts):
        cells = [f"{v[0]:8.3g} -> {v[-1]:8.3g} {word:>11}" for v, word in zip((q, ln), said)]
        print(f"{lr:8g}  {cells[0]:>32}  {cells[1]:>32}")
    finals = [ln[0][-1] if math.isfinite(ln[0][-1]) else math.inf for ln in line]
    best_l = min(finals)
    a = line[finals.index(best_l)][1][-1] if math.isfinite(best_l) else None
    if a is not None:
        print(f"best line fit: a = ({a[0]:.3f}, {a[1]:.3f})  (the data came from (3, 2) plus "
              "noise in [0, 1))")
    print(f"ran in {time.perf_counter() - begin:.2f} s")
    if not args.no_plots:
        print(f"saved {save_figure(args.lrs, quad, line, verdicts, args.out)}")


if __name__ == "__main__":
    main()
