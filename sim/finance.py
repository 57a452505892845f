"""Finance per firm and day: revenue, the cost lines, profit and return on sales."""

from __future__ import annotations

import numpy as np


def daily_accounts(
    *,
    visits: np.ndarray,
    member_visits: np.ndarray,
    repeat_served: np.ndarray,
    staff_on_payroll: np.ndarray,
    supervisors: np.ndarray,
    hires: np.ndarray,
    price: np.ndarray,
    loyalty_reward: np.ndarray,
    repeat_bonus: np.ndarray,
    wage: np.ndarray,
    supervisor_wage: np.ndarray,
    hiring_cost: np.ndarray,
    training_cost: np.ndarray,
    fixed_cost: np.ndarray,
) -> dict[str, np.ndarray]:
    """All arrays are per firm (K,). Loyalty rewards are a cost line, not lost revenue."""
    revenue = price * visits
    costs = {
        "wage_cost": wage * staff_on_payroll,
        "supervision_cost": supervisor_wage * supervisors,
        "bonus_cost": repeat_bonus * repeat_served,
        "loyalty_cost": loyalty_reward * price * member_visits,
        "hiring_cost": (hiring_cost + training_cost) * hires,
        "fixed_cost": fixed_cost,
    }
    total = sum(costs.values())
    profit = revenue - total
    ros = np.divide(profit, revenue, out=np.full_like(revenue, np.nan), where=revenue > 0)
    return {"revenue": revenue, **costs, "costs": total, "profit": profit, "return_on_sales": ros}
