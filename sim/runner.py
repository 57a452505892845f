"""Running the model: single runs, evaluators, and the paired structure comparison.

An *evaluator* maps a function over run specifications and hides whether the
runs happen in this process or in a pool of worker processes (later: a Dask
cluster). Every run depends only on its own spec (scenario, structure, seed,
days), so results are identical however they are scheduled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing as mp
import os
import platform
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from . import __version__, checks, lifecycle
from .config import Scenario, ScenarioError
from .metrics import BY_NAME, METRIC_NAMES, summarise
from .model import ServiceProfitChainModel
from .rng import replication_seeds

FOCAL_FIRM = 0
DASK_CONNECT_SECONDS = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSpec:
    scenario: Scenario
    structure: str | float
    seed: int
    days: int
    replication: int = 0


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Simulate one run; daily metrics for every firm with run identifiers."""
    model = ServiceProfitChainModel(spec.scenario, structure=spec.structure, seed=spec.seed)
    df = model.run(spec.days)
    df.insert(0, "replication", spec.replication)
    df.insert(1, "structure", str(spec.structure))
    df.insert(2, "seed", np.uint64(spec.seed))
    return df


# ------------------------------------------------------------------ evaluators
class SerialEvaluator:
    """Runs in this process, in order."""

    workers = 1

    def map(self, fn: Callable, items: Sequence, progress: bool = False, desc: str = "runs"):
        bar = tqdm(items, desc=desc, disable=not progress, unit="run", leave=False)
        return [fn(item) for item in bar]


class ProcessEvaluator:
    """Runs in a pool of ``workers`` processes; results come back in input order.

    The workers stop with this process however it stops (see :mod:`sim.lifecycle`):
    on an exception or a signal the pending runs are cancelled and the workers
    killed at once instead of waiting for them to finish.
    """

    def __init__(self, workers: int):
        self.workers = workers

    def map(self, fn: Callable, items: Sequence, progress: bool = False, desc: str = "runs"):
        results: list[Any] = [None] * len(items)
        if not items:
            return results
        lifecycle.quiet_resource_tracker()
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=_context(),
            initializer=lifecycle.die_with_main,
            initargs=(os.getpid(),),
        )
        bar = tqdm(total=len(items), desc=desc, disable=not progress, unit="run", leave=False)
        try:
            with lifecycle.sigint_blocked():  # the forkserver and workers start here
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            for p in (pool._processes or {}).values():
                lifecycle.register_child(p)
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.update()
        except BaseException:
            _stop_pool(pool)
            raise
        finally:
            bar.close()
        pool.shutdown(wait=True)
        return results


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the workers now (no waiting for runs)."""
    procs = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.kill()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=2)


class DaskEvaluator:
    """Runs on a Dask cluster: the scheduler at ``address``, or a local cluster of
    ``workers`` single-threaded worker processes started for the call.

    Results come back in input order; each run depends only on its spec, so they
    are identical to serial results.
    """

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers or 1

    def _connect(self):
        from distributed import Client, LocalCluster

        if self.address:
            try:
                client = Client(self.address, timeout=f"{DASK_CONNECT_SECONDS}s")
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    [
                        f"--dask {self.address}: no Dask scheduler answered within "
                        f"{DASK_CONNECT_SECONDS} s ({type(exc).__name__}); is it running "
                        "and reachable? (--dask alone starts a local cluster)"
                    ]
                ) from None
            threads = sum(client.nthreads().values())
            log.warning("Dask cluster %s: %d worker threads", self.address, threads)
            return client, None
        cluster = self._local_cluster(LocalCluster)
        for p in mp.active_children():
            lifecycle.register_child(p)
        return Client(cluster), cluster

    def _local_cluster(self, LocalCluster):
        """Start a local cluster with SIGINT ignored only until its worker processes
        exist: they inherit the ignored SIGINT (a terminal's Ctrl-C reaches only this
        process, which closes the cluster), while a Ctrl-C after that point -- the
        workers still starting up -- is handled here as usual."""
        box: dict[str, Any] = {}

        def build():
            try:
                box["cluster"] = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: no clash with another cluster
                    # the workers' own errors on the way down (heartbeats to a
                    # scheduler already closed by a Ctrl-C) are noise here: a run's
                    # failure reaches this process through its future
                    silence_logs=logging.CRITICAL,
                )
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        lifecycle.quiet_resource_tracker()
        before = set(mp.active_children())
        with lifecycle.sigint_ignored():
            builder = threading.Thread(target=build, name="spc-dask-start", daemon=True)
            builder.start()
            deadline = time.monotonic() + 120
            while builder.is_alive() and time.monotonic() < deadline:
                if len(set(mp.active_children()) - before) >= self.workers:
                    break
                time.sleep(0.05)
        try:
            while builder.is_alive():  # interruptible wait for the workers to connect
                builder.join(0.2)
        except BaseException:
            for p in set(mp.active_children()) - before:
                p.kill()
            raise
        if "error" in box:
            raise box["error"]
        return box["cluster"]

    def map(self, fn: Callable, items: Sequence, progress: bool = False, desc: str = "runs"):
        from distributed import as_completed

        results: list[Any] = [None] * len(items)
        client = cluster = None
        bar = None
        try:
            client, cluster = self._connect()
            bar = tqdm(total=len(items), desc=desc, disable=not progress, unit="run", leave=False)
            futures = client.map(fn, list(items), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                results[index[fut.key]] = fut.result()
                bar.update()
        finally:
            if bar is not None:
                bar.close()
            if client is not None:
                client.close(timeout=DASK_CONNECT_SECONDS)
            if cluster is not None:
                cluster.close(timeout=DASK_CONNECT_SECONDS)
        return results


def _context():
    """Workers forked from a server that has already imported the model.

    Spawned workers would each pay seconds of imports; plain fork is unsafe with
    the threads that pandas, pyarrow and tqdm may have started. Where forkserver is
    unavailable (Windows, macOS default aside), spawn is used.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.runner"])
        return ctx
    return mp.get_context("spawn")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


