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
