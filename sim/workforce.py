"""Workforce: learning on the job, knowledge drift, quits, staffing and rehiring.

Skill follows a learning curve over tenure toward each person's own mastery;
knowledge of customers' needs grows with the feedback heard and by watching a
role-model supervisor, and fades as needs drift. The quit hazard rises
exponentially as engagement falls (Harter, Schmidt & Hayes 2002), is highest for
new hires and falls with tenure (Farber 1994), and scales with a tight labour
market. Staffing follows demand: a firm forecasts its visits (moving average) and
opens vacancies, or leaves quits unfilled, so that visits per employee sit at its
target load; a vacancy stays open for the hiring delay, and the new hire starts
with no customer rapport and new-hire skill, knowledge and engagement. Nobody is
laid off: a firm shrinks by attrition.
"""

from __future__ import annotations

import functools

import numpy as np

from .jit import compiled
from .routing import clear_queues

# the longest tenure an initial employee can have: a working life
MAX_TENURE_DAYS = 40 * 365


def settled_quit_hazard(
    tenure: np.ndarray, base: float, tightness: float, newcomer_excess: float, settling_days: float
) -> np.ndarray:
    """Cumulative quit hazard H(t) up to tenure ``t`` of an averagely engaged employee
    (engagement 0.5): the integral of :func:`quit_hazard` over tenure."""
    t = np.asarray(tenure, dtype=float)
    return (
        base
        * tightness
        * (t + newcomer_excess * settling_days * (1.0 - np.exp(-t / settling_days)))
    )


