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

from numbers import Integral

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from . import checks, choice, encounter, engagement, finance, metrics, routing, workforce
from . import word_of_mouth as wom
from .agents import Customer, Employee, Firm, Supervisor
from .config import Scenario
from .metrics import METRIC_NAMES
from .rng import spawn_streams
from .state import CustomerTable, FirmTable, StaffTable, Today


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
        # the same, flat for the compiled passes: firm k's staff on duty are
        # roster_slots[roster_starts[k]:roster_starts[k + 1]]
        self.roster_slots = np.concatenate(self.rosters)
        self.roster_starts = np.concatenate([[0], np.cumsum([r.size for r in self.rosters])])
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
        member_value: np.ndarray | float
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
        """One day, as its schedule: each phase a mechanism over the columnar state,
        writing what happened into ``today`` for the phases after it."""
        today = Today(self.day)
        choice.choose(self, today)
        encounter.serve(self, today)
        encounter.encounter(self, today)
        routing.give_feedback(self, today)
        wom.talk(self, today)
        routing.reviews(self, today)
        engagement.learn_and_engage(self, today)
        workforce.turnover(self, today)
        finance.accounts(self, today)
        self._record(today)
        self.day += 1

    def _record(self, today: Today) -> None:
        """Today's metrics as one (K, M) array, collected by Mesa's DataCollector."""
        self.today = metrics.daily(self, today)
        self.last_record = today  # today's flows, for views that show them
        self.datacollector.collect(self)
