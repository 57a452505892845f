"""Unit tests of each mechanism as a pure function (statistical where random)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim import choice, encounter, engagement, finance, routing, workforce
from sim import word_of_mouth as wom
from sim.config import Engagement, Feedback, Scenario, Supervisor


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- customer choice
def test_logit_choice_matches_softmax_probabilities():
    util = np.tile(np.array([[0.0], [1.0], [-1.0]]), (1, 200_000))
    chosen = choice.logit_choice(util, rng().random(200_000))
    p = np.exp(util[:, 0]) / np.exp(util[:, 0]).sum()
    freq = np.bincount(chosen, minlength=3) / chosen.size
    # binomial sd at n=200k is below 0.0011; allow 5 sd
    assert np.allclose(freq, p, atol=0.0055)


def test_habit_loyalty_price_and_closed_firms_enter_utility():
    """Utility = sensitivity x attitude + habit at the last firm + programme value for a
    member of that firm - price disutility; a closed firm is never chosen.

    The programme's value sits at an open firm, with a member and a non-member there.
    Catches: loyalty utility given to non-members (or to members of another firm), habit
    added at the wrong firm, price disutility added instead of subtracted.
    """
    att = np.full((3, 3), 0.5)  # firm-major: 3 firms x 3 customers
    member = np.zeros((3, 3), dtype=bool)
    member[0, 0] = True  # customer 0 is a member at open firm 0
    member[2, 2] = True  # customer 2 is a member at closed firm 2
    value = choice.membership_value(
        member,
        np.array([1, 0, -1]),
        np.ones(3),
        loyalty_utility=np.array([0.7, 0.7, 0.7]),
        reward=np.zeros(3),
        price=np.full(3, 30.0),
        price_sensitivity=0.05,
    )
    util = choice.choice_utilities(
        att.copy(),
        np.array([1, 0, -1]),  # customer 1 last went to firm 0, customer 2 never went
        value,
        sensitivity=8.0,
        habit=0.4,
        price_disutility=np.array([0.3, 0.1, 0.0]),
        open_firms=np.array([True, True, False]),
    )
    assert util.shape == (3, 3)  # firm-major
    assert util[0].tolist() == pytest.approx([4.0 + 0.7 - 0.3, 4.0 + 0.4 - 0.3, 4.0 - 0.3])
    assert util[1].tolist() == pytest.approx([4.0 + 0.4 - 0.1, 4.0 - 0.1, 4.0 - 0.1])
    assert np.isneginf(util[2]).all()
    chosen = choice.logit_choice(util, rng().random(3))
    assert (chosen != 2).all()


def test_outside_option_is_chosen_with_its_logit_probability():
    util = np.tile(np.array([[0.0], [1.0]]), (1, 200_000))
    chosen = choice.logit_choice(util, rng().random(200_000), outside=0.5)
    w = np.exp([0.0, 1.0, 0.5])
    p = w / w.sum()
    freq = np.array([(chosen == 0).mean(), (chosen == 1).mean(), (chosen == -1).mean()])
    # binomial sd at n=200k is below 0.0012; allow 5 sd
    assert np.allclose(freq, p, atol=0.006)
    closed = np.full((2, 5), -np.inf)
    assert (choice.logit_choice(closed, rng().random(5), outside=0.0) == -1).all()


def test_loyalty_reward_is_valued_in_proportion_to_its_size_and_the_members_spend():
    member = np.ones((2, 3), dtype=bool)
    last = np.array([0, 0, 1])
    spend = np.array([1.0, 1.3, 1.3])
    kw = dict(loyalty_utility=np.zeros(2), price=np.full(2, 30.0), price_sensitivity=0.05)
    small = choice.membership_value(member, last, spend, reward=np.full(2, 0.05), **kw)
    big = choice.membership_value(member, last, spend, reward=np.full(2, 0.10), **kw)
    assert big == pytest.approx(2 * small)
    assert small[0, 1] == pytest.approx(1.3 * small[0, 0])  # bigger spender, bigger reward
    assert small[1, 0] == pytest.approx(0.05 * 0.05 * 30)  # base spend where not a regular
    none = choice.membership_value(~member, last, spend, reward=np.full(2, 0.1), **kw)
    assert not none.any()


def test_habit_holds_only_inside_the_zone_of_tolerance():
    last = np.array([0, 1, 2, -1])
    sat = np.array([0.6, 0.34, 0.35, np.nan])
    assert choice.regular_firm(last, sat, 0.35).tolist() == [0, -1, 2, -1]


def test_relationship_maturity_rises_from_zero_with_consecutive_visits():
    g = choice.relationship_maturity(np.array([1, 2, 5, 50]), 4.0)
    assert g[0] == 0.0 and np.all(np.diff(g) > 0) and g[-1] < 1.0
    assert g[2] == pytest.approx(1 - np.exp(-1.0))


def test_logit_choice_is_the_inverse_cdf_of_the_softmax():
    """Deterministic: with equal utilities at firms 0 and 2 and firm 1 closed, a
    uniform below 1/2 picks firm 0 and one above picks firm 2, never the closed firm;
    huge utilities do not overflow.

    Catches: the cumulative sum skipping or repeating a firm, <= instead of <, the
    maximum taken over customers instead of firms.
    """
    u = np.array([0.0, 0.25, 0.49, 0.5, 0.51, 0.75, 0.999])
    util = np.tile(np.array([[3.0], [-np.inf], [3.0]]), (1, u.size))
    # u = 0.5 is exactly firm 0's cumulative probability: "below u" excludes it
    assert choice.logit_choice(util, u).tolist() == [0, 0, 0, 0, 2, 2, 2]
    u = np.delete(u, 3)
    thirds = np.tile(np.array([[1.0], [1.0], [1.0]]), (1, u.size))
    assert choice.logit_choice(thirds, u).tolist() == [0, 0, 1, 1, 2, 2]
    big = np.array([[1000.0, 0.0], [1000.0 + np.log(3.0), -1000.0]])
    assert choice.logit_choice(big, np.array([0.24, 0.26])).tolist() == [0, 0]
    assert choice.logit_choice(big, np.array([0.26, 0.99])).tolist() == [1, 0]


def test_enrolment_only_where_a_programme_exists():
    member = np.zeros((2, 1000), dtype=bool)  # firm-major
    visitors = np.arange(1000)
    chosen = np.repeat([0, 1], 500)
    joined = choice.enrol_members(
        member, visitors, chosen, np.array([0.0, 0.5]), rng().random(1000)
    )
    assert not member[0].any()
    assert (joined == 1).all() and joined.size == member[1].sum()
    assert 200 < joined.size < 300  # Binomial(500, 0.5): 5 sd is about 56
    # a zero join probability enrols nobody, even with a uniform of exactly 0
    none = np.zeros((1, 3), dtype=bool)
    choice.enrol_members(none, np.arange(3), np.zeros(3, dtype=np.int64), np.zeros(1), np.zeros(3))
    assert not none.any()


# ------------------------------------------------------------- service encounter
def test_assign_servers_respects_matching_and_rosters():
    n = 20_000
    chosen = np.zeros(n, dtype=np.int64)
    own = np.full(n, 3)
    own_valid = np.ones(n, dtype=bool)
    rosters = [np.array([1, 2, 3, 4])]
    server, same = encounter.assign_servers(chosen, own, own_valid, np.full(n, 0.6), rosters, rng())
    assert set(np.unique(server)) <= {1, 2, 3, 4}
    # matched with prob 0.6, otherwise a random one of 4 (1/4 chance of own)
    assert same.mean() == pytest.approx(0.6 + 0.4 * 0.25, abs=0.015)
    server2, same2 = encounter.assign_servers(
        chosen, own, np.zeros(n, dtype=bool), np.ones(n), rosters, rng()
    )
    assert not same2.any()
    assert np.bincount(server2, minlength=5)[1:].min() > n / 4 - 400


def test_quality_rises_with_each_input_and_falls_with_overload():
    base = dict(
        skill=np.array([0.5]),
        need_knowledge=np.array([0.5]),
        effort=np.array([0.5]),
        rapport=np.array([0.5]),
        overload=np.array([0.0]),
        noise=np.array([0.0]),
    )
    w = dict(
        weight_skill=0.35,
        weight_knowledge=0.25,
        weight_effort=0.25,
        weight_rapport=0.15,
        overload_penalty=0.5,
    )
    q0 = encounter.encounter_quality(**base, **w)[0]
    for key in ("skill", "need_knowledge", "effort", "rapport"):
        assert encounter.encounter_quality(**{**base, key: np.array([0.9])}, **w)[0] > q0
    assert encounter.encounter_quality(**{**base, "overload": np.array([0.4])}, **w)[0] < q0
    hi = encounter.encounter_quality(**{**base, "noise": np.array([5.0])}, **w)
    assert hi[0] == 1.0


def test_disconfirmation_satisfaction():
    sat, surprise = encounter.disconfirmation_satisfaction(
        np.array([0.6, 0.6, 0.6]), np.array([0.4, 0.6, 0.8]), 0.5
    )
    assert surprise == pytest.approx([0.2, 0.0, -0.2])
    assert sat == pytest.approx([0.7, 0.6, 0.5])  # same quality, lower expectation: happier


def test_negative_surprises_weigh_more_than_positive_ones():
    q, e = np.array([0.6, 0.6]), np.array([0.5, 0.7])
    sat, surprise = encounter.disconfirmation_satisfaction(q, e, 0.4, 2.0)
    assert surprise == pytest.approx([0.1, -0.1])
    gain, loss = sat[0] - 0.6, 0.6 - sat[1]
    assert gain == pytest.approx(0.04) and loss == pytest.approx(0.08)  # loss = 2 x gain


def test_expectations_average_early_visits_then_adapt_at_the_floor():
    rate = encounter.expectation_rate(np.array([0, 1, 3, 20]), 0.15)
    assert rate == pytest.approx([1.0, 0.5, 0.25, 0.15])


def test_likelihood_to_recommend_rises_with_satisfaction_on_a_0_to_10_scale():
    ltr = encounter.likelihood_to_recommend(np.linspace(0, 1, 101), 0.45, 8.0)
    assert ltr.dtype.kind == "i" and ltr.min() >= 0 and ltr.max() <= 10
    assert np.all(np.diff(ltr) >= 0) and ltr[0] <= 1 and ltr[-1] >= 9
    assert encounter.likelihood_to_recommend(np.array([0.45]), 0.45, 8.0)[0] == 5


def test_workload_and_rapport():
    served, over = encounter.workload(np.array([0, 0, 0, 1]), 3, capacity=2)
    assert served.tolist() == [3, 1, 0]
    assert over == pytest.approx([0.5, 0.0, 0.0])
    r = encounter.grow_rapport(np.array([0.5, 0.5]), np.array([True, False]), 0.2)
    assert r == pytest.approx([0.6, 0.2])


# ------------------------------------------------------------------ word of mouth
def test_small_world_matches_networkx_watts_strogatz():
    n, k, p = 2000, 6, 0.1
    indptr, indices = wom.small_world(n, k, p, rng(1))
    g = wom.to_networkx(indptr, indices)
    ref = nx.watts_strogatz_graph(n, k, p, seed=1)
    assert g.number_of_nodes() == n
    assert abs(g.number_of_edges() - ref.number_of_edges()) / ref.number_of_edges() < 0.01
    assert nx.average_clustering(g) == pytest.approx(nx.average_clustering(ref), abs=0.03)
    assert all(u != v for u, v in g.edges())


def test_small_world_csr_is_symmetric_without_loops_or_duplicates():
    """Read the CSR arrays themselves (not a networkx Graph, which would merge duplicates
    and symmetrise): every contact j of i lists i among its own contacts, no customer is
    their own contact and no contact appears twice in a row.

    Catches: one direction of each edge dropped, self-loops or duplicate edges from
    rewiring kept, indptr offsets shifted by one.
    """
    n = 500
    indptr, indices = wom.small_world(n, 8, 0.3, rng(2))
    assert indptr[0] == 0 and indptr[-1] == indices.size
    src = np.repeat(np.arange(n), np.diff(indptr))
    pairs = set(zip(src.tolist(), indices.tolist(), strict=True))
    assert len(pairs) == indices.size  # no duplicates within a row
    assert all((j, i) in pairs for i, j in pairs)
    assert (src != indices).all()
    # rewiring with p = 0.3 of 2000 lattice edges drops only a few as duplicates
    assert 0.97 * n * 8 <= indices.size <= n * 8


def test_small_world_without_rewiring_is_a_ring_lattice():
    indptr, indices = wom.small_world(10, 4, 0.0, rng())
    assert np.diff(indptr).tolist() == [4] * 10
    assert sorted(indices[indptr[0] : indptr[1]].tolist()) == [1, 2, 8, 9]


def test_spread_moves_only_contacts_attitudes_to_that_firm():
    indptr, indices = wom.small_world(10, 2, 0.0, rng())  # ring: i ~ i-1, i+1
    att = np.full((2, 10), 0.5)  # firm-major
    sent = wom.spread(
        att, indptr, indices, np.array([0, 5]), np.array([1, 0]), np.array([0.1, -0.2])
    )
    assert sent == 4
    assert att[1, [1, 9]] == pytest.approx([0.6, 0.6])
    assert att[0, [4, 6]] == pytest.approx([0.3, 0.3])
    assert (att[:, [0, 2, 3, 5, 7, 8]] == 0.5).all()
    wom.spread(att, indptr, indices, np.array([0] * 10), np.array([1] * 10), np.full(10, 0.5))
    assert att.max() == 1.0


# --------------------------------------------------------------- feedback routing
def test_feedback_propensity_is_u_shaped_in_disconfirmation():
    s = np.array([-0.4, -0.1, 0.0, 0.1, 0.4])
    kw = dict(base=0.02, surprise_gain=1.0, member_multiplier=1.5, survey_response=0.3)
    p = routing.feedback_propensity(s, np.zeros(5, bool), np.zeros(5, bool), **kw)
    assert p[2] == pytest.approx(0.02)
    assert p[0] == p[4] > p[1] == p[3] > p[2]
    pm = routing.feedback_propensity(s, np.ones(5, bool), np.zeros(5, bool), **kw)
    assert (pm > p).all()
    pi = routing.feedback_propensity(s, np.zeros(5, bool), np.ones(5, bool), **kw)
    assert pi[2] == pytest.approx(1 - 0.98 * 0.7)


def test_structure_presets_and_channel_graph():
    sc = Scenario()
    assert routing.resolve_structure(sc, "linear") == 0.0
    assert routing.resolve_structure(sc, "triangular") == 1.0
    assert routing.resolve_structure(sc, 0.25) == 0.25
    with pytest.raises(ValueError, match="allowed"):
        routing.resolve_structure(sc, "circular")
    sup = Supervisor(style=0.0, filter_fidelity=1.0)
    g = routing.channel_graph(0.0, sup, Feedback())
    assert g.edges["customer", "employee", "direct"]["share"] == 0.0
    assert g.edges["supervisor", "employee", "relay"]["delay"] == sup.review_cadence_days
    # a perfect coach's relay carries more than the raw words (the "starting block")
    assert g.edges["supervisor", "employee", "relay"]["fidelity"] > Feedback().direct_clarity


def _items(employee, praise, harsh, direct, need=None):
    employee = np.asarray(employee)
    return routing.FeedbackItems(
        employee=employee,
        need=np.zeros(employee.size, dtype=np.int64) if need is None else np.asarray(need),
        praise=np.asarray(praise),
        harsh=np.asarray(harsh),
        direct=np.asarray(direct),
    )


def test_direct_items_arrive_at_once_queued_items_wait():
    q = routing.Queues(2, 1)
    out = routing.Delivery.empty(2, 1)
    items = _items(
        [0, 0, 1, 1],
        [True, False, True, False],
        [False, True, False, True],
        [True, True, False, False],
    )
    n_now, info = routing.route_items(items, 3, q, out, clarity=0.7, gain=0.1)
    assert n_now == 2 and info == pytest.approx(1.4)
    assert out.recognition.tolist() == [1, 0] and out.sting.tolist() == [1, 0]
    assert out.meaning.tolist() == [2, 0]
    assert q.praise.tolist() == [0, 1] and q.criticism.tolist() == [0, 1]
    assert q.copies_harsh.tolist() == [1, 0]
    assert out.criticism_heard_by_supervisor.tolist() == [1, 1]


def _channels(**kw):
    base = dict(
        relay_value=np.array([0.8]),
        coaching_value=np.zeros(1),
        coaching_repair=np.zeros(1),
        cadence=np.array([7]),
        pass_praise=np.ones(1),
        pass_criticism=np.ones(1),
        specificity=np.ones(1),
        self_focus=np.zeros(1),
        harsh_sting=np.zeros(1),
        task_blame=np.zeros(1),
        relayed_meaning=np.zeros(1),
        capacity=np.array([1e9]),
        control_sensitivity=np.zeros(1),
    )
    base.update({k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in kw.items()})
    base["cadence"] = base["cadence"].astype(np.int64)
    return routing.Channels(**base)


def _review(day, q, ch, team=(0, 0), seed=0):
    out = routing.Delivery.empty(len(team), q.need.shape[1])
    tally = routing.review(
        day,
        np.array(team),
        np.array([float(len(team))]),
        np.array([0]),
        ch,
        q,
        out,
        rng(seed),
        gain=0.1,
        team_summary_weight=0.3,
    )
    return out, tally


def test_review_happens_on_cadence_and_measures_latency():
    q = routing.Queues(2, 1)
    routing.route_items(
        _items([0] * 4, [True, False] * 2, [False] * 4, [False] * 4),
        2,
        q,
        routing.Delivery.empty(2, 1),
        clarity=0.7,
        gain=0.1,
    )
    out, tally = _review(5, q, _channels())
    assert tally.delivered.sum() == 0 and q.praise[0] == 2  # not a review day
    out, tally = _review(7, q, _channels())
    assert tally.delivered.sum() == 4 and tally.latency_sum.sum() == pytest.approx(4 * 5)
    assert q.praise.sum() == 0 and q.criticism.sum() == 0
    assert out.recognition[0] == 2 and out.growth[0] == 2 and out.sting[0] == 0


def test_review_capacity_pass_rate_and_bias_drop_items():
    def delivered(**kw):
        q = routing.Queues(2, 1)
        q.praise[:] = 500
        q.criticism[:] = 500
        q.need[:, 0] = 1000
        _, t = _review(7, q, _channels(**kw))
        return t.delivered.sum(), t.resolved.sum()

    assert delivered() == (2000, 2000)
    d, r = delivered(capacity=500)
    assert r == 2000 and abs(d - 500) < 5 * np.sqrt(2000 * 0.25 * 0.75)
    d, _ = delivered(pass_praise=0.0, pass_criticism=1.0)
    assert d == 1000


def _relay_sting(style, harsh, amplification=0.5, blame=0.5):
    """Sting and growth from 10 relayed criticisms, ``harsh`` of them aimed at the person,
    through a supervisor of ``style`` (channels read off the routing graph)."""
    sup = Supervisor(style=style, amplification=amplification, blame=blame)
    ch = routing.channel_parameters([routing.channel_graph(0.0, sup, Feedback())])
    ch = _channels(self_focus=ch.self_focus, harsh_sting=ch.harsh_sting, task_blame=ch.task_blame)
    q = routing.Queues(1, 1)
    q.criticism[0] = 10
    q.harsh[0] = harsh
    q.need[0, 0] = 10
    out, _ = _review(7, q, ch, team=(0,))
    return out.sting[0], out.growth[0]


def test_micromanager_words_sting_coach_words_teach():
    # a coach buffers harsh words and blames no one: all task information
    assert _relay_sting(0.0, 10) == (0.0, 10.0)
    # a full micro-manager personalises task criticism (blame) ...
    assert _relay_sting(1.0, 0) == pytest.approx((5.0, 5.0))
    # ... and passes harsh words on raw and amplified
    assert _relay_sting(1.0, 10) == pytest.approx((15.0, 0.0))


def test_harsh_words_reach_the_employee_through_a_controlling_filter():
    """Under the linear structure, customers' harshness matters unless the filter is a
    pure coach; raw (amplification 0) the sting equals what direct contact would give."""
    for style in (0.3, 0.7, 1.0):
        mild, harsh = _relay_sting(style, 1)[0], _relay_sting(style, 9)[0]
        assert harsh > mild
    assert _relay_sting(1.0, 10, amplification=0.0)[0] == pytest.approx(10.0)
    assert _relay_sting(0.0, 9)[0] == _relay_sting(0.0, 1)[0] == 0.0


def test_relayed_comments_carry_mediated_meaning():
    """Grant 2008: stories about the customers served carry meaning, less than hearing
    them directly (a direct item adds 1 to the meaning trace)."""
    q = routing.Queues(2, 1)
    q.praise[0] = 10
    q.need[0, 0] = 10
    out, _ = _review(7, q, _channels(relayed_meaning=0.4, specificity=0.5))
    # specific half to employee 0, the summary half diluted over both (0.3 / 2)
    assert out.meaning[0] == pytest.approx(0.4 * (5 + 5 * 0.15))
    assert out.meaning[1] == pytest.approx(0.4 * 5 * 0.15)
    assert out.meaning[0] < 10  # less than ten direct items would give


def test_team_summary_spreads_diluted_information():
    q = routing.Queues(2, 1)
    q.praise[0] = 10
    q.need[0, 0] = 10
    out, _ = _review(7, q, _channels(specificity=0.0))
    assert out.recognition[0] == out.recognition[1] == pytest.approx(10 * 0.3 / 2)
    assert out.log_keep[0, 0] == out.log_keep[1, 0] < 0


# ---------------------------------------------------------------------- engagement
def test_jdr_target_moves_with_resources_and_demands():
    w = Engagement()
    base = {
        k: np.array([0.3])
        for k in (
            "disposition",
            "autonomy",
            "recognition",
            "meaning",
            "growth",
            "support",
            "involvement",
            "reward",
            "overload",
            "control",
            "sting",
        )
    }
    t0 = engagement.jdr_target(w, **base)[0]
    # the job acts through each person's sensitivity: none, no response
    insensitive = {**base, "sensitivity": 0.0}
    assert engagement.jdr_target(w, **{**insensitive, "autonomy": np.array([0.9])})[0] == (
        pytest.approx(engagement.jdr_target(w, **insensitive)[0])
    )
    for res in ("autonomy", "recognition", "meaning", "growth", "support", "involvement", "reward"):
        assert engagement.jdr_target(w, **{**base, res: np.array([0.8])})[0] > t0, res
    for dem in ("overload", "control", "sting"):
        assert engagement.jdr_target(w, **{**base, dem: np.array([0.8])})[0] < t0, dem


def test_the_job_moves_engagement_within_bounds():
    """However good or bad the job, its effect on the logit is at most span * sensitivity."""
    w = Engagement()
    zero = {k: np.zeros(1) for k in ("autonomy", "recognition", "meaning", "growth")}
    zero |= {k: np.zeros(1) for k in ("support", "involvement", "reward", "overload")}
    zero |= {"control": np.zeros(1), "sting": np.zeros(1), "disposition": np.zeros(1)}
    best = engagement.jdr_target(w, **{**zero, "autonomy": np.array([50.0])})[0]
    worst = engagement.jdr_target(w, **{**zero, "sting": np.array([50.0])})[0]
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert logit(best) == pytest.approx(w.baseline + w.span)
    assert logit(worst) == pytest.approx(w.baseline - w.span)


def test_self_directed_criticism_and_the_bonus_focus_shape_effort():
    e = np.full(3, 0.6)
    calm = engagement.effort(
        e, np.zeros(3), np.array([True, False, True]), self_attention=0.3, bonus_shift=0.0
    )
    assert calm == pytest.approx(e)
    stung = engagement.effort(
        e, np.full(3, 0.5), np.zeros(3, bool), self_attention=0.3, bonus_shift=0.0
    )
    assert stung == pytest.approx(0.6 * np.exp(-0.3 * 0.5))
    # the same attention is missing from learning
    assert engagement.task_focus(np.array([0.5]), 0.3)[0] == pytest.approx(np.exp(-0.15))
    tilted = engagement.effort(
        e, np.zeros(3), np.array([True, False, True]), self_attention=0.3, bonus_shift=0.2
    )
    assert tilted == pytest.approx([0.72, 0.48, 0.72])


def test_engagement_helpers():
    assert engagement.saturate(np.array([0.0, 0.5, 1e9]), 0.5) == pytest.approx([0, 0.5, 1])
    assert engagement.autonomy(np.array([1.0]), np.array([1.0]))[0] == 0.5
    e = engagement.move_toward(np.array([0.2, 0.9]), np.array([1.0, 1.0]), 0.5, np.array([0, 0.5]))
    assert e == pytest.approx([0.6, 1.0])
    hi, mid, lo = engagement.engagement_categories(np.array([0.1, 0.5, 0.9]), 0.62, 0.38)
    assert hi.tolist() == [False, False, True] and lo.tolist() == [True, False, False]
    assert (hi.astype(int) + mid + lo == 1).all()


# ------------------------------------------------------------ workforce & finance
def test_quit_hazard_rises_as_engagement_falls():
    h = workforce.quit_hazard(np.array([0.9, 0.5, 0.1]), 0.001, 3.0, 1.0)
    assert h[1] == pytest.approx(0.001)
    assert h[0] < h[1] < h[2]
    assert workforce.quit_hazard(np.array([0.5]), 0.001, 3.0, 2.0)[0] == pytest.approx(0.002)


def test_quit_hazard_falls_with_tenure():
    h = workforce.quit_hazard(np.full(3, 0.5), 0.001, 3.0, 1.0, np.array([0, 120, 1000]), 2.0, 120)
    assert h[0] == pytest.approx(0.003)
    assert h[0] > h[1] > h[2] > 0.001


def test_staffing_follows_demand_by_hiring_and_attrition():
    firm = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    on = np.array([1, 1, 0, 0, 1, 1, 1, 0], bool)
    is_open = np.array([0, 0, 0, 0, 0, 0, 0, 1], bool)
    until = np.zeros(8, dtype=np.int64)
    target = workforce.staffing_target(
        np.array([30.0, 10.0]), 10.0, np.array([0.75, 0.5]), np.array([4, 4])
    )
    assert target.tolist() == [4, 2]
    workforce.staffing(firm, on, is_open, until, target, day=5, delay=14)
    # firm 0 opens two vacancies to be filled in 14 days; firm 1 closes its open one
    assert is_open.tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    assert until[2] == until[3] == 19
    assert on.sum() == 5  # nobody is laid off


def test_knowledge_learning_and_drift():
    k = np.array([[0.5, 0.5]])
    log_keep = np.array([[np.log(0.5), 0.0]])
    k2 = workforce.update_knowledge(k, log_keep, 0.0, np.array([0.0]))
    assert k2[0] == pytest.approx([0.75, 0.5])
    assert workforce.update_knowledge(k, np.zeros((1, 2)), 0.1, np.zeros(1))[0, 0] == 0.45
    assert workforce.learn_skill(np.array([0.5]), 0.1)[0] == pytest.approx(0.55)
    assert workforce.learn_skill(np.array([0.5]), 0.1, np.array([0.7]))[0] == pytest.approx(0.52)


def test_daily_accounts_add_up():
    one = np.ones(2)
    acc = finance.daily_accounts(
        sales=np.array([11.0, 0.0]),  # 10 visits, one by a long-standing big spender
        member_sales=np.array([4.0, 0.0]),
        serve_units=np.array([9.5, 0.0]),
        repeat_served=np.array([5.0, 0.0]),
        staff_on_payroll=np.array([2.0, 2.0]),
        supervisors=one,
        hires=np.array([1.0, 0.0]),
        price=30 * one,
        serving_cost=2 * one,
        loyalty_reward=np.array([0.1, 0.0]),
        repeat_bonus=2 * one,
        wage=50 * one,
        supervisor_wage=80 * one,
        hiring_cost=100 * one,
        training_cost=50 * one,
        fixed_cost=10 * one,
    )
    assert acc["revenue"].tolist() == [330.0, 0.0]
    # each cost line by name (reports break them down)
    assert acc["wage_cost"][0] == 100 and acc["supervision_cost"][0] == 80
    assert acc["serving_cost"][0] == pytest.approx(19.0)
    assert acc["bonus_cost"][0] == 10 and acc["loyalty_cost"][0] == pytest.approx(12)
    assert acc["hiring_cost"][0] == 150 and acc["fixed_cost"][0] == 10
    assert acc["costs"][0] == pytest.approx(100 + 80 + 19 + 10 + 12 + 150 + 10)
    assert acc["profit"][0] == pytest.approx(330 - 381)
    assert acc["return_on_sales"][0] == pytest.approx(-51 / 330)
    assert np.isnan(acc["return_on_sales"][1])


def test_after_the_fact_coaching_repairs_what_is_left_of_the_sting():
    q = routing.Queues(1, 1)
    out = routing.Delivery.empty(1, 1)
    routing.route_items(_items([0], [False], [True], [True]), 0, q, out, clarity=0.7, gain=0.1)
    assert out.sting[0] == 1 and q.copies_harsh[0] == 1
    for _ in range(3):  # three days pass before the review
        q.fade(0.1)
    out2, _ = _review(3, q, _channels(coaching_repair=0.5, cadence=3), team=(0,))
    assert out2.sting_repair[0] == pytest.approx(0.5 * 0.9**3)
    assert q.copies_harsh[0] == 0  # coached items leave the queue


def test_team_summary_criticism_is_task_information_whatever_the_style():
    q = routing.Queues(2, 1)
    q.criticism[0] = 10
    q.need[0, 0] = 10
    ch = _channels(specificity=0.0, self_focus=1.0, harsh_sting=1.5, task_blame=0.5)
    q.harsh[0] = 5
    out, _ = _review(7, q, ch)
    assert out.sting.sum() == 0
    assert out.growth[0] == out.growth[1] == pytest.approx(10 * 0.3 / 2)


def test_channel_graph_has_the_five_channels_and_coaching_after_the_fact():
    """The routing graph names its channels (direct, hear, relay, summary, coaching); the
    coaching channel carries the coach's context for the unclear part of a raw comment,
    scaled by the after-the-fact factor, and repairs that share of sting.

    Catches: a channel dropped or renamed; the coaching value divided instead of
    multiplied by a factor.
    """
    sup = Supervisor(style=0.2, filter_fidelity=0.9)
    fb = Feedback(direct_clarity=0.7, coach_context=0.6, after_the_fact_coaching=0.5)
    g = routing.channel_graph(0.3, sup, fb)
    assert sorted(k for _, _, k in g.edges(keys=True)) == sorted(
        ["direct", "hear", "relay", "summary", "coaching"]
    )
    coaching = g.edges["supervisor", "employee", "coaching"]
    assert coaching["fidelity"] == pytest.approx(0.9 * 0.3 * 0.6 * 0.8 * 0.5)
    assert coaching["repair"] == pytest.approx(0.5 * 0.8)
    assert coaching["share"] == 0.3
    # shares of all items: heard directly, relayed to the person, summarised to the team
    relay = g.edges["supervisor", "employee", "relay"]
    summary = g.edges["supervisor", "team", "summary"]
    assert relay["share"] == pytest.approx(0.7 * sup.pass_rate * sup.specificity)
    assert summary["share"] == pytest.approx(0.7 * sup.pass_rate * (1 - sup.specificity))
