"""A plain-Mesa reference market, written the way Mesa models usually are.

    python benchmarks/reference_mesa.py --customers 20000 --days 60 [--flavour numpy]

This is the yardstick for ``spc bench``: the customer side of the service-profit
chain (visit, logit choice among firms, expectation-disconfirmation satisfaction,
attitude smoothing) in the common Mesa idiom. There is one ``mesa.Agent`` per
customer with its own Python attributes, and each day the model calls
``self.agents.shuffle_do("step")``; every customer then draws whether it visits
today (probability ``visit_rate``) and, if it does, chooses a firm, draws the
quality of its encounter, and updates its satisfaction, expectation and attitude.

It models *less* than :class:`sim.ServiceProfitChainModel` (no employees,
supervisors, feedback routing, word of mouth, loyalty programme or accounts), so
the ratio "reference cost / model cost" understates the gap for equal work.

Two flavours of the same agent code are provided, both without artificial
slowness:

``"python"`` (default)
    attitudes in a Python list, ``math.exp`` and the stdlib generator
    ``self.random`` (``model.random``): the fastest idiomatic per-agent Python.
``"numpy"``
    attitudes in a small numpy array per agent, the probabilities computed with
    numpy and drawn with ``self.rng.choice`` / ``self.rng.normal``
    (``model.rng``), as many Mesa users write it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import mesa
import numpy as np
from mesa.datacollection import DataCollector

FLAVOURS = ("python", "numpy")


class ReferenceCustomer(mesa.Agent):
    """A customer with an attitude to each firm and an adapting expectation."""

    def __init__(self, model: ReferenceMarketModel, attitude, expectation: float):
        super().__init__(model)
        self.attitude = attitude  # one value per firm (q-units)
        self.expectation = expectation  # adapting service expectation (q-units)
        self.last_firm = -1
        self.satisfaction = math.nan
        self.visits = 0

    def step(self) -> None:
        model = self.model
        if self.random.random() >= model.visit_rate:
            return
        firm = self.choose_firm()
        quality = self.draw_quality(firm)
        # expectation-disconfirmation (Oliver 1980)
        surprise = quality - self.expectation
        satisfaction = min(1.0, max(0.0, quality + model.disconfirmation_weight * surprise))
        self.expectation += model.expectation_adaptation * surprise
        self.attitude[firm] += model.attitude_learning * (satisfaction - self.attitude[firm])
        self.satisfaction = satisfaction
        self.last_firm = firm
        self.visits += 1
        model.visits_today[firm] += 1
        model.satisfaction_today[firm] += satisfaction

    def choose_firm(self) -> int:
        """Multinomial logit on attitudes, with a habit bonus for the last firm."""
        model = self.model
        utility = [model.sensitivity * a for a in self.attitude]
        if self.last_firm >= 0:
            utility[self.last_firm] += model.habit
        top = max(utility)
        weights = [math.exp(u - top) for u in utility]
        return self.random.choices(model.firm_ids, weights=weights)[0]

    def draw_quality(self, firm: int) -> float:
        model = self.model
        return min(1.0, max(0.0, self.random.gauss(model.firm_quality[firm], model.quality_noise)))


class NumpyReferenceCustomer(ReferenceCustomer):
    """The same customer with a numpy attitude vector and numpy draws."""

    def choose_firm(self) -> int:
        model = self.model
        utility = model.sensitivity * self.attitude
        if self.last_firm >= 0:
            utility[self.last_firm] += model.habit
        p = np.exp(utility - utility.max())
        p /= p.sum()
        return int(self.rng.choice(model.n_firms, p=p))

    def draw_quality(self, firm: int) -> float:
        model = self.model
        return float(np.clip(self.rng.normal(model.firm_quality[firm], model.quality_noise), 0, 1))


class ReferenceMarketModel(mesa.Model):
    """K firms and ``customers`` customer agents; one ``step()`` is one day.

    Defaults match the customer parameters of ``scenarios/baseline.toml``.
    """

    def __init__(
        self,
        customers: int = 20_000,
        firms: int = 3,
        *,
        visit_rate: float = 0.1,
        sensitivity: float = 8.0,
        habit: float = 0.4,
        firm_quality: Sequence[float] | None = None,
        quality_noise: float = 0.08,
        disconfirmation_weight: float = 0.6,
        expectation_adaptation: float = 0.15,
        attitude_learning: float = 0.3,
        attitude_init: tuple[float, float] = (0.4, 0.6),
        expectation_init: tuple[float, float] = (0.45, 0.65),
        flavour: str = "python",
        seed: int = 1,
    ):
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour {flavour!r}: allowed {', '.join(FLAVOURS)}")
        super().__init__(rng=seed)
        self.n_firms = firms
        self.firm_ids = list(range(firms))
        self.visit_rate = visit_rate
        self.sensitivity = sensitivity
        self.habit = habit
        self.firm_quality = (
            list(firm_quality)
            if firm_quality is not None
            else [0.6 - 0.05 * k for k in range(firms)]
        )
        if len(self.firm_quality) != firms:
            raise ValueError(f"firm_quality needs {firms} values")
        self.quality_noise = quality_noise
        self.disconfirmation_weight = disconfirmation_weight
        self.expectation_adaptation = expectation_adaptation
        self.attitude_learning = attitude_learning
        self.flavour = flavour

        agent_class = NumpyReferenceCustomer if flavour == "numpy" else ReferenceCustomer
        for _ in range(customers):
            attitude: list[float] | np.ndarray = [
                self.random.uniform(*attitude_init) for _ in range(firms)
            ]
            if flavour == "numpy":
                attitude = np.array(attitude)
            agent_class(self, attitude, self.random.uniform(*expectation_init))

        self.visits_today = [0] * firms
        self.satisfaction_today = [0.0] * firms
        self.datacollector = DataCollector(
            model_reporters={
                "visits": lambda m: list(m.visits_today),
                "satisfaction": lambda m: [
                    s / v if v else math.nan
                    for s, v in zip(m.satisfaction_today, m.visits_today, strict=True)
                ],
            }
        )

    def step(self) -> None:
        self.visits_today = [0] * self.n_firms
        self.satisfaction_today = [0.0] * self.n_firms
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)

    def run(self, days: int) -> None:
        for _ in range(days):
            self.step()

    def total_visits(self) -> int:
        return int(sum(sum(v) for v in self.datacollector.model_vars["visits"]))


def time_reference(
    customers: int, days: int, *, flavour: str = "python", seed: int = 1, **params
) -> dict:
    """Build and run the reference once; seconds for construction and for the days."""
    t0 = time.perf_counter()
    model = ReferenceMarketModel(customers, flavour=flavour, seed=seed, **params)
    t1 = time.perf_counter()
    model.run(days)
    t2 = time.perf_counter()
    return {
        "construct_s": t1 - t0,
        "run_s": t2 - t1,
        "visits_per_customer_day": model.total_visits() / (customers * days),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import platform

    parser = argparse.ArgumentParser(
        description="Time the plain-Mesa reference market (one agent per customer)."
    )
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--flavour", choices=FLAVOURS, default="python")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.customers < 1 or args.days < 1:
        parser.error("--customers and --days must be at least 1")
    r = time_reference(args.customers, args.days, flavour=args.flavour, seed=args.seed)
    ns = r["run_s"] / (args.customers * args.days) * 1e9
    print(f"python {platform.python_version()}  numpy {np.__version__}  mesa {mesa.__version__}")
    print(
        f"reference ({args.flavour}): {args.customers} customers x {args.days} days: "
        f"construct {r['construct_s']:.3f} s, run {r['run_s']:.3f} s, "
        f"{ns:.0f} ns per customer-day, "
        f"{r['visits_per_customer_day']:.4f} visits per customer-day"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
