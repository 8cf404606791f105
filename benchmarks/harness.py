"""Measuring a workload: check that the three implementations agree, time them interleaved,
and measure peak memory. Also: what machine this is.

Timing protocol (one process, one run): every round runs each implementation once, in an
order that rotates from round to round (ABC, BCA, CAB, ...), so drift of a shared, noisy
machine reaches all three alike. The first `warmup` rounds are not timed; the first of them
also checks the results. Each run gets fresh parameters (untimed) and a gc.collect()
beforehand, so one implementation's garbage is not collected on another's clock; the
collector stays on during the run, as it is for a user.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import re
import subprocess
import sys
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from time import perf_counter
from typing import Any

import numpy as np

from .workloads import IMPLS, Env, Spec, Workload

ROOT = Path(__file__).resolve().parents[1]


class VerificationError(AssertionError):
    """The implementations of a workload computed different numbers."""


# ---------------------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------------------
def compare(wl: Workload, results: dict[str, dict[str, np.ndarray]]) -> None:
    """Every implementation's values against the numpy floor's; raise on any difference."""
    ref = results["floor"]
    problems = []
    for name, values in results.items():
        if name == "floor":
            continue
        if set(values) != set(ref):
            problems.append(f"{name} returned {sorted(values)}, the floor {sorted(ref)}")
            continue
        for k, want in ref.items():
            got = values[k]
            if got.shape != want.shape:
                problems.append(f"{name} '{k}': shape {got.shape}, floor {want.shape}")
            elif not np.allclose(got, want, rtol=wl.rtol, atol=wl.atol):
                err = np.abs(got.astype(np.float64) - want)
                problems.append(f"{name} '{k}': max |diff| {err.max():.3g} (rtol {wl.rtol}, "
                                f"atol {wl.atol}); {_short(got)} vs floor {_short(want)}")
    if problems:
        raise VerificationError(f"{wl.key}: the implementations disagree, so timing them "
                                "would compare different computations:\n  "
                                + "\n  ".join(problems))


def _short(a: np.ndarray) -> str:
    return np.array2string(a.ravel()[:4], precision=6) + ("..." if a.size > 4 else "")


def verify(wl: Workload, env: Env) -> dict[str, dict[str, np.ndarray]]:
    """Run each implementation once and compare (what the smoke test calls)."""
    results = {}
    for name, impl in wl.impls.items():
        state = impl.prepare()
        impl.run(state, None)
        env.sync()
        results[name] = impl.values(state)
    compare(wl, results)
    return results


# ---------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------
@dataclass
class Timing:
    """Seconds per `per` (run time / units), one entry per timed round."""

    total: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)  # NaN where no work


def measure(wl: Workload, env: Env, repeats: int, warmup: int = 1) -> dict[str, Timing]:
    names = list(wl.impls)
    timings = {n: Timing(phases={p: [] for p in wl.phases}) for n in names}
    results: dict[str, dict[str, np.ndarray]] = {}
    # Objects alive now (three libraries' modules, the data) move to a generation the
    # collector never scans: otherwise each gc.collect() below costs tens of ms, and the
    # automatic collections inside a timed run rescan torch's objects on our clock.
    gc.collect()
    gc.freeze()
    try:
        _rounds(wl, env, repeats, warmup, names, timings, results)
    finally:
        gc.unfreeze()
    return timings


def _rounds(wl: Workload, env: Env, repeats: int, warmup: int, names: list[str],
            timings: dict[str, Timing], results: dict[str, dict[str, np.ndarray]]) -> None:
    for r in range(max(warmup, 1) + repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:  # rotate the order every round
            impl = wl.impls[name]
            state = impl.prepare()
            gc.collect()
            env.sync()
            t0 = perf_counter()
            phases = impl.run(state, None)
            env.sync()
            dt = perf_counter() - t0
            if r == 0:
                results[name] = impl.values(state)
            del state
            if r < max(warmup, 1):
                continue
            timings[name].total.append(dt / wl.units)
            for p in wl.phases:
                v = (phases or {}).get(p)
                timings[name].phases[p].append(np.nan if v is None else v / wl.units)
        if r == 0:
            compare(wl, results)  # before any timed round: fail loudly, early


def stats(xs: list[float]) -> dict[str, float]:
    ys = [x for x in xs if x == x]  # drop NaN (no work)
    if not ys:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan")}
    return {"median": median(ys), "min": min(ys), "max": max(ys)}


# ---------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------
def tracemalloc_memory(wl: Workload, name: str) -> dict[str, int]:
    """Peak bytes allocated during one run above what was live before it (the data and the
    parameters), and the most held at the end of a forward, before backward: the graph and
    what the forward made. numpy reports its array buffers to tracemalloc; torch's CPU
    allocator does not, so this is for tinygrad_sgd and the floor only."""
    impl = wl.impls[name]
    state = impl.prepare()
    impl.run(state, None)  # warm: a.grad exists from here on, as in every timed run
    gc.collect()
    held = [0]

    def probe() -> None:
        held[0] = max(held[0], tracemalloc.get_traced_memory()[0] - base)

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        impl.run(state, probe)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return {"peak": peak, "held_after_forward": held[0]}


# Fixed (not glibc's adaptive) mmap threshold for the RSS child: arrays >= 16 KiB get their
# own mapping and are returned to the OS when freed, so the high-water mark of the resident
# set follows the live arrays instead of what malloc cached from an earlier run.
RSS_CHILD_ENV = {"MALLOC_MMAP_THRESHOLD_": "16384", "MALLOC_TRIM_THRESHOLD_": "0"}


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def rss_memory(wl: Workload, name: str) -> int:
    """Peak resident-set growth during one run, in bytes (Linux: VmHWM is reset through
    /proc/self/clear_refs). Sees every allocator, torch's included, with page granularity."""
    impl = wl.impls[name]
    state = impl.prepare()
    impl.run(state, None)  # warm: lazily made kernels, thread pools, a.grad
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS to the current RSS
    base = _status_kb("VmRSS")
    impl.run(state, None)
    return (_status_kb("VmHWM") - base) * 1024


