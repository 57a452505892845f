"""Simulated surveys: instruments, measurement realism, common random numbers, recovery of
the model's true drivers, and the commands ``spc survey`` / ``spc drivers``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim import ScenarioError, load_scenario
from sim.cli import main
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
    """A 4,000-customer market (about 55 staff) after 120 days, with its workload memory."""
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


def test_the_survey_truth_is_the_models_own_terms(small_run):
    """The true drivers are read through the model's own functions: the employee
    constructs' terms add up to the job balance the JD-R target moves engagement by,
    and intent to return is the logit share of the customer's firm among the firms
    and no firm, by the utilities the model chooses by."""
    from sim import engagement

    model, memory = small_run
    lat = employee_latents(model, None, memory)
    rows = lat.ids["employee"].to_numpy()
    balance = engagement.job_balance(model.config.engagement, **model.job_inputs(memory.value))
    total = sum(lat.contributions.values())
    np.testing.assert_allclose(total, balance[rows], rtol=0, atol=1e-12)
    cus = customer_latents(model)
    who = cus.ids["customer"].to_numpy()
    util, _ = model.choice_utilities(who)
    outside = model.config.customers.outside_utility
    share = np.exp(util) / (np.exp(util).sum(axis=0) + np.exp(outside))
    firm = cus.ids["firm"].to_numpy()
    np.testing.assert_allclose(
        cus.values["intent_to_return"], share[firm, np.arange(who.size)], rtol=1e-12
    )
    # the recommend construct is the customers' 0-10 state itself
    assert (cus.values["recommend"] == model.customers.recommend[who]).all()


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
    model, _ = small_run
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


# ------------------------------------------------------------------ commands
@dataclass
class Proc:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def spc(capsys):
    """``spc`` in this process (the CLI's own subprocess behaviour is tested in test_cli)."""

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return Proc(code, out.out, out.err)

    return run


def test_spc_survey_and_drivers_end_to_end(tmp_path, spc):
    out = tmp_path / "survey"
    base = SCENARIOS / "baseline.toml"
    proc = spc(
        "survey",
        base,
        "--set",
        "customers.count=3000",
        "--waves",
        "40,80",
        "--customers",
        400,
        "--out",
        out,
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert "wave 1 (day 80)" in proc.stdout
    emp = pd.read_parquet(out / "employees.parquet")
    truth = pd.read_parquet(out / "employees_truth.parquet")
    assert set(emp["wave"]) == {0, 1} and len(emp) < len(truth) and truth["responded"].any()
    assert {"eng1", "aut2", "firm", "team", "day"} <= set(emp.columns)
    # the recommend latent is the customers' own 0-10 likelihood-to-recommend state
    cus_truth = pd.read_parquet(out / "customers_truth.parquet")
    assert set(cus_truth["recommend"]) <= set(range(11)) and cus_truth["recommend"].nunique() > 2
    drivers = pd.read_csv(out / "true_drivers.csv")
    assert set(drivers["population"]) == {"employees", "customers"}
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 1 and prov["instrument"] == "standard" and prov["days"] == [40, 80]
    assert prov["parameters"]["customers"]["count"] == 3000
    proc = spc("drivers", out, "--bootstrap", 30)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for needle in (
        "key drivers of engagement",
        "key drivers of intent_to_return",
        "alpha",
        "true rank",
        "rank agreement",
        "NPS",
        "not beside satisfaction: quality, relationship",
        "key drivers of satisfaction",
    ):
        assert needle in text
    assert (out / "drivers.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--firm", "7"], "--firm 7: the market has 3 firms"),
        (["--instrument", "nowhere.toml"], "nowhere.toml: no such instrument file"),
        (["--set", "customers.count=-4"], "customers.count = -4"),
    ],
)
def test_spc_survey_bad_input_is_one_line_exit_2(tmp_path, spc, args, needle):
    proc = spc("survey", SCENARIOS / "baseline.toml", *args, "--out", tmp_path / "o", "--quiet")
    assert proc.returncode == 2 and needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_spc_drivers_on_a_folder_that_is_not_a_survey(tmp_path, spc):
    proc = spc("drivers", tmp_path)
    assert proc.returncode == 2 and "no instrument.toml" in proc.stderr


# ------------------------------------------------------------------ recovery
@pytest.fixture(scope="module")
def big_market():
    """A 40,000-customer linear market (about 520 staff) after 150 days: latents of all."""
    sc = load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 40_000})
    model = ServiceProfitChainModel(sc, structure="linear", seed=21)
    memory = WorkloadMemory(model)
    for _ in range(150):
        model.step()
        memory.update(model)
    return {
        "employees": employee_latents(model, None, memory),
        "customers": customer_latents(model),
    }


