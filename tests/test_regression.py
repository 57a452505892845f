"""Pinned outputs of a small run: optimisations must leave results identical.

If a deliberate change to a mechanism moves these numbers, re-pin them in the same
commit and say so in its message; a speed-up must never move them.
"""

from __future__ import annotations

import pytest

from sim import ServiceProfitChainModel, load_scenario

from .conftest import SCENARIOS

OVERRIDES = {
    "customers.count": 900,
    "firm.policy.repeat_bonus": 2.0,
    "feedback.survey_invitation": 0.2,
    "workforce.labour_market_tightness": 3.0,
}

PINNED = {
    "linear": {
        "engagement_sum": 14.500464109020704,
        "knowledge_sum": 55.02873777354059,
        "attitude_sum": 1239.1463621538664,
        "expectation_sum": 405.20818471139887,
        "members": 206,
        "generations": 7,
        "visits": 4543.0,
        "profit_focal": -1680.0016870006862,
        "feedback_items": 1064.0,
    },
    "triangular": {
        "engagement_sum": 14.475808623898178,
        "knowledge_sum": 55.89993008261796,
        "attitude_sum": 1241.614359483214,
        "expectation_sum": 404.6913422592872,
        "members": 198,
        "generations": 7,
        "visits": 4546.0,
        "profit_focal": -1899.3666438603232,
        "feedback_items": 1068.0,
    },
    0.5: {
        "engagement_sum": 14.503303704916846,
        "knowledge_sum": 55.040911486887154,
        "attitude_sum": 1236.4650656603371,
        "expectation_sum": 402.96999030278175,
        "members": 190,
        "generations": 7,
        "visits": 4543.0,
        "profit_focal": -2220.589739617786,
        "feedback_items": 1041.0,
    },
}


@pytest.mark.parametrize("structure", list(PINNED), ids=str)
def test_small_run_outputs_are_pinned(structure):
    sc = load_scenario(SCENARIOS / "loyalty_programme.toml", OVERRIDES)
    m = ServiceProfitChainModel(sc, structure, seed=2024)
    df = m.run(60)
    focal = df[df.firm == 0]
    got = {
        "engagement_sum": float(m.staff.engagement.sum()),
        "knowledge_sum": float(m.staff.knowledge.sum()),
        "attitude_sum": float(m.customers.attitude.sum()),
        "expectation_sum": float(m.customers.expectation.sum()),
        "members": int(m.customers.member.sum()),
        "generations": int(m.staff.generation.sum()),
        "visits": float(df.visits.sum()),
        "profit_focal": float(focal.profit.sum()),
        "feedback_items": float(df.feedback_items.sum()),
    }
    # relative 1e-12: state sums may differ only by floating-point summation order
    assert got == pytest.approx(PINNED[structure], rel=1e-12)
