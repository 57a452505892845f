"""The service encounter: who serves the customer, how well, and how it feels.

Quality (0-1) adds the employee's skill, knowledge of this customer's need,
discretionary effort (engagement; Heskett et al. 1994) and rapport with this
customer, less a penalty for load above capacity (time pressure erodes quality;
Oliva & Sterman 2001), plus noise. Satisfaction follows expectation-
disconfirmation (Oliver 1980): quality plus a weighted surprise against the
customer's adapting expectation, with negative surprises weighing more (Anderson
& Sullivan 1993). Satisfaction with the current relationship drives the 0-10
likelihood to recommend (net promoter score).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import choice, engagement

if TYPE_CHECKING:
    from .model import ServiceProfitChainModel
    from .state import Today


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


def workload(server: np.ndarray, n_slots: int, capacity: float) -> tuple[np.ndarray, np.ndarray]:
    """Visits served per employee slot today, and overload (load above capacity, >= 0)."""
    served = np.bincount(server, minlength=n_slots)
    overload = np.maximum(served / capacity - 1.0, 0.0)
    return served, overload


def encounter_quality(
    skill: np.ndarray,
    need_knowledge: np.ndarray,
    effort: np.ndarray,
    rapport: np.ndarray,
    overload: np.ndarray,
    noise: np.ndarray,
    *,
    weight_skill: float,
    weight_knowledge: float,
    weight_effort: float,
    weight_rapport: float,
    overload_penalty: float,
) -> np.ndarray:
    """Quality of each encounter, clipped to [0, 1]; all inputs are per visit."""
    q = (
        weight_skill * skill
        + weight_knowledge * need_knowledge
        + weight_effort * effort
        + weight_rapport * rapport
        - overload_penalty * overload
        + noise
    )
    return np.clip(q, 0.0, 1.0)


def disconfirmation_satisfaction(
    quality: np.ndarray, expectation: np.ndarray, weight: float, negative_ratio: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Satisfaction in [0, 1] and the surprise s = quality - expectation.

    satisfaction = quality + weight * s for s >= 0, quality + weight * negative_ratio * s
    for s < 0: a shortfall hurts more than an equal pleasant surprise pleases
    (Anderson & Sullivan 1993).
    """
    surprise = quality - expectation
    tilt = np.where(surprise < 0, weight * negative_ratio, weight)
    return np.clip(quality + tilt * surprise, 0.0, 1.0), surprise


def expectation_rate(visits: np.ndarray, floor: float) -> np.ndarray:
    """Weight of the latest visit in the expectation: 1/(visits + 1), at least ``floor``.

    A new customer's prior counts as one visit and early expectations are the running
    mean of what they experienced; later ones adapt at the floor rate (adaptation
    level, Oliver 1980). This keeps the transient from the prior short.
    """
    return np.maximum(floor, 1.0 / (visits + 1.0))


def likelihood_to_recommend(satisfaction: np.ndarray, midpoint: float, slope: float) -> np.ndarray:
    """0-10 answer to "how likely are you to recommend ..." from relationship satisfaction."""
    z = np.clip(slope * (satisfaction - midpoint), -50.0, 50.0)
    return np.rint(10.0 / (1.0 + np.exp(-z))).astype(np.int64)


def adapt(level: np.ndarray, target: np.ndarray, rate) -> np.ndarray:
    """Exponential adaptation of a level (expectation, attitude) toward the latest value."""
    return level + rate * (target - level)


def grow_rapport(rapport: np.ndarray, same: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
    """Rapport after the visit: grows with the same employee, restarts with a new one."""
    return np.where(same, rapport + gain * (1.0 - rapport), gain)


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
