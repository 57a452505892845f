"""One-at-a-time sweep of the market-side parameters over their checked ranges.

For every ``market.*``, ``customers.*``, ``word_of_mouth.*``, ``service.*`` and
market-side ``firm.policy`` parameter whose assumption label says "checked over
[a, b]", set it to a and to b (everything else at the baseline) and measure the
paired triangular - linear gaps of the focal firm: engagement, visit share and
return on sales, averaged over the seeds. Loyalty fields are swept with the
programme on. Writes a CSV (one row per parameter and end).

    python -m experiments.market_oat --seeds 2 --days 240 --out market_oat.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys

import numpy as np
from tqdm import tqdm

from sim import ServiceProfitChainModel, load_scenario
from sim.config import iter_parameters

MARKET_SIDE = (
    "market.",
    "customers.",
    "word_of_mouth.",
    "service.",
    "firm.policy.price",
    "firm.policy.serving_cost",
    "firm.policy.loyalty",
    "firm.policy.customer_focus",
)
CHECKED = re.compile(r"checked over \[([^,\]]+), ([^\]]+)\]")


def gaps(scenario, seeds, days) -> np.ndarray:
    """Mean over seeds of triangular - linear: engagement, visit share, return on sales."""
    out = []
    for seed in seeds:
        r = {}
        for structure in ("linear", "triangular"):
            df = ServiceProfitChainModel(scenario, structure, seed).run(days)
            f = df[(df.firm == 0) & (df.day >= scenario.market.warmup_days)]
            r[structure] = np.array(
                [
                    f.engagement_mean.mean(),
                    np.average(f.visit_share, weights=f.visits),
                    f.profit.sum() / f.revenue.sum(),
                ]
            )
        out.append(r["triangular"] - r["linear"])
    return np.mean(out, axis=0)


def sweep_points(scenario):
    for p in iter_parameters(scenario):
        if not p.path.startswith(MARKET_SIDE) or isinstance(p.default, list | bool):
            continue
        m = CHECKED.search(p.assumption)
        if not m or p.path == "market.warmup_days":  # warm-up acts on summaries only
            continue
        for end in m.groups():
            value = type(p.default)(float(end))
            over = {p.path: value}
            if p.path.startswith("firm.policy.loyalty"):
                over["firm.policy.loyalty_programme"] = True
            yield p.path, value, over


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--days", type=int, default=240)
    ap.add_argument("--out", default="market_oat.csv")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    base = load_scenario(args.scenario)
    seeds = list(range(1, args.seeds + 1))
    points = [("(baseline)", "", {}), *sweep_points(base)]
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["parameter", "value", "engagement_gap", "share_gap", "ros_gap"])
        for path, value, over in tqdm(points, disable=args.quiet, file=sys.stderr):
            g = gaps(base.with_overrides(over), seeds, args.days)
            w.writerow([path, value, *np.round(g, 4)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
