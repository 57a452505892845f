"""Key-driver analysis against published relaimpo output and brute-force Shapley values."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from sim.drivers import (
    DriverAnalysisError,
    cronbach_alpha,
    item_total_correlations,
    key_drivers,
    lmg,
    relative_weights,
    spearman,
    top_k_recovery,
)

# R's mtcars (Motor Trend 1974): mpg, cyl, vs, am of the 32 cars, in R's row order
MPG = [
    21,
    21,
    22.8,
    21.4,
    18.7,
    18.1,
    14.3,
    24.4,
    22.8,
    19.2,
    17.8,
    16.4,
    17.3,
    15.2,
    10.4,
    10.4,
    14.7,
    32.4,
    30.4,
    33.9,
    21.5,
    15.5,
    15.2,
    13.3,
    19.2,
    27.3,
    26,
    30.4,
    15.8,
    19.7,
    15,
    21.4,
]
CYL = [
    6,
    6,
    4,
    6,
    8,
    6,
    8,
    4,
    4,
    6,
    6,
    8,
    8,
    8,
    8,
    8,
    8,
    4,
    4,
    4,
    4,
    8,
    8,
    8,
    8,
    4,
    4,
    4,
    8,
    6,
    8,
    4,
]
VS = [
    0,
    0,
    1,
    1,
    0,
    1,
    0,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    1,
]
AM = [
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
]


def test_lmg_matches_published_relaimpo_output_on_mtcars():
    # relaimpo::calc.relimp(mpg ~ am + vs + cyl, data = mtcars, type = "lmg"), as printed
    # in the domir package's vignette comparing it with relaimpo: R² 76.2 %,
    # am 0.1774892, vs 0.2027032, cyl 0.3817849
    x = np.column_stack([AM, VS, CYL]).astype(float)
    got = lmg(x, np.array(MPG, dtype=float))
    assert got == pytest.approx([0.1774892, 0.2027032, 0.3817849], abs=5e-7)
    assert got.sum() == pytest.approx(0.762, abs=5e-4)


def _r2(x, y):
    if x.shape[1] == 0:
        return 0.0
    a = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ beta
    return 1 - resid.var() / y.var()


def test_lmg_equals_brute_force_average_over_all_orderings():
    rng = np.random.default_rng(5)
    n, p = 80, 5
    x = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))  # correlated predictors
    y = x @ rng.normal(size=p) + rng.normal(size=n) * 2
    brute = np.zeros(p)
    orders = list(permutations(range(p)))
    for order in orders:
        before = []
        for j in order:
            brute[j] += _r2(x[:, [*before, j]], y) - _r2(x[:, before], y)
            before.append(j)
    brute /= len(orders)
    assert lmg(x, y) == pytest.approx(brute, abs=1e-10)
    assert lmg(x, y).sum() == pytest.approx(_r2(x, y), abs=1e-10)


def test_relative_weights_sum_to_r2_and_track_lmg():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(300, 6)) @ (np.eye(6) + 0.4)
    y = x @ np.array([1.0, 0.6, 0.3, 0.0, -0.5, 0.1]) + rng.normal(size=300)
    rw, lm = relative_weights(x, y), lmg(x, y)
    assert rw.sum() == pytest.approx(_r2(x, y), abs=1e-10)
    assert (rw >= 0).all()
    # Johnson's weights correlate > 0.99 with LMG in typical data (LeBreton et al. 2004)
    assert np.corrcoef(rw, lm)[0, 1] > 0.99


def test_uncorrelated_predictors_get_their_squared_correlations():
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(np.column_stack([np.ones(200), rng.normal(size=(200, 3))]))
    x = q[:, 1:]  # orthogonal to each other and to the constant: uncorrelated
    y = x @ np.array([3.0, 2.0, 1.0]) + rng.normal(size=200) * 0.05
    r = np.array([np.corrcoef(x[:, j], y)[0, 1] ** 2 for j in range(3)])
    assert lmg(x, y) == pytest.approx(r, abs=1e-6)


def test_bootstrap_intervals_cover_the_estimate_and_are_reproducible():
    import pandas as pd

    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 3))
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=150)
    r1 = key_drivers(df, "y", ["a", "b", "c"], bootstrap=100, rng=np.random.default_rng(1))
    r2 = key_drivers(df, "y", ["a", "b", "c"], bootstrap=100, rng=np.random.default_rng(1))
    t = r1.table
    assert t.equals(r2.table)
    assert ((t["lmg_low"] <= t["lmg"]) & (t["lmg"] <= t["lmg_high"])).all()
    assert r1.ranking() == ["a", "b", "c"]
    with pytest.raises(DriverAnalysisError):
        key_drivers(df.head(4), "y", ["a", "b", "c"], bootstrap=0)


def test_cronbach_alpha_and_item_total():
    rng = np.random.default_rng(4)
    t = rng.normal(size=2000)
    items = np.column_stack([t + rng.normal(size=2000) for _ in range(4)])
    # parallel items with reliability 1/2 each: alpha = k r / (1 + (k-1) r) = 4/5 (Spearman-Brown)
    assert cronbach_alpha(items) == pytest.approx(0.8, abs=0.02)
    itc = item_total_correlations(items)
    # item with the sum of 3 others: cov 3, sds sqrt(2) and sqrt(3*2+6) -> 3/sqrt(24) = 0.612
    assert itc == pytest.approx(np.full(4, 3 / np.sqrt(24)), abs=0.03)
    assert cronbach_alpha(np.column_stack([t, t, t])) == pytest.approx(1.0)


def test_rank_agreement_and_top_k():
    assert spearman(np.array([3, 2, 1.0]), np.array([30, 20, 10.0])) == pytest.approx(1.0)
    assert top_k_recovery(["a", "b", "c"], ["b", "a", "d"], 2) == 1.0
    assert top_k_recovery(["a", "c", "b"], ["b", "a", "d"], 2) == 0.5