def _recovery(lat, inst, pop, outcome, respondents, draws, key="recovered"):
    """How many of ``draws`` surveys recover the true driver set (``key="recovered"``) or
    name the true top driver first (``key="top1"``)."""
    part = inst.part(pop)
    hits = []
    for d in range(draws):
        ps = draw(
            lat[pop],
            part,
            outcome,
            math.ceil(respondents / part.response.rate),
            survey_rng(100 + d, d, pop),
        )
        hits.append(analyse(ps.responses, part, outcome, ps.drivers, bootstrap=0)[key])
    return sum(hits)


@pytest.mark.slow
def test_a_few_hundred_respondents_recover_the_true_drivers(big_market):
    # measured on the merged model with these seeds: 8/10 at ~335 respondents with the
    # balanced employee scales (5/10 before they were balanced: involvement and reward, equal
    # for everyone, correlated with engagement through yea-saying alone); docs/surveys.md
    # gives the study's figures; margin: at least 7 of 10 here
    assert _recovery(big_market, STANDARD, "employees", "engagement", 400, 10) >= 7


@pytest.mark.slow
def test_a_few_hundred_customers_recover_the_drivers_of_intent_to_return(big_market):
    # measured 2026-11-27 with these seeds after feedback.self_attention was re-calibrated
    # to 1.3: the driver set (satisfaction, the alternatives) in 19/20 surveys of 400
    # respondents (13/20 at 200, 10/10 at 800; at self-attention 2.5, 8/10 at 200); before
    # the instrument's customer scales were balanced and quality was analysed at its own
    # stage, 2-4/10 at 200-800. Margin: at least 15 of 20 (at a true rate of 0.95, fewer
    # than 15 has probability below 0.3 %)
    assert _recovery(big_market, STANDARD, "customers", "intent_to_return", 400, 20) >= 15


@pytest.mark.slow
def test_why_intent_drivers_were_missed_mediator_antecedents_and_yea_saying(big_market):
    """The two causes of the earlier misses, each shown where sampling cannot be blamed:
    on the latent values or a census of the whole 40,000-customer market."""
    from sim.drivers import lmg_from_corr
    from sim.instruments import Instrument
    from sim.surveys import driver_constructs, scale_scores

    lat = big_market["customers"]
    truth = draw(lat, STANDARD.customers, "intent_to_return", 10, survey_rng(0, 0, "c")).drivers
    imp = truth.set_index("construct")["importance"]
    assert imp["quality"] == 0 and imp["alternatives"] > 0
    # 1. quality has no direct weight on intent, but beside its own mediator
    # (satisfaction, r ~ 0.6) LMG hands it part of satisfaction's share, more than the
    # alternatives' real one: measured 0.071 vs 0.012 on the latents, no error, no sampling
    cols = ["intent_to_return", "satisfaction", "quality", "relationship", "alternatives"]
    lmg = lmg_from_corr(np.corrcoef(lat.values[cols].to_numpy().T))
    share = dict(zip(cols[1:], lmg, strict=True))
    assert share["quality"] > 2 * share["alternatives"]
    # so the analysis takes intent's drivers at its own stage
    drivers, upstream = driver_constructs(STANDARD.customers, "intent_to_return")
    assert upstream == {"quality": "satisfaction", "relationship": "satisfaction"}
    assert {"satisfaction", "alternatives"} <= set(drivers) and "quality" not in drivers
    # 2. yea-saying: with forward-keyed items only, acquiescence adds a shared method
    # correlation to every scale; the alternatives' negative effect vanishes (measured
    # r = -0.01-0.01 vs -0.15 to -0.16 balanced) and the programme scale, with no true
    # variation in this market, correlates 0.18-0.19 with intent (0.00-0.02 balanced). Census of
    # ~12,600 respondents: the correlations' standard error is ~0.01
    data = STANDARD.model_dump()
    data["customers"]["items"] = [i for i in data["customers"]["items"] if not i["reverse"]]
    forward = Instrument.model_validate(data)
    r = {}
    for name, inst in (("balanced", STANDARD), ("forward", forward)):
        ps = draw(lat, inst.customers, "intent_to_return", None, survey_rng(3, 0, "customers"))
        r[name] = scale_scores(ps.responses, inst.customers).corr()["intent_to_return"]
    assert r["balanced"]["alternatives"] < -0.1 and abs(r["forward"]["alternatives"]) < 0.05
    assert abs(r["balanced"]["rewards"]) < 0.05 and r["forward"]["rewards"] > 0.1
    # every multi-item customer scale of the shipped instrument is balanced
    for c in STANDARD.customers.constructs():
        items = STANDARD.customers.items_of(c)
        if len(items) > 1:
            assert 2 * sum(i.reverse for i in items) == len(items), c


