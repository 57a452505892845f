"""Simulated surveys: instruments, measurement realism, common random numbers, recovery of
the model's true drivers, and the commands ``spc survey`` / ``spc drivers``."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import ScenarioError, load_scenario
from sim.instruments import INSTRUMENTS, load_instrument
from sim.model import ServiceProfitChainModel
from sim.surveys import (
    WorkloadMemory,
    analyse,
    customer_latents,
    draw,
    employee_latents,
    nps,
    run_survey,
    survey_rng,
    unit_engagement_loyalty_correlation,
)

from .conftest import SCENARIOS, scenario_file

STANDARD = load_instrument(INSTRUMENTS / "standard.toml")
BRIEF = load_instrument(INSTRUMENTS / "brief.toml")


# ------------------------------------------------------------------ instruments
def test_shipped_instruments_load_and_brief_has_five_items():
    assert STANDARD.n_items() >= 40
    assert BRIEF.n_items() == 5
    assert {"engagement", "autonomy", "workload"} <= set(STANDARD.employees.constructs())
    assert {"intent_to_return", "recommend"} <= set(STANDARD.customers.constructs())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[employees.items]]\nid = "a"\nconstruct = "autonmy"\n',
            'employees.items[0].construct = "autonmy": unknown construct; allowed: engagement',
        ),
        (
            '[[customers.items]]\nid = "a"\nconstruct = "quality"\nloading = 1.5\n',
            "customers.items[0].loading = 1.5: Input should be less than or equal to 1; "
            "allowed: float from 0 to 1",
        ),
        (
            '[employees.response]\nrate = 0.5\nrat = 2\n[[employees.items]]\nid = "a"\n'
            'construct = "engagement"\n',
            "employees.response.rat = 2: unknown field; allowed here: rate, state_slope",
        ),
        (
            '[[employees.items]]\nid = "a"\nconstruct = "engagement"\n'
            '[[employees.items]]\nid = "a"\nconstruct = "autonomy"\n',
            "employees: item id 'a' is used twice",
        ),
    ],
)
def test_bad_instrument_is_one_line_naming_file_field_value_and_allowed(tmp_path, text, expected):
    path = scenario_file(tmp_path, text, "inst.toml")
    with pytest.raises(ScenarioError) as err:
        load_instrument(path)
    (line,) = err.value.problems
    assert line.startswith(f"{path}: ") and expected in line and "\n" not in line


# ------------------------------------------------------------------ measurement
@pytest.fixture(scope="module")
def small_run():
    """A 4,000-customer market (60 staff) after 120 days, with its workload memory."""
    sc = load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 4000})
    model = ServiceProfitChainModel(sc, structure="triangular", seed=5)
    memory = WorkloadMemory(model)
    for _ in range(120):
        model.step()
        memory.update(model)
    return model, memory


def test_a_survey_never_perturbs_the_simulation():
    sc = load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 600})
    waves, surveyed = run_survey(sc, STANDARD, structure="triangular", seed=3, days=[20, 40, 60])
    assert [w.day for w in waves] == [20, 40, 60]
    plain = ServiceProfitChainModel(sc, structure="triangular", seed=3)
    plain.run(60)
    pd.testing.assert_frame_equal(surveyed.firm_daily(), plain.firm_daily())
    # and its answers depend on the survey seed only
    again, _ = run_survey(sc, STANDARD, structure="triangular", seed=3, days=[20, 40, 60])
    other, _ = run_survey(sc, STANDARD, structure="triangular", seed=3, days=[60], survey_seed=9)
    pd.testing.assert_frame_equal(again[2].customers.responses, waves[2].customers.responses)
    assert not other[0].customers.responses.equals(again[2].customers.responses)


def test_disengaged_staff_and_dissatisfied_customers_answer_less(small_run):
    model, memory = small_run
    lat_e = employee_latents(model, None, memory)
    lat_c = customer_latents(model)
    gaps = {"employees": [], "customers": []}
    for d in range(12):
        for pop, lat, col in (
            ("employees", lat_e, "engagement"),
            ("customers", lat_c, "satisfaction"),
        ):
            part = STANDARD.part(pop)
            ps = draw(lat, part, "x", None if pop == "employees" else 1500, survey_rng(d, 0, pop))
            t = ps.truth
            gaps[pop].append(t.loc[t.responded, col].mean() - t.loc[~t.responded, col].mean())
    # state_slope 0.6 logit/sd: responders sit ~0.2-0.3 state sds higher;
    # the mean gap is positive by far more than its standard error (4 se margin, 12 surveys)
    for g in gaps.values():
        g = np.array(g)
        assert g.mean() > 4 * g.std(ddof=1) / math.sqrt(g.size)


def test_answers_follow_the_latent_with_acquiescence_and_top_box_skew(small_run):
    model, memory = small_run
    lat = customer_latents(model)
    ps = draw(lat, STANDARD.customers, "intent_to_return", None, survey_rng(1, 0, "customers"))
    resp = ps.responses.merge(ps.truth, on=["customer", "firm"]).dropna()
    # a forward item rises with its latent; a reverse-keyed one falls
    assert np.corrcoef(resp["sat1"].astype(float), resp["satisfaction"])[0, 1] > 0.4
    assert np.corrcoef(resp["sat3"].astype(float), resp["satisfaction"])[0, 1] < -0.3
    # leniency and yea-saying: more top boxes (4-5) than bottom boxes (1-2) overall
    likert = resp[["sat1", "sat2", "qua1", "qua2"]].astype(float).to_numpy().ravel()
    likert = likert[~np.isnan(likert)]
    assert (likert >= 4).mean() > (likert <= 2).mean() + 0.1
    assert set(np.unique(resp["nps"].dropna())) <= set(range(11))


def test_nps_counts_promoters_passives_and_detractors():
    part = STANDARD.customers
    answers = pd.DataFrame({"nps": pd.array([10, 9, 9, 8, 7, 6, 0, pd.NA, 10, 3], dtype="Int16")})
    got = nps(answers, part)
    assert got["n"] == 9
    assert got["promoters"] == pytest.approx(4 / 9) and got["detractors"] == pytest.approx(3 / 9)
    assert got["nps"] == pytest.approx(100 / 9)


def test_true_drivers_come_from_the_scenario_weights(small_run):
    model, memory = small_run
    lat = employee_latents(model, None, memory)
    ps = draw(lat, STANDARD.employees, "engagement", None, survey_rng(0, 0, "employees"))
    t = ps.drivers.set_index("construct")
    w = model.config.engagement
    rec = lat.values["recognition"].to_numpy()
    assert t.loc["recognition", "importance"] == pytest.approx(w.recognition * rec.std())
    # involvement is a firm-wide policy equal in every firm here: no spread, no driver
    assert t.loc["involvement", "importance"] == 0
    assert t.loc["workload", "direction"] in (-1, 0) and t.loc["recognition", "direction"] == 1
    # doubling a weight doubles that driver's true importance
    sc2 = model.config.with_overrides({"engagement.recognition": 2 * w.recognition})
    model.config = sc2
    try:
        t2 = draw(
            employee_latents(model, None, memory),
            STANDARD.employees,
            "engagement",
            None,
            survey_rng(0, 0, "employees"),
        ).drivers.set_index("construct")
    finally:
        model.config = sc2.with_overrides({"engagement.recognition": w.recognition})
    assert t2.loc["recognition", "importance"] == pytest.approx(
        2 * t.loc["recognition", "importance"]
    )
