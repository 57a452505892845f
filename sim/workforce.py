"""Workforce: learning on the job, knowledge drift, quits and rehiring.

Skill follows a learning ramp toward mastery; knowledge of customers' needs grows
with the feedback heard and by watching a role-model supervisor, and fades as
needs drift. The quit hazard rises exponentially as engagement falls (Harter,
Schmidt & Hayes 2002) and with a tight labour market. A vacancy stays open for
the hiring delay; the new hire starts with no customer rapport and new-hire skill,
knowledge and engagement.
"""

from __future__ import annotations

import numpy as np


def learn_skill(skill: np.ndarray, rate: float) -> np.ndarray:
    return skill + rate * (1.0 - skill)


def update_knowledge(
    knowledge: np.ndarray, log_keep: np.ndarray, decay: float, observation: np.ndarray
) -> np.ndarray:
    """Apply today's feedback learning (k <- 1 - (1-k) * prod(1 - gain*value)), then
    learning by example (per slot rate ``observation``) and drift."""
    k = 1.0 - (1.0 - knowledge) * np.exp(log_keep)
    k = k + observation[:, None] * (1.0 - k)
    return k * (1.0 - decay)


def quit_hazard(engagement: np.ndarray, base: float, factor: float, tightness: float) -> np.ndarray:
    return np.clip(base * tightness * np.exp(factor * (0.5 - engagement)), 0.0, 1.0)
