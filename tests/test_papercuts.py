"""What a new user meets (issue #8, items 4-8): worker caps, where results go and what
they record, API arguments checked like CLI options, and messages that name the
option a bad value came from."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim import ScenarioError, ServiceProfitChainModel, load_scenario, outputs
from sim.cli import main
from sim.evaluators import DaskEvaluator, ProcessEvaluator, make_evaluator, usable_cpus
from sim.report import comparison_table, read_provenance
from sim.runner import compare

from .conftest import ROOT, SCENARIOS, scenario_file

BASE = str(SCENARIOS / "baseline.toml")
TINY = ["--set", "customers.count=300", "--set", "market.warmup_days=5", "--days", "20"]


def spc_inline(capsys, *args) -> tuple[int, str, str]:
    """Run ``spc`` in this process (fast); argparse errors exit through SystemExit."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ 4. worker caps
def test_workers_beyond_the_cpus_are_capped_with_a_message(caplog):
    with caplog.at_level(logging.WARNING, logger="sim.evaluators"):
        ev = make_evaluator(64)
    assert isinstance(ev, ProcessEvaluator) and ev.workers == usable_cpus() <= os.cpu_count()
    assert "64 asked for, capped at" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sim.evaluators"):
        local = make_evaluator(64, "local")
    assert isinstance(local, DaskEvaluator) and local.workers == usable_cpus()
    assert "capped" in caplog.text


def test_bogus_dask_address_is_one_line_exit_2(capsys):
    code, _, err = spc_inline(capsys, "compare", BASE, *TINY, "--dask", "bogus")
    assert code == 2
    assert err.strip().splitlines() == [
        "--dask bogus: not a Dask scheduler address; give tcp://host:port (or host:port), "
        "or --dask alone for a local cluster"
    ]


def test_unreachable_scheduler_gives_up_within_seconds(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["compare", BASE, *TINY, "--replications", "1", "--quiet", "--out", tmp_path / "o"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args), "--dask", f"tcp://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    connect = time.monotonic() - t
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Dask scheduler answered within 5 s" in lines[0], proc.stderr
    assert connect < 30  # 5 s timeout plus interpreter start-up on a busy machine


# ------------------------------------------------------------------ 5. where results go
def test_overrides_get_their_own_folder_and_every_folder_says_what_made_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "baseline").mkdir(parents=True)
    (tmp_path / "results" / "baseline" / "summary.csv").write_text("the demo's results")
    code = main(["compare", BASE, *TINY, "--replications", "2", "--seed", "7", "--quiet"])
    assert code == 0
    # the plain scenario's folder is untouched; the new one is named by the options' hash
    assert (tmp_path / "results/baseline/summary.csv").read_text() == "the demo's results"
    made = [p for p in (tmp_path / "results").iterdir() if p.name != "baseline"]
    assert len(made) == 1 and made[0].name.startswith("baseline-") and len(made[0].name) == 17
    folder = made[0]
    assert sorted(p.name for p in folder.iterdir()) == [
        "comparison.png",
        "provenance.json",
        "runs.parquet",
        "summary.csv",
    ]
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["command"].startswith("spc compare ") and "--seed 7" in prov["command"]
    assert prov["scenario_file"] == BASE and len(prov["scenario_file_sha256"]) == 64
    assert prov["overrides"] == {"customers.count": 300, "market.warmup_days": 5}
    assert prov["seed"] == 7 and prov["days"] == 20 and prov["replications"] == 2
    assert prov["version"] and "parameters" in prov
    assert read_provenance(folder / "runs.parquet")[0]["overrides"] == prov["overrides"]
    # the same options again go to the same folder; different ones elsewhere
    assert main(["compare", BASE, *TINY, "--replications", "2", "--seed", "7", "--quiet"]) == 0
    assert main(["compare", BASE, *TINY, "--replications", "2", "--seed", "8", "--quiet"]) == 0
    assert len(list((tmp_path / "results").iterdir())) == 3
    assert not [p for p in (tmp_path / "results").iterdir() if p.name.startswith(".")]


