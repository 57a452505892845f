"""Survey instruments: TOML files of items, each measuring one construct with a loading.

An instrument has an employee part and a customer part. Each part lists its items
(``[[employees.items]]``: ``id``, ``construct``, ``text``, ``loading``, ``reverse``,
optional ``points``) and how the survey is administered (``[employees.response]``:
response rate and its dependence on the respondent's state, acquiescence,
top-box leniency, item non-response). Files are validated like scenarios: every
problem is one line naming the file, the dotted field, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from .config import ScenarioError, read_toml

INSTRUMENTS = Path(__file__).resolve().parents[1] / "instruments"
DEFAULT_INSTRUMENT = INSTRUMENTS / "standard.toml"

# Constructs a simulated respondent can be asked about (latent values: sim.surveys).
EMPLOYEE_CONSTRUCTS = (
    "engagement",
    "autonomy",
    "recognition",
    "meaning",
    "growth",
    "supervisor_support",
    "workload",
    "harsh_criticism",
    "reward",
    "involvement",
)
CUSTOMER_CONSTRUCTS = (
    "intent_to_return",
    "recommend",
    "satisfaction",
    "quality",
    "relationship",
    "alternatives",
    "value",
    "rewards",
)
OUTCOMES = {"employees": ("engagement",), "customers": ("intent_to_return", "recommend")}


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, allow_inf_nan=False, protected_namespaces=()
    )


class Response(_Strict):
    """How a survey is administered and answered (measurement realism)."""

    rate: float = Field(
        0.65,
        ge=0.01,
        le=1,
        description="Response rate of an average member of the sample frame "
        "(assumption: typical of employee and post-visit customer surveys, 0.3-0.8)",
    )
    state_slope: float = Field(
        0.6,
        ge=0,
        le=5,
        description="Rise of the log-odds of responding per standard deviation of the "
        "respondent's state (engagement; satisfaction): the disengaged and the "
        "dissatisfied answer less (assumption; 0 = ignorable non-response)",
    )
    acquiescence_mean: float = Field(
        0.15, ge=-1, le=1, description="Mean yea-saying shift of every answer (response sds)"
    )
    acquiescence_sd: float = Field(
        0.25, ge=0, le=2, description="Spread of yea-saying between respondents (response sds)"
    )
    leniency: float = Field(
        0.35,
        ge=-2,
        le=2,
        description="Shift of the category thresholds down (response sds): top-box / ceiling skew",
    )
    item_missing: float = Field(
        0.01, ge=0, le=0.5, description="Chance a respondent skips any one item"
    )


# "construct" is the natural key in the files; it shadows pydantic's deprecated
# BaseModel.construct, which this class never uses
warnings.filterwarnings("ignore", message='Field name "construct"', category=UserWarning)


class Item(_Strict):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    # shadows BaseModel.construct on purpose (see above): the file's key is the field name
    construct: str  # type: ignore[assignment]
    text: str = ""
    loading: float = Field(
        0.75, gt=0, le=1, description="Standardised loading on the construct (reliability = l²)"
    )
    reverse: bool = False
    points: int | None = Field(None, ge=2, le=11, description="Answer categories (default: part's)")


class Part(_Strict):
    scale_points: int = Field(5, ge=2, le=11)
    response: Response = Response()
    items: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self):
        seen = set()
        for it in self.items:
            if it.id in seen:
                raise ValueError(f"item id {it.id!r} is used twice; ids must be unique")
            seen.add(it.id)
        return self

    def constructs(self) -> list[str]:
        out: list[str] = []
        for it in self.items:
            if it.construct not in out:
                out.append(it.construct)
        return out

    def items_of(self, construct: str) -> list[Item]:
        return [it for it in self.items if it.construct == construct]


class EmployeePart(Part):
    @field_validator("items")
    @classmethod
    def _known(cls, items: list[Item]) -> list[Item]:
        return _check_constructs(items, EMPLOYEE_CONSTRUCTS)


class CustomerPart(Part):
    @field_validator("items")
    @classmethod
    def _known(cls, items: list[Item]) -> list[Item]:
        return _check_constructs(items, CUSTOMER_CONSTRUCTS)


def _check_constructs(items: list[Item], allowed: tuple[str, ...]) -> list[Item]:
    for i, it in enumerate(items):
        if it.construct not in allowed:
            raise _ConstructError(i, it.construct, allowed)
    return items


class _ConstructError(ValueError):
    def __init__(self, index: int, value: str, allowed: tuple[str, ...]):
        self.index, self.value, self.allowed = index, value, allowed
        super().__init__(f"unknown construct; allowed: {', '.join(allowed)}")


class Meta(_Strict):
    name: str = "unnamed"
    description: str = ""


class Instrument(_Strict):
    meta: Meta = Meta()
    employees: EmployeePart = EmployeePart()
    customers: CustomerPart = CustomerPart()

    def part(self, population: str) -> Part:
        return getattr(self, population)

    def digest(self) -> str:
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def n_items(self) -> int:
        return len(self.employees.items) + len(self.customers.items)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _allowed(loc: tuple, err: ErrorDetails) -> str:
    """What is allowed at ``loc``: read from the schema's field constraints."""
    model: Any = Instrument
    info = None
    for part in loc:
        if isinstance(part, int):
            model = Item
            continue
        fields = getattr(model, "model_fields", {})
        if err["type"] == "extra_forbidden" and part == loc[-1]:
            return "allowed here: " + ", ".join(fields)
        info = fields.get(str(part))
        if info is None:
            return ""
        ann = info.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else Item
    if info is None:
        return ""
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    kind = getattr(info.annotation, "__name__", str(info.annotation))
    if lo is not None or hi is not None:
        return f"allowed: {kind} from {lo} to {hi}"
    return f"allowed: {kind}"


def format_errors(err: ValidationError, source: str, data: dict) -> list[str]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        ctx = e.get("ctx") or {}
        cerr = ctx.get("error")
        if isinstance(cerr, _ConstructError):
            loc = (*loc, cerr.index, "construct")
            problems.append(
                f"{source}: {_dotted(loc)} = {json.dumps(cerr.value)}: unknown construct; "
                f"allowed: {', '.join(cerr.allowed)}"
            )
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        value = e.get("input")
        allowed = _allowed(loc, e)
        if isinstance(value, dict | list):
            line = f"{source}: {_dotted(loc)}: {msg}"
        else:
            line = f"{source}: {_dotted(loc)} = {json.dumps(value, default=str)}: {msg}"
        problems.append(f"{line}; {allowed}" if allowed else line)
    return problems


def load_instrument(path: str | Path | None = None) -> Instrument:
    """Load and validate an instrument file (default: instruments/standard.toml).

    Raises :class:`~sim.config.ScenarioError` with one line per problem.
    """
    p = Path(path) if path is not None else DEFAULT_INSTRUMENT
    source = str(p)
    data = read_toml(p, "instrument")
    try:
        inst = Instrument.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc, source, data)) from None
    if not inst.employees.items and not inst.customers.items:
        raise ScenarioError([f"{source}: no items: add [[employees.items]] or [[customers.items]]"])
    return inst
