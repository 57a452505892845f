"""Feedback routing: who hears the customer, when, how faithfully and in whose words.

Each firm's routing is an explicit channel network (a networkx ``MultiDiGraph``)
whose edges carry the channel properties the mechanism uses:

* ``customer -> employee`` (direct): share ``direct_share``, no delay, the raw
  customer words (clarity ``direct_clarity``; harsh comments keep their sting).
* ``customer -> supervisor``: the supervisor hears everything, in both structures.
* ``supervisor -> employee`` (relay): the share not heard directly, after the
  supervisor's review (delay = review cadence), capacity and pass rate; the
  supervisor's own words, fidelity ``filter_fidelity`` times the clarity a coach
  adds (the "starting block"). The filter decides how personal criticism arrives: a
  coach (style 0) buffers harsh words into task information; a micro-manager passes
  harsh words on raw (in proportion to style) and amplified (``amplification``), and
  turns part of the task criticism into blame (``blame``). Relayed comments also carry
  some of the meaning of hearing the customer, as a story (``relayed_meaning``).
* ``supervisor -> team`` (summary): relayed items not given to the specific
  employee arrive as a team-level summary, diluted across the team.
* ``supervisor -> employee`` (coaching): for items the employee already heard
  directly, a coaching supervisor repairs sting and adds context, after the fact.

``linear`` is direct_share = 0, ``triangular`` is direct_share = 1; anything in
between is a mixed structure. The vectorised functions below act on per-employee
columns; they read the channel parameters from :func:`channel_parameters`.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import networkx as nx
import numpy as np

from .config import STRUCTURES, Feedback, Scenario, Supervisor
from .encounter import clip
from .jit import compiled


def resolve_structure(scenario: Scenario, structure: str | float) -> float:
    """Direct share for a preset name or a number in [0, 1]."""
    if isinstance(structure, str):
        if structure not in STRUCTURES:
            raise ValueError(
                f"structure {structure!r} is not known; allowed: "
                + ", ".join(repr(x) for x in STRUCTURES)
                + " or a direct share between 0 and 1"
            )
        return getattr(scenario.structures, structure).direct_share
    share = float(structure)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"structure direct share {share} is outside [0, 1]")
    return share


def relay_value(sup: Supervisor, fb: Feedback) -> float:
    """Actionable information in one relayed item (0-1)."""
    coach = 1.0 - sup.style
    return sup.filter_fidelity * (
        fb.direct_clarity + (1 - fb.direct_clarity) * fb.coach_context * coach
    )


def channel_graph(
    direct_share: float, sup: Supervisor, fb: Feedback, style: float | None = None
) -> nx.MultiDiGraph:
    """The firm's feedback channels; :func:`channel_parameters` reads the mechanism's
    parameters from these edges and nodes, so the graph is what the model runs.

    Edge attributes: ``share`` (of all feedback items), ``delay`` (days, at most),
    ``fidelity`` (information per item), ``framing``; the relay also carries its
    pass rates, the share given to the specific employee and the self-focus of its
    criticism (= style), how a harsh comment's sting is passed on (``harsh_sting``) and
    how much of a task criticism becomes blame (``task_blame``), and the meaning of a
    relayed story; coaching carries the share of sting it repairs. ``style`` overrides
    the firm's mean style for one supervisor.
    """
    if style is not None:
        sup = sup.model_copy(update={"style": float(style)})
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph(direct_share=direct_share)
    g.add_nodes_from(["customer", "employee", "team"])
    g.add_node(
        "supervisor",
        capacity=float(sup.capacity),  # items per review
        control_sensitivity=sup.control_sensitivity * sup.style,  # per criticism heard
    )
    indirect = 1.0 - direct_share
    cadence = sup.review_cadence_days
    coach = 1.0 - sup.style
    g.add_edge(
        "customer",
        "employee",
        key="direct",
        share=direct_share,
        delay=0,
        fidelity=fb.direct_clarity,
        framing="the customer's own words",
    )
    g.add_edge(
        "customer",
        "supervisor",
        key="hear",
        share=1.0,
        delay=0,
        fidelity=1.0,
        framing="the supervisor hears every item",
    )
    g.add_edge(
        "supervisor",
        "employee",
        key="relay",
        share=indirect * sup.pass_rate * sup.specificity,
        delay=cadence,
        fidelity=relay_value(sup, fb),
        framing="the supervisor's words",
        pass_praise=float(np.clip(sup.pass_rate * (1 - sup.negativity_bias), 0, 1)),
        pass_criticism=float(np.clip(sup.pass_rate * (1 + sup.negativity_bias), 0, 1)),
        specific_share=sup.specificity,
        self_focus=sup.style,
        harsh_sting=sup.style * (1.0 + sup.amplification),
        task_blame=sup.style * sup.blame,
        meaning=fb.relayed_meaning,
    )
    g.add_edge(
        "supervisor",
        "team",
        key="summary",
        share=indirect * sup.pass_rate * (1 - sup.specificity),
        delay=cadence,
        fidelity=relay_value(sup, fb),
        framing="a team-level summary (task focused)",
    )
    g.add_edge(
        "supervisor",
        "employee",
        key="coaching",
        share=direct_share,
        delay=cadence,
        fidelity=sup.filter_fidelity
        * (1 - fb.direct_clarity)
        * fb.coach_context
        * coach
        * fb.after_the_fact_coaching,
        repair=fb.after_the_fact_coaching * coach,
        framing="coaching after the fact",
    )
    return g


@dataclass(frozen=True)
class Channels:
    """Per-supervisor channel parameters read off the routing graphs (arrays of length S)."""

    relay_value: np.ndarray
    coaching_value: np.ndarray
    coaching_repair: np.ndarray
    cadence: np.ndarray
    pass_praise: np.ndarray
    pass_criticism: np.ndarray
    specificity: np.ndarray
    self_focus: np.ndarray
    harsh_sting: np.ndarray
    task_blame: np.ndarray
    relayed_meaning: np.ndarray
    capacity: np.ndarray
    control_sensitivity: np.ndarray


def channel_parameters(graphs: list[nx.MultiDiGraph], which: np.ndarray | None = None) -> Channels:
    """Each supervisor's channel parameters, from its routing graph (``graphs[which[i]]``
    for supervisor i; by default one graph per supervisor)."""
    if which is None:
        which = np.arange(len(graphs))

    def relay(attr, dtype=float):
        return np.array(
            [graphs[k].edges["supervisor", "employee", "relay"][attr] for k in which],
            dtype=dtype,
        )

    def coaching(attr):
        return np.array(
            [graphs[k].edges["supervisor", "employee", "coaching"][attr] for k in which]
        )

    def supervisor(attr):
        return np.array([graphs[k].nodes["supervisor"][attr] for k in which], dtype=float)

    return Channels(
        relay_value=relay("fidelity"),
        coaching_value=coaching("fidelity"),
        coaching_repair=coaching("repair"),
        cadence=relay("delay", np.int64),
        pass_praise=relay("pass_praise"),
        pass_criticism=relay("pass_criticism"),
        specificity=relay("specific_share"),
        self_focus=relay("self_focus"),
        harsh_sting=relay("harsh_sting"),
        task_blame=relay("task_blame"),
        relayed_meaning=relay("meaning"),
        capacity=supervisor("capacity"),
        control_sensitivity=supervisor("control_sensitivity"),
    )


def feedback_propensity(
    surprise: np.ndarray,
    member: np.ndarray,
    invited: np.ndarray,
    *,
    base: float,
    surprise_gain: float,
    member_multiplier: float,
    survey_response: float,
) -> np.ndarray:
    """Chance a visit produces feedback: rises with |surprise| (U-shaped in the
    disconfirmation), more for programme members, and a survey invitation adds its
    response rate."""
    p = (base + surprise_gain * np.abs(surprise)) * np.where(member, member_multiplier, 1.0)
    p = 1.0 - (1.0 - np.clip(p, 0.0, 1.0)) * (1.0 - survey_response * invited)
    return p


@dataclass
class FeedbackItems:
    """Today's feedback items (one row each)."""

    employee: np.ndarray
    need: np.ndarray
    praise: np.ndarray  # bool; False = criticism
    harsh: np.ndarray  # bool; criticism pointing at the person
    direct: np.ndarray  # bool; reaches the employee without the supervisor


