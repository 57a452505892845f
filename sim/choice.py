"""Customer choice among competing firms and loyalty-programme enrolment.

Multinomial logit (McFadden 1974): utility of firm k for a customer is the scaled
attitude to k (built from past satisfaction and word of mouth), a habit/switching
cost bonus for the firm visited last (Klemperer 1995), the value of programme
membership at k, minus price disutility. A firm with no staff on duty is closed.
"""

from __future__ import annotations

import numpy as np


def choice_utilities(
    attitude: np.ndarray,
    last_firm: np.ndarray,
    member: np.ndarray,
    *,
    sensitivity: float,
    habit: float,
    loyalty_utility: np.ndarray,
    price_disutility: np.ndarray,
    open_firms: np.ndarray,
) -> np.ndarray:
    """Utilities (n, K) for n choosing customers."""
    util = sensitivity * attitude + member * loyalty_utility - price_disutility
    has_last = last_firm >= 0
    rows = np.flatnonzero(has_last)
    util[rows, last_firm[rows]] += habit
    util[:, ~open_firms] = -np.inf
    return util


def logit_choice(util: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one alternative per row from softmax(util) using uniforms ``u`` (n,)."""
    util = util - util.max(axis=1, keepdims=True)
    p = np.exp(util)
    cum = np.cumsum(p, axis=1)
    cum /= cum[:, -1:]
    chosen = (cum < u[:, None]).sum(axis=1)
    return np.minimum(chosen, util.shape[1] - 1)


def enrol_members(
    member: np.ndarray,
    visitors: np.ndarray,
    chosen: np.ndarray,
    join_probability: np.ndarray,
    u: np.ndarray,
) -> int:
    """Visitors join the chosen firm's programme with that firm's join probability.

    ``join_probability`` is zero for firms without a programme. Returns the firm of
    each new membership.
    """
    joins = (~member[visitors, chosen]) & (u < join_probability[chosen])
    member[visitors[joins], chosen[joins]] = True
    return chosen[joins]
