"""Customer choice among competing firms and the outside option; loyalty programmes.

Multinomial logit (McFadden 1974). When a customer's need arises, the utility of
firm k is the scaled attitude to k (built from past satisfaction and word of
mouth), a habit/switching-cost bonus for the firm visited last (Klemperer 1995),
the value of programme membership at k, minus price disutility. Buying from no
firm (doing without, doing it oneself, a firm outside the market) is an
alternative with its own fixed utility, so total demand responds to quality,
attitudes and prices, not only the split among firms. A firm with no staff on
duty is closed.
"""

from __future__ import annotations

import numpy as np

from .jit import compiled

OUTSIDE = -1  # the choice of no firm


def relationship_maturity(tenure: np.ndarray, scale: float) -> np.ndarray:
    """0 at a customer's first visit to a firm, rising toward 1 with consecutive visits.

    ``tenure`` counts consecutive visits to the same firm including the current one;
    the rise is 63 % complete after ``scale`` further visits.
    """
    return 1.0 - np.exp(-np.maximum(tenure - 1, 0) / scale)


def regular_firm(last_firm: np.ndarray, satisfaction: np.ndarray, tolerance: float):
    """The firm whose habit bonus applies: the last one, while the relationship
    satisfaction stays at or above the adequate level (the zone of tolerance); below it
    the customer shops around (-1: no regular firm)."""
    return np.where(satisfaction >= tolerance, last_firm, -1)


def membership_value(
    member: np.ndarray,  # (K, n)
    last_firm: np.ndarray,
    spend: np.ndarray,
    *,
    loyalty_utility: np.ndarray,
    reward: np.ndarray,
    price: np.ndarray,
    price_sensitivity: float,
) -> np.ndarray:
    """Choice utility (K, n) of programme membership: a non-monetary part plus the reward.

    The reward is valued like a price cut of ``reward`` times what the member spends
    there (their tenure-raised spend at the firm they frequent, base spend elsewhere),
    so a programme changes behaviour in proportion to its size and the member's spend.
    """
    k = member.shape[0]
    spend_at = np.where(np.arange(k)[:, None] == last_firm[None, :], spend[None, :], 1.0)
    monetary = price_sensitivity * (reward * price)[:, None] * spend_at
    return member * (loyalty_utility[:, None] + monetary)


def choice_utilities(
    attitude: np.ndarray,
    last_firm: np.ndarray,
    member_value: np.ndarray | float,
    *,
    sensitivity: float,
    habit: float | np.ndarray,
    price_disutility: np.ndarray,
    open_firms: np.ndarray,
) -> np.ndarray:
    """Utilities (K, n) for n choosing customers; ``attitude`` and ``member_value`` are (K, n).

    ``habit`` is the bonus of the firm visited last: one number, or one per firm (K,).

    Everything is firm-major: the few firms are rows, so reductions across firms are
    elementwise operations on whole rows instead of many short inner loops.
    """
    util = sensitivity * attitude + member_value - price_disutility[:, None]
    rows = np.flatnonzero(last_firm >= 0)
    util[last_firm[rows], rows] += np.broadcast_to(habit, util.shape[:1])[last_firm[rows]]
    util[~open_firms] = -np.inf
    return util


def logit_choice(util: np.ndarray, u: np.ndarray, outside: float | None = None) -> np.ndarray:
    """Sample one alternative per customer from softmax over firm-major utilities (K, n).

    With ``outside`` (the utility of buying from no firm) the outside option is a
    further alternative after the firms; choosing it gives :data:`OUTSIDE` (-1).
    The inverse-CDF draw with uniforms ``u``: the chosen alternative is the number of
    cumulative probabilities below ``u``. Running sums are accumulated row by row
    in firm order (the order ``np.cumsum`` would use).
    """
    k = util.shape[0]
    top = util.max(axis=0)
    if outside is not None:
        top = np.maximum(top, outside)
    weight = np.exp(util - top)
    total = weight[0].copy()
    for j in range(1, k):
        total += weight[j]
    last = k - 1
    if outside is not None:
        total += np.exp(outside - top)
        last = k
    chosen = np.zeros(util.shape[1], dtype=np.int64)
    running = weight[0].copy()
    for j in range(last):
        if j:
            running += weight[j]
        chosen += running / total < u
    chosen = np.minimum(chosen, last)
    if outside is not None:
        chosen[chosen == k] = OUTSIDE
    return chosen


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