class Queues:
    """Items waiting for each employee's supervisor's next review (per employee slot)."""

    def __init__(self, n_slots: int, n_needs: int):
        self.praise = np.zeros(n_slots, dtype=np.int64)
        self.criticism = np.zeros(n_slots, dtype=np.int64)
        self.harsh = np.zeros(n_slots, dtype=np.int64)  # of which aimed at the person
        self.need = np.zeros((n_slots, n_needs))
        self.arrival_sum = np.zeros(n_slots)
        # copies of directly heard items, for after-the-fact coaching; the harsh
        # ones as the share of their sting not yet faded (see Queues.fade)
        self.copies = np.zeros(n_slots)
        self.copies_harsh = np.zeros(n_slots)
        self.copies_need = np.zeros((n_slots, n_needs))

    def fade(self, decay: float) -> None:
        """End of day: a harsh comment's sting fades at the rate of the sting trace,
        so coaching at review repairs what is left of it, not what it once was."""
        self.copies_harsh *= 1.0 - decay

    def clear(self, slots: np.ndarray) -> None:
        from .state import QueueCols, columns

        clear_queues(columns(QueueCols, self), np.asarray(slots, dtype=np.int64))


def need_counts(slot: np.ndarray, need: np.ndarray, n_slots: int, n_needs: int, weights=None):
    return np.bincount(slot * n_needs + need, weights=weights, minlength=n_slots * n_needs).reshape(
        n_slots, n_needs
    )


