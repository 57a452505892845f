"""One-at-a-time check of every assumption-labelled parameter over its stated range.

A parameter labelled ``assumption="...; checked over [a, b]"`` claims that the
headline was checked with the parameter at a and at b. This script runs that check:
for each such parameter (optionally only those under given prefixes) and each end of
its range, the baseline market with the focal firm linear and triangular, paired by
seed, and reports the paired gaps (triangular - linear) in focal engagement and visit
share over the window, with the sign. Ranges on [low, high] pairs are not swept.

    python -m experiments.check_assumptions --prefix employees. engagement. \\
        --out docs/assumption_checks.csv
"""

from __future__ import annotations

import argparse
import re
import sys

import numpy as np
import pandas as pd

from sim import load_scenario
from sim.config import iter_parameters
from sim.runner import RunSpec, run_one

CHECKED = re.compile(r"checked over \[([-0-9.e]+), ([-0-9.e]+)\]")
# parameters that act only together with another lever: the setting the check uses
CONTEXT = {
    "firm.policy.bonus_focus": {"firm.policy.repeat_bonus": 5.0},
    "feedback.survey_response": {"feedback.survey_invitation": 0.3},
    "feedback.member_feedback_multiplier": {"firm.policy.loyalty_programme": True},
}


def checked_ranges(prefixes: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
    out = []
    for p in iter_parameters():
        if prefixes and not p.path.startswith(prefixes):
            continue
        m = CHECKED.search(p.assumption or "")
        if m and not isinstance(p.default, list):
            lo, hi = float(m.group(1)), float(m.group(2))
            if isinstance(p.default, int):
                lo, hi = int(lo), int(hi)
            out.append((p.path, lo, hi))
    return out


def gaps(overrides: dict, seeds: list[int], customers: int, days: int, start: int):
    sc = load_scenario(
        "scenarios/baseline.toml",
        {"customers.count": customers, "market.warmup_days": start, **overrides},
    )
    eng, share = [], []
    for seed in seeds:
        val = {}
        for structure in ("linear", "triangular"):
            df = run_one(RunSpec(sc, structure, seed, days))
            w = df[(df["firm"] == 0) & (df["day"] >= start)]
            val[structure] = (w["engagement_mean"].mean(), w["visit_share"].mean())
        eng.append(val["triangular"][0] - val["linear"][0])
        share.append(val["triangular"][1] - val["linear"][1])
    return float(np.mean(eng)), float(np.mean(share))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--prefix", nargs="*", default=[])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--days", type=int, default=220)
    ap.add_argument("--from", dest="start", type=int, default=100)
    ap.add_argument("--out", help="CSV of the results")
    args = ap.parse_args(argv)
    seeds = list(range(500, 500 + args.seeds))
    rows = []
    e0, s0 = gaps({}, seeds, args.customers, args.days, args.start)
    rows.append({"parameter": "(defaults)", "value": np.nan, "engagement_gap": e0, "share_gap": s0})
    print(f"defaults: engagement gap {e0:+.3f}, share gap {s0:+.3f}", file=sys.stderr, flush=True)
    for path, lo, hi in checked_ranges(tuple(args.prefix)):
        for value in (lo, hi):
            ov = {**CONTEXT.get(path, {}), path: value}
            e, s = gaps(ov, seeds, args.customers, args.days, args.start)
            rows.append({"parameter": path, "value": value, "engagement_gap": e, "share_gap": s})
            print(
                f"{path} = {value}: engagement gap {e:+.3f}, share gap {s:+.3f}",
                file=sys.stderr,
                flush=True,
            )
    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, index=False, float_format="%.4f")
    flips = df[
        (np.sign(df["engagement_gap"]) != np.sign(e0)) | (np.sign(df["share_gap"]) != np.sign(s0))
    ]
    print(f"{len(df) - 1} settings checked; sign differs from the defaults in {len(flips)}:")
    print(flips.to_string(index=False) if len(flips) else "(none)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
