"""``spc report DIR``: PNG figures and a Markdown report of a stored study.

Every figure comes with a one-line reading computed from the numbers it shows.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..report import _atomic_write
from .analysis import StudyAnalysis, analyse, case_of_interest, provenance_line

TRI, LIN = "#1b9e77", "#d95f02"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    plt = _plt()
    _atomic_write(
        path, lambda p: fig.savefig(p, dpi=100, format="png", metadata={"Software": None})
    )
    plt.close(fig)


def _f(x: float, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def write_report(store_dir: str | Path, out: str | Path | None = None) -> Path:
    """Analyse the study in ``store_dir`` and write ``report.md`` and figures to ``out``
    (default ``store_dir/_report``); returns the report's path."""
    res = analyse(store_dir)
    out = Path(out) if out is not None else Path(store_dir) / "_report"
    out.mkdir(parents=True, exist_ok=True)
    exp = res.experiment
    lines = [f"# Study `{exp['name']}`", ""]
    c = res.counts
    lines += [
        f"Design **{exp['design']}**"
        + (f" (n = {exp['n']})" if exp.get("n") else "")
        + f", {c['points']} points x {exp['replications']} replications"
        + (
            ""
            if exp.get("model")
            else " x 2 structures (linear, triangular; paired on common random numbers)"
        )
        + f" = {c['planned_runs']} runs: {c['succeeded']} succeeded, {c['failed']} failed, "
        f"{c['missing']} not run yet.",
        "",
        f"Provenance: {provenance_line(res.provenance)}.",
        "",
    ]
    if exp.get("model"):
        lines += [f"Model: `{exp['model']}`.", ""]
    else:
        lines += [
            f"Days per run: {exp['days']}; outcomes measured on the focal firm after the "
            "warm-up. *Difference* = triangular - linear.",
            "",
        ]
    if res.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in res.notes] + [""]
    lines += _outcome_table(res)
    lines += _noise_section(res)
    for o in res.outcomes:
        lines += _sobol_section(res, o, out)
        lines += _morris_section(res, o, out)
    lines += _heatmaps(res, out)
    lines += _convergence_section(res, out)
    for o in res.prim:
        lines += _prim_section(res, o, out)
    path = out / "report.md"
    _atomic_write(path, lambda p: p.write_text("\n".join(lines) + "\n"))
    return path


# --------------------------------------------------------------------- sections
def _outcome_table(res: StudyAnalysis) -> list[str]:
    pts = res.points
    if res.experiment.get("model"):
        rows = ["| outcome | mean over points | min | max |", "|---|---:|---:|---:|"]
        for o in res.outcomes:
            x = pts[o]
            rows.append(f"| {o} | {_f(x.mean())} | {_f(x.min())} | {_f(x.max())} |")
        return ["## Outcomes", "", *rows, ""]
    rows = [
        "| outcome | linear | triangular | difference (mean over points) | range over points |"
        " points where triangular is better |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    from .spec import LOWER_IS_BETTER

    for o in res.outcomes:
        d = pts[f"{o}.diff"]
        better = (d < 0) if o in LOWER_IS_BETTER else (d > 0)
        rows.append(
            f"| {o} | {_f(pts[f'{o}.linear'].mean())} | {_f(pts[f'{o}.triangular'].mean())} | "
            f"{_f(d.mean())} | [{_f(d.min())}, {_f(d.max())}] | "
            f"{better.sum()} of {d.notna().sum()} |"
        )
    return ["## Outcomes", "", *rows, ""]


def _noise_section(res: StudyAnalysis) -> list[str]:
    if res.noise is None or res.noise["replications"].max() < 2 or res.counts["points"] < 2:
        return []  # one point: all variance is seed noise; the convergence figure shows it
    rows = [
        "| analysed | variance over all runs | within points (seed noise) | seed-noise share |",
        "|---|---:|---:|---:|",
    ]
    for r in res.noise.itertuples():
        rows.append(
            f"| {r.column} | {_f(r.total_var)} | {_f(r.within_point_var)} | "
            f"{_f(r.seed_noise_share, 2)} |"
        )
    top = res.noise.sort_values("seed_noise_share").iloc[-1]
    return [
        "## How much is seed noise",
        "",
        *rows,
        "",
        f"Reading: for {top.column}, {100 * top.seed_noise_share:.0f} % of the run-to-run "
        "variance is between replications of the same point, not between points.",
        "",
    ]


def _sobol_section(res: StudyAnalysis, o: str, out: Path) -> list[str]:
    df = res.sobol.get(o)
    if df is None:
        return []
    plt = _plt()
    df = df.sort_values("ST")
    fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(df) + 1.6), constrained_layout=True)
    y = np.arange(len(df))
    ax.barh(y + 0.2, df["ST"], 0.4, xerr=df["ST_conf"], color="#7570b3", label="total (ST)")
    ax.barh(y - 0.2, df["S1"], 0.4, xerr=df["S1_conf"], color="#66a61e", label="first order (S1)")
    ax.set_yticks(y, df["factor"], fontsize=8)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel(f"Sobol index of {res.target_columns[o]} (95 % CI)")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    name = f"sobol_{o}.png"
    _save(fig, out / name)
    top = df.iloc[::-1]
    lead = top.iloc[0]
    small = top[top["ST"] - top["ST_conf"] <= 0.01]
    reading = (
        f"{lead.factor} drives {res.target_columns[o]} most (ST {_f(lead.ST, 2)} +/- "
        f"{_f(lead.ST_conf, 2)}, S1 {_f(lead.S1, 2)}); {len(small)} of {len(df)} factors have "
        "a total index indistinguishable from zero"
    )
    interact = float(df["ST"].sum() - df["S1"].sum())
    table = ["| factor | S1 | +/- | ST | +/- |", "|---|---:|---:|---:|---:|"] + [
        f"| {r.factor} | {_f(r.S1, 2)} | {_f(r.S1_conf, 2)} | {_f(r.ST, 2)} | {_f(r.ST_conf, 2)} |"
        for r in top.itertuples()
    ]
    return [
        f"## Sobol indices: {res.target_columns[o]}",
        "",
        f"![Sobol {o}]({name})",
        "",
        f"Reading: {reading}; sum ST - sum S1 = {_f(interact, 2)} (interactions).",
        "",
        *table,
        "",
    ]


