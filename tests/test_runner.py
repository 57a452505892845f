"""The comparison's inputs and defaults (sim.runner.compare), without a subprocess."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import ScenarioError, load_scenario, runner
from sim.rng import replication_seeds
from sim.runner import compare

from .conftest import SCENARIOS

TINY = {
    "customers.count": 60,
    "market.days": 3,
    "market.warmup_days": 0,
    "analysis.replications": 2,
}


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(SCENARIOS / "baseline.toml", TINY)


def test_compare_defaults_come_from_the_scenario_and_it_runs_quietly(tiny, capsys):
    """Without arguments: the scenario's replications, horizon and seed; no progress bar
    unless asked. Catches defaults ignored (None passed on) or progress on by default."""
    c = compare(tiny)
    assert c.days == 3 and c.root_seed == tiny.analysis.seed == 1
    assert c.seeds == replication_seeds(1, 2)
    assert sorted(c.runs.replication.unique()) == [0, 1] and c.runs.day.max() == 2
    assert c.runs.index.equals(pd.RangeIndex(len(c.runs)))
    # the runs are of this scenario (60 customers), not of the defaults
    assert c.runs.groupby(["replication", "structure", "day"]).visits.sum().max() <= 60
    assert c.provenance["replications"] == 2 and c.provenance["days"] == 3
    assert c.provenance["seed"] == 1
    assert capsys.readouterr().err == ""


def test_compare_passes_workers_progress_and_seed_on(tiny, capsys, monkeypatch):
    """An explicit seed, worker count and progress request reach the runs, the
    evaluator and the progress bar (named "compare")."""
    asked = []
    real = runner.make_evaluator

    def spy(workers, dask=None):
        asked.append((workers, dask))
        return real(None, None)  # run serially here whatever was asked

    monkeypatch.setattr(runner, "make_evaluator", spy)
    c = compare(tiny, seed=7, workers=3, progress=True)
    assert asked == [(3, None)]
    assert c.root_seed == 7 and c.seeds == replication_seeds(7, 2)
    assert c.provenance["seed"] == 7
    assert "\rcompare: " in capsys.readouterr().err
    compare(tiny, replications=1, dask="tcp://scheduler:8786")
    assert asked[-1] == (None, "tcp://scheduler:8786")


def test_one_replication_of_one_day_is_the_smallest_comparison(tiny):
    """1 replication and 1 day (with no warm-up) are allowed; the interval is undefined.
    Catches the lower limits written as <= 1 or < 2."""
    c = compare(tiny, replications=1, days=1)
    assert len(c.per_run) == 2 and c.summary.set_index("metric").replications["visits"] == 1
    assert c.summary.ci_low.isna().all()


@pytest.mark.parametrize("reps, days", [(0, 3), (2, 0), (0, 0)])
def test_zero_replications_or_days_is_an_input_error(tiny, reps, days):
    """Either count below 1 is refused, naming the bad one. Catches `and` for `or`."""
    bad = "replications" if reps < 1 else "days"
    with pytest.raises(ScenarioError, match=rf"^{bad}=0: must be a whole number"):
        compare(tiny, replications=reps, days=days)
