"""Daily per-firm metrics: names, units, meaning, and how a run is summarised.

Each day the model stores a (firms x metrics) array through Mesa's
``DataCollector`` (model reporter ``firm_metrics``); ``model.firm_daily()`` turns
it into a tidy frame with one row per firm and day. A run's summary of a metric
over the measurement window is the mean of its daily values; metrics whose daily
value is a ratio over visits, returning customers or feedback items are weighted
by that count (``Metric.weight``), return on sales is a ratio of sums, and staff
metrics (engagement, its shares, control, skill, ...) are plain daily means.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .jit import compiled


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    description: str
    weight: str | None = None  # weighted mean by this column; None = plain mean
    headline: bool = False  # shown in the comparison table


METRICS: tuple[Metric, ...] = (
    Metric("engagement_mean", "q-units", "Mean engagement of staff on duty", headline=True),
    Metric(
        "engaged_share", "share", "Staff engaged (engagement >= engaged_threshold)", headline=True
    ),
    Metric(
        "not_engaged_share", "share", "Staff neither engaged nor actively disengaged", headline=True
    ),
    Metric("disengaged_share", "share", "Staff actively disengaged", headline=True),
    Metric("satisfaction", "q-units", "Mean satisfaction of today's visits", "visits", True),
    Metric(
        "nps",
        "points (-100..100)",
        "Net promoter score of today's visitors: % likelihood to recommend 9-10 minus % 0-6",
        "visits",
        True,
    ),
    Metric("quality", "q-units", "Mean encounter quality of today's visits", "visits"),
    Metric(
        "repeat_visit_rate",
        "share",
        "Visits by customers whose previous visit was here",
        "visits",
        True,
    ),
    Metric(
        "retention",
        "share",
        "Of customers whose need arose today and who last came here, the share who came "
        "back (buying from no firm counts as leaving)",
        "returning",
        True,
    ),
    Metric("visit_share", "share", "Market share by visits", headline=True),
    Metric("revenue_share", "share", "Market share by revenue", headline=True),
    Metric("visits", "visits/day", "Visits served"),
    Metric(
        "returning",
        "customers/day",
        "Customers whose need arose today and whose previous visit was to this firm (retention's "
        "denominator; it counts the firm's previous customers wherever they went, so it exceeds "
        "visits when the firm is losing customers)",
    ),
    Metric("revenue", "cu/day", "Revenue", headline=True),
    Metric("costs", "cu/day", "All costs"),
    Metric("profit", "cu/day", "Revenue minus costs", headline=True),
    Metric(
        "return_on_sales", "share", "Profit / revenue (ratio of sums in summaries)", headline=True
    ),
    Metric("turnover_rate", "1/year", "Quits per employee, annualised", headline=True),
    Metric("feedback_items", "items/day", "Feedback items customers gave"),
    Metric(
        "feedback_direct_share",
        "share",
        "Items that reached the employee directly",
        "feedback_items",
    ),
    Metric("feedback_delivered", "items/day", "Items that reached an employee (direct or relayed)"),
    Metric("feedback_resolved", "items/day", "Items heard directly, passed on or dropped today"),
    Metric(
        "feedback_latency",
        "day",
        "Mean delay from customer to employee of delivered items",
        "feedback_delivered",
        True,
    ),
    Metric(
        "feedback_fidelity",
        "share",
        "Information reaching employees per item resolved",
        "feedback_resolved",
        True,
    ),
    Metric(
        "supervisor_control_load",
        "share of capacity",
        "Supervisor time on feedback handling and control interventions per day of capacity",
        headline=True,
    ),
    Metric("control", "q-units", "Mean supervisory control over staff on duty"),
    Metric("autonomy", "q-units", "Mean autonomy of staff on duty"),
    Metric("knowledge", "q-units", "Mean knowledge of customer needs, staff on duty"),
    Metric("skill", "q-units", "Mean skill, staff on duty"),
    Metric("overload", "load/capacity - 1", "Mean load above capacity, staff serving today"),
    Metric("staff_on_duty", "employees", "Employees on duty (not vacant)"),
    Metric("loyalty_members", "share", "Customers who are members of this firm's programme"),
    Metric("word_of_mouth", "messages/day", "Word-of-mouth messages about this firm"),
)

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
BY_NAME = {m.name: m for m in METRICS}
HEADLINE: tuple[str, ...] = tuple(m.name for m in METRICS if m.headline)


# each metric's column, by name, for the compiled record (``_AT.profit``)
_AT = namedtuple("MetricColumns", METRIC_NAMES)(*range(len(METRIC_NAMES)))


def daily(
    visits, retained, returning, net_promoters, quality_sum, satisfaction_sum, served,
    overload, items, direct, heard, tally, quits, payroll, money, wom, S, F, U, P, out,
):  # fmt: skip
    """Phase 10 of the day: today's metrics into ``out`` (firms x metrics, columns in
    METRIC_NAMES order), each metric computed by name as numerator / denominator (NaN
    where the denominator is not positive)."""
    k_firms, n_slots = F.price.size, S.firm.size
    resolved_, delivered_, latency_sum, info_sum, handled = tally
    revenue, costs, profit, _ = money
    autonomy = np.empty(n_slots)
    for e in range(n_slots):  # engagement.autonomy
        autonomy[e] = 1.0 - S.control[e] * (1.0 - 0.5 * F.involvement[S.firm[e]])
    # per-firm sums over staff on duty (staff are stored firm by firm: segment sums)
    n_on, eng, hi, lo, control, autonomy_, knowledge, skill, busy, over = _staff_sums(
        S.engagement, P.engaged_threshold, P.disengaged_threshold, S.control, autonomy,
        S.knowledge, S.skill, served, overload, S.on_duty, F.staff_starts,
    )  # fmt: skip
    sup_delivered, sup_resolved, sup_info, latency, sup_load = _supervisor_sums(
        S.team, U.self_focus, heard, handled, U.capacity, U.cadence, delivered_, resolved_,
        info_sum, latency_sum, U.firm_starts,
    )  # fmt: skip
    quit_count = np.zeros(k_firms)
    for e in quits:
        quit_count[S.firm[e]] += 1.0
    # visits.sum(), revenue.sum() as numpy adds them (pairwise)
    all_visits = 0.0 + _pairwise_sum(visits, 0, k_firms)
    all_revenue = 0.0 + _pairwise_sum(revenue, 0, k_firms)
    num, den = np.empty((len(_AT), k_firms)), np.ones((len(_AT), k_firms))
    for k in range(k_firms):
        delivered = direct[k] + sup_delivered[k]
        resolved = direct[k] + sup_resolved[k]
        info = direct[k] * P.direct_clarity + sup_info[k]
        num[_AT.engagement_mean, k], den[_AT.engagement_mean, k] = eng[k], n_on[k]
        num[_AT.engaged_share, k], den[_AT.engaged_share, k] = hi[k], n_on[k]
        num[_AT.not_engaged_share, k] = n_on[k] - hi[k] - lo[k]
        den[_AT.not_engaged_share, k] = n_on[k]
        num[_AT.disengaged_share, k], den[_AT.disengaged_share, k] = lo[k], n_on[k]
        num[_AT.satisfaction, k] = satisfaction_sum[k]
        den[_AT.satisfaction, k] = visits[k]
        num[_AT.nps, k], den[_AT.nps, k] = 100.0 * net_promoters[k], visits[k]
        num[_AT.quality, k], den[_AT.quality, k] = quality_sum[k], visits[k]
        num[_AT.repeat_visit_rate, k], den[_AT.repeat_visit_rate, k] = retained[k], visits[k]
        num[_AT.retention, k], den[_AT.retention, k] = retained[k], returning[k]
        num[_AT.visit_share, k], den[_AT.visit_share, k] = visits[k], all_visits
        num[_AT.revenue_share, k], den[_AT.revenue_share, k] = revenue[k], all_revenue
        num[_AT.visits, k] = visits[k]
        num[_AT.returning, k] = returning[k]
        num[_AT.revenue, k] = revenue[k]
        num[_AT.costs, k] = costs[k]
        num[_AT.profit, k] = profit[k]
        num[_AT.return_on_sales, k], den[_AT.return_on_sales, k] = profit[k], revenue[k]
        num[_AT.turnover_rate, k] = quit_count[k] * 365.0
        den[_AT.turnover_rate, k] = payroll[k]
        num[_AT.feedback_items, k] = items[k]
        num[_AT.feedback_direct_share, k] = direct[k]
        den[_AT.feedback_direct_share, k] = items[k]
        num[_AT.feedback_delivered, k] = delivered
        num[_AT.feedback_resolved, k] = resolved
        num[_AT.feedback_latency, k], den[_AT.feedback_latency, k] = latency[k], delivered
        num[_AT.feedback_fidelity, k], den[_AT.feedback_fidelity, k] = info, resolved
        num[_AT.supervisor_control_load, k] = sup_load[k]
        den[_AT.supervisor_control_load, k] = F.supervisors_per_firm[k]
        num[_AT.control, k], den[_AT.control, k] = control[k], n_on[k]
        num[_AT.autonomy, k], den[_AT.autonomy, k] = autonomy_[k], n_on[k]
        num[_AT.knowledge, k], den[_AT.knowledge, k] = knowledge[k], n_on[k]
        num[_AT.skill, k], den[_AT.skill, k] = skill[k], n_on[k]
        num[_AT.overload, k], den[_AT.overload, k] = over[k], busy[k]
        num[_AT.staff_on_duty, k] = n_on[k]
        num[_AT.loyalty_members, k] = F.member_count[k]
        den[_AT.loyalty_members, k] = P.customers
        num[_AT.word_of_mouth, k] = wom[k]
    for j in range(len(_AT)):
        for k in range(k_firms):
            out[k, j] = num[j, k] / den[j, k] if den[j, k] > 0 else np.nan


def _pairwise_block(a, start, n):
    """numpy's pairwise summation of up to 128 items: below 8 in turn, else 8 running
    sums combined as a tree, then the remainder in turn."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = start + 8
    stop = start + n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < start + n:
        res += a[i]
        i += 1
    return res


