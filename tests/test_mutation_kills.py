"""Behavioural tests for mutants that survived a mutation run (tools/mutation.py).

Each test checks what the code is for, not a number it printed: its docstring names
the planted bug (the surviving mutant) it catches, so a later run that finds the mutant
killed shows the test doing its job.
"""

from __future__ import annotations

import pytest

from sim import ScenarioError
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
