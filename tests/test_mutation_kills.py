"""Behavioural tests for mutants that survived a mutation run (tools/mutation.py).

Each test checks what the code is for, not a number it printed: its docstring names
the planted bug (the surviving mutant) it catches, so a later run that finds the mutant
killed shows the test doing its job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import ScenarioError
from sim.lessons import load_lesson
from sim.runner import compare


@pytest.mark.parametrize("bad", [None, {"customers": {}}])
def test_compare_without_a_scenario_is_an_input_error(bad):
    """``compare`` needs a scenario: None (allowed by the model's own check, where it
    means the defaults) or a plain dict is refused with the one-line message before any
    run starts. Catches the scenario check called with None allowed
    (``checks.scenario(scenario)`` in ``compare``: mutant x_compare__mutmut_5), which
    lets None through to fail later with an AttributeError."""
    with pytest.raises(ScenarioError, match=r"^scenario: must be a sim\.Scenario"):
        compare(bad, replications=1, days=2)


LESSON = Path(__file__).resolve().parents[1] / "lessons" / "who_hears_the_customer.toml"


@pytest.mark.parametrize(
    "table, where, allowed",
    [
        (None, "bogus", "lesson, step"),
        ("[lesson]", "lesson.bogus", "title, summary"),
        ("[[step]]", "step.0.bogus", "title, narration, scenario, set, seed, days, predict"),
        ("[step.predict]", "step.0.predict.bogus", "question, metric, tolerance"),
    ],
)
def test_an_unknown_lesson_field_names_the_fields_allowed_there(tmp_path, table, where, allowed):
    """A misspelt key in a lesson file is refused with the fields of the table it is in,
    not the scenario's (the message listed market, customers, ... for every lesson table
    before the lesson schema was passed on). Catches the lesson schema dropped from
    ``format_validation_error``, array-of-tables indices not walked through, and the
    look-through of an optional table (``predict``) removed (mutants
    x__allowed__mutmut_29, 30 and 31)."""
    text = LESSON.read_text()
    if table is None:
        text = "bogus = 1\n" + text
    else:
        assert table in text
        text = text.replace(table, f"{table}\nbogus = 1", 1)
    bad = tmp_path / "lesson.toml"
    bad.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_lesson(bad)
    assert str(info.value) == f"{bad}: {where} = 1: unknown field; allowed here: {allowed}"
