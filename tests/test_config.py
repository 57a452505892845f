"""Scenario loading and validation: every bad-input class gives a clear one-liner."""

from __future__ import annotations

import pytest

from sim import Scenario, ScenarioError, load_scenario
from sim.config import iter_parameters, parse_override

from .conftest import SCENARIOS, scenario_file


def test_all_shipped_scenarios_load_and_differ_from_each_other():
    files = sorted(SCENARIOS.glob("*.toml"))
    assert len(files) >= 7
    digests = {load_scenario(f).digest() for f in files}
    assert len(digests) == len(files)


def test_every_scenario_starts_with_a_comment_saying_what_it_shows():
    for f in SCENARIOS.glob("*.toml"):
        first = f.read_text().lstrip().splitlines()[0]
        assert first.startswith("#") and len(first) > 20, f


def test_dotted_overrides_and_defaults():
    s = load_scenario(SCENARIOS / "baseline.toml", overrides={"customers.count": 20000})
    assert s.customers.count == 20000
    assert load_scenario().customers.count == Scenario().customers.count


def test_competitors_overlay_only_named_fields():
    s = load_scenario(SCENARIOS / "loyalty_programme.toml")
    assert s.firm_config(0).policy.loyalty_programme
    assert not s.firm_config(1).policy.loyalty_programme
    assert s.firm_config(1).policy.loyalty_reward == s.firm_config(0).policy.loyalty_reward


def _problems(tmp_path, text):
    path = scenario_file(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return path, info.value.problems


def test_unknown_key_names_file_field_value_and_allowed(tmp_path):
    path, problems = _problems(tmp_path, "[customers]\nvisits = 3\n")
    assert len(problems) == 1
    line = problems[0]
    assert str(path) in line and "customers.visits" in line and "3" in line
    assert "unknown field" in line and "visit_rate" in line


def test_unknown_section(tmp_path):
    _, problems = _problems(tmp_path, "[customer]\ncount = 3\n")
    assert "customer = " in problems[0] and "unknown field" in problems[0]
    assert "customers" in problems[0]


def test_wrong_type(tmp_path):
    _, problems = _problems(tmp_path, '[customers]\ncount = "many"\n')
    assert "customers.count" in problems[0] and '"many"' in problems[0]
    assert "int from 10 to 5000000" in problems[0]


def test_float_where_int_required_is_rejected(tmp_path):
    _, problems = _problems(tmp_path, "[customers]\ncount = 200.5\n")
    assert "customers.count = 200.5" in problems[0]


def test_out_of_range(tmp_path):
    _, problems = _problems(tmp_path, "[customers]\nvisit_rate = 1.5\n")
    assert "customers.visit_rate = 1.5" in problems[0]
    assert "0.001 to 1" in problems[0] and "1/day" in problems[0]


def test_inverted_range(tmp_path):
    _, problems = _problems(tmp_path, "[employees]\nskill_init = [0.9, 0.2]\n")
    assert "employees.skill_init = [0.9, 0.2]" in problems[0]
    assert "inverted range" in problems[0]


def test_bad_structure_name(tmp_path):
    _, problems = _problems(tmp_path, '[market]\ncompetitor_structure = "circular"\n')
    assert 'market.competitor_structure = "circular"' in problems[0]
    assert "'linear', 'triangular'" in problems[0]


def test_all_errors_reported_at_once(tmp_path):
    _, problems = _problems(
        tmp_path, '[customers]\ncount = -1\nharshness = 2\n[market]\nfirms = "x"\n'
    )
    assert len(problems) == 3


def test_error_inside_competitors_overlay_names_its_path(tmp_path):
    _, problems = _problems(tmp_path, "[competitors.supervisor]\nstyle = 1.5\n")
    assert "competitors.supervisor.style = 1.5" in problems[0]
    assert "from 0 to 1" in problems[0]


def test_toml_syntax_error_and_missing_file(tmp_path):
    _, problems = _problems(tmp_path, "[customers\ncount = 3\n")
    assert "not valid TOML" in problems[0]
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.toml")


def test_override_errors_name_the_field():
    with pytest.raises(ScenarioError, match=r"customers\.count = 3"):
        load_scenario(SCENARIOS / "baseline.toml", {"customers.count": 3})
    with pytest.raises(ScenarioError, match="unknown field"):
        load_scenario(SCENARIOS / "baseline.toml", {"customers.cont": 3000})


def test_parse_override_reads_toml_values():
    assert parse_override("customers.count=20000") == ("customers.count", 20000)
    assert parse_override("firm.policy.loyalty_programme=true")[1] is True
    assert parse_override("market.competitor_structure=triangular")[1] == "triangular"
    assert parse_override("employees.skill_init=[0.2, 0.4]")[1] == [0.2, 0.4]
    with pytest.raises(ScenarioError):
        parse_override("customers.count")


def test_every_parameter_documented():
    params = list(iter_parameters())
    assert len(params) > 80
    for p in params:
        if p.path.startswith("meta."):
            continue
        assert p.description, p.path
        assert p.unit, p.path
        if not isinstance(p.default, bool | str):
            assert p.low is not None and p.high is not None, p.path
            lo_ok = (p.default[0] if isinstance(p.default, list) else p.default) >= p.low
            hi_ok = (p.default[1] if isinstance(p.default, list) else p.default) <= p.high
            assert lo_ok and hi_ok, p.path


def test_digest_tracks_parameter_values_not_names():
    a = load_scenario(SCENARIOS / "baseline.toml")
    b = a.with_overrides({"meta.name": "renamed"})
    c = a.with_overrides({"customers.harshness": 0.5})
    assert a.digest() == b.digest() != c.digest()


def test_scenarios_with_competitor_overlays_pickle_for_worker_processes():
    import pickle

    s = load_scenario(SCENARIOS / "loyalty_programme.toml")
    assert pickle.loads(pickle.dumps(s)) == s


def test_a_table_override_merges_into_the_files_table():
    s = load_scenario(SCENARIOS / "micromanager.toml", {"firm.supervisor": {"style": 0.2}})
    assert s.firm.supervisor.style == 0.2
    assert s.firm.supervisor.pass_rate == 0.7  # kept from the file


def test_overriding_through_a_non_table_names_the_culprit():
    with pytest.raises(ScenarioError, match=r"firm\.supervisor\.style = 1: firm is not a table"):
        load_scenario(SCENARIOS / "baseline.toml", {"firm": "x", "firm.supervisor.style": 1})
