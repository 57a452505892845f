"""``spc bench``: performance figures (never pass/fail).

Three sections, each optional (``--only``):

side-by-side
    The full model and the plain-Mesa reference (:mod:`benchmarks.reference_mesa`,
    one agent per customer, ``shuffle_do``) at the same customer count and days
    in this process: construction time separately, then the time of the days
    alone as seconds and nanoseconds per customer-day, and the ratio
    reference cost / model cost. Best of a few repeats for small sizes.
scaling
    The full model at each customer count in a fresh subprocess: construction
    and run seconds, ns per customer-day, peak resident memory (``ru_maxrss``
    read after the run), and the growth exponent fitted to log seconds vs log
    customers.
batch
    A batch of baseline-size runs (the scenario as written), serially in this
    process and on ``--workers`` processes (:class:`sim.evaluators.ProcessEvaluator`):
    runs per minute each way and the parallel path's efficiency against the
    ideal serial time / workers; and the time a Sobol study of N = 1024 over 12
    parameters on paired differences (N(2D+2) = 26,624 samples x 2 structures)
    would take at the better of the two rates.
ui
    What the web UI needs: a pair of markets (linear and triangular) stepped a
    day at a time in one process, as days per second for the pair.
study
    Runs of a study (``--study``, default the Sobol study of the structure
    difference) timed end to end as a study worker does them (construction, run,
    the focal firm's summary), the study's cost projected from them, and the
    first-call cost of the compiled kernels (a fresh interpreter with an empty and
    with a warm compiled-code cache).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sim.argtypes import positive_int as _count
from sim.argtypes import seed as _seed
from sim.config import ScenarioError

SECTIONS = ("side-by-side", "scaling", "batch", "ui", "study")
SOBOL_N, SOBOL_D = 1024, 12  # Saltelli sampling with second-order indices: N (2D + 2)
SOBOL_RUNS = SOBOL_N * (2 * SOBOL_D + 2) * 2  # both structures at every sample
DEFAULT_SCENARIO = "scenarios/baseline.toml"
DEFAULT_STUDY = "experiments/structure_sobol.toml"

# (full, smoke) defaults; ``None`` in argparse means "not given on the command line"
DEFAULTS = {
    "customers": (20_000, 2_000),
    "days": (60, 10),
    "scaling": ([1_000, 10_000, 100_000, 1_000_000], [1_000, 4_000]),
    "scaling_days": (365, 20),
    "batch_runs": (8, 2),
    "batch_days": (None, 30),  # None: the scenario's market.days
    "ui_customers": (10_000, 2_000),
    "ui_days": (200, 20),
    "study_runs": (8, 2),
    "study_days": (None, None),  # None: the study's days (smoke: 10 past the warm-up)
}


# ------------------------------------------------------------------ arguments
def _count_list(text: str) -> list[int]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. 1000,10000")
    return [_count(t) for t in items]


def _sections(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in SECTIONS]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"{', '.join(bad) or text!r}: allowed sections are {', '.join(SECTIONS)}"
        )
    return items


def add_bench_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bench",
        help="performance figures: vs plain Mesa, scaling, batch throughput",
        description=(
            "Measure and print performance figures (no pass/fail): (a) the model side by "
            "side with a plain-Mesa reference, (b) scaling with the number of customers, "
            "(c) batch throughput serially and on all cores."
        ),
    )
    p.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"scenario the runs are based on (default: {DEFAULT_SCENARIO})",
    )
    g = p.add_argument_group("side by side")
    g.add_argument("--customers", type=_count, metavar="N", help="customers (default 20000)")
    g.add_argument("--days", type=_count, metavar="D", help="days (default 60)")
    g.add_argument(
        "--repeats",
        type=_count,
        help="repeats, best taken (default: 3 for up to 2.5M customer-days, 2 to 10M, else 1)",
    )
    g = p.add_argument_group("scaling")
    g.add_argument(
        "--scaling",
        type=_count_list,
        metavar="N1,N2,...",
        help="customer counts (default 1000,10000,100000,1000000)",
    )
    g.add_argument("--scaling-days", type=_count, metavar="D", help="days per size (default 365)")
    g = p.add_argument_group("batch")
    g.add_argument("--batch-runs", type=_count, metavar="R", help="runs in the batch (default 8)")
    g.add_argument(
        "--batch-days", type=_count, metavar="D", help="days per run (default: market.days)"
    )
    g.add_argument(
        "--workers",
        type=_count,
        default=os.cpu_count() or 1,
        help=f"worker processes for the parallel batch (default: all CPUs, here {os.cpu_count()})",
    )
    g = p.add_argument_group("ui")
    g.add_argument(
        "--ui-customers", type=_count, metavar="N", help="customers per market (default 10000)"
    )
    g.add_argument("--ui-days", type=_count, metavar="D", help="days stepped (default 200)")
    g = p.add_argument_group("study")
    g.add_argument(
        "--study",
        default=DEFAULT_STUDY,
        help=f"study whose runs are timed and whose cost is projected (default: {DEFAULT_STUDY})",
    )
    g.add_argument(
        "--study-runs", type=_count, metavar="R", help="runs of the study timed (default 8)"
    )
    g.add_argument(
        "--study-days", type=_count, metavar="D", help="days per run (default: the study's)"
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help=(
            "tiny sizes for CI: 2000 x 10 days; scaling 1000,4000 x 20 days; batch and "
            "study 2 runs 10 days past the warm-up"
        ),
    )
    p.add_argument(
        "--only",
        type=_sections,
        metavar="SECTIONS",
        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})",
    )
    p.add_argument("--seed", type=_seed, default=1, help="seed of every run (default 1)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    p.set_defaults(func=cmd_bench)
    return p


def _resolve(args) -> None:
    pick = 1 if args.smoke else 0
    for name, values in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, values[pick])
    args.only = args.only or list(SECTIONS)


# ------------------------------------------------------------------ helpers
class _Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[bench] {message}", file=sys.stderr, flush=True)


def _ns(seconds: float, customers: int, days: int) -> float:
    return seconds / (customers * days) * 1e9


def _finite(obj):
    """JSON-safe copy: NaN and infinities become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _maxrss_mib() -> float:
    import resource  # Unix only; imported here so that `spc` itself works everywhere

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes vs KiB


