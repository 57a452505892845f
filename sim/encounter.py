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

import numpy as np

from .jit import compiled


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
    sizes = np.array([r.size for r in on_duty_by_firm], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    staff = np.concatenate([np.asarray(r, dtype=np.int64) for r in on_duty_by_firm])
    server, same = np.empty(chosen.size, dtype=np.int64), np.empty(chosen.size, dtype=bool)
    _assign(chosen, own, own_valid, match_probability, staff, starts, rng, server, same)
    return server, same


def _assign(chosen, own, own_valid, match_probability, staff, starts, rng, server, same):
    """:func:`assign_servers` in one compiled pass; the draws in the vectorised order
    (every visit's uniform first, then the random picks firm by firm)."""
    n = chosen.size
    for i in range(n):
        matched = rng.random() < match_probability[i]
        server[i] = own[i] if own_valid[i] and matched else -1
    for k in range(starts.size - 1):
        size = starts[k + 1] - starts[k]
        for i in range(n):
            if server[i] < 0 and chosen[i] == k:
                server[i] = staff[starts[k] + rng.integers(0, size)]
    for i in range(n):
        same[i] = own_valid[i] and server[i] == own[i]


_assign = compiled(_assign)


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


def serve(visitors, chosen, C, S, F, P, R):
    """Phase 2 of the day: who serves each visit (the own employee or another on duty,
    :func:`assign_servers`), and each employee's load (:func:`workload`). Returns whether
    each visitor is a programme member there, the server, whether it is their own
    employee, the visits per slot and the overload per slot."""
    n, n_slots = visitors.size, S.firm.size
    own, own_valid = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.bool_)
    member_here, match_p = np.empty(n, dtype=np.bool_), np.empty(n)
    _own_employee(
        visitors, chosen, C.own_employee, C.own_generation, C.member,
        S.on_duty, S.generation, S.firm, F.customer_focus, F.loyalty_matching,
        own, own_valid, member_here, match_p,
    )  # fmt: skip
    server, same = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.bool_)
    _assign(
        chosen, own, own_valid, match_p, F.roster_slots, F.roster_starts, R.assignment,
        server, same,
    )  # fmt: skip
    served, overload = np.zeros(n_slots, dtype=np.int64), np.empty(n_slots)
    for i in range(n):
        served[server[i]] += 1
    for e in range(n_slots):
        x = served[e] / P.capacity - 1.0
        overload[e] = x if x > 0.0 else 0.0
        S.served_today[e] = served[e]
    return member_here, server, same, served, overload


serve = compiled(serve)


def _own_employee(
    visitors, chosen, own_employee, own_generation, member, on_duty, generation, firm,
    customer_focus, loyalty_matching, own, own_valid, member_here, match_probability,
):  # fmt: skip
    """Each visitor's own employee, whether that person still holds the slot and is on
    duty at the chosen firm, and the chance of being matched with them."""
    for i in range(visitors.size):
        c, k = visitors[i], chosen[i]
        e = own_employee[c]
        own[i] = e
        own_valid[i] = e >= 0 and on_duty[e] and generation[e] == own_generation[c] and firm[e] == k
        member_here[i] = member[k, c]
        p = customer_focus[k] + loyalty_matching[k] * (1.0 if member[k, c] else 0.0)
        match_probability[i] = 1.0 if 1.0 <= p else p


_own_employee = compiled(_own_employee)


def encounter(
    seekers, buys, visitors, chosen, prev, server, same, member_here, overload, C, S, F, P, R
):
    """Phase 3 of the day: the encounter and how it feels; the customer's relationship
    (expectation, attitude, rapport, tenure, likelihood to recommend, membership).
    One compiled pass over the visits (:func:`_visits`); its draws are taken here, from
    the same streams in the same order as the vectorised mechanisms would. Returns the
    per-visit quality, satisfaction, surprise, repeat and promoter flags, the repeat
    visits per slot and the per-firm sums (rows: visits, retained, sales, member sales,
    serve units, NPS, joins, quality, satisfaction)."""
    n, k_firms = visitors.size, F.price.size
    noise = R.service.normal(0.0, P.noise, seekers.size)[buys]
    u_join = R.loyalty.random(n)
    quality, satisfaction, surprise = np.empty(n), np.empty(n), np.empty(n)
    repeat, promoter = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    repeat_served = np.zeros(S.firm.size)
    per_firm = np.zeros((9, k_firms))
    par = np.array((
        P.self_attention, P.weight_skill, P.weight_knowledge, P.weight_effort,
        P.weight_rapport, P.overload_penalty, P.disconfirmation_weight, P.hurt_weight,
        P.expectation_adaptation, P.attitude_learning, P.recommend_midpoint,
        P.recommend_slope, P.tenure_visits, P.tenure_spend_gain, P.tenure_cost_saving,
    ))  # fmt: skip
    _visits(
        visitors, chosen, prev, server, same, member_here, noise, u_join,
        C.need, C.rapport, C.expectation, C.visits, C.attitude, C.own_employee,
        C.own_generation, C.last_firm, C.tenure, C.satisfaction, C.recommend, C.member,
        S.engagement, S.sting, S.skill, S.knowledge, S.generation, overload,
        F.bonus_shift, F.rapport_gain, F.loyalty_join, par,
        quality, satisfaction, surprise, repeat, repeat_served, promoter, per_firm,
    )  # fmt: skip
    for k in range(k_firms):
        F.member_count[k] += per_firm[6, k]
    return quality, satisfaction, surprise, repeat, promoter, repeat_served, per_firm


