"""Running a study: plan, skip what the store already has, run the rest, store as it goes.

Workers send back one summary row per run (never daily data). A run that raises or
whose worker dies is tried once more (alone, so a crash is pinned on the run that
caused it); a second failure is stored as ``failed`` with the error text and the
study goes on. Ctrl-C (or SIGTERM) writes what has finished, ends the workers and
says how to resume.
"""

from __future__ import annotations

import json
import platform
import time
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from ..config import ScenarioError
from ..evaluators import WorkerDied, make_evaluator
from ..outputs import git_commit
from .design import Plan
from .store import RunStore, row_schema, write_plan

MAX_ATTEMPTS = 2


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) during a study; the message says what is stored and
    how to resume; ``exit_status`` is the signal's (130 for Ctrl-C)."""

    def __init__(self, message: str, exit_status: int = 130):
        super().__init__(message)
        self.exit_status = exit_status


@dataclass(frozen=True)
class Task:
    run_id: str
    structure: str
    seed: int
    days: int | None
    payload: Any  # a Scenario (this simulator) or the keyword arguments of a custom model
    model: str | None = None


@cache
def _callable(ref: str):
    from .spec import resolve_model

    return resolve_model(ref)


def execute(task: Task) -> dict:
    """Run one task in a worker; return its summary row (outcomes or the error)."""
    start = time.perf_counter()
    try:
        if task.model is None:
            outcomes = _simulate(task)
        else:
            out = _callable(task.model)(**task.payload, seed=task.seed)
            outcomes = {k: _number(v) for k, v in dict(out).items()}
        status, error = "succeeded", ""
    except Exception as exc:
        outcomes = {}
        status = "failed"
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500] or type(exc).__name__
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            error += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
    return {
        "run_id": task.run_id,
        "status": status,
        "error": error,
        "elapsed_s": time.perf_counter() - start,
        "outcomes": outcomes,
    }


def _simulate(task: Task) -> dict:
    """One run summarised in the worker, numpy only: the focal firm's measured days."""
    from ..metrics import summarise_values
    from ..model import ServiceProfitChainModel
    from ..runner import FOCAL_FIRM, measurement_start

    scenario, days = task.payload, task.days
    if days is None:  # a study of this simulator always has its horizon (Study validation)
        raise ValueError(f"run {task.run_id}: no number of days")
    warm = measurement_start(scenario, days)
    model = ServiceProfitChainModel(scenario, structure=task.structure, seed=task.seed)
    return summarise_values(model.simulate(days)[warm:, FOCAL_FIRM])