_pairwise_block = compiled(_pairwise_block)


def _pairwise_sum(a, start, n):
    """numpy's pairwise summation of ``a[start:start + n]`` (what its add reductions do
    over contiguous data), to the bit: above 128 items, the two halves (the first a
    multiple of 8) summed alike and added. The halving runs on an explicit stack:
    numba's on-disk cache does not reload recursive functions safely."""
    if n <= 128:
        return _pairwise_block(a, start, n)
    starts, sizes = np.empty(64, np.int64), np.empty(64, np.int64)
    phase, left = np.zeros(64, np.int64), np.empty(64)
    depth, value = 0, 0.0
    starts[0], sizes[0] = start, n
    while True:
        half = sizes[depth] // 2
        half -= half % 8
        if phase[depth] == 0:  # the first half
            phase[depth] = 1
            s, m = starts[depth], half
        elif phase[depth] == 1:  # the first half's sum is in value; the second half
            left[depth] = value
            phase[depth] = 2
            s, m = starts[depth] + half, sizes[depth] - half
        else:  # both halves summed
            value = left[depth] + value
            if depth == 0:
                return value
            depth -= 1
            continue
        if m <= 128:
            value = _pairwise_block(a, s, m)
        else:
            depth += 1
            starts[depth], sizes[depth], phase[depth] = s, m, 0


