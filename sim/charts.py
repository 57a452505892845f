"""Live charts and organisation diagrams for the app, as inline SVG.

Inline SVG needs no script, stylesheet or font from anywhere (the page stays
offline by construction), and a chart of a few hundred points is a few kB of text
the browser draws in well under a millisecond, so live updates cost nothing like
a matplotlib redraw. Long series are thinned to at most ``MAX_POINTS`` per line.
"""

from __future__ import annotations

from html import escape

import numpy as np

LINEAR = "#D55E00"  # Okabe-Ito vermilion
TRIANGULAR = "#0072B2"  # Okabe-Ito blue
DIFF = "#444444"
COLORS = {"linear": LINEAR, "triangular": TRIANGULAR}
MAX_POINTS = 300
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average that ignores missing days (NaN)."""
    if window <= 1 or y.size == 0:
        return y
    ok = np.isfinite(y)
    v = np.where(ok, y, 0.0)
    cs, cn = np.cumsum(np.insert(v, 0, 0.0)), np.cumsum(np.insert(ok, 0, 0))
    lo = np.maximum(np.arange(1, y.size + 1) - window, 0)
    hi = np.arange(1, y.size + 1)
    n = cn[hi] - cn[lo]
    return np.divide(cs[hi] - cs[lo], n, out=np.full(y.size, np.nan), where=n > 0)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= MAX_POINTS:
        return x, y
    idx = np.unique(np.linspace(0, x.size - 1, MAX_POINTS).astype(int))
    return x[idx], y[idx]


def _path(x, y, sx, sy) -> str:
    """SVG path through finite points; gaps (NaN) break the line."""
    x, y = _thin(np.asarray(x, float), np.asarray(y, float))
    ok = np.isfinite(y)
    if not ok.any():
        return ""
    px, py = np.round(sx(x), 1), np.round(sy(np.where(ok, y, 0.0)), 1)
    # a point starts a new segment (M) after a gap, else continues it (L)
    starts = ok & ~np.concatenate(([False], ok[:-1]))
    pens = np.where(starts, "M", "L")
    return "".join(
        f"{p}{a:g},{b:g}"
        for p, a, b, keep in zip(pens.tolist(), px.tolist(), py.tolist(), ok.tolist(), strict=True)
        if keep
    )


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return [lo] if np.isfinite(lo) else []
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = np.ceil(lo / step) * step
    return [float(t) for t in np.arange(start, hi + step * 0.5, step) if t <= hi + 1e-12]


def _fmt(v: float, scale: float = 1.0) -> str:
    v = v * scale
    if not np.isfinite(v):
        return "–"
    a = abs(v)
    if a < 0.005:
        return "0"
    if a >= 10_000:
        return f"{v / 1000:,.0f}k"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def line_chart(
    title: str,
    lines: dict[str, np.ndarray],
    *,
    unit: str = "",
    scale: float = 1.0,
    days: int | None = None,
    width: int = 420,
    height: int = 210,
    diff: bool = True,
    big: bool = False,
) -> str:
    """Lines over days for each structure, with a difference lane (triangular - linear)
    under them. ``lines`` maps structure name -> daily values."""
    fs = 15 if big else 12
    pad_l, pad_r, pad_t = 46, 58, fs + 12
    # the lane needs both structures (any other pair of lines would have no difference)
    both = diff and lines.keys() == {"linear", "triangular"}
    pair = (lines["linear"], lines["triangular"]) if both else None
    lane = 42 if pair is not None else 0
    main_h = height - pad_t - 22 - lane
    n = max((v.size for v in lines.values()), default=0)
    xmax = max(days or 0, n - 1, 1)
    finite = [v[np.isfinite(v)] for v in lines.values()]
    allv = np.concatenate(finite) if finite else np.array([])
    if allv.size:
        lo, hi = float(allv.min()), float(allv.max())
        span = hi - lo or max(abs(hi), 1e-9) * 0.1 or 1.0
        lo, hi = lo - 0.08 * span, hi + 0.08 * span
    else:
        lo, hi = 0.0, 1.0
    w_plot = width - pad_l - pad_r

    def sx(x):
        return pad_l + w_plot * x / xmax

    def sy(v):
        return pad_t + main_h * (1 - (v - lo) / (hi - lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" style="{FONT}">',
        f'<text x="{pad_l}" y="{fs + 2}" font-size="{fs + 1}" font-weight="600" '
        f'fill="#222">{escape(title)}</text>',
    ]
    if unit:
        out.append(
            f'<text x="{width - 4}" y="{fs + 2}" font-size="{fs - 2}" fill="#666" '
            f'text-anchor="end">{escape(unit)}</text>'
        )
    for t in _nice_ticks(lo, hi):
        y = sy(t)
        out.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>'
            f'<text x="{pad_l - 4}" y="{y + 4:.1f}" font-size="{fs - 2}" fill="#666" '
            f'text-anchor="end">{_fmt(t, scale)}</text>'
        )
    base = pad_t + main_h + lane
    for t in _nice_ticks(0, xmax, 4):
        x = sx(t)
        out.append(
            f'<text x="{x:.1f}" y="{base + 16}" font-size="{fs - 2}" fill="#666" '
            f'text-anchor="middle">{t:.0f}</text>'
        )
    label_y: list[float] = []
    for name, v in lines.items():
        color = COLORS.get(name, "#333")
        x = np.arange(v.size)
        out.append(
            f'<path d="{_path(x, v, sx, sy)}" fill="none" stroke="{color}" '
            f'stroke-width="{2.6 if big else 2}" stroke-linejoin="round"/>'
        )
        last = v[np.isfinite(v)]
        if last.size:
            y = sy(last[-1])
            while any(abs(y - o) < fs for o in label_y):
                y += fs
            label_y.append(y)
            out.append(
                f'<text x="{width - pad_r + 4}" y="{y + 4:.1f}" font-size="{fs - 1}" '
                f'font-weight="600" fill="{color}">{_fmt(last[-1], scale)}</text>'
            )
    if pair is not None:
        a, b = pair
        d = b[: min(a.size, b.size)] - a[: min(a.size, b.size)]
        top = pad_t + main_h + 6
        fin = d[np.isfinite(d)]
        m = float(np.max(np.abs(fin))) if fin.size else 0.0
        m = m or 1.0
        mid = top + (lane - 8) / 2

        def sd(v):
            return mid - (lane - 8) / 2 * v / m

        out.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{mid:.1f}" y2="{mid:.1f}" '
            f'stroke="#bbb" stroke-dasharray="3 3"/>'
            f'<text x="{pad_l - 4}" y="{mid + 4:.1f}" font-size="{fs - 3}" fill="#666" '
            f'text-anchor="end">T−L</text>'
            f'<path d="{_path(np.arange(d.size), d, sx, sd)}" fill="none" stroke="{DIFF}" '
            f'stroke-width="1.5"/>'
        )
        if fin.size:
            out.append(
                f'<text x="{width - pad_r + 4}" y="{mid + 4:.1f}" font-size="{fs - 2}" '
                f'fill="{DIFF}">{"+" if fin[-1] >= 0 else ""}{_fmt(fin[-1], scale)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def org_diagram(
    structure: str,
    totals: dict[str, float],
    today: dict[str, float],
    *,
    control: float,
    engaged: float,
    width: int = 600,
    height: int = 330,
) -> str:
    """Customers, supervisor and employees of the focal firm, with today's feedback
    drawn flowing along each channel (dash speed and width follow today's count) and
    running counters of what was passed, delayed, softened, lost or turned into control."""
    color = COLORS[structure]
    fs = 17
    cx, cy = 160, 62  # customers
    sx_, sy_ = 160, height * 0.55  # supervisor
    ex, ey = 160, height - 34  # employees
    bx = 345  # counters column
    triangular = structure == "triangular"

    def flow(x1, y1, x2, y2, amount, label, active=True, dashed=False):
        w = 2 + min(10.0, 1.2 * np.sqrt(max(amount, 0.0)))
        moving = active and amount > 0
        dur = max(0.25, 2.5 / (1 + amount))
        anim = (
            f'<animate attributeName="stroke-dashoffset" from="24" to="0" dur="{dur:.2f}s" '
            f'repeatCount="indefinite"/>'
            if moving
            else ""
        )
        stroke = color if active else "#c8c8c8"
        dash = "4 8" if dashed else "12 12"
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        return (
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{stroke}" '
            f'stroke-width="{w:.1f}" stroke-dasharray="{dash}" marker-end="url(#arr-{structure})">'
            f"{anim}</line>"
            f'<text x="{mx + 10:.0f}" y="{my + 5:.0f}" font-size="{fs - 3}" fill="#333">'
            f"{escape(label)}</text>"
        )

    def node(x, y, text, sub=""):
        return (
            f'<rect x="{x - 85:.0f}" y="{y - 24:.0f}" width="170" height="48" rx="10" '
            f'fill="#fff" stroke="{color}" stroke-width="3"/>'
            f'<text x="{x:.0f}" y="{y + (0 if sub else 6):.0f}" font-size="{fs}" font-weight="700" '
            f'text-anchor="middle" fill="#111">{escape(text)}</text>'
            + (
                f'<text x="{x:.0f}" y="{y + 17:.0f}" font-size="{fs - 4}" text-anchor="middle" '
                f'fill="#444">{escape(sub)}</text>'
                if sub
                else ""
            )
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{structure} organisation" style="{FONT}">',
        f'<defs><marker id="arr-{structure}" viewBox="0 0 10 10" refX="8" refY="5" '
        f'markerUnits="userSpaceOnUse" markerWidth="16" markerHeight="16" '
        f'orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker></defs>',
        f'<text x="4" y="24" font-size="{fs + 4}" font-weight="800" fill="{color}">'
        f"{structure.capitalize()}</text>",
    ]
    if triangular:
        # direct channel bends left of the supervisor
        out.append(
            f'<path d="M{cx - 60:.0f},{cy + 24:.0f} C{cx - 140:.0f},{sy_:.0f} '
            f'{cx - 140:.0f},{sy_:.0f} {ex - 60:.0f},{ey - 26:.0f}" fill="none" '
            f'stroke="{color}" stroke-width="{2 + min(10.0, 1.2 * np.sqrt(today["direct"])):.1f}" '
            f'stroke-dasharray="12 12" marker-end="url(#arr-{structure})">'
            + (
                f'<animate attributeName="stroke-dashoffset" from="24" to="0" '
                f'dur="{max(0.25, 2.5 / (1 + today["direct"])):.2f}s" repeatCount="indefinite"/>'
                if today["direct"] > 0
                else ""
            )
            + "</path>"
            f'<text x="{cx - 136:.0f}" y="{sy_ + 5:.0f}" font-size="{fs - 3}" fill="#333" '
            f'text-anchor="middle" transform="rotate(-90 {cx - 136:.0f} {sy_:.0f})">direct</text>'
        )
        out.append(flow(cx, cy + 24, sx_, sy_ - 26, today["given"], "copy", dashed=True))
        out.append(flow(sx_, sy_ + 24, ex, ey - 26, today["control"], "coaching", dashed=True))
    else:
        out.append(flow(cx, cy + 24, sx_, sy_ - 26, today["given"], "all feedback"))
        out.append(flow(sx_, sy_ + 24, ex, ey - 26, today["passed"], "filtered"))
    out.append(node(cx, cy, "Customers"))
    out.append(node(sx_, sy_, "Supervisor", f"{today['waiting']:.0f} waiting"))
    sub = f"{engaged * 100:.0f} % engaged" if np.isfinite(engaged) else ""
    out.append(node(ex, ey, "Employees", sub))
    rows = [
        ("given by customers", totals["given"], "#111"),
        ("heard directly", totals["direct"], color),
        ("passed on", totals["passed"], color),
        ("delayed (waiting now)", totals["waiting"], "#8a6d00"),
        ("softened (info lost)", totals["softened"], "#8a6d00"),
        ("lost (dropped)", totals["lost"], "#b00020"),
        ("turned into control", totals["control"], "#b00020"),
    ]
    y = 66
    out.append(
        f'<text x="{bx - 10:.0f}" y="{y - 24}" font-size="{fs - 3}" fill="#555">'
        f"messages so far, focal firm</text>"
    )
    for label, value, c in rows:
        out.append(
            f'<text x="{bx - 10:.0f}" y="{y}" font-size="{fs - 2}" fill="#333">{label}</text>'
            f'<text x="{width - 8}" y="{y}" font-size="{fs}" font-weight="700" fill="{c}" '
            f'text-anchor="end">{value:,.0f}</text>'
        )
        y += 31
    out.append(
        f'<text x="{bx - 10:.0f}" y="{y + 6}" font-size="{fs - 2}" fill="#333">'
        f"control over staff</text>"
        f'<text x="{width - 8}" y="{y + 6}" font-size="{fs}" font-weight="700" fill="#b00020" '
        f'text-anchor="end">{_fmt(control)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
