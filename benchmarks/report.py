"""Turning timings into rows, the fixed-width table, the JSON record and the bar chart."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from .harness import Timing, stats
from .workloads import IMPLS, Goal, Workload

NOISY = 1.5  # max/min over repeats above this marks a row as noisy in the footnotes
COLUMN = {"tinygrad_sgd": "tinygrad_sgd", "torch": "torch", "floor": "numpy floor"}


@dataclass
class Row:
    key: str
    label: str
    per: str
    times: dict[str, dict[str, float]]  # impl -> {median, min, max}, seconds per `per`
    samples: dict[str, list[float]]
    goal: Goal | None = None
    error: str | None = None  # the workload failed: why
    notes: list[str] = field(default_factory=list)

    def ratio(self, other: str, which: str = "median") -> float:
        ours, theirs = self.times["tinygrad_sgd"][which], self.times[other][which]
        return ours / theirs if theirs and theirs == theirs else float("nan")

    def checks(self) -> list[tuple[str, bool]]:
        """Each part of the goal and whether the medians meet it."""
        if self.goal is None or self.error:
            return []
        g, out = self.goal, []
        if g.max_us is not None:
            out.append((f"<={g.max_us:g}us", self.times["tinygrad_sgd"]["median"] * 1e6
                        <= g.max_us))
        if g.vs_floor is not None:
            out.append((f"<={g.vs_floor:g}x floor", self.ratio("floor") <= g.vs_floor))
        if g.vs_torch is not None:
            out.append((f"<={g.vs_torch:g}x torch", self.ratio("torch") <= g.vs_torch))
        return out

    def met(self) -> bool | None:
        c = self.checks()
        return all(ok for _, ok in c) if c else None

    def spread(self) -> dict[str, float]:
        return {k: v["max"] / v["min"] for k, v in self.times.items()
                if v["min"] == v["min"] and v["min"] > 0}

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "per": self.per, "error": self.error,
                "seconds": {k: {**v, "all": self.samples[k]} for k, v in self.times.items()},
                "ours_vs_torch": _num(self.ratio("torch")),
                "ours_vs_floor": _num(self.ratio("floor")),
                "ours_vs_torch_min": _num(self.ratio("torch", "min")),
                "ours_vs_floor_min": _num(self.ratio("floor", "min")),
                "goal": self.goal.describe() if self.goal else None,
                "checks": [{"goal": d, "met": ok} for d, ok in self.checks()],
                "met": self.met(), "notes": self.notes}


def _num(x: float) -> float | None:
    return None if x != x else x  # JSON has no NaN


def rows_of(wl: Workload, timings: dict[str, Timing]) -> list[Row]:
    """One row per workload, or for a workload timed in phases (W5), one per phase and one
    for the whole run, which carries the goal."""
    def row(key: str, label: str, series: dict[str, list[float]], goal: Goal | None) -> Row:
        return Row(key, label, wl.per, {k: stats(v) for k, v in series.items()}, series,
                   goal, notes=list(wl.notes))

    if not wl.phases:
        return [row(wl.key, wl.label, {k: t.total for k, t in timings.items()}, wl.goal)]
    out = [row(f"{wl.key}-{p}", f"{wl.label}: {p} /{wl.per}",
               {k: t.phases[p] for k, t in timings.items()}, None) for p in wl.phases]
    out.append(row(wl.key, f"{wl.label}: {'+'.join(wl.phases)} /{wl.per}",
                   {k: t.total for k, t in timings.items()},
                   wl.goal if wl.phase_goal else None))
    return out


def failed_row(key: str, label: str, per: str, error: str) -> Row:
    nan = {"median": float("nan"), "min": float("nan"), "max": float("nan")}
    return Row(key, label, per, {k: dict(nan) for k in IMPLS}, {k: [] for k in IMPLS},
               error=error)


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------
def _unit(s: float) -> tuple[float, str]:
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= scale:
            return scale, unit
    return 1e-9, "ns"


def _cell(t: dict[str, float]) -> str:
    """'median [min] unit', both in the median's unit."""
    if t["median"] != t["median"]:
        return "-"
    scale, unit = _unit(t["median"])

    def g(v: float) -> str:
        v = v / scale
        return f"{v:.3g}" if v < 100 else f"{v:.0f}"
    return f"{g(t['median'])} [{g(t['min'])}] {unit}"


def _ratio(x: float) -> str:
    return "-" if x != x else (f"{x:.2f}x" if x < 10 else f"{x:.1f}x")


