"""Component tests of the web app without a browser: solara.render, find widgets, click."""

from __future__ import annotations

import time

import ipyvue
import ipyvuetify as v
import ipywidgets
import pytest
import solara

import sim.app as app


def _render():
    _box, rc = solara.render(app.Page(), handle_error=False)
    return rc


def _button(rc, label: str):
    found = [w for w in rc.find(v.Btn).widgets if w.children and w.children[-1] == label]
    assert len(found) == 1, f"one button {label!r}, found {len(found)}"
    return found[0]


def _toggle(rc, label: str) -> None:
    """Pick ``label`` in a toggle-button group (what a click does in the browser)."""
    for group in rc.find(v.BtnToggle).widgets:
        labels = [b.children[-1] for b in group.children]
        if label in labels:
            group.v_model = labels.index(label)
            return
    raise AssertionError(f"no toggle {label!r}")


def _html(rc, css_class: str) -> list[str]:
    return [w.unsafe_innerHTML for w in rc.find(attributes={"class": css_class}).widgets]


def _wait(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.fixture
def small_market(monkeypatch):
    """Open the app on a small market so the run is quick."""
    monkeypatch.setattr(
        app,
        "_initial",
        lambda search: (
            "baseline",
            {"customers.count": 300, "market.days": 120, "market.warmup_days": 30},
            1,
            None,
        ),
    )


def test_step_and_play_advance_days(small_market):
    rc = _render()
    assert _html(rc, "spc-day") == ["day 0 / 120"]
    _button(rc, "Step").click()
    assert _html(rc, "spc-day") == ["day 1 / 120"]
    _button(rc, "+30 days").click()
    assert _html(rc, "spc-day") == ["day 31 / 120"]
    cards = _html(rc, "spc-cards")
    # a card for share and for profit ("about the same profit" when it rounds to 0 cu a day,
    # as it can after 31 days of a 300-customer market)
    assert len(cards) == 1 and "market share" in cards[0] and "profit" in cards[0]
    _button(rc, "Play").click()
    _wait(lambda: _html(rc, "spc-day")[0] != "day 31 / 120")
    # playing shows Pause; the paced loop can reach the run's end while a loaded machine
    # starves this thread, and then Play is back: both are right, the day says which
    pause = [b for b in rc.find(v.Btn).widgets if b.children and b.children[-1] == "Pause"]
    if pause:
        pause[0].click()  # harmless should the run end meanwhile
    else:
        assert _html(rc, "spc-day") == ["day 120 / 120"]
    _button(rc, "Back").click()  # step back a day through the snapshots
    day = int(_html(rc, "spc-day")[0].split()[1])
    assert 31 <= day < 120


def test_slider_changes_the_run(small_market):
    rc = _render()
    _button(rc, "+30 days").click()
    before = _html(rc, "spc-cards")[0]
    style = rc.find(v.Slider).widgets[0]  # first lever: supervisor style
    assert style.v_model == pytest.approx(0.3)
    style.v_model = 0.95
    assert _html(rc, "spc-day") == ["day 0 / 120"]  # a new twin run
    assert "<b>0.95</b>" in _html(rc, "spc-lever")[0]
    _button(rc, "+30 days").click()
    assert _html(rc, "spc-cards")[0] != before


def test_invalid_value_shows_inline_message(small_market):
    rc = _render()
    size = rc.find(v.TextField, label="Market size (customers)").widget
    size.v_model = "3"
    size.fire_event("keyup.enter")
    alerts = [w.children[0] for w in rc.find(v.Alert).widgets if w.children]
    assert any("customers.count = 3" in a and "allowed" in a for a in alerts)
    # the page still works, on the last valid settings
    _button(rc, "Step").click()
    assert _html(rc, "spc-day") == ["day 1 / 120"]
    text = rc.find(v.TextField, label="Set any parameter (key = value, see spc params)").widget
    text.v_model = "firm.supervisor.stile = 0.5"
    text.fire_event("keyup.enter")
    alerts = [w.children[0] for w in rc.find(v.Alert).widgets if w.children]
    assert any("firm.supervisor.stile" in a and "unknown field" in a for a in alerts)


def test_sessions_do_not_share_models(small_market):
    rc1, rc2 = _render(), _render()
    _button(rc1, "+30 days").click()
    assert _html(rc1, "spc-day") == ["day 30 / 120"]
    assert _html(rc2, "spc-day") == ["day 0 / 120"]
    rc2.find(v.Slider).widgets[0].v_model = 0.9
    assert _html(rc1, "spc-day") == ["day 30 / 120"]
    assert "<b>0.3</b>" in _html(rc1, "spc-lever")[0]


def test_inspect_an_employee(small_market):
    rc = _render()
    _button(rc, "Step").click()
    table = _html(rc, "spc-inspect")[0]
    assert "engagement" in table and "items waiting with the supervisor" in table
    _toggle(rc, "customer")
    assert "attitude to the focal firm" in _html(rc, "spc-inspect")[0]


def test_lesson_advances_by_key_press():
    rc = _render()
    _toggle(rc, "Workshop")
    assert _html(rc, "spc-title") == ["1 · A calm baseline"]
    assert _html(rc, "spc-question")
    keys = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_pressed")]
    assert len(keys) == 1
    keys[0].vue_pressed("ArrowRight")  # predict -> run; the answer shows when it ends
    _wait(lambda: bool(_html(rc, "spc-reveal")), timeout=120)
    assert "Answer from this run" in _html(rc, "spc-reveal")[0]
    assert _html(rc, "spc-day") == ["day 150 / 150"]
    time.sleep(0.5)  # let the play thread finish its last frame (a person is not this quick)
    keys[0].vue_pressed("b")  # rewind 10 days
    # a loaded machine may draw the play thread's last frame after the rewind's
    _wait(lambda: _html(rc, "spc-day") == ["day 140 / 150"], timeout=10)
    keys[0].vue_pressed("ArrowRight")  # continue to the end of the step again
    _wait(lambda: _html(rc, "spc-day") == ["day 150 / 150"], timeout=60)
    time.sleep(0.5)  # let the play thread finish its last frame (a person is not this quick)
    keys[0].vue_pressed("ArrowRight")
    assert _html(rc, "spc-title") == ["2 · The supervisor starts to micro-manage"]
    keys[0].vue_pressed("ArrowLeft")
    assert _html(rc, "spc-title") == ["1 · A calm baseline"]


def test_research_view_browses_a_results_folder(tmp_path, monkeypatch):
    from sim import load_scenario
    from sim.report import comparison_figure, write_table
    from sim.runner import compare

    scenario = load_scenario(
        "scenarios/baseline.toml",
        {"customers.count": 200, "market.days": 40, "market.warmup_days": 5},
    )
    result = compare(scenario, replications=2)
    out = tmp_path / "results" / "baseline"
    write_table(result.summary, out / "summary.csv", result.provenance, {})
    comparison_figure(result.runs, result.provenance, out / "comparison.png")
    monkeypatch.chdir(tmp_path)
    rc = _render()
    _toggle(rc, "Research")
    assert rc.find(v.Select, label="Result").widget.v_model == "baseline"
    assert len(rc.find(ipywidgets.Image).widgets) == 1


def test_spc_ui_scenario_opens_the_app_on_it(monkeypatch):
    monkeypatch.setenv("SPC_UI_SCENARIO", "micromanager")
    rc = _render()
    assert rc.find(v.Select, label="Preset (scenarios/)").widget.v_model == "micromanager"
    assert "<b>0.85</b>" in _html(rc, "spc-lever")[0]  # micromanager's supervisor style
