"""tinygrad_sgd beside PyTorch and hand-written numpy, in one process and one run.

    python benchmarks/run.py                 # W1-W5 on the CPU: table, JSON, memory
    python benchmarks/run.py --quick         # fewer repeats: under a minute
    python benchmarks/run.py --only W1,W3 --plot ratios.png
    python benchmarks/run.py --threads 1     # numpy's BLAS and torch both on one thread
    python benchmarks/run.py --device cuda   # the GPU suite (G1, G2) beside torch and cupy
    python benchmarks/run.py --suite gpu --device cpu --quick   # the GPU suite's code on CPU

See benchmarks/README.md for what each workload does.
"""
from __future__ import annotations

import os
import sys


def _early_threads(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


# BLAS libraries read their thread count once, when numpy loads them: set it before numpy
# (or torch, or tinygrad_sgd) is imported anywhere in this process.
_THREADS = _early_threads(sys.argv[1:]) if __name__ == "__main__" else None
if _THREADS is not None:
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[_var] = _THREADS
_NUMPY_WAS_LOADED = "numpy" in sys.modules

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from benchmarks import harness, report  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
                                  EnvironmentUnavailable,
                                  Spec,
                                  cpu_suite,
                                  gpu_suite,
                                  make_env,
)

RESULTS = Path(__file__).resolve().parent / "results"
_LIMITS = None  # a threadpoolctl limit that must stay alive (see --threads)
QUICK_W4_BUDGET_S = 20.0
RSS_MIN_BYTES = 1 << 20  # --quick: the 100k chain's rounds together, or it is shortened


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats (and smaller sizes for the GPU suite); under a minute")
    p.add_argument("--only", default="",
                   help="comma-separated groups or keys, e.g. W1,W3 or W4-100k or G1")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where all three run; cuda needs cupy, a GPU and torch with CUDA")
    p.add_argument("--gpu", action="store_true", help="same as --device cuda")
    p.add_argument("--suite", choices=("cpu", "gpu"), default=None,
                   help="W1-W5 (cpu) or G1-G2 (gpu); default: the device's own")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for numpy's BLAS (env vars, set before numpy loads) and "
                        "torch.set_num_threads; default: leave both at their defaults")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed rounds per workload (default: each workload's own)")
    p.add_argument("--json", default=None,
                   help="where to write the JSON (default: benchmarks/results/latest*.json)")
    p.add_argument("--plot", default=None, metavar="PNG", help="save a bar chart of ratios")
    p.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    p.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)  # internal
    args = p.parse_args(argv)
    if args.gpu:
        args.device = "cuda"
    args.suite = args.suite or ("gpu" if args.device == "cuda" else "cpu")
    return args


def select(specs: list[Spec], only: str) -> list[Spec]:
    if not only:
        return specs
    wanted = {w.strip().upper() for w in only.split(",") if w.strip()}
    chosen = [s for s in specs if s.group.upper() in wanted or s.key.upper() in wanted]
    unknown = wanted - {s.group.upper() for s in specs} - {s.key.upper() for s in specs}
    if unknown:
        raise SystemExit(f"--only: unknown {sorted(unknown)}; choose from groups "
                         f"{sorted({s.group for s in specs})} or keys {[s.key for s in specs]}")
    return chosen


