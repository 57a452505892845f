"""Experiment specification: factors, design, outcomes; read from TOML and validated.

Every problem is one line naming the file, the dotted field, the value and what is
allowed (raised as :class:`sim.config.ScenarioError`, exit status 2 on the CLI).
A factor's range is the study's own; the schema's range is a validity limit the
factor's range must lie within.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from ..config import (
    STRUCTURES,
    ParamInfo,
    Scenario,
    ScenarioError,
    iter_parameters,
    load_scenario,
    read_toml,
)

DESIGNS = ("factorial", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "triangular")
TARGETS = ("difference", "linear", "triangular")
DEFAULT_OUTCOMES = ("engagement_mean", "repeat_visit_rate", "visit_share")

# Metrics for which a lower value is the better one: "linear matches or beats
# triangular" means a difference (triangular - linear) at or above the threshold.
LOWER_IS_BETTER = frozenset(
    {
        "not_engaged_share",
        "disengaged_share",
        "costs",
        "turnover_rate",
        "feedback_latency",
        "supervisor_control_load",
        "control",
        "overload",
    }
)

TOP_FIELDS = (
    "name",
    "description",
    "scenario",
    "model",
    "design",
    "n",
    "replications",
    "days",
    "seed",
    "outcomes",
    "second_order",
    "morris_levels",
    "set",
    "analysis",
    "factors",
)
FACTOR_FIELDS = ("path", "range", "levels", "steps", "distribution", "mode", "group")
# columns of the run store that a factor or output must not shadow
RESERVED = frozenset(
    {
        "run_id",
        "study",
        "point",
        "replication",
        "structure",
        "seed",
        "days",
        "status",
        "error",
        "attempts",
        "elapsed_s",
        "params",
    }
)
ANALYSIS_FIELDS = ("target", "prim_outcome", "prim_threshold", "heatmap")


@dataclass
class Factor:
    """One factor: a dotted parameter path (or a keyword of a custom model) varied over
    ``[low, high]`` (continuous designs; ``steps`` levels in a factorial) or over
    explicit ``levels``. ``distribution``: uniform, loguniform or triangular (``mode``).
    ``group``: Sobol group name."""

    path: str
    low: float | None = None
    high: float | None = None
    levels: list | None = None
    steps: int | None = None
    distribution: str = "uniform"
    mode: float | None = None
    group: str | None = None
    integer: bool = False  # set on validation from the schema (e.g. cadence in days)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"path": self.path}
        if self.levels is not None:
            d["levels"] = list(self.levels)
        else:
            d["range"] = [self.low, self.high]
        for key in ("steps", "mode", "group"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.distribution != "uniform":
            d["distribution"] = self.distribution
        return d

    @property
    def numeric(self) -> bool:
        return self.levels is None or all(
            isinstance(v, int | float) and not isinstance(v, str) for v in self.levels
        )

    def from_unit(self, u: float) -> Any:
        """The factor's value at quantile ``u`` in [0, 1] of its distribution."""
        u = min(max(float(u), 0.0), 1.0)
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        if self.low is None or self.high is None:
            raise ValueError(f"factor {self.path}: neither levels nor a range [low, high]")
        lo, hi = float(self.low), float(self.high)
        if self.distribution == "loguniform":
            x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        elif self.distribution == "triangular":
            if self.mode is None:
                raise ValueError(f"factor {self.path}: a triangular distribution needs a mode")
            mode = float(self.mode)
            c = (mode - lo) / (hi - lo) if hi > lo else 0.5
            if u < c:
                x = lo + math.sqrt(u * (hi - lo) * (mode - lo))
            else:
                x = hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))
        else:
            x = lo + u * (hi - lo)
        if self.integer:
            return round(x)
        return float(x)

    def design_needs_steps(self, design: str) -> bool:
        return design == "factorial" and self.levels is None and self.steps is None

    def grid(self) -> list:
        """Levels of a full-factorial design."""
        if self.levels is not None:
            return list(self.levels)
        k = self.steps or 2
        vals = [self.from_unit(i / (k - 1)) if k > 1 else self.from_unit(0.5) for i in range(k)]
        return list(dict.fromkeys(vals))  # integer rounding may merge levels


