"""Feedback interventions (Kluger & DeNisi 1996), measured as the field measured them.

Kluger & DeNisi's meta-analysis (607 effects) is about feedback *interventions*: a
programme added to the feedback people already get at work, compared with the same
kind of people without it. The effect is the standardised mean difference in
performance (Cohen's d): about +0.41 on average, negative in over a third of cases,
more often when the feedback draws attention to the self.

Here the intervention is a customer-feedback programme (a survey invitation after
``SURVEY`` of visits) added to the feedback customers give of their own accord; the
control is the same market, seed and people without it. Performance is a firm's
encounter quality over the measurement window; d divides the paired difference by
the pooled encounter-level standard deviation. ``experiments/feedback_interventions.py``
and fact 3 of ``spc facts`` (sim/facts.py) both measure through these functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .config import Scenario
from .model import ServiceProfitChainModel

SURVEY = 0.3  # share of visits followed by a survey invitation
# the intervention, added on top of the everyday (unprompted) customer feedback
FEEDBACK_PROGRAMME: dict[str, Any] = {"feedback.survey_invitation": SURVEY}


def run_with_quality_moments(
    scenario: Scenario, structure: str | float, seed: int, days: int, start: int
) -> tuple[ServiceProfitChainModel, np.ndarray]:
    """Run ``days``; per firm, (n, sum, sum of squares) of encounter quality from ``start``.

    Read from each day's record of what happened (``model.last_record``), so the
    mechanisms stay untouched.
    """
    model = ServiceProfitChainModel(scenario, structure=structure, seed=seed)
    k = scenario.market.firms
    moments = np.zeros((k, 3))
    for _ in range(days):
        model.step()
        if model.day - 1 >= start:
            t = model.last_record
            q, firm = np.asarray(t.quality, float), np.asarray(t.chosen)
            moments[:, 0] += np.bincount(firm, minlength=k)[:k]
            moments[:, 1] += np.bincount(firm, weights=q, minlength=k)[:k]
            moments[:, 2] += np.bincount(firm, weights=q * q, minlength=k)[:k]
    return model, moments


def mean_var(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) variance per row of (n, sum, sum of squares)."""
    n = np.maximum(moments[..., 0], 1.0)
    mean = moments[..., 1] / n
    return mean, np.maximum(moments[..., 2] / n - mean * mean, 0.0)


def cohen_d(mean_with, var_with, mean_without, var_without):
    """Standardised mean difference with the pooled sd (equal-sized arms)."""
    sd = np.sqrt((np.asarray(var_with) + np.asarray(var_without)) / 2)
    return (np.asarray(mean_with) - np.asarray(mean_without)) / sd


def aimed_at_person(harshness, direct_share, style):
    """How much criticism reaches the employee aimed at the person: harsh words heard
    directly, or relayed raw through a controlling (micro-managing) filter, where a
    supervisor's blame adds to them (Kluger & DeNisi's moderator: attention to the self)."""
    direct_share = np.asarray(direct_share, float)
    return np.asarray(harshness, float) * (direct_share + (1 - direct_share) * np.asarray(style))
