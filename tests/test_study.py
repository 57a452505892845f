"""The experiment layer: experiment files, designs, the run store (resume, failures,
interrupts), evaluators, the SALib pipeline, PRIM and the shipped studies."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config import iter_parameters
from sim.evaluators import DaskEvaluator, ProcessEvaluator, SerialEvaluator, WorkerLost
from sim.study import Factor, Study
from sim.study.execute import run_study
from sim.study.prim import prim
from sim.study.testfunctions import ISHIGAMI_S1, ISHIGAMI_ST, fragile, noisy_linear, sleepy

from .conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
TINY = {"customers.count": 100, "market.warmup_days": 5}
BASE = SCENARIOS / "baseline.toml"


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def stored(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out)  # the store reads as one tidy table
    return df.sort_values("run_id").reset_index(drop=True)


# ------------------------------------------------------------------ experiment files
@pytest.mark.parametrize(
    "path",
    sorted(EXPERIMENTS.glob("*.toml")) + sorted(EXPERIMENTS.glob("smoke/*.toml")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_shipped_experiments_validate_and_plan(path):
    study = Study.from_toml(path)
    if path.parent.name != "smoke":
        assert (EXPERIMENTS / "smoke" / path.name).is_file(), "each study has a smoke variant"
        return  # planning the full studies validates thousands of scenarios: smoke only
    plan = study.plan()
    assert not plan.invalid, plan.invalid
    runs = len(plan.points) * study.replications * 2
    unique = plan.runs["run_id"].nunique()
    if study.design == "factorial":
        assert unique == runs
    else:  # a Sobol column swap of a two-level factor can repeat a point: run once
        assert 0.5 * runs < unique <= runs
    assert unique <= 100, "smoke variants must stay small"


def test_structure_sobol_covers_the_assumptions():
    study = Study.from_toml(EXPERIMENTS / "structure_sobol.toml")
    names = {f.path for f in study.factors}
    assert len(names) >= 12
    for required in (
        "engagement.meaning",
        "engagement.sting",
        "customers.harshness",
        "firm.supervisor.style",
        "firm.supervisor.filter_fidelity",
        "firm.supervisor.review_cadence_days",
        "firm.supervisor.specificity",
        "firm.policy.loyalty_programme",
        "firm.policy.repeat_bonus",
        "word_of_mouth.strength",
        "workforce.labour_market_tightness",
    ):
        assert required in names
    # every weight the schema labels an assumption is a factor of the study
    weights = [
        p.path
        for p in iter_parameters()
        if p.assumption
        and (p.path.startswith("engagement.") or p.path.startswith("service.weight_"))
        and p.path != "engagement.baseline"
    ]
    assert not set(weights) - names, f"assumption-labelled weights missing: {set(weights) - names}"
    assert study.outcomes == ["engagement_mean", "repeat_visit_rate", "visit_share"]


GOOD = f'''
scenario = "{BASE}"
design = "factorial"
days = 30
[set]
"customers.count" = 100
"market.warmup_days" = 5
[[factors]]
path = "firm.supervisor.style"
levels = [0.2, 0.8]
'''

BAD = {
    "unknown path": (
        GOOD.replace('path = "firm.supervisor.style"', 'path = "firm.supervisor.stlye"'),
        "factors[0].path",
        "did you mean firm.supervisor.style",
    ),
    "range outside schema": (
        GOOD.replace("levels = [0.2, 0.8]", "range = [0.0, 1.5]\nsteps = 2"),
        "factors[0].range",
        "[0, 1]",
    ),
    "level outside schema": (GOOD.replace("[0.2, 0.8]", "[0.2, 2]"), "factors[0].levels", "2"),
    "bad design": (GOOD.replace('"factorial"', '"sobal"'), "design", "factorial, lhs, sobol"),
    "sobol without n": (GOOD.replace('"factorial"', '"sobol"'), "n", "needs n"),
    "bad model string": (
        'model = "no_colon_here"\noutcomes = ["y"]\n',
        "model",
        "package.module:callable",
    ),
    "model not importable": (
        'model = "not_a_module_xyz:fn"\noutcomes = ["y"]\n',
        "model",
        "cannot import",
    ),
    "model has no such callable": (
        'model = "sim.study.testfunctions:nope"\noutcomes = ["y"]\n',
        "model",
        "no callable",
    ),
    "model rejects factors": (
        'model = "sim.study.testfunctions:ishigami"\noutcomes = ["y"]\n'
        '[[factors]]\npath = "x9"\nrange = [0, 1]\nsteps = 2\n',
        "model",
        "cannot take the factors",
    ),
    "unknown field": (GOOD + "replicatons = 3\n", "replicatons", "unknown field"),
    "unknown outcome": (
        GOOD.replace('design = "factorial"', 'design = "factorial"\noutcomes = ["engagment"]'),
        "outcomes[0]",
        "did you mean engagement",
    ),
    "range and levels": (
        GOOD.replace("levels = [0.2, 0.8]", "levels = [0.2]\nrange = [0, 1]"),
        "factors[0]",
        "exactly one",
    ),
    "factorial range without steps": (
        GOOD.replace("levels = [0.2, 0.8]", "range = [0, 1]"),
        "factors[0].steps",
        "steps",
    ),
    "boolean with a range": (
        GOOD.replace("firm.supervisor.style", "firm.policy.loyalty_programme").replace(
            "levels = [0.2, 0.8]", "range = [0, 1]\nsteps = 2"
        ),
        "factors[0].range",
        "[false, true]",
    ),
    "days inside warm-up": (GOOD.replace("days = 30", "days = 5"), "days", "warmup"),
    "bad set override": (GOOD.replace("= 100", "= -4"), "customers.count", "10"),
    "not TOML": ("design = factorial\n", "not valid TOML", ""),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_experiment_file_is_one_line_exit_2(kind, tmp_path, capsys):
    text, field, hint = BAD[kind]
    path = write(tmp_path, text)
    rc = main(["study", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and field in err and hint in err, err
    assert not (tmp_path / "out").exists(), "nothing runs on a bad file"


# ------------------------------------------------------------------ SALib pipeline
def test_sobol_pipeline_reproduces_ishigami_indices_through_the_model_hook(tmp_path):
    path = write(
        tmp_path,
        'design = "sobol"\nn = 1024\nseed = 5\nmodel = "sim.study.testfunctions:ishigami"\n'
        'outcomes = ["y"]\n'
        + "".join(f'[[factors]]\npath = "x{i}"\nrange = [{-math.pi}, {math.pi}]\n' for i in "123"),
    )
    study = Study.from_toml(path)
    assert study.plan().notes == []  # 1024 is a power of two: no note
    study.run(out=tmp_path / "store")
    si = study.analyze().sobol["y"].set_index("factor")
    # Saltelli/Jansen estimates at n = 1024 (5,120 runs) lie within 0.05 of the analytic
    # values (observed deviations <= 0.015; the bootstrap CIs are ~0.03-0.09 wide)
    assert np.allclose(si.loc[["x1", "x2", "x3"], "S1"], ISHIGAMI_S1, atol=0.05), si
    assert np.allclose(si.loc[["x1", "x2", "x3"], "ST"], ISHIGAMI_ST, atol=0.05), si


def test_sobol_note_when_n_is_not_a_power_of_two():
    study = Study(
        factors=[Factor("x", 0, 1), Factor("z", 0, 1)],
        design="sobol",
        n=100,
        model="sim.study.testfunctions:noisy_linear",
        outcomes=["y"],
    )
    assert any("not a power of two" in n and "128" in n for n in study.plan().notes)


def test_no_sobol_indices_when_the_base_samples_do_not_vary():
    """At n = 4 no base sample (A, B rows) of the design falls in the corner, only a
    mixed (AB) point does: SALib returns all zeros, which a report would read as "no
    factor matters"; the analysis says why there are no indices instead."""
    study = Study(
        factors=[Factor("x", 0, 1), Factor("z", 0, 1)],
        design="sobol",
        n=4,
        model="sim.study.testfunctions:corner",
        outcomes=["y"],
    )
    res = study.run(out=None) and study.analyze()
    assert res.points["y"].nunique() == 2, "the corner is hit by some point"
    assert "y" not in res.sobol
    assert any("y: varies at too few of the design's points" in n for n in res.notes), res.notes


