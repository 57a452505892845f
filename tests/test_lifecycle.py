"""Stopping a run: signals and kill -9 in real subprocesses leave no process behind,
and a results folder is never a mix of two runs (issue #8, items 1-3).

Each signal test starts ``spc`` in its own session (as a terminal would start a job),
marks its environment with a unique tag, waits until the worker processes are
running, sends the signal, and then lists every process carrying the tag: after a
few seconds there must be none -- workers, forkserver and resource tracker
included, whether or not they were re-parented.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from .conftest import ROOT, SCENARIOS

BASE = str(SCENARIOS / "baseline.toml")
# long enough that the signal lands while runs are in progress (~60 runs of ~1 s)
LONG = ["--days", "150", "--set", "market.warmup_days=30", "--replications", "30", "--quiet"]
GONE_WITHIN = 8.0  # seconds for every process of the run to disappear


def _tagged(tag: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.environ().get("SPC_TEST_TAG") == tag:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _start(args, tmp_path):
    tag = uuid.uuid4().hex
    env = {**os.environ, "SPC_TEST_TAG": tag, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *map(str, args)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's job
    )
    return proc, tag


def _wait_for_workers(proc, n: int, timeout: float = 60.0) -> None:
    """Until ``n`` processes below the main one run (imports can be slow on a busy box)."""
    deadline = time.monotonic() + timeout
    main = psutil.Process(proc.pid)
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = [k for k in main.children(recursive=True) if k.status() != psutil.STATUS_ZOMBIE]
        if len(kids) >= n:
            time.sleep(1.0)  # let the workers get into their runs
            return
        time.sleep(0.2)
    raise AssertionError(f"workers did not start within {timeout} s")


def _assert_all_gone(tag: str) -> None:
    deadline = time.monotonic() + GONE_WITHIN
    left = _tagged(tag)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = [p for p in _tagged(tag) if p.status() != psutil.STATUS_ZOMBIE]
    names = [" ".join(p.cmdline())[:100] for p in left]
    for p in left:  # do not leave them to the next test
        p.kill()
    assert not left, f"left behind after {GONE_WITHIN} s: {names}"


POOL = (["--workers", "2"], 4)  # resource tracker, forkserver, two workers
DASK = (["--workers", "2", "--dask"], 3)  # resource tracker, two Dask worker processes
# (signal, sent to the whole process group like a terminal's Ctrl-C?, exit status, evaluator)
CASES = {
    "SIGINT to the main process": (signal.SIGINT, False, 130, POOL),
    "Ctrl-C (SIGINT to the process group)": (signal.SIGINT, True, 130, POOL),
    "SIGTERM to the main process": (signal.SIGTERM, False, 143, POOL),
    "kill -9 of the main process": (signal.SIGKILL, False, -9, POOL),
    "Ctrl-C with --dask": (signal.SIGINT, True, 130, DASK),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_signal_stops_a_parallel_compare_and_leaves_no_process(tmp_path, case):
    sig, group, status, (evaluator, children) = CASES[case]
    out = tmp_path / "out"
    proc, tag = _start(["compare", BASE, *LONG, *evaluator, "--out", out], tmp_path)
    try:
        _wait_for_workers(proc, children)
        sent = time.monotonic()
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=15)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None or proc.returncode != status:
            for p in _tagged(tag):  # a failing run must not leave orphans to later tests
                p.kill()
    assert proc.returncode == status, err
    assert took < 10, f"took {took:.1f} s to stop"
    if sig != signal.SIGKILL:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "stopped" in lines[0], err  # one line, no tracebacks
        assert signal.Signals(sig).name in lines[0]
    _assert_all_gone(tag)
    assert not out.exists()  # nothing half written


def _wait_for_handler(proc, sig, timeout=60.0) -> None:
    """Wait until the process catches ``sig`` (Linux: the SigCgt mask in /proc), so the
    signal tests what the program does with it, not how long its imports take."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with open(f"/proc/{proc.pid}/status") as status:
            caught = next(int(x.split()[1], 16) for x in status if x.startswith("SigCgt:"))
        if caught >> (sig - 1) & 1:
            return
        time.sleep(0.1)
    raise AssertionError(f"no handler for {signal.Signals(sig).name} within {timeout} s")


def test_sigterm_stops_a_serial_run_with_one_line(tmp_path):
    proc, tag = _start(["run", BASE, "--days", "3000", "--out", tmp_path / "r.parquet"], tmp_path)
    try:
        _wait_for_handler(proc, signal.SIGTERM)  # imports done (slow on a loaded machine)
        time.sleep(1.0)  # the run under way (3000 days take far longer)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["spc run: terminated (SIGTERM); stopped"]
    assert not (tmp_path / "r.parquet").exists()
    assert not list(tmp_path.iterdir())  # no temporary file either
    _assert_all_gone(tag)


KILL_WHILE_WRITING = """
import os, signal, sys
import sim.report

def killed(*args, **kwargs):  # the new summary and runs are written: die before the figure
    os.kill(os.getpid(), signal.SIGKILL)

sim.report.comparison_figure = killed
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_kill_9_while_writing_leaves_the_previous_result_whole(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    previous = {"summary.csv": "old", "runs.parquet": "old", "comparison.png": "old"}
    for name, text in previous.items():
        (out / name).write_text(text)
    (out / "provenance.json").write_text("{}")
    tiny = ["--set", "customers.count=300", "--set", "market.warmup_days=5", "--days", "20"]
    args = ["compare", BASE, *tiny, "--replications", "1", "--quiet", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, "-c", KILL_WHILE_WRITING, *args], env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    # the folder is still the complete previous result, not new files beside old ones
    assert {p.name: p.read_text() for p in out.iterdir()} == {**previous, "provenance.json": "{}"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.spc-")]  # stale copy
    # the next run replaces it whole and removes what the killed run left
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*previous, "provenance.json"])
    assert (out / "summary.csv").read_text().startswith("metric,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_study_stopped_by_a_signal_keeps_the_forced_exit_armed(tmp_path, monkeypatch, capsys):
    """After a signal, ``spc study`` says what is stored and leaves through spc's stop path,
    so the forced exit (lifecycle.TEARDOWN_SECONDS) stays armed through interpreter exit.
    Planted bug it catches: the study command returning its exit status itself, which
    disarms the timer -- an interpreter exit that then joins a broken process pool's
    threads had kept a stopped study (and its forkserver) alive for hours."""
    from sim import lifecycle
    from sim.cli import main
    from sim.study import execute

    def stopped_by_sigterm(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # spc's handler raises Interrupted here
            time.sleep(5)
        except KeyboardInterrupt as exc:
            raise execute.StudyInterrupted(
                "interrupted: 3 of 9 runs are stored; run the same command again to resume",
                exc.exit_status,
            ) from None
        raise AssertionError("SIGTERM did not interrupt the study")

    monkeypatch.setattr(execute, "run_study", stopped_by_sigterm)
    exp = tmp_path / "e.toml"
    exp.write_text(
        'name = "e"\ndesign = "factorial"\nmodel = "sim.study.testfunctions:noisy_linear"\n'
        'outcomes = ["y"]\n[[factors]]\npath = "x"\nrange = [0, 1]\nsteps = 3\n'
    )
    try:
        status = main(["study", str(exp), "--out", str(tmp_path / "s"), "--quiet"])
        armed = [t for t in lifecycle._timer if t.is_alive()]
    finally:
        lifecycle.restore_signal_handlers()  # disarm it: this is pytest's own process
    assert status == 143
    assert armed, "the forced exit was disarmed on the way out"
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["interrupted: 3 of 9 runs are stored; run the same command again to resume"]
