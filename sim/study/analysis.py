"""Analysis of a stored study: paired outcomes per point, Sobol/Morris indices, seed
noise, convergence over replications and PRIM scenario discovery.

Per point and replication the paired difference is triangular - linear on common
random numbers; per point it is averaged over replications and its between-
replication spread kept (``<metric>.diff_sd``), so the share of the variance that is
seed noise can be shown next to the indices. Sensitivity analysis targets the
paired differences unless the experiment's ``analysis.target`` says otherwise.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..config import ScenarioError
from .prim import Box, prim
from .spec import LOWER_IS_BETTER
from .store import RunStore


@dataclass
class StudyAnalysis:
    experiment: dict
    provenance: dict
    runs: pd.DataFrame  # planned runs joined to the store (status NaN = not run yet)
    points: pd.DataFrame  # one row per point: factors, outcome means, differences, spreads
    target_columns: dict[str, str]  # outcome -> column of ``points`` that is analysed
    counts: dict
    sobol: dict[str, pd.DataFrame] = field(default_factory=dict)
    sobol_s2: dict[str, pd.DataFrame] = field(default_factory=dict)
    morris: dict[str, pd.DataFrame] = field(default_factory=dict)
    noise: pd.DataFrame | None = None
    convergence: dict[str, pd.DataFrame] = field(default_factory=dict)
    prim: dict[str, list[Box]] = field(default_factory=dict)
    prim_cases: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def factors(self) -> list[str]:
        return [f["path"] for f in self.experiment["factors"]]

    @property
    def outcomes(self) -> list[str]:
        return list(self.experiment["outcomes"])


def load(store_dir: str | Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    store = RunStore(store_dir)
    manifest = store.read_manifest()
    if manifest is None or not store.plan_path.is_file():
        raise ScenarioError([f"{store_dir}: not a study folder (no _study.json / _plan.parquet)"])
    plan_df = pd.read_parquet(store.plan_path)
    runs = store.read()
    if len(runs):
        runs = runs.sort_values("status", key=lambda s: s != "succeeded").drop_duplicates("run_id")
    return manifest, plan_df, runs


def analyse(store_dir: str | Path, prim_outcomes: list[str] | None = None) -> StudyAnalysis:
    manifest, plan_df, stored = load(store_dir)
    exp = manifest["experiment"]
    outcomes = list(exp["outcomes"])
    factor_names = [f["path"] for f in exp["factors"]]
    custom = exp.get("model") is not None
    keep = ["run_id", "status", "error", *[o for o in outcomes if o in stored.columns]]
    runs = plan_df.merge(
        stored[keep] if len(stored) else pd.DataFrame(columns=keep), on="run_id", how="left"
    )
    for o in outcomes:
        if o not in runs:
            runs[o] = np.nan
    ok = runs["status"] == "succeeded"
    runs.loc[~ok, outcomes] = np.nan
    counts = {
        "planned_runs": int(plan_df["run_id"].nunique()),
        "points": int(plan_df["point"].nunique()),
        "succeeded": int(runs.loc[ok, "run_id"].nunique()),
        "failed": int(runs.loc[runs["status"] == "failed", "run_id"].nunique()),
        "missing": int(runs.loc[runs["status"].isna(), "run_id"].nunique()),
    }
    result = StudyAnalysis(exp, manifest.get("provenance", {}), runs, pd.DataFrame(), {}, counts)
    if counts["missing"]:
        result.notes.append(
            f"{counts['missing']} planned runs are not in the store yet: resume the study "
            "to complete it"
        )
    if counts["failed"]:
        errs = runs.loc[runs["status"] == "failed", "error"].value_counts()
        result.notes.append(
            f"{counts['failed']} runs failed (most common: {errs.index[0]!r}, {errs.iloc[0]}x)"
        )

    factors_df = plan_df.drop_duplicates("point").set_index("point")[factor_names]
    if custom:
        per_rep = runs.pivot_table(
            index=["point", "replication"], values=outcomes, dropna=False, aggfunc="first"
        )
        per_rep.columns = [str(c) for c in per_rep.columns]
        target = {o: o for o in outcomes}
    else:
        wide = runs.pivot_table(
            index=["point", "replication"],
            columns="structure",
            values=outcomes,
            dropna=False,
            aggfunc="first",
        )
        per_rep = pd.DataFrame(index=wide.index)
        for o in outcomes:
            per_rep[f"{o}.linear"] = wide[(o, "linear")]
            per_rep[f"{o}.triangular"] = wide[(o, "triangular")]
            per_rep[f"{o}.diff"] = per_rep[f"{o}.triangular"] - per_rep[f"{o}.linear"]
        tgt = exp.get("analysis", {}).get("target", "difference")
        suffix = "diff" if tgt == "difference" else tgt
        target = {o: f"{o}.{suffix}" for o in outcomes}
    means = per_rep.groupby(level="point").mean()
    sds = per_rep.groupby(level="point").std(ddof=1).add_suffix("_sd")
    n_ok = per_rep[list(target.values())].notna().groupby(level="point").sum().add_suffix("_n")
    points = factors_df.join(means).join(sds).join(n_ok)
    result.points = points.reset_index()
    result.target_columns = target

    _noise(result, per_rep)
    _convergence(result, per_rep)
    design = exp["design"]
    if design == "sobol":
        _sobol(result, store_dir)
    elif design == "morris":
        _morris(result, store_dir)
    _prim(result, prim_outcomes)
    return result


def _noise(result: StudyAnalysis, per_rep: pd.DataFrame) -> None:
    """How much of the spread of the analysed outcome is seed noise (within points)."""
    rows = []
    for o, col in result.target_columns.items():
        x = per_rep[col]
        total = float(x.var(ddof=1)) if x.notna().sum() > 1 else float("nan")
        within = float(x.groupby(level="point").var(ddof=1).mean())
        reps = int(per_rep.index.get_level_values("replication").nunique())
        rows.append(
            {
                "outcome": o,
                "column": col,
                "mean": float(x.mean()),
                "total_var": total,
                "within_point_var": within,
                "seed_noise_share": within / total if total and total > 0 else float("nan"),
                "replications": reps,
            }
        )
    result.noise = pd.DataFrame(rows)


def _convergence(result: StudyAnalysis, per_rep: pd.DataFrame) -> None:
    """Running mean (over replications) of the point-averaged outcome, with a 95 % CI."""
    for o, col in result.target_columns.items():
        by_rep = per_rep[col].groupby(level="replication").mean().dropna()
        vals = by_rep.to_numpy()
        rows = []
        for k in range(1, len(vals) + 1):
            m = float(vals[:k].mean())
            if k >= 2:
                half = float(stats.t.ppf(0.975, k - 1) * vals[:k].std(ddof=1) / math.sqrt(k))
            else:
                half = float("nan")
            rows.append(
                {
                    "replications": k,
                    "mean": m,
                    "ci_low": m - half,
                    "ci_high": m + half,
                    "half_width": half,
                }
            )
        result.convergence[o] = pd.DataFrame(rows)


def _unit_design(exp: dict) -> np.ndarray:
    """The Morris design in unit space, re-sampled (it is deterministic in the seed)."""
    from SALib.sample import morris

    from .design import salib_problem

    problem = salib_problem(_FactorsOnly(exp))
    return morris.sample(problem, exp["n"], num_levels=exp["morris_levels"], seed=exp["seed"])


class _FactorsOnly:
    def __init__(self, exp: dict):
        from .spec import Factor

        self.factors = []
        for f in exp["factors"]:
            rng = f.get("range") or [None, None]
            self.factors.append(
                Factor(
                    path=f["path"],
                    low=rng[0],
                    high=rng[1],
                    levels=f.get("levels"),
                    group=f.get("group"),
                )
            )


def _target_vector(result: StudyAnalysis, o: str) -> np.ndarray:
    y = result.points.sort_values("point")[result.target_columns[o]].to_numpy(dtype=float)
    bad = ~np.isfinite(y)
    if bad.all():
        return y
    if bad.any():
        result.notes.append(
            f"{o}: {int(bad.sum())} of {len(y)} points have no value (failed runs); they "
            "were set to the mean of the others for the sensitivity indices"
        )
        y = np.where(bad, np.nanmean(y), y)
    return y


def _sobol(result: StudyAnalysis, store_dir) -> None:
    from SALib.analyze import sobol

    from .design import salib_problem

    exp = result.experiment
    problem = salib_problem(_FactorsOnly(exp))
    names = list(dict.fromkeys(problem.get("groups", problem["names"])))
    n = exp["n"]
    if n & (n - 1):
        result.notes.append(
            f"Sobol: n = {n} is not a power of two; the sequence's balance properties "
            "hold only for powers of two"
        )
    for o in result.outcomes:
        y = _target_vector(result, o)
        if not np.isfinite(y).all() or np.var(y) == 0:
            result.notes.append(f"{o}: no variance to decompose; Sobol indices not computed")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = sobol.analyze(
                problem,
                y,
                calc_second_order=exp["second_order"],
                num_resamples=200,
                conf_level=0.95,
                seed=exp["seed"],
            )
        if not (np.any(si["S1"]) or np.any(si["ST"])):
            # Saltelli's estimators see only the base samples (A, B) and the points that
            # change one factor of A; when none of those changes the outcome, or A and B
            # do not vary, every index is exactly 0 -- no information, not "no effect"
            result.notes.append(
                f"{o}: varies at too few of the design's points for Sobol's estimators "
                "(every index would be exactly 0); Sobol indices not computed: raise n"
            )
            continue
        df = pd.DataFrame(
            {
                "factor": names,
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
        result.sobol[o] = df
        if exp["second_order"]:
            s2 = pd.DataFrame(si["S2"], index=names, columns=names)
            result.sobol_s2[o] = s2
        worst = float(np.nanmax(df["ST_conf"]))
        if worst > 0.1 or (df["S1"] < -0.05).any():
            result.notes.append(
                f"{o}: Sobol confidence intervals up to +/-{worst:.2f} (or negative S1): "
                "n is too small to read the indices finely; raise n"
            )


def _morris(result: StudyAnalysis, store_dir) -> None:
    from SALib.analyze import morris

    from .design import salib_problem

    exp = result.experiment
    problem = salib_problem(_FactorsOnly(exp))
    x = _unit_design(exp)
    for o in result.outcomes:
        y = _target_vector(result, o)
        if not np.isfinite(y).all():
            continue
        si = morris.analyze(
            problem,
            x,
            y,
            num_resamples=200,
            conf_level=0.95,
            num_levels=exp["morris_levels"],
            seed=exp["seed"],
        )
        result.morris[o] = pd.DataFrame(
            {
                "factor": si["names"],
                "mu": si["mu"],
                "mu_star": si["mu_star"],
                "sigma": si["sigma"],
                "mu_star_conf": si["mu_star_conf"],
            }
        )


def case_of_interest(outcome: str, threshold: float) -> tuple[str, str]:
    """Query and wording for 'linear matches or beats triangular' on ``outcome``."""
    if outcome in LOWER_IS_BETTER:
        return f"`{outcome}.diff >= {-threshold:g}`", "lower is better"
    return f"`{outcome}.diff <= {threshold:g}`", "higher is better"


def _prim(result: StudyAnalysis, prim_outcomes: list[str] | None) -> None:
    exp = result.experiment
    if exp.get("model") is not None:
        return
    numeric = [f for f in result.factors if pd.api.types.is_numeric_dtype(result.points[f])]
    numeric = [f for f in numeric if result.points[f].nunique() > 1]
    if not numeric or len(result.points) < 20:
        return
    threshold = float(exp.get("analysis", {}).get("prim_threshold", 0.0))
    chosen = prim_outcomes or [exp.get("analysis", {}).get("prim_outcome") or result.outcomes[0]]
    for o in chosen:
        col = f"{o}.diff"
        pts = result.points[np.isfinite(result.points[col])]
        d = pts[col].to_numpy()
        case = d >= -threshold if o in LOWER_IS_BETTER else d <= threshold
        result.prim_cases[o] = case_of_interest(o, threshold)[0]
        if case.sum() < 5 or (~case).sum() < 5:
            result.notes.append(
                f"PRIM on {o}: linear matches or beats triangular at {int(case.sum())} of "
                f"{len(case)} points; too few cases (or non-cases) to describe a region "
                "(set [analysis] prim_threshold to find where linear comes within it)"
            )
            result.prim[o] = []
            continue
        result.prim[o] = prim(pts[numeric].reset_index(drop=True), case.astype(float))


def provenance_line(prov: dict) -> str:
    keys = ("version", "commit", "model_version", "experiment_hash", "scenario_hash", "seed")
    return ", ".join(f"{k} {prov.get(k)}" for k in keys if prov.get(k) is not None)
