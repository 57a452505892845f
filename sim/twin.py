"""A twin run for the app: the same market under the linear and the triangular
structure, side by side, on common random numbers, stepped a day at a time.

Everything the app shows is computed here, without any UI import, so it can be
tested (and driven from a notebook) directly: the focal firm's daily series per
structure, headline differences in words, the feedback flow counters of the
organisation diagrams, agent inspection, rewind through state snapshots, and the
exports (scenario TOML, series CSV, shareable query string).

Each app session owns one Twin; nothing here is shared between sessions.
"""

from __future__ import annotations

import io
import pickle
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import STRUCTURES, Scenario, ScenarioError, load_scenario
from .metrics import BY_NAME, METRIC_NAMES, summarise
from .model import ServiceProfitChainModel

FOCAL = 0
ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
# State snapshots kept per session for rewinding: a budget in bytes, not a count,
# so a million-customer market keeps few and a small one keeps many.
SNAPSHOT_BUDGET = 96 * 2**20
MIN_SNAPSHOTS = 4
_COL = {name: i for i, name in enumerate(METRIC_NAMES)}

# Flow counters of the organisation diagram, per day and structure (focal firm).
FLOW_NAMES = ("given", "direct", "passed", "softened", "lost", "waiting", "control")
FLOW_LABELS = {
    "given": "feedback given by customers",
    "direct": "heard straight from customers",
    "passed": "passed on by the supervisor",
    "softened": "information softened away in relay",
    "lost": "dropped by the supervisor",
    "waiting": "waiting in the supervisor's queue (now)",
    "control": "criticism turned into control",
}


