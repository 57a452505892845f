"""Scenario schema: typed, validated parameters loaded from TOML.

Every parameter carries its default, allowed range, unit, description and,
where one exists, a literature source. The schema is the single source of truth
for ``spc params`` and for the parameter table in ``docs/ODD.md``.

Quality, expectation, satisfaction, engagement, skill, knowledge, rapport,
autonomy and attitudes are all on a 0-1 scale ("q-units"). Money is in an
abstract currency unit ("cu"); time is in days.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo

STRUCTURES = ("linear", "triangular")
StructureName = Literal["linear", "triangular"]


def _basis(extra: dict[str, Any], source: str | None, assumption: str | None) -> dict[str, Any]:
    """Record where a value comes from: a ``source`` that supports the value itself,
    or an ``assumption`` stating why this value and over what range results were checked."""
    if source:
        extra["source"] = source
    if assumption:
        extra["assumption"] = assumption
    return extra


def P(
    default,
    lo,
    hi,
    unit: str,
    description: str,
    source: str | None = None,
    *,
    assumption: str | None = None,
) -> Any:
    """A documented parameter: default, closed range [lo, hi], unit, meaning, and its basis
    (a literature ``source`` for the value, or an ``assumption`` with its reason)."""
    extra = _basis({"unit": unit}, source, assumption)
    return Field(default, ge=lo, le=hi, description=description, json_schema_extra=extra)


def _check_range(value: list[float], lo: float, hi: float) -> list[float]:
    if len(value) != 2:
        raise ValueError(f"must be a pair [low, high] within [{lo}, {hi}]")
    a, b = float(value[0]), float(value[1])
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError("must be two finite numbers [low, high]")
    if a > b:
        raise ValueError(f"inverted range: low {a} > high {b}; write [low, high]")
    if a < lo or b > hi:
        raise ValueError(f"must lie within [{lo}, {hi}]")
    return [a, b]


def _range_checker(lo: float, hi: float):
    # a module-level check called at validation time (not a closure made at import), so
    # mutation testing can switch a mutant of it on after the schema is built
    return lambda value: _check_range(value, lo, hi)


def R(
    default,
    lo,
    hi,
    unit: str,
    description: str,
    source: str | None = None,
    *,
    assumption: str | None = None,
) -> Any:
    """A documented [low, high] pair from which initial values are drawn uniformly."""
    extra = _basis({"unit": unit, "range_bounds": [lo, hi]}, source, assumption)
    return Field(list(default), description=description, json_schema_extra=extra)


def RangeType(lo: float, hi: float):
    return Annotated[list[float], AfterValidator(_range_checker(lo, hi))]


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, validate_default=True, frozen=True, allow_inf_nan=False
    )


# --------------------------------------------------------------------------- market
class Meta(Section):
    name: str = Field("unnamed", description="Scenario name shown in reports")
    description: str = Field("", description="What the scenario shows")


class Market(Section):
    firms: int = P(3, 2, 12, "firms", "Competing firms; firm 0 is the focal firm")
    days: int = P(365, 1, 3650, "day", "Default simulated horizon (one step = one day)")
    warmup_days: int = P(
        90, 0, 3000, "day", "Initial days excluded from summaries (transient from initialisation)"
    )

    @field_validator("warmup_days")
    @classmethod
    def _warmup_before_end(cls, value: int, info: ValidationInfo) -> int:
        days = info.data.get("days")
        if days is not None and value >= days:
            raise ValueError(f"must be below market.days ({days}): nothing would be measured")
        return value

    competitor_structure: StructureName = Field(
        "linear",
        description="Feedback structure of the competitor firms (held fixed in comparisons)",
    )


class StructurePreset(Section):
    direct_share: float = P(
        0.0,
        0,
        1,
        "share",
        "Share of customer feedback that reaches the served employee directly "
        "(the rest goes through the supervisor's filter)",
    )


class Structures(Section):
    linear: StructurePreset = StructurePreset(direct_share=0.0)
    triangular: StructurePreset = StructurePreset(direct_share=1.0)


# ------------------------------------------------------------------------ customers
class Customers(Section):
    count: int = P(2000, 10, 5_000_000, "customers", "Customers in the market")
    visit_rate: float = P(
        0.1, 0.001, 1, "1/day", "Probability that a customer seeks the service on a given day"
    )
    needs: int = P(
        4, 1, 16, "need types", "Distinct kinds of customer need an employee must learn to serve"
    )
    expectation_init: RangeType(0, 1) = R(
        (0.45, 0.65), 0, 1, "q-units", "Initial service expectation, drawn uniformly"
    )
    expectation_adaptation: float = P(
        0.15,
        0,
        1,
        "per visit",
        "Weight of the latest experienced quality in the adapting expectation",
        "Oliver 1980, J. Marketing Research (adaptation level)",
    )
    disconfirmation_weight: float = P(
        0.6,
        0,
        3,
        "q-units per q-unit",
        "Effect of disconfirmation (quality minus expectation) on satisfaction",
        "Oliver 1980; Anderson & Sullivan 1993, Marketing Science",
    )
    attitude_learning: float = P(
        0.3, 0, 1, "per visit", "Weight of the latest satisfaction in the attitude to that firm"
    )
    attitude_init: RangeType(0, 1) = R(
        (0.4, 0.6), 0, 1, "q-units", "Initial attitude to each firm, drawn uniformly"
    )
    choice_sensitivity: float = P(
        8.0,
        0,
        50,
        "utility per q-unit",
        "Logit scale of attitude in the choice among firms",
        "McFadden 1974 (multinomial logit)",
    )
    habit: float = P(
        0.4,
        0,
        5,
        "utility",
        "Utility bonus for the firm visited last (habit and switching cost)",
        "Klemperer 1995, Rev. Economic Studies (switching costs)",
    )
    price_sensitivity: float = P(0.01, 0, 1, "utility per cu", "Disutility of price in choice")
    feedback_base: float = P(
        0.02, 0, 1, "probability per visit", "Chance of giving feedback after an unsurprising visit"
    )
    feedback_surprise: float = P(
        1.0,
        0,
        10,
        "probability per q-unit",
        "Rise of the feedback probability with the size of the surprise |disconfirmation| "
        "(U-shaped in disconfirmation)",
        "Anderson 1998, J. Service Research",
    )
    harshness: float = P(
        0.4,
        0,
        1,
        "share",
        "Share of negative comments that point at the person rather than the task",
        "Kluger & DeNisi 1996, Psychological Bulletin",
    )


class WordOfMouth(Section):
    degree: int = P(
        6,
        0,
        100,
        "contacts",
        "Contacts per customer in the ring lattice before rewiring (even; at most "
        "customers - 1; rewiring that duplicates an edge drops it)",
    )

    @field_validator("degree")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even (a ring lattice has degree/2 neighbours on each side)")
        return value

    rewiring: float = P(
        0.1,
        0,
        1,
        "probability",
        "Watts-Strogatz rewiring probability of the social graph",
        "Watts & Strogatz 1998, Nature",
    )
    threshold: float = P(
        0.15, 0, 2, "q-units", "Surprise |disconfirmation| above which a customer may talk"
    )
    talk_probability: float = P(
        0.3, 0, 1, "probability", "Chance that a surprised customer tells all contacts"
    )
    strength: float = P(
        0.03,
        0,
        1,
        "q-units per message",
        "Shift of a listener's attitude to the firm talked about",
        "Goldenberg, Libai & Muller 2001, Marketing Letters",
    )
    negativity: float = P(
        2.0,
        1,
        5,
        "ratio",
        "Weight of negative relative to positive word of mouth",
        "Anderson 1998, J. Service Research",
    )


# ----------------------------------------------------------------- service encounter
class Service(Section):
    weight_skill: float = P(0.35, 0, 1, "q-units", "Weight of skill in encounter quality")
    weight_knowledge: float = P(
        0.25, 0, 1, "q-units", "Weight of knowledge of this customer's need"
    )
    weight_effort: float = P(
        0.25,
        0,
        1,
        "q-units",
        "Weight of discretionary effort (engagement) in quality",
        "Heskett et al. 1994, HBR",
    )
    weight_rapport: float = P(
        0.15, 0, 1, "q-units", "Weight of rapport with this particular customer"
    )
    capacity: float = P(
        10, 1, 500, "customers per employee-day", "Visits an employee serves without time pressure"
    )
    overload_penalty: float = P(
        0.5,
        0,
        5,
        "q-units per unit overload",
        "Quality lost per unit of load above capacity (time pressure erodes quality)",
        "Oliva & Sterman 2001, Management Science",
    )
    noise: float = P(0.08, 0, 1, "q-units (sd)", "Random variation of encounter quality")


# ------------------------------------------------------------------------ employees
class Employees(Section):
    skill_init: RangeType(0, 1) = R((0.5, 0.9), 0, 1, "q-units", "Initial skill of the staff")
    knowledge_init: RangeType(0, 1) = R(
        (0.3, 0.6), 0, 1, "q-units", "Initial knowledge of each need type"
    )
    engagement_init: RangeType(0, 1) = R(
        (0.3, 0.8), 0, 1, "q-units", "Initial engagement of the staff"
    )
    learning_rate: float = P(
        0.01, 0, 0.5, "1/day", "Daily skill growth toward mastery (learning ramp)"
    )
    knowledge_gain: float = P(
        0.08,
        0,
        1,
        "share of gap per item",
        "Knowledge of a need gained from one fully clear, specific feedback item",
        "Hackman & Oldham 1976 (knowledge of results)",
    )
    knowledge_decay: float = P(
        0.004, 0, 0.2, "1/day", "Daily loss of need knowledge as customers' needs drift"
    )
    observation_learning: float = P(
        0.004,
        0,
        0.1,
        "1/day",
        "Daily need learning from watching a role-model supervisor (times role_model)",
        "Bandura 1977 (social learning)",
    )
    rapport_gain: float = P(
        0.25, 0, 1, "share of gap per visit", "Rapport built by one repeat encounter"
    )
    engagement_rate: float = P(
        0.05, 0, 1, "1/day", "Daily speed at which engagement moves toward its JD-R target"
    )
    engagement_noise: float = P(0.02, 0, 0.5, "q-units (sd)", "Daily idiosyncratic mood shocks")
    disposition_sd: float = P(
        0.45,
        0,
        5,
        "logit (sd)",
        "Spread of stable individual differences in engagement (trait affect)",
        "Judge, Heller & Mount 2002 (dispositional job satisfaction)",
    )
    feedback_half_saturation: float = P(
        0.5,
        0.01,
        100,
        "items/day",
        "Recent feedback rate at which a feedback resource or demand reaches half its effect",
    )
    trace_decay: float = P(
        0.1,
        0.001,
        1,
        "1/day",
        "Daily fading of recent feedback traces (recognition, meaning, growth, sting, reward, "
        "queued harsh comments) and relaxation of control toward the supervisor's style",
    )
    engaged_threshold: float = P(
        0.62, 0, 1, "q-units", "Engagement at or above which an employee counts as engaged"
    )
    disengaged_threshold: float = P(
        0.38,
        0,
        1,
        "q-units",
        "Engagement below which an employee counts as actively disengaged",
        "Gallup engagement categories",
    )

    @field_validator("disengaged_threshold")
    @classmethod
    def _below_engaged(cls, value: float, info: ValidationInfo) -> float:
        engaged = info.data.get("engaged_threshold")
        if engaged is not None and value >= engaged:
            raise ValueError(f"must be below employees.engaged_threshold ({engaged})")
        return value


class Engagement(Section):
    """Job Demands-Resources weights: target engagement = logistic(sum)."""

    baseline: float = P(
        -0.98,
        -5,
        5,
        "logit",
        "Intercept of the JD-R engagement target; calibrated with disposition_sd so the "
        "baseline market has 1/3 engaged and about 1/6 actively disengaged "
        "(experiments/calibrate_engagement.py)",
        "Gallup State of the Global Workplace",
    )
    autonomy: float = P(
        1.2,
        0,
        5,
        "logit per unit",
        "Resource: autonomy (1 - supervisory control)",
        "Bakker & Demerouti 2007; Hackman & Oldham 1976",
    )
    recognition: float = P(
        0.8, 0, 5, "logit per unit", "Resource: recent praise heard", "Bakker & Demerouti 2007"
    )
    meaning: float = P(
        0.8,
        0,
        5,
        "logit per unit",
        "Resource: hearing the customers served directly",
        "Grant 2008, J. Applied Psychology",
    )
    growth: float = P(
        0.4,
        0,
        5,
        "logit per unit",
        "Resource: task-focused critical feedback (knowledge of results)",
        "Kluger & DeNisi 1996",
    )
    support: float = P(
        0.6, 0, 5, "logit per unit", "Resource: a coaching supervisor", "Bakker & Demerouti 2007"
    )
    involvement: float = P(
        0.8, 0, 5, "logit per unit", "Resource: involvement in planning and improvement"
    )
    reward: float = P(
        0.8, 0, 5, "logit per unit", "Resource: bonus earned relative to the daily wage"
    )
    workload: float = P(
        1.5,
        0,
        5,
        "logit per unit",
        "Demand: load above capacity",
        "Bakker & Demerouti 2007; Oliva & Sterman 2001",
    )
    control: float = P(
        1.0, 0, 5, "logit per unit", "Demand: supervisory control (micro-management)"
    )
    sting: float = P(
        2.0,
        0,
        10,
        "logit per unit",
        "Demand: recent self-directed (harsh) criticism",
        "Kluger & DeNisi 1996",
    )


class Workforce(Section):
    base_quit_rate: float = P(
        0.0008, 0, 0.05, "1/day", "Quit hazard of an averagely engaged employee (~25 %/year)"
    )
    disengagement_quit_factor: float = P(
        3.0,
        0,
        10,
        "log-hazard per q-unit",
        "Rise of the quit hazard as engagement falls below 0.5",
        "Harter, Schmidt & Hayes 2002 (engagement and turnover)",
    )
    labour_market_tightness: float = P(
        1.0, 0.1, 5, "multiplier", "Outside options: scales every quit hazard"
    )
    hiring_delay_days: int = P(14, 0, 180, "day", "Days a vacancy stays open before a new hire")
    new_hire_skill: float = P(0.3, 0, 1, "q-units", "Skill of a new hire")
    new_hire_knowledge: float = P(0.15, 0, 1, "q-units", "Need knowledge of a new hire")
    new_hire_engagement: float = P(0.6, 0, 1, "q-units", "Engagement of a new hire")


class Feedback(Section):
    direct_clarity: float = P(
        0.7,
        0,
        1,
        "share",
        "Share of a raw customer comment an employee can act on",
    )
    coach_context: float = P(
        0.6,
        0,
        1,
        "share of unclear part",
        "Part of the unclear remainder a coaching supervisor explains (the 'starting block')",
    )
    after_the_fact_coaching: float = P(
        0.5,
        0,
        1,
        "ratio",
        "Effect of coaching after the employee heard the raw comment, relative to framing "
        "it before (triangular vs linear coaching)",
    )
    team_summary_weight: float = P(
        0.3,
        0,
        1,
        "share",
        "Information one team member gets from a team-level summary, relative to a specific "
        "item, before division by team size",
    )
    survey_invitation: float = P(
        0.0, 0, 1, "share of visits", "Visits followed by an invitation to a customer survey"
    )
    survey_response: float = P(0.3, 0, 1, "probability", "Response rate to survey invitations")
    member_feedback_multiplier: float = P(
        1.5, 1, 5, "ratio", "Feedback propensity of loyalty-programme members relative to others"
    )


# ---------------------------------------------------------------- firm-level levers
class Supervisor(Section):
    span_of_control: int = P(10, 1, 200, "employees", "Employees per supervisor")
    style: float = P(
        0.3,
        0,
        1,
        "0 coach - 1 micro-manager",
        "Supervisor style: coaching and context (0) to control and blame (1)",
    )
    filter_fidelity: float = P(
        0.85, 0, 1, "share", "Share of a relayed item's information that survives the filter"
    )
    pass_rate: float = P(0.9, 0, 1, "share", "Share of feedback items the supervisor passes on")
    review_cadence_days: int = P(
        7, 1, 90, "day", "Days between a supervisor's feedback reviews (channel delay)"
    )
    capacity: int = P(
        60, 1, 100_000, "items per review", "Feedback items a supervisor can handle per review"
    )
    specificity: float = P(
        0.5,
        0,
        1,
        "share",
        "Share of relayed items given to the specific employee (rest as a team summary)",
    )
    negativity_bias: float = P(
        0.0,
        -1,
        1,
        "tilt",
        "Tilt of what is passed on: +1 relays only criticism, -1 only praise",
    )
    role_model: float = P(
        0.5,
        0,
        1,
        "q-units",
        "Supervisor models good customer contact; employees learn needs by example",
    )
    control_sensitivity: float = P(
        0.08,
        0,
        1,
        "control per negative item",
        "Rise of a micro-manager's control over an employee per criticism heard about them",
    )


class Policy(Section):
    staff_per_1000_customers: float = P(
        15.0, 0.5, 500, "employees", "Staffing level: employees per 1,000 customers in the market"
    )
    wage: float = P(120.0, 0, 10_000, "cu/day", "Daily wage per employee")
    supervisor_wage: float = P(180.0, 0, 10_000, "cu/day", "Daily wage per supervisor")
    price: float = P(30.0, 0, 10_000, "cu/visit", "Price of one service visit")
    fixed_cost: float = P(
        450.0, 0, 1e6, "cu/day per 1,000 customers", "Overheads (rent, systems), split among firms"
    )
    hiring_cost: float = P(1500.0, 0, 1e6, "cu/hire", "Recruiting cost per hire")
    training_cost: float = P(1500.0, 0, 1e6, "cu/hire", "Training cost per hire")
    repeat_bonus: float = P(
        0.0, 0, 100, "cu per repeat visit", "Bonus paid to the employee per repeat visit served"
    )
    bonus_focus: float = P(
        0.5,
        0,
        3,
        "ratio",
        "Extra rapport built per repeat encounter, per unit of bonus rate (repeat_bonus / wage)",
    )
    loyalty_programme: bool = Field(
        False,
        description="Customer loyalty programme offered",
        json_schema_extra={"unit": "true/false", "source": "Seed: rewards frequency and spend"},
    )
    loyalty_reward: float = P(
        0.05, 0, 0.5, "share of price", "Reward returned to programme members per visit"
    )
    loyalty_join_probability: float = P(
        0.1, 0, 1, "probability per visit", "Chance a non-member joins after a visit"
    )
    loyalty_utility: float = P(
        0.5, 0, 5, "utility", "Choice utility of membership at the firm for a member"
    )
    loyalty_matching: float = P(
        0.4,
        0,
        1,
        "probability",
        "Added chance that a member is served by the same employee as last time",
    )
    customer_focus: float = P(
        0.3,
        0,
        1,
        "probability",
        "Customer-focused organisation: chance a returning customer is served by their "
        "own employee",
    )
    involvement: float = P(0.3, 0, 1, "share", "Employee involvement in planning and improvement")


class Firm(Section):
    supervisor: Supervisor = Supervisor()
    policy: Policy = Policy()


def _partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """Same fields, bounds and docs as ``model``, all optional: for partial overrides."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields[fname] = (_partial(ann, f"Partial{ann.__name__}") | None, None)
        else:
            inner = Annotated[ann, *info.metadata] if info.metadata else ann
            new = Field(
                None, description=info.description, json_schema_extra=info.json_schema_extra
            )
            fields[fname] = (inner | None, new)
    partial = create_model(name, __base__=Section, __module__=__name__, **fields)
    globals()[name] = partial  # importable by name, so scenarios pickle to worker processes
    return partial


