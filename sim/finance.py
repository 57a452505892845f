"""Finance per firm and day: revenue, the cost lines, profit and return on sales.

Revenue follows spend, not only visits: a long-standing customer spends more per
visit and costs less to serve (Reichheld & Sasser 1990), so retention pays
through spend and serving cost as well as through volume.
"""

from __future__ import annotations

import numpy as np


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
