"""Where does each structure win? A grid over two levers, paired at every point.

For each grid point the focal firm runs linear and triangular on common random
numbers (``sim.runner.compare``); the output is one row per point with the paired
difference (triangular - linear) of a few outcomes and its 95 % CI. The default grid
crosses customer harshness with supervisor style; any two dotted parameters work.

    python -m experiments.crossover --out results/crossover.csv
    python -m experiments.crossover --x customers.harshness=0,0.5,1 \
        --y firm.supervisor.style=0,0.5,1 --replications 4 --set customers.count=1000
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from sim import ScenarioError, load_scenario
from sim.config import parse_override
from sim.evaluators import make_evaluator
from sim.runner import compare

OUTCOMES = ("engagement_mean", "repeat_visit_rate", "visit_share", "profit")


def axis(text: str) -> tuple[str, list]:
    """``key=v1,v2,...`` with TOML values, so integer parameters stay integers."""
    key, values = text.split("=", 1)
    return key, [parse_override(f"{key}={v}")[1] for v in values.split(",")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    ap.add_argument("--x", type=axis, default=axis("customers.harshness=0,0.25,0.5,0.75,1"))
    ap.add_argument("--y", type=axis, default=axis("firm.supervisor.style=0,0.25,0.5,0.75,1"))
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--days", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--out", type=Path, default=Path("results/crossover.csv"))
    args = ap.parse_args(argv)

    (xk, xs), (yk, ys) = args.x, args.y
    evaluator = make_evaluator(args.workers)
    rows = []
    try:
        base = dict(parse_override(s) for s in args.set)
        for xv, yv in tqdm(list(itertools.product(xs, ys)), desc="grid", unit="point"):
            scenario = load_scenario(args.scenario, {**base, xk: xv, yk: yv})
            result = compare(
                scenario,
                replications=args.replications,
                days=args.days,
                seed=args.seed,
                evaluator=evaluator,
            )
            s = result.summary.set_index("metric")
            row = {xk: xv, yk: yv}
            for m in OUTCOMES:
                row[f"{m}_diff"] = s.loc[m, "difference"]
                row[f"{m}_ci_low"] = s.loc[m, "ci_low"]
                row[f"{m}_ci_high"] = s.loc[m, "ci_high"]
            rows.append(row)
    except ScenarioError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.pivot(index=yk, columns=xk, values="engagement_mean_diff").round(3).to_string())
    print(f"\npaired difference in engagement (triangular - linear); all outcomes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