@dataclass
class Delivery:
    """What employees heard today, as per-slot tallies (feeds learning and engagement)."""

    log_keep: np.ndarray  # (E, needs): sum of count * log(1 - gain * value)
    recognition: np.ndarray
    meaning: np.ndarray
    growth: np.ndarray
    sting: np.ndarray
    sting_repair: np.ndarray
    criticism_heard_by_supervisor: np.ndarray

    @classmethod
    def empty(cls, n_slots: int, n_needs: int) -> Delivery:
        z = lambda: np.zeros(n_slots)  # noqa: E731
        return cls(np.zeros((n_slots, n_needs)), z(), z(), z(), z(), z(), z())


def route_items(
    items: FeedbackItems,
    day: int,
    queues: Queues,
    out: Delivery,
    *,
    clarity: float,
    gain: float,
) -> tuple[int, float]:
    """Deliver direct items now and queue the rest for the supervisor.

    The supervisor hears every item (criticism feeds a micro-manager's control).
    Returns (items delivered now, information delivered now).
    """
    q = queues
    _route(
        items.employee, items.need, items.praise, items.harsh, items.direct, float(day),
        float(np.log1p(-gain * clarity)), out.log_keep, out.recognition, out.meaning,
        out.growth, out.sting, out.criticism_heard_by_supervisor, q.praise, q.criticism,
        q.harsh, q.need, q.arrival_sum, q.copies, q.copies_harsh, q.copies_need,
    )  # fmt: skip
    direct = int(items.direct.sum())
    return direct, float(direct) * clarity