def _nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def environment() -> dict:
    import mesa
    import numpy as np

    from sim import __version__

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "sim": __version__,
        "nproc": _nproc(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "load_average_at_start": load,
    }


def reference_params(scenario) -> dict:
    """Customer-side parameters of ``scenario`` for the plain-Mesa reference."""
    c = scenario.customers
    return {
        "firms": scenario.market.firms,
        "visit_rate": c.visit_rate,
        "sensitivity": c.choice_sensitivity,
        "habit": c.habit,
        "quality_noise": scenario.service.noise,
        "disconfirmation_weight": c.disconfirmation_weight,
        "expectation_adaptation": c.expectation_adaptation,
        "attitude_learning": c.attitude_learning,
        "attitude_init": tuple(c.attitude_init),
        "expectation_init": tuple(c.expectation_init),
    }


def time_model(scenario, days: int, seed: int) -> dict:
    """Build the full model and run ``days`` days (one compiled call, as a batch run
    does); seconds for each part."""
    from sim.model import ServiceProfitChainModel

    t0 = time.perf_counter()
    model = ServiceProfitChainModel(scenario, structure="linear", seed=seed)
    t1 = time.perf_counter()
    model.simulate(days)
    t2 = time.perf_counter()
    visits = float(model.firm_daily()["visits"].sum())
    return {
        "construct_s": t1 - t0,
        "run_s": t2 - t1,
        "visits_per_customer_day": visits / (scenario.customers.count * days),
    }


def _default_repeats(customer_days: int) -> int:
    if customer_days <= 2_500_000:
        return 3
    return 2 if customer_days <= 10_000_000 else 1