# ------------------------------------------------------------------ PRIM
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_finds_a_planted_box(seed):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(2000, 4)), columns=list("abcd"))
    y = (x.a.between(0.2, 0.5) & x.b.between(0.6, 0.9)).to_numpy().astype(float)
    flip = rng.uniform(size=len(y)) < 0.05  # 5 % label noise
    y[flip] = 1 - y[flip]
    boxes = prim(x, y)
    box = boxes[0]
    assert set(box.limits.index) == {"a", "b"}, box.limits  # c and d left free
    # the peeling step (alpha = 5 % of the points in the box) bounds the precision
    assert np.allclose(box.limits.loc["a"], [0.2, 0.5], atol=0.03), box.limits
    assert np.allclose(box.limits.loc["b"], [0.6, 0.9], atol=0.03), box.limits
    assert box.density > 0.85 and box.coverage > 0.55
    assert len(box.trajectory) > 10 and box.trajectory["density"].iloc[-1] > 0.5


# ------------------------------------------------------------------ failures
def test_failing_and_crashing_runs_are_recorded_and_the_study_completes(tmp_path):
    study = Study(
        factors=[Factor("x", levels=[0.0, 0.5, 0.9, -0.9])],
        model="sim.study.testfunctions:fragile",
        outcomes=["y"],
    )
    with ProcessEvaluator(2) as ev:
        info = run_study(study, tmp_path, evaluator=ev)
    df = stored(tmp_path).set_index("x")
    assert info["planned"] == 4 and len(df) == 4 and info["failed"] == 2
    assert (df.loc[[0.0, 0.5], "status"] == "succeeded").all()
    assert df.loc[[0.0, 0.5], "y"].tolist() == [0.0, 0.5]
    assert df.loc[0.9, "status"] == "failed" and "too large" in df.loc[0.9, "error"]
    assert df.loc[-0.9, "status"] == "failed" and "died" in df.loc[-0.9, "error"]
    assert (df.loc[[0.9, -0.9], "attempts"] == 2).all()
    # resuming runs nothing: failed runs are in the store
    assert run_study(study, tmp_path)["ran"] == 0