def test_antecedents_stay_drivers_when_their_mediator_is_not_measured():
    from sim.surveys import driver_constructs

    # the brief instrument asks no quality: nothing is left out
    assert driver_constructs(BRIEF.customers, "intent_to_return") == (["satisfaction"], {})
    data = STANDARD.model_dump()
    data["customers"]["items"] = [
        i for i in data["customers"]["items"] if i["construct"] != "satisfaction"
    ]
    from sim.instruments import Instrument

    part = Instrument.model_validate(data).customers
    drivers, upstream = driver_constructs(part, "intent_to_return")
    assert upstream == {} and {"quality", "relationship", "alternatives"} <= set(drivers)


@pytest.mark.slow
def test_a_brief_instrument_and_small_samples_fail(big_market):
    # five items in all: the constructs that carry engagement (autonomy, harsh criticism,
    # recognition, ...) are not asked, so no sample size finds them
    assert _recovery(big_market, BRIEF, "employees", "engagement", 400, 4) == 0
    # Customers: the pull of the alternatives (~7 % of the true importance after the joint
    # calibration, above the 5 % line) is a driver the brief instrument does not ask
    # about, so it cannot recover the driver set either (measured 0 of 10 at 400).
    truth = draw(
        big_market["customers"], BRIEF.customers, "intent_to_return", 10, survey_rng(0, 0, "c")
    ).drivers
    top = truth.sort_values("importance", ascending=False)
    assert list(top["construct"][:2]) == ["satisfaction", "alternatives"]
    assert top["share"].iloc[1] >= 0.05
    assert _recovery(big_market, BRIEF, "customers", "intent_to_return", 400, 4) == 0
    # 25 respondents: measured 2/10 with these seeds; margin: at most 3 of 10
    assert _recovery(big_market, STANDARD, "employees", "engagement", 25, 10) <= 3


def test_unit_engagement_loyalty_correlation_is_measured_and_reproducible():
    sc = load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 1000})
    a = unit_engagement_loyalty_correlation(sc, markets=4, day=40, seed=4, customers_per_unit=60)
    b = unit_engagement_loyalty_correlation(sc, markets=4, day=40, seed=4, customers_per_unit=60)
    assert a["units"] == 12 and a["r_survey"] == b["r_survey"]
    assert -1 <= a["r_survey"] <= 1 and -1 <= a["r_latent"] <= 1
    lo, hi = a["r_survey_ci"]
    assert lo <= a["r_survey"] <= hi
    assert (a["table"]["employees_answered"] > 0).all()


@pytest.mark.slow
def test_focal_firm_surveys_tell_the_structures_apart():
    # docs/surveys.md: with 25-50 respondents per arm the meaning scale separates the
    # structures in 16/16 survey pairs; here ~65 focal-firm employees per arm, 10 pairs
    from scipy import stats

    from sim.surveys import scale_scores

    sc = load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 20_000})
    lat = {}
    for structure in ("linear", "triangular"):
        model = ServiceProfitChainModel(sc, structure=structure, seed=8)
        memory = WorkloadMemory(model)
        for _ in range(120):
            model.step()
            memory.update(model)
        lat[structure] = employee_latents(model, [0], memory)
    part = STANDARD.employees
    detected, diffs = 0, []
    for d in range(10):
        s = {
            st: scale_scores(
                draw(lat[st], part, "engagement", None, survey_rng(d, j, "e")).responses, part
            )
            for j, st in enumerate(("linear", "triangular"))
        }
        p = stats.ttest_ind(
            s["triangular"]["meaning"].dropna(), s["linear"]["meaning"].dropna()
        ).pvalue
        detected += p < 0.05
        diffs.append(s["triangular"]["engagement"].mean() - s["linear"]["engagement"].mean())
    assert detected >= 9
    # engagement is higher under the triangular structure in this market (docs: +0.15
    # points, too small for one survey pair to detect; the mean over 10 pairs is positive)
    assert np.mean(diffs) > 0