def rss_available() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _status_kb("VmHWM")
        return True
    except OSError:
        return False


def rss_in_child(keys: list[str], extra_args: list[str]) -> dict[str, dict[str, int]]:
    """Run `run.py --rss-child` in a fresh process (its resident set then holds nothing of
    this one's timings) and read {key: {impl: bytes}} from its last line."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--rss-child",
           ",".join(keys), *extra_args]
    env = {**os.environ, **RSS_CHILD_ENV}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"RSS child failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_child_main(specs: list[Spec], env: Env) -> None:
    report = {}
    for spec in specs:
        wl = spec.build(env, spec.size)
        report[spec.key] = {name: rss_memory(wl, name) for name in IMPLS}
        del wl
        gc.collect()
    print(json.dumps(report))


# ---------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    import torch

    import tinygrad_sgd
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "tinygrad_sgd": tinygrad_sgd.__version__,
        "git": _git_describe(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "blas": _blas_info(),
        "thread_env": {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")
                       or k == "VECLIB_MAXIMUM_THREADS"},
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_1m_at_start"] = round(os.getloadavg()[0], 2)
    try:
        with open("/proc/meminfo") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def gpu_info() -> dict[str, Any]:
    import torch
    info: dict[str, Any] = {"torch_cuda": torch.version.cuda,
                            "gpu": torch.cuda.get_device_name(0)}
    try:
        import cupy
        info["cupy"] = cupy.__version__
        info["gpu_memory_gb"] = round(cupy.cuda.Device().mem_info[1] / 2**30, 1)
    except Exception:
        pass
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_describe() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tinygrad_sgd"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
        return sha + (" + uncommitted library changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _blas_info() -> list[dict[str, Any]]:
    """numpy's (and torch's) BLAS/OpenMP libraries and their thread counts."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    out = []
    for lib in threadpool_info():
        path = lib.get("filepath", "")
        owner = next((p for p in ("numpy", "scipy", "torch", "sklearn")
                      if re.search(rf"[/\\]{p}[/\\.]", path)), "?")
        out.append({"owner": owner, "api": lib.get("internal_api"),
                    "version": lib.get("version"), "threads": lib.get("num_threads"),
                    "file": os.path.basename(path)})
    return out
