"""Running the model: single runs and the paired structure comparison.

The runs go through an evaluator (:mod:`sim.evaluators`: this process, a pool of
worker processes or a Dask cluster). Every run depends only on its own spec
(scenario, structure, seed, days), so results are identical however they are
scheduled.
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import __version__, checks
from .config import Scenario, ScenarioError
from .evaluators import make_evaluator
from .metrics import BY_NAME, METRIC_NAMES, summarise
from .model import ServiceProfitChainModel
from .rng import replication_seeds

FOCAL_FIRM = 0


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
