"""The same loop, many parameters: a small MLP reads handwritten digits.

The lesson fitted 2 parameters to 100 points with `loss.backward()` and a step against the
gradient. Nothing in that loop cares how many parameters there are. Here the model is
nn.Sequential(Linear(64, 128), ReLU(), Linear(128, 10)), about 10,000 parameters, the
data are the 1,797 8x8 images of handwritten digits that scikit-learn ships
(sklearn.datasets.load_digits, no download), and the loss is the cross-entropy between
the 10 scores and the true digit. Mini-batches come from a DataLoader; optim.SGD steps.
A held-out fifth of the images, never trained on, measures the accuracy.

    python examples/digits_mlp.py
    python examples/digits_mlp.py --hidden 32 --epochs 40 --lr 0.05
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import tinygrad_sgd as tg
from tinygrad_sgd import nn
from tinygrad_sgd.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))  # examples/cli.py, however run
import cli  # noqa: E402


def load_data(val_fraction: float, device: str) -> tuple[TensorDataset, TensorDataset]:
    """The digits as (pixels / 16, label) rows, split at random into training and
    validation sets (the split follows tg.manual_seed)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = tg.tensor(digits.data, dtype=tg.float32, device=device) / 16.0  # pixels 0..16 -> 0..1
    y = tg.tensor(digits.target, dtype=tg.int64, device=device)
    order = tg.randperm(len(y)).to(device)
    n_val = min(len(y) - 1, max(1, round(len(y) * val_fraction)))  # neither set empty
    val, train = order[:n_val], order[n_val:]
    return TensorDataset(x[train], y[train]), TensorDataset(x[val], y[val])


def make_model(hidden: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    sizes = [64, *hidden]
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10))


@tg.no_grad()
def evaluate(model: nn.Module, data: TensorDataset, loss_fn: nn.Module) -> tuple[float, float]:
    """Loss and accuracy on a whole dataset, without building a graph."""
    x, y = data.tensors
    model.eval()
    scores = model(x)
    model.train()
    accuracy = (scores.argmax(1) == y).float().mean().item()
    return loss_fn(scores, y).item(), accuracy


def bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total)
    return "[" + "=" * filled + " " * (width - filled) + "]"


def train(model: nn.Module, train_set: TensorDataset, val_set: TensorDataset, epochs: int,
          batch_size: int, lr: float, momentum: float,
          compiled: bool = False) -> dict[str, list[float]]:
    """The lesson's loop, on mini-batches; returns the per-epoch history."""
    loss_fn = nn.CrossEntropyLoss()
    opt = tg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "val_loss": [],
                                       "val_acc": []}
    start = time.perf_counter()
    def step(xb: tg.Tensor, yb: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        scores = model(xb)
        loss = loss_fn(scores, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, scores

    if compiled:  # traced once per batch shape, then replayed as array code (docs/compile.md)
        step = tg.compile(step)
    for epoch in range(1, epochs + 1):
        total_loss, correct, seen = 0.0, 0, 0
        for xb, yb in loader:
            loss, scores = step(xb, yb)
            total_loss += loss.item() * len(yb)  # the batch mean, weighted by batch size
            correct += int((scores.argmax(1) == yb).sum().item())
            seen += len(yb)
        val_loss, val_acc = evaluate(model, val_set, loss_fn)
        for key, value in (("train_loss", total_loss / seen), ("train_acc", correct / seen),
                           ("val_loss", val_loss), ("val_acc", val_acc)):
            history[key].append(value)
        print(f"{bar(epoch, epochs)} epoch {epoch:3d}/{epochs}  "
              f"train loss {total_loss / seen:.4f} acc {correct / seen:6.1%}  "
              f"val loss {val_loss:.4f} acc {val_acc:6.1%}  {time.perf_counter() - start:5.1f} s",
              flush=True)
    return history


def save_figures(history: dict, model: nn.Module, val_set: TensorDataset,
                 out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")  # draw to files; no screen needed
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out.mkdir(parents=True, exist_ok=True)
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    ax_loss.plot(epochs, history["train_loss"], "o-", ms=3, label="training")
    ax_loss.plot(epochs, history["val_loss"], "o-", ms=3, label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    ax_acc.plot(epochs, [100 * a for a in history["train_acc"]], "o-", ms=3, label="training")
    ax_acc.plot(epochs, [100 * a for a in history["val_acc"]], "o-", ms=3, label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    curves = out / "digits_mlp.png"
    fig.savefig(curves, dpi=100)
    plt.close(fig)

    # some validation digits with the model's guesses, wrong ones first and in red
    x, y = val_set.tensors
    with tg.no_grad():
        guess = model(x).argmax(1)
    wrong = (guess != y).cpu().tolist()
    picks = sorted(range(len(wrong)), key=lambda i: not wrong[i])[:24]
    fig, axes = plt.subplots(3, 8, figsize=(10, 5), layout="constrained")
    fig.get_layout_engine().set(hspace=0.12)  # a gap between rows: each caption sits on its image
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, picks):
        ax.imshow(x[i].reshape(8, 8).cpu(), cmap="gray_r")
        ax.set_title(f"{guess[i].item()} (true {y[i].item()})" if wrong[i] else
                     f"{guess[i].item()}", color="red" if wrong[i] else "black", fontsize=9,
                     pad=3)
    fig.suptitle(f"validation digits and the model's answers ({sum(wrong)} wrong "
                 f"of {len(wrong)})")
    samples = out / "digits_mlp_samples.png"
    fig.savefig(samples, dpi=100)
    plt.close(fig)
    return [curves, samples]


def main(argv: list[str] | None = None) -> None:
    p = cli.Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=cli.positive_int, default=20,
                   help="passes over the training set")
    p.add_argument("--batch-size", type=cli.positive_int, default=32, help="mini-batch size")
    p.add_argument("--lr", type=cli.positive_float, default=0.1, help="learning rate")
    p.add_argument("--momentum", type=cli.nonnegative_float, default=0.9, help="SGD momentum")
    p.add_argument("--hidden", type=cli.positive_int, nargs="+", default=[128],
                   help="sizes of the hidden layers")
    p.add_argument("--val-fraction", type=cli.fraction, default=0.2, help="share held out")
    p.add_argument("--seed", type=cli.nonnegative_int, default=0, help="random seed")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the figures")
    p.add_argument("--device", type=cli.device, default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--compile", action="store_true",
                   help="run the training step through tg.compile")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    train_set, val_set = load_data(args.val_fraction, args.device)
    model = make_model(args.hidden).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(train_set)} training and {len(val_set)} validation images of 8x8 digits")
    print(f"model ({n_params:,} parameters):\n{model}")
    print(f"SGD lr={args.lr} momentum={args.momentum}, batch size {args.batch_size}, "
          f"on {args.device}")
    start = time.perf_counter()
    history = train(model, train_set, val_set, args.epochs, args.batch_size, args.lr,
                    args.momentum, compiled=args.compile)
    seconds = time.perf_counter() - start
    n_val = len(val_set)
    right = round(history["val_acc"][-1] * n_val)
    print(f"validation accuracy {history['val_acc'][-1]:.1%} ({right}/{n_val}) after "
          f"{args.epochs} epochs; best {max(history['val_acc']):.1%}; trained in {seconds:.1f} s")
    if not args.no_plots:
        for path in save_figures(history, model, val_set, args.out):
            print(f"saved {path}")


if __name__ == "__main__":
    main()