def _route(
    employee, need, praise, harsh, direct, day, log_item, log_keep, recognition, meaning,
    growth, sting, heard, q_praise, q_criticism, q_harsh, q_need, q_arrival, copies,
    copies_harsh, copies_need,
):  # fmt: skip
    """:func:`route_items` in one pass over the items: each slot's counts first, then
    added to the tallies and queues (count x per-item value, as the vectorised form)."""
    n_slots, n_needs = q_need.shape
    heard_now = np.zeros(n_slots)
    d_count, d_praise, d_harsh, d_task = (
        np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots)
    )  # fmt: skip
    q_count, q_p, q_c, q_h = (
        np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots)
    )  # fmt: skip
    d_need, q_need_now = np.zeros((n_slots, n_needs)), np.zeros((n_slots, n_needs))
    for i in range(employee.size):
        e, crit = employee[i], not praise[i]
        if crit:
            heard_now[e] += 1.0
        if direct[i]:
            d_count[e] += 1.0
            d_need[e, need[i]] += 1.0
            d_praise[e] += 1.0 if praise[i] else 0.0
            d_harsh[e] += 1.0 if harsh[i] else 0.0
            d_task[e] += 1.0 if crit and not harsh[i] else 0.0
        else:
            q_count[e] += 1.0
            q_need_now[e, need[i]] += 1.0
            q_p[e] += 1.0 if praise[i] else 0.0
            q_c[e] += 1.0 if crit else 0.0
            q_h[e] += 1.0 if harsh[i] else 0.0
    for e in range(n_slots):
        heard[e] += heard_now[e]
        for j in range(n_needs):
            log_keep[e, j] += d_need[e, j] * log_item
        recognition[e] += d_praise[e]
        meaning[e] += d_count[e]
        sting[e] += d_harsh[e]
        growth[e] += d_task[e]
        copies[e] += d_count[e]
        copies_harsh[e] += d_harsh[e]
        for j in range(n_needs):
            copies_need[e, j] += d_need[e, j]
        q_praise[e] += np.int64(q_p[e])
        q_criticism[e] += np.int64(q_c[e])
        q_harsh[e] += np.int64(q_h[e])
        for j in range(n_needs):
            q_need[e, j] += q_need_now[e, j]
        q_arrival[e] += q_count[e] * day


_route = compiled(_route)


@dataclass
class ReviewTally:
    """Per-supervisor outcome of today's reviews."""

    resolved: np.ndarray  # queued items dealt with (passed on or dropped)
    delivered: np.ndarray  # items passed on
    latency_sum: np.ndarray  # days waited, summed over delivered items
    info_sum: np.ndarray  # information delivered
    handled: np.ndarray  # items the supervisor got through (queue + coaching copies)


def review(
    day: int,
    team: np.ndarray,
    team_size: np.ndarray,
    offset: np.ndarray,
    ch: Channels,
    queues: Queues,
    out: Delivery,
    rng: np.random.Generator,
    *,
    gain: float,
    team_summary_weight: float,
) -> ReviewTally:
    """Supervisors whose review falls today pass on (or drop) their queue and coach
    (:func:`reviews`, the day's phase, on these columns); adds to ``out``."""
    from .state import QueueCols, SupervisorCols, columns

    sups = SupervisorCols._make((
        *(getattr(ch, name) for name in SupervisorCols._fields[:13]),
        np.asarray(offset, dtype=np.int64), np.asarray(team_size, dtype=float),
        np.zeros(1, dtype=np.int64),
    ))  # fmt: skip
    heard = (
        out.log_keep, out.recognition, out.meaning, out.growth, out.sting, out.sting_repair,
        out.criticism_heard_by_supervisor,
    )  # fmt: skip
    tally = reviews(
        day, heard, _Team(np.asarray(team, dtype=np.int64)), sups, columns(QueueCols, queues),
        _Gains(gain, team_summary_weight), _Routing(rng),
    )  # fmt: skip
    return ReviewTally(*tally)


_Team = namedtuple("_Team", "team")
_Gains = namedtuple("_Gains", "knowledge_gain team_summary_weight")
_Routing = namedtuple("_Routing", "routing")