def preset_names() -> list[str]:
    """Scenario files shipped in ``scenarios/`` (stems), baseline first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: n != "baseline")


def preset_path(name: str) -> Path:
    """The file of a preset name, or a path as given (for ``spc ui --scenario FILE``)."""
    p = SCENARIO_DIR / f"{name}.toml"
    return p if p.is_file() else Path(name)


def build_scenario(preset: str, overrides: Mapping[str, Any]) -> Scenario:
    """Preset plus dotted overrides, validated (raises ScenarioError)."""
    return load_scenario(preset_path(preset), dict(overrides))


@dataclass
class _Snapshot:
    day: int
    blob: bytes  # pickled (models, flows)


@dataclass
class Twin:
    scenario: Scenario
    seed: int = 1
    models: dict[str, ServiceProfitChainModel] = field(init=False)

    def __post_init__(self) -> None:
        self.models = {
            s: ServiceProfitChainModel(self.scenario, structure=s, seed=self.seed)
            for s in STRUCTURES
        }
        # Day rows written as they happen and published by a day count: a view may
        # read them while the play thread steps, and never sees a half-written day.
        days = self.horizon
        self._series = {s: np.full((days, len(METRIC_NAMES)), np.nan) for s in STRUCTURES}
        self._flows = {s: np.zeros((days, len(FLOW_NAMES))) for s in STRUCTURES}
        self._published = 0
        self._snapshots: list[_Snapshot] = []
        self._snapshot_every = 10
        self._max_snapshots = MIN_SNAPSHOTS
        self._take_snapshot()
        self._max_snapshots = max(
            MIN_SNAPSHOTS, SNAPSHOT_BUDGET // max(1, len(self._snapshots[0].blob))
        )

    # ----------------------------------------------------------------- stepping
    @property
    def day(self) -> int:
        """Days published (both structures stepped and recorded)."""
        return self._published

    @property
    def horizon(self) -> int:
        return self.scenario.market.days

    def step(self, days: int = 1) -> int:
        """Advance both structures ``days`` days (not past the horizon); returns days done."""
        done = 0
        for _ in range(max(0, min(days, self.horizon - self.day))):
            for s, m in self.models.items():
                m.step()
                self._series[s][m.day - 1] = m.today[FOCAL]
                self._flows[s][m.day - 1] = _flow_today(m)
            self._published = self.models["linear"].day
            done += 1
            if self.day % self._snapshot_every == 0:
                self._take_snapshot()
        return done

    def rewind(self, day: int) -> None:
        """Back to the state at the end of ``day`` days (0 = the start): restore the
        latest snapshot not after it and replay; same seed, so the same days again."""
        day = int(np.clip(day, 0, self.day))
        snap = max((s for s in self._snapshots if s.day <= day), key=lambda s: s.day)
        self.models = pickle.loads(snap.blob)
        self._published = self.models["linear"].day  # rows up to here replay the same days
        self._snapshots = [s for s in self._snapshots if s.day <= snap.day]
        self.step(day - self.day)

    def _take_snapshot(self) -> None:
        if self._snapshots and self._snapshots[-1].day == self.day:
            return
        blob = pickle.dumps(self.models, protocol=pickle.HIGHEST_PROTOCOL)
        self._snapshots.append(_Snapshot(self.day, blob))
        if len(self._snapshots) > self._max_snapshots:
            # keep the start, thin the rest to every other one, and snapshot half as often
            first, rest = self._snapshots[0], self._snapshots[1:]
            self._snapshots = [first, *rest[1::2]]
            self._snapshot_every *= 2

    @property
    def snapshot_days(self) -> list[int]:
        return [s.day for s in self._snapshots]

    # ------------------------------------------------------------------- series
    def series(self, structure: str) -> np.ndarray:
        """Focal firm's metrics, (days, metrics) in METRIC_NAMES order."""
        return self._series[structure][: self._published]

    def metric(self, structure: str, name: str) -> np.ndarray:
        return self.series(structure)[:, _COL[name]]

    def window_start(self) -> int:
        """First day of the summary window: after the warm-up once it has passed;
        before that, the last 30 days (so early cards are not empty)."""
        warm = self.scenario.market.warmup_days
        return warm if self.day > warm else max(0, self.day - 30)

    def summary(self, structure: str) -> dict[str, float]:
        rows = self.series(structure)[self.window_start() :]
        if not len(rows):
            return {m: float("nan") for m in METRIC_NAMES}
        return summarise(pd.DataFrame(rows, columns=list(METRIC_NAMES)))

    def headlines(self) -> list[Headline]:
        """Triangular minus linear over the summary window, in words."""
        if self.day == 0:
            return []
        lin, tri = self.summary("linear"), self.summary("triangular")
        return [Headline.of(k, tri[k] - lin[k], lin[k], tri[k]) for k in HEADLINE_WORDS]

    def flow_totals(self, structure: str) -> dict[str, float]:
        """Cumulative flow counters (``waiting`` is the queue now)."""
        arr = self._flows[structure][: self._published]
        if not len(arr):
            return dict.fromkeys(FLOW_NAMES, 0.0)
        tot = dict(zip(FLOW_NAMES, arr.sum(axis=0), strict=True))
        tot["waiting"] = float(arr[-1, FLOW_NAMES.index("waiting")])
        return {k: float(v) for k, v in tot.items()}

    def flow_today(self, structure: str) -> dict[str, float]:
        n = self._published
        if not n:
            return dict.fromkeys(FLOW_NAMES, 0.0)
        return {k: float(v) for k, v in zip(FLOW_NAMES, self._flows[structure][n - 1], strict=True)}

    # ------------------------------------------------------------------ inspect
    def employee(self, structure: str, row: int) -> dict[str, Any]:
        m = self.models[structure]
        focal = np.flatnonzero(m.staff.firm == FOCAL)
        if not 0 <= row < focal.size:
            raise ScenarioError(
                [f"employee {row}: the focal firm has employees 0..{focal.size - 1}"]
            )
        e = m.employee_agents[int(focal[row])]
        q = m.queues
        slot = e.row
        return {
            "on duty": bool(e.on_duty),
            "engagement": e.engagement,
            "category": e.category,
            "skill": e.skill,
            "knowledge of needs": float(np.mean(e.knowledge)),
            "supervisory control": e.control,
            "autonomy": e.autonomy,
            "tenure (days)": int(e.tenure),
            "served today": int(e.served_today),
            "praise heard recently (items/day)": e.recognition,
            "customers heard directly (items/day)": e.meaning,
            "task-focused criticism (items/day)": e.growth,
            "harsh criticism, sting (items/day)": e.sting,
            "items waiting with the supervisor": int(q.praise[slot] + q.criticism[slot]),
        }

    def customer(self, structure: str, row: int) -> dict[str, Any]:
        m = self.models[structure]
        if not 0 <= row < m.customers.n:
            raise ScenarioError([f"customer {row}: customers are 0..{m.customers.n - 1}"])
        c = m.customer(row)
        att = c.attitude
        return {
            "visits so far": int(c.visits),
            "last firm": "none yet" if c.last_firm < 0 else f"firm {c.last_firm}",
            "expectation": c.expectation,
            "satisfaction at last visit": c.satisfaction,
            "attitude to the focal firm": float(att[FOCAL]),
            "best attitude to a competitor": float(np.max(np.delete(att, FOCAL))),
            "rapport with own employee": c.rapport,
            "need type": int(c.need),
            "loyalty member here": bool(c.member[FOCAL]),
        }

    @property
    def focal_staff(self) -> int:
        return int(np.sum(self.models["linear"].staff.firm == FOCAL))

    # ------------------------------------------------------------------- export
    def series_csv(self) -> str:
        frames = []
        for s, m in self.models.items():
            df = m.firm_daily()
            df.insert(0, "structure", s)
            frames.append(df)
        buf = io.StringIO()
        out = pd.concat(frames, ignore_index=True)
        out.insert(0, "seed", self.seed)
        out.insert(0, "scenario", self.scenario.meta.name)
        out.to_csv(buf, index=False)
        return buf.getvalue()


def scenario_toml(preset: str, overrides: Mapping[str, Any], seed: int) -> str:
    """The settings as a scenario file `spc` loads: the preset's values, the overrides
    and the seed. Written out in full so it does not depend on the preset file."""
    import tomli_w

    scenario = build_scenario(preset, {**overrides, "analysis.seed": seed})
    data = scenario.model_dump(mode="json")
    if not scenario.competitors.model_dump(exclude_none=True):
        data.pop("competitors", None)
    else:
        data["competitors"] = scenario.competitors.model_dump(mode="json", exclude_none=True)
    head = f"# exported from the spc app: preset {preset}, overrides {dict(overrides)}\n"
    return head + tomli_w.dumps(data)