# ------------------------------------------------------------------ (a) side by side
def side_by_side(args, scenario_path: str, note: _Progress) -> dict:
    from sim.config import load_scenario

    from .reference_mesa import time_reference

    n, days = args.customers, args.days
    scenario = load_scenario(scenario_path, overrides={"customers.count": n})
    params = reference_params(scenario)
    repeats = args.repeats or _default_repeats(n * days)
    contenders = {
        "model": lambda: time_model(scenario, days, args.seed),
        "reference": lambda: time_reference(n, days, seed=args.seed, **params),
        "reference_numpy": lambda: time_reference(
            n, days, flavour="numpy", seed=args.seed, **params
        ),
    }
    best: dict[str, dict] = {}
    # interleave the contenders so that background load hits all of them alike
    for r in range(repeats):
        for name, fn in contenders.items():
            note(f"side by side: {name}, {n} customers x {days} days, repeat {r + 1}/{repeats}")
            gc.collect()
            t = fn()
            b = best.setdefault(name, dict(t))
            b["construct_s"] = min(b["construct_s"], t["construct_s"])
            b["run_s"] = min(b["run_s"], t["run_s"])
    for b in best.values():
        b["ns_per_customer_day"] = _ns(b["run_s"], n, days)
    model_s = best["model"]["run_s"]
    return {
        "customers": n,
        "days": days,
        "repeats": repeats,
        "timing": "best of repeats; construction excluded from run_s",
        **best,
        "ratio": best["reference"]["run_s"] / model_s,
        "ratio_numpy": best["reference_numpy"]["run_s"] / model_s,
    }


def print_side_by_side(res: dict) -> None:
    n, days = res["customers"], res["days"]
    print(
        f"\n(a) side by side: {n:,} customers x {days} days, one process, best of {res['repeats']}"
    )
    print(
        f"  {'':38s} {'construct s':>11s} {'run s':>9s} {'ns/customer-day':>16s} "
        f"{'visits/customer-day':>20s}"
    )
    rows = (
        ("full model (sim, columnar)", "model"),
        ("plain Mesa reference (python flavour)", "reference"),
        ("plain Mesa reference (numpy per agent)", "reference_numpy"),
    )
    for label, key in rows:
        r = res[key]
        print(
            f"  {label:38s} {r['construct_s']:11.3f} {r['run_s']:9.3f} "
            f"{r['ns_per_customer_day']:16,.0f} {r['visits_per_customer_day']:20.4f}"
        )
    print(
        f"  ratio reference cost / model cost: {res['ratio']:.1f}x "
        f"(numpy-per-agent reference: {res['ratio_numpy']:.1f}x)"
    )
    print(
        "  (the reference models only the customers' visit, choice and satisfaction; "
        "the full model\n   also runs staff, feedback routing, word of mouth and accounts)"
    )


# ------------------------------------------------------------------ (b) scaling
_CHILD = (
    "import sys; from benchmarks.bench import _scaling_child; sys.exit(_scaling_child(sys.argv[1]))"
)


