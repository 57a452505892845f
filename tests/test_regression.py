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
        "engagement_sum": 5.4465371523906425,
        "knowledge_sum": 27.614680845794787,
        "attitude_sum": 1148.8391807733228,
        "expectation_sum": 451.6936932927582,
        "members": 246,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 6877.5,
        "feedback_items": 1075.0,
    },
    "triangular": {
        "engagement_sum": 5.816869069027142,
        "knowledge_sum": 29.687211059066257,
        "attitude_sum": 1174.8835939155374,
        "expectation_sum": 457.9341883985148,
        "members": 249,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 8551.5,
        "feedback_items": 1064.0,
    },
    0.5: {
        "engagement_sum": 5.888257221835347,
        "knowledge_sum": 28.85226526857486,
        "attitude_sum": 1174.3193450351382,
        "expectation_sum": 456.73751218409154,
        "members": 252,
        "generations": 4,
        "visits": 5401.0,
        "profit_focal": 8313.5,
        "feedback_items": 1066.0,
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
