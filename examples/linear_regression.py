"""The fast.ai lesson "SGD from scratch", on tinygrad_sgd.

Fit a line y = x @ a to 100 noisy points: start from a = (-1, 1), compute the mean squared
error, call loss.backward() and step a.sub_(lr * a.grad) under no_grad(). Then the same
fit by mini-batch SGD. Saves a PNG of the points with the fitted lines and a GIF of the
line converging.

    python examples/linear_regression.py            # the lesson's settings
    python examples/linear_regression.py --lr 1.1   # too high: watch it diverge
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import tinygrad_sgd as tg
from tinygrad_sgd import nn, tensor


def make_data(n: int, device: str) -> tuple[tg.Tensor, tg.Tensor]:
    """The lesson's data: x = (u, 1) with u uniform in [-1, 1), y = x @ (3, 2) + noise."""
    x = tg.ones(n, 2, device=device)
    x[:, 0].uniform_(-1., 1)  # x[:, 0] is a view: this fills the first column of x
    a = tensor(3., 2, device=device)
    y = x @ a + tg.rand(n, device=device)
    return x, y


def mse(y_hat: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
    return ((y_hat - y) ** 2).mean()


def gradient_descent(x: tg.Tensor, y: tg.Tensor, lr: float, steps: int,
                     print_every: int = 10) -> list[list[float]]:
    """The lesson's loop: full-batch gradient descent on a from (-1, 1).
    Returns a after every step, for the plot and the animation."""
    a = nn.Parameter(tensor(-1., 1, device=x.device))
    history = [a.tolist()]
    for t in range(steps):
        y_hat = x @ a
        loss = mse(y, y_hat)
        if t % print_every == 0:
            print(loss)
        loss.backward()
        with tg.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        history.append(a.tolist())
    return history


def minibatch_sgd(x: tg.Tensor, y: tg.Tensor, lr: float, epochs: int,
                  batch_size: int) -> list[list[float]]:
    """The same update on random mini-batches: each epoch visits every point once."""
    a = nn.Parameter(tensor(-1., 1, device=x.device))
    history = [a.tolist()]
    n = x.shape[0]
    for epoch in range(epochs):
        order = tg.randperm(n, device=x.device)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]  # integer-tensor indexing gathers rows
            loss = mse(x[batch] @ a, y[batch])
            loss.backward()
            with tg.no_grad():
                a.sub_(lr * a.grad)
                a.grad.zero_()
        history.append(a.tolist())
        if epoch % 10 == 0 or epoch == epochs - 1:
            with tg.no_grad():
                print(f"epoch {epoch:3d}  loss on all points {mse(x @ a, y).item():.4f}")
    return history


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


def save_figures(x: tg.Tensor, y: tg.Tensor, gd: list, sgd: list, out: Path,
                 gif: bool) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt
    from matplotlib import animation

    out.mkdir(parents=True, exist_ok=True)
    u, yv = x[:, 0].cpu(), y.cpu()  # matplotlib reads CPU tensors directly
    line_u = tg.linspace(-1, 1, 2)

    def line(a: list[float]) -> tg.Tensor:
        return a[0] * line_u + a[1]

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(u, yv, s=12, c="tab:orange", label="data")
    ax.plot(line_u, line(gd[0]), "k:", label=f"start a = ({gd[0][0]:.0f}, {gd[0][1]:.0f})")
    ax.plot(line_u, line(gd[-1]), "tab:blue",
            label=f"gradient descent a = ({gd[-1][0]:.2f}, {gd[-1][1]:.2f})")
    ax.plot(line_u, line(sgd[-1]), "tab:green", ls="--",
            label=f"mini-batch SGD a = ({sgd[-1][0]:.2f}, {sgd[-1][1]:.2f})")
    ax.set(xlabel="x[:, 0]", ylabel="y", title="y = x @ a, fitted by SGD")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    png = out / "linear_regression.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    saved = [png]

    if gif:  # the lesson's animation: the line after each gradient-descent step
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.scatter(u, yv, s=10, c="tab:orange")
        (drawn,) = ax.plot(line_u, line(gd[0]), "tab:blue", lw=2)
        title = ax.set_title("step 0")
        ax.set(xlabel="x[:, 0]", ylabel="y")
        fig.tight_layout()

        def animate(i: int) -> tuple:
            drawn.set_ydata(line(gd[i]))
            title.set_text(f"step {i}: a = ({gd[i][0]:.2f}, {gd[i][1]:.2f})")
            return drawn, title

        # every step while the line moves fast, then every 5th (writing frames is slow)
        frames = sorted({*range(min(30, len(gd))), *range(30, len(gd), 5), len(gd) - 1})
        anim = animation.FuncAnimation(fig, animate, frames=frames, interval=50)
        path = out / "linear_regression.gif"
        anim.save(path, writer=animation.PillowWriter(fps=20), dpi=70)
        plt.close(fig)
        saved.append(path)
    return saved


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--n", type=int, default=100, help="number of points")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate")
    p.add_argument("--steps", type=int, default=100, help="gradient-descent steps")
    p.add_argument("--epochs", type=int, default=25, help="mini-batch SGD epochs")
    p.add_argument("--batch-size", type=int, default=10, help="mini-batch size for SGD")
    p.add_argument("--seed", type=int, default=42, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figures")
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--no-gif", action="store_true", help="skip the animation")
    p.add_argument("--no-plots", action="store_true", help="skip all figures")
    p.add_argument("--explain", action="store_true",
                   help="first trace one step's backward and draw the graph of its loss")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    start = time.perf_counter()
    x, y = make_data(args.n, args.device)
    if args.explain:
        explain(x, y, args.out)
    print(f"Gradient descent: {args.steps} steps, lr={args.lr}, {args.n} points")
    gd = gradient_descent(x, y, args.lr, args.steps)
    print(f"a = ({gd[-1][0]:.4f}, {gd[-1][1]:.4f})   (the data came from a = (3, 2) "
          "plus noise in [0, 1))\n")
    epochs = args.epochs
    print(f"Mini-batch SGD: {epochs} epochs, batch size {args.batch_size}, lr={args.lr}")
    sgd = minibatch_sgd(x, y, args.lr, epochs, args.batch_size)
    print(f"a = ({sgd[-1][0]:.4f}, {sgd[-1][1]:.4f})")
    print(f"trained in {time.perf_counter() - start:.2f} s")
    if not args.no_plots:
        for path in save_figures(x, y, gd, sgd, args.out, gif=not args.no_gif):
            print(f"saved {path}")


if __name__ == "__main__":
    main()
