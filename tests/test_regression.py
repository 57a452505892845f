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

PINNED = {'linear': {'engagement_sum': 14.467440254808043,
            'knowledge_sum': 54.999330881931726,
            'attitude_sum': 1218.3201684456358,
            'expectation_sum': 395.8385531860987,
            'members': 208,
            'generations': 7,
            'visits': 4544.0,
            'profit_focal': -2144.0380957234966,
            'feedback_items': 1096.0},
 'triangular': {'engagement_sum': 14.461250135829609,
                'knowledge_sum': 54.46107249954529,
                'attitude_sum': 1204.5945469433268,
                'expectation_sum': 390.09041017791606,
                'members': 199,
                'generations': 7,
                'visits': 4538.0,
                'profit_focal': -2578.346651842479,
                'feedback_items': 1041.0},
 0.5: {'engagement_sum': 14.435610063991156,
       'knowledge_sum': 54.58192232083515,
       'attitude_sum': 1191.947690559924,
       'expectation_sum': 387.98163149239343,
       'members': 201,
       'generations': 7,
       'visits': 4536.0,
       'profit_focal': -2781.682342600272,
       'feedback_items': 1079.0}}


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