def test_a_pool_lives_for_its_with_block_and_map_keeps_input_order():
    """The one evaluator of compare and study: re-entering (run_study enters the caller's
    evaluator again) keeps the pool; map returns input order although the runs finish
    in another (0.0, 0.1, 0.3 on 2 workers), and outside a with block starts and ends
    its own pool; a worker that dies is an error in map, not a missing result."""
    ev = ProcessEvaluator(2)
    with ev:
        pool = ev._pool
        with ev:
            assert ev._pool is pool
        assert ev._pool is pool, "the inner with ended the pool"
        assert ev.map(sleepy, [0.3, 0.0, 0.1]) == [0.3, 0.0, 0.1]
        assert ev._pool is pool
    assert ev._pool is None
    assert ev.map(sleepy, [0.05, 0.0]) == [0.05, 0.0] and ev._pool is None
    with pytest.raises(WorkerLost, match="died"):
        ev.map(fragile, [0.0, -0.9])
    assert ev._pool is None
    assert SerialEvaluator().map(sleepy, [0.02, 0.0]) == [0.02, 0.0]


# ------------------------------------------------------------------ same seed, same rows
def test_serial_process_pool_and_dask_give_identical_rows(tmp_path):
    study = Study(
        factors=[
            Factor("firm.supervisor.style", levels=[0.1, 0.9]),
            Factor("customers.harshness", levels=[0.0, 0.8]),
        ],
        scenario=BASE,
        set=TINY,
        days=30,
        replications=1,
    )
    frames = []
    for name, ev in (
        ("serial", SerialEvaluator()),
        ("pool", ProcessEvaluator(2)),
        ("dask", DaskEvaluator(None, 2)),
    ):
        run_study(study, tmp_path / name, evaluator=ev)
        frames.append(stored(tmp_path / name).drop(columns=["elapsed_s"]))
    assert len(frames[0]) == 8 and (frames[0]["status"] == "succeeded").all()
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])


