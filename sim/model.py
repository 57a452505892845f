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

from collections import namedtuple
from collections.abc import Callable
from numbers import Integral

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from . import checks, choice, encounter, engagement, finance, metrics, routing, workforce
from . import word_of_mouth as wom
from .agents import Customer, Employee, Firm, Supervisor
from .config import Scenario
from .jit import compiled
from .metrics import METRIC_NAMES
from .rng import STREAMS, spawn_streams
from .state import (
    CustomerCols,
    CustomerTable,
    DayParams,
    FirmCols,
    FirmTable,
    Network,
    QueueCols,
    StaffCols,
    StaffTable,
    SupervisorCols,
    Today,
    columns,
    day_parameters,
)

# the random streams the day draws from, by name, for compiled code (each one passed
# costs a compiled call some 30 us: the market's construction streams stay out)
DAY_STREAMS = tuple(name for name in STREAMS if name not in ("customers", "network", "staff"))
Streams = namedtuple("Streams", DAY_STREAMS)  # type: ignore[misc]  # fields from rng.STREAMS


class ServiceProfitChainModel(mesa.Model):
    """Agent-based market of service firms.

    Args:
        scenario: a validated :class:`~sim.config.Scenario` (``None``: defaults).
        structure: ``"linear"``, ``"triangular"`` or a direct share in [0, 1] for
            the focal firm (firm 0).
        seed: root seed; the run depends on nothing else.
    """

    _user_step: Callable[[], None]  # Mesa's own: what its clock calls as ``step``

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
        # staff and supervisors are stored firm by firm: per-firm sums are segment
        # sums (np.add.reduceat), with no BLAS threads competing with other runs
        self._firm_starts = np.searchsorted(s.firm, np.arange(k))
        self._sup_firm_starts = np.searchsorted(s.supervisor_firm, np.arange(k))
        self.member_count = np.zeros(k)
        # each firm's staff on duty: firm k's are roster_slots[roster_starts[k]:
        # roster_starts[k + 1]] (sim.workforce.rosters keeps them, and open_firms)
        self.roster_slots = np.zeros(s.n, dtype=np.int64)
        self.roster_starts = np.zeros(k + 1, dtype=np.int64)
        self.open_firms = np.zeros(k, dtype=bool)
        self.params = day_parameters(cfg)
        self._refresh_rosters()

        # Mesa agents: thin views onto table rows. Customers are made on demand
        # (``model.customer(i)``) so a million-customer market holds no objects.
        self.firm_agents = [Firm(self, i) for i in range(k)]
        self.supervisor_agents = [Supervisor(self, i) for i in range(self.n_supervisors)]
        self.employee_agents = [Employee(self, i) for i in range(s.n)]
        self._customer_handles: dict[int, Customer] = {}

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
        """Each firm's staff on duty, which firms are open, and each team's size, after
        a change to who is on duty (the compiled day does this itself)."""
        S, F, U = self._kernel_state()[1:4]
        workforce.rosters(S, F, U)

    @property
    def rosters(self) -> list[np.ndarray]:
        """Each firm's staff on duty (slots)."""
        at = self.roster_starts
        return [self.roster_slots[at[k] : at[k + 1]].copy() for k in range(self.firms.k)]

    def _kernel_state(
        self,
    ) -> tuple[
        CustomerCols, StaffCols, FirmCols, SupervisorCols, QueueCols, Network, DayParams, Streams
    ]:
        """The model's state as the compiled day reads and writes it: named tuples of the
        tables' own arrays (``sim.state``), the scenario's numbers, the random streams."""
        F, ch = self.firms, self.channels
        firm = FirmCols._make((
            *(getattr(F, name) for name in FirmCols._fields[:19]),
            self.bonus_shift, self.rapport_gain, self.slot_pool, self.supervisors_per_firm,
            self.habit, self.open_firms, self.demand, self.member_count, self._firm_starts,
            self.roster_slots, self.roster_starts,
        ))  # fmt: skip
        sups = SupervisorCols._make((
            *(getattr(ch, name) for name in SupervisorCols._fields[:13]),
            self.review_offset, self.team_size, self._sup_firm_starts,
        ))  # fmt: skip
        return (
            columns(CustomerCols, self.customers),
            columns(StaffCols, self.staff),
            firm,
            sups,
            columns(QueueCols, self.queues),
            Network(*self.contacts, self.contact_counts),
            self.params,
            Streams(*(self.streams[name] for name in DAY_STREAMS)),
        )

    def _simulate(self, days: int) -> tuple[np.ndarray, Today]:
        """``days`` days in one compiled call: their metrics (days x firms x metrics) and
        the last day's flows."""
        out = np.empty((days, self.firms.k, len(METRIC_NAMES)))
        flows = run_days(self.day, days, *self._kernel_state(), out)
        return out, Today.of(self.day + days - 1, out[-1], flows)

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
        """``days`` days (:meth:`simulate`), then the daily metrics (:meth:`firm_daily`)."""
        self.simulate(days)
        return self.firm_daily()

    def simulate(self, days: int) -> np.ndarray:
        """``days`` days; their metrics as a (days x firms x metrics) array (columns in
        METRIC_NAMES order), collected by the DataCollector as well. The days run in one
        compiled call (the same day :meth:`step` runs), unless a subclass changes
        ``step`` or ``_record``, whose days then go one by one through them."""
        base, dc = ServiceProfitChainModel, self.datacollector
        if days <= 0 or type(self).step is not base.step or type(self)._record is not base._record:
            for _ in range(days):
                self.step()
            rows = dc.model_vars.get("firm_metrics", [])
            shape = (days, self.firms.k, len(METRIC_NAMES))
            return np.array(rows[len(rows) - days :]).reshape(shape)
        out, today = self._simulate(days)
        if hasattr(dc, "_collection_steps"):
            dc._collection_steps.extend(self.time + 1.0 + np.arange(days))
        dc.model_vars.setdefault("firm_metrics", []).extend(out)
        self.today, self.last_record = out[-1], today
        self.day += days
        # Mesa's clock and step count as after ``days`` calls of step()
        user_step = self._user_step
        self._user_step = lambda: None
        try:
            self.run_for(days)
        finally:
            self._user_step = user_step
        return out

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
        """One day, as its schedule (:func:`day`, compiled), then its record."""
        _, today = self._simulate(1)
        self._record(today)
        self.day += 1

    def _record(self, today: Today) -> None:
        """Today's metrics as one (K, M) array, collected by Mesa's DataCollector."""
        self.today = today.metrics
        self.last_record = today  # today's flows, for views that show them
        self.datacollector.collect(self)


