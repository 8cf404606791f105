"""Learning rates: too small, about right, too large.

Gradient descent steps against the gradient: p = p - lr * dL/dp. On the quadratic
L(x) = x² that step is x = x - lr * 2x = (1 - 2 lr) x, so
    lr = 0.01   x shrinks by 2% per step: correct but slow;
    lr = 0.3    x shrinks by 60% per step: fast;
    lr = 1.1    x flips sign and grows by 20% per step: it diverges.
The lesson's line y = x @ a has the same curvature (about 2) along its steepest direction,
so the same three learning rates behave the same way there. This script runs both with
tinygrad_sgd's autograd and optim.SGD and plots the losses side by side.

    python examples/learning_rate.py
    python examples/learning_rate.py --lrs 0.1 0.9 1.0   # 1.0 is the edge: it oscillates
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Callable

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor


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


def verdict(losses: list[float], best_final: float) -> str:
    final = losses[-1]
    if not math.isfinite(final) or final > losses[0]:
        return "diverged"
    if final > 1.5 * best_final + 1e-12:
        return "too slow"
    return "converged"


def save_figure(lrs: list[float], quad: list, line: list, out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    colors = ["tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]  # the path of x on the parabola, first steps only
    grid = tg.linspace(-8, 8, 200)
    ax.plot(grid, grid ** 2, "k", lw=1)
    for i, (lr, (_, path)) in enumerate(zip(lrs, quad)):
        xs = [p[0] for p in path[:8] if abs(p[0]) < 8]
        ax.plot(xs, [v ** 2 for v in xs], "o-", ms=4, color=colors[i % 5], label=f"lr={lr:g}")
    ax.set(xlim=(-8, 8), ylim=(-1, 64), xlabel="x", ylabel="L(x) = x²",
           title="the first 7 steps on L(x) = x²")
    ax.legend(fontsize=8)
    for ax, runs, title in ((axes[1], quad, "quadratic: L(x) = x²"),
                            (axes[2], line, "the lesson's line: mse(x @ a, y)")):
        for i, (lr, (losses, _)) in enumerate(zip(lrs, runs)):
            ax.plot(range(len(losses)), losses, color=colors[i % 5], label=f"lr={lr:g}")
        ax.set(yscale="log", xlabel="step", ylabel="loss", title=title)
        ax.set_ylim(bottom=max(ax.get_ylim()[0], 1e-8))  # x² reaches 1e-39: not worth showing
        ax.legend(fontsize=8)
    fig.suptitle("Gradient descent with a learning rate too small, about right, too large")
    fig.tight_layout()
    path = out / "learning_rate.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.3, 1.1],
                   help="learning rates to compare")
    p.add_argument("--steps", type=int, default=50, help="gradient-descent steps")
    p.add_argument("--start", type=float, default=3.0, help="starting x on the quadratic")
    p.add_argument("--n", type=int, default=100, help="points on the lesson's line")
    p.add_argument("--seed", type=int, default=42, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figure")
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda'")
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
    print(f"{'lr':>8}  {'quadratic x²':>30}  {'lesson line (mse)':>30}")
    best_q = min((r[0][-1] for r in quad if math.isfinite(r[0][-1])), default=math.inf)
    best_l = min((r[0][-1] for r in line if math.isfinite(r[0][-1])), default=math.inf)
    for lr, (q, _), (ln, _) in zip(args.lrs, quad, line):
        cells = [f"{v[0]:8.3g} -> {v[-1]:8.3g} {verdict(v, best):>9}"
                 for v, best in ((q, best_q), (ln, best_l))]
        print(f"{lr:8g}  {cells[0]:>30}  {cells[1]:>30}")
    a = line[[ln[0][-1] for ln in line].index(best_l)][1][-1] if math.isfinite(best_l) else None
    if a is not None:
        print(f"best line fit: a = ({a[0]:.3f}, {a[1]:.3f})  (the data came from (3, 2) plus "
              "noise in [0, 1))")
    print(f"ran in {time.perf_counter() - begin:.2f} s")
    if not args.no_plots:
        print(f"saved {save_figure(args.lrs, quad, line, args.out)}")


if __name__ == "__main__":
    main()