_DASK_ADDRESS = re.compile(r"^([a-z]+://\S+|[\w.-]+:\d+)$")


def check_dask(dask: Any, option: str = "dask") -> str | None:
    """``None``, ``"local"`` or a scheduler address (``tcp://host:8786`` or ``host:8786``)."""
    if dask is None or dask == "local":
        return dask
    if not isinstance(dask, str) or not _DASK_ADDRESS.match(dask):
        raise ScenarioError(
            [
                f"{option} {dask}: not a Dask scheduler address; give tcp://host:port "
                "(or host:port), or --dask alone for a local cluster"
                if option == "--dask"
                else f"dask={dask!r}: not a Dask scheduler address; give 'tcp://host:port' "
                "or 'local'"
            ]
        )
    return dask


def make_evaluator(workers: int | None, dask: str | None = None):
    """Serial, a process pool (``workers`` > 1), or Dask (``dask`` = scheduler address,
    or "local" for a local cluster of ``workers`` processes).

    Workers beyond the CPUs available are not started (they would only compete for
    the same cores and multiply memory); a warning says so.
    """
    dask = check_dask(dask)
    if workers is not None and workers > 1 and not (dask and dask != "local"):
        cpus = usable_cpus()
        if workers > cpus:
            log.warning("workers: %d asked for, capped at %d (the CPUs available)", workers, cpus)
            workers = cpus
    if dask:
        return DaskEvaluator(None if dask == "local" else dask, workers)
    return ProcessEvaluator(workers) if workers and workers > 1 else SerialEvaluator()


