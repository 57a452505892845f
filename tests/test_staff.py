"""Employee- and supervisor-side facts and mechanisms (issue 7), tested over fixed seeds.

Each test states its margin. Markets are small (1,200-3,000 customers) so the file
stays within about 40 s on an idle core; the statistical ones are marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from experiments.feedback_interventions import intervention_effects
from sim import load_scenario
from sim.config import iter_parameters
from sim.model import ServiceProfitChainModel
from sim.runner import RunSpec, run_one

from .conftest import SCENARIOS


def _scenario(overrides: dict, customers: int = 1500, warmup: int = 60):
    return load_scenario(
        SCENARIOS / "baseline.toml",
        {"customers.count": customers, "market.warmup_days": warmup, **overrides},
    )


def _window(overrides, structure, seed, days=160, customers=1500, warmup=60, firm=None):
    sc = _scenario(overrides, customers, warmup)
    df = run_one(RunSpec(sc, structure, seed, days))
    w = df[df["day"] >= warmup]
    return w if firm is None else w[w["firm"] == firm]


def _staff_mean(w, metric):
    """A staff metric pooled over firms and days, weighted by staff on duty."""
    return float(np.average(w[metric], weights=w["staff_on_duty"]))


# ------------------------------------------------------------------ engagement mix
@pytest.mark.slow
def test_engagement_shares_respond_to_levers_but_do_not_saturate():
    """Gallup: ~1/3 engaged and ~1/6 actively disengaged typical; the best workplaces
    reach ~70 % engaged. Every firm gets the lever; shares pooled over 3 firms x ~26 staff
    of the calibrated 6,000-customer market (the mix depends on firm size: 3,000 customers
    give about 0.46 engaged), one seed, days 150-250 (after the engagement transient)."""

    def shares(ov):
        w = _window(ov, "linear", 11, days=250, customers=6000, warmup=150)
        return _staff_mean(w, "engaged_share"), _staff_mean(w, "disengaged_share")

    base = shares({})
    # baseline near Gallup's mix (margins: +-0.12 engaged, +-0.1 disengaged at this size)
    assert abs(base[0] - 1 / 3) < 0.12 and abs(base[1] - 1 / 6) < 0.1
    for lever in (
        {"firm.supervisor.style": 0.0},
        {"firm.supervisor.style": 0.9},
        {"firm.policy.involvement": 1.0},
        {"firm.policy.repeat_bonus": 20.0},
    ):
        eng, dis = shares(lever)
        # every single lever moves the mix (by at least 0.05) ...
        assert abs(eng - base[0]) > 0.05 or abs(dis - base[1]) > 0.05, lever
        # ... but keeps both groups populated: not beyond the ~70 % of the best workplaces
        # (margin 0.05 for one seed of ~78 staff)
        assert 0.03 < eng < 0.75 and dis < 0.75, (lever, eng, dis)


def test_engagement_differs_between_teams_with_their_supervisors():
    """Teams differ: supervisors' styles spread around the firm's, and a team's engagement
    falls with its supervisor's style (rank correlation below -0.3 over the teams)."""
    sc = _scenario({"firm.supervisor.style_sd": 0.25}, customers=4000)
    m = ServiceProfitChainModel(sc, "linear", seed=5)
    m.run(150)
    S = m.staff
    teams = np.arange(m.n_supervisors)
    assert teams.size >= 9  # several teams per firm
    eng = np.array([S.engagement[(S.team == t) & S.on_duty].mean() for t in teams])
    style = S.supervisor_style
    rho = np.corrcoef(np.argsort(np.argsort(style)), np.argsort(np.argsort(eng)))[0, 1]
    assert rho < -0.3, rho


# --------------------------------------------------------------- meaning and sting
@pytest.mark.slow
def test_relayed_stories_carry_meaning_under_the_linear_structure():
    """Grant 2008: mediated contact with the people served raises motivation. Under the
    linear structure (nothing heard directly) relayed meaning raises engagement; paired
    over 3 seeds, each pair in the same direction."""
    seeds = (21, 22, 23)
    on = [
        _staff_mean(_window({"feedback.relayed_meaning": 0.8}, "linear", s), "engagement_mean")
        for s in seeds
    ]
    off = [
        _staff_mean(_window({"feedback.relayed_meaning": 0.0}, "linear", s), "engagement_mean")
        for s in seeds
    ]
    assert all(a > b for a, b in zip(on, off, strict=True)), (on, off)


