"""``spc ui``: serve the web app (sim/app.py) so it works with no network.

Offline serving (see the project's notes on Solara offline use):
- the front-end bundles come from the ``solara-assets`` package, installed into
  Solara's asset cache folder; the asset proxy is forced on (it is switched off
  when VS Code variables are set) so every file is served by this server;
- Altair/vega asks for range paths (``vega@5``) that the bundle stores under exact
  versions: ``prepare_offline_assets`` links them, once, when the server starts;
- production mode: no check-in iframe from the solara website; telemetry off;
- a closed tab's session is culled after 15 minutes (solara keeps it 24 h by default).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765

# range path asked for by the front end -> exact version shipped by solara-assets
RANGE_LINKS = {
    "vega@5": "vega@5.21.0",
    "vega-lite@5": "vega-lite@5.2.0",
    "vega-embed@6": "vega-embed@6.20.2",
}
REQUIRED_ASSETS = ("requirejs@2.3.6", "font-awesome@4.5.0", "@widgetti")

OFFLINE_ENV = {
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    # a closed tab's session (its runs) is dropped after 15 minutes, not solara's 24 h
    "SOLARA_KERNEL_CULL_TIMEOUT": "15m",
}


def offline_env() -> None:
    """Environment for offline serving; must be set before solara.server is imported."""
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


def asset_dir() -> Path:
    """Solara's asset cache folder (where solara-assets installs the bundles)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def prepare_offline_assets(folder: Path | None = None) -> list[str]:
    """Check the bundled front-end files are present and link the range paths.

    Returns the problems found (empty: everything is served locally).
    """
    folder = folder or asset_dir()
    problems = []
    for name in REQUIRED_ASSETS:
        if not (folder / name).exists():
            problems.append(
                f"{folder / name}: missing; install the project (pip install -e .) so "
                "solara-assets puts the front-end files there"
            )
    for link, target in RANGE_LINKS.items():
        path = folder / link
        if (folder / target).is_dir() and not path.exists():
            try:
                path.symlink_to(target, target_is_directory=True)
            except OSError as exc:
                problems.append(f"{path}: cannot link to {target}: {exc}")
    return problems


def _free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def cmd_ui(args) -> int:
    from .config import ScenarioError
    from .twin import SCENARIO_DIR, build_scenario

    if args.scenario:
        build_scenario(args.scenario, {})  # bad file: one-line error, exit 2
        path = Path(args.scenario).resolve()
        # a shipped scenario opens as its preset name; any other file by its path
        preset = path.stem if path.parent == SCENARIO_DIR.resolve() else str(path)
        os.environ["SPC_UI_SCENARIO"] = preset
    if not _free(args.host, args.port):
        raise ScenarioError([f"--port {args.port}: {args.host}:{args.port} is already in use"])
    offline_env()
    for line in prepare_offline_assets():
        print(f"spc ui: warning: {line}", file=sys.stderr)
    url = f"http://{args.host}:{args.port}/"
    print(f"spc ui: serving the app at {url} (Ctrl+C stops it)", flush=True)
    from solara.__main__ import cli as solara_cli

    argv = ["run", str(APP), "--host", args.host, "--port", str(args.port), "--production"]
    if args.quiet:
        argv += ["--log-level", "warning", "--log-level-uvicorn", "warning"]
    try:
        solara_cli.main(args=argv, prog_name="solara", standalone_mode=False)
    except SystemExit as exc:  # click's exit
        return int(exc.code or 0)
    return 0


def add_ui_parser(sub) -> None:
    p = sub.add_parser("ui", help="serve the web app (managers, trainers, researchers), offline")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    p.add_argument("--scenario", help="scenario TOML file the app opens with")
    p.add_argument("--quiet", action="store_true", help="less server logging")
    p.set_defaults(func=cmd_ui)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port