# ------------------------------------------------------------------ comparison
@dataclass
class Comparison:
    """Paired linear-vs-triangular comparison on common random numbers."""

    scenario: Scenario
    days: int
    root_seed: int
    seeds: list[int]
    runs: pd.DataFrame  # tidy daily rows, all firms, both structures
    per_run: pd.DataFrame  # focal-firm summary per (replication, structure)
    summary: pd.DataFrame  # one row per metric
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        def num(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x

        payload = {
            **self.provenance,
            "metrics": {
                row.metric: {
                    "unit": row.unit,
                    "linear_mean": num(row.linear_mean),
                    "triangular_mean": num(row.triangular_mean),
                    "difference": num(row.difference),
                    "ci_low": num(row.ci_low),
                    "ci_high": num(row.ci_high),
                }
                for row in self.summary.itertuples()
            },
        }
        return json.dumps(payload, indent=2, sort_keys=False, allow_nan=False)


def measurement_start(scenario: Scenario, days: int) -> int:
    """First measured day; a horizon that ends inside the warm-up is an input error."""
    warm = scenario.market.warmup_days
    if warm >= days:
        raise ScenarioError(
            [
                f"{days} days simulated: must exceed market.warmup_days ({warm}), "
                "or nothing would be measured"
            ]
        )
    return warm


def provenance(scenario: Scenario, root_seed: int, days: int, replications: int) -> dict:
    return {
        "package": "service-profit-chain",
        "version": __version__,
        "scenario": scenario.meta.name,
        "scenario_hash": scenario.digest(),
        "seed": root_seed,
        "replications": replications,
        "days": days,
        "warmup_days": scenario.market.warmup_days,
        "focal_firm": FOCAL_FIRM,
        "competitor_structure": scenario.market.competitor_structure,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def paired_summary(per_run: pd.DataFrame, metrics: Iterable[str]) -> pd.DataFrame:
    """Mean per structure and the paired difference (triangular - linear) with a 95 % t-CI."""
    wide = per_run.pivot(index="replication", columns="structure")
    rows = []
    for name in metrics:
        lin = wide[(name, "linear")].to_numpy(dtype=float)
        tri = wide[(name, "triangular")].to_numpy(dtype=float)
        diff = tri - lin
        ok = np.isfinite(diff)
        n = int(ok.sum())
        mean = float(diff[ok].mean()) if n else float("nan")
        if n >= 2:
            se = float(diff[ok].std(ddof=1) / math.sqrt(n))
            half = float(stats.t.ppf(0.975, n - 1) * se)
        else:
            half = float("nan")
        rows.append(
            {
                "metric": name,
                "unit": BY_NAME[name].unit,
                "linear_mean": float(np.nanmean(lin)) if np.isfinite(lin).any() else float("nan"),
                "triangular_mean": float(np.nanmean(tri))
                if np.isfinite(tri).any()
                else float("nan"),
                "difference": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "replications": n,
            }
        )
    return pd.DataFrame(rows)


def compare(
    scenario: Scenario,
    *,
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    evaluator=None,
    dask: str | None = None,
) -> Comparison:
    """Run each replication under both structures for the focal firm (same seed = CRN).

    Bad arguments raise :class:`~sim.config.ScenarioError` (a ``ValueError``) naming
    the argument, as the command line does, before anything runs.
    """
    checks.scenario(scenario, allow_none=False)
    reps = scenario.analysis.replications if replications is None else replications
    days = scenario.market.days if days is None else days
    reps = checks.whole("replications", reps, 1, 10_000)
    days = checks.whole("days", days, 1, 3650)
    if seed is not None:
        seed = checks.seed(seed)
    if workers is not None:
        workers = checks.whole("workers", workers, 1)
    measurement_start(scenario, days)  # fail before running anything
    root = scenario.analysis.seed if seed is None else seed
    seeds = replication_seeds(root, reps)
    specs = [
        RunSpec(scenario, structure, s, days, r)
        for r, s in enumerate(seeds)
        for structure in ("linear", "triangular")
    ]
    ev = evaluator or make_evaluator(workers, dask)
    frames = ev.map(run_one, specs, progress=progress, desc="compare")
    runs = pd.concat(frames, ignore_index=True)
    prov = provenance(scenario, root, days, reps)
    warm = measurement_start(scenario, days)
    window = runs[(runs["firm"] == FOCAL_FIRM) & (runs["day"] >= warm)]
    per_run = pd.DataFrame(
        [
            {"replication": r, "structure": s, **summarise(g)}
            for (r, s), g in window.groupby(["replication", "structure"], sort=True)
        ]
    )
    summary = paired_summary(per_run, METRIC_NAMES)
    return Comparison(scenario, days, root, seeds, runs, per_run, summary, prov)