def table(rows: list[Row], floor: str = COLUMN["floor"]) -> str:
    """The fixed-width table; `floor` names the floor's column ('cupy floor' on a GPU)."""
    head = ["workload", COLUMN["tinygrad_sgd"], COLUMN["torch"], floor,
            "ours/torch", "ours/floor", "goal (met?)"]
    body = []
    for r in rows:
        if r.error:
            body.append([r.label, "FAILED: " + r.error.splitlines()[0][:60], "", "", "", "",
                         ""])
            continue
        goal = "; ".join(f"{d} {'yes' if ok else 'NO'}" for d, ok in r.checks())
        body.append([r.label, *(_cell(r.times[k]) for k in IMPLS), _ratio(r.ratio("torch")),
                     _ratio(r.ratio("floor")), goal or "-"])
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    widths[-1] = len(head[-1])  # the last column may run on

    def line(cells: list[str]) -> str:
        return " | ".join(c.ljust(w) if i == 0 or i == len(cells) - 1 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([line(head), sep, *(line(b) for b in body)])


def fmt_bytes(b: float | None) -> str:
    if b is None or b != b:
        return "n/a"
    for scale, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(b) >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def memory_table(memory: list[dict[str, Any]]) -> str:
    head = ["memory, above data and parameters", COLUMN["tinygrad_sgd"], COLUMN["torch"],
            COLUMN["floor"], "ours/floor"]
    body = []
    for m in memory:
        v = m["bytes"]
        ours, floor = v.get("tinygrad_sgd"), v.get("floor")
        ratio = ours / floor if ours is not None and floor else float("nan")
        body.append([m["label"], *(fmt_bytes(v.get(k)) for k in IMPLS), _ratio(ratio)])
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(head), "-+-".join("-" * w for w in widths),
                      *(line(b) for b in body)])


def machine_line(info: dict[str, Any]) -> str:
    numpy_blas = [b for b in info.get("blas", []) if b["owner"] in ("numpy", "?")
                  and b["api"] not in ("openmp",)]
    blas = ", ".join(f"{b['api']} {b['version']} {b['threads']} threads" for b in numpy_blas)
    gpu = f"; GPU {info['gpu']} (CUDA {info.get('torch_cuda')}, cupy {info.get('cupy')})" \
        if "gpu" in info else ""
    return (f"Machine: {info['cpu']}, {info['usable_cpus']} usable of "
            f"{info['logical_cpus']} logical CPUs, {info.get('memory_gb', '?')} GB{gpu}; "
            f"Python {info['python']}, numpy {info['numpy']} ({blas or 'BLAS unknown'}), "
            f"torch {info['torch']} ({info['torch_threads']} threads); tinygrad_sgd "
            f"{info['tinygrad_sgd']} at {info['git']}; load avg {info.get('loadavg_1m_at_start')}")


def noisy_notes(rows: list[Row]) -> list[str]:
    out = []
    for r in rows:
        wide = {k: s for k, s in r.spread().items() if s > NOISY}
        if wide:
            out.append(f"{r.key}: max/min over repeats " + ", ".join(
                f"{COLUMN[k]} {s:.2f}" for k, s in wide.items()))
    return out


# ---------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------
def plot(rows: list[Row], path: str, title: str) -> None:
    """Horizontal bars of ours/torch and ours/floor (medians, log scale) with the goals
    as ticks of the same colour; 1x is where tinygrad_sgd would tie."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if not r.error]
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(rows) + 2.2))
    h = 0.38
    colors = {"torch": "tab:orange", "floor": "tab:blue"}
    for i, r in enumerate(rows):
        for j, other in enumerate(("torch", "floor")):
            y = i + (j - 0.5) * h
            v = r.ratio(other)
            if v == v:
                ax.barh(y, v, height=h, color=colors[other],
                        label=f"ours / {COLUMN[other]}" if i == 0 else None)
                ax.text(v, y, f" {v:.2g}x", va="center", fontsize=8)
            target = getattr(r.goal, "vs_torch" if other == "torch" else "vs_floor", None) \
                if r.goal else None
            if target is not None:
                ax.plot([target, target], [y - h / 2, y + h / 2], color="black", lw=2.5)
    ax.plot([], [], color="black", lw=2.5, label="goal")
    ax.axvline(1, color="gray", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time ratio, tinygrad_sgd / other (median; lower is better)")
    ax.set_title("\n".join(textwrap.wrap(title, 120)), fontsize=8)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

