"""``spc survey`` and ``spc drivers``: simulated surveys and their key-driver analysis.

``spc survey SCENARIO`` runs the model and surveys employees and customers at one
day or several waves, writing respondent-level answers, the true latent values of
everyone sampled, the model's true drivers, the instrument and provenance to a
folder. ``spc drivers FOLDER`` reads such a folder (or field data laid out the
same way, without the truth files), reports scale reliability, ranked key drivers
with bootstrap intervals and NPS, and sets the true ranking beside them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .argtypes import positive_int, seed
from .config import ScenarioError

POPULATIONS = (("employees", "engagement"), ("customers", "intent_to_return"))


def _day_list(text: str) -> list[int]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected days separated by commas, e.g. 120,240,365")
    return [positive_int(t) for t in items]


def _firms(text: str) -> list[int] | None:
    if text == "all":
        return None
    try:
        out = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: allowed: all, or firm numbers separated by commas (0 = focal)"
        ) from None
    if not out or min(out) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: firm numbers start at 0")
    return out


def add_survey_parsers(subparsers) -> None:
    from .cli import _structure

    p = subparsers.add_parser(
        "survey",
        help="simulated employee and customer surveys of the model's latent state",
        description="Run the model and survey its employees and customers on one day or "
        "at several waves. Writes employees/customers answers (respondents only), "
        "*_truth files (latent values of everyone sampled), true_drivers.csv, the "
        "instrument and provenance.json to --out.",
    )
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--structure", type=_structure, default="linear", help="focal firm's structure")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--day", type=positive_int, help="survey after D days (default market.days)")
    when.add_argument(
        "--waves", type=_day_list, metavar="D1,D2,...", help="survey after each of these days"
    )
    p.add_argument("--employees", type=positive_int, help="employees sampled (default: all)")
    p.add_argument("--customers", type=positive_int, default=500, help="customers sampled")
    p.add_argument(
        "--firm", type=_firms, default=None, help="firms surveyed: all (default) or e.g. 0"
    )
    p.add_argument("--instrument", help="instrument TOML (default instruments/standard.toml)")
    p.add_argument("--seed", type=seed, help="model root seed (default analysis.seed)")
    p.add_argument("--survey-seed", type=seed, help="seed of the survey draws (default: --seed)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument("--out", help="output folder (default results/<scenario>-survey)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_survey)

    p = subparsers.add_parser(
        "drivers",
        help="key-driver analysis of a survey folder, beside the true drivers",
        description="Scale reliability, key drivers (LMG / Shapley regression and Johnson's "
        "relative weights with bootstrap intervals) of engagement and of intent to return, "
        "NPS, and, for simulated surveys, the model's true ranking beside them.",
    )
    p.add_argument("survey_dir", metavar="SURVEY_DIR", help="folder written by spc survey")
    p.add_argument("--wave", type=int, help="wave to analyse (default: the last)")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples (default 200)")
    p.add_argument("--seed", type=seed, default=1, help="seed of the bootstrap")
    p.add_argument("--plot", help="figure file (default SURVEY_DIR/drivers.png)")
    p.set_defaults(func=cmd_drivers)


def cmd_survey(args) -> int:
    from . import __version__
    from .config import load_scenario, parse_override
    from .instruments import DEFAULT_INSTRUMENT, load_instrument
    from .outputs import check_output
    from .surveys import run_survey, write_survey

    overrides = dict(parse_override(item) for item in (args.set or []))
    scenario = load_scenario(args.scenario, overrides)
    inst_path = Path(args.instrument) if args.instrument else DEFAULT_INSTRUMENT
    instrument = load_instrument(inst_path)
    days = args.waves or [args.day or scenario.market.days]
    if args.firm is not None and max(args.firm) >= scenario.market.firms:
        raise ScenarioError(
            [
                f"--firm {max(args.firm)}: the market has {scenario.market.firms} firms; "
                f"allowed: 0 to {scenario.market.firms - 1} or all"
            ]
        )
    out = Path(args.out) if args.out else Path("results") / f"{Path(args.scenario).stem}-survey"
    check_output(out, folder=True)
    model_seed = scenario.analysis.seed if args.seed is None else args.seed
    survey_seed = model_seed if args.survey_seed is None else args.survey_seed
    waves, _ = run_survey(
        scenario,
        instrument,
        structure=args.structure,
        seed=model_seed,
        days=days,
        survey_seed=survey_seed,
        employees=args.employees,
        customers=args.customers,
        firms=args.firm,
        progress=not args.quiet,
    )
    notes = sorted({n for w in waves for ps in (w.employees, w.customers) if ps for n in ps.notes})
    prov = {
        "version": __version__,
        "scenario": scenario.meta.name,
        "scenario_file": str(args.scenario),
        "scenario_hash": scenario.digest(),
        "structure": str(args.structure),
        "seed": model_seed,
        "survey_seed": survey_seed,
        "days": days,
        "firms": "all" if args.firm is None else args.firm,
        "instrument": instrument.meta.name,
        "instrument_file": str(inst_path),
        "instrument_hash": instrument.digest(),
        "sampled": {
            pop: [len(getattr(w, pop).truth) if getattr(w, pop) else 0 for w in waves]
            for pop in ("employees", "customers")
        },
        "respondents": {
            pop: [len(getattr(w, pop).responses) if getattr(w, pop) else 0 for w in waves]
            for pop in ("employees", "customers")
        },
        "notes": notes,
        "parameters": scenario.model_dump(mode="json"),
    }
    write_survey(out, waves, inst_path.read_text(encoding="utf-8"), prov, args.format)
    for w in waves:
        parts = []
        for pop in ("employees", "customers"):
            ps = getattr(w, pop)
            if ps is not None:
                parts.append(f"{len(ps.responses)} of {len(ps.truth)} {pop} responded")
        print(f"wave {w.wave} (day {w.day}): " + ", ".join(parts))
    for n in notes:
        print(f"note: {n}")
    print(f"wrote {out}/")
    return 0


# ------------------------------------------------------------------ drivers
def _read(folder: Path, stem: str) -> pd.DataFrame | None:
    for ext, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = folder / f"{stem}{ext}"
        if path.is_file():
            return reader(path)
    return None


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3f}"


def cmd_drivers(args) -> int:
    from .instruments import load_instrument
    from .surveys import analyse, nps, reliability

    folder = Path(args.survey_dir)
    if not folder.is_dir():
        raise ScenarioError([f"{folder}: no such survey folder (written by spc survey)"])
    if not (folder / "instrument.toml").is_file():
        raise ScenarioError([f"{folder}: no instrument.toml; not a survey folder"])
    if args.bootstrap < 0:
        raise ScenarioError([f"--bootstrap {args.bootstrap}: allowed: 0 or more resamples"])
    instrument = load_instrument(folder / "instrument.toml")
    truth_all = (
        pd.read_csv(folder / "true_drivers.csv")
        if (folder / "true_drivers.csv").is_file()
        else None
    )
    rng = np.random.default_rng(args.seed)
    results = {}
    for pop, outcome in POPULATIONS:
        data = _read(folder, pop)
        if data is None:
            continue
        waves = sorted(data["wave"].unique()) if "wave" in data else [0]
        wave = waves[-1] if args.wave is None else args.wave
        if wave not in waves:
            raise ScenarioError([f"--wave {wave}: {pop} waves in {folder} are {waves}"])
        resp = data[data["wave"] == wave] if "wave" in data else data
        part = instrument.part(pop)
        truth = None
        if truth_all is not None:
            t = truth_all[(truth_all["population"] == pop) & (truth_all["wave"] == wave)]
            truth = t if len(t) else None
        day = int(resp["day"].iloc[0]) if "day" in resp and len(resp) else None
        print(
            f"\n== {pop} survey, wave {wave}"
            + (f" (day {day})" if day is not None else "")
            + f": {len(resp)} respondents, instrument {instrument.meta.name!r}"
        )
        rel = reliability(resp, part)
        if len(rel):
            print("scale reliability: construct, items, Cronbach's alpha, lowest item-total r")
            for c, g in rel.groupby("construct", sort=False):
                print(
                    f"  {c:20s} {len(g):2d}  alpha {_fmt(g['alpha'].iloc[0]):>6}  "
                    f"item-total {_fmt(g['item_total_r'].min()):>6}"
                )
        a = analyse(resp, part, outcome, truth, bootstrap=args.bootstrap, rng=rng)
        results[pop] = a
        if "error" in a:
            print(f"key drivers of {outcome}: not estimable: {a['error']}")
        else:
            _print_drivers(a, args.bootstrap)
            _print_next_stage(resp, part, a, args.bootstrap, rng)
        if pop == "customers":
            score = nps(resp, part)
            if score:
                print(
                    f"NPS {score['nps']:+.0f} (promoters {score['promoters']:.0%}, passives "
                    f"{score['passives']:.0%}, detractors {score['detractors']:.0%}; "
                    f"n = {score['n']})"
                )
    if not results:
        raise ScenarioError([f"{folder}: no employees or customers answers found"])
    plot = Path(args.plot) if args.plot else folder / "drivers.png"
    _plot(results, plot)
    print(f"\nwrote {plot}")
    return 0


def _print_drivers(a: dict, bootstrap: int) -> None:
    t = a["table"].sort_values("lmg", ascending=False)
    has_truth = "true_rank" in t
    print(
        f"key drivers of {a['outcome']} (R² = {a['r2']:.3f}; LMG = Shapley regression, "
        f"with 95 % bootstrap interval over {bootstrap} resamples; RW = relative weights):"
    )
    head = f"  {'rank':>4} {'driver':20s} {'LMG':>6} {'interval':>16} {'share':>6} {'RW':>6} dir"
    if has_truth:
        head += "  | true rank  true share"
    print(head)
    for i, (name, r) in enumerate(t.iterrows(), 1):
        ci = f"[{_fmt(r['lmg_low'])}, {_fmt(r['lmg_high'])}]" if "lmg_low" in r else ""
        line = (
            f"  {i:>4} {name:20s} {_fmt(r['lmg']):>6} {ci:>16} {r['lmg_share']:>6.0%} "
            f"{_fmt(r['relative_weights']):>6} {'+' if r['direction'] > 0 else '-'}"
        )
        if has_truth:
            tr = r.get("true_rank")
            if isinstance(tr, float) and math.isnan(tr):
                line += "  |         -"
            else:
                line += f"  | {int(tr):>9d}  {r['share']:>10.0%}"
        print(line)
    if a.get("upstream"):
        by: dict[str, list[str]] = {}
        for c, mediator in a["upstream"].items():
            by.setdefault(mediator, []).append(c)
        for mediator, causes in by.items():
            print(
                f"  not beside {mediator}: {', '.join(causes)} act through it "
                f"(drivers of {mediator}, not of {a['outcome']} directly)"
            )
    if "truth" in a:
        truth = a["truth"]
        k = a["k"]
        true_top = a["true"][:k]
        missing = [c for c in a["true"] if c not in a["drivers"] and truth.loc[c, "share"] > 0]
        print(f"true drivers (each >= 5 % of the true importance): {', '.join(true_top)}")
        print(
            f"  found among the survey's top {k}: {a['top_k'] * k:.0f}/{k} -> "
            f"{'recovered' if a['recovered'] else 'NOT recovered'}; top driver "
            f"{'right' if a.get('top1') else 'wrong'}; rank agreement (Spearman) "
            f"{_fmt(a.get('spearman'))}"
        )
        if missing:
            print(f"  not measured by this instrument: {', '.join(missing)}")


def _print_next_stage(resp, part, a: dict, bootstrap: int, rng) -> None:
    """The staged analysis' next link: the constructs left out of the outcome's
    regression as drivers of the mediator they act through (no model truth here: the
    model keeps no per-customer record of what its satisfaction was built from)."""
    from .drivers import DriverAnalysisError, key_drivers
    from .surveys import scale_scores

    by: dict[str, list[str]] = {}
    for c, mediator in a.get("upstream", {}).items():
        by.setdefault(mediator, []).append(c)
    if not by:
        return
    scores = scale_scores(resp, part)
    for mediator, causes in by.items():
        try:
            res = key_drivers(scores, mediator, causes, bootstrap=bootstrap, rng=rng)
        except DriverAnalysisError as exc:
            print(f"key drivers of {mediator}: not estimable: {exc}")
            continue
        print(f"key drivers of {mediator} (R² = {res.r2:.3f}; the chain's previous link):")
        for i, (name, r) in enumerate(res.table.sort_values("lmg", ascending=False).iterrows()):
            ci = f"[{_fmt(r['lmg_low'])}, {_fmt(r['lmg_high'])}]" if "lmg_low" in r else ""
            print(
                f"  {i + 1:>4} {name:20s} {_fmt(r['lmg']):>6} {ci:>16} "
                f"{r['lmg_share']:>6.0%} {'+' if r['direction'] > 0 else '-'}"
            )


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import _atomic_write

    panels = [(pop, a) for pop, a in results.items() if "table" in a]
    fig, axes = plt.subplots(
        1,
        max(len(panels), 1),
        figsize=(6.5 * max(len(panels), 1), 4.5),
        constrained_layout=True,
        squeeze=False,
    )
    for ax, (pop, a) in zip(axes[0], panels, strict=False):
        t = a["table"].sort_values("lmg")
        y = np.arange(len(t))
        r2 = a["r2"] if a["r2"] > 0 else 1.0
        share = t["lmg"] / r2
        ax.barh(y, share, color="#7570b3", alpha=0.8, label="survey: LMG share of R²")
        if "lmg_low" in t:
            # a percentile interval need not contain the estimate: clip the bars at it
            lo = np.clip(share - t["lmg_low"] / r2, 0, None)
            hi = np.clip(t["lmg_high"] / r2 - share, 0, None)
            ax.errorbar(
                share,
                y,
                xerr=[lo, hi],
                fmt="none",
                ecolor="black",
                lw=1,
                capsize=2,
                label="95 % bootstrap",
            )
        if "share" in t:
            ax.scatter(
                t["share"], y, marker="D", color="#d95f02", zorder=3, label="model: true share"
            )
        ax.set_yticks(y, t.index)
        ax.set_xlabel("share of importance")
        ax.set_title(f"{pop}: drivers of {a['outcome']} (n = {a['n']})")
        ax.grid(alpha=0.3, axis="x")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    _atomic_write(
        path, lambda p: fig.savefig(p, dpi=110, format="png", metadata={"Software": None})
    )
    plt.close(fig)