def quick_chain_links(spec: Spec, rows: list[report.Row]) -> tuple[int, str | None]:
    """--quick keeps the 100k chain unless the 10k chain's times predict it would take more
    than QUICK_W4_BUDGET_S; then it is shortened (in multiples of 10k) and says so."""
    small = next((r for r in rows if r.key == "W4-10k" and not r.error), None)
    if small is None:
        return spec.size, None
    per_link = sum(t["median"] for t in small.times.values()) / 10_000  # one round, 3 impls
    rounds = spec.warmup + spec.quick_repeats
    predicted = per_link * spec.size * rounds
    if predicted <= QUICK_W4_BUDGET_S:
        return spec.size, None
    links = max(10_000, int(QUICK_W4_BUDGET_S / (per_link * rounds)) // 10_000 * 10_000)
    return links, (f"--quick: the {spec.size:,}-link chain would take ~{predicted:.0f} s here, "
                   f"so it ran with {links:,} links; run without --quick for 100k")


def default_json(args: argparse.Namespace) -> Path:
    name = "latest"
    if args.suite != "cpu" or args.device != "cpu":
        name += f"-{args.suite}-suite-{args.device}"
    if args.threads is not None:
        name += f"-threads{args.threads}"
    if args.quick:
        name += "-quick"
    if args.only:
        name += "-only-" + args.only.replace(",", "-")
    return RESULTS / f"{name}.json"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        if _NUMPY_WAS_LOADED:  # too late for the env variables: limit the loaded BLAS
            from threadpoolctl import threadpool_limits
            global _LIMITS
            _LIMITS = threadpool_limits(args.threads, user_api="blas")
    try:
        env = make_env(args.device)
    except EnvironmentUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    specs = select(cpu_suite() if args.suite == "cpu" else gpu_suite(args.quick), args.only)

    if args.rss_child is not None:  # internal: run by harness.rss_in_child
        keys = args.rss_child.split(",")
        harness.rss_child_main([s for s in specs if s.key in keys], env)
        return 0

    t_start = time.perf_counter()
    info = harness.machine_info()
    if args.device == "cuda":
        info.update(harness.gpu_info())
    header = [report.machine_line(info)]
    if args.threads is not None and _NUMPY_WAS_LOADED:
        header.append("note: numpy was imported before --threads could set the BLAS "
                      "variables; its BLAS was limited through threadpoolctl instead")
    header.append(
        f"Threads: torch {info['torch_threads']}, numpy BLAS "
        f"{[b['threads'] for b in info['blas'] if b['owner'] == 'numpy'] or '?'}"
        + (f" (--threads {args.threads})" if args.threads is not None
           else " (defaults; --threads N sets both)"))
    load, cpus = info.get("loadavg_1m_at_start", 0.0), info["usable_cpus"] or 1
    if args.device == "cpu" and info["torch_threads"] > 1 and load > 0.5:
        header.append(f"warning: load average {load} on {cpus} CPUs: other processes compete "
                      "with the BLAS/OpenMP threads, and multi-threaded code (torch most) "
                      "can then run many times slower in some repeats; --threads 1 is "
                      "steadier")
    header.append(f"Times: median [min] of {'quick ' if args.quick else ''}repeats after "
                  "warm-up, tinygrad_sgd, torch and the numpy floor interleaved in one "
                  "process; ratios are of medians (lower is better for us).")
    print("\n".join(header), flush=True)

    rows: list[report.Row] = []
    memory: list[dict] = []
    notes: list[str] = []
    failed = False
    for spec in specs:
        size, note = spec.size, None
        if args.quick and spec.key == "W4-100k":
            size, note = quick_chain_links(spec, rows)
        repeats = args.repeats or (spec.quick_repeats if args.quick else spec.repeats)
        print(f"  {spec.key}: {repeats} repeats ...", end="", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            wl = spec.build(env, size)
            if note:
                wl.notes.append(note)
                notes.append(note)
            timings = harness.measure(wl, env, repeats, spec.warmup)
            rows += report.rows_of(wl, timings)
            if wl.memory and args.device == "cpu" and not args.no_memory:
                m = {name: harness.tracemalloc_memory(wl, name)
                     for name in ("tinygrad_sgd", "floor")}
                short = wl.label.split(",")[0]
                for what in ("peak", "held_after_forward"):
                    memory.append({"key": wl.key, "kind": what, "method": "tracemalloc",
                                   "label": f"{short}: {what.replace('_', ' ')} "
                                            "(tracemalloc)",
                                   "bytes": {"tinygrad_sgd": m["tinygrad_sgd"][what],
                                             "torch": None, "floor": m["floor"][what]}})
        except Exception as e:  # a wrong result or a library error: record, go on, exit 1
            failed = True
            msg = f"{type(e).__name__}: {e}"
            rows.append(report.failed_row(spec.key, spec.key, "run", msg))
            print(f"\n{'!' * 80}\n{spec.key} FAILED\n{traceback.format_exc()}{'!' * 80}",
                  file=sys.stderr, flush=True)
        finally:
            wl = None
            gc.collect()
            env.release()
        print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    # RSS is page granular and malloc keeps small freed blocks: it resolves a workload
    # whose arrays are megabytes (W2), not one whose arrays are kilobytes (W3).
    mem_keys = [m["key"] for m in memory if m["kind"] == "peak"
                and m["bytes"]["floor"] >= RSS_MIN_BYTES]
    small = [m["key"] for m in memory if m["kind"] == "peak" and m["key"] not in mem_keys]
    if small:
        notes.append(f"RSS not measured for {', '.join(small)}: peaks under "
                     f"{RSS_MIN_BYTES >> 20} MiB are below what RSS resolves, so torch's "
                     "memory there is n/a")
    if mem_keys and harness.rss_available():
        print(f"  memory (RSS) in a child process: {','.join(mem_keys)} ...",
              file=sys.stderr, flush=True)
        extra = ["--threads", str(args.threads)] if args.threads is not None else []
        try:
            rss = harness.rss_in_child(mem_keys, extra)
            for key in mem_keys:
                label = next(m["label"] for m in memory if m["key"] == key).split(":")[0]
                memory.append({"key": key, "kind": "peak", "method": "rss",
                               "label": f"{label}: peak (RSS high-water, child process)",
                               "bytes": rss[key]})
        except Exception as e:
            notes.append(f"RSS measurement failed: {e}")
    memory.sort(key=lambda m: m["key"])

    floor = "numpy floor" if env.xp.__name__ == "numpy" else f"{env.xp.__name__} floor"
    out = ["", report.table(rows, floor)]
    compiled_rows: list[dict] = []
    if args.device == "cpu" and not args.only and not args.quick:  # tg.compile (issue 13)
        from benchmarks import compiled
        print("  compiled rows (W1, W2, W3-nn) ...", file=sys.stderr, flush=True)
        try:
            compiled_rows = compiled.measure(env)
            out += ["", compiled.table(compiled_rows),
                    "compiled: tg.compile replaying the step; eager, torch and floor "
                    "re-timed in the same interleaved rounds; guards: one call's guard "
                    "checks alone."]
        except Exception as e:
            failed = True
            notes.append(f"compiled rows failed: {type(e).__name__}: {e}")
    if memory:
        out += ["", report.memory_table(memory),
                "tracemalloc: every numpy buffer and Python object allocated during one run "
                "(torch's CPU allocator is invisible to it). RSS: growth of the resident set "
                "during one run in a fresh process (Linux VmHWM after clear_refs; mmap "
                "threshold fixed at 16 KiB so freed arrays leave it), all three alike, page "
                "granular."]
    noisy = report.noisy_notes(rows)
    if noisy:
        notes.append("noisy (max/min > %.1f): " % report.NOISY + "; ".join(noisy))
    out += [f"note: {n}" for n in notes]
    elapsed = time.perf_counter() - t_start
    out.append(f"total {elapsed:.0f} s")
    text = "\n".join(out)
    print(text, flush=True)

    record = {"started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "duration_s": round(elapsed, 1), "machine": info,
              "settings": {"quick": args.quick, "device": args.device, "suite": args.suite,
                           "threads": args.threads, "only": args.only or None,
                           "repeats": args.repeats},
              "rows": [r.to_json() for r in rows], "memory": memory, "notes": notes,
              "compiled": compiled_rows}
    path = Path(args.json) if args.json else default_json(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    path.with_suffix(".md").write_text("\n".join(header) + "\n" + text + "\n")
    print(f"wrote {path} and {path.with_suffix('.md').name}", file=sys.stderr)
    if args.plot:
        report.plot(rows, args.plot, header[0])
        print(f"wrote {args.plot}", file=sys.stderr)
    if failed:
        print("FAILED: some workloads did not run or disagreed; see above", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
