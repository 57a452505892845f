"""Oracle tests: what the model's numbers *mean*, checked against independent counts.

The regression pins (tests/test_regression.py) notice that a number changed; these
tests notice that it is wrong. Each one recomputes a metric or a summary from first
principles — from the agents' state before and after a day, or from a tiny frame built
by hand — so they stay true when mechanisms change, and fail when a definition breaks.
Every test names, in its docstring, a planted bug it catches.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import ScenarioError, ServiceProfitChainModel, load_scenario
from sim.metrics import METRIC_NAMES, summarise
from sim.rng import spawn_streams
from sim.runner import compare, measurement_start, paired_summary

from .conftest import SCENARIOS

# ------------------------------------------------------- daily metric definitions
# A market with enough churn that every definition is exercised: quits and rehires
# (tight labour market, short hiring delay), programme members, feedback every day.
BUSY = {
    "customers.count": 600,
    "customers.visit_rate": 0.3,
    "workforce.labour_market_tightness": 5.0,
    "workforce.base_quit_rate": 0.01,
    "workforce.hiring_delay_days": 2,
    "firm.policy.loyalty_programme": True,
    "firm.policy.loyalty_join_probability": 0.3,
    "feedback.survey_invitation": 0.5,
}
DAYS = 30


def _spend(sc, tenure):
    """A visit's spend multiplier from the customer's consecutive visits to the firm
    (tenure after the visit): 1 at a first visit, rising toward 1 + tenure_spend_gain."""
    cc = sc.customers
    return 1.0 + cc.tenure_spend_gain * (
        1.0 - np.exp(-np.maximum(tenure - 1, 0) / cc.tenure_visits)
    )


def _observe(structure, overrides=BUSY, days=DAYS, seed=11):
    """Step a model day by day; per day, the counts an observer reads off the agents'
    state (never off the metrics code), next to the recorded metrics."""
    sc = load_scenario(SCENARIOS / "baseline.toml", overrides)
    m = ServiceProfitChainModel(sc, structure, seed=seed)
    C, S, K = m.customers, m.staff, m.firms.k
    days_seen = []
    for _ in range(days):
        last, visits = C.last_firm.copy(), C.visits.copy()
        generation, on_duty = S.generation.copy(), S.on_duty.copy()
        m.step()
        came = C.visits > visits
        chosen, prev = C.last_firm[came], last[came]
        days_seen.append(
            {
                "visits": np.bincount(chosen, minlength=K),
                "spend": np.bincount(chosen, weights=_spend(sc, C.tenure[came]), minlength=K),
                "retained": np.bincount(chosen[prev == chosen], minlength=K),
                "quits": np.bincount(S.firm[S.generation > generation], minlength=K),
                "payroll": np.bincount(S.firm[on_duty], minlength=K),
                "on_duty": np.bincount(S.firm[S.on_duty], minlength=K),
                "engagement": [S.engagement[S.on_duty & (S.firm == k)] for k in range(K)],
                "members": C.member.sum(axis=1) / C.n,
                "metrics": m.last_metrics,
            }
        )
    return sc, m, days_seen


@pytest.fixture(scope="module")
def observed():
    return {s: _observe(s) for s in ("linear", "triangular")}


def test_repeat_visits_and_retention_count_the_same_retained_visits(observed):
    """repeat-visit rate x visits == retained visits == retention x returning.

    Retained visits are counted from the customers' last firm before and after the day.
    Catches: repeat_visit_rate divided by `returning` instead of `visits` (or retention
    by `visits`); a visit counted at the previous firm instead of the chosen one.
    """
    checked = 0
    for _, _, days in observed.values():
        for d in days:
            m = d["metrics"]
            assert m["visits"] == pytest.approx(d["visits"])
            has = d["visits"] > 0
            assert (m["repeat_visit_rate"][has] * d["visits"][has]) == pytest.approx(
                d["retained"][has], abs=1e-9
            )
            back = m["returning"] > 0
            assert (m["retention"][back] * m["returning"][back]) == pytest.approx(
                d["retained"][back], abs=1e-9
            )
            assert (m["returning"] >= d["retained"]).all()
            checked += int(d["retained"].sum() > 0)
    assert checked > 40  # the identities were tested on days with repeat visits


def test_turnover_is_annualised_quits_per_employee_on_the_payroll(observed):
    """turnover_rate == 365 x quits / staff on the payroll at the start of the day.

    Quits are counted as slots whose occupant changed. Catches: quits divided by staff
    on duty after rehiring, a missing annualisation, quits counted at the wrong firm.
    """
    quits = 0
    for _, _, days in observed.values():
        for d in days:
            m = d["metrics"]
            assert m["turnover_rate"] == pytest.approx(365.0 * d["quits"] / d["payroll"])
            quits += d["quits"].sum()
    assert quits >= 10  # the market did churn


def test_staff_metrics_are_means_over_staff_on_duty(observed):
    """Engagement mean and Gallup shares are over staff on duty at the end of the day.

    Catches: vacant slots counted, a share taken over the wrong group, the not-engaged
    share computed from the wrong complement.
    """
    sc = observed["linear"][0]
    hi_t, lo_t = sc.employees.engaged_threshold, sc.employees.disengaged_threshold
    for _, _, days in observed.values():
        for d in days:
            m = d["metrics"]
            assert m["staff_on_duty"] == pytest.approx(d["on_duty"])
            for k, e in enumerate(d["engagement"]):
                if e.size == 0:
                    assert math.isnan(m["engagement_mean"][k])
                    continue
                assert m["engagement_mean"][k] == pytest.approx(e.mean())
                assert m["engaged_share"][k] == pytest.approx((e >= hi_t).mean())
                assert m["disengaged_share"][k] == pytest.approx((e < lo_t).mean())
                mid = ((e >= lo_t) & (e < hi_t)).mean()
                assert m["not_engaged_share"][k] == pytest.approx(mid)


def test_money_shares_and_membership_follow_their_definitions(observed):
    """revenue = price x the visits' spend (rising with tenure); profit = revenue - costs;
    return on sales = profit / revenue; shares are of the market total; members are a share
    of all customers.

    Catches: a share divided by the firm's own total, return on sales as profit / costs,
    membership counted as a share of visitors.
    """
    for sc, model, days in observed.values():
        price = np.array([sc.firm_config(k).policy.price for k in range(model.firms.k)])
        for d in days:
            m = d["metrics"]
            assert m["revenue"] == pytest.approx(price * d["spend"])
            assert m["profit"] == pytest.approx(m["revenue"] - m["costs"])
            ok = m["revenue"] > 0
            assert m["return_on_sales"][ok] == pytest.approx(m["profit"][ok] / m["revenue"][ok])
            assert m["visit_share"] == pytest.approx(d["visits"] / d["visits"].sum())
            assert m["revenue_share"] == pytest.approx(m["revenue"] / m["revenue"].sum())
            assert m["loyalty_members"] == pytest.approx(d["members"])
    # members exist at the focal firm, so the membership identity was not checked on zeros
    assert days[-1]["members"][0] > 0


def test_feedback_channel_metrics_follow_the_structure(observed):
    """Linear: no item reaches the employee directly; triangular: every item does, with
    no delay. Relayed items wait at most one review cycle (cadence - 1 days).

    Catches: the focal firm's direct share read from a competitor; latency counted from
    the wrong day (one day late).
    """
    for structure, (sc, _, days) in observed.items():
        cadence = sc.firm.supervisor.review_cadence_days
        for d in days:
            m = d["metrics"]
            if m["feedback_items"][0] > 0:
                expected = 0.0 if structure == "linear" else 1.0
                assert m["feedback_direct_share"][0] == expected
            lat = m["feedback_latency"]
            lat = lat[np.isfinite(lat)]
            assert ((lat >= 0) & (lat <= cadence - 1 + 1e-9)).all(), lat
            if structure == "triangular" and m["feedback_delivered"][0] > 0:
                assert m["feedback_latency"][0] == 0.0


# ------------------------------------------------------------ membership at the visit
def test_programme_costs_count_members_of_the_firm_chosen_today():
    """With every cost but the programme's set to zero, a firm's costs are
    reward x price x the spend of visits by customers who were its members when they came.

    Membership is set by hand (each customer a member of one random firm) so that many
    visitors are members of a firm other than the one they visit. Catches: membership
    read at the customer's previous firm instead of the chosen one.
    """
    zero_costs = {
        f"firm.policy.{name}": 0.0
        for name in (
            "wage",
            "supervisor_wage",
            "fixed_cost",
            "hiring_cost",
            "training_cost",
            "repeat_bonus",
            "serving_cost",
        )
    }
    over = {
        "customers.count": 600,
        "customers.visit_rate": 0.5,
        "firm.policy.loyalty_programme": True,
        "firm.policy.loyalty_join_probability": 0.0,
        "firm.policy.loyalty_reward": 0.2,
        **zero_costs,
    }
    sc = load_scenario(SCENARIOS / "baseline.toml", over)
    m = ServiceProfitChainModel(sc, "linear", seed=5)
    C, K = m.customers, m.firms.k
    rng = np.random.default_rng(0)
    switchers = 0
    for _ in range(6):
        C.member[:] = False
        C.member[rng.integers(0, K, C.n), np.arange(C.n)] = True
        member, last, visits = C.member.copy(), C.last_firm.copy(), C.visits.copy()
        m.step()
        came = np.flatnonzero(C.visits > visits)
        chosen = C.last_firm[came]
        spend = _spend(sc, C.tenure[came])
        member_visits = np.bincount(chosen, weights=member[chosen, came] * spend, minlength=K)
        price = np.array([sc.firm_config(k).policy.price for k in range(K)])
        assert m.last_metrics["costs"] == pytest.approx(0.2 * price * member_visits)
        prev = last[came]
        switchers += int(((prev >= 0) & (prev != chosen)).sum())
    assert switchers > 50  # the previous and the chosen firm differed for many visitors


# --------------------------------------------------------------- random streams (CRN)
def test_hiring_draws_from_its_own_stream_and_leaves_turnover_untouched():
    """Day by day: the `hiring` stream moves exactly on the days someone is hired, and
    the `turnover` stream draws one uniform per employee slot a day, hires or not (its
    state after the day is a copy's after exactly that draw).

    Catches: hiring drawing from the turnover stream (which shifts every later quit draw
    and so breaks the pairing of quits across structures), or from none of its own.
    """
    sc = load_scenario(SCENARIOS / "baseline.toml", BUSY)
    m = ServiceProfitChainModel(sc, "triangular", seed=3)
    hire_days = 0
    for _ in range(DAYS):
        turnover = np.random.Generator(np.random.PCG64())
        turnover.bit_generator.state = m.streams["turnover"].bit_generator.state
        hiring = m.streams["hiring"].bit_generator.state
        m.step()
        turnover.random(m.staff.n)
        assert turnover.bit_generator.state == m.streams["turnover"].bit_generator.state
        hired = m.last_record.hires.size > 0
        assert (hiring != m.streams["hiring"].bit_generator.state) == hired
        hire_days += hired
    assert hire_days >= 5


def test_quit_draws_stay_paired_across_structures():
    """Under common random numbers the turnover stream is in the same state in the linear
    and the triangular run after every day, although the runs quit and hire different
    people; and it has drawn exactly one uniform per employee slot per day.

    Catches: hiring (or any structure-dependent mechanism) drawing from the turnover
    stream, which de-pairs the quit draws of the two structures.
    """
    # quits that depend steeply on engagement, and engagement that depends strongly on
    # hearing customers, so the two structures soon quit and hire different people
    steep = {
        "workforce.disengagement_quit_factor": 6.0,
        "engagement.meaning": 5.0,
        "engagement.recognition": 5.0,
    }
    sc = load_scenario(SCENARIOS / "baseline.toml", {**BUSY, **steep})
    lin = ServiceProfitChainModel(sc, "linear", seed=9)
    tri = ServiceProfitChainModel(sc, "triangular", seed=9)
    reference = spawn_streams(9)["turnover"]
    differed = 0
    for _ in range(DAYS):
        lin.step()
        tri.step()
        reference.random(lin.staff.n)
        state = reference.bit_generator.state
        assert lin.streams["turnover"].bit_generator.state == state
        assert tri.streams["turnover"].bit_generator.state == state
        differed += int((lin.staff.generation != tri.staff.generation).any())
    assert differed > 0  # the structures did quit and hire differently


# -------------------------------------------------------- summaries on hand-built days
def _days(**columns) -> pd.DataFrame:
    """A tiny daily frame: every metric 1.0 unless given."""
    n = len(next(iter(columns.values())))
    data = {name: np.ones(n) for name in METRIC_NAMES}
    data.update({k: np.asarray(v, dtype=float) for k, v in columns.items()})
    return pd.DataFrame(data)


@pytest.mark.parametrize(
    "metric, weight",
    [
        ("satisfaction", "visits"),
        ("quality", "visits"),
        ("repeat_visit_rate", "visits"),
        ("retention", "returning"),
        ("feedback_direct_share", "feedback_items"),
        ("feedback_latency", "feedback_delivered"),
        ("feedback_fidelity", "feedback_resolved"),
    ],
)
def test_ratio_metrics_are_weighted_by_their_own_denominator(metric, weight):
    """A per-day ratio summarised over days is (sum of numerators) / (sum of
    denominators): the daily values weighted by the daily denominator. Every other
    count column is set to different weights so a wrong weight gives another number.

    Catches: repeat-visit rate weighted by returning customers, retention by visits,
    latency by items given instead of items delivered, or any ratio by a plain mean.
    """
    counts = ("visits", "returning", "feedback_items", "feedback_delivered", "feedback_resolved")
    cols = {c: [5.0, 1.0] for c in counts if c != weight}
    cols[weight] = [1.0, 3.0]
    cols[metric] = [0.8, 0.2]
    out = summarise(_days(**cols))
    assert out[metric] == pytest.approx((1 * 0.8 + 3 * 0.2) / 4)


def test_summaries_skip_undefined_days_and_use_ratio_of_sums():
    """NaN days (no visits, nobody on duty) are left out rather than counted as zero;
    return on sales is total profit over total revenue; nothing defined gives NaN.

    Catches: NaN treated as 0, days with zero weight counted, return on sales as the
    mean of daily ratios.
    """
    out = summarise(
        _days(
            engagement_mean=[0.2, np.nan, 0.6],
            satisfaction=[0.5, np.nan, 0.9],
            visits=[10.0, 0.0, 30.0],
            revenue=[100.0, 0.0, 300.0],
            profit=[10.0, -5.0, -60.0],
            return_on_sales=[0.1, np.nan, -0.2],
        )
    )
    assert out["engagement_mean"] == pytest.approx(0.4)
    assert out["satisfaction"] == pytest.approx((10 * 0.5 + 30 * 0.9) / 40)
    assert out["return_on_sales"] == pytest.approx(-55.0 / 400.0)
    assert out["visits"] == pytest.approx(40.0 / 3)
    small = summarise(_days(revenue=[0.25, 0.25], profit=[0.1, 0.2]))
    assert small["return_on_sales"] == pytest.approx(0.6)  # any positive revenue counts


def test_a_metric_undefined_on_every_day_summarises_to_nan_quietly():
    """No visits and nobody on duty all window long: NaN, with no numpy warning (a mean of
    nothing would warn in every run of a study).

    Catches: an empty mean taken anyway, a non-NaN placeholder for undefined.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = summarise(
            _days(
                engagement_mean=[np.nan],
                satisfaction=[np.nan],
                visits=[0.0],
                revenue=[0.0],
            )
        )
    for name in ("engagement_mean", "satisfaction", "return_on_sales"):
        assert math.isnan(empty[name]), name


# ------------------------------------------------------------- the paired comparison
def _per_run(values: dict[str, tuple[list[float], list[float]]]) -> pd.DataFrame:
    rows = []
    for structure, side in (("linear", 0), ("triangular", 1)):
        for r in range(len(next(iter(values.values()))[0])):
            rows.append(
                {
                    "replication": r,
                    "structure": structure,
                    **{k: v[side][r] for k, v in values.items()},
                }
            )
    return pd.DataFrame(rows)


def test_paired_summary_is_triangular_minus_linear_with_a_t_interval():
    """On four replications with known paired differences the summary reports their
    mean (sign included), the per-structure means and the 95 % t half-width
    t(0.975, 3) x sd / 2.

    Catches: the difference taken as linear - triangular; a z instead of a t quantile;
    the population instead of the sample standard deviation; unpaired means.
    """
    lin = [1.0, 2.0, 3.0, 4.0]
    up = [0.5, 1.5, 1.0, 1.0]  # triangular above linear
    per_run = _per_run(
        {
            "engagement_mean": (lin, [a + d for a, d in zip(lin, up, strict=True)]),
            "profit": (lin, [a - 2 * d for a, d in zip(lin, up, strict=True)]),
        }
    )
    out = paired_summary(per_run, ["engagement_mean", "profit"]).set_index("metric")
    half = stats.t.ppf(0.975, 3) * np.std(up, ddof=1) / 2
    eng, profit = out.loc["engagement_mean"], out.loc["profit"]
    assert eng["difference"] == pytest.approx(1.0)
    assert eng["linear_mean"] == pytest.approx(2.5) and eng["triangular_mean"] == 3.5
    assert eng["ci_low"] == pytest.approx(1.0 - half) and eng["ci_high"] == 1.0 + half
    assert profit["difference"] == pytest.approx(-2.0)
    assert profit["ci_high"] == pytest.approx(-2.0 + 2 * half)
    assert eng["replications"] == 4 and eng["unit"] == "q-units"


def test_paired_summary_drops_undefined_pairs_only():
    """A replication whose metric is undefined under one structure leaves the paired
    difference (n shrinks) but still counts in the other structure's mean; with one
    pair left there is no interval.

    Catches: NaN pairs counted in n; a NaN propagating into every mean.
    """
    per_run = _per_run(
        {
            "retention": ([0.5, np.nan, 0.7], [0.6, 0.9, 0.6]),
            "revenue": ([1.0, 2.0, np.nan], [np.nan, np.nan, 3.0]),
            "feedback_latency": ([np.nan] * 3, [np.nan] * 3),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # undefined is NaN, quietly (no mean of nothing)
        out = paired_summary(per_run, ["retention", "revenue", "feedback_latency"])
    out = out.set_index("metric")
    ret = out.loc["retention"]
    assert ret["replications"] == 2 and ret["difference"] == pytest.approx(0.0)
    # two pairs are enough for an interval: differences +0.1 and -0.1, sd 0.1 * sqrt(2)
    assert ret["ci_high"] == pytest.approx(stats.t.ppf(0.975, 1) * 0.1)
    assert ret["linear_mean"] == pytest.approx(0.6)
    assert ret["triangular_mean"] == pytest.approx(0.7)
    rev = out.loc["revenue"]
    assert rev["replications"] == 0 and math.isnan(rev["difference"])
    assert math.isnan(rev["ci_low"]) and rev["linear_mean"] == pytest.approx(1.5)
    lat = out.loc["feedback_latency"]
    assert lat[["linear_mean", "triangular_mean", "difference", "ci_low"]].isna().all()


TINY = {"customers.count": 200, "market.warmup_days": 4}


@pytest.fixture(scope="module")
def tiny_comparison():
    return compare(load_scenario(SCENARIOS / "baseline.toml", TINY), replications=2, days=9)


def test_measurement_window_starts_on_the_warmup_day(tiny_comparison):
    """The per-run summaries are the focal firm's days `warmup_days` .. days-1: day 4
    is in, day 3 is out.

    Catches: the window starting a day late (`day > warm`) or early; a competitor's rows
    in the focal summary.
    """
    c = tiny_comparison
    warm = c.scenario.market.warmup_days
    assert measurement_start(c.scenario, c.days) == warm == 4
    focal = c.runs[c.runs.firm == 0]
    late_differs = False
    for row in c.per_run.itertuples():
        mine = focal[(focal.replication == row.replication) & (focal.structure == row.structure)]
        want = summarise(mine[mine.day >= warm])
        late = summarise(mine[mine.day > warm])
        for name in ("visits", "engagement_mean", "revenue", "skill"):
            assert getattr(row, name) == pytest.approx(want[name], rel=1e-12)
            late_differs |= late[name] != pytest.approx(want[name], rel=1e-12)
    assert late_differs


def test_comparison_difference_is_triangular_minus_linear_per_replication(tiny_comparison):
    """The reported difference is the mean over replications of the triangular run's
    summary minus the linear run's. Catches a flipped sign anywhere between the runs and
    the table."""
    c = tiny_comparison
    wide = c.per_run.pivot(index="replication", columns="structure")
    summary = c.summary.set_index("metric")
    for name in ("engagement_mean", "visits", "profit", "feedback_items"):
        diff = (wide[(name, "triangular")] - wide[(name, "linear")]).mean()
        assert summary.loc[name, "difference"] == pytest.approx(diff, abs=1e-12)


def test_a_horizon_inside_the_warmup_measures_nothing_and_is_refused():
    """days <= warmup_days is an input error. Catches `warm > days` instead of `>=`."""
    sc = load_scenario(SCENARIOS / "baseline.toml", TINY)
    assert measurement_start(sc, 5) == 4
    for days in (4, 3):
        refused = r"must exceed market\.warmup_days \(4\), or nothing would be measured"
        with pytest.raises(ScenarioError, match=refused):
            measurement_start(sc, days)
