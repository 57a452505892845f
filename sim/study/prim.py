"""PRIM (Friedman & Fisher 1999) for scenario discovery: boxes where a case holds.

A small implementation of the patient rule induction method as used in scenario
discovery (Bryant & Lempert 2010): starting from the box that holds every point,
repeatedly peel the ``alpha`` share of points off the one face whose removal raises
the share of cases of interest (density) the most, until the box holds less than
``min_mass`` of the data. Each step of this *peeling trajectory* is a candidate box
with its coverage (share of all cases inside) and density (share of cases among the
points inside). The chosen box maximises coverage x density among the boxes that keep
at least ``min_coverage`` of the cases. Further boxes are found the same way
on the points outside the earlier boxes ("covering").

Written here rather than taken from ema-workbench, whose dependency platypus-opt is
GPL-3 licensed (this project is MIT); tests check it against a planted box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Box:
    limits: pd.DataFrame  # index = factor, columns low, high (restricted factors only)
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame  # step, coverage, density, mass, restricted dimensions
    chosen_step: int
    inside: np.ndarray = field(repr=False)  # mask over the rows given to this box


def _peel_once(x: np.ndarray, y: np.ndarray, inside: np.ndarray, lo, hi, alpha: float):
    """Best single peel: (density, dim, side, new bound) or None."""
    best = None
    xi, yi = x[inside], y[inside]
    for d in range(x.shape[1]):
        col = xi[:, d]
        for side in ("low", "high"):
            q = np.quantile(
                col,
                alpha if side == "low" else 1 - alpha,
                method="lower" if side == "low" else "higher",
            )
            keep = col > q if side == "low" else col < q
            if keep.all() or not keep.any():
                # ties at the quantile: peel exactly the tied extreme value instead
                extreme = col.min() if side == "low" else col.max()
                keep = col != extreme
                if keep.all() or not keep.any():
                    continue
                q = extreme
            dens = yi[keep].mean()
            bound = col[keep].min() if side == "low" else col[keep].max()
            # prefer higher density, then the smaller peel (keeps more points)
            score = (dens, keep.sum())
            if best is None or score > best[0]:
                best = (score, d, side, bound)
    return best


def prim_box(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
) -> Box:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    total_cases = y.sum()
    lo = x.min(axis=0).copy()
    hi = x.max(axis=0).copy()
    full_lo, full_hi = lo.copy(), hi.copy()
    inside = np.ones(n, dtype=bool)
    steps: list[dict[str, float]] = []
    boxes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def snapshot():
        k = inside.sum()
        cov = y[inside].sum() / total_cases if total_cases > 0 else 0.0
        dens = y[inside].mean() if k else 0.0
        restricted = int(((lo > full_lo) | (hi < full_hi)).sum())
        steps.append(
            {
                "step": len(steps),
                "coverage": cov,
                "density": dens,
                "mass": k / n,
                "restricted": restricted,
            }
        )
        boxes.append((lo.copy(), hi.copy(), inside.copy()))

    snapshot()
    while inside.sum() / n > min_mass:
        best = _peel_once(x, y, inside, lo, hi, alpha)
        if best is None:
            break
        _, d, side, bound = best
        if side == "low":
            lo[d] = bound
        else:
            hi[d] = bound
        new_inside = inside & (x[:, d] >= lo[d]) & (x[:, d] <= hi[d])
        if new_inside.sum() / n < min_mass:
            # undo: the box would hold too little of the data
            if side == "low":
                lo[d] = boxes[-1][0][d]
            else:
                hi[d] = boxes[-1][1][d]
            break
        inside = new_inside
        snapshot()
    traj = pd.DataFrame(steps)
    # the step that best trades coverage against density (their product), among boxes
    # that keep at least min_coverage of the cases
    ok = traj[traj["coverage"] >= min_coverage]
    score = (ok if len(ok) else traj).eval("coverage * density")
    pick = int(score.index[np.argmax(score.to_numpy())])
    b_lo, b_hi, b_in = boxes[pick]
    restricted = [
        (names[d], b_lo[d], b_hi[d])
        for d in range(x.shape[1])
        if b_lo[d] > full_lo[d] or b_hi[d] < full_hi[d]
    ]
    limits = pd.DataFrame(restricted, columns=["factor", "low", "high"]).set_index("factor")
    row = traj.loc[pick]
    return Box(
        limits, float(row.coverage), float(row.density), float(row["mass"]), traj, pick, b_in
    )


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    max_boxes: int = 2,
    min_density: float | None = None,
    **kwargs,
) -> list[Box]:
    """Up to ``max_boxes`` boxes by covering; stop when a box is no denser than the
    share of cases in all the data (``min_density``), as it would describe nothing."""
    names = list(x.columns)
    xv = x.to_numpy(dtype=float)
    y = np.asarray(y, dtype=float)
    base = y.mean() if min_density is None else min_density
    remaining = np.ones(len(y), dtype=bool)
    boxes: list[Box] = []
    total = y.sum()
    for _ in range(max_boxes):
        if y[remaining].sum() == 0 or remaining.sum() < 10:
            break
        box = prim_box(xv[remaining], y[remaining], names, **kwargs)
        if box.density <= base or box.limits.empty:
            break
        # coverage relative to all cases, not just those left
        box.coverage = float(y[remaining][box.inside].sum() / total)
        full_inside = np.zeros(len(y), dtype=bool)
        full_inside[np.flatnonzero(remaining)[box.inside]] = True
        box.inside = full_inside
        boxes.append(box)
        remaining &= ~full_inside
    return boxes