def day(day, C, S, F, U, Q, N, P, R, out):
    """One day, as its schedule: each phase a mechanism over the columnar state (in
    place), passing what happened today to the phases after it; the day's metrics into
    ``out`` (firms x metrics). Returns the day's flows (``Today.FLOWS``)."""
    seekers, buys, visitors, chosen, prev, returning = choice.choose(C, F, P, R)
    member_here, server, same, served, overload = encounter.serve(visitors, chosen, C, S, F, P, R)
    quality, satisfaction, surprise, repeat, promoter, repeat_served, per_firm = (
        encounter.encounter(
            seekers, buys, visitors, chosen, prev, server, same, member_here, overload,
            C, S, F, P, R,
        )
    )  # fmt: skip
    heard, items, direct = routing.give_feedback(
        day, surprise, member_here, server, visitors, chosen, C, S, F, Q, P, R
    )
    word_of_mouth = wom.talk(visitors, chosen, surprise, promoter, C, N, P, R)
    tally = routing.reviews(day, heard, S, U, Q, P, R)
    engagement.learn_and_engage(heard, repeat_served, overload, S, F, U, Q, P, R)
    quits, hires, payroll = workforce.turnover(day, per_firm[0], S, F, U, Q, P, R)
    money = finance.accounts(
        per_firm[2], per_firm[3], per_firm[4], repeat_served, payroll, hires, S, F
    )
    metrics.daily(
        per_firm[0], per_firm[1], returning, per_firm[5], per_firm[7], per_firm[8], served,
        overload, items, direct, heard[6], tally, quits, payroll, money, word_of_mouth,
        S, F, U, P, out,
    )  # fmt: skip
    return (
        seekers, buys, visitors, chosen, prev, returning, member_here, server, same, served,
        overload, quality, satisfaction, surprise, repeat, promoter, repeat_served, per_firm,
        heard, items, direct, word_of_mouth, tally, quits, hires, payroll, money,
    )  # fmt: skip


day = compiled(day)


def run_days(first, days, C, S, F, U, Q, N, P, R, out):
    """Days ``first`` .. ``first + days - 1`` (days >= 1), each :func:`day`; the metrics
    of day ``first + d`` into ``out[d]``. Returns the last day's flows."""
    flows = day(first, C, S, F, U, Q, N, P, R, out[0])
    for d in range(1, days):
        flows = day(first + d, C, S, F, U, Q, N, P, R, out[d])
    return flows


run_days = compiled(run_days)