def clip(x: float, lo: float, hi: float) -> float:
    """``np.clip`` of one number, to the bit (NaN passes through, -0.0 becomes lo)."""
    if x != x:
        return x
    x = x if x > lo else lo
    return x if x < hi else hi


clip = compiled(clip)


def _visits(
    visitors, chosen, prev, server, same, member_here, noise, u_join,
    need, rapport, expectation, visits, attitude, own_employee, own_generation, last_firm,
    tenure, satisfaction, recommend, member,
    engagement_, sting, skill, knowledge, generation, overload,
    bonus_shift, rapport_gain, join_probability,
    par, quality, satisfaction_, surprise_, repeat_, repeat_served, promoter_, per_firm,
):  # fmt: skip
    """Each visit in turn: the encounter, how it feels, and the relationship after it
    (the per-visit forms of the functions above, operation for operation)."""
    self_attention, ws, wk, we, wr, op = par[0], par[1], par[2], par[3], par[4], par[5]
    pleased_weight, hurt_weight, expectation_floor, learning = par[6], par[7], par[8], par[9]
    midpoint, slope, tenure_visits, spend_gain, cost_saving = (
        par[10], par[11], par[12], par[13], par[14]
    )  # fmt: skip
    for i in range(visitors.size):
        c, k, e = visitors[i], chosen[i], server[i]
        regular = prev[i] == k
        # effort (engagement.effort): engagement less attention drawn to the self,
        # tilted toward regulars by a repeat-business bonus
        focus = np.exp(-self_attention * sting[e])
        tilt = 1.0 + bonus_shift[k] if regular else 1.0 - bonus_shift[k]
        effort = clip(engagement_[e] * focus * tilt, 0.0, 1.0)
        rapport_now = rapport[c] if same[i] else 0.0
        q = clip(
            ws * skill[e]
            + wk * knowledge[e, need[c]]
            + we * effort
            + wr * rapport_now
            - op * overload[e]
            + noise[i],
            0.0,
            1.0,
        )
        s = q - expectation[c]
        sat = clip(q + (hurt_weight if s < 0 else pleased_weight) * s, 0.0, 1.0)
        quality[i], satisfaction_[i], surprise_[i] = q, sat, s
        rate = 1.0 / (visits[c] + 1.0)
        rate = expectation_floor if expectation_floor >= rate else rate
        expectation[c] = expectation[c] + rate * (q - expectation[c])
        attitude[k, c] = attitude[k, c] + learning * (sat - attitude[k, c])
        repeat_[i] = regular
        repeat_served[e] += 1.0 if regular else 0.0
        gain = rapport_gain[k]
        rapport[c] = rapport[c] + gain * (1.0 - rapport[c]) if same[i] else gain
        own_employee[c] = e
        own_generation[c] = generation[e]
        last_firm[c] = k
        ten = tenure[c] + 1 if regular else 1
        tenure[c] = ten
        rel = satisfaction[c] + learning * (sat - satisfaction[c]) if regular else sat
        satisfaction[c] = rel
        z = clip(slope * (rel - midpoint), -50.0, 50.0)
        rec = np.int64(np.rint(10.0 / (1.0 + np.exp(-z))))
        recommend[c] = rec
        visits[c] += 1
        if not member[k, c] and u_join[i] < join_probability[k]:
            member[k, c] = True
            per_firm[6, k] += 1.0
        # long-standing customers spend more and cost less to serve (Reichheld & Sasser)
        maturity = 1.0 - np.exp(-max(ten - 1, 0) / tenure_visits)
        spend = 1.0 + spend_gain * maturity
        promoter_[i] = rec >= 9
        per_firm[0, k] += 1.0
        per_firm[1, k] += 1.0 if regular else 0.0
        per_firm[2, k] += spend
        per_firm[3, k] += spend * (1.0 if member_here[i] else 0.0)
        per_firm[4, k] += 1.0 - cost_saving * maturity
        per_firm[5, k] += (1.0 if rec >= 9 else 0.0) - (1.0 if rec <= 6 else 0.0)
        per_firm[7, k] += q
        per_firm[8, k] += sat


_visits = compiled(_visits)
encounter = compiled(encounter)