@pytest.mark.slow
def test_customers_harshness_matters_under_the_linear_structure():
    """A controlling supervisor relays harsh words raw or amplified: under the linear
    structure harsher customers lower performance (encounter quality, every one of 4 seed
    pairs; -0.028 to -0.034 at style 0.9, margin: each below -0.01). Before issue 7 the
    effect was exactly 0. The harm runs through attention drawn to the self (effort and
    learning); engagement hardly moves at style 0.9 (|diff| < 0.001), because a
    micro-manager's job already sits near the lower bound of the JD-R span."""
    ov = {"firm.supervisor.style": 0.9}

    def quality(harshness, seed):
        w = _window({**ov, "customers.harshness": harshness}, "linear", seed)
        return _staff_mean(w, "quality")

    diff = np.array([quality(1.0, s) - quality(0.0, s) for s in (31, 32, 33, 34)])
    assert (diff < -0.01).all(), diff


# ------------------------------------------------------------ feedback interventions
@pytest.mark.slow
def test_feedback_interventions_help_on_average_but_hurt_a_minority():
    """Kluger & DeNisi 1996: feedback interventions raise performance on average but lower
    it in about a third of cases, more when feedback is harsh and aimed at the person.
    12 heterogeneous units (small markets), a survey programme as the intervention."""
    df = intervention_effects(12, seed=3, customers=1200, days=150, start=60)
    assert df["d"].mean() > 0  # helps on average
    negative = (df["d"] < 0).mean()
    assert 1 / 12 <= negative <= 0.6, negative  # a sizeable minority, not most
    aimed = df["aimed_at_person"] > df["aimed_at_person"].median()
    # more harm where feedback is harsh and aimed at the person
    assert df.loc[aimed, "d"].mean() < df.loc[~aimed, "d"].mean()
    assert (df.loc[aimed, "d"] < 0).mean() > (df.loc[~aimed, "d"] < 0).mean()


# ------------------------------------------------------------------ bonus and tenure
@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="on the merged market a stronger focus lowers the repeat-visit rate (about -0.005 "
    "at focus 2.5 and -0.001 to -0.006 at focus 1, seeds 41-42): retention rests on the "
    "habit bonus above the zone of tolerance, which regulars' extra quality hardly moves, "
    "while newcomers served with less effort return less; at a strong focus the tilt also "
    "clips regulars' effort at 1, so effort is lost rather than redirected",
)
def test_bonus_focus_redirects_effort_toward_regulars():
    """With a repeat-business bonus, a stronger focus raises the repeat-visit rate of the
    focal firm (paired over 3 seeds; competitors pay no bonus)."""
    ov = {"firm.policy.repeat_bonus": 10.0, "competitors.policy.repeat_bonus": 0.0}
    seeds = (41, 42, 43)

    def rate(focus, seed):
        w = _window({**ov, "firm.policy.bonus_focus": focus}, "linear", seed, firm=0)
        return (
            float(w["retained"].sum() / w["visits"].sum())
            if "retained" in w
            else float(np.average(w["repeat_visit_rate"], weights=w["visits"]))
        )

    low = [rate(0.0, s) for s in seeds]
    high = [rate(2.5, s) for s in seeds]
    assert all(h > lo for h, lo in zip(high, low, strict=True)), (high, low)


def test_tenure_drives_skill_and_quitting():
    """Skill follows the learning curve over tenure (staff in their first half-year are
    less skilled than those past a year by more than 0.1; measured 0.21 on seed 9, 0.18 on
    seed 10; the initial staff's long tenures sit near their own mastery, so across all
    staff skill varies by mastery too and the rank correlation is only about 0.3-0.4), and
    new hires quit more: with the newcomer excess, turnover rises (paired over seeds 9-16,
    the 95 % interval of the mean difference above 0, t(0.975, 7) = 2.365; measured t 4.4,
    mean ratio 1.38; quits are rare events, so one seed alone can show no difference, as
    seed 9 did after feedback.self_attention was re-calibrated)."""
    sc = _scenario({}, customers=3000)
    m = ServiceProfitChainModel(sc, "linear", seed=9)
    m.run(120)
    S = m.staff
    on = S.on_duty
    rk = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    assert np.corrcoef(rk(S.tenure[on]), rk(S.skill[on]))[0, 1] > 0
    assert S.skill[on & (S.tenure >= 365)].mean() - S.skill[on & (S.tenure < 180)].mean() > 0.1

    def turnover(excess, seed):
        w = _window(
            {"workforce.newcomer_quit_excess": excess}, "linear", seed, days=300, customers=3000
        )
        return _staff_mean(w, "turnover_rate")

    rise = np.array([turnover(4.0, s) - turnover(0.0, s) for s in range(9, 17)])
    assert rise.mean() > 2.365 * rise.std(ddof=1) / np.sqrt(rise.size), rise