def _reviewers(
    day, team, offset, cadence, capacity, pass_praise, pass_criticism, q_praise,
    q_criticism, copies, slots, sup, cover, p_praise, p_crit, handled,
):  # fmt: skip
    """Slots whose supervisor reviews today (in slot order, with that supervisor), the
    share of the queue each supervisor's capacity covers, each slot's chance of passing
    praise and criticism on, and the items each supervisor got through. Returns how
    many slots."""
    n_sups = offset.size
    reviewing = np.empty(n_sups, dtype=np.bool_)
    for k in range(n_sups):
        reviewing[k] = (day + offset[k]) % cadence[k] == 0
    load = np.zeros(n_sups)
    n = 0
    for e in range(team.size):
        k = team[e]
        if reviewing[k]:
            slots[n], sup[n] = e, k
            load[k] += (q_praise[e] + q_criticism[e]) + copies[e]
            n += 1
    cover_of = np.ones(n_sups)
    for k in range(n_sups):
        if load[k] > 0:
            x = capacity[k] / (load[k] if load[k] >= 1e-12 else 1e-12)
            cover_of[k] = 1.0 if 1.0 <= x else x
        done = load[k] if load[k] <= capacity[k] or load[k] != load[k] else capacity[k]
        handled[k] += done * (1.0 if reviewing[k] else 0.0)
    for i in range(n):
        k = sup[i]
        cover[i] = cover_of[k]
        p_praise[i] = cover_of[k] * pass_praise[k]
        p_crit[i] = cover_of[k] * pass_criticism[k]
    return n


_reviewers = compiled(_reviewers)


def _relay(
    day, slots, sup, praise, crit, praise_out, crit_out, cover, team_size, gain,
    team_summary_weight, specificity, relay_value, harsh_sting, task_blame, relayed_meaning,
    coaching_repair, coaching_value, q_need, q_harsh, q_arrival, copies_harsh, copies_need,
    log_keep, recognition, sting, growth, meaning, sting_repair, resolved, delivered,
    latency_sum, info_sum,
):  # fmt: skip
    """What the reviewed items become, slot by slot (``sup`` is each reviewed slot's
    supervisor; the passed counts are drawn): knowledge, recognition, growth, sting and
    meaning relayed to the employee or summarised to the team, after-the-fact coaching,
    and the supervisors' tallies, operation for operation as the vectorised form."""
    n, needs = slots.size, q_need.shape[1]
    n_sups = team_size.size
    frac, need_out = np.zeros(n), np.empty((n, needs))
    team_need = np.zeros((n_sups, needs))
    team_praise, team_crit = np.zeros(n_sups), np.zeros(n_sups)
    for i in range(n):
        e, k = slots[i], sup[i]
        queued = praise[i] + crit[i]
        if queued > 0:
            frac[i] = (praise_out[i] + crit_out[i]) / queued
        spec = specificity[k]
        log_item = np.log1p(-gain * relay_value[k])
        for j in range(needs):
            need_out[i, j] = q_need[e, j] * frac[i]
            log_keep[e, j] += need_out[i, j] * (spec * log_item)
            team_need[k, j] += need_out[i, j] * (1 - spec)
        team_praise[k] += praise_out[i] * (1 - spec)
        team_crit[k] += crit_out[i] * (1 - spec)
    for i in range(n):
        e, k = slots[i], sup[i]
        spec, value = specificity[k], relay_value[k]
        log_item = np.log1p(-gain * value)
        size = team_size[k]
        dilution = team_summary_weight / (size if size >= 1.0 or size != size else 1.0)
        for j in range(needs):
            log_keep[e, j] += team_need[k, j] * (dilution * log_item)
        # the filter decides how personal a relayed criticism is: harsh words pass raw
        # and amplified in proportion to style, task criticism turns partly into blame;
        # a coach (style 0) buffers both into task information. A team-level summary
        # blames no one in particular and is all task information.
        harsh_share = q_harsh[e] / crit[i] if crit[i] > 0 else 0.0
        personal = harsh_share * harsh_sting[k] + (1 - harsh_share) * task_blame[k]
        capped = personal if personal <= 1.0 or personal != personal else 1.0
        recognition[e] += praise_out[i] * spec + team_praise[k] * dilution
        sting[e] += crit_out[i] * spec * personal
        growth[e] += crit_out[i] * spec * (1 - capped) + team_crit[k] * dilution
        # a relayed comment is also a story about the customers served (mediated meaning)
        passed = praise_out[i] + crit_out[i]
        meaning[e] += relayed_meaning[k] * (
            passed * spec + (team_praise[k] + team_crit[k]) * dilution
        )
        # after-the-fact coaching of what employees already heard directly
        repair = coaching_repair[k] * cover[i]
        sting_repair[e] += repair * copies_harsh[e]
        growth[e] += repair * copies_harsh[e]
        coach_log = np.log1p(-gain * coaching_value[k])
        for j in range(needs):
            log_keep[e, j] += copies_need[e, j] * cover[i] * coach_log
        resolved[k] += praise[i] + crit[i]
        delivered[k] += passed
        # clip float round-off: an item reviewed the day it arrived waited exactly 0 days
        waited = passed * day - q_arrival[e] * frac[i]
        latency_sum[k] += waited if waited >= 0.0 or waited != waited else 0.0
        # information reaching employees through the channel that resolved the item: a
        # summarised item spreads team_summary_weight of an item over the team. (Coaching
        # context added later to items heard directly is not counted here.)
        info_sum[k] += passed * value * (spec + (1 - spec) * team_summary_weight)


