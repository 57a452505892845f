"""The day's phases in plain numpy: the reference the compiled passes are docked with.

These are the vectorised forms the compiled passes (numba) replaced, kept here so
that tests/test_kernels.py can run whole days both ways and require identical
results. A mechanism change lands in both: in the mechanism's module and here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import choice, engagement, finance, workforce
from sim.choice import OUTSIDE, logit_choice
from sim.encounter import (
    adapt,
    disconfirmation_satisfaction,
    encounter_quality,
    expectation_rate,
    grow_rapport,
    likelihood_to_recommend,
    workload,
)
from sim.engagement import autonomy as _autonomy
from sim.engagement import fade, jdr_target, move_toward, task_focus
from sim.metrics import METRIC_NAMES
from sim.routing import Delivery, FeedbackItems, ReviewTally, feedback_propensity, need_counts

if TYPE_CHECKING:
    from sim.model import ServiceProfitChainModel
    from sim.routing import Channels, Queues
    from sim.state import Today


def choose(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 1 of the day: whose need arises today, and where they go: a firm or none
    (the outside option; nobody is served while every firm is closed)."""
    C, cc, K = m.customers, m.config.customers, m.firms.k
    seekers = np.flatnonzero(m.streams["visits"].random(C.n) < cc.visit_rate)
    if not m.open_firms.any():
        seekers = seekers[:0]
    prev_all = C.last_firm[seekers]
    util, _ = m.choice_utilities(seekers)
    pick = logit_choice(util, m.streams["choice"].random(seekers.size), cc.outside_utility)
    buys = pick != OUTSIDE
    t.seekers, t.buys = seekers, buys
    t.visitors, t.chosen, t.prev = seekers[buys], pick[buys], prev_all[buys]
    # everyone whose last visit was here and who needed the service today, whether
    # they came back, went to a rival or went nowhere
    t.returning = np.bincount(prev_all[prev_all >= 0], minlength=K).astype(float)


