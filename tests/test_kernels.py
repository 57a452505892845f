"""The compiled passes (numba) against numpy: the same numbers to the bit.

The model's per-agent passes are compiled; these tests dock them against the numpy
forms they replace where both exist (numpy's pairwise summation, the choice
utilities a survey reads), and check that compiled code reloaded from numba's
on-disk cache runs (a recursive kernel once crashed on reload).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from sim import ServiceProfitChainModel, load_scenario
from sim import choice as choice_mod
from sim.metrics import segment_sums
from sim.state import Today

from .conftest import ROOT, SCENARIOS


@pytest.mark.parametrize("size", [1, 7, 8, 9, 127, 128, 129, 300, 1025, 4099])
def test_segment_sums_are_numpys_reduceat_to_the_bit(size):
    rng = np.random.default_rng(size)
    rows = rng.normal(size=(3, size)) * 10 ** rng.uniform(-3, 3, (3, size))
    cuts = np.sort(rng.choice(np.arange(1, size), min(2, size - 1), replace=False))
    starts = np.concatenate([[0], cuts]).astype(np.int64)
    assert (segment_sums(rows, starts) == np.add.reduceat(rows, starts, axis=1)).all()


@pytest.mark.parametrize("scenario", ["baseline.toml", "loyalty_programme.toml"])
def test_compiled_choice_is_the_numpy_choice_a_survey_reads(scenario):
    """The choice pass picks what model.choice_utilities + logit_choice pick, customer
    by customer, after 30 days of history (habits, memberships, tenure)."""
    sc = load_scenario(SCENARIOS / scenario, {"customers.count": 600})
    m = ServiceProfitChainModel(sc, "triangular", seed=11)
    m.run(30)
    state = m.streams["choice"].bit_generator.state
    visits_state = m.streams["visits"].bit_generator.state
    t = Today(m.day)
    choice_mod.choose(m, t)
    m.streams["choice"].bit_generator.state = state
    m.streams["visits"].bit_generator.state = visits_state
    seekers = np.flatnonzero(m.streams["visits"].random(m.customers.n) < sc.customers.visit_rate)
    util, _ = m.choice_utilities(seekers)
    pick = choice_mod.logit_choice(
        util, m.streams["choice"].random(seekers.size), sc.customers.outside_utility
    )
    assert seekers.size > 30 and (seekers == t.seekers).all()
    assert (pick[pick >= 0] == t.chosen).all() and (pick >= 0).sum() == t.chosen.size


_RUN = (
    "from sim import ServiceProfitChainModel, load_scenario; "
    "m = ServiceProfitChainModel(load_scenario({path!r}, {{'customers.count': 300}}), seed=3); "
    "print(float(m.run(5)['profit'].sum()))"
)


@pytest.mark.slow
def test_kernels_reloaded_from_the_disk_cache_give_the_same_run(tmp_path):
    """First process compiles into an empty cache, the second loads from it."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    code = _RUN.format(path=str(SCENARIOS / "baseline.toml"))
    outs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert any(tmp_path.rglob("*.nbi")), "nothing was cached"
    assert outs[0] == outs[1] and float(outs[0]) != 0.0
