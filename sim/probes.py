"""Market-side probes: paired interventions at the focal firm and what they move.

Each probe runs the same seed with and without one intervention at firm 0 (its
competitors unchanged) and reports the focal firm's change over the measurement
window. They measure the model's market against field figures: the own-price
elasticity of demand, the Sears employee-customer-profit chain (Rucci, Kirn &
Quinn 1998), quality and share/return on sales (Greene, Walls & Schrest 1994)
and retention and profit (Reichheld & Sasser 1990). Tests use them at small size;
``spc facts`` (sim/facts.py) runs the same functions at full size, passing ``runner``
to spread the runs over its workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .config import Scenario
from .model import ServiceProfitChainModel

# what the market-side probes compare, for the focal firm over the window
FOCAL = (
    "visits",
    "revenue",
    "profit",
    "satisfaction",
    "engagement_mean",
    "retention",
    "visit_share",
    "nps",
)


def focal_summary(
    scenario: Scenario,
    seed: int,
    days: int,
    overrides: Mapping[str, Any] | None = None,
    focal_habit: float = 0.0,
) -> dict[str, float]:
    """Focal firm's window means (visit-weighted where the metric is per visit).

    ``focal_habit`` adds to the habit bonus of the focal firm only: a pure
    retention lever (its own last customers return more; nobody else is drawn in).
    """
    sc = scenario.with_overrides(dict(overrides or {}))
    key = (sc.digest(), seed, days, focal_habit)
    if key not in _CACHE:
        _CACHE[key] = _summarise(sc, seed, days, focal_habit)
    return dict(_CACHE[key])


_CACHE: dict[tuple, dict[str, float]] = {}  # same run, same numbers: probes share controls

# a run of the probes: (scenario, seed, days, focal_habit)
FocalRun = tuple[Scenario, int, int, float]
# maps focal_run over runs, results in input order (e.g. a sim.runner evaluator's map)
Runner = Callable[[Sequence[FocalRun]], list[dict[str, float]]]


def focal_run(run: FocalRun) -> dict[str, float]:
    """One run's focal summary (module level, so a process pool can run it)."""
    sc, seed, days, focal_habit = run
    return focal_summary(sc, seed, days, None, focal_habit)


def _serial(runs: Sequence[FocalRun]) -> list[dict[str, float]]:
    return [focal_run(r) for r in runs]


def _summarise(sc: Scenario, seed: int, days: int, focal_habit: float) -> dict[str, float]:
    model = ServiceProfitChainModel(sc, "linear", seed)
    model.habit[0] += focal_habit
    df = model.run(days)
    f = df[(df.firm == 0) & (df.day >= sc.market.warmup_days)]
    out = {m: float(f[m].mean()) for m in ("visits", "revenue", "profit", "engagement_mean")}
    for m in ("satisfaction", "nps", "visit_share"):
        out[m] = float(np.average(f[m], weights=f.visits))
    out["retention"] = float(np.average(f.retention, weights=f.returning))
    out["return_on_sales"] = float(f.profit.sum() / f.revenue.sum())
    return out


def paired(
    scenario: Scenario,
    seeds: Iterable[int],
    days: int,
    treatment: Mapping[str, Any],
    focal_habit: float = 0.0,
    control: Mapping[str, Any] | None = None,
    runner: Runner | None = None,
) -> list[tuple[dict[str, float], dict[str, float]]]:
    """(control, treated) focal summaries per seed; same seed, same market."""
    sc_c = scenario.with_overrides(dict(control or {}))
    sc_t = scenario.with_overrides({**(control or {}), **treatment})
    runs = [(sc, s, days, h) for s in seeds for sc, h in ((sc_c, 0.0), (sc_t, focal_habit))]
    out = (runner or _serial)(runs)
    return list(zip(out[0::2], out[1::2], strict=True))


