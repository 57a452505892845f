"""Scenario loading and validation: every bad-input class gives a clear one-liner."""

from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# ------------------------------------------- bounds: every field, both ends, invalid draws
PARAMS = [p for p in iter_parameters() if not isinstance(p.default, bool | str)]
RANGES = [p for p in PARAMS if isinstance(p.default, list)]
SCALARS = [p for p in PARAMS if not isinstance(p.default, list)]
BOUND_WORDS = ("greater than or equal", "less than or equal", "must lie within")


def _load(path: str, value):
    return load_scenario(None, {path: value})


@pytest.mark.parametrize("param", RANGES, ids=lambda p: p.path)
def test_a_range_with_one_end_out_of_bounds_is_rejected(param):
    """[low, high] pairs with only the low or only the high end outside the field's
    bounds are errors naming the field (e.g. expectation_init = [-0.5, 0.5] or
    skill_init = [0.5, 1.7]); pairs on the bounds themselves are accepted.

    Catches: the bounds check joining its two conditions with `and` (one end out of
    bounds then loads), or comparing with < / > the wrong way at the bounds.
    """
    lo, hi = param.low, param.high
    a, b = param.default
    for pair in ([lo - 0.5, b], [a, hi + 0.7], [lo - 0.2, lo - 0.1], [hi + 0.1, hi + 0.2]):
        with pytest.raises(ScenarioError) as info:
            _load(param.path, pair)
        (line,) = info.value.problems
        assert f"{param.path} = " in line and f"{lo} <= low <= high <= {hi}" in line
        assert f": must lie within [{lo}, {hi}];" in line or "inverted" in line
    for pair in ([lo, hi], [lo, lo], [hi, hi]):
        assert _load(param.path, pair) is not None
    for wrong_length in ([a], [a, a, b]):
        with pytest.raises(ScenarioError, match=rf"must be a pair \[low, high\] within \[{lo}, "):
            _load(param.path, wrong_length)


finite_or_not = st.one_of(
    st.floats(-1.5, 2.5),
    st.sampled_from([0.0, 1.0, -1e-9, 1 + 1e-9, math.nan, math.inf, -math.inf]),
)


@settings(max_examples=150, deadline=None)
@given(param=st.sampled_from(RANGES), a=finite_or_not, b=finite_or_not)
def test_range_fields_accept_exactly_the_ordered_pairs_within_bounds(param, a, b):
    """Drawn pairs, valid and invalid alike, load if and only if both ends are finite,
    ordered and inside the field's bounds."""
    lo, hi = param.low, param.high
    valid = math.isfinite(a) and math.isfinite(b) and lo <= a <= b <= hi
    if valid:
        s = _load(param.path, [a, b])
        section, name = param.path.split(".")
        assert getattr(getattr(s, section), name) == [a, b]
    else:
        with pytest.raises(ScenarioError, match=param.path.replace(".", r"\.")):
            _load(param.path, [a, b])


