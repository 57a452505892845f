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

from . import numpy_reference as ref
from .conftest import ROOT, SCENARIOS


class NumpyReferenceModel(ServiceProfitChainModel):
    """The same model with every compiled phase replaced by its numpy form."""

    def step(self) -> None:
        today = Today(self.day)
        ref.choose(self, today)
        ref.serve(self, today)
        ref.encounter(self, today)
        ref.give_feedback(self, today)
        ref.talk(self, today)
        ref.reviews(self, today)
        ref.learn_and_engage(self, today)
        ref.turnover(self, today)
        ref.accounts(self, today)
        self.today = ref.daily(self, today)
        self.last_record = today
        self.datacollector.collect(self)
        self.day += 1


def _state(m: ServiceProfitChainModel) -> dict:
    out = {
        f"{tab}.{k}": v for tab in ("customers", "staff") for k, v in vars(getattr(m, tab)).items()
    }
    out |= {f"queues.{k}": v for k, v in vars(m.queues).items()}
    out |= {f"rng.{k}": str(g.bit_generator.state) for k, g in m.streams.items()}
    return out


@pytest.mark.parametrize(
    ("scenario", "structure"),
    [
        ("baseline.toml", "linear"),
        ("loyalty_programme.toml", "triangular"),
        ("micromanager.toml", 0.4),
        ("coaching_supervisor.toml", "triangular"),
        ("repeat_bonus.toml", "linear"),
    ],
)
def test_compiled_days_dock_with_the_numpy_reference(scenario, structure):
    """45 days both ways: daily metrics, every state column and every stream's state
    identical to the bit (assert_array_equal treats NaN as equal to NaN)."""
    sc = load_scenario(
        SCENARIOS / scenario, {"customers.count": 500, "feedback.survey_invitation": 0.2}
    )
    fast = ServiceProfitChainModel(sc, structure, seed=29)
    slow = NumpyReferenceModel(sc, structure, seed=29)
    a, b = fast.run(45), slow.run(45)
    np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float))
    sa, sb = _state(fast), _state(slow)
    assert sa.keys() == sb.keys()
    for key in sa:
        if isinstance(sa[key], np.ndarray):
            np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
        else:
            assert sa[key] == sb[key], key


@pytest.mark.parametrize(
    ("scenario", "structure"),
    [
        ("baseline.toml", "triangular"),
        ("loyalty_programme.toml", "linear"),
        ("micromanager.toml", 0.7),
        ("repeat_bonus.toml", "triangular"),
    ],
)
def test_a_whole_run_is_its_days_stepped_one_by_one(scenario, structure):
    """run(40) in one compiled call, 40 calls of step(), and runs and steps mixed give
    the same daily metrics, state and streams to the bit, and the same Mesa clock."""
    sc = load_scenario(
        SCENARIOS / scenario, {"customers.count": 400, "feedback.survey_invitation": 0.2}
    )
    whole, stepped, mixed = (ServiceProfitChainModel(sc, structure, seed=31) for _ in range(3))
    a = whole.run(40)
    for _ in range(40):
        stepped.step()
    mixed.run(15)
    for _ in range(10):
        mixed.step()
    mixed.run(15)
    for other in (stepped, mixed):
        np.testing.assert_array_equal(a.to_numpy(float), other.firm_daily().to_numpy(float))
        sa, sb = _state(whole), _state(other)
        for key in sa:
            if isinstance(sa[key], np.ndarray):
                np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
            else:
                assert sa[key] == sb[key], key
        assert (other.steps, other.time, other.day) == (whole.steps, whole.time, whole.day)
    assert whole.steps == 40 and a["visits"].sum() > 0


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
    C, _, F, _, _, _, P, R = m._kernel_state()
    t_seekers, _, _, t_chosen, _, _ = choice_mod.choose(C, F, P, R)
    m.streams["choice"].bit_generator.state = state
    m.streams["visits"].bit_generator.state = visits_state
    seekers = np.flatnonzero(m.streams["visits"].random(m.customers.n) < sc.customers.visit_rate)
    util, _ = m.choice_utilities(seekers)
    pick = choice_mod.logit_choice(
        util, m.streams["choice"].random(seekers.size), sc.customers.outside_utility
    )
    assert seekers.size > 30 and (seekers == t_seekers).all()
    assert (pick[pick >= 0] == t_chosen).all() and (pick >= 0).sum() == t_chosen.size


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