def focal_only(scenario: Scenario, dotted: str, value: Any) -> dict[str, Any]:
    """Overrides that set a ``firm.*`` lever at the focal firm and keep the competitors'."""
    if not dotted.startswith("firm."):
        raise ValueError(f"{dotted}: a focal lever must be a firm.* parameter")
    node: Any = scenario
    for part in dotted.split("."):
        node = getattr(node, part)
    return {dotted: value, "competitors." + dotted[len("firm.") :]: node}


def price_elasticity(
    scenario: Scenario, seeds, days: int, rise: float = 0.10, runner: Runner | None = None
) -> np.ndarray:
    """Own-price elasticity of the focal firm's visits: %change in visits / %change in price."""
    price = scenario.firm.policy.price
    pairs = paired(
        scenario,
        seeds,
        days,
        focal_only(scenario, "firm.policy.price", price * (1 + rise)),
        runner=runner,
    )
    return np.array([(t["visits"] / b["visits"] - 1.0) / rise for b, t in pairs])


def sears_chain(
    scenario: Scenario, seeds, days: int, involvement: float = 0.9, runner: Runner | None = None
) -> dict[str, np.ndarray]:
    """Raise employee attitude at the focal firm (more involvement) and follow the chain.

    Returns per seed the change in engagement and satisfaction in points of a
    100-point scale (q-units x 100), in revenue (%), visit share (points) and return
    on sales (points), and the ratios the Sears chain reports: impression per unit of
    attitude (1.3/5 = 0.26) and revenue % per unit of impression (0.5/1.3 = 0.38).
    """
    pairs = paired(
        scenario,
        seeds,
        days,
        focal_only(scenario, "firm.policy.involvement", involvement),
        runner=runner,
    )
    d = {
        "engagement": np.array(
            [100 * (t["engagement_mean"] - b["engagement_mean"]) for b, t in pairs]
        ),
        "satisfaction": np.array([100 * (t["satisfaction"] - b["satisfaction"]) for b, t in pairs]),
        "revenue_pct": np.array([100 * (t["revenue"] / b["revenue"] - 1) for b, t in pairs]),
        "share": np.array([100 * (t["visit_share"] - b["visit_share"]) for b, t in pairs]),
        "ros": np.array([100 * (t["return_on_sales"] - b["return_on_sales"]) for b, t in pairs]),
        "nps": np.array([t["nps"] - b["nps"] for b, t in pairs]),
    }
    d["impression_per_attitude"] = d["satisfaction"] / d["engagement"]
    d["revenue_per_impression"] = d["revenue_pct"] / d["satisfaction"]
    return d


TENURE_CHANNELS_OFF = {
    "customers.tenure_spend_gain": 0.0,
    "customers.tenure_cost_saving": 0.0,
    "word_of_mouth.referral_probability": 0.0,
}


def retention_profit(
    scenario: Scenario,
    seeds,
    days: int,
    extra_habit: float = 0.25,
    channels: bool = True,
    runner: Runner | None = None,
) -> dict[str, np.ndarray]:
    """Raise the focal firm's retention alone and measure its profit (Reichheld & Sasser).

    ``channels=False`` switches off the customer-tenure channels (spend rising with
    tenure, lower cost to serve, referrals), leaving volume and operating leverage.
    """
    control = {} if channels else TENURE_CHANNELS_OFF
    pairs = paired(
        scenario, seeds, days, {}, focal_habit=extra_habit, control=control, runner=runner
    )
    d = {
        "retention_pts": np.array([100 * (t["retention"] - b["retention"]) for b, t in pairs]),
        "profit_pct": np.array([100 * (t["profit"] / b["profit"] - 1) for b, t in pairs]),
        "profit_gain": np.array([t["profit"] - b["profit"] for b, t in pairs]),
        "revenue_pct": np.array([100 * (t["revenue"] / b["revenue"] - 1) for b, t in pairs]),
        "visits_pct": np.array([100 * (t["visits"] / b["visits"] - 1) for b, t in pairs]),
        "profit": np.array([b["profit"] for b, t in pairs]),
    }
    d["profit_pct_per_5_pts"] = d["profit_pct"] / d["retention_pts"] * 5
    return d
