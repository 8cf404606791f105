"""Every example runs as a subprocess with small settings, prints its summary and writes
its figures, on the CPU and on the 'cuda' device (the stand-in where there is no GPU); the
digits MLP reaches 95% with its defaults in under a minute; the lesson's notebook runs
headless."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_GPU

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

SMALL = {  # settings that run in a second or two
    "learning_rate.py": ["--steps", "20"],
    "overfitting.py": ["--max-degree", "5", "--steps", "300"],
    "digits_mlp.py": ["--epochs", "3"],
}
FIGURES = {
    "learning_rate.py": ["learning_rate.png"],
    "overfitting.py": ["overfitting.png"],
    "digits_mlp.py": ["digits_mlp.png", "digits_mlp_samples.png"],
}


def run_example(name: str, *args: str, device: str = "cpu", timeout: int = 120
                ) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    if device == "cuda" and not REAL_GPU:
        env["TINYGRAD_SGD_STANDIN"] = "1"  # the examples' 'cuda' is then the stand-in
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--device", device, *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("name", list(SMALL))
def test_help(name: str) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    for flag in ("--device", "--out", "--seed"):
        assert flag in done.stdout, flag


@pytest.mark.parametrize("name", list(SMALL))
def test_example_runs_and_saves_its_figures(tmp_path: Path, device: str, name: str) -> None:
    """Small settings; except the digits MLP on the CPU, which runs its defaults (20
    epochs, a couple of seconds) to check the promise: 95% within a minute."""
    defaults = name == "digits_mlp.py" and device == "cpu"
    args = [] if defaults else SMALL[name]
    done = run_example(name, *args, "--out", str(tmp_path / "figures"), device=device)
    for figure in FIGURES[name]:
        path = tmp_path / "figures" / figure
        assert path.exists() and path.stat().st_size > 5000, figure
        assert f"saved {path}" in done.stdout
        from PIL import Image
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 400
    out = done.stdout
    if name == "learning_rate.py":
        rows = [line for line in out.splitlines() if re.match(r"\s+[\d.]+\s+\d", line)]
        assert [r.split()[0] for r in rows] == ["0.01", "0.3", "1.1"]
        verdicts = [re.findall("too slow|converged|diverged", r) for r in rows]
        assert verdicts == [["too slow"] * 2, ["converged"] * 2, ["diverged"] * 2], out
    elif name == "overfitting.py":
        table = [line.split() for line in out.splitlines() if re.match(r"\s+\d+\s+[\d.]+", line)]
        assert [int(r[0]) for r in table] == list(range(6))
        train, val = [float(r[1]) for r in table], [float(r[2]) for r in table]
        assert train[5] < train[3] < train[1]  # more coefficients always fit better...
        assert val[3] < val[1] / 2  # ...but only the right ones generalise
        assert "best degree by validation loss: 3" in out
    else:
        n_epochs = 20 if defaults else 3
        epochs = [line for line in out.splitlines()
                  if re.search(rf"epoch +\d+/{n_epochs} +train loss", line)]
        assert len(epochs) == n_epochs  # one progress line per epoch
        match = re.search(r"validation accuracy ([\d.]+)% \((\d+)/(\d+)\) after \d+ epochs.*"
                          r"trained in ([\d.]+) s", out)
        assert match, out
        accuracy, seconds = float(match.group(1)), float(match.group(4))
        assert int(match.group(3)) == 359  # a fifth of the 1,797 digits, never trained on
        assert accuracy >= (95.0 if defaults else 90.0) and seconds < 60, out


def test_lesson_notebook_runs_headless(tmp_path: Path) -> None:
    """Runs every cell of examples/lesson2_sgd.ipynb in a fresh kernel. To keep CI short,
    the animation renders 10 frames instead of the lesson's 100 (the same code)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / "lesson2_sgd.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "import tinygrad_sgd as torch" in code[0].source
    assert all(not c.outputs for c in code), "commit the notebook without outputs"
    animation = [c for c in code if "FuncAnimation" in c.source]
    assert len(animation) == 1 and "np.arange(0, 100)" in animation[0].source
    animation[0].source = animation[0].source.replace("np.arange(0, 100)", "np.arange(0, 10)")
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    def text(cell) -> str:
        return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                       for o in cell.outputs)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    loop = next(c for c in code if "for t in range(100): update()" in c.source)
    losses = [float(v) for v in re.findall(r"tensor\(([\d.]+), grad_fn=<MeanBackward0>\)",
                                           text(loop))]
    assert len(losses) == 10 and losses == sorted(losses, reverse=True) and losses[-1] < 0.1
    fitted = next(c for c in code if c.source.strip() == "a")
    a = [float(v) for v in re.findall(r"-?\d+\.\d+", text(fitted))]
    assert abs(a[0] - 3) < 0.2 and abs(a[1] - 2.5) < 0.2, text(fitted)
    figures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 4
    assert any("text/html" in o.get("data", {}) for o in animation[0].outputs)
    w, b = [float(v) for v in re.findall(r"-?\d+\.\d+", text(code[-2]))[-2:]]
    assert abs(w - 3) < 0.2 and abs(b - 2.5) < 0.2, text(code[-2])