# ------------------------------------------------------------------ resume
SLOW = """
name = "slow"
design = "factorial"
model = "sim.study.testfunctions:slow_linear"
outcomes = ["y"]
[[factors]]
path = "x"
range = [0, 1]
steps = {steps}
"""


@pytest.fixture
def spc_popen():
    """Start ``spc`` in its own process group; whatever the test's outcome, the group
    is killed afterwards, so a failing test cannot leave a study running behind it."""
    started = []

    def start(*args):
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a shell job would be
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=30)


def wait_for_parts(out: Path, proc, timeout: float = 60) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = len(list(out.glob("part-*.parquet")))
        if n:
            return n
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no part written in time")


def expected_y(x: np.ndarray, seed: int) -> np.ndarray:
    return np.array([noisy_linear(float(v), seed=seed)["y"] for v in x])


def check_complete(out: Path, steps: int) -> None:
    df = stored(out)
    assert len(df) == steps and df["run_id"].is_unique
    assert (df["status"] == "succeeded").all()
    np.testing.assert_array_equal(df["y"], expected_y(df["x"].to_numpy(), int(df["seed"][0])))


def _running_in_group(pgid: int) -> list[str]:
    """Processes of the group that still run (zombies awaiting their reaper excluded)."""
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True)
    rows = (line.split() for line in out.stdout.splitlines())
    return [pid for pid, g, stat in rows if int(g) == pgid and not stat.startswith("Z")]


