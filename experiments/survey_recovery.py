"""Can a survey find the model's true drivers? Recovery against sample size and
instrument length, linear vs triangular detection, and the unit-level
engagement-loyalty correlation (docs/surveys.md).

    PYTHONPATH=. python -m experiments.survey_recovery --out docs/figures

Each replication runs a market once; many surveys are then drawn from the same
state with independent survey seeds (the survey has its own random stream), so
the cost is a few model runs.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_scenario
from sim.instruments import INSTRUMENTS, load_instrument
from sim.rng import replication_seeds
from sim.surveys import (
    WorkloadMemory,
    analyse,
    customer_latents,
    draw,
    employee_latents,
    scale_scores,
    shortened,
    survey_rng,
    unit_engagement_loyalty_correlation,
)

ROOT = Path(__file__).resolve().parents[1]
POPS = (("employees", "engagement"), ("customers", "intent_to_return"))
STANDARD = "standard (2-4 items per construct)"


def market_state(customers: int, structure, seed: int, days: int):
    """A market run for ``days`` days; returns the model and its workload memory."""
    from sim.model import ServiceProfitChainModel

    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml", {"customers.count": customers})
    model = ServiceProfitChainModel(scenario, structure=structure, seed=seed)
    memory = WorkloadMemory(model)
    for _ in range(days):
        model.step()
        memory.update(model)
    return model, memory


def instruments() -> dict:
    std = load_instrument(INSTRUMENTS / "standard.toml")
    return {
        STANDARD: std,
        "two items per construct": shortened(std, 2),
        "single item per construct": shortened(std, 1),
        "brief (5 items in all)": load_instrument(INSTRUMENTS / "brief.toml"),
    }


def recovery_study(
    respondents=(25, 50, 100, 200, 400),
    replications: int = 3,
    draws: int = 10,
    customers: int = 40_000,
    days: int = 150,
    structures=("linear", "triangular"),
    seed: int = 7,
    firms=None,
) -> pd.DataFrame:
    """One row per (structure, replication, instrument, population, respondents, draw);
    and the true drivers of each market state (one row per structure, replication,
    population and construct)."""
    rows, truths = [], []
    insts = instruments()
    for structure in structures:
        for rep, s in enumerate(replication_seeds(seed, replications)):
            model, memory = market_state(customers, structure, s, days)
            lat = {
                "employees": employee_latents(model, firms, memory),
                "customers": customer_latents(model, firms),
            }
            for pop, outcome in POPS:
                t = draw(lat[pop], insts[STANDARD].part(pop), outcome, 1, survey_rng(0, 0, pop))
                truths.append(t.drivers.assign(structure=structure, replication=rep))
            for name, inst in insts.items():
                for pop, outcome in POPS:
                    part = inst.part(pop)
                    for n in respondents:
                        sampled = math.ceil(n / part.response.rate)
                        for d in range(draws):
                            rng = survey_rng(s + 1000 * d + n, d, pop)
                            ps = draw(lat[pop], part, outcome, sampled, rng)
                            a = analyse(ps.responses, part, outcome, ps.drivers, bootstrap=0)
                            rows.append(
                                {
                                    "structure": structure,
                                    "replication": rep,
                                    "instrument": name,
                                    "population": pop,
                                    "target_respondents": n,
                                    "respondents": len(ps.responses),
                                    "draw": d,
                                    "recovered": bool(a["recovered"]),
                                    "top_k": a.get("top_k", 0.0),
                                    "top1": bool(a.get("top1", False)),
                                    "spearman": a.get("spearman", np.nan),
                                    "k": a.get("k"),
                                }
                            )
    return pd.DataFrame(rows), pd.concat(truths, ignore_index=True)


def structure_detection(
    respondents=(25, 50, 100, 200, 400),
    replications: int = 3,
    draws: int = 20,
    customers: int = 40_000,
    days: int = 150,
    seed: int = 7,
) -> pd.DataFrame:
    """Focal-firm surveys under linear and triangular (paired seeds): how often a Welch
    t-test on each scale score tells them apart (p < 0.05), by respondents per arm."""
    from scipy import stats

    inst = load_instrument(INSTRUMENTS / "standard.toml")
    rows = []
    for rep, s in enumerate(replication_seeds(seed, replications)):
        lat = {}
        for structure in ("linear", "triangular"):
            model, memory = market_state(customers, structure, s, days)
            lat[structure] = {
                "employees": employee_latents(model, [0], memory),
                "customers": customer_latents(model, [0]),
            }
        for pop, outcome in POPS:
            part = inst.part(pop)
            for n in respondents:
                sampled = math.ceil(n / part.response.rate)
                for d in range(draws):
                    scores = {}
                    for j, structure in enumerate(("linear", "triangular")):
                        rng = survey_rng(s + 7919 * d + n, 2 * d + j, pop)
                        frame = len(lat[structure][pop].ids)
                        ps = draw(lat[structure][pop], part, outcome, min(sampled, frame), rng)
                        scores[structure] = scale_scores(ps.responses, part)
                    for c in part.constructs():
                        a = scores["linear"][c].dropna()
                        b = scores["triangular"][c].dropna()
                        if len(a) < 3 or len(b) < 3 or (a.std() == 0 and b.std() == 0):
                            continue
                        p = stats.ttest_ind(b, a, equal_var=False).pvalue
                        rows.append(
                            {
                                "replication": rep,
                                "population": pop,
                                "construct": c,
                                "target_respondents": n,
                                "draw": d,
                                "difference": float(b.mean() - a.mean()),
                                "detected": bool(p < 0.05),
                            }
                        )
    return pd.DataFrame(rows)


def forward_keyed(instrument, items_per_construct: int = 2):
    """The customer scales cut to their first ``items_per_construct`` forward-keyed items:
    as long as the balanced cut, but yea-saying no longer cancels in the scale score."""
    from sim.instruments import Instrument

    data = instrument.model_dump()
    seen: dict[str, int] = {}
    keep = []
    for it in data["customers"]["items"]:
        c = it["construct"]
        if not it["reverse"] and seen.get(c, 0) < items_per_construct:
            keep.append(it)
            seen[c] = seen.get(c, 0) + 1
    data["customers"]["items"] = keep
    data["meta"]["name"] = f"{instrument.meta.name}-forward-keyed"
    return Instrument.model_validate(data)


def intent_diagnosis(
    respondents=(100, 200, 400, 800),
    draws: int = 20,
    customers: int = 40_000,
    days: int = 150,
    seed: int = 21,
) -> tuple[pd.DataFrame, dict]:
    """Why surveys missed the drivers of intent to return (docs/surveys.md): recovery of
    the driver set with two items per construct, balanced or forward-keyed only, analysed
    with every construct in one regression or at intent's own stage; one linear market
    (the seed of tests/test_surveys.py's big market) and ``draws`` surveys per cell. Also
    the LMG of the latent values over the whole market (no error, no sampling)."""
    from sim.drivers import lmg_from_corr

    model, _ = market_state(customers, "linear", seed, days)
    lat = customer_latents(model)
    std = load_instrument(INSTRUMENTS / "standard.toml")
    variants = {"balanced": shortened(std, 2), "forward-keyed": forward_keyed(std)}
    rows = []
    for keying, inst in variants.items():
        part = inst.customers
        for n in respondents:
            for d in range(draws):
                ps = draw(
                    lat,
                    part,
                    "intent_to_return",
                    math.ceil(n / part.response.rate),
                    survey_rng(100 + d, d, "customers"),
                )
                for staged in (False, True):
                    a = analyse(
                        ps.responses,
                        part,
                        "intent_to_return",
                        ps.drivers,
                        bootstrap=0,
                        staged=staged,
                    )
                    rows.append(
                        {
                            "keying": keying,
                            "analysis": "own stage" if staged else "all constructs",
                            "target_respondents": n,
                            "respondents": a["n"],
                            "draw": d,
                            "recovered": bool(a["recovered"]),
                            "top1": bool(a.get("top1", False)),
                        }
                    )
    cols = ["intent_to_return", "satisfaction", "quality", "relationship", "alternatives"]
    values = lat.values[cols].to_numpy()
    latent = dict(zip(cols[1:], lmg_from_corr(np.corrcoef(values.T)).tolist(), strict=True))
    below = float((lat.values["satisfaction"] < model.config.customers.tolerance).mean())
    truth = draw(lat, std.customers, "intent_to_return", 1, survey_rng(0, 0, "c")).drivers
    facts = {
        "latent_lmg_all_constructs": latent,
        "below_tolerance_share": below,
        "true_importance": truth.set_index("construct")["importance"].to_dict(),
        "true_share": truth.set_index("construct")["share"].to_dict(),
        "logit_vs_probability_r": float(
            np.corrcoef(
                lat.values["intent_to_return"],
                np.log(lat.values["intent_to_return"] / (1 - lat.values["intent_to_return"])),
            )[0, 1]
        ),
    }
    return pd.DataFrame(rows), facts


def figure(study: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(14, 4.4), constrained_layout=True, sharey=True)
    colours = dict(zip(instruments(), ("#1b9e77", "#66a61e", "#7570b3", "#d95f02"), strict=True))
    styles = {"linear": "-", "triangular": "--"}
    for ax, (pop, outcome) in zip(axes, POPS, strict=True):
        d = study[study["population"] == pop]
        g = d.groupby(["instrument", "structure", "target_respondents"])
        rate = g["recovered"].mean().reset_index()
        for (inst, structure), r in rate.groupby(["instrument", "structure"]):
            ax.plot(
                r["target_respondents"],
                r["recovered"],
                styles[structure],
                marker="o",
                color=colours[inst],
                label=f"{inst}, {structure}",
            )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks([25, 50, 100, 200, 400], ["25", "50", "100", "200", "400"])
        ax.set_xlabel("respondents")
        ax.set_title(f"{pop}: true drivers of {outcome} recovered")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of surveys that recover the driver set")
    axes[1].legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/figures")
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--markets", type=int, default=30)
    ap.add_argument("--redraw", action="store_true", help="only redraw the figure from the CSV")
    ap.add_argument("--diagnose", action="store_true", help="only the intent-to-return diagnosis")
    args = ap.parse_args()
    out = Path(args.out)
    table = out / "survey_recovery.csv"
    if args.redraw:
        figure(pd.read_csv(table), out / "survey_recovery.png")
        return
    out.mkdir(parents=True, exist_ok=True)
    diag, facts = intent_diagnosis()
    diag.to_csv(out / "survey_intent_diagnosis.csv", index=False)
    print(
        diag.groupby(["keying", "analysis", "target_respondents"])[["recovered", "top1"]]
        .sum()
        .unstack("target_respondents")
        .to_string()
    )
    text = json.dumps(facts, indent=1)
    (out / "survey_intent_diagnosis.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.diagnose:
        return
    study, truth = recovery_study(replications=args.replications, draws=args.draws)
    out.mkdir(parents=True, exist_ok=True)
    study.to_csv(table, index=False)
    truth.to_csv(out / "survey_true_drivers.csv", index=False)
    shares = truth[truth["surveyable"]].pivot_table(
        index=["outcome", "construct"], columns="structure", values="share", aggfunc=["min", "max"]
    )
    print(shares.round(3).to_string())
    figure(study, out / "survey_recovery.png")
    summary = (
        study.groupby(["population", "instrument", "structure", "target_respondents"])
        .agg(
            respondents=("respondents", "mean"),
            recovered=("recovered", "mean"),
            top1=("top1", "mean"),
            spearman=("spearman", "mean"),
        )
        .round(2)
    )
    print(summary.to_string())
    det = structure_detection(replications=args.replications, draws=args.draws)
    det.to_csv(out / "survey_structure_detection.csv", index=False)
    dsum = (
        det.groupby(["population", "construct", "target_respondents"])
        .agg(difference=("difference", "mean"), detected=("detected", "mean"))
        .round(2)
        .unstack("target_respondents")
    )
    print(dsum.to_string())
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    corr = unit_engagement_loyalty_correlation(scenario, markets=args.markets, seed=11)
    units = corr.pop("table")
    corr["unit_means"] = {
        "employees_answered": float(units["employees_answered"].mean()),
        "customers_answered": float(units["customers_answered"].mean()),
        "engagement_latent_sd": float(units["engagement_latent"].std()),
        "loyalty_latent_sd": float(units["loyalty_latent"].std()),
    }
    text = json.dumps(corr, indent=1, default=str)
    (out / "survey_unit_correlation.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