_pairwise_sum = compiled(_pairwise_sum)


def segment_sums(rows, starts):
    """``np.add.reduceat(rows, starts, axis=1)`` of a 2-D array, to the bit: each
    segment is its first item plus the pairwise sum of the rest."""
    n_rows, n = rows.shape
    out = np.empty((n_rows, starts.size))
    for r in range(n_rows):
        row = rows[r]
        for j in range(starts.size):
            s = starts[j]
            e = starts[j + 1] if j + 1 < starts.size else n
            out[r, j] = row[s] + _pairwise_sum(row, s + 1, e - s - 1) if e > s else row[s]
    return out


segment_sums = compiled(segment_sums)


def _supervisor_sums(
    team, self_focus, heard, handled, capacity, cadence, delivered, resolved, info, latency,
    starts,
):  # fmt: skip
    """Per-firm sums over supervisors of the items delivered and resolved, information,
    latency and the control load (feedback handled plus a micro-manager's intervention
    on each criticism heard, in proportion to style, per day of capacity)."""
    n_sups = handled.size
    control_work = np.zeros(n_sups)
    for e in range(team.size):
        control_work[team[e]] += self_focus[team[e]] * heard[e]
    rows = np.empty((5, n_sups))
    for k in range(n_sups):
        rows[0, k], rows[1, k], rows[2, k], rows[3, k] = (
            delivered[k], resolved[k], info[k], latency[k]
        )  # fmt: skip
        rows[4, k] = (handled[k] + control_work[k]) / (capacity[k] / cadence[k])
    return segment_sums(rows, starts)