def share_query(preset: str, overrides: Mapping[str, Any], seed: int) -> str:
    """Query string that restores preset, overrides and seed (see ``parse_query``)."""
    items = [("preset", preset), ("seed", str(seed))]
    for k, v in sorted(overrides.items()):
        items.append((k, _toml_value(v)))
    return urllib.parse.urlencode(items)


def parse_query(query: str | None) -> tuple[str | None, dict[str, Any], int | None]:
    """(preset, overrides, seed) from a shared link's query; values are TOML literals."""
    from .config import parse_override

    preset, seed, over = None, None, {}
    for k, v in urllib.parse.parse_qsl(query or "", keep_blank_values=True):
        if k == "preset":
            preset = v
        elif k == "seed":
            seed = int(v) if v.isdigit() else None
        elif k == "view":
            continue
        else:
            key, value = parse_override(f"{k}={v}")
            over[key] = value
    return preset, over, seed


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def _flow_today(m: ServiceProfitChainModel) -> np.ndarray:
    """Today's flow of feedback at the focal firm, from the model's tallies."""
    t = m.today[FOCAL]
    col = _COL
    given = t[col["feedback_items"]]
    direct = given * np.nan_to_num(t[col["feedback_direct_share"]])
    delivered = t[col["feedback_delivered"]]
    resolved = t[col["feedback_resolved"]]
    passed = max(delivered - direct, 0.0)
    lost = max(resolved - delivered, 0.0)
    sups = m.staff.supervisor_firm == FOCAL
    relay_value = float(np.mean(m.channels.relay_value[sups]))
    softened = passed * (1.0 - relay_value)
    slots = m.staff.firm == FOCAL
    waiting = float(m.queues.praise[slots].sum() + m.queues.criticism[slots].sum())
    control = 0.0
    rec = getattr(m, "last_record", None)
    if rec is not None:
        heard = rec.delivery.criticism_heard_by_supervisor[slots]
        control = float(np.sum(m.channels.self_focus[m.staff.team[slots]] * heard))
    return np.nan_to_num(np.array([given, direct, passed, softened, lost, waiting, control]))


# ------------------------------------------------------------------- headlines
# metric -> (words, scale, unit, decimals, higher is better)
HEADLINE_WORDS: dict[str, tuple[str, float, str, int, bool]] = {
    "visit_share": ("market share", 100.0, " pts", 1, True),
    "profit": ("profit", 1.0, " cu a day", 0, True),
    "engaged_share": ("staff engaged", 100.0, " pts", 1, True),
    "repeat_visit_rate": ("repeat visits", 100.0, " pts", 1, True),
    "satisfaction": ("customer satisfaction", 100.0, " pts", 1, True),
    "turnover_rate": ("staff turnover", 100.0, " pts a year", 1, False),
    "feedback_latency": ("feedback delay", 1.0, " days", 1, False),
    "feedback_fidelity": ("feedback fidelity", 100.0, " pts", 1, True),
}


@dataclass(frozen=True)
class Headline:
    metric: str
    diff: float
    linear: float
    triangular: float
    words: str
    better: str  # "triangular", "linear" or "neither"
    ci: tuple[float, float] | None = None

    @classmethod
    def of(
        cls,
        metric: str,
        diff: float,
        linear: float,
        triangular: float,
        ci: tuple[float, float] | None = None,
    ) -> Headline:
        label, scale, unit, dec, up = HEADLINE_WORDS[metric]
        if not np.isfinite(diff):
            return cls(metric, diff, linear, triangular, f"{label}: not measured yet", "neither")
        shown = round(diff * scale, dec)
        text = f"triangular {shown:+,.{dec}f}{unit} {label}"
        if ci is not None:
            half = (ci[1] - ci[0]) / 2 * scale
            text += f" (± {half:,.{dec}f})"
        if shown == 0:
            better = "neither"
            text = (
                f"about the same {label}"
                + text[len(f"triangular {shown:+,.{dec}f}{unit} {label}") :]
            )
        else:
            better = "triangular" if (shown > 0) == up else "linear"
        return cls(metric, diff, linear, triangular, text, better, ci)


def replicated_headlines(scenario: Scenario, replications: int, days: int, seed: int):
    """Headlines with 95 % intervals from paired replications (run in the background)."""
    from .runner import compare

    result = compare(scenario, replications=replications, days=days, seed=seed)
    s = result.summary.set_index("metric")
    out = []
    for k in HEADLINE_WORDS:
        row = s.loc[k]
        out.append(
            Headline.of(
                k,
                float(row["difference"]),
                float(row["linear_mean"]),
                float(row["triangular_mean"]),
                (float(row["ci_low"]), float(row["ci_high"])),
            )
        )
    return out


def metric_label(name: str) -> str:
    m = BY_NAME[name]
    return f"{m.description} ({m.unit})"