def choose(C, F, P, R):
    """Phase 1 of the day: whose need arises today, and where they go: a firm or none
    (the outside option; nobody is served while every firm is closed). The choice is one
    compiled pass over the customers in need (:func:`_choose`), the utilities and the
    logit draw of :func:`choice_utilities` and :func:`logit_choice` operation for
    operation. Returns the seekers, whether each buys, the visitors, their firm and
    previous firm, and the customers returning to each firm's market (``Today``)."""
    n, k_firms = C.expectation.size, F.price.size
    need_arises = R.visits.random(n)
    seekers = np.empty(n, dtype=np.int64)
    size = 0
    for c in range(n):
        if need_arises[c] < P.visit_rate:
            seekers[size] = c
            size += 1
    if not F.open_firms.any():
        size = 0
    seekers = seekers[:size]
    u = R.choice.random(size)
    buys, returning = np.empty(size, dtype=np.bool_), np.zeros(k_firms)
    visitors = np.empty(size, dtype=np.int64)
    chosen, prev = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    visits = _choose(
        seekers, u, C.attitude, C.last_firm, C.satisfaction, C.member, C.tenure,
        F.loyalty_programme.any(), F.loyalty_utility, F.loyalty_reward * F.price,
        P.price_sensitivity * F.price, F.habit, F.open_firms, P.tolerance,
        P.tenure_spend_gain, P.tenure_visits, P.price_sensitivity, P.choice_sensitivity,
        P.outside_utility, buys, visitors, chosen, prev, returning,
    )  # fmt: skip
    return seekers, buys, visitors[:visits], chosen[:visits], prev[:visits], returning


def _choose(
    seekers, u, attitude, last_firm, satisfaction, member, tenure, programme,
    loyalty_utility, reward_value, price_disutility, habit, open_firms, tolerance,
    spend_gain, tenure_visits, price_sensitivity, sensitivity, outside,
    buys, visitors, chosen, prev_firm, returning,
):  # fmt: skip
    """Each customer in need in turn: the utilities, the logit draw, and who comes to
    which firm; ``returning`` counts those whose last visit was to each firm, whether
    they came back, went to a rival or went nowhere. Returns the number of visits."""
    k_firms = attitude.shape[0]
    util, weight = np.empty(k_firms), np.empty(k_firms)
    n = 0
    for j in range(seekers.size):
        c = seekers[j]
        prev = last_firm[c]
        # the habit bonus holds inside the zone of tolerance (regular_firm)
        regular = prev if satisfaction[c] >= tolerance else -1
        spend = 1.0
        if programme:  # membership_value: the reward valued at the member's spend there
            spend = 1.0 + spend_gain * (1.0 - np.exp(-max(tenure[c], 0) / tenure_visits))
        top = outside
        for k in range(k_firms):
            value = 0.0
            if programme:
                spend_at = spend if k == prev else 1.0
                monetary = price_sensitivity * reward_value[k] * spend_at
                value = (1.0 if member[k, c] else 0.0) * (loyalty_utility[k] + monetary)
            x = sensitivity * attitude[k, c] + value - price_disutility[k]
            if k == regular:
                x += habit[k]
            if not open_firms[k]:
                x = -np.inf
            util[k] = x
            top = x if x > top else top
        # logit_choice with the outside option: the inverse CDF, running sums in firm order
        for k in range(k_firms):
            weight[k] = np.exp(util[k] - top)
        total = weight[0]
        for k in range(1, k_firms):
            total += weight[k]
        total += np.exp(outside - top)
        pick = 0
        running = 0.0
        for k in range(k_firms):
            running = weight[0] if k == 0 else running + weight[k]
            if running / total < u[j]:
                pick += 1
        if prev >= 0:
            returning[prev] += 1.0
        buys[j] = pick < k_firms
        if pick < k_firms:
            visitors[n], chosen[n], prev_firm[n] = c, pick, prev
            n += 1
    return n


_choose = compiled(_choose)
choose = compiled(choose)
