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

import numpy as np
from numba import objmode

from .config import Engagement
from .encounter import clip
from .jit import compiled


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


def learn_and_engage(heard, repeat_served, overload, S, F, U, Q, P, R):
    """Phase 7 of the day: employees learn from what they heard and from a role model,
    supervisory control follows the criticism the supervisor heard, the feedback traces
    fade in today's, and engagement moves toward its JD-R target (:func:`jdr_target`,
    from the job as :meth:`~sim.model.ServiceProfitChainModel.job_inputs` reads it).
    The staff columns change in place."""
    n = S.firm.size
    log_keep, recognition, meaning, growth, sting, sting_repair, by_supervisor = heard
    observation, style, control_sensitivity = np.empty(n), np.empty(n), np.empty(n)
    repeat_bonus, wage, involvement, role_model = (
        np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    )  # fmt: skip
    for e in range(n):
        k, s = S.firm[e], S.team[e]
        observation[e] = F.role_model[k] * P.observation_learning
        style[e], control_sensitivity[e] = U.self_focus[s], U.control_sensitivity[s]
        repeat_bonus[e], wage[e] = F.repeat_bonus[k], F.wage[k]
        involvement[e], role_model[e] = F.involvement[k], F.role_model[k]
    # each slot's values are read before they are written: the pass works in place
    _learn(
        S.knowledge, S.control, S.recognition, S.meaning, S.growth, S.sting, S.reward,
        S.skill, S.mastery, S.tenure, S.on_duty, observation, style, control_sensitivity,
        repeat_bonus, wage, repeat_served, log_keep, by_supervisor, recognition, meaning,
        growth, sting, sting_repair, Q.copies_harsh, P.self_attention, P.knowledge_decay,
        P.learning_rate, P.trace_decay, S.knowledge, S.control, S.recognition, S.meaning,
        S.growth, S.sting, S.reward,
    )  # fmt: skip
    scaled, bounded = np.empty(n), np.empty(n)
    _job_balance(
        S.control, involvement, S.recognition, S.meaning, S.growth, style, role_model,
        S.reward, overload, S.sting, P.half_saturation, P.w_autonomy, P.w_recognition,
        P.w_meaning, P.w_growth, P.w_support, P.w_involvement, P.w_reward, P.w_workload,
        P.w_control, P.w_sting, P.w_reference, P.w_span, scaled,
    )  # fmt: skip
    numpy_tanh(scaled, bounded)
    shock = R.engagement.normal(0.0, P.engagement_noise, n)
    S.engagement[:] = _engage(
        S.engagement, bounded, S.disposition, S.sensitivity, P.w_baseline, P.w_span,
        P.engagement_rate, shock, S.on_duty,
    )  # fmt: skip


def numpy_tanh(x, out):
    """``out = np.tanh(x)`` by numpy itself: the bound of the JD-R target is numpy's
    tanh (its SIMD tanh, which numba's libm tanh does not match to the last bit for about
    a quarter of inputs), so compiled runs keep the results of the vectorised model."""
    with objmode():
        np.tanh(x, out=out)


numpy_tanh = compiled(numpy_tanh)


def _job_balance(
    control, involvement, recognition, meaning, growth, style, role_model, reward,
    overload, sting, half, w_autonomy, w_recognition, w_meaning, w_growth, w_support,
    w_involvement, w_reward, w_workload, w_control, w_sting, reference, span, scaled,
):  # fmt: skip
    """Each slot's job balance (:func:`job_balance` of the inputs ``model.job_inputs``
    reads: saturated feedback rates, capped reward), relative to the typical job, in
    units of the span: the argument of the target's tanh."""
    for e in range(control.size):
        total = w_autonomy * (1.0 - control[e] * (1.0 - 0.5 * involvement[e]))
        total = total + w_recognition * (recognition[e] / (recognition[e] + half))
        total = total + w_meaning * (meaning[e] / (meaning[e] + half))
        total = total + w_growth * (growth[e] / (growth[e] + half))
        total = total + w_support * ((1.0 - style[e]) * (0.5 + 0.5 * role_model[e]))
        total = total + w_involvement * involvement[e]
        capped = reward[e] if reward[e] <= 1.0 or reward[e] != reward[e] else 1.0
        total = total + w_reward * capped
        total = total + -w_workload * overload[e]
        total = total + -w_control * control[e]
        total = total + -w_sting * (sting[e] / (sting[e] + half))
        scaled[e] = (total - reference) / span


_job_balance = compiled(_job_balance)


def _learn(
    knowledge, control, recognition, meaning, growth, sting, reward,
    skill, mastery, tenure, on, observation, style, control_sensitivity,
    repeat_bonus, wage, repeat_served, log_keep, heard, recognition_now, meaning_now,
    growth_now, sting_now, sting_repair, copies_harsh,
    self_attention, knowledge_decay, learning_rate, decay,
    knowledge_out, control_out, recognition_out, meaning_out, growth_out, sting_out,
    reward_out,
):  # fmt: skip
    """Each slot in turn: knowledge from what was heard (less what attention drawn to the
    self lets in; Kluger & DeNisi 1996), by example and drift (workforce.update_knowledge),
    skill along its curve (workforce.learn_skill), control toward the supervisor's style
    plus the criticism they heard, and the feedback traces (:func:`fade`), operation for
    operation as the vectorised forms."""
    n, needs = knowledge.shape
    for e in range(n):
        focus = np.exp(-self_attention * sting[e])  # task_focus
        for j in range(needs):
            k = 1.0 - (1.0 - knowledge[e, j]) * np.exp(log_keep[e, j] * focus)
            k = k + observation[e] * (1.0 - k)
            knowledge_out[e, j] = k * (1.0 - knowledge_decay)
        if on[e]:
            skill[e] = skill[e] + learning_rate * (mastery[e] - skill[e])
            tenure[e] += 1
        control_out[e] = clip(
            control[e] + decay * (style[e] - control[e]) + control_sensitivity[e] * heard[e],
            0.0,
            1.0,
        )
        recognition_out[e] = (1.0 - decay) * recognition[e] + decay * recognition_now[e]
        meaning_out[e] = (1.0 - decay) * meaning[e] + decay * meaning_now[e]
        growth_out[e] = (1.0 - decay) * growth[e] + decay * growth_now[e]
        x = (1.0 - decay) * sting[e] + decay * sting_now[e] - decay * sting_repair[e]
        sting_out[e] = x if x >= 0.0 or x != x else 0.0  # np.maximum(x, 0.0)
        bonus = repeat_bonus[e] * repeat_served[e]
        earned = bonus / wage[e] if wage[e] > 0 else 0.0
        reward_out[e] = (1.0 - decay) * reward[e] + decay * earned
        copies_harsh[e] *= 1.0 - decay  # Queues.fade


_learn = compiled(_learn)


def _engage(engagement, bounded, disposition, sensitivity, baseline, span, rate, shock, on):
    """The JD-R target from each slot's bounded job effect (:func:`jdr_target`), and
    :func:`move_toward` it for staff on duty; vacant slots keep their value."""
    out = np.empty_like(engagement)
    for e in range(engagement.size):
        x = engagement[e]
        if on[e]:
            z = baseline + disposition[e] + sensitivity[e] * span * bounded[e]
            target = 1.0 / (1.0 + np.exp(-z))
            out[e] = clip(x + rate * (target - x) + shock[e], 0.0, 1.0)
        else:
            out[e] = x
    return out


_engage = compiled(_engage)
learn_and_engage = compiled(learn_and_engage)
