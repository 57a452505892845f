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
        "engagement_sum": 13.312261620089247,
        "knowledge_sum": 49.29763357569522,
        "attitude_sum": 1203.9355109687344,
        "expectation_sum": 389.5782387179434,
        "members": 194,
        "generations": 5,
        "visits": 4541.0,
        "profit_focal": -7880.92744554488,
        "feedback_items": 1005.0,
    },
    "triangular": {
        "engagement_sum": 13.021172924263599,
        "knowledge_sum": 50.03611265865854,
        "attitude_sum": 1208.6716820105948,
        "expectation_sum": 389.7560467984149,
        "members": 188,
        "generations": 5,
        "visits": 4542.0,
        "profit_focal": -8060.00542140067,
        "feedback_items": 995.0,
    },
    0.5: {
        "engagement_sum": 13.358231836572415,
        "knowledge_sum": 49.25928516199721,
        "attitude_sum": 1198.5521791787264,
        "expectation_sum": 390.1703466422698,
        "members": 192,
        "generations": 5,
        "visits": 4543.0,
        "profit_focal": -7857.539328033335,
        "feedback_items": 990.0,
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
