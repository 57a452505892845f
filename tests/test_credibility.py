"""Issue 7's defect list, the items no other test pins down.

Each test names the defect it shows gone. The others are pinned in test_market,
test_mechanisms, test_staff, test_parameters_move and test_facts (see the audit table in
the report of branch h/cred2).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import iter_parameters
from sim.model import ServiceProfitChainModel

from .conftest import SCENARIOS

# Parameters that are not behavioural, so need no source or assumption label (one list;
# each with its reason).
NOT_BEHAVIOURAL = {
    "meta.name": "a label",
    "meta.description": "a label",
    "analysis.replications": "how many runs a comparison makes",
    "analysis.seed": "the root seed of a comparison",
    "structures.linear.direct_share": "the definition of the linear structure",
    "structures.triangular.direct_share": "the definition of the triangular structure",
    # accounting inputs in currency units: they set profit's level, not any behaviour
    "firm.policy.wage": "accounting input",
    "firm.policy.supervisor_wage": "accounting input",
    "firm.policy.fixed_cost": "accounting input",
    "firm.policy.hiring_cost": "accounting input",
    "firm.policy.training_cost": "accounting input",
}
# assumption-labelled settings that are the scenario's own choices, not estimates
LEVERS_AND_RUN_SETTINGS = {"market.days", "market.warmup_days", "market.competitor_structure"}


def test_every_behavioural_parameter_has_a_source_or_a_checked_assumption():
    """Defect: "only about a quarter of the behavioural parameters cite a source". Every
    parameter of every section (not only the employee side, test_staff) carries a source
    or an assumption label; an assumption names the range it was checked over unless it
    is a scenario lever or a run setting."""
    params = list(iter_parameters())
    assert set(NOT_BEHAVIOURAL) <= {p.path for p in params}  # the list names real ones
    missing = [p.path for p in params if not p.basis and p.path not in NOT_BEHAVIOURAL]
    assert not missing, missing
    unchecked = [
        p.path
        for p in params
        if p.assumption
        and not p.source
        and "checked over [" not in p.assumption
        and "lever" not in p.assumption
        and p.path not in LEVERS_AND_RUN_SETTINGS
    ]
    assert not unchecked, unchecked


@pytest.fixture(scope="module")
def baseline_year():
    """The shipped baseline (6,000 customers, three firms), one year, both structures on
    the same seed; per firm over the measured window: staff, teams, quits a year, return
    on sales."""
    from sim import load_scenario

    sc = load_scenario(SCENARIOS / "baseline.toml")
    out = {}
    for structure in ("linear", "triangular"):
        m = ServiceProfitChainModel(sc, structure, seed=1)
        df = m.run(365)
        w = df[df["day"] >= sc.market.warmup_days]
        g = w.groupby("firm")
        days = w["day"].nunique()
        out[structure] = {
            "staff": g["staff_on_duty"].mean().to_numpy(),
            "teams": np.bincount(m.staff.supervisor_firm, minlength=sc.market.firms),
            # turnover_rate is quits per employee a year: back to quits a year per firm
            "quits": (
                (w["turnover_rate"] * w["staff_on_duty"]).groupby(w["firm"]).sum() / days
            ).to_numpy(),
            "ros": (g["profit"].sum() / g["revenue"].sum()).to_numpy(),
        }
    return out


@pytest.mark.slow
def test_default_firms_have_several_teams_and_turnover_of_many_people(baseline_year):
    """Defect: "with 10 staff per firm, turnover rests on about 0.5 quits per run; with
    identical teams there is no between-team variation". The default firm has over 20
    staff in at least 3 teams (measured 26-28 in 4), and quits run at several a year per
    firm (measured 11-19 a year on seed 1; margin: at least 5)."""
    lin = baseline_year["linear"]
    assert (lin["staff"] > 20).all(), lin["staff"]
    assert (lin["teams"] >= 3).all(), lin["teams"]
    assert (lin["quits"] >= 5).all(), lin["quits"]


@pytest.mark.slow
def test_structure_alone_moves_return_on_sales_by_points_not_tens_of_points(baseline_year):
    """Defect: "staffing is fixed, so return on sales swings from 7.5 % to 34 % with
    structure alone". With staffing that follows demand and an outside option, every firm's
    return on sales is a realistic single-digit-to-teens figure (measured 11.9-13.0 %;
    band 3-25 %) and the focal firm's structure moves its own by under 2 points (measured
    0.2 points; the defect was 26.5 points)."""
    lin, tri = baseline_year["linear"], baseline_year["triangular"]
    for r in (lin["ros"], tri["ros"]):
        assert ((r > 0.03) & (r < 0.25)).all(), r
    assert abs(tri["ros"][0] - lin["ros"][0]) < 0.02, (tri["ros"][0], lin["ros"][0])
