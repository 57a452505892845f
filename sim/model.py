"""The service-profit-chain market model: one ``step()`` is one day.

K firms compete for a market of customers. Each firm has employees grouped in
teams under supervisors, a feedback structure (linear, triangular or between)
and its policies. Firm 0 is the focal firm whose structure is chosen at
construction; competitors use ``market.competitor_structure``.

Daily schedule (see docs/ODD.md, "Process overview and scheduling"):
 1. customers whose need arises today choose a firm or none (logit with an
    outside option);
 2. each visit is served by the customer's own employee or another on duty;
 3. encounter quality -> satisfaction (asymmetric expectation-disconfirmation)
    -> expectation, attitude, rapport, tenure and likelihood-to-recommend
    updates; loyalty-programme enrolment;
 4. some visits produce feedback, routed directly or to the supervisor;
 5. surprised customers talk to their contacts, promoters refer (word of mouth);
 6. supervisors whose review falls today pass on, drop, or coach;
 7. employees learn, and engagement moves toward its JD-R target;
 8. quits, staffing toward demand, vacancies and hires;
 9. accounts and metrics for the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from . import checks, choice, encounter, engagement, finance, routing, workforce
from . import word_of_mouth as wom
from .agents import Customer, Employee, Firm, Supervisor
from .config import Scenario
from .metrics import METRIC_NAMES
from .rng import spawn_streams
from .state import CustomerTable, FirmTable, StaffTable


@dataclass(frozen=True, slots=True)
class DayRecord:
    """What happened today, handed from the schedule to the metrics."""

    chosen: np.ndarray  # firm of each visit
    quality: np.ndarray
    satisfaction: np.ndarray
    overload: np.ndarray  # per employee slot
    served: np.ndarray  # visits per employee slot
    accounts: dict[str, np.ndarray]  # per firm
    tally: dict[str, np.ndarray]  # per-firm counts
    quits: np.ndarray  # slots
    review: routing.ReviewTally
    feedback_items: np.ndarray
    direct_items: np.ndarray
    delivery: routing.Delivery
    staff_on_payroll: np.ndarray
    supervisors: np.ndarray


class ServiceProfitChainModel(mesa.Model):
    """Agent-based market of service firms.

    Args:
        scenario: a validated :class:`~sim.config.Scenario` (``None``: defaults).
        structure: ``"linear"``, ``"triangular"`` or a direct share in [0, 1] for
            the focal firm (firm 0).
        seed: root seed; the run depends on nothing else.
    """

    def __init__(
        self, scenario: Scenario | None = None, structure: str | float = "linear", seed: int = 1
    ):
        scenario = checks.scenario(scenario)
        structure, seed = checks.structure(structure), checks.seed(seed)
        super().__init__(rng=seed)
        self.config = cfg = scenario if scenario is not None else Scenario()
        self.seed = seed
        self.structure = structure
        self.streams = spawn_streams(seed)
        k = cfg.market.firms
        self.firm_configs = [cfg.firm_config(i) for i in range(k)]
        shares = [routing.resolve_structure(cfg, structure)] + [
            routing.resolve_structure(cfg, cfg.market.competitor_structure)
        ] * (k - 1)
        self.firms = FirmTable(cfg, self.firm_configs, shares)
        self.customers = CustomerTable(cfg, self.streams["customers"])
        self.staff = StaffTable(cfg, self.firm_configs, self.streams["staff"])
        s = self.staff
        self.n_supervisors = s.supervisor_firm.size
        self.team_size = np.bincount(s.team, weights=s.on_duty, minlength=self.n_supervisors)
        self.review_offset = np.array(
            [
                self.streams["staff"].integers(
                    0, self.firm_configs[f].supervisor.review_cadence_days
                )
                for f in s.supervisor_firm
            ],
            dtype=np.int64,
        )
        self.routing_graphs = [
            routing.channel_graph(shares[i], self.firm_configs[i].supervisor, cfg.feedback)
            for i in range(k)
        ]
        # each supervisor's channels, with their own style (teams differ)
        self.channels = routing.channel_parameters(
            [
                routing.channel_graph(shares[f], self.firm_configs[f].supervisor, cfg.feedback, sty)
                for f, sty in zip(s.supervisor_firm, s.supervisor_style, strict=True)
            ]
        )
        self.queues = routing.Queues(s.n, cfg.customers.needs)
        wm = cfg.word_of_mouth
        self.contacts = wom.small_world(
            cfg.customers.count, wm.degree, wm.rewiring, self.streams["network"]
        )
        self.contact_counts = np.diff(self.contacts[0])
        # per-firm constants of the daily schedule
        f = self.firms
        # a repeat-business bonus shifts effort (and rapport building) toward regulars
        incentive = np.divide(f.repeat_bonus, f.price, out=np.zeros(k), where=f.price > 0)
        self.bonus_shift = np.minimum(f.bonus_focus * incentive, 0.9)
        self.rapport_gain = np.minimum(cfg.employees.rapport_gain * (1.0 + self.bonus_shift), 1.0)
        self.slot_pool = np.bincount(s.firm, minlength=k)
        # demand forecast for staffing: an existing firm is staffed for the visits it
        # forecasts, so the forecast starts at what its initial headcount serves
        self.demand = workforce.staffed_demand(
            s.firm, s.on_duty, cfg.service.capacity, f.target_load
        )
        self.supervisors_per_firm = np.bincount(s.supervisor_firm, minlength=k).astype(float)
        # habit bonus of each firm for its last customers (a probe may raise one firm's)
        self.habit = np.full(k, cfg.customers.habit)
        self.day = 0
        self._refresh_rosters()

        # Mesa agents: thin views onto table rows. Customers are made on demand
        # (``model.customer(i)``) so a million-customer market holds no objects.
        self.firm_agents = [Firm(self, i) for i in range(k)]
        self.supervisor_agents = [Supervisor(self, i) for i in range(self.n_supervisors)]
        self.employee_agents = [Employee(self, i) for i in range(s.n)]
        self._customer_handles: dict[int, Customer] = {}

        # staff and supervisors are stored firm by firm: per-firm sums are segment
        # sums (np.add.reduceat), with no BLAS threads competing with other runs
        self._firm_starts = np.searchsorted(s.firm, np.arange(k))
        self._sup_firm_starts = np.searchsorted(s.supervisor_firm, np.arange(k))
        self.member_count = np.zeros(k)
        # One model reporter holds the whole (firms x metrics) array of the day:
        # a single copy per day instead of one record per firm and metric.
        self.today = np.full((k, len(METRIC_NAMES)), np.nan)
        self.datacollector = DataCollector(model_reporters={"firm_metrics": "today"})

    @classmethod
    def from_params(
        cls,
        scenario: Scenario | str | None = None,
        structure: str | float = "linear",
        seed: int | None = None,
        rng: int | None = None,
        **dotted_params,
    ) -> ServiceProfitChainModel:
        """Build from keyword parameters, for Mesa's SolaraViz, ``batch_run`` and the app.

        ``scenario`` is a Scenario, a TOML path or None (defaults); every other keyword
        is a dotted parameter (``**{"firm.supervisor.style": 0.8}``; ``__`` may stand
        for the dot, e.g. ``firm__supervisor__style=0.8``), validated like a file
        (raises ScenarioError). ``seed`` (or Mesa's ``rng``) defaults to ``analysis.seed``.
        """
        from .config import load_scenario

        overrides = {k.replace("__", "."): v for k, v in dotted_params.items()}
        if isinstance(scenario, Scenario):
            base = scenario.with_overrides(overrides) if overrides else scenario
        else:
            base = load_scenario(scenario, overrides)
        seed = seed if seed is not None else rng
        return cls(base, structure=structure, seed=base.analysis.seed if seed is None else seed)

    # ------------------------------------------------------------------ helpers
    def customer(self, row: int) -> Customer:
        """The Mesa agent for customer ``row`` (created on first use).

        ``row`` is a whole number (Python or numpy integer): a bool or a float would
        index numpy arrays as a mask or fail later, so they are refused here.
        """
        if isinstance(row, bool) or not isinstance(row, Integral):
            raise TypeError(f"customer row must be a whole number; got {row!r}")
        row = int(row)
        if not 0 <= row < self.customers.n:
            raise IndexError(f"customer {row} outside 0..{self.customers.n - 1}")
        if row not in self._customer_handles:
            self._customer_handles[row] = Customer(self, row)
        return self._customer_handles[row]

    def social_graph(self):
        """The customers' social graph as a networkx Graph (built on demand)."""
        return wom.to_networkx(*self.contacts)

    def _refresh_rosters(self) -> None:
        s = self.staff
        self.rosters = [np.flatnonzero(s.on_duty & (s.firm == k)) for k in range(self.firms.k)]
        self.open_firms = np.array([r.size > 0 for r in self.rosters])

    @property
    def last_metrics(self) -> dict[str, np.ndarray]:
        """Latest day's metrics by name, each an array over firms."""
        return dict(zip(METRIC_NAMES, self.today.T, strict=True))

    def firm_daily(self) -> pd.DataFrame:
        """Tidy daily metrics from the DataCollector: one row per (day, firm)."""
        days = self.datacollector.model_vars["firm_metrics"]
        k = self.firms.k
        if not days:
            return pd.DataFrame(columns=["day", "firm", *METRIC_NAMES])
        values = np.concatenate(days)
        df = pd.DataFrame(values, columns=list(METRIC_NAMES))
        df.insert(0, "day", np.repeat(np.arange(len(days)), k))
        df.insert(1, "firm", np.tile(np.arange(k), len(days)))
        return df

    def run(self, days: int) -> pd.DataFrame:
        for _ in range(days):
            self.step()
        return self.firm_daily()

    def choice_utilities(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
        """Today's choice utilities (K, n) of every firm for customers ``who``, and the
        programme-membership part of them ((K, n), or 0.0 with no programme): what
        step 1 chooses by and what a customer survey's intent to return is read from."""
        C, F, cc = self.customers, self.firms, self.config.customers
        prev = C.last_firm[who]
        if F.loyalty_programme.any():
            member_value = choice.membership_value(
                C.member[:, who],
                prev,
                1.0
                + cc.tenure_spend_gain
                * choice.relationship_maturity(C.tenure[who] + 1, cc.tenure_visits),
                loyalty_utility=F.loyalty_utility,
                reward=F.loyalty_reward,
                price=F.price,
                price_sensitivity=cc.price_sensitivity,
            )
        else:
            member_value = 0.0
        util = choice.choice_utilities(
            C.attitude[:, who],
            choice.regular_firm(prev, C.satisfaction[who], cc.tolerance),
            member_value,
            sensitivity=cc.choice_sensitivity,
            habit=self.habit,
            price_disutility=cc.price_sensitivity * F.price,
            open_firms=self.open_firms,
        )
        return util, member_value

    def job_inputs(self, overload: np.ndarray) -> dict[str, np.ndarray]:
        """The job each staff slot has now, as keyword arguments of
        :func:`engagement.job_balance` (resources and demands, saturated and capped as
        the JD-R target takes them), given each slot's ``overload``: what step 7 moves
        engagement by and what an employee survey's constructs are read from."""
        S, F = self.staff, self.firms
        half = self.config.employees.feedback_half_saturation
        involvement = F.involvement[S.firm]
        sup_style = self.channels.self_focus[S.team]
        return dict(
            autonomy=engagement.autonomy(S.control, involvement),
            recognition=engagement.saturate(S.recognition, half),
            meaning=engagement.saturate(S.meaning, half),
            growth=engagement.saturate(S.growth, half),
            support=(1.0 - sup_style) * (0.5 + 0.5 * F.role_model[S.firm]),
            involvement=involvement,
            reward=np.minimum(S.reward, 1.0),
            overload=overload,
            control=S.control,
            sting=engagement.saturate(S.sting, half),
        )

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        cfg, st = self.config, self.streams
        C, S, F = self.customers, self.staff, self.firms
        K, day = F.k, self.day
        cc = cfg.customers
        tally: dict[str, np.ndarray] = {}

        # 1. whose need arises today, and where they go: a firm or none (the outside
        #    option; nobody is served while every firm is closed)
        seekers = np.flatnonzero(st["visits"].random(C.n) < cc.visit_rate)
        if not self.open_firms.any():
            seekers = seekers[:0]
        prev_all = C.last_firm[seekers]
        util, _ = self.choice_utilities(seekers)
        pick = choice.logit_choice(util, st["choice"].random(seekers.size), cc.outside_utility)
        buys = pick != choice.OUTSIDE
        visitors, chosen, prev = seekers[buys], pick[buys], prev_all[buys]
        n = visitors.size
        # everyone whose last visit was here and who needed the service today, whether
        # they came back, went to a rival or went nowhere
        tally["returning"] = np.bincount(prev_all[prev_all >= 0], minlength=K).astype(float)

        # 2. who serves
        own = C.own_employee[visitors]
        has_own = own >= 0
        own_c = np.where(has_own, own, 0)
        own_valid = (
            has_own
            & S.on_duty[own_c]
            & (S.generation[own_c] == C.own_generation[visitors])
            & (S.firm[own_c] == chosen)
        )
        member_here = C.member[chosen, visitors]
        match_p = np.minimum(
            1.0, F.customer_focus[chosen] + F.loyalty_matching[chosen] * member_here
        )
        server, same = encounter.assign_servers(
            chosen, own, own_valid, match_p, self.rosters, st["assignment"]
        )
        served, overload = encounter.workload(server, S.n, cfg.service.capacity)
        S.served_today = served

        # 3. the encounter and how it feels
        need = C.need[visitors]
        sv = cfg.service
        rapport_now = np.where(same, C.rapport[visitors], 0.0)
        effort = engagement.effort(
            S.engagement[server],
            S.sting[server],
            prev == chosen,
            self_attention=cfg.feedback.self_attention,
            bonus_shift=self.bonus_shift[chosen],
        )
        quality = encounter.encounter_quality(
            S.skill[server],
            S.knowledge[server, need],
            effort,
            rapport_now,
            overload[server],
            st["service"].normal(0.0, sv.noise, seekers.size)[buys],
            weight_skill=sv.weight_skill,
            weight_knowledge=sv.weight_knowledge,
            weight_effort=sv.weight_effort,
            weight_rapport=sv.weight_rapport,
            overload_penalty=sv.overload_penalty,
        )
        satisfaction, surprise = encounter.disconfirmation_satisfaction(
            quality,
            C.expectation[visitors],
            cc.disconfirmation_weight,
            cc.negative_disconfirmation_ratio,
        )
        C.expectation[visitors] = encounter.adapt(
            C.expectation[visitors],
            quality,
            encounter.expectation_rate(C.visits[visitors], cc.expectation_adaptation),
        )
        C.attitude[chosen, visitors] = encounter.adapt(
            C.attitude[chosen, visitors], satisfaction, cc.attitude_learning
        )
        repeat = prev == chosen
        repeat_served = np.bincount(server, weights=repeat, minlength=S.n)
        gain = self.rapport_gain[chosen]
        C.rapport[visitors] = encounter.grow_rapport(C.rapport[visitors], same, gain)
        C.own_employee[visitors] = server
        C.own_generation[visitors] = S.generation[server]
        C.last_firm[visitors] = chosen
        # the relationship: tenure, satisfaction over its visits, likelihood to recommend
        tenure = np.where(repeat, C.tenure[visitors] + 1, 1)
        C.tenure[visitors] = tenure
        relationship = np.where(
            repeat,
            encounter.adapt(C.satisfaction[visitors], satisfaction, cc.attitude_learning),
            satisfaction,
        )
        C.satisfaction[visitors] = relationship
        recommend = encounter.likelihood_to_recommend(
            relationship, cc.recommend_midpoint, cc.recommend_slope
        )
        C.recommend[visitors] = recommend
        C.visits[visitors] += 1
        joined = choice.enrol_members(
            C.member, visitors, chosen, F.loyalty_join, st["loyalty"].random(n)
        )
        self.member_count += np.bincount(joined, minlength=K)
        # long-standing customers spend more and cost less to serve (Reichheld & Sasser)
        maturity = choice.relationship_maturity(tenure, cc.tenure_visits)
        spend = 1.0 + cc.tenure_spend_gain * maturity
        promoter, detractor = recommend >= 9, recommend <= 6

        tally["visits"] = np.bincount(chosen, minlength=K).astype(float)
        tally["retained"] = np.bincount(chosen[repeat], minlength=K).astype(float)
        tally["sales"] = np.bincount(chosen, weights=spend, minlength=K)
        tally["member_sales"] = np.bincount(chosen, weights=spend * member_here, minlength=K)
        tally["serve_units"] = np.bincount(
            chosen, weights=1.0 - cc.tenure_cost_saving * maturity, minlength=K
        )
        tally["net_promoters"] = np.bincount(
            chosen, weights=promoter.astype(float) - detractor, minlength=K
        )

        # 4. feedback: who speaks up, and which way it goes
        fb = cfg.feedback
        r_fb = st["feedback"]
        invited = r_fb.random(n) < fb.survey_invitation
        p_fb = routing.feedback_propensity(
            surprise,
            member_here,
            invited,
            base=cc.feedback_base,
            surprise_gain=cc.feedback_surprise,
            member_multiplier=fb.member_feedback_multiplier,
            survey_response=fb.survey_response,
        )
        gives = np.flatnonzero(r_fb.random(n) < p_fb)
        praise = surprise[gives] >= 0
        items = routing.FeedbackItems(
            employee=server[gives],
            need=need[gives],
            praise=praise,
            harsh=~praise & (r_fb.random(gives.size) < cc.harshness),
            direct=r_fb.random(gives.size) < F.direct_share[chosen[gives]],
        )
        delivery = routing.Delivery.empty(S.n, cc.needs)
        routing.route_items(
            items,
            day,
            self.queues,
            delivery,
            clarity=fb.direct_clarity,
            gain=cfg.employees.knowledge_gain,
        )
        item_firm = chosen[gives]
        fb_items = np.bincount(item_firm, minlength=K).astype(float)
        direct_items = np.bincount(item_firm, weights=items.direct, minlength=K)

        # 5. word of mouth from surprised customers, and referrals by promoters
        wm = cfg.word_of_mouth
        r_wm = st["word_of_mouth"]
        loud = np.abs(surprise) > wm.threshold
        talk = loud & (r_wm.random(n) < wm.talk_probability)
        refer = promoter & ~talk & (r_wm.random(n) < wm.referral_probability)
        talkers = np.flatnonzero(talk | refer)
        message = np.where(surprise[talkers] >= 0, wm.strength, -wm.strength * wm.negativity)
        message[refer[talkers]] = wm.strength
        tf = chosen[talkers]
        listeners_per_talker = self.contact_counts[visitors[talkers]]
        wom.spread(C.attitude, *self.contacts, visitors[talkers], tf, message)
        tally["wom"] = np.bincount(tf, weights=listeners_per_talker, minlength=K)

        # 6. supervisors' reviews
        ch = self.channels
        rev = routing.review(
            day,
            S.team,
            self.team_size,
            self.review_offset,
            ch,
            self.queues,
            delivery,
            st["routing"],
            gain=cfg.employees.knowledge_gain,
            team_summary_weight=fb.team_summary_weight,
        )

        # 7. learning, control and engagement
        em, w = cfg.employees, cfg.engagement
        decay = em.trace_decay
        on = S.on_duty
        role = F.role_model[S.firm] * em.observation_learning
        # attention drawn to the self by recent blame is attention not spent on the task:
        # less is learnt from what is heard (Kluger & DeNisi 1996)
        focus = engagement.task_focus(S.sting, cfg.feedback.self_attention)
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
        S.recognition = engagement.fade(S.recognition, delivery.recognition, decay)
        S.meaning = engagement.fade(S.meaning, delivery.meaning, decay)
        S.growth = engagement.fade(S.growth, delivery.growth, decay)
        S.sting = np.maximum(
            engagement.fade(S.sting, delivery.sting, decay) - decay * delivery.sting_repair, 0.0
        )
        self.queues.fade(decay)
        bonus = F.repeat_bonus[S.firm] * repeat_served
        S.reward = engagement.fade(
            S.reward,
            np.divide(bonus, F.wage[S.firm], out=np.zeros(S.n), where=F.wage[S.firm] > 0),
            decay,
        )
        target = engagement.jdr_target(
            w,
            disposition=S.disposition,
            sensitivity=S.sensitivity,
            **self.job_inputs(overload),
        )
        shock = st["engagement"].normal(0.0, em.engagement_noise, S.n)
        S.engagement = np.where(
            on,
            engagement.move_toward(S.engagement, target, em.engagement_rate, shock),
            S.engagement,
        )

        # 8. quits, vacancies, hires
        wf = cfg.workforce
        hazard = workforce.quit_hazard(
            S.engagement,
            wf.base_quit_rate,
            wf.disengagement_quit_factor,
            wf.labour_market_tightness,
            S.tenure,
            wf.newcomer_quit_excess,
            wf.settling_days,
        )
        quits = np.flatnonzero(on & (st["turnover"].random(S.n) < hazard))
        staff_on_payroll = np.bincount(S.firm[on], minlength=K).astype(float)
        S.leave(quits, day, wf.hiring_delay_days)
        self.demand += (tally["visits"] - self.demand) / F.staffing_horizon
        workforce.staffing(
            S.firm,
            S.on_duty,
            S.open,
            S.vacant_until,
            workforce.staffing_target(
                self.demand, cfg.service.capacity, F.target_load, self.slot_pool
            ),
            day,
            wf.hiring_delay_days,
        )
        hires = np.flatnonzero(S.open & (S.vacant_until <= day))
        if quits.size:
            self.queues.clear(quits)
        if hires.size:
            S.hire(hires, cfg, st["hiring"])
        if quits.size or hires.size:
            self._refresh_rosters()
            self.team_size = np.bincount(S.team, weights=S.on_duty, minlength=self.n_supervisors)

        # 9. accounts and metrics
        sup_per_firm = self.supervisors_per_firm
        acc = finance.daily_accounts(
            sales=tally["sales"],
            member_sales=tally["member_sales"],
            serve_units=tally["serve_units"],
            repeat_served=np.bincount(S.firm, weights=repeat_served, minlength=K),
            staff_on_payroll=staff_on_payroll,
            supervisors=sup_per_firm,
            hires=np.bincount(S.firm[hires], minlength=K).astype(float),
            price=F.price,
            serving_cost=F.serving_cost,
            loyalty_reward=F.loyalty_reward,
            repeat_bonus=F.repeat_bonus,
            wage=F.wage,
            supervisor_wage=F.supervisor_wage,
            hiring_cost=F.hiring_cost,
            training_cost=F.training_cost,
            fixed_cost=F.fixed_cost,
        )
        self._record(
            DayRecord(
                chosen=chosen,
                quality=quality,
                satisfaction=satisfaction,
                overload=overload,
                served=served,
                accounts=acc,
                tally=tally,
                quits=quits,
                review=rev,
                feedback_items=fb_items,
                direct_items=direct_items,
                delivery=delivery,
                staff_on_payroll=staff_on_payroll,
                supervisors=sup_per_firm,
            )
        )
        self.day += 1

    def _record(self, d: DayRecord) -> None:
        """Today's metrics as one (K, M) array, collected by Mesa's DataCollector."""
        chosen, quality, satisfaction, overload = d.chosen, d.quality, d.satisfaction, d.overload
        served, acc, tally, quits, rev = d.served, d.accounts, d.tally, d.quits, d.review
        fb_items, direct_items, delivery = d.feedback_items, d.direct_items, d.delivery
        staff_on_payroll, sup_per_firm = d.staff_on_payroll, d.supervisors
        S, F, K = self.staff, self.firms, self.firms.k
        cfg, ch = self.config, self.channels
        on = S.on_duty
        e = cfg.employees
        # per-firm sums over staff on duty
        staff_cols = np.stack(
            [
                np.ones(S.n),
                S.engagement,
                S.engagement >= e.engaged_threshold,
                S.engagement < e.disengaged_threshold,
                S.control,
                engagement.autonomy(S.control, F.involvement[S.firm]),
                S.knowledge.mean(axis=1),
                S.skill,
                served > 0,
                overload * (served > 0),
            ]
        )
        sums = np.add.reduceat(staff_cols * on, self._firm_starts, axis=1)
        n_on, eng, hi, lo, control, autonomy, knowledge, skill, busy, over = sums
        visits = tally["visits"]
        visit_sums = (
            np.bincount(chosen, weights=quality, minlength=K),
            np.bincount(chosen, weights=satisfaction, minlength=K),
        )
        per_sup = np.stack([rev.delivered, rev.resolved, rev.info_sum, rev.latency_sum])
        # a micro-manager intervenes on each criticism heard, in proportion to style
        control_work = np.bincount(
            S.team,
            weights=ch.self_focus[S.team] * delivery.criticism_heard_by_supervisor,
            minlength=self.n_supervisors,
        )
        load = (rev.handled + control_work) / (ch.capacity / ch.cadence)
        sup_sums = np.add.reduceat(np.vstack([per_sup, load]), self._sup_firm_starts, axis=1)
        delivered = direct_items + sup_sums[0]
        resolved = direct_items + sup_sums[1]
        info = direct_items * cfg.feedback.direct_clarity + sup_sums[2]
        one = np.ones(K)
        # (numerator, denominator) per metric, in METRIC_NAMES order; divided at once
        pairs = [
            (eng, n_on),
            (hi, n_on),
            (n_on - hi - lo, n_on),
            (lo, n_on),
            (visit_sums[1], visits),
            (100.0 * tally["net_promoters"], visits),
            (visit_sums[0], visits),
            (tally["retained"], visits),
            (tally["retained"], tally["returning"]),
            (visits, visits.sum() * one),
            (acc["revenue"], acc["revenue"].sum() * one),
            (visits, one),
            (tally["returning"], one),
            (acc["revenue"], one),
            (acc["costs"], one),
            (acc["profit"], one),
            (acc["profit"], acc["revenue"]),
            (np.bincount(S.firm[quits], minlength=K) * 365.0, staff_on_payroll),
            (fb_items, one),
            (direct_items, fb_items),
            (delivered, one),
            (resolved, one),
            (sup_sums[3], delivered),
            (info, resolved),
            (sup_sums[4], sup_per_firm),
            (control, n_on),
            (autonomy, n_on),
            (knowledge, n_on),
            (skill, n_on),
            (over, busy),
            (n_on, one),
            (self.member_count, self.customers.n * one),
            (tally["wom"], one),
        ]
        num, den = np.array(pairs).transpose(1, 0, 2)
        m = _ratio(num, den)
        self.today = m.T  # (K, M), rows are firms
        self.last_record = d  # today's raw tallies, for views that show the flow
        self.datacollector.collect(self)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)
