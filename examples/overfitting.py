"""Under- and over-fitting: polynomials of low, right and high degree on noisy data.

Fifteen noisy samples of a cubic are fitted by gradient descent with polynomials of every
degree from 0 to 12; 200 more samples, held out, measure how well each fit generalises.
Training loss keeps falling as the degree grows, because more coefficients can follow the
noise. Validation loss falls while the polynomial gains the shape it needs (degree 1 is
too stiff: under-fitting), then rises once the extra coefficients fit the noise
(over-fitting). Degree 3 is right here, since the data came from a cubic; in general the
true curve is unknown, and the validation set, not the training loss, picks the degree.

The features are Legendre polynomials P_0(x) .. P_d(x), not the powers x^k: both span the
same polynomials, but the powers are nearly parallel on [-1, 1] (x^10 and x^12 look alike),
which makes the loss a long narrow valley that gradient descent crosses only very slowly.
Legendre polynomials are orthogonal on [-1, 1], so a few thousand steps suffice.

    python examples/overfitting.py
    python examples/overfitting.py --n-train 40      # more data: over-fitting shrinks
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))  # examples/cli.py, however run
import cli  # noqa: E402


def true_function(x: tg.Tensor) -> tg.Tensor:
    """The curve behind the data: the cubic 4x³ - 3x, which wiggles between -1 and 1."""
    return 4 * x ** 3 - 3 * x


def make_data(n: int, noise: float, device: str) -> tuple[tg.Tensor, tg.Tensor]:
    """x uniform on [-1, 1), y = 4x³ - 3x + Gaussian noise."""
    x = tg.rand(n, device=device) * 2 - 1
    y = true_function(x) + noise * tg.randn(n, device=device)
    return x, y


def legendre_features(x: tg.Tensor, degree: int) -> tg.Tensor:
    """Columns sqrt(2k+1)·P_k(x) for k = 0..degree, by Bonnet's recursion
    (k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}. The scale makes each column's mean square on
    [-1, 1] equal to 1, so every coefficient sees a similar curvature."""
    columns = [tg.ones_like(x), x]
    for k in range(1, degree):
        columns.append(((2 * k + 1) * x * columns[k] - k * columns[k - 1]) / (k + 1))
    return tg.stack([c * math.sqrt(2 * k + 1) for k, c in enumerate(columns[:degree + 1])], 1)


def fit(x: tg.Tensor, y: tg.Tensor, degree: int, steps: int, lr: float,
        momentum: float) -> nn.Linear:
    """A polynomial of `degree` (a Linear layer on its features), from zero coefficients,
    by full-batch gradient descent with momentum on the mean squared error."""
    model = nn.Linear(degree + 1, 1, bias=False, device=x.device)  # P_0 = 1 is the bias
    with tg.no_grad():
        model.weight.zero_()
    features, target = legendre_features(x, degree), y.unsqueeze(1)
    opt = tg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(features), target).backward()
        opt.step()
    return model


@tg.no_grad()
def mse(model: nn.Linear, x: tg.Tensor, y: tg.Tensor) -> float:
    degree = model.in_features - 1
    return F.mse_loss(model(legendre_features(x, degree)), y.unsqueeze(1)).item()


def save_figure(data: dict, models: dict, shown: list[int], losses: dict, best: int,
                out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (x_tr, y_tr), (x_val, y_val) = data["train"], data["val"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.4), layout="constrained")
    grid = tg.linspace(-1, 1, 400, device=x_tr.device)
    left.scatter(x_val.cpu(), y_val.cpu(), s=8, c="lightgray", label="validation data")
    left.scatter(x_tr.cpu(), y_tr.cpu(), s=25, c="black", zorder=3, label="training data")
    left.plot(grid.cpu(), true_function(grid).cpu(), "k--", lw=1, label="4x³ - 3x (the truth)")
    names = {shown[0]: "low", best: "right", shown[-1]: "high"}
    for d, color in zip(shown, ["tab:blue", "tab:green", "tab:red"]):
        with tg.no_grad():
            curve = models[d](legendre_features(grid, d)).squeeze(1)
        left.plot(grid.cpu(), curve.cpu(), color=color, lw=2,
                  label=f"degree {d} ({names.get(d, '')})")
    left.set(ylim=(-2.5, 2.5), xlabel="x", ylabel="y", title="polynomial fits")
    # legends under the plots, where they cover no data
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    degrees = sorted(losses)
    right.plot(degrees, [losses[d][0] for d in degrees], "o-", label="training loss")
    right.plot(degrees, [losses[d][1] for d in degrees], "o-", label="validation loss")
    right.axvline(best, color="tab:green", ls=":", label=f"best by validation: {best}")
    right.set(yscale="log", xlabel="polynomial degree", ylabel="mean squared error",
              title="under-fitting (left) and over-fitting (right)")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    path = out / "overfitting.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    p = cli.Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--max-degree", type=cli.nonnegative_int, default=12,
                   help="highest degree fitted")
    p.add_argument("--n-train", type=cli.positive_int, default=15, help="training samples")
    p.add_argument("--n-val", type=cli.positive_int, default=200,
                   help="held-out validation samples")
    p.add_argument("--noise", type=cli.nonnegative_float, default=0.3,
                   help="noise standard deviation")
    p.add_argument("--steps", type=cli.positive_int, default=1500,
                   help="gradient-descent steps per fit")
    p.add_argument("--lr", type=cli.positive_float, default=0.05, help="learning rate")
    p.add_argument("--momentum", type=cli.nonnegative_float, default=0.9, help="SGD momentum")
    p.add_argument("--seed", type=cli.nonnegative_int, default=0, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figure")
    p.add_argument("--device", type=cli.device, default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--no-plots", action="store_true", help="skip the figure")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    data = {"train": make_data(args.n_train, args.noise, args.device),
            "val": make_data(args.n_val, args.noise, args.device)}
    begin = time.perf_counter()
    models, losses = {}, {}
    print(f"{args.n_train} training and {args.n_val} validation points; "
          f"{args.steps} steps of SGD (lr={args.lr}, momentum={args.momentum}) per degree")
    print(f"{'degree':>6}  {'training loss':>13}  {'validation loss':>15}")
    for d in range(args.max_degree + 1):
        models[d] = fit(*data["train"], d, args.steps, args.lr, args.momentum)
        losses[d] = (mse(models[d], *data["train"]), mse(models[d], *data["val"]))
        print(f"{d:6d}  {losses[d][0]:13.4f}  {losses[d][1]:15.4f}")
    best = min(losses, key=lambda d: losses[d][1])
    low, high = min(1, args.max_degree), args.max_degree
    print(f"best degree by validation loss: {best} (validation {losses[best][1]:.4f}); "
          f"degree {low}: {losses[low][1]:.4f} (under-fits), degree {high}: "
          f"{losses[high][1]:.4f} with training loss {losses[high][0]:.4f}")
    print(f"fitted {len(models)} polynomials in {time.perf_counter() - begin:.2f} s")
    if not args.no_plots:
        shown = sorted({low, best, high})
        print(f"saved {save_figure(data, models, shown, losses, best, args.out)}")


if __name__ == "__main__":
    main()
