"""Key-driver analysis and scale reliability, in numpy.

* **LMG / Shapley value regression** (Lindeman, Merenda & Gold 1980; Grömping 2006,
  the ``lmg`` metric of R's ``relaimpo``): a predictor's share of R² averaged over
  every order in which the predictors can enter the regression. Computed exactly
  from the correlation matrix through the R² of all 2^p subsets (fine up to ~15
  predictors). Equals general dominance in dominance analysis (Budescu 1993).
* **Johnson's relative weights** (Johnson 2000): R² split through the best
  orthogonal approximation of the predictors; close to LMG and much cheaper.
* Bootstrap percentile intervals for both (resampling respondents).
* **Cronbach's alpha** and corrected item-total correlations per scale.
* Rank agreement (Spearman) and top-k recovery against a known true ranking.

The PyPI packages for these (``dominance-analysis``, ``relativeImp``,
``key-driver-analysis``) are broken on current pandas or unmaintained; this
module is small, exact and tested against published ``relaimpo`` output
(tests/test_drivers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

MAX_LMG_PREDICTORS = 16


class DriverAnalysisError(ValueError):
    """The data cannot support the analysis (too few respondents, a constant column)."""


def _corr(data: np.ndarray) -> np.ndarray:
    """Correlation matrix of the columns; a constant column is an error, not a NaN."""
    sd = data.std(axis=0)
    if np.any(sd == 0):
        raise DriverAnalysisError("a column is constant: its correlations are undefined")
    z = (data - data.mean(axis=0)) / sd
    return (z.T @ z) / data.shape[0]


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the regression of variable 0 on every subset of variables 1..p.

    ``corr`` is the (p+1) x (p+1) correlation matrix with the outcome first. Entry
    ``mask`` of the result is the R² on the predictors whose bits are set in ``mask``
    (bit j for predictor j, 0-based). Subsets of one size are solved as one batch.
    """
    p = corr.shape[0] - 1
    if p > MAX_LMG_PREDICTORS:
        raise DriverAnalysisError(
            f"{p} predictors: exact LMG needs 2^p regressions; at most {MAX_LMG_PREDICTORS}"
        )
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    r2 = np.zeros(2**p)
    for k in range(1, p + 1):
        idx = np.array(list(combinations(range(p), k)), dtype=np.int64)
        sub = rxx[idx[:, :, None], idx[:, None, :]]
        rhs = rxy[idx]
        beta = np.linalg.solve(sub, rhs[..., None])[..., 0]
        r2[(1 << idx).sum(axis=1)] = np.einsum("ij,ij->i", beta, rhs)
    return r2


def lmg_from_corr(corr: np.ndarray) -> np.ndarray:
    """LMG shares of R² (they add up to the full model's R²) from a correlation matrix."""
    p = corr.shape[0] - 1
    r2 = subset_r2(corr)
    masks = np.arange(2**p)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([factorial(k) * factorial(p - k - 1) / factorial(p) for k in range(p)])
    out = np.zeros(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[j] = np.sum(weight[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return out


def relative_weights_from_corr(corr: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights; they add up to the full model's R²."""
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    vals, vecs = np.linalg.eigh(rxx)
    if vals.min() <= 1e-12:
        raise DriverAnalysisError("predictors are perfectly collinear")
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T  # symmetric square root: X = Z Λ
    beta = np.linalg.solve(lam, rxy)  # y on the orthogonal Z
    return (lam**2) @ (beta**2)


def lmg(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """LMG shares of R² for the columns of ``x`` (n x p) predicting ``y`` (n)."""
    return lmg_from_corr(_corr(np.column_stack([y, x])))


def relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return relative_weights_from_corr(_corr(np.column_stack([y, x])))


METHODS = {"lmg": lmg_from_corr, "relative_weights": relative_weights_from_corr}


@dataclass(frozen=True)
class DriverResult:
    """Importance of each driver: estimate, bootstrap interval, share and rank."""

    outcome: str
    table: pd.DataFrame  # index: driver; columns per method
    r2: float
    n: int
    bootstrap: int

    def ranking(self, method: str = "lmg") -> list[str]:
        return list(self.table.sort_values(method, ascending=False).index)


def key_drivers(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    bootstrap: int = 200,
    level: float = 0.95,
    rng: np.random.Generator | None = None,
) -> DriverResult:
    """LMG and relative weights of ``drivers`` for ``outcome`` with bootstrap intervals.

    Rows with a missing value in any used column are dropped (complete cases).
    Raises :class:`DriverAnalysisError` when fewer than p + 3 complete rows remain
    or a column is constant.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    d = data[[outcome, *drivers]].dropna()
    n, p = len(d), len(drivers)
    if n < p + 3:
        raise DriverAnalysisError(
            f"{n} complete responses for {p} drivers of {outcome}: need at least {p + 3}"
        )
    m = d.to_numpy(dtype=float)
    corr = _corr(m)
    est = {name: fn(corr) for name, fn in METHODS.items()}
    table = pd.DataFrame(est, index=pd.Index(drivers, name="driver"))
    if bootstrap:
        draws: dict[str, list[np.ndarray]] = {name: [] for name in METHODS}
        for _ in range(bootstrap):
            rows = m[rng.integers(0, n, n)]
            try:
                c = _corr(rows)
                for name, fn in METHODS.items():
                    draws[name].append(fn(c))
            except (DriverAnalysisError, np.linalg.LinAlgError):
                continue  # a resample with a constant column: skipped, as relaimpo does
        a = (1 - level) / 2
        for name in METHODS:
            arr = np.array(draws[name])
            if arr.size:
                table[f"{name}_low"] = np.quantile(arr, a, axis=0)
                table[f"{name}_high"] = np.quantile(arr, 1 - a, axis=0)
    r2 = float(table["lmg"].sum())
    table["lmg_share"] = table["lmg"] / r2 if r2 > 0 else np.nan
    table["rank"] = table["lmg"].rank(ascending=False, method="first").astype(int)
    # direction: sign of the zero-order correlation, as drivers are read in practice
    table["direction"] = np.sign(corr[1:, 0]).astype(int)
    return DriverResult(outcome, table, r2, n, bootstrap)


# ------------------------------------------------------------------ reliability
def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of a scale (n respondents x k items, complete rows)."""
    items = np.asarray(items, dtype=float)
    k = items.shape[1]
    if k < 2:
        return float("nan")  # undefined for a single item
    total_var = items.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / total_var))


def item_total_correlations(items: np.ndarray) -> np.ndarray:
    """Corrected item-total correlations: each item with the sum of the others."""
    items = np.asarray(items, dtype=float)
    k = items.shape[1]
    if k < 2:
        return np.full(k, np.nan)
    total = items.sum(axis=1)
    out = np.empty(k)
    for i in range(k):
        rest = total - items[:, i]
        if items[:, i].std() == 0 or rest.std() == 0:
            out[i] = np.nan
        else:
            out[i] = np.corrcoef(items[:, i], rest)[0, 1]
    return out


# ------------------------------------------------------------------ recovery
def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def top_k_recovery(estimated: list[str], true: list[str], k: int) -> float:
    """Share of the true top-k drivers found among the estimated top k (1 = all found)."""
    return len(set(estimated[:k]) & set(true[:k])) / k
