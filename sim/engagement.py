"""Employee engagement as a Job Demands-Resources balance (Bakker & Demerouti 2007).

Each day an employee's engagement moves toward a target. The job balance J adds
resources (autonomy, recognition, meaning from hearing customers - directly or as
stories relayed by the supervisor, growth from task-focused criticism, a coaching
supervisor, involvement, bonus earned) and subtracts demands (overload, control, the
sting of self-directed criticism). The job acts relative to the typical job and its
effect is bounded (tanh, at most ``span`` logits either way), scaled by each person's
sensitivity, on top of a stable individual disposition:

    target = logistic(baseline + disposition + sensitivity * span * tanh((J - ref) / span))

so a lever moves the engaged share, but no single lever engages (or disengages) a
whole team: people differ in disposition and in how much the job reaches them.
Feedback enters through exponentially fading traces of what the employee recently
heard, saturating at high rates.

Engagement is discretionary effort in the encounter (Heskett et al. 1994), less the
effort lost while attention is drawn to the self by recent self-directed criticism
(Kluger & DeNisi 1996), and shifted toward returning customers by a repeat-business
bonus (:func:`effort`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import workforce
from .config import Engagement

if TYPE_CHECKING:
    from .model import ServiceProfitChainModel
    from .state import Today


def saturate(rate: np.ndarray, half: float) -> np.ndarray:
    """0 for none, 1/2 at ``half``, toward 1 for a lot (Michaelis-Menten)."""
    return rate / (rate + half)


def autonomy(control: np.ndarray, involvement: np.ndarray) -> np.ndarray:
    """Autonomy left under supervisory control; involvement keeps half of it."""
    return 1.0 - control * (1.0 - 0.5 * involvement)


def job_contributions(
    w: Engagement,
    *,
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
) -> dict[str, np.ndarray]:
    """Each resource's (+) and demand's (-) term of the job balance, logit units: the
    weight in force times the term (what a survey's true drivers are made of)."""
    return {
        "autonomy": w.autonomy * autonomy,
        "recognition": w.recognition * recognition,
        "meaning": w.meaning * meaning,
        "growth": w.growth * growth,
        "support": w.support * support,
        "involvement": w.involvement * involvement,
        "reward": w.reward * reward,
        "workload": -w.workload * overload,
        "control": -w.control * control,
        "sting": -w.sting * sting,
    }


def job_balance(w: Engagement, **job: np.ndarray) -> np.ndarray:
    """Resources minus demands (logit units), before bounding: the sum of
    :func:`job_contributions`, added in their order."""
    terms = iter(job_contributions(w, **job).values())
    total = next(terms)
    for term in terms:
        total = total + term
    return total


def jdr_target(
    w: Engagement, *, disposition: np.ndarray, sensitivity: np.ndarray | float = 1.0, **job
) -> np.ndarray:
    """Engagement target: the bounded, individually weighted job balance on top of the
    disposition (keyword arguments of :func:`job_balance` give the job)."""
    j = job_balance(w, **job)
    z = w.baseline + disposition + sensitivity * w.span * np.tanh((j - w.reference) / w.span)
    return 1.0 / (1.0 + np.exp(-z))


def task_focus(sting: np.ndarray, self_attention: float) -> np.ndarray:
    """Share of attention left for the task while recent self-directed criticism
    (``sting``, items/day) draws it to the self (Feedback Intervention Theory): each
    item a day keeps ``exp(-self_attention)`` of it."""
    return np.exp(-self_attention * sting)


def effort(
    engagement: np.ndarray,
    sting: np.ndarray,
    regular: np.ndarray,
    *,
    self_attention: float,
    bonus_shift: np.ndarray | float,
) -> np.ndarray:
    """Discretionary effort an employee puts into one encounter (0-1).

    Engagement, less the share lost while recent self-directed criticism (``sting``,
    items/day) draws attention to the self (Feedback Intervention Theory; each item a
    day keeps ``exp(-self_attention)`` of the effort), shifted toward returning customers
    (``regular``) and away from others by the repeat-bonus focus ``bonus_shift``.
    """
    focus = task_focus(sting, self_attention)
    tilt = np.where(regular, 1.0 + bonus_shift, 1.0 - bonus_shift)
    return np.clip(engagement * focus * tilt, 0.0, 1.0)


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