_relay = compiled(_relay)


def give_feedback(day, surprise, member_here, server, visitors, chosen, C, S, F, Q, P, R):
    """Phase 4 of the day: who speaks up (:func:`feedback_propensity`), and which way it
    goes (:func:`route_items`: direct items are heard now, the rest queue for the
    supervisor's review), in two compiled passes; the draws are numpy's, in the
    vectorised order (invitations, who gives, harshness, directness). Returns what
    employees heard today (the fields of :class:`Delivery`, in order) and each firm's
    items and direct items."""
    n, n_slots, k_firms = chosen.size, S.firm.size, F.price.size
    u_invite, u_give = R.feedback.random(n), R.feedback.random(n)
    gives = np.empty(n, dtype=np.int64)
    gives = gives[
        : _speak_up(
            surprise, member_here, u_invite, u_give, P.survey_invitation, P.feedback_base,
            P.feedback_surprise, P.member_feedback_multiplier, P.survey_response, gives,
        )
    ]  # fmt: skip
    u_harsh, u_direct = R.feedback.random(gives.size), R.feedback.random(gives.size)
    heard = (
        np.zeros((n_slots, P.needs)), np.zeros(n_slots), np.zeros(n_slots),
        np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots), np.zeros(n_slots),
    )  # fmt: skip
    log_keep, recognition, meaning, growth, sting, _, by_supervisor = heard
    items, direct_items = np.zeros(k_firms), np.zeros(k_firms)
    _feedback_items(
        gives, surprise, server, visitors, chosen, C.need, u_harsh, u_direct, P.harshness,
        F.direct_share, float(day), P.direct_log_item, log_keep, recognition, meaning,
        growth, sting, by_supervisor, Q.praise, Q.criticism, Q.harsh, Q.need, Q.arrival_sum,
        Q.copies, Q.copies_harsh, Q.copies_need, items, direct_items,
    )  # fmt: skip
    return heard, items, direct_items


def _speak_up(
    surprise, member, u_invite, u_give, invitation, base, surprise_gain, member_multiplier,
    survey_response, gives,
):  # fmt: skip
    """The visits that produce an item (:func:`feedback_propensity` visit by visit);
    returns how many, their rows in ``gives``."""
    count = 0
    for i in range(surprise.size):
        p = (base + surprise_gain * abs(surprise[i])) * (member_multiplier if member[i] else 1.0)
        p = 1.0 - (1.0 - clip(p, 0.0, 1.0)) * (
            1.0 - survey_response * (1.0 if u_invite[i] < invitation else 0.0)
        )
        if u_give[i] < p:
            gives[count] = i
            count += 1
    return count


_speak_up = compiled(_speak_up)


