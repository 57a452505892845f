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
    """Utilities (K, n) for n choosing customers; ``attitude`` and ``member`` are (K, n).

    Everything is firm-major: the few firms are rows, so reductions across firms are
    elementwise operations on whole rows instead of many short inner loops.
    """
    util = sensitivity * attitude + member * loyalty_utility[:, None] - price_disutility[:, None]
    rows = np.flatnonzero(last_firm >= 0)
    util[last_firm[rows], rows] += habit
    util[~open_firms] = -np.inf
    return util


def logit_choice(util: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one firm per customer from softmax over firm-major utilities (K, n).

    The inverse-CDF draw with uniforms ``u``: the chosen firm is the number of
    cumulative probabilities below ``u``. Running sums are accumulated row by row
    in firm order (the order ``np.cumsum`` would use).
    """
    k = util.shape[0]
    weight = np.exp(util - util.max(axis=0))
    total = weight[0].copy()
    for j in range(1, k):
        total += weight[j]
    chosen = np.zeros(util.shape[1], dtype=np.int64)
    running = weight[0].copy()
    for j in range(k - 1):
        if j:
            running += weight[j]
        chosen += running / total < u
    return np.minimum(chosen, k - 1)


def enrol_members(
    member: np.ndarray,  # (K, N)
    visitors: np.ndarray,
    chosen: np.ndarray,
    join_probability: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """Visitors join the chosen firm's programme with that firm's join probability.

    ``join_probability`` is zero for firms without a programme. Returns the firm of
    each new membership.
    """
    joins = (~member[chosen, visitors]) & (u < join_probability[chosen])
    member[chosen[joins], visitors[joins]] = True
    return chosen[joins]