@dataclass
class Study:
    """A study in the spirit of SALib's ProblemSpec: factors, design, outcomes.

    ``scenario``: base scenario file (or a Scenario, or None for the defaults);
    ``model``: ``"package.module:callable"`` to study any model instead of this
    simulator (called with the factors as keyword arguments plus ``seed``, returning a
    mapping of named outputs); ``set``: fixed dotted overrides of the base scenario.
    """

    factors: list[Factor] = field(default_factory=list)
    design: str = "factorial"
    n: int | None = None
    replications: int = 1
    days: int | None = None
    seed: int = 1
    outcomes: list[str] | None = None
    scenario: str | Path | Scenario | None = None
    model: str | None = None
    name: str = "study"
    description: str = ""
    second_order: bool = False
    morris_levels: int = 4
    set: dict = field(default_factory=dict)
    analysis: dict = field(default_factory=dict)
    source: str = "<study>"
    out: Path | None = None  # the store of the last .run()

    def __post_init__(self):
        self.factors = [f if isinstance(f, Factor) else Factor(**f) for f in self.factors]
        self._validate()

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        source = str(path)
        data = read_toml(path, "experiment")
        return cls.from_dict(data, source=source, base_dir=Path(path).parent)

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "<study>", base_dir: Path | None = None):
        def bad(field_: str, value: Any, msg: str) -> ScenarioError:
            return ScenarioError([f"{source}: {field_} = {_show(value)}: {msg}"])

        for key in data:
            if key not in TOP_FIELDS:
                raise bad(key, data[key], f"unknown field; allowed here: {', '.join(TOP_FIELDS)}")
        factors = data.get("factors", [])
        if not isinstance(factors, list):
            raise bad("factors", factors, "must be an array of tables [[factors]]")
        parsed = []
        for i, f in enumerate(factors):
            where = f"factors[{i}]"
            if not isinstance(f, Mapping):
                raise bad(where, f, "must be a table with path and range or levels")
            for key in f:
                if key not in FACTOR_FIELDS:
                    allowed = ", ".join(FACTOR_FIELDS)
                    raise bad(f"{where}.{key}", f[key], f"unknown field; allowed: {allowed}")
            if "path" not in f:
                raise bad(f"{where}.path", None, "missing; allowed: a dotted parameter path")
            rng = f.get("range")
            low = high = None
            if rng is not None:
                if (
                    not isinstance(rng, list)
                    or len(rng) != 2
                    or not all(_is_number(x) for x in rng)
                ):
                    raise bad(f"{where}.range", rng, "allowed: a pair [low, high] of numbers")
                low, high = rng
            parsed.append(
                Factor(
                    path=f["path"],
                    low=low,
                    high=high,
                    levels=f.get("levels"),
                    steps=f.get("steps"),
                    distribution=f.get("distribution", "uniform"),
                    mode=f.get("mode"),
                    group=f.get("group"),
                )
            )
        scenario = data.get("scenario")
        if isinstance(scenario, str) and base_dir is not None and not Path(scenario).is_absolute():
            # relative to the experiment file, so a study runs from any working folder
            scenario = str((base_dir / scenario).resolve())
        kwargs = {k: data[k] for k in TOP_FIELDS if k in data and k not in ("factors", "scenario")}
        return cls(factors=parsed, scenario=scenario, source=source, **kwargs)

    # ------------------------------------------------------------- validation
    def _problem(self, field_: str, value: Any, msg: str) -> ScenarioError:
        return ScenarioError([f"{self.source}: {field_} = {_show(value)}: {msg}"])

    def _validate(self) -> None:
        for key, kind in (("name", str), ("description", str)):
            if not isinstance(getattr(self, key), kind):
                raise self._problem(key, getattr(self, key), "allowed: a string")
        if self.design not in DESIGNS:
            raise self._problem("design", self.design, f"allowed: {', '.join(DESIGNS)}")
        for key, lo in (("replications", 1), ("seed", 0), ("morris_levels", 2)):
            v = getattr(self, key)
            if not _is_int(v) or v < lo:
                raise self._problem(key, v, f"allowed: an integer >= {lo}")
        if self.design in ("lhs", "sobol", "morris"):
            if self.n is None:
                raise self._problem("n", None, f"missing: design {self.design!r} needs n")
            if not _is_int(self.n) or self.n < 2:
                raise self._problem("n", self.n, "allowed: an integer >= 2")
        elif self.n is not None:
            raise self._problem("n", self.n, "a factorial design takes no n (set steps or levels)")
        if not isinstance(self.second_order, bool):
            raise self._problem("second_order", self.second_order, "allowed: true or false")
        if not isinstance(self.set, Mapping):
            raise self._problem("set", self.set, "allowed: a table of dotted overrides")
        if not isinstance(self.analysis, Mapping):
            raise self._problem("analysis", self.analysis, "allowed: a table")
        for key in self.analysis:
            if key not in ANALYSIS_FIELDS:
                raise self._problem(
                    f"analysis.{key}",
                    self.analysis[key],
                    f"unknown field; allowed: {', '.join(ANALYSIS_FIELDS)}",
                )
        if self.analysis.get("target", "difference") not in TARGETS:
            raise self._problem(
                "analysis.target", self.analysis["target"], f"allowed: {', '.join(TARGETS)}"
            )
        if not _is_number(self.analysis.get("prim_threshold", 0.0)):
            raise self._problem(
                "analysis.prim_threshold", self.analysis["prim_threshold"], "allowed: a number"
            )
        if self.design in ("sobol", "morris", "lhs") and not self.factors:
            raise self._problem("factors", [], f"design {self.design!r} needs at least one factor")
        if self.model is not None:
            self._validate_model()
        else:
            self._validate_simulator()
        seen = set()
        for i, f in enumerate(self.factors):
            if f.path in seen:
                raise self._problem(f"factors[{i}].path", f.path, "listed twice")
            seen.add(f.path)
        for i, f in enumerate(self.factors):
            self._validate_factor(i, f)
        groups = [f.group for f in self.factors]
        if any(g is not None for g in groups) and self.design != "sobol":
            i = next(i for i, g in enumerate(groups) if g is not None)
            raise self._problem(f"factors[{i}].group", groups[i], "groups apply to design 'sobol'")
        if self.design == "sobol" and any(g is not None for g in groups):
            if len({g or f.path for g, f in zip(groups, self.factors, strict=True)}) < 2:
                raise self._problem("factors", "(groups)", "Sobol groups need at least two groups")

    def _validate_model(self) -> None:
        if not isinstance(self.model, str) or self.model.count(":") != 1:
            raise self._problem("model", self.model, "allowed: 'package.module:callable'")
        fn = resolve_model(self.model, self.source)
        if self.outcomes is None or not self.outcomes:
            raise self._problem(
                "outcomes", self.outcomes, "a custom model needs the names of its outputs"
            )
        for i, name in enumerate(self.outcomes):
            if not isinstance(name, str) or name in RESERVED:
                raise self._problem(f"outcomes[{i}]", name, "a column name the run store uses")
        if self.scenario is not None or self.set or self.days is not None:
            raise self._problem(
                "model", self.model, "scenario, set and days apply to this simulator only"
            )
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return
        names = [f.path for f in self.factors]
        try:
            sig.bind(**{n: 0.0 for n in names}, seed=0)
        except TypeError as exc:
            raise self._problem(
                "model", self.model, f"cannot take the factors {names} and seed: {exc}"
            ) from None
        self._params: dict[str, ParamInfo] = {}

    def _validate_simulator(self) -> None:
        if isinstance(self.scenario, Scenario):
            base = self.scenario
        else:
            base = load_scenario(self.scenario) if self.scenario is not None else load_scenario()
        if self.set:
            labels = {k: f"{self.source}: set.{k} = {v!r}" for k, v in self.set.items()}
            base = base.with_overrides(dict(self.set), labels)
        self._base = base
        days = base.market.days if self.days is None else self.days
        if not _is_int(days) or days < 1:
            raise self._problem("days", days, "allowed: an integer >= 1")
        if days <= base.market.warmup_days:
            raise self._problem(
                "days",
                days,
                f"must exceed market.warmup_days ({base.market.warmup_days}) of the scenario",
            )
        self.days = days
        from ..metrics import METRIC_NAMES

        if self.outcomes is None:
            self.outcomes = list(DEFAULT_OUTCOMES)
        if not isinstance(self.outcomes, list) or not self.outcomes:
            raise self._problem("outcomes", self.outcomes, "allowed: a list of metric names")
        for i, m in enumerate(self.outcomes):
            if m not in METRIC_NAMES:
                raise self._problem(
                    f"outcomes[{i}]", m, f"unknown metric{_suggest(m, METRIC_NAMES)}"
                )
        self._params = {p.path: p for p in iter_parameters()}
        prim = self.analysis.get("prim_outcome")
        if prim is not None and prim not in self.outcomes:
            raise self._problem("analysis.prim_outcome", prim, f"allowed: one of {self.outcomes}")

    def _validate_factor(self, i: int, f: Factor) -> None:
        where = f"factors[{i}]"
        if not isinstance(f.path, str) or not f.path:
            raise self._problem(f"{where}.path", f.path, "allowed: a dotted parameter path")
        if f.path in RESERVED:
            raise self._problem(f"{where}.path", f.path, "a column name the run store uses")
        info = self._params.get(f.path) if self.model is None else None
        if self.model is None and info is None:
            raise self._problem(
                f"{where}.path",
                f.path,
                f"unknown parameter{_suggest(f.path, list(self._params))}; "
                "allowed: a path listed by `spc params`",
            )
        if self.model is None and f.path.startswith("structures."):
            raise self._problem(
                f"{where}.path", f.path, "the structures are what every point compares"
            )
        if (f.levels is None) == (f.low is None):
            raise self._problem(where, f.path, "give exactly one of range = [low, high] or levels")
        if f.distribution not in DISTRIBUTIONS:
            raise self._problem(
                f"{where}.distribution", f.distribution, f"allowed: {', '.join(DISTRIBUTIONS)}"
            )
        if f.steps is not None:
            if self.design != "factorial" or f.levels is not None:
                raise self._problem(
                    f"{where}.steps", f.steps, "steps apply to a range in a factorial design"
                )
            if not _is_int(f.steps) or f.steps < 2:
                raise self._problem(f"{where}.steps", f.steps, "allowed: an integer >= 2")
        if info is not None:
            f.integer = isinstance(info.default, int) and not isinstance(info.default, bool)
            if isinstance(info.default, bool | str) and f.levels is None:
                raise self._problem(
                    f"{where}.range",
                    [f.low, f.high],
                    f"{f.path} is not numeric; allowed: levels = {_levels_hint(info)}",
                )
        if f.levels is not None:
            if not isinstance(f.levels, list) or len(f.levels) < 1:
                raise self._problem(f"{where}.levels", f.levels, "allowed: a non-empty list")
            if f.distribution != "uniform":
                raise self._problem(
                    f"{where}.distribution", f.distribution, "levels are drawn uniformly"
                )
            if info is not None:
                for v in f.levels:
                    try:
                        self._base.with_overrides({f.path: v})
                    except ScenarioError as exc:
                        tail = exc.problems[0].split(": ", 2)[-1]
                        raise self._problem(f"{where}.levels", v, tail) from None
            return
        if f.design_needs_steps(self.design):
            raise self._problem(
                f"{where}.steps", None, "missing: a range in a factorial design needs steps"
            )
        if f.low is None or f.high is None:  # e.g. Factor(path, low) from Python
            raise self._problem(
                f"{where}.range", [f.low, f.high], "allowed: a pair [low, high] of numbers"
            )
        lo, hi = float(f.low), float(f.high)
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
            raise self._problem(f"{where}.range", [f.low, f.high], "allowed: finite low < high")
        if info is not None and info.low is not None:
            if lo < info.low or hi > info.high:
                raise self._problem(
                    f"{where}.range",
                    [f.low, f.high],
                    f"outside the valid range of {f.path}; allowed: within "
                    f"[{info.low}, {info.high}] ({info.unit})",
                )
        if f.distribution == "loguniform" and lo <= 0:
            raise self._problem(f"{where}.range", [f.low, f.high], "loguniform needs low > 0")
        if f.distribution == "triangular":
            if not _is_number(f.mode) or not lo <= f.mode <= hi:
                raise self._problem(
                    f"{where}.mode", f.mode, f"allowed: a number within [{lo}, {hi}]"
                )
        elif f.mode is not None:
            raise self._problem(f"{where}.mode", f.mode, "mode applies to distribution triangular")

    # --------------------------------------------------------------- identity
    @property
    def custom(self) -> bool:
        return self.model is not None

    @property
    def structures(self) -> tuple[str, ...]:
        return ("",) if self.custom else STRUCTURES

    @property
    def base(self) -> Scenario | None:
        return getattr(self, "_base", None)

    def to_dict(self) -> dict:
        """Everything that defines the study's runs and analysis (no file names)."""
        d: dict[str, Any] = {
            "name": self.name,
            "design": self.design,
            "n": self.n,
            "replications": self.replications,
            "days": self.days,
            "seed": self.seed,
            "outcomes": list(self.outcomes or []),
            "model": self.model,
            "second_order": self.second_order,
            "morris_levels": self.morris_levels,
            "analysis": dict(self.analysis),
            "factors": [f.to_dict() for f in self.factors],
        }
        base = self.base
        if base is not None:  # a study of this simulator (a custom model has no base)
            d["scenario_hash"] = base.digest()
        return d

    def digest(self) -> str:
        """Hash of what defines the runs (not the name or the analysis options, which can
        change without invalidating a store)."""
        runs = {k: v for k, v in self.to_dict().items() if k not in ("name", "analysis")}
        text = json.dumps(runs, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # ------------------------------------------------------------- run / analyse
    def plan(self):
        from .design import plan

        return plan(self)

    def run(self, evaluator=None, out: str | Path | None = None, **kwargs):
        """Run every planned run not yet in the store ``out`` (a temporary folder if
        None); returns the store's path. See :func:`sim.study.execute.run_study`."""
        from .execute import run_study

        if out is None:
            import tempfile

            out = tempfile.mkdtemp(prefix=f"spc-study-{self.name}-")
        self.out = Path(out)
        run_study(self, self.out, evaluator=evaluator, **kwargs)
        return self.out

    def analyze(self, out: str | Path | None = None):
        """Outcomes per point and the sensitivity analysis of the study in store ``out``."""
        from .analysis import analyse

        store = Path(out) if out is not None else self.out
        if store is None:
            raise ScenarioError([f"{self.source}: nothing to analyse: run the study first"])
        return analyse(store)


def resolve_model(ref: str, source: str = "<study>"):
    """Import ``package.module:callable``; a one-line error if that fails."""
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or the module failing on import
        raise ScenarioError(
            [
                f"{source}: model = {ref!r}: cannot import {module_name!r} ({type(exc).__name__}: "
                f"{exc}); allowed: 'package.module:callable' importable here"
            ]
        ) from None
    fn: object = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            break
    if fn is None or not callable(fn):
        raise ScenarioError([f"{source}: model = {ref!r}: {module_name} has no callable {attr!r}"])
    return fn


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _show(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _suggest(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _levels_hint(info) -> str:
    if isinstance(info.default, bool):
        return "[false, true]"
    return "[" + ", ".join(repr(x) for x in str(info.unit).split(" | ")) + "]"
