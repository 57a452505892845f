"""Finance per firm and day: revenue, the cost lines, profit and return on sales.

Revenue follows spend, not only visits: a long-standing customer spends more per
visit and costs less to serve (Reichheld & Sasser 1990), so retention pays
through spend and serving cost as well as through volume.
"""

from __future__ import annotations

import numpy as np

from .jit import compiled


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


def accounts(sales, member_sales, serve_units, repeat_served, payroll, hires, S, F):
    """Phase 9 of the day: each firm's accounts (:func:`daily_accounts`, firm by firm and
    line by line in its order). ``repeat_served`` is per slot, ``hires`` the slots hired
    into today. Returns revenue, costs, profit and return on sales per firm."""
    k_firms = F.price.size
    repeat, hired = np.zeros(k_firms), np.zeros(k_firms)
    for e in range(S.firm.size):
        repeat[S.firm[e]] += repeat_served[e]
    for e in hires:
        hired[S.firm[e]] += 1.0
    revenue, costs = np.empty(k_firms), np.empty(k_firms)
    profit, return_on_sales = np.empty(k_firms), np.empty(k_firms)
    for k in range(k_firms):
        revenue[k] = F.price[k] * sales[k]
        total = 0.0 + F.wage[k] * payroll[k]
        total += F.supervisor_wage[k] * F.supervisors_per_firm[k]
        total += F.serving_cost[k] * serve_units[k]
        total += F.repeat_bonus[k] * repeat[k]
        total += F.loyalty_reward[k] * F.price[k] * member_sales[k]
        total += (F.hiring_cost[k] + F.training_cost[k]) * hired[k]
        total += F.fixed_cost[k]
        costs[k] = total
        profit[k] = revenue[k] - total
        return_on_sales[k] = profit[k] / revenue[k] if revenue[k] > 0 else np.nan
    return revenue, costs, profit, return_on_sales


accounts = compiled(accounts)
