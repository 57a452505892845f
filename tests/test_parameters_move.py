"""Every parameter changes something.

Each parameter of the schema (``sim.config.iter_parameters``, so parameters added later
are included automatically) is set to each end of its valid range in a tiny market and
the run is compared with the run at the defaults on the same seed. The test fails for a
parameter when no output moves at either end: not one daily metric of any firm, nor the
focal firm's summary over the measured window.

The base market switches every optional mechanism on (loyalty programme, repeat bonus,
surveys, overload, quits, a price difference), so that parameters which only act through
them can act; the
focal firm is triangular and its competitors linear, so both structure presets are used.
The rare parameters that intentionally move no model output are listed in
``INTENDED_EXCEPTIONS`` with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import ScenarioError, load_scenario
from sim.config import ParamInfo, iter_parameters
from sim.metrics import summarise
from sim.runner import RunSpec, run_one

DAYS = 40
SEED = 5
BASE = {
    "customers.count": 300,
    "market.warmup_days": 10,
    "firm.policy.staff_per_1000_customers": 40.0,  # 4 employees per firm
    "firm.supervisor.span_of_control": 2,  # two teams per firm
    "service.capacity": 2,  # some time pressure, so workload weights act
    "workforce.base_quit_rate": 0.01,  # quits and hires within the run
    "firm.policy.loyalty_programme": True,
    "firm.policy.repeat_bonus": 5.0,
    "feedback.survey_invitation": 0.2,
    "competitors.policy.price": 33.0,  # prices differ, so price can act on choice
}
# Cheap ends for parameters whose valid range reaches sizes a test cannot afford.
CAPS = {"customers.count": 400}

# Parameters that move no model output on purpose (one list; keep it short).
INTENDED_EXCEPTIONS = {
    "meta.name": "a label for reports",
    "meta.description": "a label for reports",
    "market.days": "default horizon for the runner and CLI; a run's length is its own argument",
    "analysis.replications": "read by sim.runner.compare, not by a run",
    "analysis.seed": "read by sim.runner.compare, not by a run (a run's seed is its argument)",
}


def _base():
    return load_scenario(None, BASE)


def _ends(p: ParamInfo) -> list:
    """The two ends of the valid range (other choices for flags and names), each
    different from the base market's value."""
    d = p.value
    if isinstance(d, bool):
        return [not d]
    if isinstance(d, str):
        return [c.strip() for c in p.unit.split("|") if c.strip() and c.strip() != d]
    lo, hi = p.low, min(p.high, CAPS.get(p.path, p.high))
    if isinstance(d, list):
        return [[lo, lo], [hi, hi]]
    return [v for v in (lo, hi) if v != d]


def _scenario(p: ParamInfo, value):
    """The base with ``p`` at ``value``; if a cross-field check refuses it, the nearest
    accepted value on the way back to the default (e.g. a threshold kept below another)."""
    base_value = _base()
    d = p.value
    for _ in range(12):
        try:
            return base_value.with_overrides({p.path: value})
        except ScenarioError:
            if isinstance(d, int | float) and not isinstance(d, bool):
                mid = (value + d) / 2
                value = round(mid) if isinstance(d, int) else mid
                if p.path == "word_of_mouth.degree":
                    value -= value % 2
            else:
                return None
    return None


def _outputs(scenario) -> tuple[np.ndarray, np.ndarray]:
    df = run_one(RunSpec(scenario, "triangular", SEED, DAYS))
    window = df[(df["firm"] == 0) & (df["day"] >= scenario.market.warmup_days)]
    summary = np.array(list(summarise(window).values()), dtype=float)
    daily = df.drop(columns=["replication", "structure", "seed"]).to_numpy(dtype=float)
    return daily, summary


def _same(a, b) -> bool:
    return a[0].shape == b[0].shape and all(
        np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b, strict=True)
    )


PARAMS = [p for p in iter_parameters(_base())]


def test_exceptions_name_existing_parameters():
    known = {p.path for p in PARAMS}
    assert set(INTENDED_EXCEPTIONS) <= known, set(INTENDED_EXCEPTIONS) - known


@pytest.mark.slow
def test_every_parameter_moves_some_output():
    reference = _outputs(_base())
    inert = []
    for p in PARAMS:
        if p.path in INTENDED_EXCEPTIONS:
            continue
        moved = False
        tried = []
        for v in _ends(p):
            sc = _scenario(p, v)
            if sc is None:
                continue
            tried.append(v)
            if not _same(_outputs(sc), reference):
                moved = True
                break
        if not moved:
            inert.append(f"{p.path} (tried {tried})")
    assert not inert, "parameters that move no output:\n" + "\n".join(inert)
