"""The web app: managers try policies, trainers run workshops, researchers browse results.

Start it with ``spc ui`` (offline asset setup, production mode) or
``solara run sim/app.py``. Every browser session gets its own twin run (held in
component state, never in module globals), so tabs cannot disturb each other, and
the state is dropped with the session.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara

from sim.charts import COLORS, line_chart, org_diagram, smooth
from sim.config import Scenario, ScenarioError, iter_parameters, parse_override
from sim.lessons import answer, lesson_files, load_lesson
from sim.metrics import BY_NAME
from sim.twin import (
    Twin,
    build_scenario,
    parse_query,
    preset_names,
    replicated_headlines,
    scenario_toml,
    share_query,
)

# The policy levers of the source documents: dotted path, short label, and the slider
# range shown (within the schema's bounds; the "set any parameter" box reaches all).
LEVERS: tuple[tuple[str, str, float, float, float], ...] = (
    ("firm.supervisor.style", "Supervisor style (coach → micro-manager)", 0, 1, 0.05),
    ("firm.supervisor.filter_fidelity", "Filter fidelity", 0, 1, 0.05),
    ("firm.supervisor.pass_rate", "Share passed on", 0, 1, 0.05),
    ("firm.supervisor.review_cadence_days", "Review cadence", 1, 30, 1),
    ("firm.supervisor.specificity", "Specific (vs team) feedback", 0, 1, 0.05),
    ("firm.policy.involvement", "Employee involvement", 0, 1, 0.05),
    ("firm.policy.repeat_bonus", "Bonus per repeat visit", 0, 20, 0.5),
    ("firm.policy.customer_focus", "Customer focus", 0, 1, 0.05),
    ("firm.policy.staff_per_1000_customers", "Staffing", 5, 40, 0.5),
    ("customers.harshness", "Harshness of criticism", 0, 1, 0.05),
)
NUMBER_LEVERS: tuple[tuple[str, str], ...] = (
    ("customers.count", "Market size"),
    ("firm.policy.wage", "Wage"),
    ("firm.policy.price", "Price"),
)
SWITCH_LEVERS: tuple[tuple[str, str], ...] = (
    ("firm.policy.loyalty_programme", "Loyalty programme"),
)
INFO = {p.path: p for p in iter_parameters()}
SPEEDS = {"1 day/s": 1, "5 days/s": 5, "20 days/s": 20, "60 days/s": 60, "as fast as possible": 0}
FRAME = 0.3  # seconds between chart updates while playing
CHARTS: tuple[tuple[str, str, float, str], ...] = (
    ("engagement_mean", "Engagement", 1, "q-units"),
    ("engaged_share", "Engaged staff", 100, "%"),
    ("disengaged_share", "Actively disengaged staff", 100, "%"),
    ("satisfaction", "Customer satisfaction", 1, "q-units"),
    ("repeat_visit_rate", "Repeat-visit rate", 100, "%"),
    ("visit_share", "Market share (visits)", 100, "%"),
    ("profit", "Profit", 1, "cu/day"),
    ("return_on_sales", "Return on sales", 100, "%"),
    ("turnover_rate", "Staff turnover", 100, "% a year"),
    ("feedback_latency", "Feedback delay", 1, "days"),
    ("feedback_fidelity", "Feedback fidelity", 100, "%"),
    ("control", "Supervisory control", 1, "q-units"),
)

CSS = """
.spc-app { max-width: 1500px; margin: 0 auto; }
.spc-app .v-alert { word-break: break-word; }
.spc-app h1 { font-size: 1.6rem; margin: 0; }
.spc-help { font-size: 0.78rem; color: #555; margin: -14px 0 10px 0; line-height: 1.2; }
.spc-lever { font-size: 0.95rem; margin-top: 6px; }
.spc-card { border-radius: 10px; padding: 8px 12px; margin: 4px; min-width: 220px;
            flex: 1 1 220px; border: 2px solid #ddd; background: #fff; font-size: 1.0rem; }
.spc-card.triangular { border-color: #0072B2; background: #eef6fc; }
.spc-card.linear { border-color: #D55E00; background: #fdf1ea; }
.spc-legend-l { color: #D55E00; font-weight: 700; }
.spc-legend-t { color: #0072B2; font-weight: 700; }
.spc-day { font-size: 1.25rem; font-weight: 700; }
.spc-workshop { font-size: 20px; color: #111; background: #fff; }
.spc-workshop .spc-title { font-size: 30px; font-weight: 800; }
.spc-workshop .spc-narration { font-size: 21px; line-height: 1.3; }
.spc-workshop .spc-question { font-size: 22px; font-weight: 700; background: #fff6d5;
                              border-left: 8px solid #8a6d00; padding: 6px 12px; }
.spc-workshop .spc-reveal { font-size: 20px; font-weight: 700; background: #e7f6ec;
                            border-left: 8px solid #1b7a3a; padding: 6px 12px; }
.spc-workshop .v-btn { font-size: 18px !important; height: 44px !important; }
.spc-compact h1 { font-size: 1.15rem !important; }
.spc-kbd { font-size: 16px; color: #444; }
.spc-inspect table { border-collapse: collapse; font-size: 0.9rem; }
.spc-inspect td, .spc-inspect th { padding: 2px 10px; border-bottom: 1px solid #eee; }
.spc-inspect td:nth-child(n+2) { text-align: right; font-variant-numeric: tabular-nums; }
"""


# ----------------------------------------------------------------- session state
class Session:
    """One browser session's run: the twin, its settings, and a lock so the play
    thread and button handlers never step the same model at once."""

    def __init__(self, preset: str, overrides: dict[str, Any], seed: int):
        self.lock = threading.Lock()
        self.preset, self.overrides, self.seed = preset, dict(overrides), seed
        self.twin = Twin(build_scenario(preset, overrides), seed)

    def apply(self, preset: str, overrides: dict[str, Any], seed: int) -> None:
        """New settings: validated first (raises ScenarioError), then a fresh twin."""
        scenario = build_scenario(preset, overrides)
        with self.lock:
            self.preset, self.overrides, self.seed = preset, dict(overrides), seed
            self.twin = Twin(scenario, seed)

    @property
    def scenario(self) -> Scenario:
        return self.twin.scenario

    def value(self, path: str) -> Any:
        node: Any = self.scenario
        for part in path.split("."):
            node = getattr(node, part)
        return node


def _initial(search: str | None) -> tuple[str, dict[str, Any], int, str | None]:
    """Settings from the shared link (query string) or ``spc ui --scenario``."""
    preset = os.environ.get("SPC_UI_SCENARIO") or "baseline"
    try:
        q_preset, over, seed = parse_query(search)
        build_scenario(q_preset or preset, over)
        return q_preset or preset, over, seed if seed is not None else 1, None
    except (ScenarioError, ValueError) as exc:
        msg = "; ".join(exc.problems) if isinstance(exc, ScenarioError) else str(exc)
        return preset, {}, 1, f"The link's settings were not used: {msg}"


# --------------------------------------------------------------------- widgets
@solara.component_vue("keys.vue")
def KeyListener(event_pressed: Callable[[str], None]):
    """Window-wide key presses (→, space, PageDown: next; ←, PageUp: back)."""


@solara.component
def Help(path: str):
    solara.HTML(tag="div", unsafe_innerHTML=INFO[path].description, classes=["spc-help"])


@solara.component
def Transport(
    session: Session,
    playing: solara.Reactive[bool],
    bump: Callable[[], None],
    tick: int,
):
    speed = solara.use_reactive("20 days/s")
    twin = session.twin

    def step(n: int):
        with session.lock:
            session.twin.step(n)
        bump()

    def back():
        with session.lock:
            session.twin.rewind(session.twin.day - 1)
        bump()

    def reset():
        playing.set(False)
        with session.lock:
            session.twin.rewind(0)
        bump()

    _PlayLoop(session, playing, SPEEDS[speed.value], bump)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "6px"}):
        if playing.value:
            solara.Button(
                "Pause", icon_name="mdi-pause", on_click=lambda: playing.set(False), color="primary"
            )
        else:
            solara.Button(
                "Play",
                icon_name="mdi-play",
                on_click=lambda: playing.set(True),
                color="primary",
                disabled=twin.day >= twin.horizon,
            )
        solara.Button(
            "Step", icon_name="mdi-step-forward", on_click=lambda: step(1), disabled=playing.value
        )
        solara.Button("+30 days", on_click=lambda: step(30), disabled=playing.value)
        solara.Button(
            "Back",
            icon_name="mdi-step-backward",
            on_click=back,
            disabled=playing.value or twin.day == 0,
        )
        solara.Button("Reset", icon_name="mdi-restart", on_click=reset)
        with solara.Column(style={"min-width": "170px", "max-width": "200px"}):
            solara.Select("Speed", values=list(SPEEDS), value=speed)
        solara.HTML(
            tag="span", unsafe_innerHTML=f"day {twin.day} / {twin.horizon}", classes=["spc-day"]
        )
    if twin.day > 0:

        def rewind(day: int):
            playing.set(False)
            with session.lock:
                session.twin.rewind(day)
            bump()

        solara.SliderInt(
            "Rewind to day",
            value=twin.day,
            min=0,
            max=twin.day,
            on_value=rewind,
            disabled=playing.value,
        )


@solara.component
def _PlayLoop(session: Session, playing: solara.Reactive[bool], speed: int, bump, target=None):
    """While playing: step both structures in a thread, a frame of days at a time."""

    def run(cancel: threading.Event):
        if not playing.value:
            return
        start, stepped, draw = time.perf_counter(), 0, FRAME
        while not cancel.is_set():
            t0 = time.perf_counter()
            with session.lock:
                twin = session.twin
                limit = twin.horizon if target is None else min(target, twin.horizon)
                if speed:
                    # days due at this speed since play began: keeps the pace even
                    # when a frame takes longer than FRAME to draw
                    due = max(1, int(speed * (t0 - start + FRAME)) - stepped)
                    done = twin.step(min(due, limit - twin.day))
                    stepped += done
                else:
                    done = 0
                    # flat out: step for twice as long as the last frame took to draw,
                    # so drawing never takes more than a third of the time
                    while time.perf_counter() - t0 < 2 * max(FRAME, draw) and twin.day < limit:
                        done += twin.step(1)
                at_end = twin.day >= limit or done == 0
            if at_end:  # stop first, so the last frame already shows a paused run
                playing.set(False)
            t_draw = time.perf_counter()
            bump()
            draw = time.perf_counter() - t_draw
            if at_end:
                return
            time.sleep(max(0.0, FRAME - (time.perf_counter() - t0)))

    solara.use_thread(
        run, dependencies=[playing.value, speed, session, target], intrusive_cancel=False
    )


def _svg(svg: str, classes=()):
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=list(classes))


@solara.component
def Charts(twin: Twin, smoothing: int, tick: int, columns: int = 3):
    # one HTML element for all charts: a frame is one widget update, not twelve
    svgs = []
    for name, title, scale, unit in CHARTS:
        lines = {s: smooth(twin.metric(s, name), smoothing) * scale for s in COLORS}
        svgs.append(f"<div>{line_chart(title, lines, unit=unit, days=twin.horizon)}</div>")
    grid = f"display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:10px"
    solara.HTML(tag="div", unsafe_innerHTML="".join(svgs), style=grid, classes=["spc-charts"])


@solara.component
def Cards(twin: Twin, replicated: list | None, tick: int):
    heads = replicated if replicated else twin.headlines()
    if not heads:
        solara.Info("Press Play or Step: the cards say in words how the structures differ.")
        return
    where = "over the replications run" if replicated else f"days {twin.window_start()}–{twin.day}"
    cards = "".join(f'<div class="spc-card {h.better}">{h.words}</div>' for h in heads)
    solara.HTML(
        tag="div",
        classes=["spc-cards"],
        unsafe_innerHTML=f"<b>Triangular minus linear, focal firm, {where}:</b>"
        f'<div style="display:flex;flex-wrap:wrap">{cards}</div>',
    )


@solara.component
def Inspect(twin: Twin, tick: int):
    kind = solara.use_reactive("employee")
    row = solara.use_reactive(0)
    err = None
    with solara.Row(style={"align-items": "center"}):
        solara.ToggleButtonsSingle(value=kind, values=["employee", "customer"])
        solara.InputInt("Number", value=row, continuous_update=False)
    try:
        tables = {
            s: (
                twin.employee(s, row.value)
                if kind.value == "employee"
                else twin.customer(s, row.value)
            )
            for s in ("linear", "triangular")
        }
    except ScenarioError as exc:
        err = exc.problems[0]
    if err:
        solara.Error(err)
        return
    keys = list(tables["linear"])
    rows = []
    for k in keys:
        cells = []
        for s in ("linear", "triangular"):
            v = tables[s][k]
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        rows.append(f"<tr><td>{k}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
    who = "employee" if kind.value == "employee" else "customer"
    solara.HTML(
        tag="div",
        classes=["spc-inspect"],
        unsafe_innerHTML=f"<p>The same {who} (number {row.value}) in both runs, day {twin.day}. "
        "Recent feedback is a fading count of items heard per day.</p>"
        "<table><tr><th></th><th class='spc-legend-l'>linear</th>"
        "<th class='spc-legend-t'>triangular</th></tr>" + "".join(rows) + "</table>",
    )


@solara.component
def Controls(
    session: Session,
    apply: Callable[[str, dict, int], None],
    error: str | None,
    settings: solara.Reactive[int],
):
    _ = settings.value  # subscribe: re-render when it changes
    preset, over, seed = session.preset, session.overrides, session.seed
    free_text = solara.use_reactive("")

    def set_lever(path: str, value: Any):
        apply(preset, {**over, path: value}, seed)

    solara.Select(
        "Preset (scenarios/)",
        values=preset_names() if preset in preset_names() else [*preset_names(), preset],
        value=preset,
        on_value=lambda p: apply(p, {}, seed),
    )
    # (HTML, not Markdown: solara's Markdown fetches KaTeX, which is not served offline)
    solara.HTML(tag="div", unsafe_innerHTML=f"<i>{escape(session.scenario.meta.description)}</i>")
    with solara.Row():
        solara.InputInt(
            "Seed", value=seed, on_value=lambda s: apply(preset, over, s), continuous_update=False
        )
        solara.Button(
            "Reset to defaults",
            icon_name="mdi-backup-restore",
            on_click=lambda: apply(preset, {}, 1),
            outlined=True,
        )
    if error:
        solara.Error(error, classes=["spc-input-error"])
    for path, label in NUMBER_LEVERS:
        kind = solara.InputInt if isinstance(session.value(path), int) else solara.InputFloat
        kind(
            f"{label} ({INFO[path].unit})",
            value=session.value(path),
            on_value=partial(set_lever, path),
            continuous_update=False,
        )
    for path, label in SWITCH_LEVERS:
        solara.Switch(
            label=label, value=bool(session.value(path)), on_value=partial(set_lever, path)
        )
    for path, label, lo, hi, st in LEVERS:
        v = session.value(path)
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        solara.HTML(
            tag="div",
            classes=["spc-lever"],
            unsafe_innerHTML=f"{label}: <b>{shown}</b> <small>({INFO[path].unit})</small>",
        )
        if isinstance(v, int) and not isinstance(v, bool):
            solara.SliderInt(
                "",
                value=v,
                min=int(lo),
                max=int(hi),
                step=int(st),
                on_value=partial(set_lever, path),
            )
        else:
            solara.SliderFloat(
                "",
                value=float(v),
                min=lo,
                max=hi,
                step=st,
                on_value=partial(set_lever, path),
            )
        Help(path)

    def set_any(text: str):
        free_text.set(text)
        if not text.strip():
            return
        try:
            key, value = parse_override(text)
        except ScenarioError as exc:
            apply(preset, {**over, "__error__": exc.problems[0]}, seed)
            return
        apply(preset, {**over, key: value}, seed)

    solara.InputText(
        "Set any parameter (key = value, see spc params)", value=free_text, on_value=set_any
    )
    if over:
        changed = ", ".join(f"<code>{escape(f'{k} = {v}')}</code>" for k, v in sorted(over.items()))
        solara.HTML(tag="div", unsafe_innerHTML=f"Changed from the preset: {changed}")


@solara.component
def Export(session: Session, settings: solara.Reactive[int]):
    _ = settings.value  # subscribe: re-render when it changes
    q = share_query(session.preset, session.overrides, session.seed)
    twin = session.twin
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.FileDownload(
            lambda: scenario_toml(session.preset, session.overrides, session.seed),
            filename=f"{session.preset}-custom.toml",
            label="Scenario TOML (for spc)",
        )
        solara.FileDownload(
            twin.series_csv, filename=f"{session.preset}-series.csv", label="Series CSV"
        )
        solara.HTML(
            tag="a",
            unsafe_innerHTML="Shareable link (settings and seed)",
            attributes={"href": f"?{q}", "target": "_blank", "id": "spc-share"},
        )


@solara.component
def Replications(session: Session, result: solara.Reactive[list | None]):
    reps = solara.use_reactive(5)
    trigger = solara.use_reactive(0)
    status = solara.use_reactive("")

    def run():
        if trigger.value == 0:
            return
        status.set(f"running {reps.value} paired replications in the background …")
        try:
            res = replicated_headlines(
                session.scenario, reps.value, session.scenario.market.days, session.seed
            )
        except ScenarioError as exc:
            status.set(exc.problems[0])
            return
        result.set(res)
        status.set(
            f"{reps.value} replications of {session.scenario.market.days} days: cards show "
            "the mean difference ± 95 % interval."
        )

    solara.use_thread(run, dependencies=[trigger.value], intrusive_cancel=False)
    with solara.Row(style={"align-items": "center"}):
        solara.SliderInt("Replications", value=reps, min=2, max=20)
        solara.Button(
            "Estimate uncertainty", on_click=lambda: trigger.set(trigger.value + 1), outlined=True
        )
        if result.value:
            solara.Button("Back to the live run", on_click=lambda: result.set(None), text=True)
    if status.value:
        solara.Text(status.value)


# ----------------------------------------------------------------------- views
@solara.component
def ManagerView(session: Session, apply, error, playing, bump, tick, settings):
    _ = settings.value  # subscribe: re-render when it changes
    with solara.Columns([1, 3]):
        with solara.Card("Policy levers (focal firm)"):
            Controls(session, apply, error, settings)
        Live(session, playing, bump, tick, settings)


@solara.component
def Live(session: Session, playing, bump, tick: solara.Reactive[int], settings):
    """Everything that changes with the day, in one component: one render pass a frame."""
    day = tick.value
    _ = settings.value  # subscribe: re-render when it changes
    smoothing = solara.use_reactive(7)
    replicated = solara.use_reactive(None)
    with solara.Column():
        with solara.Card():
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    "The same market, same seed, twice: the focal firm's feedback is "
                    "<span class='spc-legend-l'>linear</span> (through the supervisor) or "
                    "<span class='spc-legend-t'>triangular</span> (straight to the "
                    "employee). Grey lane: triangular − linear."
                ),
            )
            Transport(session, playing, bump, day)
            Cards(session.twin, replicated.value, day)
            Replications(session, replicated)
        with solara.Card("Over time"):
            solara.SliderInt(
                "Smoothing (days)", value=smoothing, min=1, max=30, thumb_label="always"
            )
            Charts(session.twin, smoothing.value, day)
        with solara.Columns([1, 1]):
            with solara.Card("Inspect an agent"):
                Inspect(session.twin, day)
            with solara.Card("Export and share"):
                Export(session, settings)


@solara.component
def Diagrams(twin: Twin, tick: int):
    with solara.Columns([1, 1]):
        for s in ("linear", "triangular"):
            rows = twin.series(s)
            if len(rows):
                control, engaged = (
                    rows[-1][list(BY_NAME).index(k)] for k in ("control", "engaged_share")
                )
            else:
                control, engaged = float("nan"), float("nan")
            _svg(
                org_diagram(
                    s, twin.flow_totals(s), twin.flow_today(s), control=control, engaged=engaged
                )
            )


@solara.component
def WorkshopView(session: Session, apply, playing, bump, tick, settings):
    _ = tick.value  # subscribe: re-render when it changes
    files = lesson_files()
    names = [p.stem for p in files]
    chosen = solara.use_reactive(names[0] if names else "")
    index = solara.use_reactive(0)
    phase = solara.use_reactive("predict")  # predict -> run -> reveal
    lesson, problem = None, None
    if chosen.value:
        try:
            lesson = load_lesson(files[names.index(chosen.value)])
        except ScenarioError as exc:
            problem = " ".join(exc.problems)
    steps = lesson.steps if lesson is not None else []
    step = steps[min(index.value, len(steps) - 1)] if steps else None
    target = step.days if step is not None else None

    def load_step(i: int):
        if not steps:
            return
        playing.set(False)
        s = steps[i]
        index.set(i)
        phase.set("predict" if s.predict else "run")
        apply(s.scenario, dict(s.set), s.seed)

    def advance():
        if phase.value == "predict":
            phase.set("run")
            playing.set(True)
        elif phase.value == "run" and session.twin.day < min(target, session.twin.horizon):
            playing.set(True)
        elif index.value + 1 < len(lesson.steps):
            load_step(index.value + 1)

    def go_back():
        if index.value > 0:
            load_step(index.value - 1)

    def on_key(key: str):
        if key in ("ArrowRight", "PageDown", " ", "Enter"):
            advance()
        elif key in ("ArrowLeft", "PageUp"):
            go_back()
        elif key in ("b", "B"):
            # rewinding pauses: a run still finishing its step would otherwise replay
            # straight back to the end before the room has seen the earlier day
            playing.set(False)
            with session.lock:
                session.twin.rewind(session.twin.day - 10)
            bump()

    # a lesson opens on its first step's preset
    solara.use_effect(lambda: load_step(0), [chosen.value])
    _PlayLoop(session, playing, 30, bump, target=target)
    if lesson is None or step is None:
        solara.Error(problem or "No lesson files in lessons/.")
        return
    KeyListener(event_pressed=on_key)
    twin = session.twin
    reached = twin.day >= min(step.days, twin.horizon)
    limit = min(step.days, twin.horizon)
    if reached or phase.value == "predict":
        label = "Run and reveal ▶" if phase.value == "predict" else "Next step ▶"
    else:
        label = "Continue ▶"
    last = index.value + 1 >= len(lesson.steps) and reached and phase.value != "predict"
    with solara.Column(classes=["spc-workshop"], gap="6px"):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="10px"):
            solara.HTML(tag="div", unsafe_innerHTML=escape(step.title), classes=["spc-title"])
            solara.HTML(
                tag="span",
                unsafe_innerHTML=escape(
                    f"{lesson.title} · step {index.value + 1} of {len(lesson.steps)}"
                ),
                classes=["spc-kbd"],
            )
            with solara.Column(style={"max-width": "240px", "margin-left": "auto"}):
                solara.Select("Lesson", values=names, value=chosen, dense=True)
        solara.HTML(tag="div", unsafe_innerHTML=escape(step.narration), classes=["spc-narration"])
        if step.predict:
            p = step.predict
            if reached and phase.value != "predict":
                solara.HTML(tag="div", classes=["spc-reveal"], unsafe_innerHTML=_reveal(twin, p))
            else:
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"Predict: {escape(p.question)}",
                    classes=["spc-question"],
                )
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="8px"):
            solara.Button("◀ Previous", on_click=go_back, disabled=index.value == 0)
            solara.Button(label, on_click=advance, color="primary", disabled=last)
            solara.Button("Rewind 10 days", on_click=lambda: on_key("b"), disabled=twin.day == 0)
            solara.HTML(
                tag="span", classes=["spc-day"], unsafe_innerHTML=f"day {twin.day} / {limit}"
            )
            solara.HTML(
                tag="span",
                classes=["spc-kbd"],
                unsafe_innerHTML="keys: → or space next · ← previous · b rewind",
            )
        Diagrams(twin, tick.value)
        with solara.Columns([1, 1, 1]):
            for name, title, scale, unit in (CHARTS[1], CHARTS[5], CHARTS[9]):
                lines = {s: smooth(twin.metric(s, name), 7) * scale for s in COLORS}
                _svg(line_chart(title, lines, unit=unit, days=target, big=True))


def _reveal(twin: Twin, p) -> str:
    """The prediction's answer, read off the last 30 days of the run just shown."""
    lin = float(np.nanmean(twin.metric("linear", p.metric)[-30:]))
    tri = float(np.nanmean(twin.metric("triangular", p.metric)[-30:]))
    who = answer(p, lin, tri)
    m = BY_NAME[p.metric]
    verdict = "about the same under both" if who == "about the same" else f"higher under {who}"
    if m.unit == "share":
        lin_s, tri_s = f"{lin * 100:.1f} %", f"{tri * 100:.1f} %"
    else:
        lin_s, tri_s = f"{lin:.3g} {m.unit}", f"{tri:.3g} {m.unit}"
    return (
        f"{escape(p.question)}<br>Answer from this run (last 30 days): "
        f"{escape(m.description.lower())} is {verdict}: "
        f"<span class='spc-legend-l'>linear {lin_s}</span>, "
        f"<span class='spc-legend-t'>triangular {tri_s}</span>."
    )


@solara.component
def ResearchView():
    folder = solara.use_reactive(str(Path("results").resolve()))
    picked = solara.use_reactive("")
    root = Path(folder.value)
    runs = sorted(p.parent for p in root.glob("**/summary.csv")) if root.is_dir() else []
    solara.InputText("Results folder (spc compare --out, or experiments output)", value=folder)
    if not root.is_dir():
        solara.Error(f"{root}: no such folder")
        return
    if not runs:
        solara.Info(f"No summary.csv under {root}: run e.g. `spc compare scenarios/baseline.toml`.")
        return
    names = [str(p.relative_to(root)) or "." for p in runs]
    sel = picked.value if picked.value in names else names[0]
    solara.Select("Result", values=names, value=sel, on_value=picked.set)
    path = root / sel
    df = pd.read_csv(path / "summary.csv")
    if (path / "runs.parquet").is_file():
        from sim.report import read_provenance

        prov, _ = read_provenance(path / "runs.parquet")
        facts = ", ".join(
            f"{k} {prov[k]}"
            for k in ("scenario", "replications", "days", "seed", "version")
            if k in prov
        )
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Provenance:</b> {escape(facts)}")
    keep = [c for c in df.columns if c not in ("version", "scenario_hash")]
    solara.DataFrame(df[keep].round(4), items_per_page=40)
    for png in sorted(path.glob("*.png")):
        solara.Image(str(png), width="100%")


@solara.component
def Page():
    search = solara.use_router().search
    preset0, over0, seed0, link_problem = solara.use_memo(lambda: _initial(search), [])
    session = solara.use_memo(lambda: Session(preset0, over0, seed0), [])
    # two counters, read only by the components that show them, so a new day
    # re-renders charts and counters but not the whole page
    # (reactive variables made once per session, not use_reactive: that would
    # re-render Page, the owner, on every change)
    tick = solara.use_memo(lambda: solara.reactive(0), [])
    settings = solara.use_memo(lambda: solara.reactive(0), [])
    error = solara.use_reactive(link_problem)
    playing = solara.use_reactive(False)
    view = solara.use_reactive("Manager")

    def bump():
        tick.set(tick.value + 1)

    def apply(preset: str, overrides: dict, seed: int):
        if "__error__" in overrides:
            error.set(overrides["__error__"])
            return
        try:
            session.apply(preset, overrides, seed)
        except ScenarioError as exc:
            # the preset file's path is noise here: the field, value and range matter
            error.set(" ".join(re.sub(r"^[^:]*\.toml: ", "", p) for p in exc.problems))
            return
        playing.set(False)
        error.set(None)
        settings.set(settings.value + 1)
        bump()

    solara.Title("Who hears the customer? — service-profit chain")
    solara.Style(CSS)
    compact = ["spc-compact"] if view.value == "Workshop" else []
    with solara.Column(classes=["spc-app", *compact], gap="6px"):
        with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
            solara.HTML(tag="h1", unsafe_innerHTML="Does it matter who hears the customer?")
            solara.ToggleButtonsSingle(
                value=view,
                values=["Manager", "Workshop", "Research"],
                on_value=lambda v: (playing.set(False), view.set(v)),
            )
        if view.value == "Manager":
            ManagerView(session, apply, error.value, playing, bump, tick, settings)
        elif view.value == "Workshop":
            WorkshopView(session, apply, playing, bump, tick, settings)
        else:
            ResearchView()
