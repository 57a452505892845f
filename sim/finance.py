"""Finance per firm and day: revenue, the cost lines, profit and return on sales.

Revenue follows spend, not only visits: a long-standing customer spends more per
visit and costs less to serve (Reichheld & Sasser 1990), so retention pays
through spend and serving cost as well as through volume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import ServiceProfitChainModel
    from .state import Today


def daily_accounts(
    *,
    sales: np.ndarray,
    member_sales: np.ndarray,
    serve_units: np.ndarray,
    repeat_served: np.ndarray,
    staff_on_payroll: np.ndarray,
    supervisors: np.ndarray,
    hires: np.ndarray,
    price: np.ndarray,
    serving_cost: np.ndarray,
    loyalty_reward: np.ndarray,
    repeat_bonus: np.ndarray,
    wage: np.ndarray,
    supervisor_wage: np.ndarray,
    hiring_cost: np.ndarray,
    training_cost: np.ndarray,
    fixed_cost: np.ndarray,
) -> dict[str, np.ndarray]:
    """All arrays are per firm (K,). ``sales`` sums the visits' spend multipliers (a
    first visit is 1), ``member_sales`` those of programme members, ``serve_units``
    the visits' serving-cost multipliers. Loyalty rewards are a cost line, not lost
    revenue."""
    revenue = price * sales
    costs = {
        "wage_cost": wage * staff_on_payroll,
        "supervision_cost": supervisor_wage * supervisors,
        "serving_cost": serving_cost * serve_units,
        "bonus_cost": repeat_bonus * repeat_served,
        "loyalty_cost": loyalty_reward * price * member_sales,
        "hiring_cost": (hiring_cost + training_cost) * hires,
        "fixed_cost": fixed_cost,
    }
    total = sum(costs.values())
    profit = revenue - total
    ros = np.divide(profit, revenue, out=np.full_like(revenue, np.nan), where=revenue > 0)
    return {"revenue": revenue, **costs, "costs": total, "profit": profit, "return_on_sales": ros}


def accounts(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 9 of the day: each firm's accounts."""
    S, F, K = m.staff, m.firms, m.firms.k
    t.accounts = daily_accounts(
        sales=t.sales,
        member_sales=t.member_sales,
        serve_units=t.serve_units,
        repeat_served=np.bincount(S.firm, weights=t.repeat_served, minlength=K),
        staff_on_payroll=t.staff_on_payroll,
        supervisors=m.supervisors_per_firm,
        hires=np.bincount(S.firm[t.hires], minlength=K).astype(float),
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