# ------------------------------------------------------------------------ staffing
def test_staffing_follows_demand():
    """A focal firm that prices itself high loses visits and, by attrition and unfilled
    vacancies, staff; its visits per employee stay near the target load (within 35 %).
    A third above the competitors' price loses it about half its visits (own-price
    elasticity about -1.6); far higher prices lose it every customer to its rivals and the
    outside option, and then no headcount matches the demand."""
    ov = {
        "firm.policy.price": 40.0,
        "competitors.policy.price": 30.0,
        "workforce.labour_market_tightness": 3.0,
    }
    sc = _scenario(ov, customers=3000)
    w = _window(ov, "linear", 4, days=240, customers=3000, warmup=160)
    per_firm = w.groupby("firm")[["visits", "staff_on_duty"]].mean()
    assert per_firm.loc[0, "visits"] < per_firm.loc[1, "visits"]
    assert per_firm.loc[0, "staff_on_duty"] < per_firm.loc[1, "staff_on_duty"]
    load = per_firm["visits"] / per_firm["staff_on_duty"] / sc.service.capacity
    target = sc.firm.policy.target_load
    assert (abs(load - target) < 0.35 * target).all(), load


# ---------------------------------------------------- every owned parameter acts
OWNED = ("employees.", "engagement.", "workforce.", "feedback.", "firm.supervisor.")
OWNED_POLICY = {
    "firm.policy.staff_per_1000_customers",
    "firm.policy.target_load",
    "firm.policy.staffing_horizon_days",
    "firm.policy.repeat_bonus",
    "firm.policy.bonus_focus",
    "firm.policy.involvement",
}
SHORT_STAFFED = {"firm.policy.staff_per_1000_customers": 10.0}
# parameters that act only together with another lever, and that lever's setting
NEEDS = {
    "firm.policy.bonus_focus": {"firm.policy.repeat_bonus": 5.0},
    "feedback.survey_response": {"feedback.survey_invitation": 0.3},
    "feedback.member_feedback_multiplier": {"firm.policy.loyalty_programme": True},
    "engagement.reward": {"firm.policy.repeat_bonus": 5.0},
    # quits are rare events: make them frequent enough for a 60-day check to see them
    "workforce.disengagement_quit_factor": {"workforce.labour_market_tightness": 5.0},
    "workforce.newcomer_quit_excess": {
        "workforce.labour_market_tightness": 5.0,
        **SHORT_STAFFED,
    },
    # hiring parameters act only when a firm hires: with the outside option about one need
    # in eight goes to no firm, so the default firms start a little overstaffed and hire
    # nobody within 60 days; these checks start them short-staffed instead
    "workforce.hiring_delay_days": SHORT_STAFFED,
    "workforce.new_hire_knowledge": SHORT_STAFFED,
    "workforce.new_hire_engagement": SHORT_STAFFED,
    "firm.policy.target_load": SHORT_STAFFED,
    # a firm starts staffed for the demand it forecasts, so the forecast's horizon acts only
    # once demand moves away from the staffing: a firm of two (600 customers) staffed for
    # a low load, whose forecast must climb past two staffing steps, so the horizon sets
    # when (and whether, within 60 days) the fourth is hired
    "firm.policy.staffing_horizon_days": {
        **SHORT_STAFFED,
        "firm.policy.target_load": 0.4,
    },
}
# values chosen by hand: the two cuts must stay ordered; a small firm has one team unless
# the span is small
SPECIAL = {
    "employees.engaged_threshold": 0.7,
    "employees.disengaged_threshold": 0.45,
    "firm.supervisor.span_of_control": 2,
}


MIXED = 0.5  # focal direct share: both the relay and the direct channel carry items


def _owned():
    for p in iter_parameters():
        if p.path.startswith(OWNED) or p.path in OWNED_POLICY:
            yield p


def _perturbed(p):
    """A value inside the range, 60 % of the way from the default to the far end (a
    [low, high] pair: shifted the same way, staying within its bounds)."""
    if isinstance(p.default, list):
        lo, hi = p.default
        room_up, room_down = p.high - hi, lo - p.low
        shift = 0.6 * room_up if room_up >= room_down else -0.6 * room_down
        return [lo + shift, hi + shift]
    target = p.high if (p.high - p.default) >= (p.default - p.low) else p.low
    value = p.default + 0.6 * (target - p.default)
    return round(value) if isinstance(p.default, int) else value


def test_every_owned_parameter_has_a_basis():
    missing = [p.path for p in _owned() if not p.basis]
    assert not missing, missing
    for p in _owned():
        if p.assumption and "lever" not in p.assumption:
            assert "checked over [" in p.assumption, p.path


