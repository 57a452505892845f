"""Columnar agent state: one numpy array per attribute, one row per agent.

The model owns these tables; Mesa agents (``sim.agents``) are thin views onto a
row. Mechanisms are vectorised functions over whole columns, so a day costs a
few dozen array operations whatever the number of customers.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from . import routing, workforce
from .config import Firm, Scenario
from .workforce import stationary_staff


class CustomerTable:
    def __init__(self, scenario: Scenario, rng: np.random.Generator):
        c = scenario.customers
        n, k = c.count, scenario.market.firms
        self.n = n
        self.expectation = rng.uniform(*c.expectation_init, size=n)
        # firm-major (K, N): per-firm rows keep choice and word of mouth on long,
        # contiguous rows (drawn customer by customer, as (N, K), then transposed)
        self.attitude = np.ascontiguousarray(rng.uniform(*c.attitude_init, size=(n, k)).T)
        self.need = rng.integers(0, c.needs, size=n).astype(np.int64)
        self.last_firm = np.full(n, -1, dtype=np.int64)
        self.member = np.zeros((k, n), dtype=bool)
        # the relationship with the firm visited last: satisfaction smoothed over its
        # visits, consecutive visits (tenure) and likelihood to recommend (0-10, -1: none)
        self.satisfaction = np.full(n, np.nan)
        self.tenure = np.zeros(n, dtype=np.int64)
        self.recommend = np.full(n, -1, dtype=np.int64)
        self.visits = np.zeros(n, dtype=np.int64)
        # the one employee a customer has a relationship with (slot and its occupant)
        self.own_employee = np.full(n, -1, dtype=np.int64)
        self.own_generation = np.zeros(n, dtype=np.int64)
        self.rapport = np.zeros(n)


class StaffTable:
    """Employee slots. A slot is a position; ``generation`` counts its occupants.

    Each firm has a pool of ``POOL_FACTOR`` times its initial headcount of slots so that
    staffing can follow demand; slots beyond the headcount start idle. Slots are dealt
    to the firm's teams in turn, so every team grows and shrinks alike. Each team's
    supervisor has a style of their own, spread around the firm's style.
    """

    POOL_FACTOR = 2

    def __init__(self, scenario: Scenario, firms: list[Firm], rng: np.random.Generator):
        e, c = scenario.employees, scenario.customers
        sizes = [staff_count(scenario, f) for f in firms]
        sup_firm: list[int]
        firm_of, team_of, sup_firm, staffed = [], [], [], []
        for k, size in enumerate(sizes):
            n_sups = -(-size // firms[k].supervisor.span_of_control)
            base = len(sup_firm)
            sup_firm += [k] * n_sups
            pool = self.POOL_FACTOR * size
            firm_of += [k] * pool
            team_of += [base + i % n_sups for i in range(pool)]
            staffed += [True] * size + [False] * (pool - size)
        self.n = n = len(firm_of)
        self.firm = np.array(firm_of, dtype=np.int64)
        self.team = np.array(team_of, dtype=np.int64)
        self.supervisor_firm = np.array(sup_firm, dtype=np.int64)
        sup = [firms[k].supervisor for k in sup_firm]
        self.supervisor_style = np.clip(
            [s.style + rng.normal(0.0, s.style_sd) for s in sup], 0.0, 1.0
        )
        self.on_duty = np.array(staffed, dtype=bool)
        # an idle slot is a position the firm does not currently fill; a vacancy is
        # ``open`` until its hire on day ``vacant_until``
        self.open = np.zeros(n, dtype=bool)
        self.vacant_until = np.zeros(n, dtype=np.int64)
        self.generation = np.zeros(n, dtype=np.int64)
        # an existing firm: the disposition and tenure mix its turnover sustains
        w = scenario.workforce
        self.disposition, self.tenure = stationary_staff(
            n,
            rng,
            disposition_sd=e.disposition_sd,
            typical_logit=scenario.engagement.baseline,
            base=w.base_quit_rate,
            factor=w.disengagement_quit_factor,
            tightness=w.labour_market_tightness,
            newcomer_excess=w.newcomer_quit_excess,
            settling_days=w.settling_days,
        )
        # each person's learning curve approaches their own mastery; the initial staff
        # sit on their curve according to their tenure, for skill and for knowledge of
        # each need (learnt on the job over the same months; knowledge_init is the
        # settled level)
        self.mastery = rng.uniform(*e.skill_init, size=n)
        self.skill = skill_at_tenure(self.mastery, self.tenure, w.new_hire_skill, e.learning_rate)
        self.knowledge = skill_at_tenure(
            rng.uniform(*e.knowledge_init, size=(n, c.needs)),
            self.tenure[:, None],
            w.new_hire_knowledge,
            e.learning_rate,
        )
        self.engagement = rng.uniform(*e.engagement_init, size=n)
        self.sensitivity = np.exp(rng.normal(0.0, e.sensitivity_sd, size=n))
        self.style_of_slot = self.supervisor_style[self.team]
        self.control = self.style_of_slot.copy()
        # recent feedback rates (items/day, exponentially fading)
        self.recognition = np.zeros(n)
        self.meaning = np.zeros(n)
        self.growth = np.zeros(n)
        self.sting = np.zeros(n)
        self.reward = np.zeros(n)  # recent bonus earned / wage
        self.served_today = np.zeros(n, dtype=np.int64)

    def hire(self, slots: np.ndarray, scenario: Scenario, rng: np.random.Generator) -> None:
        """New hires in ``slots`` (:func:`sim.workforce.hire`)."""
        workforce.hire(
            columns(StaffCols, self), np.asarray(slots, dtype=np.int64),
            day_parameters(scenario), rng,
        )  # fmt: skip

    def leave(self, slots: np.ndarray, day: int, delay: int) -> None:
        """Quits: the position is open again, to be filled after the hiring delay
        (:func:`sim.workforce.leave`)."""
        workforce.leave(columns(StaffCols, self), np.asarray(slots, dtype=np.int64), day, delay)


def skill_at_tenure(
    mastery: np.ndarray, tenure: np.ndarray, start: float, rate: float
) -> np.ndarray:
    """The learning curve: skill after ``tenure`` days, from ``start`` toward mastery."""
    return mastery - (mastery - np.minimum(start, mastery)) * np.exp(-rate * tenure)


def staff_count(scenario: Scenario, firm: Firm) -> int:
    """Initial employees of a firm: its staffing ratio applied to an equal share of the
    market."""
    market_staff = firm.policy.staff_per_1000_customers * scenario.customers.count / 1000
    return max(1, round(market_staff / scenario.market.firms))


class FirmTable:
    """Per-firm levers as arrays (K,) so mechanisms can index them by firm."""

    def __init__(self, scenario: Scenario, firms: list[Firm], direct_shares: list[float]):
        pol = [f.policy for f in firms]
        col = lambda attr: np.array([getattr(p, attr) for p in pol], dtype=float)  # noqa: E731
        self.k = len(firms)
        self.direct_share = np.array(direct_shares, dtype=float)
        self.price = col("price")
        self.serving_cost = col("serving_cost")
        self.wage = col("wage")
        self.supervisor_wage = col("supervisor_wage")
        self.hiring_cost = col("hiring_cost")
        self.training_cost = col("training_cost")
        self.fixed_cost = col("fixed_cost") * scenario.customers.count / 1000 / self.k
        self.repeat_bonus = col("repeat_bonus")
        self.bonus_focus = col("bonus_focus")
        programme = np.array([p.loyalty_programme for p in pol], dtype=bool)
        self.loyalty_programme = programme
        self.loyalty_reward = col("loyalty_reward") * programme
        self.loyalty_join = col("loyalty_join_probability") * programme
        self.loyalty_utility = col("loyalty_utility") * programme
        self.loyalty_matching = col("loyalty_matching") * programme
        self.customer_focus = col("customer_focus")
        self.involvement = col("involvement")
        self.target_load = col("target_load")
        self.staffing_horizon = col("staffing_horizon_days")
        self.role_model = np.array([f.supervisor.role_model for f in firms])


# The state as the compiled day sees it (``sim.model``'s ``_kernel_state``): named tuples
# of the tables' own arrays, so the compiled phases read ``C.attitude[k, c]`` as Python
# would and write the tables in place. Passing one tuple of arrays costs a compiled call
# far less than passing each array.
CustomerCols = namedtuple(
    "CustomerCols",
    "expectation attitude need last_firm member satisfaction tenure recommend visits "
    "own_employee own_generation rapport",
)
StaffCols = namedtuple(
    "StaffCols",
    "firm team on_duty open vacant_until generation disposition tenure mastery skill "
    "knowledge engagement sensitivity style_of_slot control recognition meaning growth "
    "sting reward served_today",
)
# per-firm levers and constants of the day, and the market-level state that changes
FirmCols = namedtuple(
    "FirmCols",
    "direct_share price serving_cost wage supervisor_wage hiring_cost training_cost "
    "fixed_cost repeat_bonus loyalty_programme loyalty_reward loyalty_join loyalty_utility "
    "loyalty_matching customer_focus involvement target_load staffing_horizon role_model "
    "bonus_shift rapport_gain slot_pool supervisors_per_firm habit open_firms demand "
    "member_count staff_starts roster_slots roster_starts",
)
# per supervisor: the channel parameters (``routing.Channels``), review days, team sizes
SupervisorCols = namedtuple(
    "SupervisorCols",
    "relay_value coaching_value coaching_repair cadence pass_praise pass_criticism "
    "specificity self_focus harsh_sting task_blame relayed_meaning capacity "
    "control_sensitivity review_offset team_size firm_starts",
)
QueueCols = namedtuple(
    "QueueCols", "praise criticism harsh need arrival_sum copies copies_harsh copies_need"
)
Network = namedtuple("Network", "indptr indices contact_counts")


DayParams = namedtuple(
    "DayParams",
    # customers
    "visit_rate tolerance tenure_spend_gain tenure_visits price_sensitivity "
    "choice_sensitivity outside_utility disconfirmation_weight hurt_weight "
    "expectation_adaptation attitude_learning recommend_midpoint recommend_slope "
    "tenure_cost_saving feedback_base feedback_surprise harshness customers needs "
    # service
    "capacity noise weight_skill weight_knowledge weight_effort weight_rapport "
    "overload_penalty "
    # feedback
    "self_attention survey_invitation member_feedback_multiplier survey_response "
    "direct_clarity team_summary_weight knowledge_gain direct_log_item "
    # word of mouth
    "wom_threshold talk_probability referral_probability wom_strength wom_complaint "
    # employees and the JD-R target
    "observation_learning knowledge_decay learning_rate trace_decay half_saturation "
    "engagement_rate engagement_noise engaged_threshold disengaged_threshold "
    "skill_init_low skill_init_high disposition_sd sensitivity_sd "
    "w_autonomy w_recognition w_meaning w_growth w_support w_involvement w_reward "
    "w_workload w_control w_sting w_reference w_span w_baseline "
    # workforce
    "base_quit_rate disengagement_quit_factor labour_market_tightness "
    "newcomer_quit_excess settling_days hiring_delay_days new_hire_skill "
    "new_hire_knowledge new_hire_engagement",
)


def day_parameters(scenario: Scenario) -> DayParams:
    """The scenario's numbers the compiled day reads, by name (each as the scenario
    holds it)."""
    cc, sv, fb, wm = scenario.customers, scenario.service, scenario.feedback, scenario.word_of_mouth
    em, w, wf = scenario.employees, scenario.engagement, scenario.workforce
    return DayParams(
        visit_rate=cc.visit_rate, tolerance=cc.tolerance,
        tenure_spend_gain=cc.tenure_spend_gain, tenure_visits=cc.tenure_visits,
        price_sensitivity=cc.price_sensitivity, choice_sensitivity=cc.choice_sensitivity,
        outside_utility=cc.outside_utility, disconfirmation_weight=cc.disconfirmation_weight,
        hurt_weight=cc.disconfirmation_weight * cc.negative_disconfirmation_ratio,
        expectation_adaptation=cc.expectation_adaptation,
        attitude_learning=cc.attitude_learning, recommend_midpoint=cc.recommend_midpoint,
        recommend_slope=cc.recommend_slope, tenure_cost_saving=cc.tenure_cost_saving,
        feedback_base=cc.feedback_base, feedback_surprise=cc.feedback_surprise,
        harshness=cc.harshness, customers=cc.count, needs=cc.needs,
        capacity=sv.capacity, noise=sv.noise, weight_skill=sv.weight_skill,
        weight_knowledge=sv.weight_knowledge, weight_effort=sv.weight_effort,
        weight_rapport=sv.weight_rapport, overload_penalty=sv.overload_penalty,
        self_attention=fb.self_attention, survey_invitation=fb.survey_invitation,
        member_feedback_multiplier=fb.member_feedback_multiplier,
        survey_response=fb.survey_response, direct_clarity=fb.direct_clarity,
        team_summary_weight=fb.team_summary_weight, knowledge_gain=em.knowledge_gain,
        direct_log_item=float(np.log1p(-em.knowledge_gain * fb.direct_clarity)),
        wom_threshold=wm.threshold, talk_probability=wm.talk_probability,
        referral_probability=wm.referral_probability, wom_strength=wm.strength,
        wom_complaint=-wm.strength * wm.negativity,
        observation_learning=em.observation_learning, knowledge_decay=em.knowledge_decay,
        learning_rate=em.learning_rate, trace_decay=em.trace_decay,
        half_saturation=em.feedback_half_saturation, engagement_rate=em.engagement_rate,
        engagement_noise=em.engagement_noise, engaged_threshold=em.engaged_threshold,
        disengaged_threshold=em.disengaged_threshold, skill_init_low=em.skill_init[0],
        skill_init_high=em.skill_init[1], disposition_sd=em.disposition_sd,
        sensitivity_sd=em.sensitivity_sd,
        w_autonomy=w.autonomy, w_recognition=w.recognition, w_meaning=w.meaning,
        w_growth=w.growth, w_support=w.support, w_involvement=w.involvement,
        w_reward=w.reward, w_workload=w.workload, w_control=w.control, w_sting=w.sting,
        w_reference=w.reference, w_span=w.span, w_baseline=w.baseline,
        base_quit_rate=wf.base_quit_rate, disengagement_quit_factor=wf.disengagement_quit_factor,
        labour_market_tightness=wf.labour_market_tightness,
        newcomer_quit_excess=wf.newcomer_quit_excess, settling_days=wf.settling_days,
        hiring_delay_days=wf.hiring_delay_days, new_hire_skill=wf.new_hire_skill,
        new_hire_knowledge=wf.new_hire_knowledge, new_hire_engagement=wf.new_hire_engagement,
    )  # fmt: skip


def columns[T: tuple](kind: type[T], table: object) -> T:
    """The named tuple ``kind`` of ``table``'s attributes of the same names."""
    return kind._make(getattr(table, name) for name in kind._fields)  # type: ignore[attr-defined]