def stationary_staff(
    size: int,
    rng: np.random.Generator,
    *,
    disposition_sd: float,
    typical_logit: float,
    base: float,
    factor: float,
    tightness: float,
    newcomer_excess: float,
    settling_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Dispositions and tenures (days) of the staff of a firm that has long been hiring
    (dispositions ~ N(0, ``disposition_sd``)) to replace quits.

    In a stationary renewal process the current occupant of a position is drawn
    length-biased, in proportion to how long their kind stays, E[T | d], and their
    tenure has density S_d(t) / E[T | d], S_d the survival function of a job spell
    (Cox 1962, Renewal Theory, ch. 5). A job spell's hazard is :func:`quit_hazard` at
    the engagement the person's disposition gives in the typical job,
    logistic(``typical_logit`` + d), up to a working life. Starting the market with
    this mix (instead of a newly opened firm's) keeps the skill and knowledge that grow
    with tenure, and the engagement that selective quitting raises, from drifting
    during the run. Dispositions are binned on 64 quantiles for the survival tables."""
    bins, mid, cdf, stay = _survival_tables(
        disposition_sd, typical_logit, base, factor, tightness, newcomer_excess, settling_days
    )
    # candidate dispositions of hires; the (length-biased) occupants are accepted among them
    disposition = np.empty(0)
    while disposition.size < size:
        d = rng.normal(0.0, disposition_sd, size=2 * size + 8)
        b = np.clip(np.digitize(d / max(disposition_sd, 1e-12), bins) - 1, 0, mid.size - 1)
        disposition = np.concatenate([disposition, d[rng.random(d.size) < stay[b]]])
    disposition = disposition[:size]
    b = np.clip(np.digitize(disposition / max(disposition_sd, 1e-12), bins) - 1, 0, mid.size - 1)
    draws = rng.random(size) * cdf[b, -1]
    tenure = np.array([np.searchsorted(cdf[i], x) for i, x in zip(b, draws, strict=True)])
    return disposition, tenure.astype(np.int64)


def _survival_tables(
    disposition_sd: float,
    typical_logit: float,
    base: float,
    factor: float,
    tightness: float,
    newcomer_excess: float,
    settling_days: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`stationary_staff`'s tables: the disposition bins and their midpoints, each
    bin's cumulative survival over tenure days (a working life) and its relative expected
    stay. They depend on the parameters only, so a few are kept (read-only) for the next
    market with the same workforce (the other structure, the next replication)."""
    grid = np.arange(MAX_TENURE_DAYS + 1)
    h = settled_quit_hazard(grid, base, tightness, newcomer_excess, settling_days)
    bins = np.linspace(-3.0, 3.0, 65)
    mid = 0.5 * (bins[1:] + bins[:-1]) * max(disposition_sd, 1e-12)
    engaged = 1.0 / (1.0 + np.exp(-(typical_logit + mid)))
    cdf = _cumulative_survival(np.exp(factor * (0.5 - engaged)), h)
    stay = cdf[:, -1] / cdf[:, -1].max()  # E[T | d], relative
    for table in (bins, mid, cdf, stay):
        table.flags.writeable = False
    return bins, mid, cdf, stay


_survival_tables = functools.lru_cache(maxsize=2)(_survival_tables)


def _cumulative_survival(rate, hazard):
    """``np.cumsum(np.exp(-rate[:, None] * hazard[None, :]), axis=1)`` without the
    (bins x days) temporary: each bin's survival to each tenure, summed day by day."""
    out = np.empty((rate.size, hazard.size))
    for i in range(rate.size):
        running = 0.0
        for t in range(hazard.size):
            running += np.exp(-rate[i] * hazard[t])
            out[i, t] = running
    return out


_cumulative_survival = compiled(_cumulative_survival)


def learn_skill(skill: np.ndarray, rate: float, mastery: np.ndarray | float = 1.0) -> np.ndarray:
    return skill + rate * (mastery - skill)


def update_knowledge(
    knowledge: np.ndarray, log_keep: np.ndarray, decay: float, observation: np.ndarray
) -> np.ndarray:
    """Apply today's feedback learning (k <- 1 - (1-k) * prod(1 - gain*value)), then
    learning by example (per slot rate ``observation``) and drift."""
    k = 1.0 - (1.0 - knowledge) * np.exp(log_keep)
    k = k + observation[:, None] * (1.0 - k)
    return k * (1.0 - decay)


def quit_hazard(
    engagement: np.ndarray,
    base: float,
    factor: float,
    tightness: float,
    tenure: np.ndarray | float = np.inf,
    newcomer_excess: float = 0.0,
    settling_days: float = 1.0,
) -> np.ndarray:
    """Daily quit probability: rises as engagement falls below 0.5, and for newcomers
    (an excess that fades with tenure)."""
    newcomer = 1.0 + newcomer_excess * np.exp(-np.asarray(tenure, dtype=float) / settling_days)
    return np.clip(base * tightness * newcomer * np.exp(factor * (0.5 - engagement)), 0.0, 1.0)


def staffed_demand(
    firm: np.ndarray, on_duty: np.ndarray, capacity: float, target_load: np.ndarray
) -> np.ndarray:
    """Visits per day per firm that its staff on duty serve at the target load: the
    demand forecast of a firm staffed for what it expects (the inverse of
    :func:`staffing_target`)."""
    return np.bincount(firm, weights=on_duty, minlength=target_load.size) * capacity * target_load


def staffing_target(
    forecast: np.ndarray, capacity: float, target_load: np.ndarray, pool: np.ndarray
) -> np.ndarray:
    """Headcount per firm that serves the forecast visits at the target load (1..pool)."""
    need = np.ceil(forecast / (capacity * target_load) - 1e-9)
    return np.clip(need, 1, pool).astype(np.int64)


def staffing(
    firm: np.ndarray,
    on_duty: np.ndarray,
    is_open: np.ndarray,
    vacant_until: np.ndarray,
    target: np.ndarray,
    day: int,
    delay: int,
) -> None:
    """Open vacancies on idle slots where a firm is below its target, and close open
    (unfilled) vacancies where it is above; in place. Lowest slots are filled first."""
    k = target.size
    held = np.bincount(firm, weights=on_duty | is_open, minlength=k).astype(np.int64)
    gap = target - held
    for f in np.flatnonzero(gap != 0):
        if gap[f] > 0:
            idle = np.flatnonzero((firm == f) & ~on_duty & ~is_open)[: gap[f]]
            is_open[idle] = True
            vacant_until[idle] = day + delay
        else:
            pending = np.flatnonzero((firm == f) & is_open)[::-1][: -gap[f]]
            is_open[pending] = False


def turnover(day, visits, S, F, U, Q, P, R):
    """Phase 8 of the day: quits, staffing toward the demand forecast, vacancies, hires.
    Returns the slots that quit, the slots hired into and each firm's payroll before
    the quits."""
    n = S.firm.size
    quits, payroll = np.empty(n, dtype=np.int64), np.zeros(F.price.size)
    quits = quits[
        : _quits(
            S.engagement, S.tenure, S.on_duty, S.firm, R.turnover.random(n),
            P.base_quit_rate, P.disengagement_quit_factor, P.labour_market_tightness,
            P.newcomer_quit_excess, P.settling_days, quits, payroll,
        )
    ]  # fmt: skip
    leave(S, quits, day, P.hiring_delay_days)
    hires = np.empty(n, dtype=np.int64)
    hires = hires[
        : _staff_to_demand(
            F.demand, visits, F.staffing_horizon, P.capacity, F.target_load, F.slot_pool,
            S.firm, S.on_duty, S.open, S.vacant_until, day, P.hiring_delay_days, hires,
        )
    ]  # fmt: skip
    if quits.size:
        clear_queues(Q, quits)
    if hires.size:
        hire(S, hires, P, R.hiring)
    if quits.size or hires.size:
        rosters(S, F, U)
    return quits, hires, payroll


turnover = compiled(turnover)


def leave(S, slots, day, delay):
    """Quits: the position is open again, to be filled after the hiring delay (unless
    the firm decides it no longer needs it, see :func:`staffing`); customers' rapport
    with the leaver ends with the slot's generation."""
    for e in slots:
        S.on_duty[e] = False
        S.generation[e] += 1
        S.open[e] = True
        S.vacant_until[e] = day + delay


leave = compiled(leave)


def hire(S, slots, P, rng):
    """New hires in ``slots``: new-hire skill, knowledge and engagement, their own
    mastery, disposition and sensitivity (drawn in that order, slot by slot), the
    supervisor's usual grip, and no feedback heard yet."""
    n = slots.size
    mastery = rng.uniform(P.skill_init_low, P.skill_init_high, n)
    disposition = rng.normal(0.0, P.disposition_sd, n)
    sensitivity = np.exp(rng.normal(0.0, P.sensitivity_sd, n))
    for i in range(n):
        e = slots[i]
        S.on_duty[e], S.open[e], S.tenure[e] = True, False, 0
        S.mastery[e], S.skill[e] = mastery[i], P.new_hire_skill
        S.knowledge[e, :] = P.new_hire_knowledge
        S.engagement[e] = P.new_hire_engagement
        S.disposition[e], S.sensitivity[e] = disposition[i], sensitivity[i]
        S.control[e] = S.style_of_slot[e]
        S.recognition[e], S.meaning[e], S.growth[e] = 0.0, 0.0, 0.0
        S.sting[e], S.reward[e] = 0.0, 0.0


hire = compiled(hire)


def rosters(S, F, U):
    """Each firm's staff on duty (``F.roster_slots[F.roster_starts[k]:F.roster_starts[k
    + 1]]`` for firm k, in slot order), whether it is open, and each team's size."""
    n = 0
    for k in range(F.open_firms.size):
        F.roster_starts[k] = n
        for e in range(S.firm.size):
            if S.on_duty[e] and S.firm[e] == k:
                F.roster_slots[n] = e
                n += 1
        F.open_firms[k] = n > F.roster_starts[k]
    F.roster_starts[F.open_firms.size] = n
    U.team_size[:] = 0.0
    for e in range(S.team.size):
        U.team_size[S.team[e]] += 1.0 if S.on_duty[e] else 0.0


rosters = compiled(rosters)


def _quits(
    engagement, tenure, on, firm, u, base, factor, tightness, newcomer_excess,
    settling_days, quits, payroll,
):  # fmt: skip
    """Who quits today (:func:`quit_hazard` slot by slot against the uniforms ``u``) and
    each firm's payroll before the quits; returns how many quit, their slots in
    ``quits``."""
    count = 0
    for e in range(engagement.size):
        if not on[e]:
            continue
        payroll[firm[e]] += 1.0
        newcomer = 1.0 + newcomer_excess * np.exp(-float(tenure[e]) / settling_days)
        hazard = base * tightness * newcomer * np.exp(factor * (0.5 - engagement[e]))
        hazard = hazard if hazard > 0.0 else 0.0
        if u[e] < (hazard if hazard < 1.0 else 1.0):
            quits[count] = e
            count += 1
    return count


_quits = compiled(_quits)


def _staff_to_demand(
    demand, visits, horizon, capacity, target_load, pool, firm, on_duty, is_open,
    vacant_until, day, delay, hires,
):  # fmt: skip
    """The demand forecast moves toward today's visits, each firm opens or closes
    vacancies toward the headcount that serves it (:func:`staffing_target`,
    :func:`staffing`: lowest idle slots opened first, latest open vacancies closed
    first), and the vacancies whose delay has passed are hired into today. Returns how
    many hires, their slots in ``hires``."""
    k_firms = demand.size
    for k in range(k_firms):
        demand[k] = demand[k] + (visits[k] - demand[k]) / horizon[k]
        need = np.ceil(demand[k] / (capacity * target_load[k]) - 1e-9)
        need = need if need > 1 else 1.0
        need = need if need < pool[k] else float(pool[k])
        held = 0
        for e in range(firm.size):
            if firm[e] == k and (on_duty[e] or is_open[e]):
                held += 1
        gap = np.int64(need) - held
        if gap > 0:
            for e in range(firm.size):
                if gap == 0:
                    break
                if firm[e] == k and not on_duty[e] and not is_open[e]:
                    is_open[e] = True
                    vacant_until[e] = day + delay
                    gap -= 1
        elif gap < 0:
            for e in range(firm.size - 1, -1, -1):
                if gap == 0:
                    break
                if firm[e] == k and is_open[e]:
                    is_open[e] = False
                    gap += 1
    n = 0
    for e in range(firm.size):
        if is_open[e] and vacant_until[e] <= day:
            hires[n] = e
            n += 1
    return n


_staff_to_demand = compiled(_staff_to_demand)