def test_resume_after_kill_9_of_the_process_group(tmp_path, capsys, spc_popen):
    steps = 120  # 120 runs of 50 ms on 2 workers: ~3 s; killed after the first part
    exp = write(tmp_path, SLOW.format(steps=steps))
    out = tmp_path / "store"
    proc = spc_popen("study", exp, "--out", out, "--workers", 2, "--quiet", "--no-report")
    wait_for_parts(out, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = stored(out)
    assert 0 < len(partial) < steps, "killed mid-study"
    assert not _running_in_group(proc.pid), "the whole group ended"
    # the same command completes the study (here in-process and serial, to save time)
    assert main(["study", str(exp), "--out", str(out), "--workers", "1", "--no-report"]) == 0
    captured = capsys.readouterr()
    assert f"{len(partial)} were stored, {steps - len(partial)} ran now" in captured.out
    check_complete(out, steps)


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_leaves_a_consistent_store_and_says_how_to_resume(tmp_path, sig, status, spc_popen):
    """Ctrl-C or SIGTERM: what finished is stored, the message says how to resume, and
    the exit status is the signal's (128 + its number), as for spc compare."""
    steps = 120
    exp = write(tmp_path, SLOW.format(steps=steps))
    out = tmp_path / "store"
    proc = spc_popen("study", exp, "--out", out, "--workers", 2, "--no-report")
    wait_for_parts(out, proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == status
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted:") and "run the same command again" in last, stderr
    n = len(stored(out))
    assert f"{n} of {steps} runs are stored" in last
    assert not list(out.glob(".*.tmp")), "no half-written part"
    assert (
        main(["study", str(exp), "--out", str(out), "--workers", "1", "--quiet", "--no-report"])
        == 0
    )
    check_complete(out, steps)


def test_changed_experiment_is_refused_unless_extended(tmp_path, capsys):
    fast = SLOW.replace("slow_linear", "noisy_linear")
    a = write(tmp_path, fast.format(steps=5), "a.toml")
    b = write(tmp_path, fast.format(steps=9), "b.toml")  # shares x = 0, .25, .5, .75, 1
    out = tmp_path / "store"
    assert (
        main(["study", str(a), "--out", str(out), "--workers", "1", "--quiet", "--no-report"]) == 0
    )
    capsys.readouterr()
    assert main(["study", str(b), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--extend" in err and str(b) in err
    assert (
        main(
            [
                "study",
                str(b),
                "--out",
                str(out),
                "--workers",
                "1",
                "--quiet",
                "--extend",
                "--no-report",
            ]
        )
        == 0
    )
    assert "5 were stored, 4 ran now" in capsys.readouterr().out  # shared runs reused
    check_complete(out, 9)


# ------------------------------------------------------------------ shipped studies
@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["filter_quality_grid", "policy_grid", "replications", "structure_sobol"]
)
def test_smoke_study_runs_end_to_end_with_a_report(name, tmp_path, capsys):
    out = tmp_path / name
    rc = main(
        [
            "study",
            str(EXPERIMENTS / "smoke" / f"{name}.toml"),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.err == "", "--quiet silences the progress bar"
    study = Study.from_toml(EXPERIMENTS / "smoke" / f"{name}.toml")
    df = pd.read_parquet(out)
    assert len(df) == study.plan().runs["run_id"].nunique()
    assert (df["status"] == "succeeded").all()
    report = (out / "_report" / "report.md").read_text()
    figures = sorted(p.name for p in (out / "_report").glob("*.png"))
    for fig in figures:
        assert f"]({fig})" in report
    assert report.count("Reading") >= len(figures) - (name == "policy_grid")
    expected = {
        "filter_quality_grid": "heatmap_",
        "policy_grid": "heatmap_",
        "replications": "convergence.png",
        "structure_sobol": "sobol_engagement_mean.png",
    }[name]
    assert any(f.startswith(expected.removesuffix(".png")) for f in figures), figures


def test_morris_and_report_through_the_model_hook(tmp_path):
    # y = 2x + z + noise(seed): every point of a replication shares the seed, so the
    # noise cancels in elementary effects and mu* is exact (per unit of the range)
    study = Study(
        factors=[Factor("x", 0, 1), Factor("z", 0, 1)],
        design="morris",
        n=10,
        replications=2,
        model="sim.study.testfunctions:noisy_linear",
        outcomes=["y"],
    )
    study.run(out=tmp_path)
    mo = study.analyze().morris["y"].set_index("factor")
    assert np.allclose(mo.loc[["x", "z"], "mu_star"], [2.0, 1.0], atol=1e-9)
    assert np.allclose(mo["sigma"], 0.0, atol=1e-9)
    from sim.study.report import write_report

    report = write_report(tmp_path).read_text()
    assert "morris_y.png" in report and "x has the largest effect" in report
    assert (tmp_path / "_report" / "morris_y.png").stat().st_size > 1000


def test_latin_hypercube_is_stratified_and_seeded():
    def points(seed):
        return (
            Study(
                factors=[Factor("x", 0, 1), Factor("z", 10, 20)],
                design="lhs",
                n=50,
                seed=seed,
                model="sim.study.testfunctions:noisy_linear",
                outcomes=["y"],
            )
            .plan()
            .points
        )

    p = points(1)
    for col, lo in (("x", 0), ("z", 10)):
        width = 1 if col == "x" else 10
        bins = np.floor((p[col] - lo) / width * 50).astype(int)
        assert sorted(bins) == list(range(50)), col  # one point in each of the 50 strata
    pd.testing.assert_frame_equal(p, points(1))
    assert not p.equals(points(2))


def test_a_second_writer_on_the_same_store_is_refused(tmp_path, capsys):
    from sim.study.store import RunStore

    exp = write(tmp_path, SLOW.replace("slow_linear", "noisy_linear").format(steps=3))
    holder = RunStore(tmp_path / "store")
    holder.prepare()  # as a running study would
    try:
        assert main(["study", str(exp), "--out", str(tmp_path / "store"), "--quiet"]) == 2
        assert "another study is writing" in capsys.readouterr().err
    finally:
        holder.unlock()
    assert (
        main(
            [
                "study",
                str(exp),
                "--out",
                str(tmp_path / "store"),
                "--workers",
                "1",
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
