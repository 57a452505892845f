"""Reports: the comparison table, output files with provenance, and the figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .metrics import HEADLINE
from .outputs import atomic_file


def fmt(x: float | None, digits: int = 3) -> str:
    """A figure for a table or a sentence: thousands grouped, fewer decimals as it grows."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def overrides_text(provenance: dict) -> str:
    """``key=value, ...`` of the --set overrides recorded in provenance, or ``none``."""
    over = provenance.get("overrides") or {}
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in over.items()) or "none"


def comparison_table(summary: pd.DataFrame, provenance: dict, metrics=HEADLINE) -> str:
    """Plain-text table: linear mean, triangular mean, paired difference and 95 % CI
    (marked * when it excludes 0)."""
    rows = summary.set_index("metric").loc[list(metrics)]
    head = ("metric", "unit", "linear", "triangular", "tri - lin", "95 % CI")
    body = []
    any_ci = False
    for name, r in rows.iterrows():
        ci = f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]"
        if math.isfinite(r.ci_low) and math.isfinite(r.ci_high):
            any_ci = True
            ci += " *" if r.ci_low > 0 or r.ci_high < 0 else "  "
        else:
            ci = "n/a  "
        body.append(
            (
                name,
                r.unit,
                fmt(r.linear_mean),
                fmt(r.triangular_mean),
                fmt(r.difference),
                ci,
            )
        )
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    align = ["<", "<", ">", ">", ">", ">"]
    line = lambda cells: "  ".join(  # noqa: E731
        f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True)
    ).rstrip()
    p = provenance
    title = (
        f"Scenario {p['scenario']!r} ({p['scenario_hash']}), focal firm {p['focal_firm']}: "
        f"linear vs triangular, {_plural(p['replications'], 'paired replication')} x "
        f"{p['days']} days (measured from day {p['warmup_days']}), seed {p['seed']}, "
        f"competitors {p['competitor_structure']}"
    )
    out = [
        title,
        f"overrides: {overrides_text(p)}",
        "",
        line(head),
        line(["-" * w for w in widths]),
    ]
    out += [line(b) for b in body]
    if any_ci:
        out += ["", "* the 95 % CI of the paired difference (triangular - linear) excludes 0."]
    else:
        out += ["", "95 % CI n/a: an interval needs at least 2 replications."]
    return "\n".join(out)


def _atomic_write(path: Path, write) -> None:
    """Write via a temporary file beside ``path``, so a crash never leaves half a file."""
    with atomic_file(path) as tmp:
        write(tmp)