_supervisor_sums = compiled(_supervisor_sums)


def _staff_sums(
    engagement, engaged, disengaged, control, autonomy, knowledge, skill, served, overload,
    on, starts,
):  # fmt: skip
    """Per-firm sums over staff on duty of: 1, engagement, engaged, actively disengaged,
    control, autonomy, mean knowledge, skill, serving today, overload of those serving."""
    n, needs = knowledge.shape
    cols = np.empty((10, n))
    for e in range(n):
        w = 1.0 if on[e] else 0.0
        busy = 1.0 if served[e] > 0 else 0.0
        cols[0, e] = w
        cols[1, e] = engagement[e] * w
        cols[2, e] = (1.0 if engagement[e] >= engaged else 0.0) * w
        cols[3, e] = (1.0 if engagement[e] < disengaged else 0.0) * w
        cols[4, e] = control[e] * w
        cols[5, e] = autonomy[e] * w
        cols[6, e] = (0.0 + _pairwise_sum(knowledge[e], 0, needs)) / needs * w
        cols[7, e] = skill[e] * w
        cols[8, e] = busy * w
        cols[9, e] = overload[e] * busy * w
    return segment_sums(cols, starts)


_staff_sums = compiled(_staff_sums)
daily = compiled(daily)


def summarise(daily: pd.DataFrame) -> dict[str, float]:
    """One number per metric for one firm's daily rows in the measurement window."""
    return summarise_values(daily[list(METRIC_NAMES)].to_numpy(dtype=float))


def summarise_values(values: np.ndarray) -> dict[str, float]:
    """:func:`summarise` of one firm's daily metrics as a (days x metrics) array, columns
    in METRIC_NAMES order (numpy only: what a study worker sends back)."""
    col = {name: values[:, j] for j, name in enumerate(METRIC_NAMES)}
    out: dict[str, float] = {}
    for m in METRICS:
        x = col[m.name]
        if m.name == "return_on_sales":  # a ratio of sums (NaN days count as 0)
            rev = np.nansum(col["revenue"])
            out[m.name] = float(np.nansum(col["profit"]) / rev) if rev > 0 else float("nan")
        elif m.weight is not None:
            w = col[m.weight]
            ok = np.isfinite(x) & (w > 0)
            out[m.name] = float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")
        else:
            ok = np.isfinite(x)
            out[m.name] = float(x[ok].mean()) if ok.any() else float("nan")
    return out