def _number(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise TypeError(f"output {v!r} is not a number") from None


def provenance(study, plan: Plan) -> dict:
    from .. import __version__
    from ..rng import replication_seeds

    return {
        "package": "service-profit-chain",
        "version": __version__,
        "commit": git_commit(),
        "model_version": plan.model_version,
        "experiment": study.name,
        "experiment_file": study.source,
        "experiment_hash": study.digest(),
        "scenario": None if study.custom else study.base.meta.name,
        "scenario_hash": None if study.custom else study.base.digest(),
        "seed": study.seed,
        "replication_seeds": replication_seeds(study.seed, study.replications),
        "days": study.days,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def outcome_columns(study) -> list[str]:
    if study.custom:
        return list(study.outcomes)
    from ..metrics import METRIC_NAMES

    return list(METRIC_NAMES)  # every metric is stored; the study's outcomes are analysed


def factor_types(study) -> dict[str, pa.DataType]:
    return {f.path: pa.float64() if f.numeric else pa.string() for f in study.factors}


def _factor_value(f, v):
    if v is None:
        return None
    return float(v) if f.numeric else str(v)


def plan_frame(study, plan: Plan) -> pd.DataFrame:
    """The planned runs with their factor values: what a report joins the store to."""
    return plan.runs.merge(plan.points, on="point", how="left")


def run_study(
    study,
    out: str | Path,
    evaluator=None,
    *,
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = False,
    extend: bool = False,
    flush_every: int = 32,
    flush_seconds: float = 15.0,
    log=None,
) -> dict:
    """Run every planned run of ``study`` missing from the store at ``out``."""
    say = log or (lambda msg: None)
    store = RunStore(out)
    plan = study.plan()
    prov = provenance(study, plan)
    try:
        _claim(store, study, prov, extend)
        for note in plan.notes:
            say(f"note: {note}")
        rec = _Recorder(study, store, plan, prov, flush_every, flush_seconds)
        return _run(rec, evaluator or make_evaluator(workers, dask), progress, say)
    finally:
        store.unlock()


class _Recorder:
    """The study's runs still to do, and their results turned into store rows: buffered,
    a part every ``flush_every`` runs (at most one a second) or every ``flush_seconds``."""

    def __init__(self, study, store: RunStore, plan: Plan, prov: dict, every: int, seconds: float):
        self.study, self.store, self.plan, self.prov = study, store, plan, prov
        self.every, self.seconds = every, seconds
        plan_df = plan_frame(study, plan)
        write_plan(store, plan_df)
        self.outcomes = outcome_columns(study)
        self.schema = row_schema(factor_types(study), self.outcomes)
        done = store.done_ids()
        self.first = plan_df.drop_duplicates("run_id")
        todo = self.first[~self.first["run_id"].isin(done)]
        self.todo = {row.run_id: row for row in todo.itertuples(index=False)}
        self.info = {
            "planned": int(plan_df["run_id"].nunique()),
            "stored_before": int(self.first["run_id"].isin(done).sum()),
            "ran": 0,
            "failed": 0,
        }
        self.buffer: list[dict] = []
        self.last_flush = time.monotonic()

    def base_row(self, rid: str) -> dict:
        r = self.todo[rid]
        factors = self.study.factors
        values = {f.path: r[5 + i] for i, f in enumerate(factors)}
        row = {
            "run_id": rid,
            "study": self.prov["experiment_hash"],
            "point": int(r.point),
            "replication": int(r.replication),
            "structure": r.structure,
            "seed": int(r.seed),
            "days": self.study.days,
            "params": json.dumps({k: _json(v) for k, v in values.items()}, sort_keys=True),
        }
        for f in factors:
            row[f.path] = _factor_value(f, values[f.path])
        return row

    def record(self, rid: str, result: dict, attempts: int) -> None:
        row = self.base_row(rid)
        row.update(
            status=result["status"],
            error=result["error"],
            attempts=attempts,
            elapsed_s=float(result["elapsed_s"]),
        )
        for name in self.outcomes:
            if name not in row:
                row[name] = result["outcomes"].get(name, np.nan)
        if result["status"] == "succeeded":
            missing = [n for n in self.outcomes if n not in result["outcomes"]]
            if missing:
                row.update(status="failed", error=f"model returned no {', '.join(missing)}")
        self.info["ran"] += 1
        self.info["failed"] += row["status"] != "succeeded"
        self.buffer.append(row)
        age = time.monotonic() - self.last_flush
        if (len(self.buffer) >= self.every and age >= 1.0) or age >= self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            # take the rows first: an interrupt during the write may lose them (they run
            # again on resume) but can never store them twice
            rows = self.buffer[:]
            self.buffer.clear()
            self.store.append(rows, self.schema, self.prov)
        self.last_flush = time.monotonic()

    def stored(self) -> int:
        """Planned runs in the store, as read back."""
        return int(self.first["run_id"].isin(self.store.done_ids()).sum())


def _failure(error: str) -> dict:
    return {"status": "failed", "error": error, "elapsed_s": 0.0, "outcomes": {}}


def _run(rec: _Recorder, ev, progress: bool, say) -> dict:
    study, plan, info = rec.study, rec.plan, rec.info
    # points that are not valid scenarios fail without running
    tasks = []
    for rid, r in rec.todo.items():
        if r.point in plan.invalid:
            rec.record(rid, _failure(plan.invalid[r.point]), 0)
        else:
            payload = plan.payloads[r.point]
            tasks.append(Task(rid, r.structure, int(r.seed), study.days, payload, study.model))
    say(
        f"study {study.name!r}: {len(plan.points)} points x {study.replications} replications"
        f" x {len(study.structures)} structure(s) = {info['planned']} runs; "
        f"{info['stored_before']} already in {rec.store.root}; running {len(tasks)} "
        f"{getattr(ev, 'label', '')}"
    )
    bar = tqdm(
        postfix={"failed": 0},
        total=len(tasks),
        desc=study.name,
        unit="run",
        disable=not progress,
        dynamic_ncols=True,
        smoothing=0.05,
    )
    try:
        with ev:
            try:
                retry: list[Task] = []
                for task, result in ev.imap(execute, tasks):
                    if isinstance(result, WorkerDied) or result["status"] != "succeeded":
                        retry.append(task)
                        bar.set_postfix(failed=info["failed"], to_retry=len(retry), refresh=False)
                        continue
                    rec.record(task.run_id, result, 1)
                    bar.update()
                # second and last attempt, one run at a time so a crash names its run
                for task, result in ev.imap(execute, retry, window=1):
                    if isinstance(result, WorkerDied):
                        result = _failure(result.message)
                    rec.record(task.run_id, result, MAX_ATTEMPTS)
                    bar.update()
                    bar.set_postfix(failed=info["failed"], refresh=False)
            finally:
                rec.flush()  # before the workers are ended, which may take a while
    except KeyboardInterrupt as exc:
        stored = rec.stored()
        raise StudyInterrupted(
            f"interrupted: {stored} of {info['planned']} runs are stored in {rec.store.root}; "
            f"run the same command again to resume ({info['planned'] - stored} to go)",
            getattr(exc, "exit_status", 130),
        ) from None
    finally:
        bar.close()
    return info


def _claim(store: RunStore, study, prov: dict, extend: bool) -> None:
    """Refuse a store that holds a different experiment, unless extending it."""
    store.prepare()
    current = store.read_manifest()
    entry = {
        "hash": prov["experiment_hash"],
        "name": study.name,
        "file": study.source,
        "experiment": study.to_dict(),
    }
    if current is not None and current.get("experiment_hash") != prov["experiment_hash"]:
        if not extend:
            raise ScenarioError(
                [
                    f"--out {store.root}: holds study {current.get('name')!r} "
                    f"({current.get('experiment_hash')}, from {current.get('file')}); "
                    f"{study.source} ({prov['experiment_hash']}) differs: use another --out, "
                    "or --extend to add this study to the same store (runs already there "
                    "are reused)"
                ]
            )
    history = [] if current is None else current.get("history", [])
    if not history or history[-1]["hash"] != entry["hash"]:
        history.append(entry)
    store.write_manifest(
        {
            "experiment_hash": prov["experiment_hash"],
            "name": study.name,
            "file": study.source,
            "experiment": study.to_dict(),
            "provenance": prov,
            "history": history,
        }
    )


def _json(v):
    return v.item() if hasattr(v, "item") else v