def _feedback_items(
    gives, surprise, server, visitors, chosen, need_of, u_harsh, u_direct, harshness,
    direct_share, day, log_item, log_keep, recognition, meaning, growth, sting, heard,
    q_praise, q_criticism, q_harsh, q_need, q_arrival, copies, copies_harsh, copies_need,
    feedback_items, direct_items,
):  # fmt: skip
    """Each item's employee, need, sign, harshness and channel, routed (:func:`_route`)
    and counted per firm."""
    g = gives.size
    employee, need = np.empty(g, dtype=np.int64), np.empty(g, dtype=np.int64)
    praise, harsh, direct = (
        np.empty(g, dtype=np.bool_),
        np.empty(g, dtype=np.bool_),
        np.empty(g, dtype=np.bool_),
    )
    for j in range(g):
        i = gives[j]
        k = chosen[i]
        employee[j], need[j] = server[i], need_of[visitors[i]]
        praise[j] = surprise[i] >= 0
        harsh[j] = not praise[j] and u_harsh[j] < harshness
        direct[j] = u_direct[j] < direct_share[k]
        feedback_items[k] += 1.0
        direct_items[k] += 1.0 if direct[j] else 0.0
    _route(
        employee, need, praise, harsh, direct, day, log_item, log_keep, recognition, meaning,
        growth, sting, heard, q_praise, q_criticism, q_harsh, q_need, q_arrival, copies,
        copies_harsh, copies_need,
    )  # fmt: skip


_feedback_items = compiled(_feedback_items)
give_feedback = compiled(give_feedback)


def reviews(day, heard, S, U, Q, P, R):
    """Phase 6 of the day: supervisors whose review falls today pass on (or drop) their
    queue and coach: who reviews and the share of their queue their capacity covers
    (:func:`_reviewers`), the items passed on (binomial draws, praise then criticism),
    and what those become (:func:`_relay`). Returns the supervisors' tallies (the fields
    of :class:`ReviewTally`, in order)."""
    n_sups, n_slots = U.team_size.size, S.team.size
    tally = (
        np.zeros(n_sups),
        np.zeros(n_sups),
        np.zeros(n_sups),
        np.zeros(n_sups),
        np.zeros(n_sups),
    )
    resolved, delivered, latency_sum, info_sum, handled = tally
    slots, s = np.empty(n_slots, dtype=np.int64), np.empty(n_slots, dtype=np.int64)
    cover, p_praise, p_crit = np.empty(n_slots), np.empty(n_slots), np.empty(n_slots)
    n = _reviewers(
        day, S.team, U.review_offset, U.cadence, U.capacity, U.pass_praise,
        U.pass_criticism, Q.praise, Q.criticism, Q.copies, slots, s, cover, p_praise,
        p_crit, handled,
    )  # fmt: skip
    if n == 0:
        return tally
    slots, s, cover = slots[:n], s[:n], cover[:n]
    praise, crit = Q.praise[slots], Q.criticism[slots]
    praise_out, crit_out = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for i in range(n):
        praise_out[i] = R.routing.binomial(praise[i], p_praise[i])
    for i in range(n):
        crit_out[i] = R.routing.binomial(crit[i], p_crit[i])
    log_keep, recognition, meaning, growth, sting, sting_repair, _ = heard
    _relay(
        day, slots, s, praise, crit, praise_out, crit_out, cover, U.team_size,
        P.knowledge_gain, P.team_summary_weight, U.specificity, U.relay_value,
        U.harsh_sting, U.task_blame, U.relayed_meaning, U.coaching_repair, U.coaching_value,
        Q.need, Q.harsh, Q.arrival_sum, Q.copies_harsh, Q.copies_need, log_keep,
        recognition, sting, growth, meaning, sting_repair, resolved, delivered,
        latency_sum, info_sum,
    )  # fmt: skip
    clear_queues(Q, slots)
    return tally


reviews = compiled(reviews)


def clear_queues(Q, slots):
    """:meth:`Queues.clear` of the queues' columns ``Q``: the slots' queues emptied."""
    n_needs = Q.need.shape[1]
    for e in slots:
        Q.praise[e], Q.criticism[e], Q.harsh[e] = 0, 0, 0
        Q.arrival_sum[e], Q.copies[e], Q.copies_harsh[e] = 0.0, 0.0, 0.0
        for j in range(n_needs):
            Q.need[e, j], Q.copies_need[e, j] = 0.0, 0.0


clear_queues = compiled(clear_queues)
