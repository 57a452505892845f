"""Calibrate the market's attitude scale, price coefficient and NPS midpoint.

Four parameters are set from field figures with the probes of ``sim.probes``
(paired interventions at the focal firm of scenarios/baseline.toml); every other
market figure is a check:

0. ``customers.tolerance`` (zone of tolerance, in q-units): bisection so that a few
   per cent (5 %) of the relationships of customers who have visited are below it at
   the end of the run. It is a level on the quality scale, so it has to follow the
   level of service quality the staff side produces;
1. ``customers.choice_sensitivity`` (logit scale of attitude in choice): bisection
   so that the second Sears link, % revenue per point of customer impression, is
   the reported 0.5/1.3 = 0.38 (Rucci, Kirn & Quinn 1998), the raised attitude
   coming from the focal firm's involvement 0.3 -> 0.9;
2. ``customers.price_sensitivity`` (utility per cu): bisection so that the focal
   firm's own-price elasticity of visits (+10 % price) is -1.6, between Tellis
   1988's and Bijmolt, van Heerde & Pieters 2005's meta-analytic means;
3. ``customers.recommend_midpoint``: bisection so that the baseline market's net
   promoter score (all firms, visit-weighted over the window) is +10, "near zero to
   slightly positive" as for ordinary service firms. It moves no behaviour.

Steps 1 and 2 interact (both scale utility differences), so they alternate for
``--rounds`` rounds. Seeds 11.. and 240 days as in tests/test_market.py.

    python -m experiments.calibrate_market --seeds 3 --rounds 2
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sim import ServiceProfitChainModel, load_scenario, probes
from sim.runner import RunSpec, run_one

REVENUE_PER_IMPRESSION = 0.5 / 1.3  # Sears: 1.3 units impression -> 0.5 % revenue
ELASTICITY = -1.6
NPS = 10.0
BELOW_TOLERANCE = 0.05


def below_tolerance(values: dict, seeds, days) -> float:
    sc = scenario(values)
    out = []
    for seed in seeds:
        model = ServiceProfitChainModel(sc, "linear", seed)
        model.run(days)
        seen = model.customers.visits > 0
        out.append((model.customers.satisfaction[seen] < sc.customers.tolerance).mean())
    return float(np.mean(out))


def scenario(values: dict):
    return load_scenario("scenarios/baseline.toml", values)


def link2(values: dict, seeds, days) -> float:
    s = probes.sears_chain(scenario(values), seeds, days)
    return float(s["revenue_pct"].sum() / s["satisfaction"].sum())


def elasticity(values: dict, seeds, days) -> float:
    return float(probes.price_elasticity(scenario(values), seeds, days).mean())


def market_nps(values: dict, seeds, days) -> float:
    sc = scenario(values)
    out = []
    for seed in seeds:
        df = run_one(RunSpec(sc, "linear", seed, days))
        w = df[df["day"] >= sc.market.warmup_days]
        out.append(np.average(w["nps"], weights=w["visits"]))
    return float(np.mean(out))


def bisect(measure, lo: float, hi: float, target: float, rising: bool, steps: int):
    """Value in [lo, hi] where a monotone measure meets target (``rising``: grows with it)."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        got = measure(mid)
        if (got > target) == rising:
            hi = mid
        else:
            lo = mid
        print(f"    {mid:.4f} -> {got:+.3f}", flush=True)
    return (lo + hi) / 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--days", type=int, default=240)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    args = ap.parse_args(argv)
    seeds = list(range(11, 11 + args.seeds))
    base = scenario({}).customers
    v = {
        "customers.tolerance": base.tolerance,
        "customers.choice_sensitivity": base.choice_sensitivity,
        "customers.price_sensitivity": base.price_sensitivity,
    }

    def fit(label: str, key: str, measure, lo: float, hi: float, target: float, rising: bool):
        """Set ``v[key]`` where ``measure`` (of the values with ``key`` at x) meets target."""
        print(label)
        v[key] = bisect(
            lambda x: measure({**v, key: x}, seeds, args.days), lo, hi, target, rising, args.steps
        )

    fit(
        "customers.tolerance (share of relationships below it)",
        "customers.tolerance", below_tolerance, 0.0, 0.5, BELOW_TOLERANCE, True,
    )  # fmt: skip
    for r in range(args.rounds):
        fit(
            f"round {r + 1}: customers.choice_sensitivity (revenue % per impression point)",
            "customers.choice_sensitivity", link2, 0.02, 0.5, REVENUE_PER_IMPRESSION, True,
        )  # fmt: skip
        fit(
            f"round {r + 1}: customers.price_sensitivity (own-price elasticity)",
            "customers.price_sensitivity", elasticity, 0.02, 0.12, ELASTICITY, False,
        )  # fmt: skip
    fit(
        "customers.recommend_midpoint (baseline NPS)",
        "customers.recommend_midpoint", market_nps, 0.2, 0.7, NPS, False,
    )  # fmt: skip
    s = probes.sears_chain(scenario(v), seeds, args.days)
    print("\nchosen:", {k: round(x, 3) for k, x in v.items()})
    print(
        f"check: elasticity {elasticity(v, seeds, args.days):+.2f}; Sears links "
        f"{s['satisfaction'].sum() / s['engagement'].sum():.2f} impression per attitude, "
        f"{s['revenue_pct'].sum() / s['satisfaction'].sum():.2f} % revenue per impression, "
        f"{s['revenue_pct'].sum() / s['engagement'].sum():.2f} % revenue per attitude; "
        f"NPS {market_nps(v, seeds, args.days):+.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