def write_table(df: pd.DataFrame, path: str | Path, provenance: dict, parameters: dict) -> Path:
    """Parquet (with provenance in the file metadata and as columns) or CSV by extension."""
    path = Path(path)
    df = df.copy()
    for key in ("version", "scenario", "scenario_hash"):
        df[key] = provenance[key]
    if path.suffix.lower() == ".csv":
        _atomic_write(path, lambda p: df.to_csv(p, index=False))
        return path
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"spc.provenance"] = json.dumps(provenance, sort_keys=True).encode()
    meta[b"spc.parameters"] = json.dumps(parameters, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    _atomic_write(path, lambda p: pq.write_table(table, p))
    return path


def read_provenance(path: str | Path) -> tuple[dict, dict]:
    meta = pq.read_schema(path).metadata
    return json.loads(meta[b"spc.provenance"]), json.loads(meta[b"spc.parameters"])


# (metric, panel title, y-axis label, smoothing window in days, y axis from zero?)
PLOT_METRICS = (
    ("engagement_mean", "Staff engagement", "mean engagement (q-units, 0-1)", 7, "unit"),
    ("repeat_visit_rate", "Repeat visits", "share of visits by repeat customers", 7, "unit"),
    ("visit_share", "Market share", "share of all visits in the market", 7, "zero"),
    ("profit", "Profit", "profit (cu per day)", 30, "with-zero"),
    ("return_on_sales", "Return on sales", "profit / revenue", 30, "with-zero"),
    ("turnover_rate", "Staff turnover", "quits per employee per year", 90, "zero"),
)
COLOURS = {"linear": "#d95f02", "triangular": "#1b9e77"}


def _smoothed(focal: pd.DataFrame, structure: str, metric: str, window: int) -> pd.DataFrame:
    """Days x replications, as a trailing ``window``-day mean (return on sales as a
    ratio of sums, like the summaries)."""
    d = focal[focal["structure"] == structure]
    if metric == "return_on_sales":
        profit = d.pivot(index="day", columns="replication", values="profit")
        revenue = d.pivot(index="day", columns="replication", values="revenue")
        p = profit.rolling(window, min_periods=1).sum()
        r = revenue.rolling(window, min_periods=1).sum()
        return p / r.where(r > 0)
    wide = d.pivot(index="day", columns="replication", values=metric)
    return wide.rolling(window, min_periods=1).mean()


def comparison_figure(runs: pd.DataFrame, provenance: dict, path: str | Path, smooth: int = 7):
    """The focal firm over time under both structures, one panel per question a manager
    asks first: mean over replications with a 95 % band, the measurement window shaded.

    ``smooth`` is the moving-average window of the fast-moving panels; profit, return
    on sales use 30 days and turnover (quits are rare events) 90 days.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    p = provenance
    focal = runs[runs["firm"] == p["focal_firm"]]
    warm, days = p["warmup_days"], p["days"]
    with plt.rc_context({"font.size": 11, "axes.titlesize": 12.5, "axes.labelsize": 10.5}):
        fig, axes = plt.subplots(2, 3, figsize=(12.8, 8.0), dpi=100, sharex=True)
        for ax, (metric, title, ylabel, window, yaxis) in zip(axes.flat, PLOT_METRICS, strict=True):
            window = smooth if window == 7 else window
            top = 0.0
            bottom = 0.0
            for structure, colour in COLOURS.items():
                wide = _smoothed(focal, structure, metric, window)
                mean = wide.mean(axis=1)
                n = wide.shape[1]
                se = wide.std(axis=1, ddof=1) / math.sqrt(n) if n > 1 else mean * 0
                lo, hi = mean - 1.96 * se, mean + 1.96 * se
                ax.plot(mean.index, mean, color=colour, lw=2)
                ax.fill_between(mean.index, lo, hi, color=colour, alpha=0.2, lw=0)
                top = max(top, float(hi[mean.index >= warm].max()))
                bottom = min(bottom, float(lo[mean.index >= warm].min()))
            ax.axvspan(0, warm, color="0.85", zorder=0)
            if yaxis == "unit":
                ax.set_ylim(0, 1)
            elif yaxis == "zero":
                ax.set_ylim(0, top * 1.1 if top > 0 else 1)
            else:  # may go negative: keep zero in view and mark it
                span = (top - bottom) or 1.0
                ax.set_ylim(bottom - 0.08 * span, top + 0.08 * span)
                ax.axhline(0, color="0.3", lw=0.8)
            ax.set_xlim(0, days - 1)
            ax.set_title(f"{title} ({window}-day mean)" if window > 1 else title)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
        for ax in axes[1]:
            ax.set_xlabel("day of the simulation")
        handles = [
            plt.Line2D([], [], color=COLOURS["linear"], lw=2.5),
            plt.Line2D([], [], color=COLOURS["triangular"], lw=2.5),
            Patch(color="0.5", alpha=0.35),
            Patch(color="0.85"),
        ]
        labels = [
            "linear: feedback goes through the supervisor",
            "triangular: feedback reaches the employee directly",
            "95 % band of the mean over replications",
            f"warm-up, days 0-{warm - 1}: not measured",
        ]
        fig.legend(
            handles,
            labels,
            loc="upper center",
            ncol=2,
            frameon=False,
            bbox_to_anchor=(0.5, 0.945),
            fontsize=10.5,
        )
        fig.suptitle(
            f"Does it matter who hears the customer?  Scenario {p['scenario']!r}, focal firm "
            f"{p['focal_firm']}",
            fontsize=14,
            y=0.995,
        )
        fig.text(
            0.5,
            0.955,
            f"{_plural(p['replications'], 'paired replication')} x {days} days, seed "
            f"{p['seed']}, competitors {p['competitor_structure']}; overrides: "
            f"{overrides_text(p)}",
            ha="center",
            fontsize=10.5,
        )
        fig.text(
            0.5,
            0.01,
            f"Measured window: days {warm}-{days - 1}.  q-units: the model's 0-1 scale "
            "(0 = none, 1 = the most).  cu: the model's currency unit.  Shares are "
            "fractions 0-1.  Lines: mean over replications.",
            ha="center",
            fontsize=9.5,
            color="0.25",
        )
        fig.tight_layout(rect=(0, 0.03, 1, 0.89))
    path = Path(path)
    _atomic_write(
        path, lambda f: fig.savefig(f, dpi=100, format="png", metadata={"Software": None})
    )
    plt.close(fig)
    return path
