"""Workshop lessons: guided steps a trainer advances with a click or a key.

A lesson is a TOML file (``lessons/*.toml``) a trainer can copy and edit::

    [lesson]
    title = "Who hears the customer?"
    summary = "..."

    [[step]]
    title = "A calm baseline"
    scenario = "baseline"          # a file in scenarios/ (stem) or a path
    set = { "customers.count" = 2000 }   # optional dotted overrides
    days = 180                     # run the twin to this day
    narration = "One or two sentences the trainer reads out."

    [step.predict]                 # optional "predict, then reveal"
    question = "Which structure ends with more engaged staff?"
    metric = "engaged_share"       # the run decides the answer
    tolerance = 0.02               # |triangular - linear| below this: "about the same"

The answer to a prediction is read off the run the room has just watched, never
written into the file: a lesson cannot tell the room something the model did not do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import ScenarioError, format_validation_error
from .metrics import METRIC_NAMES

LESSON_DIR = Path(__file__).resolve().parents[1] / "lessons"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Predict(_Strict):
    question: str
    metric: str = Field(description="metric of the focal firm that settles the question")
    tolerance: float = Field(0.0, ge=0)

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in METRIC_NAMES:
            raise ValueError(f"unknown metric; allowed: {', '.join(METRIC_NAMES)}")
        return value


class Step(_Strict):
    title: str
    narration: str
    scenario: str = "baseline"
    set: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(1, ge=0)
    days: int = Field(180, ge=1, le=3650)
    predict: Predict | None = None


class LessonInfo(_Strict):
    title: str
    summary: str = ""


class Lesson(_Strict):
    lesson: LessonInfo
    step: list[Step] = Field(min_length=1)

    @property
    def title(self) -> str:
        return self.lesson.title

    @property
    def steps(self) -> list[Step]:
        return self.step


def load_lesson(path: str | Path) -> Lesson:
    """Load and validate a lesson file (raises ScenarioError, one line per problem),
    including every step's scenario and overrides."""
    from .twin import build_scenario

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([f"{p}: no such lesson file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{p}: not valid TOML: {exc}"]) from None
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, str(p), schema=Lesson)) from None
    problems = []
    for i, s in enumerate(lesson.steps):
        try:
            build_scenario(s.scenario, {**s.set, "market.days": max(s.days, 2)})
        except ScenarioError as exc:
            problems += [f"{p}: step[{i}] ({s.title}): {line}" for line in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return lesson


def lesson_files() -> list[Path]:
    return sorted(LESSON_DIR.glob("*.toml"))


def answer(predict: Predict, linear: float, triangular: float) -> str:
    """Which structure the run favours on the question's metric (higher value)."""
    diff = triangular - linear
    if not (diff == diff):  # NaN: nothing measured
        return "not measured"
    if abs(diff) <= predict.tolerance:
        return "about the same"
    return "triangular" if diff > 0 else "linear"
