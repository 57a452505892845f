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
        "engagement_sum": 5.741282947323674,
        "knowledge_sum": 27.183603882876376,
        "attitude_sum": 1158.2465478025076,
        "expectation_sum": 454.20022090073127,
        "members": 237,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 5784.0,
        "feedback_items": 1046.0,
    },
    "triangular": {
        "engagement_sum": 6.26231229760719,
        "knowledge_sum": 29.54051776700883,
        "attitude_sum": 1194.7291103465786,
        "expectation_sum": 463.5023071125089,
        "members": 250,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 7597.5,
        "feedback_items": 1090.0,
    },
    0.5: {
        "engagement_sum": 6.361004109520284,
        "knowledge_sum": 28.69526617813235,
        "attitude_sum": 1198.2499549880063,
        "expectation_sum": 462.9114134175207,
        "members": 246,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 7669.0,
        "feedback_items": 1063.0,
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