def test_table_header_records_overrides_and_counts_properly():
    summary = pd.DataFrame(
        [
            {
                "metric": m,
                "unit": "share",
                "linear_mean": 0.5,
                "triangular_mean": 0.6,
                "difference": 0.1,
                "ci_low": float("nan"),
                "ci_high": float("nan"),
            }
            for m in ("engagement_mean", "profit")
        ]
    )
    prov = {
        "scenario": "s",
        "scenario_hash": "h",
        "focal_firm": 0,
        "replications": 1,
        "days": 100,
        "warmup_days": 10,
        "seed": 3,
        "competitor_structure": "linear",
        "overrides": {"firm.supervisor.style": 0.8},
    }
    text = comparison_table(summary, prov, metrics=("engagement_mean", "profit"))
    assert "1 paired replication x" in text and "1 paired replications" not in text
    assert "overrides: firm.supervisor.style=0.8" in text
    assert "*" not in text and "needs at least 2 replications" in text
    header = text.splitlines()[3]
    assert header.split()[-3:] == ["95", "%", "CI"]  # no bare '-' column


@pytest.mark.parametrize("out", ["", " "])
def test_empty_out_is_refused(capsys, out):
    code, _, err = spc_inline(capsys, "compare", BASE, *TINY, "--out", out)
    assert code == 2 and "give a folder name" in err


def test_a_folder_with_other_files_is_never_replaced(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = spc_inline(capsys, "compare", BASE, *TINY, "--out", tmp_path)
    assert code == 2 and "notes.txt" in err and "did not write" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_spc_run_without_out_writes_a_default_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = spc_inline(capsys, "run", BASE, *TINY)
    assert code == 0
    written = list((tmp_path / "results").glob("baseline-*-run-linear.parquet"))
    assert len(written) == 1 and str(written[0].relative_to(tmp_path)) in err


def test_swap_without_renameat2_and_recovery_after_a_kill(tmp_path, monkeypatch):
    """The portable path: old folder renamed aside, new one in; a run killed between
    the two renames leaves the old folder aside, and the next run puts it back."""
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "res"
    with outputs.results_folder(target) as tmp:
        (tmp / "summary.csv").write_text("1")
    with outputs.results_folder(target) as tmp:
        (tmp / "summary.csv").write_text("2")
    assert (target / "summary.csv").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]
    # simulate a process (pid 2**22 + 1: never alive) killed right after moving res aside
    aside = tmp_path / f".res.spc-old-{2**22 + 1}-abcd1234"
    target.rename(aside)
    outputs.clean_stale(target)
    assert (target / "summary.csv").read_text() == "2" and not aside.exists()
    # a failure while writing leaves the previous folder as it was
    with pytest.raises(RuntimeError), outputs.results_folder(target) as tmp:
        (tmp / "summary.csv").write_text("3")
        raise RuntimeError("disk full")
    assert (target / "summary.csv").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


# ------------------------------------------------------------------ 6. the API
@pytest.fixture(scope="module")
def tiny_scenario():
    return load_scenario(BASE, {"customers.count": 300, "market.warmup_days": 5})


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"structure": "star"}, "structure='star': not a structure"),
        ({"structure": True}, "structure=True: not a structure"),
        ({"structure": None}, "structure=None"),
        ({"structure": 1.5}, "structure=1.5"),
        ({"seed": 2**70}, "must be a whole number from 0 to 2**63 - 1"),
        ({"seed": -1}, "seed=-1"),
        ({"seed": 1.0}, "seed=1.0"),
        ({"seed": "1"}, "seed='1'"),
        ({"scenario": {"customers": {}}}, "scenario: must be a sim.Scenario"),
    ],
)
def test_model_arguments_are_checked(tiny_scenario, kwargs, needle):
    args = {"scenario": tiny_scenario, **kwargs}
    with pytest.raises(ScenarioError) as info:
        ServiceProfitChainModel(**args)
    assert needle in str(info.value) and isinstance(info.value, ValueError)


def test_model_accepts_numpy_numbers(tiny_scenario):
    m = ServiceProfitChainModel(tiny_scenario, structure=np.float64(0.5), seed=np.int64(3))
    assert m.seed == 3


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"workers": 0}, "workers=0: must be a whole number >= 1"),
        ({"workers": 2.0}, "workers=2.0"),
        ({"seed": 2**70}, "2**63 - 1"),
        ({"replications": True}, "replications=True"),
        ({"replications": 0}, "replications=0"),
        ({"days": 5}, "must exceed market.warmup_days"),
        ({"days": "100"}, "days='100'"),
        ({"dask": "bogus"}, "dask='bogus': not a Dask scheduler address"),
    ],
)
def test_compare_arguments_are_checked_before_anything_runs(tiny_scenario, kwargs, needle):
    with pytest.raises(ScenarioError) as info:
        compare(tiny_scenario, **kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ("customers.count=5", "overrides: must be a mapping"),
        ({1: 2}, "key 1 is not a dotted field name"),
        ({"customers..count": 2}, "is not a dotted field name"),
        ({"customers.count": "x"}, 'overrides: customers.count = "x": Input should be'),
        ({"customers.count.x": 3}, "customers.count is not a table"),
    ],
)
def test_bad_overrides_through_the_api(overrides, needle):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASE, overrides)
    assert needle in str(info.value)