@pytest.mark.slow
def test_every_owned_parameter_changes_some_output():
    """Perturb each parameter (60 % of the way to the far end of its range) in a small
    short market, the focal firm half linear and half triangular so that every channel is
    in use, and require some daily output to move."""
    ref_cache = {}
    inert = []
    for p in _owned():
        need = NEEDS.get(p.path, {})
        key = tuple(sorted(need.items()))
        if key not in ref_cache:
            ref_cache[key] = run_one(RunSpec(_scenario(need, 600, 10), MIXED, 2, 60))
        value = SPECIAL.get(p.path, _perturbed(p))
        df = run_one(RunSpec(_scenario({**need, p.path: value}, 600, 10), MIXED, 2, 60))
        if df.drop(columns=["day", "firm"]).equals(ref_cache[key].drop(columns=["day", "firm"])):
            inert.append((p.path, value))
    assert not inert, inert


# ------------------------------------------------------------ neither structure wins
GOOD_FILTER = {
    "firm.supervisor.style": 0.0,
    "firm.supervisor.style_sd": 0.0,
    "firm.supervisor.filter_fidelity": 1.0,
    "firm.supervisor.pass_rate": 1.0,
    "firm.supervisor.review_cadence_days": 1,
    "firm.supervisor.specificity": 1.0,
    "firm.supervisor.capacity": 100000,
}


@pytest.mark.slow
def test_regions_where_each_structure_wins():
    """Neither structure is wired to win. With harsh customers and a coaching, faithful, fast
    filter, linear matches or beats triangular on engagement (mean paired gap below +0.01);
    with mild customers and a controlling supervisor, triangular wins clearly on market share
    (the 95 % interval of the mean paired gap above 0 over 6 seeds, t(0.975, 5) = 2.571;
    measured t 6.1 after feedback.self_attention was re-calibrated to 1.3, whose 3 seeds
    alone gave gaps 0.003-0.010 with too wide an interval) and is ahead on engagement. The
    gap is under a point of share (about +0.006): the market answers quality in the Sears
    proportion, not 10x more."""
    seeds = (61, 62, 63, 64, 65, 66)

    def gaps(ov):
        """Paired gaps (triangular - linear) per seed, for engagement and visit share."""
        out = []
        for s in seeds:
            tri = _window(ov, "triangular", s, firm=0)
            lin = _window(ov, "linear", s, firm=0)
            out.append([tri[m].mean() - lin[m].mean() for m in ("engagement_mean", "visit_share")])
        return np.array(out).T

    coach = {**GOOD_FILTER, "customers.harshness": 0.9, "feedback.after_the_fact_coaching": 0.3}
    engagement_gap, _ = gaps(coach)
    assert engagement_gap.mean() < 0.01, engagement_gap
    engagement_gap, share_gap = gaps({"firm.supervisor.style": 0.8, "customers.harshness": 0.1})
    half_width = 2.571 * share_gap.std(ddof=1) / np.sqrt(share_gap.size)  # t(0.975, 5 df)
    assert share_gap.mean() > half_width, share_gap
    assert engagement_gap.mean() > 0, engagement_gap


# ------------------------------------------------------------------ steady-state start
def test_market_starts_in_its_steady_state():
    """An existing market (issue 7, fact 8): the staff start with the tenure, disposition
    and knowledge mix turnover sustains and customers' expectations around the quality
    they meet, so the state the warm-up has to forget does not drift. Means over days 0-9
    vs days 300-399 of a 3,000-customer market, seeds 5 and 6: each within 0.05 (measured
    at most 0.031; starting with newly hired staff, knowledge rose by 0.18)."""
    from sim import workforce

    for seed in (5, 6):
        m = ServiceProfitChainModel(_scenario({"market.days": 400}, customers=3000), seed=seed)
        rows = []
        for _ in range(400):
            on = m.staff.on_duty
            rows.append(
                (
                    m.staff.knowledge[on].mean(),
                    m.staff.skill[on].mean(),
                    m.customers.expectation.mean(),
                )
            )
            m.step()
        r = np.array(rows)
        drift = np.abs(r[300:].mean(axis=0) - r[:10].mean(axis=0))
        assert (drift < 0.05).all(), (seed, drift)
    # the mechanism: occupants are drawn length-biased, so the initial staff are selected
    # toward dispositions that stay (mean above the hires' 0 by more than 0.05, 4,000 draws
    # with sd 0.4: standard error 0.006) and have longer tenures than a uniform start
    rng = np.random.default_rng(1)
    d, t = workforce.stationary_staff(
        4000,
        rng,
        disposition_sd=0.4,
        typical_logit=0.2,
        base=0.0012,
        factor=2.0,
        tightness=1.0,
        newcomer_excess=2.0,
        settling_days=120.0,
    )
    assert d.mean() > 0.05 and d.std() > 0.3
    assert 500 < t.mean() < 1200 and t.min() >= 0
