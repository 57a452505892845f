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


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def comparison_table(summary: pd.DataFrame, provenance: dict, metrics=HEADLINE) -> str:
    """Plain-text table: linear mean, triangular mean, paired difference and 95 % CI."""
    rows = summary.set_index("metric").loc[list(metrics)]
    head = ("metric", "unit", "linear", "triangular", "tri - lin", "95 % CI", "")
    body = []
    for name, r in rows.iterrows():
        ci = f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        sig = ""
        if math.isfinite(r.ci_low) and math.isfinite(r.ci_high):
            sig = "*" if r.ci_low > 0 or r.ci_high < 0 else ""
        body.append(
            (
                name,
                r.unit,
                _fmt(r.linear_mean),
                _fmt(r.triangular_mean),
                _fmt(r.difference),
                ci,
                sig,
            )
        )
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    align = ["<", "<", ">", ">", ">", ">", "<"]
    line = lambda cells: "  ".join(  # noqa: E731
        f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True)
    ).rstrip()
    p = provenance
    title = (
        f"Scenario {p['scenario']!r} ({p['scenario_hash']}), focal firm {p['focal_firm']}: "
        f"linear vs triangular, {p['replications']} paired replications x {p['days']} days "
        f"(measured from day {p['warmup_days']}), seed {p['seed']}, "
        f"competitors {p['competitor_structure']}"
    )
    out = [title, "", line(head), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    out += ["", "* 95 % CI of the paired difference excludes 0."]
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


PLOT_METRICS = (
    ("engagement_mean", "Engagement (mean)"),
    ("repeat_visit_rate", "Repeat-visit rate"),
    ("visit_share", "Market share (visits)"),
)


def comparison_figure(runs: pd.DataFrame, provenance: dict, path: str | Path, smooth: int = 7):
    """Focal firm over time, both structures: mean over replications with a 95 % band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    focal = runs[runs["firm"] == provenance["focal_firm"]]
    fig, axes = plt.subplots(1, len(PLOT_METRICS), figsize=(15, 4.2), constrained_layout=True)
    colours = {"linear": "#d95f02", "triangular": "#1b9e77"}
    for ax, (metric, label) in zip(axes, PLOT_METRICS, strict=True):
        for structure, colour in colours.items():
            d = focal[focal["structure"] == structure]
            wide = d.pivot(index="day", columns="replication", values=metric)
            wide = wide.rolling(smooth, min_periods=1).mean()
            mean = wide.mean(axis=1)
            n = wide.shape[1]
            se = wide.std(axis=1, ddof=1) / math.sqrt(n) if n > 1 else mean * 0
            ax.plot(mean.index, mean, color=colour, label=structure, lw=1.6)
            ax.fill_between(mean.index, mean - 1.96 * se, mean + 1.96 * se, color=colour, alpha=0.2)
        ax.axvline(provenance["warmup_days"], color="grey", lw=0.8, ls=":")
        ax.set_title(label)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    axes[0].legend(title="focal firm", frameon=False)
    fig.suptitle(
        f"{provenance['scenario']}: linear vs triangular "
        f"({provenance['replications']} replications, {smooth}-day mean, 95 % band)",
        fontsize=11,
    )
    path = Path(path)
    _atomic_write(
        path, lambda p: fig.savefig(p, dpi=110, format="png", metadata={"Software": None})
    )
    plt.close(fig)
    return path