PartialFirm = _partial(Firm, "PartialFirm")


class Analysis(Section):
    replications: int = P(10, 1, 10_000, "runs", "Default replications for comparisons")
    seed: int = P(1, 0, 2**63 - 1, "seed", "Default root seed")


class Scenario(Section):
    meta: Meta = Meta()
    market: Market = Market()
    structures: Structures = Structures()
    customers: Customers = Customers()
    word_of_mouth: WordOfMouth = WordOfMouth()
    service: Service = Service()
    employees: Employees = Employees()
    engagement: Engagement = Engagement()
    workforce: Workforce = Workforce()
    feedback: Feedback = Feedback()
    firm: Firm = Firm()
    competitors: PartialFirm = PartialFirm()  # type: ignore[valid-type]
    analysis: Analysis = Analysis()

    def firm_config(self, k: int) -> Firm:
        """Levers of firm k: the focal firm uses ``firm``; competitors overlay ``competitors``."""
        if k == 0:
            return self.firm
        over = self.competitors.model_dump(exclude_none=True)
        if not over:
            return self.firm
        return Firm.model_validate(_deep_merge(self.firm.model_dump(), over))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted-key overrides, validated like a file (raises ScenarioError)."""
        return _validate(self.model_dump(), overrides, f"<scenario {self.meta.name}>")

    def digest(self) -> str:
        """Short hash of every parameter value (not of names or comments)."""
        payload = self.model_dump(mode="json", exclude={"meta"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ loading / errors
class ScenarioError(Exception):
    """One or more clear, one-line problems with a scenario; ``.problems`` lists them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _deep_merge(base: dict, over: Mapping) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _set_dotted(data: dict, key: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts; a table value is merged into an existing table.

    Raises KeyError naming the first component on the path that is not a table.
    """
    parts = key.split(".")
    node = data
    for i, p in enumerate(parts[:-1]):
        nxt = node.get(p)
        if nxt is None:
            nxt = node[p] = {}
        elif not isinstance(nxt, dict):
            raise KeyError(".".join(parts[: i + 1]))
        node = nxt
    last = parts[-1]
    if isinstance(value, Mapping) and isinstance(node.get(last), dict):
        node[last] = _deep_merge(node[last], value)
    else:
        node[last] = value


def _field_at(path: tuple) -> FieldInfo | None:
    if path and path[0] == "competitors":
        path = ("firm", *path[1:])  # same fields and bounds, all optional
    model: Any = Scenario
    info = None
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = info.annotation
        if getattr(model, "__args__", None) and not isinstance(model, type):
            # Optional[Sub] in partial models: look through the union.
            model = next((a for a in model.__args__ if a is not type(None)), model)
    return info


def _allowed(path: tuple, err: dict) -> str:
    info = _field_at(path)
    if err["type"] == "extra_forbidden":
        parent = _field_at(path[:-1]) if len(path) > 1 else None
        model = parent.annotation if parent is not None else Scenario
        if getattr(model, "__args__", None) and not isinstance(model, type):
            model = next(a for a in model.__args__ if a is not type(None))
        names = ", ".join(model.model_fields) if isinstance(model, type) else "?"
        return f"allowed here: {names}"
    if info is None:
        return ""
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
        return f"allowed: a table [{'.'.join(map(str, path))}]"
    extra = info.json_schema_extra or {}
    unit = extra.get("unit", "") if isinstance(extra, dict) else ""
    if isinstance(extra, dict) and "range_bounds" in extra:
        lo, hi = extra["range_bounds"]
        return f"allowed: a pair [low, high] with {lo} <= low <= high <= {hi} ({unit})"
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    ann = info.annotation
    kind = getattr(ann, "__name__", str(ann))
    if getattr(ann, "__args__", None) and str(ann).startswith("typing.Literal"):
        return "allowed: " + ", ".join(repr(a) for a in ann.__args__)
    if lo is not None or hi is not None:
        return f"allowed: {kind} from {lo} to {hi} ({unit})"
    return f"allowed: {kind}"


def format_validation_error(err: ValidationError, source: str) -> list[str]:
    problems = []
    for e in err.errors():
        path = tuple(e["loc"])
        dotted = ".".join(str(p) for p in path) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        value = e.get("input")
        allowed = _allowed(path, e)
        if isinstance(value, dict):
            if e["type"] != "extra_forbidden":
                problems.append(f"{source}: {dotted}: {msg}")
                continue
            shown = "(a table)"
        else:
            shown = json.dumps(value, default=str)
        line = f"{source}: {dotted} = {shown}: {msg}"
        problems.append(f"{line}; {allowed}" if allowed else line)
    return problems


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``key=value`` with a TOML value (bare words are taken as strings)."""
    if "=" not in item:
        raise ScenarioError([f"--set {item}: expected key=value, e.g. customers.count=20000"])
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def load_scenario(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario TOML file, applying dotted-key ``overrides``.

    ``path=None`` gives the built-in defaults. Raises :class:`ScenarioError` with
    one line per problem (file, dotted field, value, what is allowed).
    """
    source = str(path) if path is not None else "<defaults>"
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if p.is_dir():
            raise ScenarioError([f"{source}: is a folder, not a scenario file"])
        if not p.is_file():
            raise ScenarioError([f"{source}: no such scenario file"])
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError([f"{source}: not valid TOML: {exc}"]) from None
        except UnicodeDecodeError:
            raise ScenarioError([f"{source}: not a UTF-8 text file"]) from None
    return _validate(data, overrides or {}, source)


def _validate(data: dict, overrides: Mapping[str, Any], source: str) -> Scenario:
    problems: list[str] = []
    for key, value in overrides.items():
        try:
            _set_dotted(data, key, value)
        except KeyError as exc:
            problems.append(f"{source}: --set {key}: {exc.args[0]} is not a table")
    if problems:
        raise ScenarioError(problems)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, source)) from None


# ---------------------------------------------------------------- parameter listing
@dataclass(frozen=True)
class ParamInfo:
    path: str
    default: Any
    value: Any
    low: Any
    high: Any
    unit: str
    description: str
    source: str
    assumption: str = ""

    @property
    def basis(self) -> str:
        """``source: …``, ``assumption: …``, or empty where neither is recorded."""
        if self.source:
            return f"source: {self.source}"
        if self.assumption:
            return f"assumption: {self.assumption}"
        return ""


def iter_parameters(scenario: Scenario | None = None) -> Iterator[ParamInfo]:
    """Every leaf parameter of the schema, with its metadata and (optionally) its value.

    Defaults are read from a default ``Scenario()``, so a nested section's own default
    (e.g. ``structures.triangular.direct_share`` = 1) is reported, not its class's.
    """
    defaults = Scenario().model_dump()
    values = (scenario or Scenario()).model_dump()

    def walk(model: type[BaseModel], prefix: str, dflt: dict, vals: dict) -> Iterator[ParamInfo]:
        for name, info in model.model_fields.items():
            ann = info.annotation
            path = f"{prefix}{name}"
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                if name == "competitors":
                    continue  # partial overlay of `firm`; documented there
                yield from walk(ann, path + ".", dflt.get(name) or {}, vals.get(name) or {})
                continue
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            lo = hi = None
            for m in info.metadata:
                lo = getattr(m, "ge", lo)
                hi = getattr(m, "le", hi)
            if "range_bounds" in extra:
                lo, hi = extra["range_bounds"]
            if getattr(ann, "__args__", None) and str(ann).startswith("typing.Literal"):
                lo, hi = None, None
                unit = " | ".join(ann.__args__)
            else:
                unit = extra.get("unit", "")
            yield ParamInfo(
                path=path,
                default=dflt.get(name, info.default),
                value=vals.get(name),
                low=lo,
                high=hi,
                unit=unit,
                description=info.description or "",
                source=extra.get("source", ""),
                assumption=extra.get("assumption", ""),
            )

    yield from walk(Scenario, "", defaults, values)
