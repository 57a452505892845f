"""The `spc` command line: outputs, reproducibility and every bad-input class."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.metrics import summarise
from sim.report import read_provenance

from .conftest import SCENARIOS, scenario_file

pytestmark = pytest.mark.slow  # end-to-end: each test starts `spc` processes

BASE = str(SCENARIOS / "baseline.toml")
TINY = ["--set", "customers.count=300", "--set", "market.warmup_days=10", "--days", "40"]


def spc(*args, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args)], capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"spc {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    proc = spc("compare", BASE, *TINY, "--replications", 3, "--out", out, "--quiet")
    return out, proc


def test_compare_prints_table_and_writes_files(compared):
    out, proc = compared
    text = proc.stdout
    for metric in ("engagement_mean", "repeat_visit_rate", "visit_share", "feedback_latency"):
        assert metric in text
    assert "95 % CI" in text and "3 paired replications" in text
    summary = pd.read_csv(out / "summary.csv")
    assert {"metric", "linear_mean", "triangular_mean", "difference", "ci_low", "ci_high"} <= set(
        summary.columns
    )
    runs = pd.read_parquet(out / "runs.parquet")
    # the table's difference is recomputed from the written daily rows: the focal firm
    # from the warm-up day on, triangular minus linear per replication (catches a sign
    # flip or a shifted window anywhere between the runs and the files)
    window = runs[(runs.firm == 0) & (runs.day >= 10)]
    per_run = {key: summarise(g) for key, g in window.groupby(["replication", "structure"])}
    for metric in ("engagement_mean", "visits", "profit"):
        diffs = [per_run[r, "triangular"][metric] - per_run[r, "linear"][metric] for r in range(3)]
        row = summary.set_index("metric").loc[metric]
        assert row["difference"] == pytest.approx(sum(diffs) / 3, rel=1e-9, abs=1e-12)
        assert row["ci_low"] < row["difference"] < row["ci_high"]
    assert set(runs["structure"]) == {"linear", "triangular"}
    assert runs["replication"].nunique() == 3 and runs["day"].max() == 39
    assert {"version", "scenario_hash", "seed"} <= set(runs.columns)
    prov, params = read_provenance(out / "runs.parquet")
    assert prov["seed"] == 1 and prov["replications"] == 3 and params["customers"]["count"] == 300
    png = (out / "comparison.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_json_is_byte_identical_for_the_same_seed_serial_parallel_or_dask(tmp_path):
    # the loyalty scenario has a [competitors.policy] overlay: it must travel to workers too
    loyalty = str(SCENARIOS / "loyalty_programme.toml")
    args = ["compare", loyalty, *TINY, "--replications", 3, "--seed", 42, "--json", "--quiet"]
    a = spc(*args, "--out", tmp_path / "a").stdout
    b = spc(*args, "--out", tmp_path / "b").stdout
    c = spc(*args, "--out", tmp_path / "c", "--workers", 2).stdout
    e = spc(*args, "--out", tmp_path / "e", "--workers", 2, "--dask").stdout
    assert a == b == c == e
    doc = json.loads(a)
    assert doc["seed"] == 42 and doc["metrics"]["engagement_mean"]["linear_mean"] > 0
    d = spc(
        "compare",
        BASE,
        *TINY,
        "--replications",
        3,
        "--seed",
        43,
        "--json",
        "--quiet",
        "--out",
        tmp_path / "d",
    ).stdout
    assert d != a


def test_run_writes_parquet_or_csv(tmp_path):
    spc(
        "run",
        BASE,
        *TINY,
        "--structure",
        "triangular",
        "--seed",
        5,
        "--out",
        tmp_path / "r.parquet",
    )
    spc("run", BASE, *TINY, "--structure", "triangular", "--seed", 5, "--out", tmp_path / "r.csv")
    pq_df = pd.read_parquet(tmp_path / "r.parquet")
    csv_df = pd.read_csv(tmp_path / "r.csv")
    assert len(pq_df) == len(csv_df) == 40 * 3
    # a 300-customer firm has one employee (13 per 1,000): on days it has none the mean is
    # NaN in both files
    assert pq_df["engagement_mean"].to_numpy() == pytest.approx(
        csv_df["engagement_mean"].to_numpy(), nan_ok=True
    )
    assert read_provenance(tmp_path / "r.parquet")[0]["structure"] == "triangular"


def test_params_lists_every_parameter_with_metadata():
    text = spc("params").stdout
    assert "customers.count" in text and "firm.supervisor.filter_fidelity" in text
    assert "Kluger & DeNisi" in text
    shown = spc("params", SCENARIOS / "micromanager.toml").stdout
    assert "(scenario: 0.85)" in shown


def test_validate_accepts_all_shipped_scenarios():
    proc = spc("validate", *sorted(SCENARIOS.glob("*.toml")))
    assert proc.stdout.count(": ok") == len(list(SCENARIOS.glob("*.toml")))


BAD = {
    "unknown key": ("[customers]\nvisits = 3\n", ["customers.visits = 3", "unknown field"]),
    "wrong type": ('[customers]\ncount = "many"\n', ['customers.count = "many"', "int from"]),
    "out of range": ("[customers]\nvisit_rate = 2.0\n", ["customers.visit_rate = 2.0", "to 1"]),
    "inverted range": (
        "[employees]\nskill_init = [0.9, 0.1]\n",
        ["employees.skill_init", "inverted"],
    ),
    "bad structure": ('[market]\ncompetitor_structure = "star"\n', ['"star"', "'triangular'"]),
    "bad toml": ("[customers\n", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["compare", "run", "validate"])
def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path, case, command):
    text, needles = BAD[case]
    path = scenario_file(tmp_path, text, "bad.toml")
    proc = spc(command, path, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0]
    for needle in needles:
        assert needle in lines[0]


def test_validate_reports_every_error_in_every_file(tmp_path):
    a = scenario_file(tmp_path, "[customers]\ncount = 1\nharshness = 7\n", "a.toml")
    b = scenario_file(tmp_path, '[market]\nfirms = "x"\n', "b.toml")
    proc = spc("validate", a, BASE, b, check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 3
    assert "baseline.toml: ok" in proc.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (
            ["compare", BASE, "--set", "customers.count=5"],
            "--set customers.count=5: Input should be greater than",
        ),
        (
            ["compare", BASE, "--set", "customers.cont=5000"],
            "--set customers.cont=5000: unknown field",
        ),
        (["compare", BASE, "--set", "customers.count"], "expected key=value"),
        (["run", BASE, "--structure", "circular"], "not a structure"),
        (["run", BASE, "--days", "0"], "must be at least 1"),
        (["compare", BASE, "--replications", "two"], "not a whole number"),
        (["run", "missing.toml"], "missing.toml: no such scenario file"),
        (["run", "scenarios"], "is a folder, not a scenario file"),
        (
            ["run", BASE, "--set", "meta.name=1979-05-27"],
            "--set meta.name=1979-05-27: Input should be a valid string (read as a TOML date",
        ),
        (["run", BASE, "--set", "customers.expectation_init=[nan, 0.5]"], "finite number"),
        (
            ["run", BASE, "--days", "100000"],
            "--days 100000: Input should be less than or equal to 3650",
        ),
        (["run", BASE, "--days", "30"], "--days 30: must exceed market.warmup_days (200, from"),
        (["compare", BASE, "--replications", "0"], "must be at least 1"),
        (["run", BASE, "--out", "scenarios"], "is a folder"),
        (["run", BASE, "--out", "README.md/x.parquet"], "README.md is a file"),
        (["compare", BASE, "--out", "README.md"], "exists and is not a folder"),
    ],
)
def test_bad_arguments_exit_2_without_traceback(args, needle):
    proc = spc(*args, check=False)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_bench_smoke_prints_every_section(tmp_path):
    """The benchmark runs at smoke size so it never rots; no timing is asserted."""
    out = tmp_path / "bench.json"
    proc = spc("bench", "--smoke", "--quiet", "--json", out)
    for heading in ("(a) side by side", "(b) scaling", "(c) batch throughput", "(d) UI stepping"):
        assert heading in proc.stdout
    assert "ratio reference cost / model cost" in proc.stdout
    assert "serial, process-pool and Dask results identical: yes" in proc.stdout
    assert "projected Sobol study" in proc.stdout and "days per second for the pair" in proc.stdout
    figures = json.loads(out.read_text())
    assert figures
