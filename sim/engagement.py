"""Employee engagement as a Job Demands-Resources balance (Bakker & Demerouti 2007).

Each day an employee's engagement moves toward a target: the logistic of
resources (autonomy, recognition, meaning from hearing customers, growth from
task-focused criticism, a coaching supervisor, involvement, bonus earned) minus
demands (overload, control, the sting of self-directed criticism), plus a stable
individual disposition. Feedback enters through exponentially fading traces of
what the employee recently heard, saturating at high rates.
"""

from __future__ import annotations

import numpy as np

from .config import Engagement


def saturate(rate: np.ndarray, half: float) -> np.ndarray:
    """0 for none, 1/2 at ``half``, toward 1 for a lot (Michaelis-Menten)."""
    return rate / (rate + half)


def autonomy(control: np.ndarray, involvement: np.ndarray) -> np.ndarray:
    """Autonomy left under supervisory control; involvement keeps half of it."""
    return 1.0 - control * (1.0 - 0.5 * involvement)


def jdr_target(
    w: Engagement,
    *,
    disposition: np.ndarray,
    autonomy: np.ndarray,
    recognition: np.ndarray,
    meaning: np.ndarray,
    growth: np.ndarray,
    support: np.ndarray,
    involvement: np.ndarray,
    reward: np.ndarray,
    overload: np.ndarray,
    control: np.ndarray,
    sting: np.ndarray,
) -> np.ndarray:
    z = (
        w.baseline
        + disposition
        + w.autonomy * autonomy
        + w.recognition * recognition
        + w.meaning * meaning
        + w.growth * growth
        + w.support * support
        + w.involvement * involvement
        + w.reward * reward
        - w.workload * overload
        - w.control * control
        - w.sting * sting
    )
    return 1.0 / (1.0 + np.exp(-z))


def move_toward(
    engagement: np.ndarray, target: np.ndarray, rate: float, shock: np.ndarray
) -> np.ndarray:
    return np.clip(engagement + rate * (target - engagement) + shock, 0.0, 1.0)


def fade(trace: np.ndarray, today: np.ndarray, decay: float) -> np.ndarray:
    """Exponential moving average of a daily count (a recent rate, items/day)."""
    return (1.0 - decay) * trace + decay * today


def engagement_categories(
    engagement: np.ndarray, engaged: float, disengaged: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks engaged / not engaged / actively disengaged (Gallup's three groups)."""
    hi = engagement >= engaged
    lo = engagement < disengaged
    return hi, ~hi & ~lo, lo
