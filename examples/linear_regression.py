"""The fast.ai lesson "SGD from scratch", on tinygrad_sgd.

Fit a line y = x @ a to 100 noisy points: start from a = (-1, 1), compute the mean squared
error, call loss.backward() and step a.sub_(lr * a.grad) under no_grad(). Then the same
fit by mini-batch SGD. Saves a PNG of the points, the true line and the fitted lines, and
a GIF of the line converging, with the loss in each frame's title. A loss that blows up
(not finite, or a million times its start) stops the run with a note saying where.

    python examples/linear_regression.py            # the lesson's settings
    python examples/linear_regression.py --lr 1.1   # too high: it diverges, and stops
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))  # examples/cli.py, however run
import cli  # noqa: E402


def make_data(n: int, device: str) -> tuple[tg.Tensor, tg.Tensor]:
    """The lesson's data: x = (u, 1) with u uniform in [-1, 1), y = x @ (3, 2) + noise."""
    x = tg.ones(n, 2, device=device)
    x[:, 0].uniform_(-1., 1)  # x[:, 0] is a view: this fills the first column of x
    a = tensor(3., 2, device=device)
    y = x @ a + tg.rand(n, device=device)
    return x, y


def mse(y_hat: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
    """The mean squared error, the lesson's loss."""
    return ((y_hat - y) ** 2).mean()


DIVERGED = 1e6  # a loss this many times its start (or inf, nan): the steps are blowing up


class Run:
    """What a fit went through: `a` before the first step and after each, the loss at each
    of those points, and the step at which the loss diverged (None if it did not)."""

    def __init__(self, params: list[list[float]], losses: list[float]) -> None:
        self.params = params
        self.losses = losses
        self.diverged_at: int | None = None


def diverged(loss: float, start: float) -> bool:
    """Not finite, or grown past DIVERGED times the first loss."""
    return not math.isfinite(loss) or loss > DIVERGED * start


def gradient_descent(x: tg.Tensor, y: tg.Tensor, lr: float, steps: int,
                     print_every: int = 10) -> Run:
    """The lesson's loop: full-batch gradient descent on a from (-1, 1). Stops at the
    first loss that diverges, before stepping from it."""
    a = nn.Parameter(tensor(-1., 1, device=x.device))
    run = Run([a.tolist()], [])
    for t in range(steps):
        y_hat = x @ a
        loss = mse(y, y_hat)
        if t % print_every == 0:
            print(loss)
        run.losses.append(loss.item())
        if diverged(run.losses[-1], run.losses[0]):
            run.diverged_at = t
            return run
        loss.backward()
        with tg.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        run.params.append(a.tolist())
    with tg.no_grad():
        run.losses.append(mse(y, x @ a).item())  # the loss where the last step landed
    if diverged(run.losses[-1], run.losses[0]):
        run.diverged_at = steps
    return run


def minibatch_sgd(x: tg.Tensor, y: tg.Tensor, lr: float, epochs: int,
                  batch_size: int, compiled: bool = False) -> Run:
    """The same update on random mini-batches: each epoch visits every point once. The
    run records a and the loss on all points after every epoch; it stops at the first
    epoch whose loss diverges."""
    a = nn.Parameter(tensor(-1., 1, device=x.device))
    with tg.no_grad():
        run = Run([a.tolist()], [mse(x @ a, y).item()])
    n = x.shape[0]

    def step(batch: tg.Tensor) -> tg.Tensor:
        loss = mse(x[batch] @ a, y[batch])  # integer-tensor indexing gathers rows
        loss.backward()
        with tg.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        return loss

    if compiled:  # traced once per batch size, then replayed (docs/compile.md)
        step = tg.compile(step)
    for epoch in range(epochs):
        order = tg.randperm(n, device=x.device)
        for start in range(0, n, batch_size):
            step(order[start:start + batch_size])
        run.params.append(a.tolist())
        with tg.no_grad():
            run.losses.append(mse(x @ a, y).item())
        if diverged(run.losses[-1], run.losses[0]):
            run.diverged_at = epoch
            print(f"epoch {epoch:3d}  loss on all points {run.losses[-1]:.4g}")
            return run
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss on all points {run.losses[-1]:.4f}")
    return run


def divergence_note(what: str, run: Run, at: str) -> str:
    """One line for a run that diverged: where, and how far."""
    return (f"{what} diverged at {at} {run.diverged_at}: the loss reached "
            f"{run.losses[-1]:.4g}, over {DIVERGED:.0e} times its start {run.losses[0]:.4f}; "
            "stopped there.")


def fmt_a(a: list[float], digits: int = 2) -> str:
    """a as '(3.04, 2.49)', or in scientific notation once it has blown up."""
    spec = f".{digits}f" if all(abs(v) < 1e4 for v in a) else f".{digits + 1}g"
    return f"({a[0]:{spec}}, {a[1]:{spec}})"


def explain(x: tg.Tensor, y: tg.Tensor, out: Path) -> None:
    """--explain: the lesson's first step with its backward traced, and the graph of its
    loss drawn into `out` (DOT always; SVG too where Graphviz is installed)."""
    a = nn.Parameter(tensor(-1., 1, device=x.device))
    loss = mse(y, x @ a)
    print(f"One step of the lesson, explained: a = {a.tolist()}, loss = {loss.item():.4f}")
    with tg.autograd.trace(params={"a": a}) as steps:
        loss.backward()
    print(f"a.grad = {a.grad}\n")
    drawn = tg.viz.draw(loss, out / "linear_regression_graph.svg",
                        params={"a": a, "loss": loss}, trace=steps)
    print(f"saved {drawn}\n")


GIF_FPS = 20
GIF_HOLD_S = 1.0  # the last frame stays this long, so the result can be read


def gif_frames(n: int) -> list[int]:
    """Which of n parameter snapshots the animation shows: every step while the line moves
    fast, then every 5th (writing frames is slow), then the last one repeated for
    GIF_HOLD_S (the GIF stores a repeated frame once, with the durations added up)."""
    shown = sorted({*range(min(30, n)), *range(30, n, 5), n - 1})
    return shown + [n - 1] * (round(GIF_HOLD_S * GIF_FPS) - 1)


def frame_title(step: int, a: list[float], loss: float, diverged_here: bool = False) -> str:
    """The title of one animation frame: the step, its loss and a."""
    note = ": diverged, stopped" if diverged_here else ""
    return f"step {step}: loss {loss:.4g}, a = {fmt_a(a)}{note}"


def save_figures(x: tg.Tensor, y: tg.Tensor, gd: Run, sgd: Run, out: Path,
                 gif: bool) -> list[Path]:
    """linear_regression.png (the data, the true line, the start and both fits) and, if
    `gif`, linear_regression.gif (the line after each gradient-descent step). The axes
    always frame the data, so a line that flies off (a diverging run) leaves the picture
    instead of shrinking the data to a stripe."""
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt
    from matplotlib import animation

    out.mkdir(parents=True, exist_ok=True)
    u, yv = x[:, 0].cpu(), y.cpu()  # matplotlib reads CPU tensors directly
    line_u = tg.linspace(-1, 1, 2)
    pad = 0.15 * (yv.max() - yv.min()).item()
    ylim = (yv.min().item() - pad, yv.max().item() + pad)

    def line(a: list[float]) -> tg.Tensor:
        return a[0] * line_u + a[1]

    def how(run: Run, what: str, at: str) -> str:
        a = run.params[-1]
        if run.diverged_at is None:
            return f"{what} a = {fmt_a(a)}"
        ends = line(a)
        off = " (off the plot)" if ends.min() > ylim[1] or ends.max() < ylim[0] else ""
        return f"{what} diverged at {at} {run.diverged_at}{off}, a = {fmt_a(a)}"

    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    ax.scatter(u, yv, s=12, c="tab:orange", label="data: 3·x + 2 + noise in [0, 1)")
    ax.plot(line_u, line([3., 2.]), color="0.3", lw=1, ls="-.", label="true line a = (3, 2)")
    ax.plot(line_u, line(gd.params[0]), "k:", label=f"start a = {fmt_a(gd.params[0])}")
    ax.plot(line_u, line(gd.params[-1]), "tab:blue", label=how(gd, "gradient descent", "step"))
    ax.plot(line_u, line(sgd.params[-1]), "tab:green", ls="--",
            label=how(sgd, "mini-batch SGD", "epoch"))
    ax.set(xlim=(-1.05, 1.05), ylim=ylim, xlabel="x[:, 0]", ylabel="y",
           title="y = x @ a, fitted by SGD")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # beside the data
    png = out / "linear_regression.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    saved = [png]

    if gif:  # the lesson's animation: the line after each gradient-descent step
        fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
        ax.scatter(u, yv, s=10, c="tab:orange", label="data")
        ax.plot(line_u, line([3., 2.]), color="0.3", lw=1, ls="-.", label="true line")
        (drawn,) = ax.plot(line_u, line(gd.params[0]), "tab:blue", lw=2, label="x @ a")
        title = ax.set_title("")
        ax.set(xlim=(-1.05, 1.05), ylim=ylim, xlabel="x[:, 0]", ylabel="y")
        ax.legend(loc="upper left", fontsize=8)  # the data rise to the right: this corner is free

        def animate(i: int) -> tuple:
            drawn.set_ydata(line(gd.params[i]))
            title.set_text(frame_title(i, gd.params[i], gd.losses[i], i == gd.diverged_at))
            return drawn, title

        frames = gif_frames(len(gd.params))
        anim = animation.FuncAnimation(fig, animate, frames=frames, interval=1000 / GIF_FPS)
        path = out / "linear_regression.gif"
        anim.save(path, writer=animation.PillowWriter(fps=GIF_FPS), dpi=80)  # 640 px wide
        plt.close(fig)
        saved.append(path)
    return saved


def main(argv: list[str] | None = None) -> None:
    p = cli.Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=cli.positive_int, default=100, help="number of points")
    p.add_argument("--lr", type=cli.positive_float, default=0.1, help="learning rate")
    p.add_argument("--steps", type=cli.positive_int, default=100, help="gradient-descent steps")
    p.add_argument("--epochs", type=cli.positive_int, default=25, help="mini-batch SGD epochs")
    p.add_argument("--batch-size", type=cli.positive_int, default=10,
                   help="mini-batch size for SGD")
    p.add_argument("--seed", type=cli.nonnegative_int, default=42, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figures")
    p.add_argument("--device", type=cli.device, default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--no-gif", action="store_true", help="skip the animation")
    p.add_argument("--no-plots", action="store_true", help="skip all figures")
    p.add_argument("--explain", action="store_true",
                   help="first trace one step's backward and draw the graph of its loss")
    p.add_argument("--compile", action="store_true",
                   help="run the mini-batch SGD step through tg.compile")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    start = time.perf_counter()
    x, y = make_data(args.n, args.device)
    if args.explain:
        explain(x, y, args.out)
    print(f"Gradient descent: {args.steps} steps, lr={args.lr}, {args.n} points")
    gd = gradient_descent(x, y, args.lr, args.steps)
    if gd.diverged_at is not None:
        print(divergence_note("Gradient descent", gd, "step"))
    print(f"a = {fmt_a(gd.params[-1], 4)}   (the data came from a = (3, 2) plus noise in [0, 1))\n")
    print(f"Mini-batch SGD: {args.epochs} epochs, batch size {args.batch_size}, lr={args.lr}")
    sgd = minibatch_sgd(x, y, args.lr, args.epochs, args.batch_size, args.compile)
    if sgd.diverged_at is not None:
        print(divergence_note("Mini-batch SGD", sgd, "epoch"))
    print(f"a = {fmt_a(sgd.params[-1], 4)}")
    if gd.diverged_at is not None or sgd.diverged_at is not None:
        print(f"lr={args.lr:g} is too large for this problem: each step overshoots the minimum "
              "by more than it started from. Try a smaller --lr (the lesson's 0.1); "
              "examples/learning_rate.py shows why.")
    print(f"trained in {time.perf_counter() - start:.2f} s")
    if not args.no_plots:
        for path in save_figures(x, y, gd, sgd, args.out, gif=not args.no_gif):
            print(f"saved {path}")


if __name__ == "__main__":
    main()
