"""Mesa agents as thin views onto the model's columnar state.

Each agent reads and writes its own row of the model's tables through
:class:`Column` descriptors, so an agent can be inspected (and, in tests or the
UI, poked) one at a time while the mechanisms work on whole columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from .engagement import autonomy

if TYPE_CHECKING:
    from .model import ServiceProfitChainModel


class Column:
    """Descriptor: attribute ``name`` of table ``table`` at this agent's ``row``."""

    def __init__(self, table: str, name: str | None = None, doc: str = ""):
        self.table, self.name, self.__doc__ = table, name or "", doc

    def __set_name__(self, owner, attr):
        self.name = self.name or attr

    def __get__(self, agent, owner=None) -> Any:
        if agent is None:
            return self
        value = self._column(agent)[self._index(agent)]
        return value.item() if np.ndim(value) == 0 else value.copy()

    def __set__(self, agent, value) -> None:
        self._column(agent)[self._index(agent)] = value

    def _column(self, agent) -> np.ndarray:
        return getattr(getattr(agent.model, self.table), self.name)

    def _index(self, agent):
        return agent.row


class FirmMajorColumn(Column):
    """A per-firm attribute stored firm-major (K, N): this agent's column of it."""

    def _index(self, agent):
        return (slice(None), agent.row)


class RowAgent(mesa.Agent):
    model: ServiceProfitChainModel

    def __init__(self, model: ServiceProfitChainModel, row: int):
        super().__init__(model)
        self.row = row

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row})"


class Customer(RowAgent):
    """A customer: expectations, attitudes to each firm, needs, rapport, membership."""

    expectation = Column("customers", doc="adapting service expectation (q-units)")
    attitude = FirmMajorColumn("customers", doc="attitude to each firm (q-units), shape (K,)")
    need = Column("customers", doc="need type")
    last_firm = Column("customers", doc="firm of the previous visit (-1: none yet)")
    member = FirmMajorColumn("customers", doc="loyalty-programme membership per firm, shape (K,)")
    satisfaction = Column(
        "customers", doc="satisfaction with the firm visited last, smoothed over its visits"
    )
    tenure = Column("customers", doc="consecutive visits to the firm visited last")
    recommend = Column("customers", doc="likelihood to recommend that firm, 0-10 (-1: none)")
    visits = Column("customers", doc="visits so far (to any firm)")
    own_employee = Column("customers", doc="slot of the employee with whom there is rapport")
    rapport = Column("customers", doc="rapport with own employee (q-units)")

    @property
    def contacts(self) -> np.ndarray:
        indptr, indices = self.model.contacts
        return indices[indptr[self.row] : indptr[self.row + 1]].copy()


class Employee(RowAgent):
    """An employee slot (its current occupant; ``generation`` counts occupants)."""

    firm = Column("staff")
    team = Column("staff", doc="supervisor index")
    on_duty = Column("staff", doc="False while the slot is vacant")
    generation = Column("staff")
    tenure = Column("staff", doc="days in the job")
    skill = Column("staff")
    mastery = Column("staff", doc="skill this person's learning curve approaches")
    sensitivity = Column("staff", doc="how strongly the job's resources and demands reach them")
    disposition = Column("staff", doc="stable individual engagement level (logit)")
    knowledge = Column("staff", doc="knowledge of each need type, shape (needs,)")
    engagement = Column("staff")
    control = Column("staff", doc="supervisory control exerted on this employee")
    recognition = Column("staff", doc="recent praise heard (items/day)")
    meaning = Column("staff", doc="recent direct customer feedback heard (items/day)")
    growth = Column("staff", doc="recent task-focused criticism heard (items/day)")
    sting = Column("staff", doc="recent self-directed criticism heard (items/day)")
    served_today = Column("staff")

    @property
    def autonomy(self) -> float:
        control = np.asarray(self.control, dtype=np.float64)
        return float(autonomy(control, self.model.firms.involvement[self.firm]))

    @property
    def supervisor(self) -> Supervisor:
        return self.model.supervisor_agents[self.team]

    @property
    def category(self) -> str:
        e = self.model.config.employees
        if self.engagement >= e.engaged_threshold:
            return "engaged"
        if self.engagement < e.disengaged_threshold:
            return "actively disengaged"
        return "not engaged"


class Supervisor(RowAgent):
    """A supervisor: filter and coach for one team."""

    @property
    def firm(self) -> int:
        return int(self.model.staff.supervisor_firm[self.row])

    @property
    def settings(self):
        return self.model.firm_configs[self.firm].supervisor

    @property
    def style(self) -> float:
        """This supervisor's own style (spread around the firm's)."""
        return float(self.model.staff.supervisor_style[self.row])

    @property
    def team(self) -> list[Employee]:
        slots = np.flatnonzero(self.model.staff.team == self.row)
        return [self.model.employee_agents[i] for i in slots]

    @property
    def queued_items(self) -> int:
        q, slots = self.model.queues, self.model.staff.team == self.row
        return int(q.praise[slots].sum() + q.criticism[slots].sum())


class Firm(RowAgent):
    """A firm: its feedback structure, policies and latest metrics."""

    @property
    def index(self) -> int:
        return self.row

    @property
    def direct_share(self) -> float:
        return float(self.model.firms.direct_share[self.row])

    @property
    def routing_graph(self):
        return self.model.routing_graphs[self.row]

    @property
    def settings(self):
        return self.model.firm_configs[self.row]

    @property
    def employees(self) -> list[Employee]:
        slots = np.flatnonzero(self.model.staff.firm == self.row)
        return [self.model.employee_agents[i] for i in slots]

    def metric(self, name: str) -> float:
        """Latest daily value of a metric (NaN before the first step)."""
        m = self.model.last_metrics
        return float(m[name][self.row]) if name in m else float("nan")