@st.composite
def scalar_values(draw):
    p = draw(st.sampled_from(SCALARS))
    lo, hi = p.low, p.high
    if isinstance(p.default, int):
        step = max(1, (hi - lo) // 4)
        value = draw(
            st.one_of(st.integers(lo - step, hi + step), st.sampled_from([lo - 1, lo, hi, hi + 1]))
        )
    else:
        span = (hi - lo) / 4
        value = draw(
            st.one_of(
                st.floats(lo - span, hi + span),
                st.sampled_from([lo, hi, lo - 1e-6 * max(1, abs(lo)), hi + 1e-6 * max(1, hi)]),
            )
        )
    return p, value


@settings(max_examples=300, deadline=None)
@given(scalar_values())
def test_scalar_fields_reject_exactly_the_values_outside_their_bounds(drawn):
    """Every numeric parameter: a value outside [low, high] is an error naming the field
    and its allowed range; a value inside is never refused for its bounds (a field may
    still refuse it by a documented rule relating it to another field).

    Catches: a bound documented in the schema but not enforced (or enforced as an open
    interval), a bound shifted in P().
    """
    p, value = drawn
    inside = p.low <= value <= p.high
    try:
        _load(p.path, value)
    except ScenarioError as exc:
        (line,) = exc.problems
        if inside:  # refused by a rule relating it to another field, not by its bounds
            assert not any(w in line for w in BOUND_WORDS), line
        else:
            assert f"{p.path} = " in line and f"from {p.low} to {p.high}" in line
    else:
        assert inside, f"{p.path} = {value} loaded outside [{p.low}, {p.high}]"


def test_rules_that_relate_two_fields():
    """warmup_days < days, disengaged < engaged threshold, an even contact degree.

    Catches: `>` instead of `>=` in either comparison, the parity check inverted.
    """
    assert load_scenario(None, {"market.days": 100, "market.warmup_days": 99})
    with pytest.raises(ScenarioError, match=r"market\.warmup_days = 100: must be below"):
        load_scenario(None, {"market.days": 100, "market.warmup_days": 100})
    assert load_scenario(None, {"employees.disengaged_threshold": 0.61})
    with pytest.raises(ScenarioError, match=r"disengaged_threshold = 0\.62: must be below"):
        load_scenario(None, {"employees.disengaged_threshold": 0.62})
    assert load_scenario(None, {"word_of_mouth.degree": 4})
    with pytest.raises(ScenarioError, match=r"word_of_mouth\.degree = 5: must be even"):
        load_scenario(None, {"word_of_mouth.degree": 5})


def test_override_values_may_contain_an_equals_sign():
    """Only the first `=` separates key and value. Catches split on every `=` or the last."""
    assert parse_override("meta.description=a=b") == ("meta.description", "a=b")
    assert parse_override(" customers.count = 300 ") == ("customers.count", 300)


def test_errors_in_overrides_of_a_scenario_object_name_the_scenario():
    """Scenario.with_overrides names the override (how it was given), not the file."""
    s = load_scenario(SCENARIOS / "micromanager.toml")
    with pytest.raises(ScenarioError) as info:
        s.with_overrides({"customers.count": 1})
    assert info.value.problems[0].startswith("overrides: customers.count = 1: ")


def test_a_table_override_with_a_new_subtable_is_an_unknown_field():
    """Merging {bogus: {...}} into the file's [firm] table leaves `bogus` for the schema to
    reject by name. Catches the merge descending into a table the file does not have."""
    with pytest.raises(ScenarioError, match=r"firm\.bogus = \(a table\): unknown field"):
        load_scenario(SCENARIOS / "micromanager.toml", {"firm": {"bogus": {"x": 1}}})


def test_error_lines_in_full():
    """Whole lines, not fragments: a fragment check passes on a garbled line.

    Catches: the message or placeholder text mangled ("XXunknown fieldXX" still contains
    "unknown field"), the dotted path of a nested non-table joined wrongly, later errors
    dropped after a table-valued one, an empty `allowed` hint leaving a dangling "; ",
    values that JSON cannot encode (TOML dates) crashing the report.
    """
    _, problems = _problems_of({"customers.visits": 3})
    assert problems == [
        "overrides: customers.visits = 3: unknown field; allowed here: "
        + ", ".join(Scenario.model_fields["customers"].annotation.model_fields)
    ]
    _, problems = _problems_of({"customers.count": {"a": 1}, "customers.harshness": 2})
    assert problems[0] == (
        'overrides: customers.count = {"a": 1}: customers.count: Input should be a valid integer'
    )
    assert problems[1].startswith("overrides: customers.harshness = 2: Input should be less")
    _, problems = _problems_of({"customers.expectation_init": ["a", 0.5]})
    assert problems == [
        'overrides: customers.expectation_init = ["a", 0.5]: customers.expectation_init.0 = "a": '
        "Input should be a valid number"
    ]
    _, problems = _problems_of({"meta.name": datetime.date(1979, 5, 27)})
    assert problems == [
        'overrides: meta.name = "1979-05-27": Input should be a valid string (read as a TOML '
        "date; quote text: key='\"...\"'); allowed: str"
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(None, {"firm.supervisor": "x", "firm.supervisor.style": 1})
    assert info.value.problems == [
        "overrides: firm.supervisor.style = 1: firm.supervisor is not a table"
    ]


def _problems_of(overrides):
    with pytest.raises(ScenarioError) as info:
        load_scenario(None, overrides)
    return None, info.value.problems


def test_a_folder_or_a_binary_file_is_refused_by_name(tmp_path):
    """Catches the folder and encoding messages lost (an empty problem list)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert info.value.problems == [f"{tmp_path}: is a folder, not a scenario file"]
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe[customers]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(binary)
    assert info.value.problems == [f"{binary}: not a UTF-8 text file"]