def test_numpy_override_values_are_plain_numbers():
    s = load_scenario(
        BASE, {"customers.count": np.int64(500), "customers.harshness": np.float32(0.5)}
    )
    assert s.customers.count == 500 and s.customers.harshness == 0.5


def test_customer_accepts_only_whole_numbers_and_keeps_its_cache_clean(tiny_scenario):
    m = ServiceProfitChainModel(tiny_scenario, seed=1)
    for bad in (True, 2.0, np.float64(1), "1", None):
        with pytest.raises(TypeError):
            m.customer(bad)
    with pytest.raises(IndexError):
        m.customer(300)
    one = m.customer(np.int64(1))
    assert m.customer(1) is one and np.ndim(one.satisfaction) == 0
    assert set(m._customer_handles) == {1} and type(next(iter(m._customer_handles))) is int
    m.customer(2)  # still works after the refused calls


# ------------------------------------------------------------------ 7. messages
@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["run", BASE, "--days", "30"],
            "--days 30: must exceed market.warmup_days (200, from ",
        ),
        (["run", BASE, "--days", "100000"], "--days 100000: Input should be less than"),
        (["compare", BASE, "--set", "customers.count=5"], "--set customers.count=5: Input"),
        (
            ["compare", BASE, "--set", "customers.cont=5"],
            "--set customers.cont=5: unknown field; allowed here: count,",
        ),
        (
            ["compare", BASE, "--set", "firm.policy.loyalty_programme=1"],
            "--set firm.policy.loyalty_programme=1: Input should be a valid boolean; "
            "allowed: true or false",
        ),
        (["compare", BASE, "--replications", "0"], "spc compare: argument --replications: 0"),
        (["run", BASE, "--out", "/proc/version"], "--out /proc/version: "),
    ],
)
def test_one_line_messages_name_the_option(capsys, args, expected):
    code, _, err = spc_inline(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # no usage block, no traceback
    assert lines[0].startswith(expected), lines[0]
    assert ".tmp" not in lines[0] and "spc-" not in lines[0]  # no internal temp names


def test_argparse_errors_point_to_help(capsys):
    code, _, err = spc_inline(capsys, "compare")
    assert code == 2
    assert err.strip() == (
        "spc compare: the following arguments are required: scenario (see spc compare --help)"
    )


@pytest.mark.parametrize(
    "raw, value",
    [("true", True), ("True", True), ("False", False), (".5", 0.5), ("-.5", -0.5), ("5.", 5.0)],
)
def test_set_accepts_common_python_forms(raw, value):
    from sim.config import parse_override

    assert parse_override(f"k={raw}") == ("k", value)


def test_set_python_bool_and_bare_decimal_reach_the_scenario(capsys):
    s = load_scenario(
        BASE,
        dict(
            [
                __import__("sim.config").config.parse_override(x)
                for x in ("firm.policy.loyalty_programme=True", "customers.harshness=.5")
            ]
        ),
    )
    assert s.firm.policy.loyalty_programme is True and s.customers.harshness == 0.5


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'[meta]\nname = "bom"\n[customers]\ncount = 500\n')
    assert load_scenario(path).customers.count == 500


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_scenario_file_is_an_error_not_the_defaults(tmp_path, text):
    path = scenario_file(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [
        f"{path}: holds no settings (empty file); a scenario needs at least "
        '[meta] name = "..."; every setting not given takes its default'
    ]


def test_bench_json_path_is_checked_before_the_benchmark(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    t = time.monotonic()
    code, out, err = spc_inline(capsys, "bench", "--smoke", "--json", blocker / "x.json")
    assert code == 2 and time.monotonic() - t < 10
    assert err.strip() == f"--json {blocker / 'x.json'}: cannot be created: {blocker} is a file"
    assert "side by side" not in out


def test_no_stale_temporary_file_after_a_failed_single_file_write(tmp_path):
    target = tmp_path / "r.parquet"
    with pytest.raises(OSError) as info, outputs.atomic_file(target) as tmp:
        tmp.write_text("partial")
        shutil.rmtree(tmp_path)  # the folder vanishes under us
    assert "cannot write" in str(info.value) and str(target) in str(info.value)
    assert ".tmp" not in str(info.value)
