"""Shared fixtures: small markets so the whole suite stays fast on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

SMALL = {"customers.count": 400, "market.warmup_days": 20}


@pytest.fixture
def small_scenario():
    return load_scenario(SCENARIOS / "baseline.toml", SMALL)


def scenario_file(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path
