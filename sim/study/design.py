"""Designs and the run plan: which points, which runs, and each run's identity.

Continuous designs sample the unit hypercube (Latin hypercube from SciPy, Sobol and
Morris from SALib) and map each column through the factor's distribution; a full
factorial crosses each factor's levels. Every point is run for each replication
under each structure; replication r uses the same seed at every point (common
random numbers across points as well as across structures).

A run's identity is a hash of (model version, resolved parameters, structure, seed,
days): the same run in another study sharing a store is the same row.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import ScenarioError
from ..rng import replication_seeds

# Top-level modules that do not change what a run computes: editing them keeps runs.
_NOT_MODEL = {"cli.py", "bench.py", "bench_reference.py", "odd.py", "report.py", "argtypes.py"}


@cache
def simulator_version() -> str:
    """Package version plus a hash of the model's source, so a changed mechanism is a
    different model even before the version number moves."""
    from .. import __version__

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        if path.name not in _NOT_MODEL:
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def custom_model_version(ref: str) -> str:
    from .spec import resolve_model

    fn = resolve_model(ref)
    module = inspect.getmodule(fn)
    version = str(getattr(module, "__version__", ""))
    try:
        src = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        src = ""
    return f"{ref}@{version}+{hashlib.sha256(src.encode()).hexdigest()[:12]}"


def run_id(model_version: str, params: Any, structure: str, seed: int, days: int | None) -> str:
    payload = json.dumps(
        {
            "model": model_version,
            "params": params,
            "structure": structure,
            "seed": seed,
            "days": days,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass
class Plan:
    """Points (one row per design point, factor columns by path), runs (one row per
    point x replication x structure, with identity) and what each point runs."""

    points: pd.DataFrame
    unit: np.ndarray | None  # the design in unit space, rows = points (SALib order)
    problem: dict
    runs: pd.DataFrame
    payloads: dict[int, Any]  # point -> resolved Scenario (simulator) or kwargs (custom)
    invalid: dict[int, str]  # point -> why its parameters are not a valid scenario
    model_version: str
    notes: list[str] = field(default_factory=list)


def salib_problem(study) -> dict:
    problem = {
        "num_vars": len(study.factors),
        "names": [f.path for f in study.factors],
        "bounds": [[0.0, 1.0]] * len(study.factors),
    }
    if any(f.group for f in study.factors):
        problem["groups"] = [f.group or f.path for f in study.factors]
    return problem


def sample_points(study) -> tuple[pd.DataFrame, np.ndarray | None, dict, list[str]]:
    notes: list[str] = []
    problem = salib_problem(study)
    names = [f.path for f in study.factors]
    if study.design == "factorial":
        grids = [f.grid() for f in study.factors]
        rows = list(itertools.product(*grids)) if grids else [()]
        return pd.DataFrame(rows, columns=names), None, problem, notes
    d = len(study.factors)
    if study.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(study.seed)).random(study.n)
    elif study.design == "sobol":
        from SALib.sample import sobol

        n = study.n
        if n & (n - 1):
            notes.append(
                f"n = {n} is not a power of two: Sobol' sequences keep their balance "
                f"properties only for powers of two (e.g. {1 << (n - 1).bit_length()})"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the power-of-two warning, reported above
            unit = sobol.sample(problem, n, calc_second_order=study.second_order, seed=study.seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(problem, study.n, num_levels=study.morris_levels, seed=study.seed)
    values = [[f.from_unit(u) for f, u in zip(study.factors, row, strict=True)] for row in unit]
    return pd.DataFrame(values, columns=names), np.asarray(unit), problem, notes


def plan(study) -> Plan:
    points, unit, problem, notes = sample_points(study)
    points.insert(0, "point", np.arange(len(points)))
    seeds = replication_seeds(study.seed, study.replications)
    payloads: dict[int, Any] = {}
    invalid: dict[int, str] = {}
    params_of: dict[int, Any] = {}
    names = [f.path for f in study.factors]
    if study.custom:
        version = custom_model_version(study.model)
        for row in points.itertuples(index=False):
            kwargs = {n: _plain(v) for n, v in zip(names, row[1:], strict=True)}
            payloads[row[0]] = kwargs
            params_of[row[0]] = kwargs
        days = None
    else:
        version = simulator_version()
        days = study.days
        base = study.base
        cache_: dict[tuple, Any] = {}
        for row in points.itertuples(index=False):
            key = tuple(_plain(v) for v in row[1:])
            if key not in cache_:
                try:
                    sc = base.with_overrides(dict(zip(names, key, strict=True))) if names else base
                    cache_[key] = (sc, sc.digest())
                except ScenarioError as exc:
                    cache_[key] = (None, exc.problems[0].split(": ", 1)[-1])
            sc, digest = cache_[key]
            if sc is None:
                invalid[row[0]] = digest
                params_of[row[0]] = {"invalid": dict(zip(names, key, strict=True))}
            else:
                payloads[row[0]] = sc
                params_of[row[0]] = digest
    runs = []
    for p in points["point"]:
        for r, seed in enumerate(seeds):
            for s in study.structures:
                runs.append((run_id(version, params_of[p], s, seed, days), int(p), r, s, int(seed)))
    runs_df = pd.DataFrame(runs, columns=["run_id", "point", "replication", "structure", "seed"])
    if invalid:
        notes.append(f"{len(invalid)} point(s) are not valid scenarios and are recorded as failed")
    return Plan(points, unit, problem, runs_df, payloads, invalid, version, notes)


def _plain(v):
    """numpy scalars to Python scalars, so overrides validate and hash as written."""
    return v.item() if hasattr(v, "item") else v