def _morris_section(res: StudyAnalysis, o: str, out: Path) -> list[str]:
    df = res.morris.get(o)
    if df is None:
        return []
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 5), constrained_layout=True)
    ax.errorbar(df["mu_star"], df["sigma"], xerr=df["mu_star_conf"], fmt="o", color="#7570b3")
    for r in df.itertuples():
        ax.annotate(
            r.factor, (r.mu_star, r.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    lim = max(df["mu_star"].max(), df["sigma"].max()) * 1.1 or 1
    ax.plot([0, lim], [0, lim], color="grey", lw=0.6, ls=":")
    ax.set_xlabel("mu* (mean |elementary effect|, per unit of the factor's range)")
    ax.set_ylabel("sigma (spread: interactions / non-linearity)")
    ax.set_title(f"Morris screening: {res.target_columns[o]}")
    ax.grid(alpha=0.3)
    name = f"morris_{o}.png"
    _save(fig, out / name)
    top = df.sort_values("mu_star").iloc[-1]
    weak = df[df["mu_star"] < 0.1 * df["mu_star"].max()]
    reading = (
        f"{top.factor} has the largest effect on {res.target_columns[o]} (mu* {_f(top.mu_star)}"
        f", sigma {_f(top.sigma)}); {len(weak)} of {len(df)} factors have mu* below a tenth of "
        "it and can be fixed in later studies"
    )
    return [
        f"## Morris screening: {res.target_columns[o]}",
        "",
        f"![Morris {o}]({name})",
        "",
        f"Reading: {reading}.",
        "",
    ]


def _heatmap_pairs(res: StudyAnalysis) -> list[tuple[str, str]]:
    pts = res.points
    numeric = [
        f for f in res.factors if pd.api.types.is_numeric_dtype(pts[f]) and pts[f].nunique() > 1
    ]
    explicit = res.experiment.get("analysis", {}).get("heatmap")
    if explicit:
        return [tuple(p) for p in explicit if all(f in numeric for f in p)]
    if len(numeric) < 2:
        return []
    o = res.outcomes[0]
    if o in res.sobol:
        ranked = res.sobol[o].sort_values("ST", ascending=False)["factor"].tolist()
        numeric = [f for f in ranked if f in numeric] or numeric
    elif o in res.morris:
        ranked = res.morris[o].sort_values("mu_star", ascending=False)["factor"].tolist()
        numeric = [f for f in ranked if f in numeric] or numeric
    return list(itertools.combinations(numeric[:3], 2))


def _grid(pts: pd.DataFrame, f: str, bins: int = 6) -> pd.Series:
    if pts[f].nunique() <= 12:
        return pts[f]
    edges = np.unique(np.quantile(pts[f], np.linspace(0, 1, bins + 1)))
    mids = (edges[:-1] + edges[1:]) / 2
    return pd.Series(
        mids[np.clip(np.searchsorted(edges, pts[f], side="right") - 1, 0, len(mids) - 1)],
        index=pts.index,
    )


def _heatmaps(res: StudyAnalysis, out: Path) -> list[str]:
    if res.experiment.get("model"):
        return []
    pairs = _heatmap_pairs(res)
    if not pairs:
        return []
    plt = _plt()
    lines = ["## Where does linear start to win?", ""]
    for fx, fy in pairs:
        fig, axes = plt.subplots(
            1,
            len(res.outcomes),
            figsize=(5 * len(res.outcomes), 4.2),
            constrained_layout=True,
            squeeze=False,
        )
        readings = []
        for ax, o in zip(axes[0], res.outcomes, strict=True):
            col = f"{o}.diff"
            g = pd.DataFrame(
                {"x": _grid(res.points, fx), "y": _grid(res.points, fy), "d": res.points[col]}
            )
            table = g.pivot_table(index="y", columns="x", values="d", aggfunc="mean")
            vmax = float(np.nanmax(np.abs(table.to_numpy()))) or 1.0
            ax.set_facecolor("#9a9a9a")  # cells without a point are not drawn: grey shows
            im = ax.pcolormesh(
                table.columns,
                table.index,
                np.ma.masked_invalid(table.to_numpy()),
                cmap="PuOr",
                vmin=-vmax,
                vmax=vmax,
                shading="nearest",
            )
            if table.shape[0] > 1 and table.shape[1] > 1:
                z = table.to_numpy()
                if np.nanmin(z) < 0 < np.nanmax(z):
                    ax.contour(
                        table.columns, table.index, z, levels=[0], colors="k", linewidths=1.5
                    )
            fig.colorbar(im, ax=ax, label=f"{o}: triangular - linear")
            ax.set_xlabel(fx)
            ax.set_ylabel(fy)
            ax.set_title(o, fontsize=10)
            from .spec import LOWER_IS_BETTER

            z = table.to_numpy()
            lin_wins = (z > 0) if o in LOWER_IS_BETTER else (z < 0)
            readings.append(
                f"{o}: linear matches or beats triangular in "
                f"{int(lin_wins.sum())} of {int(np.isfinite(z).sum())} cells"
            )
        name = f"heatmap_{_slug(fx)}__{_slug(fy)}.png"
        _save(fig, out / name)
        lines += [
            f"![{fx} x {fy}]({name})",
            "",
            f"Reading ({fy} against {fx}, mean over the other factors; black line: zero "
            f"difference; grey: no point): {'; '.join(readings)}.",
            "",
        ]
    return lines


def _convergence_section(res: StudyAnalysis, out: Path) -> list[str]:
    conv = {o: c for o, c in res.convergence.items() if len(c) >= 2}
    if not conv:
        return []
    plt = _plt()
    fig, axes = plt.subplots(
        1, len(conv), figsize=(5 * len(conv), 3.8), constrained_layout=True, squeeze=False
    )
    readings = []
    for ax, (o, c) in zip(axes[0], conv.items(), strict=True):
        ax.plot(c["replications"], c["mean"], color="#7570b3")
        ax.fill_between(c["replications"], c["ci_low"], c["ci_high"], color="#7570b3", alpha=0.25)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xlabel("replications")
        ax.set_ylabel(res.target_columns[o])
        ax.set_title(o, fontsize=10)
        ax.grid(alpha=0.3)
        last = c.iloc[-1]
        # the first R from which the CI excludes zero at every later R
        stable = None
        for k in range(len(c)):
            tail = c.iloc[k:]
            if ((tail["ci_low"] > 0) | (tail["ci_high"] < 0)).all():
                stable = int(c.iloc[k]["replications"])
                break
        # replications for a 95 % interval of +/- 10 % of the mean: (1.96 sd / 0.1 |m|)^2
        k = int(last["replications"])
        sd = float(last["half_width"]) * math.sqrt(k) / float(stats.t.ppf(0.975, k - 1))
        need = (1.96 * sd / (0.1 * abs(last["mean"]))) ** 2 if last["mean"] else float("inf")
        readings.append(
            f"{o}: mean {_f(last['mean'])} +/- {_f(last['half_width'], 2)} after {k}; "
            + (
                f"sign settled from {stable} replications"
                if stable
                else "the interval still includes zero"
            )
            + (f"; about {math.ceil(need)} for +/- 10 % of the mean" if math.isfinite(need) else "")
        )
    name = "convergence.png"
    _save(fig, out / name)
    return [
        "## Convergence over replications",
        "",
        f"![convergence]({name})",
        "",
        "Point-averaged outcome against the number of replications, with its 95 % "
        "t-interval from the between-replication spread.",
        "",
        "Reading: " + "; ".join(readings) + ".",
        "",
    ]


def _prim_section(res: StudyAnalysis, o: str, out: Path) -> list[str]:
    boxes = res.prim[o]
    query, _ = case_of_interest(
        o, float(res.experiment.get("analysis", {}).get("prim_threshold", 0.0))
    )
    head = [
        f"## Scenario discovery (PRIM): where linear matches or beats triangular on {o}",
        "",
        f"Case of interest: {query} (per point, mean over replications).",
        "",
    ]
    if not boxes:
        return [*head, "No box found; see the notes above.", ""]
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    ax = axes[0]
    t = boxes[0].trajectory
    sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=16)
    ax.scatter(
        [boxes[0].coverage],
        [boxes[0].density],
        s=120,
        facecolors="none",
        edgecolors="r",
        label="chosen box",
    )
    fig.colorbar(sc, ax=ax, label="restricted factors")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title("peeling trajectory (box 1)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    ax = axes[1]
    lim = boxes[0].limits
    dims = list(lim.index[:2])
    numeric = [
        f
        for f in res.factors
        if f in res.points
        and pd.api.types.is_numeric_dtype(res.points[f])
        and res.points[f].nunique() > 1
    ]
    for f in numeric:
        if len(dims) >= 2:
            break
        if f not in dims:
            dims.append(f)
    col = f"{o}.diff"
    pts = res.points[np.isfinite(res.points[col])]
    from .spec import LOWER_IS_BETTER

    thr = float(res.experiment.get("analysis", {}).get("prim_threshold", 0.0))
    case = pts[col] >= -thr if o in LOWER_IS_BETTER else pts[col] <= thr
    if len(dims) == 2:
        ax.scatter(pts[dims[0]], pts[dims[1]], c=np.where(case, LIN, "#bbbbbb"), s=10)
        for i, b in enumerate(boxes):
            lo = [b.limits.loc[d, "low"] if d in b.limits.index else pts[d].min() for d in dims]
            hi = [b.limits.loc[d, "high"] if d in b.limits.index else pts[d].max() for d in dims]
            from matplotlib.patches import Rectangle

            ax.add_patch(
                Rectangle(
                    (lo[0], lo[1]),
                    hi[0] - lo[0],
                    hi[1] - lo[1],
                    fill=False,
                    ec="k",
                    lw=1.6,
                    ls="-" if i == 0 else "--",
                )
            )
        ax.set_xlabel(dims[0])
        ax.set_ylabel(dims[1])
        ax.set_title("points (orange: case of interest) and boxes")
    name = f"prim_{o}.png"
    _save(fig, out / name)
    lines = [*head, f"![PRIM {o}]({name})", ""]
    for i, b in enumerate(boxes, 1):
        lines += [
            f"Box {i}: coverage {_f(b.coverage, 2)}, density {_f(b.density, 2)}, "
            f"mass {_f(b.mass, 2)} (step {b.chosen_step} of {len(b.trajectory) - 1}).",
            "",
            "| factor | low | high |",
            "|---|---:|---:|",
        ]
        lines += [f"| {f} | {_f(r.low)} | {_f(r.high)} |" for f, r in b.limits.iterrows()]
        lines.append("")
    b = boxes[0]
    desc = " and ".join(f"{f} in [{_f(r.low)}, {_f(r.high)}]" for f, r in b.limits.iterrows())
    lines += [
        f"Reading: linear matches or beats triangular mostly where {desc} "
        f"({100 * b.density:.0f} % of the points in this box are such cases, and it "
        f"holds {100 * b.coverage:.0f} % of all of them).",
        "",
    ]
    return lines


def _slug(path: str) -> str:
    return path.replace(".", "_")