def assign_servers(
    chosen: np.ndarray,
    own: np.ndarray,
    own_valid: np.ndarray,
    match_probability: np.ndarray,
    on_duty_by_firm: list[np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Employee slot serving each visit, and whether it is the customer's own employee.

    A returning customer whose own employee is on duty at the chosen firm gets them
    with ``match_probability`` (customer focus, loyalty programme); everyone else
    gets a random employee on duty (who may by chance be their own).
    """
    n = chosen.size
    u = rng.random(n)
    matched = own_valid & (u < match_probability)
    server = np.where(matched, own, -1)
    need = np.flatnonzero(~matched)
    firms_needing = chosen[need]
    for k, staff in enumerate(on_duty_by_firm):
        rows = need[firms_needing == k]
        if rows.size:
            server[rows] = staff[rng.integers(0, staff.size, size=rows.size)]
    same = own_valid & (server == own)
    return server, same


def serve(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 2 of the day: who serves each visit, and each employee's load."""
    C, S, F = m.customers, m.staff, m.firms
    visitors, chosen = t.visitors, t.chosen
    own = C.own_employee[visitors]
    has_own = own >= 0
    own_c = np.where(has_own, own, 0)
    own_valid = (
        has_own
        & S.on_duty[own_c]
        & (S.generation[own_c] == C.own_generation[visitors])
        & (S.firm[own_c] == chosen)
    )
    t.member_here = member_here = C.member[chosen, visitors]
    match_p = np.minimum(1.0, F.customer_focus[chosen] + F.loyalty_matching[chosen] * member_here)
    t.server, t.same = assign_servers(
        chosen, own, own_valid, match_p, m.rosters, m.streams["assignment"]
    )
    t.served, t.overload = workload(t.server, S.n, m.config.service.capacity)
    S.served_today = t.served


def encounter(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 3 of the day: the encounter and how it feels; the customer's relationship
    (expectation, attitude, rapport, tenure, likelihood to recommend, membership)."""
    cfg, C, S, F, K = m.config, m.customers, m.staff, m.firms, m.firms.k
    cc, sv = cfg.customers, cfg.service
    visitors, chosen, prev, server, same = t.visitors, t.chosen, t.prev, t.server, t.same
    n = visitors.size
    need = C.need[visitors]
    rapport_now = np.where(same, C.rapport[visitors], 0.0)
    effort = engagement.effort(
        S.engagement[server],
        S.sting[server],
        prev == chosen,
        self_attention=cfg.feedback.self_attention,
        bonus_shift=m.bonus_shift[chosen],
    )
    t.quality = quality = encounter_quality(
        S.skill[server],
        S.knowledge[server, need],
        effort,
        rapport_now,
        t.overload[server],
        m.streams["service"].normal(0.0, sv.noise, t.seekers.size)[t.buys],
        weight_skill=sv.weight_skill,
        weight_knowledge=sv.weight_knowledge,
        weight_effort=sv.weight_effort,
        weight_rapport=sv.weight_rapport,
        overload_penalty=sv.overload_penalty,
    )
    satisfaction, t.surprise = disconfirmation_satisfaction(
        quality,
        C.expectation[visitors],
        cc.disconfirmation_weight,
        cc.negative_disconfirmation_ratio,
    )
    t.satisfaction = satisfaction
    C.expectation[visitors] = adapt(
        C.expectation[visitors],
        quality,
        expectation_rate(C.visits[visitors], cc.expectation_adaptation),
    )
    C.attitude[chosen, visitors] = adapt(
        C.attitude[chosen, visitors], satisfaction, cc.attitude_learning
    )
    t.repeat = repeat = prev == chosen
    t.repeat_served = np.bincount(server, weights=repeat, minlength=S.n)
    gain = m.rapport_gain[chosen]
    C.rapport[visitors] = grow_rapport(C.rapport[visitors], same, gain)
    C.own_employee[visitors] = server
    C.own_generation[visitors] = S.generation[server]
    C.last_firm[visitors] = chosen
    # the relationship: tenure, satisfaction over its visits, likelihood to recommend
    tenure = np.where(repeat, C.tenure[visitors] + 1, 1)
    C.tenure[visitors] = tenure
    relationship = np.where(
        repeat,
        adapt(C.satisfaction[visitors], satisfaction, cc.attitude_learning),
        satisfaction,
    )
    C.satisfaction[visitors] = relationship
    recommend = likelihood_to_recommend(relationship, cc.recommend_midpoint, cc.recommend_slope)
    C.recommend[visitors] = recommend
    C.visits[visitors] += 1
    joined = choice.enrol_members(
        C.member, visitors, chosen, F.loyalty_join, m.streams["loyalty"].random(n)
    )
    m.member_count += np.bincount(joined, minlength=K)
    # long-standing customers spend more and cost less to serve (Reichheld & Sasser)
    maturity = choice.relationship_maturity(tenure, cc.tenure_visits)
    spend = 1.0 + cc.tenure_spend_gain * maturity
    t.promoter = promoter = recommend >= 9
    detractor = recommend <= 6
    t.visits = np.bincount(chosen, minlength=K).astype(float)
    t.retained = np.bincount(chosen[repeat], minlength=K).astype(float)
    t.sales = np.bincount(chosen, weights=spend, minlength=K)
    t.member_sales = np.bincount(chosen, weights=spend * t.member_here, minlength=K)
    t.serve_units = np.bincount(chosen, weights=1.0 - cc.tenure_cost_saving * maturity, minlength=K)
    t.net_promoters = np.bincount(chosen, weights=promoter.astype(float) - detractor, minlength=K)


def route_items(
    items: FeedbackItems,
    day: int,
    queues: Queues,
    out: Delivery,
    *,
    clarity: float,
    gain: float,
) -> tuple[int, float]:
    """Deliver direct items now and queue the rest for the supervisor.

    The supervisor hears every item (criticism feeds a micro-manager's control).
    Returns (items delivered now, information delivered now).
    """
    n_slots, n_needs = queues.need.shape
    e, d = items.employee, items.direct
    crit = ~items.praise
    out.criticism_heard_by_supervisor += np.bincount(e[crit], minlength=n_slots)

    ed, nd = e[d], items.need[d]
    out.log_keep += need_counts(ed, nd, n_slots, n_needs) * np.log1p(-gain * clarity)
    out.recognition += np.bincount(ed, weights=items.praise[d], minlength=n_slots)
    out.meaning += np.bincount(ed, minlength=n_slots)
    harsh_d = items.harsh[d]
    out.sting += np.bincount(ed, weights=harsh_d, minlength=n_slots)
    out.growth += np.bincount(ed, weights=crit[d] & ~harsh_d, minlength=n_slots)
    queues.copies += np.bincount(ed, minlength=n_slots)
    queues.copies_harsh += np.bincount(ed, weights=harsh_d, minlength=n_slots)
    queues.copies_need += need_counts(ed, nd, n_slots, n_needs)

    q = ~d
    eq = e[q]
    queues.praise += np.bincount(eq, weights=items.praise[q], minlength=n_slots).astype(np.int64)
    queues.criticism += np.bincount(eq, weights=crit[q], minlength=n_slots).astype(np.int64)
    queues.harsh += np.bincount(eq, weights=items.harsh[q], minlength=n_slots).astype(np.int64)
    queues.need += need_counts(eq, items.need[q], n_slots, n_needs)
    queues.arrival_sum += np.bincount(eq, minlength=n_slots) * float(day)
    return int(d.sum()), float(d.sum()) * clarity


def review(
    day: int,
    team: np.ndarray,
    team_size: np.ndarray,
    offset: np.ndarray,
    ch: Channels,
    queues: Queues,
    out: Delivery,
    rng: np.random.Generator,
    *,
    gain: float,
    team_summary_weight: float,
) -> ReviewTally:
    """Supervisors whose review falls today pass on (or drop) their queue and coach."""
    n_sups = team_size.size
    reviewing = (day + offset) % ch.cadence == 0
    slots = np.flatnonzero(reviewing[team])
    z = lambda: np.zeros(n_sups)  # noqa: E731
    tally = ReviewTally(z(), z(), z(), z(), z())
    if slots.size == 0:
        return tally
    s = team[slots]
    praise, crit = queues.praise[slots], queues.criticism[slots]
    queued = praise + crit
    copies = queues.copies[slots]
    load = np.bincount(s, weights=queued + copies, minlength=n_sups)
    cover_s = np.where(load > 0, np.minimum(1.0, ch.capacity / np.maximum(load, 1e-12)), 1.0)
    cover = cover_s[s]

    praise_out = rng.binomial(praise, cover * ch.pass_praise[s])
    crit_out = rng.binomial(crit, cover * ch.pass_criticism[s])
    passed = praise_out + crit_out
    frac = np.divide(passed, queued, out=np.zeros(slots.size), where=queued > 0)
    need_out = queues.need[slots] * frac[:, None]
    spec = ch.specificity[s]
    value = ch.relay_value[s]
    log_item = np.log1p(-gain * value)
    out.log_keep[slots] += need_out * (spec * log_item)[:, None]
    dilution = team_summary_weight / np.maximum(team_size[s], 1.0)
    team_need = np.zeros((n_sups, need_out.shape[1]))
    np.add.at(team_need, s, need_out * (1 - spec)[:, None])
    out.log_keep[slots] += team_need[s] * (dilution * log_item)[:, None]
    team_praise = np.bincount(s, weights=praise_out * (1 - spec), minlength=n_sups)
    team_crit = np.bincount(s, weights=crit_out * (1 - spec), minlength=n_sups)
    # the filter decides how personal a relayed criticism is: harsh words pass raw and
    # amplified in proportion to style, task criticism turns partly into blame; a coach
    # (style 0) buffers both into task information. A team-level summary blames no one
    # in particular and is all task information.
    harsh_share = np.divide(queues.harsh[slots], crit, out=np.zeros(slots.size), where=crit > 0)
    personal = harsh_share * ch.harsh_sting[s] + (1 - harsh_share) * ch.task_blame[s]
    out.recognition[slots] += praise_out * spec + team_praise[s] * dilution
    out.sting[slots] += crit_out * spec * personal
    out.growth[slots] += crit_out * spec * (1 - np.minimum(personal, 1.0)) + team_crit[s] * dilution
    # a relayed comment is also a story about the customers served (mediated meaning)
    team_passed = team_praise + team_crit
    out.meaning[slots] += ch.relayed_meaning[s] * (passed * spec + team_passed[s] * dilution)

    # after-the-fact coaching of what employees already heard directly
    repair = ch.coaching_repair[s] * cover
    out.sting_repair[slots] += repair * queues.copies_harsh[slots]
    out.growth[slots] += repair * queues.copies_harsh[slots]
    coach_log = np.log1p(-gain * ch.coaching_value[s])
    coached = queues.copies_need[slots] * cover[:, None]
    out.log_keep[slots] += coached * coach_log[:, None]

    arrival = queues.arrival_sum[slots] * frac
    tally.resolved += np.bincount(s, weights=queued, minlength=n_sups)
    tally.delivered += np.bincount(s, weights=passed, minlength=n_sups)
    # clip float round-off: an item reviewed the day it arrived waited exactly 0 days
    waited = np.maximum(passed * day - arrival, 0.0)
    tally.latency_sum += np.bincount(s, weights=waited, minlength=n_sups)
    # information reaching employees through the channel that resolved the item: a
    # summarised item spreads team_summary_weight of an item over the team. (Coaching
    # context added later to items heard directly is not counted here.)
    relayed_info = passed * value * (spec + (1 - spec) * team_summary_weight)
    tally.info_sum += np.bincount(s, weights=relayed_info, minlength=n_sups)
    tally.handled += np.minimum(load, ch.capacity) * reviewing
    queues.clear(slots)
    return tally


def give_feedback(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 4 of the day: who speaks up, and which way it goes (direct items are
    heard now, the rest queue for the supervisor's review)."""
    cfg, S, F, K = m.config, m.staff, m.firms, m.firms.k
    fb, cc = cfg.feedback, cfg.customers
    r_fb = m.streams["feedback"]
    chosen, surprise = t.chosen, t.surprise
    n = chosen.size
    invited = r_fb.random(n) < fb.survey_invitation
    p_fb = feedback_propensity(
        surprise,
        t.member_here,
        invited,
        base=cc.feedback_base,
        surprise_gain=cc.feedback_surprise,
        member_multiplier=fb.member_feedback_multiplier,
        survey_response=fb.survey_response,
    )
    gives = np.flatnonzero(r_fb.random(n) < p_fb)
    praise = surprise[gives] >= 0
    items = FeedbackItems(
        employee=t.server[gives],
        need=m.customers.need[t.visitors[gives]],
        praise=praise,
        harsh=~praise & (r_fb.random(gives.size) < cc.harshness),
        direct=r_fb.random(gives.size) < F.direct_share[chosen[gives]],
    )
    t.delivery = Delivery.empty(S.n, cc.needs)
    route_items(
        items,
        t.day,
        m.queues,
        t.delivery,
        clarity=fb.direct_clarity,
        gain=cfg.employees.knowledge_gain,
    )
    item_firm = chosen[gives]
    t.feedback_items = np.bincount(item_firm, minlength=K).astype(float)
    t.direct_items = np.bincount(item_firm, weights=items.direct, minlength=K)


def reviews(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 6 of the day: supervisors whose review falls today pass on, drop or coach."""
    cfg = m.config
    t.review = review(
        t.day,
        m.staff.team,
        m.team_size,
        m.review_offset,
        m.channels,
        m.queues,
        t.delivery,
        m.streams["routing"],
        gain=cfg.employees.knowledge_gain,
        team_summary_weight=cfg.feedback.team_summary_weight,
    )


def neighbours_of(indptr: np.ndarray, indices: np.ndarray, talkers: np.ndarray):
    """Flattened neighbour lists of ``talkers`` and, per entry, the talker's position."""
    starts = indptr[talkers]
    counts = indptr[talkers + 1] - starts
    owner = np.repeat(np.arange(talkers.size), counts)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return indices[np.repeat(starts, counts) + offset], owner


def spread(
    attitude: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    talkers: np.ndarray,
    firm: np.ndarray,
    message: np.ndarray,
) -> int:
    """Each talker shifts every contact's attitude to ``firm`` by ``message``; returns messages."""
    if talkers.size == 0:
        return 0
    listeners, owner = neighbours_of(indptr, indices, talkers)
    if listeners.size == 0:
        return 0
    cell = (firm[owner], listeners)  # attitude is firm-major (K, N)
    np.add.at(attitude, cell, message[owner])
    attitude[cell] = np.clip(attitude[cell], 0.0, 1.0)
    return int(listeners.size)


def talk(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 5 of the day: surprised customers talk to their contacts, promoters refer."""
    wm = m.config.word_of_mouth
    r_wm = m.streams["word_of_mouth"]
    surprise, promoter = t.surprise, t.promoter
    n = surprise.size
    loud = np.abs(surprise) > wm.threshold
    talks = loud & (r_wm.random(n) < wm.talk_probability)
    refer = promoter & ~talks & (r_wm.random(n) < wm.referral_probability)
    talkers = np.flatnonzero(talks | refer)
    message = np.where(surprise[talkers] >= 0, wm.strength, -wm.strength * wm.negativity)
    message[refer[talkers]] = wm.strength
    tf = t.chosen[talkers]
    listeners_per_talker = m.contact_counts[t.visitors[talkers]]
    spread(m.customers.attitude, *m.contacts, t.visitors[talkers], tf, message)
    t.wom = np.bincount(tf, weights=listeners_per_talker, minlength=m.firms.k)


def learn_and_engage(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 7 of the day: employees learn from what they heard and from a role model,
    supervisory control follows the criticism the supervisor heard, the feedback traces
    fade in today's, and engagement moves toward its JD-R target."""
    cfg, S, F, ch, delivery = m.config, m.staff, m.firms, m.channels, t.delivery
    em, w = cfg.employees, cfg.engagement
    decay = em.trace_decay
    on = S.on_duty
    role = F.role_model[S.firm] * em.observation_learning
    # attention drawn to the self by recent blame is attention not spent on the task:
    # less is learnt from what is heard (Kluger & DeNisi 1996)
    focus = task_focus(S.sting, cfg.feedback.self_attention)
    S.knowledge = workforce.update_knowledge(
        S.knowledge, delivery.log_keep * focus[:, None], em.knowledge_decay, role
    )
    S.skill[on] = workforce.learn_skill(S.skill[on], em.learning_rate, S.mastery[on])
    S.tenure[on] += 1
    sup_style = ch.self_focus[S.team]
    S.control = np.clip(
        S.control
        + decay * (sup_style - S.control)
        + ch.control_sensitivity[S.team] * delivery.criticism_heard_by_supervisor,
        0.0,
        1.0,
    )
    S.recognition = fade(S.recognition, delivery.recognition, decay)
    S.meaning = fade(S.meaning, delivery.meaning, decay)
    S.growth = fade(S.growth, delivery.growth, decay)
    S.sting = np.maximum(fade(S.sting, delivery.sting, decay) - decay * delivery.sting_repair, 0.0)
    m.queues.fade(decay)
    bonus = F.repeat_bonus[S.firm] * t.repeat_served
    S.reward = fade(
        S.reward,
        np.divide(bonus, F.wage[S.firm], out=np.zeros(S.n), where=F.wage[S.firm] > 0),
        decay,
    )
    target = jdr_target(
        w,
        disposition=S.disposition,
        sensitivity=S.sensitivity,
        **m.job_inputs(t.overload),
    )
    shock = m.streams["engagement"].normal(0.0, em.engagement_noise, S.n)
    S.engagement = np.where(
        on, move_toward(S.engagement, target, em.engagement_rate, shock), S.engagement
    )


def daily(m: ServiceProfitChainModel, t: Today) -> np.ndarray:
    """Phase 10 of the day: today's metrics as a (firms x metrics) array, columns in
    METRIC_NAMES order, each metric computed by name as numerator / denominator (NaN
    where the denominator is not positive)."""
    S, F, K, ch, cfg = m.staff, m.firms, m.firms.k, m.channels, m.config
    on, e = S.on_duty, cfg.employees
    served, rev = t.served, t.review
    # per-firm sums over staff on duty; staff are stored firm by firm, so these are
    # segment sums (np.add.reduceat), with no BLAS threads competing with other runs
    staff_cols = np.stack(
        [
            np.ones(S.n),
            S.engagement,
            S.engagement >= e.engaged_threshold,
            S.engagement < e.disengaged_threshold,
            S.control,
            _autonomy(S.control, F.involvement[S.firm]),
            S.knowledge.mean(axis=1),
            S.skill,
            served > 0,
            t.overload * (served > 0),
        ]
    )
    sums = np.add.reduceat(staff_cols * on, m._firm_starts, axis=1)
    n_on, eng, hi, lo, control, autonomy, knowledge, skill, busy, over = sums
    visits, chosen, acc = t.visits, t.chosen, t.accounts
    # a micro-manager intervenes on each criticism heard, in proportion to style
    control_work = np.bincount(
        S.team,
        weights=ch.self_focus[S.team] * t.delivery.criticism_heard_by_supervisor,
        minlength=m.n_supervisors,
    )
    load = (rev.handled + control_work) / (ch.capacity / ch.cadence)
    per_sup = np.vstack([rev.delivered, rev.resolved, rev.info_sum, rev.latency_sum, load])
    sup_delivered, sup_resolved, sup_info, latency, sup_load = np.add.reduceat(
        per_sup, m._sup_firm_starts, axis=1
    )
    direct = t.direct_items
    delivered = direct + sup_delivered
    resolved = direct + sup_resolved
    info = direct * cfg.feedback.direct_clarity + sup_info
    one = np.ones(K)
    ratios = {  # name: (numerator, denominator)
        "engagement_mean": (eng, n_on),
        "engaged_share": (hi, n_on),
        "not_engaged_share": (n_on - hi - lo, n_on),
        "disengaged_share": (lo, n_on),
        "satisfaction": (np.bincount(chosen, weights=t.satisfaction, minlength=K), visits),
        "nps": (100.0 * t.net_promoters, visits),
        "quality": (np.bincount(chosen, weights=t.quality, minlength=K), visits),
        "repeat_visit_rate": (t.retained, visits),
        "retention": (t.retained, t.returning),
        "visit_share": (visits, visits.sum() * one),
        "revenue_share": (acc["revenue"], acc["revenue"].sum() * one),
        "visits": (visits, one),
        "returning": (t.returning, one),
        "revenue": (acc["revenue"], one),
        "costs": (acc["costs"], one),
        "profit": (acc["profit"], one),
        "return_on_sales": (acc["profit"], acc["revenue"]),
        "turnover_rate": (
            np.bincount(S.firm[t.quits], minlength=K) * 365.0,
            t.staff_on_payroll,
        ),
        "feedback_items": (t.feedback_items, one),
        "feedback_direct_share": (direct, t.feedback_items),
        "feedback_delivered": (delivered, one),
        "feedback_resolved": (resolved, one),
        "feedback_latency": (latency, delivered),
        "feedback_fidelity": (info, resolved),
        "supervisor_control_load": (sup_load, m.supervisors_per_firm),
        "control": (control, n_on),
        "autonomy": (autonomy, n_on),
        "knowledge": (knowledge, n_on),
        "skill": (skill, n_on),
        "overload": (over, busy),
        "staff_on_duty": (n_on, one),
        "loyalty_members": (m.member_count, m.customers.n * one),
        "word_of_mouth": (t.wom, one),
    }
    out = np.empty((K, len(METRIC_NAMES)))
    for j, name in enumerate(METRIC_NAMES):
        num, den = ratios[name]
        ok = den > 0
        np.divide(num, den, out=out[:, j], where=ok)
        out[~ok, j] = np.nan
    return out


def turnover(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 8 of the day: quits, staffing toward the demand forecast, vacancies, hires."""
    cfg, S, F, K, day = m.config, m.staff, m.firms, m.firms.k, t.day
    wf = cfg.workforce
    on = S.on_duty
    hazard = workforce.quit_hazard(
        S.engagement,
        wf.base_quit_rate,
        wf.disengagement_quit_factor,
        wf.labour_market_tightness,
        S.tenure,
        wf.newcomer_quit_excess,
        wf.settling_days,
    )
    t.quits = quits = np.flatnonzero(on & (m.streams["turnover"].random(S.n) < hazard))
    t.staff_on_payroll = np.bincount(S.firm[on], minlength=K).astype(float)
    S.leave(quits, day, wf.hiring_delay_days)
    m.demand += (t.visits - m.demand) / F.staffing_horizon
    workforce.staffing(
        S.firm,
        S.on_duty,
        S.open,
        S.vacant_until,
        workforce.staffing_target(m.demand, cfg.service.capacity, F.target_load, m.slot_pool),
        day,
        wf.hiring_delay_days,
    )
    t.hires = hires = np.flatnonzero(S.open & (S.vacant_until <= day))
    if quits.size:
        m.queues.clear(quits)
    if hires.size:
        S.hire(hires, cfg, m.streams["hiring"])
    if quits.size or hires.size:
        m._refresh_rosters()
        m.team_size = np.bincount(S.team, weights=S.on_duty, minlength=m.n_supervisors)


def accounts(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 9 of the day: each firm's accounts."""
    S, F, K = m.staff, m.firms, m.firms.k
    t.accounts = finance.daily_accounts(
        sales=t.sales,
        member_sales=t.member_sales,
        serve_units=t.serve_units,
        repeat_served=np.bincount(S.firm, weights=t.repeat_served, minlength=K),
        staff_on_payroll=t.staff_on_payroll,
        supervisors=m.supervisors_per_firm,
        hires=np.bincount(S.firm[t.hires], minlength=K).astype(float),
        price=F.price,
        serving_cost=F.serving_cost,
        loyalty_reward=F.loyalty_reward,
        repeat_bonus=F.repeat_bonus,
        wage=F.wage,
        supervisor_wage=F.supervisor_wage,
        hiring_cost=F.hiring_cost,
        training_cost=F.training_cost,
        fixed_cost=F.fixed_cost,
    )
