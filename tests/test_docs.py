"""Documentation stays true to the code."""

from __future__ import annotations

import re

from sim.odd import BEGIN, END, parameter_table

from .conftest import ROOT


def test_odd_parameter_table_matches_schema():
    doc = (ROOT / "docs" / "ODD.md").read_text()
    table = doc[doc.index(BEGIN) + len(BEGIN) : doc.index(END)].strip()
    assert table == parameter_table(), "run: python -m sim.odd --write docs/ODD.md"


def test_odd_names_every_mechanism_module():
    doc = (ROOT / "docs" / "ODD.md").read_text()
    for module in (
        "routing",
        "encounter",
        "choice",
        "word_of_mouth",
        "engagement",
        "workforce",
        "finance",
    ):
        assert f"{module}.py" in doc, module


def test_readme_quick_start_is_two_commands():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Quick start\s*$.*?```[a-z]*\n(.*?)```", text, re.S | re.M)
    lines = [ln for ln in m.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert "spc compare scenarios/baseline.toml" in makefile