def _scaling_child(spec_json: str) -> int:
    """Run in a fresh interpreter: time one size and print one JSON line on stdout."""
    spec = json.loads(spec_json)
    rss_start = _maxrss_mib()
    from sim.config import load_scenario
    from sim.model import ServiceProfitChainModel

    n, days = spec["customers"], spec["days"]
    scenario = load_scenario(spec["scenario"], overrides={"customers.count": n})
    warm_kernels(spec["scenario"])
    rss_import = _maxrss_mib()
    t0 = time.perf_counter()
    model = ServiceProfitChainModel(scenario, structure="linear", seed=spec["seed"])
    t1 = time.perf_counter()
    last, day, chunk = t1, 0, 30  # compiled calls of 30 days, with progress between them
    while day < days:
        model.simulate(min(chunk, days - day))
        day = min(day + chunk, days)
        now = time.perf_counter()
        if spec["progress"] and now - last >= 10.0 and day < days:
            last = now
            print(
                f"[bench]   {n:,} customers: day {day}/{days}, {now - t1:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    t2 = time.perf_counter()
    out = {
        "customers": n,
        "days": days,
        "construct_s": t1 - t0,
        "run_s": t2 - t1,
        "peak_rss_mib": _maxrss_mib(),
        "rss_after_import_mib": rss_import,
        "rss_interpreter_mib": rss_start,
    }
    print(json.dumps(out))
    return 0


def warm_kernels(scenario_path: str) -> None:
    """Load the compiled kernels (numba's disk cache, or compile them) with a small
    market, so a timing counts days, not the first call's loading."""
    from sim.config import load_scenario
    from sim.model import ServiceProfitChainModel

    small = load_scenario(scenario_path, overrides={"customers.count": 300})
    ServiceProfitChainModel(small, structure="linear", seed=1).run(8)


def fit_exponent(customers: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(customers)."""
    import numpy as np

    if len(customers) < 2:
        return math.nan
    return float(np.polyfit(np.log(customers), np.log(seconds), 1)[0])


def fit_affine(customers: list[int], seconds: list[float], days: int) -> dict:
    """Fit run seconds = fixed + marginal * customers (least squares, relative errors).

    A log-log slope below 1 can hide nothing worse than a fixed per-day cost; an affine
    fit that matches every size says the cost is linear in customers (no quadratic term
    in word of mouth, routing or data collection).
    """
    import numpy as np

    if len(customers) < 2:
        return {"fixed_s": math.nan, "ns_per_customer_day": math.nan, "max_rel_error": math.nan}
    n = np.asarray(customers, dtype=float)
    t = np.asarray(seconds, dtype=float)
    design = np.column_stack([np.ones_like(n), n]) / t[:, None]
    (fixed, marginal), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    pred = fixed + marginal * n
    return {
        "fixed_s": float(fixed),
        "fixed_us_per_day": float(fixed / days * 1e6),
        "ns_per_customer_day": float(marginal / days * 1e9),
        "max_rel_error": float(np.max(np.abs(pred - t) / t)),
    }


def scaling(args, scenario_path: str, note: _Progress) -> dict:
    rows, failed = [], []
    for n in args.scaling:
        spec = {
            "customers": n,
            "days": args.scaling_days,
            "scenario": scenario_path,
            "seed": args.seed,
            "progress": not args.quiet,
        }
        note(f"scaling: {n:,} customers x {args.scaling_days} days in a fresh subprocess")
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            note(f"scaling: {n:,} customers failed (exit {proc.returncode})")
            failed.append(n)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["ns_per_customer_day"] = _ns(row["run_s"], n, args.scaling_days)
        row["model_memory_mib"] = row["peak_rss_mib"] - row["rss_after_import_mib"]
        row["subprocess_wall_s"] = wall
        rows.append(row)
    ns = [r["customers"] for r in rows]
    secs = [r["run_s"] for r in rows]
    for prev, row in itertools.pairwise(rows):
        row["local_exponent"] = fit_exponent(
            [prev["customers"], row["customers"]], [prev["run_s"], row["run_s"]]
        )
    return {
        "days": args.scaling_days,
        "memory": (
            "peak resident set size of the measuring subprocess, resource.getrusage"
            "(RUSAGE_SELF).ru_maxrss read after the run; model_memory_mib is that peak "
            "minus ru_maxrss after imports and scenario loading"
        ),
        "rows": rows,
        "exponent": fit_exponent(ns, secs),
        "affine": fit_affine(ns, secs, args.scaling_days),
        "exponent_construct": fit_exponent(ns, [r["construct_s"] for r in rows]),
        "failed": failed,
    }


def print_scaling(res: dict) -> None:
    days = res["days"]
    print(f"\n(b) scaling: full model, {days} days per size, each size in a fresh subprocess")
    print(
        f"  {'customers':>10s} {'construct s':>11s} {'run s':>9s} {'ns/customer-day':>16s} "
        f"{'peak RSS MiB':>13s} {'model MiB':>10s} {'local exp.':>10s}"
    )
    for r in res["rows"]:
        local = r.get("local_exponent")
        print(
            f"  {r['customers']:10,d} {r['construct_s']:11.3f} {r['run_s']:9.2f} "
            f"{r['ns_per_customer_day']:16,.0f} {r['peak_rss_mib']:13.0f} "
            f"{r['model_memory_mib']:10.0f} {'' if local is None else f'{local:.2f}':>10s}"
        )
    print(
        f"  fitted growth exponent (slope of log run seconds vs log customers): "
        f"{res['exponent']:.2f}; construction: {res['exponent_construct']:.2f}"
    )
    aff = res["affine"]
    if math.isfinite(aff["ns_per_customer_day"]):
        print(
            f"  affine fit, run s = fixed + marginal x customers: fixed "
            f"{aff['fixed_us_per_day']:,.0f} us/day, marginal {aff['ns_per_customer_day']:.0f} "
            f"ns/customer-day; largest misfit {aff['max_rel_error']:.0%} of a size's time"
        )
    print(
        "  peak RSS: ru_maxrss of the subprocess after the run (includes Python, numpy, "
        "pandas, mesa);\n  model MiB: that peak minus ru_maxrss after imports"
    )
    if res["failed"]:
        print(f"  failed sizes: {', '.join(f'{n:,}' for n in res['failed'])}")


# ------------------------------------------------------------------ (c) batch
def _timed_run(spec):
    """``run_one`` plus its own seconds and the process id (module level: picklable)."""
    from sim.runner import run_one

    t = time.perf_counter()
    df = run_one(spec)
    return df, time.perf_counter() - t, os.getpid()


def batch(args, scenario_path: str, note: _Progress) -> dict:
    from sim.config import load_scenario
    from sim.evaluators import DaskEvaluator, ProcessEvaluator, SerialEvaluator
    from sim.rng import replication_seeds
    from sim.runner import RunSpec

    scenario = load_scenario(scenario_path)
    days = args.batch_days or scenario.market.days
    runs, workers = args.batch_runs, args.workers
    seeds = replication_seeds(args.seed, runs)
    structures = ("linear", "triangular")
    specs = [RunSpec(scenario, structures[i % 2], s, days, i) for i, s in enumerate(seeds)]
    progress = not args.quiet

    note(f"batch: {runs} runs of {scenario.customers.count:,} customers x {days} days, serial")
    gc.collect()
    t = time.perf_counter()
    serial = SerialEvaluator().map(_timed_run, specs, progress=progress, desc="serial")
    serial_s = time.perf_counter() - t

    note(f"batch: the same {runs} runs on {workers} worker processes")
    gc.collect()
    t = time.perf_counter()
    parallel = ProcessEvaluator(workers).map(_timed_run, specs, progress=progress, desc="parallel")
    parallel_s = time.perf_counter() - t

    note(f"batch: the same {runs} runs on a local Dask cluster of {workers} worker processes")
    gc.collect()
    t = time.perf_counter()
    dasked = DaskEvaluator(None, workers).map(_timed_run, specs, progress=progress, desc="dask")
    dask_s = time.perf_counter() - t

    note("batch: timing one fresh interpreter importing the package (a worker's start-up)")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sim.runner"], check=True)
    startup_s = time.perf_counter() - t

    identical = all(
        a[0].equals(b[0]) and a[0].equals(c[0])
        for a, b, c in zip(serial, parallel, dasked, strict=True)
    )
    busy: dict[int, float] = {}
    for _, seconds, pid in parallel:
        busy[pid] = busy.get(pid, 0.0) + seconds
    usable = min(workers, runs)
    ideal = serial_s / usable
    return {
        "runs": runs,
        "customers": scenario.customers.count,
        "days": days,
        "workers": workers,
        "serial_s": serial_s,
        "parallel_s": parallel_s,
        "serial_runs_per_minute": runs / serial_s * 60,
        "parallel_runs_per_minute": runs / parallel_s * 60,
        "speedup": serial_s / parallel_s,
        "dask_s": dask_s,
        "dask_runs_per_minute": runs / dask_s * 60,
        "dask_run_s_total": sum(r[1] for r in dasked),
        "ideal_parallel_s": ideal,
        "overhead_s": parallel_s - ideal,
        "efficiency": ideal / parallel_s,
        "worker_startup_s": startup_s,
        "serial_run_s_total": sum(r[1] for r in serial),
        "parallel_run_s_total": sum(r[1] for r in parallel),
        "parallel_busiest_worker_s": max(busy.values()),
        "worker_processes_used": len(busy),
        "identical_results": identical,
    }


def print_batch(res: dict) -> None:
    print(
        f"\n(c) batch throughput: {res['runs']} runs of {res['customers']:,} customers x "
        f"{res['days']} days (scenario as written)"
    )
    print(
        f"  serial, one process:          {res['serial_s']:8.2f} s  "
        f"{res['serial_runs_per_minute']:7.1f} runs/min"
    )
    print(
        f"  ProcessEvaluator({res['workers']}):          {res['parallel_s']:8.2f} s  "
        f"{res['parallel_runs_per_minute']:7.1f} runs/min  (speed-up {res['speedup']:.2f}x)"
    )
    print(
        f"  DaskEvaluator (local, {res['workers']}):   {res['dask_s']:8.2f} s  "
        f"{res['dask_runs_per_minute']:7.1f} runs/min  "
        f"(speed-up {res['serial_s'] / res['dask_s']:.2f}x; includes starting the cluster)"
    )
    usable = min(res["workers"], res["runs"])
    print(
        f"  ideal parallel time = serial / {usable}: {res['ideal_parallel_s']:.2f} s; "
        f"overhead {res['overhead_s']:+.2f} s; efficiency {res['efficiency']:.0%}"
    )
    print(
        "  (the parallel time includes starting the worker processes, importing the package "
        "in each,\n   and pickling the runs' tables back; one fresh interpreter importing "
        f"sim.runner took {res['worker_startup_s']:.2f} s)"
    )
    print(
        f"  time inside run_one, summed: serial {res['serial_run_s_total']:.2f} s, "
        f"parallel {res['parallel_run_s_total']:.2f} s\n"
        f"  ({res['parallel_run_s_total'] / res['serial_run_s_total']:.2f}x; above 1: runs slow "
        f"down side by side); busiest worker {res['parallel_busiest_worker_s']:.2f} s of "
        f"{res['parallel_s']:.2f} s wall,\n  the rest is start-up, scheduling and transfer"
    )
    print(
        "  serial, process-pool and Dask results identical: "
        + ("yes" if res["identical_results"] else "NO")
    )
    serial_min = SOBOL_RUNS * res["serial_run_s_total"] / res["runs"] / 60
    usable = min(res["workers"], res["runs"])
    # steady state on all workers: the mean time of a run side by side, spread over the
    # workers, plus one pool start-up (negligible against tens of thousands of runs)
    steady_min = (
        SOBOL_RUNS * res["parallel_run_s_total"] / res["runs"] / usable + res["worker_startup_s"]
    ) / 60
    print(
        f"  projected Sobol study, N={SOBOL_N} x {SOBOL_D} parameters on paired differences "
        f"({SOBOL_RUNS:,} runs of this size):\n"
        f"  {serial_min:,.0f} minutes serially; {steady_min:,.0f} minutes on {usable} workers "
        f"at the side-by-side run time measured above"
    )
    res["sobol_projection_minutes"] = {"serial": serial_min, "parallel_steady_state": steady_min}


def ui_stepping(args, scenario_path: str, note: _Progress) -> dict:
    from sim.config import load_scenario
    from sim.model import ServiceProfitChainModel

    scenario = load_scenario(scenario_path, {"customers.count": args.ui_customers})
    note(f"ui: stepping a linear/triangular pair of {args.ui_customers:,} customers")
    pair = [ServiceProfitChainModel(scenario, s, seed=args.seed) for s in ("linear", "triangular")]
    warm_kernels(scenario_path)
    gc.collect()
    t = time.perf_counter()
    for _ in range(args.ui_days):
        for model in pair:
            model.step()
    seconds = time.perf_counter() - t
    return {
        "customers": args.ui_customers,
        "days": args.ui_days,
        "seconds": seconds,
        "pair_days_per_second": args.ui_days / seconds,
        "ms_per_pair_day": 1000 * seconds / args.ui_days,
    }


def print_ui(res: dict) -> None:
    print(
        f"\n(d) UI stepping: a linear + triangular pair of {res['customers']:,} customers, "
        f"{res['days']} days, one process"
    )
    print(
        f"  {res['pair_days_per_second']:.1f} days per second for the pair "
        f"({res['ms_per_pair_day']:.1f} ms per day for both models)"
    )


# ------------------------------------------------------------------ (e) study
_FIRST_CALL = (
    "import time; t = time.perf_counter(); "
    "from sim import ServiceProfitChainModel, load_scenario; "
    "m = ServiceProfitChainModel(load_scenario({path!r}, {{'customers.count': 500}})); "
    "m.run(2); print(time.perf_counter() - t)"
)


def first_call(scenario_path: str, cold: bool = True) -> dict:
    """Seconds for a fresh interpreter to import the model and step it twice: with an
    empty compiled-code cache (numba compiles every kernel; skipped unless ``cold``) and
    with the cache warm."""
    import tempfile

    def once(env: dict) -> float:
        code = _FIRST_CALL.format(path=scenario_path)
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        return float(proc.stdout.strip().splitlines()[-1])

    if not cold:  # the cache the package already has (warm after any earlier run)
        warm_s = once(dict(os.environ))
        return {"cold_cache_s": math.nan, "warm_cache_s": warm_s, "compile_s": math.nan}
    with tempfile.TemporaryDirectory(prefix="spc-numba-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold_s = once(env)
        warm_s = once(env)
    return {"cold_cache_s": cold_s, "warm_cache_s": warm_s, "compile_s": cold_s - warm_s}


def study(args, scenario_path: str, note: _Progress) -> dict:
    """Time runs of the study as its workers do them (``sim.study.execute.execute``:
    construction, the run and the focal firm's summary), and project the study."""
    import numpy as np

    from sim.rng import replication_seeds
    from sim.study.design import sample_points
    from sim.study.execute import Task, execute
    from sim.study.spec import Study

    spec = Study.from_toml(args.study)
    base = spec.base
    if spec.custom or base is None or spec.days is None:  # a custom model has neither
        raise ScenarioError([f"{args.study}: bench times studies of this simulator only"])
    points, _, _, _ = sample_points(spec)
    names = list(points.columns)
    warm = base.market.warmup_days
    days = args.study_days or (warm + 10 if args.smoke else spec.days)
    if days <= warm:
        raise ScenarioError([f"--study-days {days}: must exceed market.warmup_days ({warm})"])
    runs_total = len(points) * spec.replications * len(spec.structures)
    seeds = replication_seeds(spec.seed, spec.replications)
    tasks = []
    for i, row in enumerate(points.itertuples(index=False)):
        scenario = base.with_overrides(dict(zip(names, row, strict=True)))
        for s in spec.structures:
            tasks.append(Task(f"bench-{i}-{s}", s, int(seeds[0]), days, scenario))
            if len(tasks) == args.study_runs:
                break
        if len(tasks) == args.study_runs:
            break
    note("study: compile cost (fresh interpreters, empty and warm compiled-code cache)")
    compiled = first_call(scenario_path, cold=not args.smoke)  # compiling takes 20-40 s
    note(f"study: {len(tasks)} runs of {args.study} x {days} days, end to end, serially")
    execute(tasks[0])  # warm: compiled code loaded, caches primed
    gc.collect()
    cpu, wall = [], []
    for task in tasks:
        c, w = time.process_time(), time.perf_counter()
        row = execute(task)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        if row["status"] != "succeeded":
            raise RuntimeError(f"study run {task.run_id} failed: {row['error']}")
    per_run = float(np.mean(cpu))
    usable = max(1, min(args.workers, _nproc()))
    return {
        "study": args.study,
        "customers": base.customers.count,
        "days": days,
        "runs_timed": len(tasks),
        "cpu_s_per_run": per_run,
        "wall_s_per_run": float(np.mean(wall)),
        "study_runs": runs_total,
        "study_minutes_serial": runs_total * per_run / 60,
        "study_minutes_on_workers": runs_total * per_run / usable / 60,
        "workers": usable,
        "sobol_reference_runs": SOBOL_RUNS,
        "sobol_reference_minutes_on_workers": SOBOL_RUNS * per_run / usable / 60,
        **compiled,
    }


def print_study(res: dict) -> None:
    print(
        f"\n(e) study: {res['runs_timed']} runs of {res['study']} ({res['customers']:,} "
        f"customers x {res['days']} days), end to end as a study worker does them"
    )
    print(
        f"  {1000 * res['cpu_s_per_run']:,.0f} ms of CPU per run (construction, run, summary); "
        f"{1000 * res['wall_s_per_run']:,.0f} ms wall"
    )
    print(
        f"  this study: {res['study_runs']:,} runs: {res['study_minutes_serial']:,.1f} minutes "
        f"serially, {res['study_minutes_on_workers']:,.1f} minutes on {res['workers']} workers "
        "(ideal division of the CPU time)"
    )
    print(
        f"  the reference Sobol study (N={SOBOL_N} x {SOBOL_D} parameters, paired: "
        f"{res['sobol_reference_runs']:,} runs of this size): "
        f"{res['sobol_reference_minutes_on_workers']:,.1f} minutes on {res['workers']} workers"
    )
    if math.isfinite(res["cold_cache_s"]):
        print(
            f"  first call (fresh interpreter: import, build, two days): "
            f"{res['cold_cache_s']:.2f} s with an empty compiled-code cache, "
            f"{res['warm_cache_s']:.2f} s with it warm; compilation {res['compile_s']:.2f} s, "
            "paid once per machine (numba cache=True)"
        )
    else:
        print(
            f"  first call (fresh interpreter: import, build, two days): "
            f"{res['warm_cache_s']:.2f} s with the compiled-code cache as it is "
            "(compilation itself is not timed at smoke size)"
        )


# ------------------------------------------------------------------ command
def cmd_bench(args) -> int:
    from sim.config import load_scenario

    _resolve(args)
    note = _Progress(args.quiet)
    scenario_path = args.scenario
    if not Path(scenario_path).is_file():
        raise ScenarioError([f"{scenario_path}: no such scenario file (see --scenario)"])
    if "study" in args.only and not Path(args.study).is_file():
        raise ScenarioError([f"--study {args.study}: no such experiment file"])
    scenario_path = str(Path(scenario_path).resolve())
    # report bad input before anything runs: the scenario at every size asked for
    for n in {args.customers, args.ui_customers, *args.scaling}:
        load_scenario(scenario_path, {"customers.count": n})
    if args.json is not None:  # a bad path fails now, not after the whole benchmark
        from sim.outputs import check_output

        check_output(Path(args.json) if args.json.strip() else args.json, False, "--json")

    env = environment()
    print("spc bench: performance figures (not a pass/fail test)")
    print(
        f"python {env['python']} ({env['implementation']})  numpy {env['numpy']}  "
        f"mesa {env['mesa']}  sim {env['sim']}  nproc {env['nproc']}"
    )
    load = env["load_average_at_start"]
    print(
        f"scenario {args.scenario}; seed {args.seed}"
        + (f"; load average at start {load[0]:.2f} (other work disturbs timings)" if load else "")
        + ("; SMOKE sizes" if args.smoke else "")
    )
    sys.stdout.flush()

    figures: dict = {"environment": env, "scenario": args.scenario, "smoke": args.smoke}
    status = 0
    sections = {
        "side-by-side": (side_by_side, print_side_by_side),
        "scaling": (scaling, print_scaling),
        "batch": (batch, print_batch),
        "ui": (ui_stepping, print_ui),
        "study": (study, print_study),
    }
    for name in SECTIONS:  # in the documented order, whatever order --only gave
        if name not in args.only:
            continue
        measure, show = sections[name]
        figures[name.replace("-", "_")] = res = measure(args, scenario_path, note)
        show(res)
        sys.stdout.flush()
        if res.get("failed"):
            status = 1

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_finite(figures), indent=2) + "\n", encoding="utf-8")
        note(f"wrote {path}")
    return status