class Today:
    """What happened on a day, by name: the flows the compiled day (``sim.model.day``)
    passes from phase to phase and returns, for views and hooks (``model.last_record``,
    ``_record``). Per visit unless said.
    """

    # choose (sim.choice.choose)
    seekers: np.ndarray  # customer rows whose need arose today
    buys: np.ndarray  # per seeker: chose a firm (not the outside option)
    visitors: np.ndarray  # customer rows served by a firm today
    chosen: np.ndarray  # firm of each visit
    prev: np.ndarray  # firm of each visitor's previous visit (-1: none)
    returning: np.ndarray  # (K,) customers in need whose last visit was to this firm
    # serve (sim.encounter.serve)
    member_here: np.ndarray  # visitor is a programme member of the chosen firm
    server: np.ndarray  # employee slot serving each visit
    same: np.ndarray  # served by their own employee
    served: np.ndarray  # (E,) visits per slot
    overload: np.ndarray  # (E,) load above capacity
    # encounter (sim.encounter.encounter)
    quality: np.ndarray
    satisfaction: np.ndarray
    surprise: np.ndarray
    repeat: np.ndarray  # previous visit was to the same firm
    repeat_served: np.ndarray  # (E,) repeat visits per slot
    promoter: np.ndarray
    visits: np.ndarray  # (K,)
    retained: np.ndarray  # (K,)
    sales: np.ndarray  # (K,) spend multipliers summed
    member_sales: np.ndarray  # (K,)
    serve_units: np.ndarray  # (K,) serving-cost multipliers summed
    net_promoters: np.ndarray  # (K,) promoters minus detractors
    quality_sum: np.ndarray  # (K,)
    satisfaction_sum: np.ndarray  # (K,)
    # feedback (sim.routing.give_feedback)
    feedback_items: np.ndarray  # (K,)
    direct_items: np.ndarray  # (K,)
    delivery: Any  # routing.Delivery: what employees heard today
    # word of mouth (sim.word_of_mouth.talk)
    wom: np.ndarray  # (K,) messages sent
    # review (sim.routing.reviews)
    review: Any  # routing.ReviewTally
    # turnover (sim.workforce.turnover)
    quits: np.ndarray  # slots
    hires: np.ndarray  # slots
    staff_on_payroll: np.ndarray  # (K,) before today's quits
    # accounts (sim.finance.accounts)
    accounts: dict[str, np.ndarray]  # per firm

    # as the compiled day returns them (:meth:`of`), unpacked into the names above
    metrics: np.ndarray  # (K, M) the day's record
    heard: tuple  # routing.Delivery's fields
    per_firm: tuple  # the (K,) sums unpacked into visits .. satisfaction_sum
    money: tuple  # revenue, costs, profit, return on sales

    # the compiled day's flows (``sim.model.day``), in the order it returns them
    FLOWS = (
        "seekers buys visitors chosen prev returning member_here server same served "
        "overload quality satisfaction surprise repeat promoter repeat_served per_firm "
        "heard feedback_items direct_items wom review quits hires staff_on_payroll money"
    ).split()

    def __init__(self, day: int):
        self.day = day

    @classmethod
    def of(cls, day: int, metrics: np.ndarray, flows: tuple) -> Today:
        """The day's flows as the compiled day returned them, by name; ``metrics`` its
        (firms x metrics) record."""
        t = cls(day)
        for name, value in zip(cls.FLOWS, flows, strict=True):
            setattr(t, name, value)
        t.metrics = metrics
        t.delivery, t.review = routing.Delivery(*t.heard), routing.ReviewTally(*t.review)
        (
            t.visits, t.retained, t.sales, t.member_sales, t.serve_units, t.net_promoters,
            _, t.quality_sum, t.satisfaction_sum,
        ) = t.per_firm  # fmt: skip
        names = ("revenue", "costs", "profit", "return_on_sales")
        t.accounts = dict(zip(names, t.money, strict=True))
        return t
