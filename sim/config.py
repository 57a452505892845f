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
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

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
from pydantic_core import ErrorDetails

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


# a [low, high] pair of q-units (initial values drawn uniformly between them); an alias,
# not a function call, so type checkers read it as the list[float] it validates
UnitRange = Annotated[list[float], AfterValidator(_range_checker(0, 1))]


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, validate_default=True, frozen=True, allow_inf_nan=False
    )


# --------------------------------------------------------------------------- market
class Meta(Section):
    name: str = Field("unnamed", description="Scenario name shown in reports")
    description: str = Field("", description="What the scenario shows")


class Market(Section):
    firms: int = P(
        3,
        2,
        12,
        "firms",
        "Competing firms; firm 0 is the focal firm",
        assumption="the focal firm and two rivals, a local market; checked over [2, 6]",
    )
    days: int = P(
        365,
        1,
        3650,
        "day",
        "Default simulated horizon (one step = one day)",
        assumption="a year, long enough for a window after the warm-up",
    )
    warmup_days: int = P(
        200,
        0,
        3000,
        "day",
        "Initial days excluded from summaries (transient from initialisation)",
        assumption="set from the warm-up MSER-5 (White, Cobb & Spratt 2000) detects on the "
        "baseline's key series (spc facts, fact 8: on the means of 8 runs of 1,095 days "
        "engagement 40 days, satisfaction 15, quality 0, retention 10; per single run the "
        "longest cut averages 195 days [34, 355]). The market starts in its steady state "
        "(staff tenure, disposition and knowledge as turnover sustains them, expectations "
        "around the quality met); the market's mean expectation still wanders slowly (MSER "
        "cuts it at its search limit), which fact 8 reports as failing",
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
        json_schema_extra={
            "assumption": "rivals keep the conventional chain of command; the paired "
            "comparison varies only the focal firm's structure"
        },
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
    count: int = P(
        6000,
        10,
        5_000_000,
        "customers",
        "Customers in the market",
        assumption="large enough for about 26 staff in 4 teams per firm at 13 staff per 1,000 "
        "customers (turnover and engagement shares are not single-person steps); shares and "
        "rates are per customer; checked over [2000, 6000]",
    )
    visit_rate: float = P(
        0.1,
        0.001,
        1,
        "1/day",
        "Probability that a customer seeks the service on a given day (the need arises; "
        "the customer may then buy from no firm)",
        assumption="a service used about every ten days (personal services, food); "
        "checked over [0.05, 0.3]",
    )
    needs: int = P(
        4,
        1,
        16,
        "need types",
        "Distinct kinds of customer need an employee must learn to serve",
        assumption="a few kinds of need, so knowledge is specific but learnable; "
        "checked over [1, 8]",
    )
    expectation_init: UnitRange = R(
        (0.42, 0.62),
        0,
        1,
        "q-units",
        "Prior service expectation before any visit, drawn uniformly; it weighs as one "
        "visit and is replaced by experience (see expectation_adaptation)",
        assumption="an existing market: drawn around the quality customers will meet (the "
        "baseline's mean expectation settles at 0.50-0.51, measured over days 100-900 "
        "of four runs), so expectations do not drift after the start; checked over [0.3, 0.8]",
    )
    expectation_adaptation: float = P(
        0.15,
        0,
        1,
        "per visit",
        "Floor on the weight of the latest experienced quality in the adapting expectation "
        "(a new customer averages all visits so far: weight 1/(visits + 1))",
        assumption="form: adaptation level (Oliver 1980); value: expectations reflect the "
        "last half-dozen visits; checked over [0.05, 0.4]",
    )
    disconfirmation_weight: float = P(
        0.4,
        0,
        3,
        "q-units per q-unit",
        "Effect of a positive surprise (quality above expectation) on satisfaction",
        assumption="form: expectation-disconfirmation (Oliver 1980); value: a surprise "
        "moves satisfaction a little less than quality itself; checked over [0.2, 1.2]",
    )
    negative_disconfirmation_ratio: float = P(
        2.0,
        1,
        5,
        "ratio",
        "Weight of a negative surprise relative to a positive one of the same size",
        assumption="form: negative disconfirmation weighs more (Anderson & Sullivan 1993); "
        "value 2 is in the range of loss-aversion ratios (Tversky & Kahneman 1991), not "
        "measured for satisfaction; checked over [1, 3]",
    )
    attitude_learning: float = P(
        0.3,
        0,
        1,
        "per visit",
        "Weight of the latest satisfaction in the attitude to that firm and in the "
        "satisfaction with the current relationship",
        assumption="recent visits dominate (about the last three); checked over [0.1, 0.6]",
    )
    attitude_init: UnitRange = R(
        (0.4, 0.6),
        0,
        1,
        "q-units",
        "Initial attitude to each firm, drawn uniformly",
        assumption="neutral start, equal for all firms; checked over [0.3, 0.7]",
    )
    choice_sensitivity: float = P(
        0.26,
        0,
        50,
        "utility per q-unit",
        "Logit scale of attitude in the choice among firms and the outside option",
        "Rucci, Kirn & Quinn 1998, HBR (calibrated: +1 point of customer impression on a "
        "100-point scale gives about +0.4 % revenue with the zone of tolerance; "
        "experiments/calibrate_market.py; tests/test_market.py)",
    )
    habit: float = P(
        0.8,
        0,
        5,
        "utility",
        "Utility bonus for the firm visited last (habit and switching cost)",
        assumption="form: switching costs (Klemperer 1995); value: about half of the "
        "visits come from customers whose previous visit was to the same firm; "
        "checked over [0.2, 1.5]",
    )
    tolerance: float = P(
        0.15,
        0,
        1,
        "q-units",
        "Adequate service level: below this relationship satisfaction the habit bonus for "
        "the firm visited last is lost and the customer shops around",
        assumption="form: zone of tolerance (Zeithaml, Berry & Parasuraman 1993); value: "
        "calibrated so that about 5 % of relationships are below it at baseline, most after "
        "an overloaded or unlucky spell (experiments/calibrate_market.py; a level on the "
        "quality scale, so it follows the service quality the staff side produces); "
        "checked over [0.1, 0.25]",
    )
    price_sensitivity: float = P(
        0.058,
        0,
        1,
        "utility per cu",
        "Disutility of price in choice (firms and the outside option compete on price)",
        "Tellis 1988 and Bijmolt, van Heerde & Pieters 2005, J. Marketing Research "
        "(meta-analytic mean brand-level price elasticities about -1.8 and -2.6): the value "
        "gives the focal firm an own-price elasticity of visits of about -1.6 "
        "(experiments/calibrate_market.py; tests/test_market.py)",
    )
    outside_utility: float = P(
        -2.2,
        -20,
        20,
        "utility",
        "Utility of buying from no firm (doing without, doing it oneself, firms outside "
        "the market) when the need arises",
        assumption="about one need in eight goes unserved by the market's firms at baseline; "
        "checked over [-3, -1]",
    )
    tenure_spend_gain: float = P(
        0.3,
        0,
        3,
        "share of base spend",
        "Rise of a customer's spend per visit with tenure (consecutive visits to the same "
        "firm), reached after a few tenure_visits",
        assumption="form: loyal customers buy more (Reichheld & Sasser 1990); value: "
        "about +30 % per visit for a long-standing customer; checked over [0, 0.6]",
    )
    tenure_cost_saving: float = P(
        0.3,
        0,
        1,
        "share of serving cost",
        "Fall of the cost to serve a visit with tenure (the customer knows the routine)",
        assumption="form: long-standing customers cost less to serve (Reichheld & Sasser "
        "1990); value: -30 % for a long-standing customer; checked over [0, 0.6]",
    )
    tenure_visits: float = P(
        4.0,
        0.5,
        200,
        "visits",
        "Tenure scale: spend and cost to serve move 63 % of the way after this many "
        "consecutive visits",
        assumption="four consecutive visits, a couple of months for a regular at the "
        "baseline visit rate; checked over [2, 12]",
    )
    recommend_midpoint: float = P(
        0.335,
        0,
        1,
        "q-units",
        "Relationship satisfaction at which the likelihood to recommend is 5 of 10",
        assumption="calibrated so the baseline net promoter score is about +10, near zero to "
        "slightly positive as reported for ordinary service firms "
        "(experiments/calibrate_market.py); checked over [0.25, 0.45]",
    )
    recommend_slope: float = P(
        8.0,
        0,
        50,
        "logit per q-unit",
        "Steepness of likelihood to recommend (0-10) in relationship satisfaction",
        assumption="a 0.1 q-unit rise in satisfaction moves a passive customer about one "
        "point on the 0-10 scale; checked over [4, 16]",
    )
    feedback_base: float = P(
        0.02,
        0,
        1,
        "probability per visit",
        "Chance of giving feedback after an unsurprising visit",
        assumption="unprompted feedback is rare; checked over [0.005, 0.05]",
    )
    feedback_surprise: float = P(
        1.0,
        0,
        10,
        "probability per q-unit",
        "Rise of the feedback probability with the size of the surprise |disconfirmation| "
        "(U-shaped in disconfirmation)",
        assumption="form: U-shaped (Anderson 1998, J. Service Research); value: a 0.2 "
        "q-unit surprise adds 0.2 to the chance; checked over [0.5, 2]",
    )
    harshness: float = P(
        0.4,
        0,
        1,
        "share",
        "Share of negative comments that point at the person rather than the task",
        assumption="form: self-directed feedback harms (Kluger & DeNisi 1996); value: a "
        "large minority of complaints are personal; checked over [0, 0.8]",
    )


class WordOfMouth(Section):
    degree: int = P(
        6,
        0,
        100,
        "contacts",
        "Contacts per customer in the ring lattice before rewiring (even; at most "
        "customers - 1; rewiring that duplicates an edge drops it)",
        assumption="a handful of people one talks to about such services; checked over [2, 12]",
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
        assumption="form: small world (Watts & Strogatz 1998); value inside the "
        "small-world regime; checked over [0.01, 0.3]",
    )
    threshold: float = P(
        0.15,
        0,
        2,
        "q-units",
        "Surprise |disconfirmation| above which a customer may talk",
        assumption="only clearly surprising visits are worth telling; checked over [0.05, 0.3]",
    )
    talk_probability: float = P(
        0.3,
        0,
        1,
        "probability",
        "Chance that a surprised customer tells all contacts",
        assumption="checked over [0.1, 0.6]",
    )
    strength: float = P(
        0.03,
        0,
        1,
        "q-units per message",
        "Shift of a listener's attitude to the firm talked about",
        assumption="form: word of mouth through weak ties (Goldenberg, Libai & Muller "
        "2001); value: one story weighs a tenth of one's own visit; checked over [0.01, 0.1]",
    )
    negativity: float = P(
        2.0,
        1,
        5,
        "ratio",
        "Weight of negative relative to positive word of mouth",
        assumption="form: dissatisfied customers talk more (Anderson 1998); value: "
        "checked over [1, 3]",
    )
    referral_probability: float = P(
        0.1,
        0,
        1,
        "probability per visit",
        "Chance that a promoter (likelihood to recommend 9-10) recommends the firm to all "
        "contacts after a visit (a positive message of size strength)",
        assumption="form: loyal customers refer (Reichheld & Sasser 1990); value: a "
        "promoter recommends about every tenth visit; checked over [0, 0.3]",
    )


# ----------------------------------------------------------------- service encounter
class Service(Section):
    weight_skill: float = P(
        0.35,
        0,
        1,
        "q-units",
        "Weight of skill in encounter quality",
        assumption="the largest single driver; the four weights sum to 1; checked over [0.2, 0.5]",
    )
    weight_knowledge: float = P(
        0.25,
        0,
        1,
        "q-units",
        "Weight of knowledge of this customer's need",
        assumption="checked over [0.1, 0.4]",
    )
    weight_effort: float = P(
        0.25,
        0,
        1,
        "q-units",
        "Weight of discretionary effort (engagement) in quality",
        assumption="form: effort links employee and customer (Heskett et al. 1994); value: "
        "a raised engagement moves satisfaction about 0.4 units per unit, within a factor "
        "of two of the Sears chain's 0.26 (Rucci, Kirn & Quinn 1998; tests/test_market.py); "
        "checked over [0.15, 0.35]",
    )
    weight_rapport: float = P(
        0.15,
        0,
        1,
        "q-units",
        "Weight of rapport with this particular customer",
        assumption="checked over [0.05, 0.3]",
    )
    capacity: float = P(
        10,
        1,
        500,
        "customers per employee-day",
        "Visits an employee serves without time pressure",
        assumption="short personal-service visits; checked over [6, 20]",
    )
    overload_penalty: float = P(
        0.5,
        0,
        5,
        "q-units per unit overload",
        "Quality lost per unit of load above capacity (time pressure erodes quality)",
        assumption="form: Oliva & Sterman 2001; value: double the load halves the "
        "achievable quality; checked over [0.2, 1]",
    )
    noise: float = P(
        0.08,
        0,
        1,
        "q-units (sd)",
        "Random variation of encounter quality",
        assumption="checked over [0.04, 0.15]",
    )


# ------------------------------------------------------------------------ employees
class Employees(Section):
    skill_init: UnitRange = R(
        (0.5, 0.9),
        0,
        1,
        "q-units",
        "Skill of the initial staff: the newest at the low end, rising along the learning "
        "curve with tenure toward the high end",
        assumption="a frontline range between a trainee and a practised hand; checked over "
        "[0.3, 0.7] to [0.7, 1.0]",
    )
    knowledge_init: UnitRange = R(
        (0.6, 0.8),
        0,
        1,
        "q-units",
        "Settled knowledge of each need type of the initial staff, drawn uniformly; each "
        "sits below it by tenure, on the learning curve from new-hire knowledge "
        "(employees.learning_rate)",
        assumption="an existing firm: the level knowledge settles at in the baseline market "
        "(0.6-0.7 per need for staff past their first year, measured on days 600-800 of two "
        "runs), so knowledge does not drift after the start; checked over [0.1, 0.4] to "
        "[0.6, 0.8]",
    )
    engagement_init: UnitRange = R(
        (0.3, 0.8),
        0,
        1,
        "q-units",
        "Initial engagement of the staff (forgotten within the warm-up)",
        assumption="spans the three Gallup groups; the measured window starts after "
        "engagement has relaxed to its targets; checked over [0.2, 0.5] to [0.5, 0.9]",
    )
    learning_rate: float = P(
        0.01,
        0,
        0.5,
        "1/day",
        "Daily skill growth toward mastery: the learning curve over tenure",
        assumption="closes 63 % of a new hire's skill gap in about 100 days, i.e. a few months "
        "to proficiency in a frontline service job; checked over [0.003, 0.03]",
    )
    knowledge_gain: float = P(
        0.08,
        0,
        1,
        "share of gap per item",
        "Knowledge of a need gained from one fully clear, specific feedback item",
        assumption="form: knowledge of results (Hackman & Oldham 1976); value: a dozen clear "
        "comments close most of the gap; checked over [0.03, 0.2]",
    )
    knowledge_decay: float = P(
        0.004,
        0,
        0.2,
        "1/day",
        "Daily loss of need knowledge as customers' needs drift",
        assumption="half-life of about six months; checked over [0.001, 0.01]",
    )
    observation_learning: float = P(
        0.004,
        0,
        0.1,
        "1/day",
        "Daily need learning from watching a role-model supervisor (times role_model)",
        assumption="form: social learning (Bandura 1977); value: about as fast as needs drift; "
        "checked over [0, 0.01]",
    )
    rapport_gain: float = P(
        0.25,
        0,
        1,
        "share of gap per visit",
        "Rapport built by one repeat encounter",
        assumption="a few repeat encounters with the same employee build most of the "
        "relationship; checked over [0.1, 0.5]",
    )
    engagement_rate: float = P(
        0.05,
        0,
        1,
        "1/day",
        "Daily speed at which engagement moves toward its JD-R target",
        assumption="engagement follows a change in the job within weeks (time constant about "
        "20 days); checked over [0.02, 0.15]",
    )
    engagement_noise: float = P(
        0.02,
        0,
        0.5,
        "q-units (sd)",
        "Daily idiosyncratic mood shocks",
        assumption="day-to-day fluctuation of state engagement around its level; checked over "
        "[0, 0.04]",
    )
    disposition_sd: float = P(
        0.4,
        0,
        5,
        "logit (sd)",
        "Spread of stable individual differences in engagement (trait affect); with "
        "engagement.baseline calibrated so the baseline market has about 1/3 engaged and 1/6 "
        "actively disengaged (experiments/calibrate_engagement.py)",
        "Calibrated to Gallup, State of the American Workplace 2017 (33 % engaged, 16 % "
        "actively disengaged); form: Judge, Heller & Mount 2002",
    )
    sensitivity_sd: float = P(
        0.5,
        0,
        3,
        "log-ratio (sd)",
        "Spread of individual sensitivity to the job's resources and demands (lognormal, "
        "median 1): some people respond strongly to a lever, some hardly at all",
        assumption="individual differences in how much resources matter (Bakker & Demerouti "
        "2007); bounds the share a single lever can engage; checked over [0, 1]",
    )
    feedback_half_saturation: float = P(
        0.5,
        0.01,
        100,
        "items/day",
        "Recent feedback rate at which a feedback resource or demand reaches half its effect",
        assumption="half the effect at one comment every two days; checked over [0.2, 1.5]",
    )
    trace_decay: float = P(
        0.1,
        0.001,
        1,
        "1/day",
        "Daily fading of recent feedback traces (recognition, meaning, growth, sting, reward, "
        "queued harsh comments) and relaxation of control toward the supervisor's style",
        assumption="feedback is remembered for about ten days; checked over [0.05, 0.3]",
    )
    engaged_threshold: float = P(
        0.62,
        0,
        1,
        "q-units",
        "Engagement at or above which an employee counts as engaged",
        assumption="a cut on the 0-1 scale, symmetric with disengaged_threshold about 0.5; the "
        "shares are calibrated through engagement.baseline; checked over [0.58, 0.66]",
    )
    disengaged_threshold: float = P(
        0.38,
        0,
        1,
        "q-units",
        "Engagement below which an employee counts as actively disengaged",
        assumption="a cut symmetric with engaged_threshold (Gallup's three groups); checked "
        "over [0.34, 0.42]",
    )

    @field_validator("disengaged_threshold")
    @classmethod
    def _below_engaged(cls, value: float, info: ValidationInfo) -> float:
        engaged = info.data.get("engaged_threshold")
        if engaged is not None and value >= engaged:
            raise ValueError(f"must be below employees.engaged_threshold ({engaged})")
        return value


_JDR = "form: Job Demands-Resources (Bakker & Demerouti 2007)"


class Engagement(Section):
    """Job Demands-Resources weights.

    The job balance J = sum(resources) - sum(demands) acts on engagement relative to the
    typical job (``reference``), bounded by ``span`` and scaled by each person's
    sensitivity: target = logistic(baseline + disposition + s * span * tanh((J - ref)/span)).
    """

    baseline: float = P(
        0.2,
        -5,
        5,
        "logit",
        "Intercept of the engagement target (for the typical job); calibrated with "
        "employees.disposition_sd so the baseline market has 1/3 engaged and about 1/6 "
        "actively disengaged on the steady-state window (experiments/calibrate_engagement.py)",
        "Calibrated to Gallup, State of the American Workplace 2017 (33 % engaged, 16 % "
        "actively disengaged); 0.2 gives 33 % / 15 % with span 0.5 (three seeds, days 120-300)",
    )
    span: float = P(
        0.5,
        0.05,
        5,
        "logit",
        "Largest shift of the engagement logit the job itself can make, either way (the "
        "job's effect saturates): no single lever engages everyone",
        assumption="bounds the engaged share under any single lever below the ~70 % Gallup "
        "reports for its best workplaces, and above a few % under the worst (0.65 let a "
        "coaching supervisor, style 0, engage 74-76 %; 0.5 gives about 63 % with the "
        "baseline at 1/3, three seeds, days 120-300); checked over [0.4, 1.0]",
    )
    reference: float = P(
        1.5,
        -10,
        10,
        "logit",
        "Job balance of the typical (baseline) job: levers act relative to it",
        assumption="the mean job balance of the baseline market (linear, style 0.3) when it "
        "was set (1.49-1.51); since the market starts in its steady state (26 staff a "
        "firm) it measures 1.05-1.38 (mean 1.22, days 120-300, two seeds) and the "
        "intercept (engagement.baseline, recalibrated) absorbs the difference; checked "
        "over [1.0, 2.0]",
    )
    autonomy: float = P(
        1.2,
        0,
        5,
        "logit per unit",
        "Resource: autonomy (1 - supervisory control)",
        assumption=f"{_JDR}; the strongest structural resource (Hackman & Oldham 1976); "
        "checked over [0.6, 1.8]",
    )
    recognition: float = P(
        0.8,
        0,
        5,
        "logit per unit",
        "Resource: recent praise heard",
        assumption=f"{_JDR}; checked over [0.4, 1.2]",
    )
    meaning: float = P(
        0.8,
        0,
        5,
        "logit per unit",
        "Resource: hearing the customers served (directly, or as stories the supervisor "
        "relays at feedback.relayed_meaning of the effect)",
        assumption="form: contact with beneficiaries raises motivation (Grant 2008, J. Applied "
        "Psychology); no published value on this scale. The engagement gap leans on it: "
        "paired gap -0.044 at 0 and +0.015 at 1.6 in the one-at-a-time check "
        "(docs/assumption_checks.csv); checked over [0, 1.6]",
    )
    growth: float = P(
        0.4,
        0,
        5,
        "logit per unit",
        "Resource: task-focused critical feedback (knowledge of results)",
        assumption="form: feedback about the task helps (Kluger & DeNisi 1996); half the "
        "weight of praise; checked over [0, 0.8]",
    )
    support: float = P(
        0.6,
        0,
        5,
        "logit per unit",
        "Resource: a coaching supervisor",
        assumption=f"{_JDR}; checked over [0.3, 1.2]",
    )
    involvement: float = P(
        0.8,
        0,
        5,
        "logit per unit",
        "Resource: involvement in planning and improvement",
        assumption=f"{_JDR}; checked over [0.4, 1.2]",
    )
    reward: float = P(
        0.8,
        0,
        5,
        "logit per unit",
        "Resource: bonus earned relative to the daily wage",
        assumption=f"{_JDR}; checked over [0.4, 1.2]",
    )
    workload: float = P(
        1.5,
        0,
        5,
        "logit per unit",
        "Demand: load above capacity",
        assumption=f"{_JDR}; time pressure (Oliva & Sterman 2001); checked over [0.75, 2.25]",
    )
    control: float = P(
        1.0,
        0,
        5,
        "logit per unit",
        "Demand: supervisory control (micro-management)",
        assumption=f"{_JDR}; checked over [0.5, 1.5]",
    )
    sting: float = P(
        2.0,
        0,
        10,
        "logit per unit",
        "Demand: recent self-directed (harsh) criticism",
        assumption="form: feedback aimed at the self hurts (Kluger & DeNisi 1996); no published "
        "value on this scale. The engagement gap leans on it: +0.031 at 0 and -0.050 at 4 "
        "in the one-at-a-time check (docs/assumption_checks.csv); checked over [0, 4]",
    )


class Workforce(Section):
    base_quit_rate: float = P(
        0.0012,
        0,
        0.05,
        "1/day",
        "Quit hazard of a settled, averagely engaged employee",
        "BLS JOLTS: annual quits about 30 % of employment in private industry, 40-70 % in "
        "retail and food services (2015-2019); 0.0012/day is 44 %/year, and the baseline's "
        "turnover with new hires and disengagement is about 60 %/year",
    )
    disengagement_quit_factor: float = P(
        2.0,
        0,
        10,
        "log-hazard per q-unit",
        "Rise of the quit hazard as engagement falls below 0.5",
        assumption="form: engagement lowers turnover (Harter, Schmidt & Hayes 2002); value: "
        "an actively disengaged employee (0.3) quits ~1.5x as often as an engaged one (0.7) "
        "would at 0.5; checked over [1, 4]",
    )
    newcomer_quit_excess: float = P(
        2.0,
        0,
        10,
        "ratio",
        "Extra quit hazard of a new hire relative to a settled employee, fading with tenure",
        assumption="form: the hazard of leaving a job is highest in the first months and falls "
        "with tenure (Farber 1994, J. Labor Economics); value: triple the settled hazard "
        "at hire; checked over [0, 4]",
    )
    settling_days: float = P(
        120.0,
        1,
        2000,
        "day",
        "Tenure over which a new hire's extra quit hazard fades (e-folding time)",
        assumption="most of the excess gone within the first year (Farber 1994); checked over "
        "[60, 240]",
    )
    labour_market_tightness: float = P(
        1.0,
        0.1,
        5,
        "multiplier",
        "Outside options: scales every quit hazard",
        assumption="1 = the labour market behind base_quit_rate; a scenario lever",
    )
    hiring_delay_days: int = P(
        14,
        0,
        180,
        "day",
        "Days a vacancy stays open before a new hire",
        assumption="a frontline hourly vacancy filled in two weeks; checked over [7, 42]",
    )
    new_hire_skill: float = P(
        0.3,
        0,
        1,
        "q-units",
        "Skill of a new hire",
        assumption="below the initial staff's range; checked over [0.2, 0.5]",
    )
    new_hire_knowledge: float = P(
        0.15,
        0,
        1,
        "q-units",
        "Need knowledge of a new hire",
        assumption="little knowledge of this firm's customers; checked over [0.05, 0.3]",
    )
    new_hire_engagement: float = P(
        0.6,
        0,
        1,
        "q-units",
        "Engagement of a new hire (honeymoon), before it moves to its target",
        assumption="new hires start engaged and regress to their job's level within weeks; "
        "checked over [0.5, 0.7]",
    )


class Feedback(Section):
    direct_clarity: float = P(
        0.7,
        0,
        1,
        "share",
        "Share of a raw customer comment an employee can act on",
        assumption="raw comments are mostly actionable; checked over [0.5, 0.9]",
    )
    coach_context: float = P(
        0.6,
        0,
        1,
        "share of unclear part",
        "Part of the unclear remainder a coaching supervisor explains (the 'starting block')",
        assumption="a coach explains most of what the customer left unclear; checked over "
        "[0.3, 0.9]",
    )
    after_the_fact_coaching: float = P(
        0.5,
        0,
        1,
        "ratio",
        "Effect of coaching after the employee heard the raw comment, relative to framing "
        "it before (triangular vs linear coaching)",
        assumption="coaching after the fact does half as much as framing beforehand; checked "
        "over [0.3, 0.8]",
    )
    team_summary_weight: float = P(
        0.3,
        0,
        1,
        "share",
        "Information one team member gets from a team-level summary, relative to a specific "
        "item, before division by team size",
        assumption="a summary carries a third of a specific item's information; checked over "
        "[0.1, 0.6]",
    )
    relayed_meaning: float = P(
        0.4,
        0,
        1,
        "share",
        "Meaning of a customer's words relayed as a story by the supervisor, relative to "
        "hearing the customer directly",
        assumption="form: even brief, mediated contact with beneficiaries raises motivation, "
        "less than direct contact (Grant 2008; Grant et al. 2007); value below one half; "
        "checked over [0, 0.8]",
    )
    self_attention: float = P(
        1.3,
        0,
        10,
        "per item/day",
        "Attention drawn to the self by recent self-directed criticism: at a sting of one "
        "item a day, exp(-self_attention) of discretionary effort and of learning from "
        "feedback remains. Feedback can lower performance",
        assumption="form: Feedback Intervention Theory, attention to meta-task processes "
        "(Kluger & DeNisi 1996); value calibrated so that a customer-survey programme added "
        "to heterogeneous steady-state units lowers encounter quality in about a third of "
        "them (spc facts --quick --only kluger --seed 2, a seed the validation does not use: "
        "14 % of units negative at 1.2, 26 % at 1.3, about 50 % at 1.5), so fact 3's share "
        "is a calibration target, its moderator (more harm where criticism is aimed at the "
        "person) an independent check; checked over [0.75, 2.5]",
    )
    survey_invitation: float = P(
        0.0,
        0,
        1,
        "share of visits",
        "Visits followed by an invitation to a customer survey",
        assumption="a scenario lever; no survey at baseline",
    )
    survey_response: float = P(
        0.3,
        0,
        1,
        "probability",
        "Response rate to survey invitations (acts only when survey_invitation > 0)",
        assumption="customer-survey response rates of 10-40 % are common; checked over "
        "[0.1, 0.5] with survey_invitation 0.3",
    )
    member_feedback_multiplier: float = P(
        1.5,
        1,
        5,
        "ratio",
        "Feedback propensity of loyalty-programme members relative to others (acts only with "
        "a loyalty programme)",
        assumption="members are more engaged customers and more often asked; checked over "
        "[1, 3] with a loyalty programme",
    )


# ---------------------------------------------------------------- firm-level levers
class Supervisor(Section):
    span_of_control: int = P(
        8,
        1,
        200,
        "employees",
        "Employees per supervisor (a firm's staff are split into this many per team)",
        assumption="frontline spans of 8-15 are common in retail and hospitality; checked over "
        "[5, 15]",
    )
    style: float = P(
        0.3,
        0,
        1,
        "0 coach - 1 micro-manager",
        "Mean supervisor style of the firm: coaching and context (0) to control and blame (1)",
        assumption="a scenario lever; 0.3 = a mostly coaching supervisor",
    )
    style_sd: float = P(
        0.15,
        0,
        0.5,
        "style units (sd)",
        "Spread of supervisors' styles around the firm's style (teams differ)",
        assumption="supervisors within one firm differ noticeably; gives between-team "
        "variation; checked over [0, 0.3]",
    )
    filter_fidelity: float = P(
        0.85,
        0,
        1,
        "share",
        "Share of a relayed item's information that survives the filter",
        assumption="a scenario lever; checked over [0.6, 1.0]",
    )
    pass_rate: float = P(
        0.9,
        0,
        1,
        "share",
        "Share of feedback items the supervisor passes on",
        assumption="a scenario lever; checked over [0.6, 1.0]",
    )
    review_cadence_days: int = P(
        7,
        1,
        90,
        "day",
        "Days between a supervisor's feedback reviews (channel delay)",
        assumption="a weekly review; checked over [1, 14]",
    )
    capacity: int = P(
        60,
        1,
        100_000,
        "items per review",
        "Feedback items a supervisor can handle per review",
        assumption="rarely binding at the baseline's feedback rate; checked over [20, 200]",
    )
    specificity: float = P(
        0.5,
        0,
        1,
        "share",
        "Share of relayed items given to the specific employee (rest as a team summary)",
        assumption="a scenario lever; checked over [0.2, 0.8]",
    )
    negativity_bias: float = P(
        0.0,
        -1,
        1,
        "tilt",
        "Tilt of what is passed on: +1 relays only criticism, -1 only praise",
        assumption="a scenario lever; 0 = even-handed; checked over [-0.3, 0.3]",
    )
    role_model: float = P(
        0.5,
        0,
        1,
        "q-units",
        "Supervisor models good customer contact; employees learn needs by example",
        assumption="a scenario lever; checked over [0.2, 0.8]",
    )
    control_sensitivity: float = P(
        0.08,
        0,
        1,
        "control per negative item",
        "Rise of a micro-manager's control over an employee per criticism heard about them",
        assumption="a dozen criticisms bring a full micro-manager to full control; checked "
        "over [0.04, 0.16]",
    )
    blame: float = P(
        0.5,
        0,
        1,
        "share",
        "Share of task-focused criticism a micro-manager (style 1) relays as blame of the "
        "person; times style",
        assumption="a controller personalises about half of what was about the task; checked "
        "over [0.25, 0.75]",
    )
    amplification: float = P(
        0.5,
        0,
        2,
        "ratio",
        "Extra sting a micro-manager (style 1) adds when relaying a harsh comment: harsh "
        "words pass raw (times style) and amplified; a coach (style 0) buffers them",
        assumption="a controller repeats harsh words with emphasis; checked over [0, 1]",
    )


class Policy(Section):
    staff_per_1000_customers: float = P(
        13.0,
        0.5,
        500,
        "employees",
        "Initial staffing: employees per 1,000 customers in the market (then staffing follows "
        "demand, see target_load)",
        assumption="at the default visit rate, with about 15 % of needs going to no firm, "
        "about 6.5 visits per employee-day (target_load of capacity), so an existing firm "
        "starts staffed for its demand and headcount does not drift; checked over [10, 20]",
    )
    target_load: float = P(
        0.65,
        0.05,
        2,
        "share of capacity",
        "Staffing target: the firm fills vacancies (or leaves quits unfilled) so that recent "
        "visits per employee are this share of service.capacity",
        assumption="service firms staff for peaks, so average utilisation sits well below "
        "capacity; checked over [0.5, 0.8]",
    )
    staffing_horizon_days: float = P(
        28.0,
        1,
        365,
        "day",
        "Time constant of the demand forecast (moving average of daily visits) that sets the "
        "staffing target",
        assumption="staffing plans look at about the last month; checked over [14, 56]",
    )
    wage: float = P(120.0, 0, 10_000, "cu/day", "Daily wage per employee")
    supervisor_wage: float = P(180.0, 0, 10_000, "cu/day", "Daily wage per supervisor")
    price: float = P(
        34.0,
        0,
        10_000,
        "cu/visit",
        "Base price of one service visit (a long-standing customer spends more per visit)",
        assumption="with the wages and overheads gives a baseline return on sales near "
        "10 %, typical of service firms; checked over [27, 36]",
    )
    serving_cost: float = P(
        3.0,
        0,
        10_000,
        "cu/visit",
        "Variable cost of serving a new customer's visit (materials, time); falls with "
        "customer tenure",
        assumption="a modest variable share of the price (about 9 %), so costs move with "
        "demand; checked over [0, 8]",
    )
    fixed_cost: float = P(
        450.0, 0, 1e6, "cu/day per 1,000 customers", "Overheads (rent, systems), split among firms"
    )
    hiring_cost: float = P(1500.0, 0, 1e6, "cu/hire", "Recruiting cost per hire")
    training_cost: float = P(1500.0, 0, 1e6, "cu/hire", "Training cost per hire")
    repeat_bonus: float = P(
        0.0,
        0,
        100,
        "cu per repeat visit",
        "Bonus paid to the employee per repeat visit served",
        assumption="a scenario lever; none at baseline",
    )
    bonus_focus: float = P(
        1.0,
        0,
        3,
        "share per unit incentive",
        "How far a repeat-business bonus redirects effort: discretionary effort shifted toward "
        "returning customers (and rapport built with them), away from serving newcomers, per "
        "unit of incentive (repeat_bonus / price). Acts only when repeat_bonus > 0",
        assumption="people do what they are paid for (multitasking incentives, Holmstrom & "
        "Milgrom 1991); a bonus of a third of the price shifts a third of effort; checked "
        "over [0.5, 2] with repeat_bonus 5",
    )
    loyalty_programme: bool = Field(
        False,
        description="Customer loyalty programme offered",
        json_schema_extra={"unit": "true/false", "source": "Seed: rewards frequency and spend"},
    )
    loyalty_reward: float = P(
        0.05,
        0,
        0.5,
        "share of spend",
        "Reward returned to programme members per visit; members weigh it in choice like a "
        "price cut of that size on their own spend",
        assumption="typical programmes return a few per cent of spend; checked over [0, 0.15]",
    )
    loyalty_join_probability: float = P(
        0.1,
        0,
        1,
        "probability per visit",
        "Chance a non-member joins after a visit",
        assumption="most regular customers join within a few months; checked over [0.05, 0.3]",
    )
    loyalty_utility: float = P(
        0.2,
        0,
        5,
        "utility",
        "Non-monetary choice utility of membership (status, recognition), on top of the "
        "reward's value",
        assumption="smaller than the habit bonus; checked over [0, 0.5]",
    )
    loyalty_matching: float = P(
        0.4,
        0,
        1,
        "probability",
        "Added chance that a member is served by the same employee as last time",
        assumption="a programme that knows the member books them with their usual "
        "employee; checked over [0, 0.6]",
    )
    customer_focus: float = P(
        0.3,
        0,
        1,
        "probability",
        "Customer-focused organisation: chance a returning customer is served by their "
        "own employee",
        assumption="checked over [0, 0.8]",
    )
    involvement: float = P(
        0.3,
        0,
        1,
        "share",
        "Employee involvement in planning and improvement",
        assumption="a scenario lever; 0.3 = some involvement; checked over [0, 0.6]",
    )


class Firm(Section):
    supervisor: Supervisor = Supervisor()
    policy: Policy = Policy()


def _partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """Same fields, bounds and docs as ``model``, all optional: for partial overrides."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        ann = info.annotation
        if ann is None:  # pydantic records one for every field of a model class
            raise TypeError(f"{model.__name__}.{fname} has no annotation")
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


if TYPE_CHECKING:
    # built at run time by _partial; to a type checker, a section like any other
    class PartialFirm(Section): ...
else:
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
    competitors: PartialFirm = PartialFirm()
    analysis: Analysis = Analysis()

    def firm_config(self, k: int) -> Firm:
        """Levers of firm k: the focal firm uses ``firm``; competitors overlay ``competitors``."""
        if k == 0:
            return self.firm
        over = self.competitors.model_dump(exclude_none=True)
        if not over:
            return self.firm
        return Firm.model_validate(_deep_merge(self.firm.model_dump(), over))

    def with_overrides(
        self, overrides: Mapping[str, Any], labels: Mapping[str, str] | None = None
    ) -> Scenario:
        """A copy with dotted-key overrides, validated like a file (raises ScenarioError);
        ``labels`` says how each override was given, as in :func:`load_scenario`."""
        labels = _check_overrides(overrides, labels)
        plain = {k: _plain(v) for k, v in overrides.items()}
        return _validate(self.model_dump(), plain, f"<scenario {self.meta.name}>", labels)

    def digest(self) -> str:
        """Short hash of every parameter value (not of names or comments)."""
        payload = self.model_dump(mode="json", exclude={"meta"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ loading / errors
class ScenarioError(ValueError):
    """One or more clear, one-line problems with a scenario, an option or an argument;
    ``.problems`` lists them. A ``ValueError``, so API callers may catch either."""

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


def _field_at(path: tuple, root: type[BaseModel] | None = None) -> FieldInfo | None:
    if root is None and path and path[0] == "competitors":
        path = ("firm", *path[1:])  # same fields and bounds, all optional
    model: Any = root or Scenario
    info = None
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if isinstance(part, int):
            continue  # an entry of an array of tables: its fields are the item type's
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = info.annotation
        if getattr(model, "__args__", None) and not isinstance(model, type):
            # Optional[Sub] in partial models, list[Sub] in arrays of tables: look through.
            model = next((a for a in model.__args__ if a is not type(None)), model)
    return info


def _allowed(path: tuple, err: ErrorDetails, root: type[BaseModel] | None = None) -> str:
    info = _field_at(path, root)
    if err["type"] == "extra_forbidden":
        parent = _field_at(path[:-1], root) if len(path) > 1 else None
        model = parent.annotation if parent is not None else root or Scenario
        args = getattr(model, "__args__", None)
        if args and not isinstance(model, type):
            model = next(a for a in args if a is not type(None))
        names = ", ".join(model.model_fields) if isinstance(model, type) else "?"
        return f"allowed here: {names}"
    if info is None:
        return ""
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
        return f"allowed: a table [{'.'.join(map(str, path))}]"
    extra = info.json_schema_extra or {}
    unit = extra.get("unit", "") if isinstance(extra, dict) else ""
    bounds = extra.get("range_bounds") if isinstance(extra, dict) else None
    if isinstance(bounds, list):
        lo, hi = bounds
        return f"allowed: a pair [low, high] with {lo} <= low <= high <= {hi} ({unit})"
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    ann = info.annotation
    if ann is bool:
        return "allowed: true or false"
    kind = getattr(ann, "__name__", str(ann))
    args = getattr(ann, "__args__", None)
    if args and str(ann).startswith("typing.Literal"):
        return "allowed: " + ", ".join(repr(a) for a in args)
    if lo is not None or hi is not None:
        return f"allowed: {kind} from {lo} to {hi} ({unit})"
    return f"allowed: {kind}"


def _origin(dotted: str, labels: Mapping[str, str]) -> str | None:
    """The option that set ``dotted`` (or a table above it), if any."""
    best = None
    for key in labels:
        if (dotted == key or dotted.startswith(key + ".")) and (
            best is None or len(key) > len(best)
        ):
            best = key
    return best


def format_validation_error(
    err: ValidationError,
    source: str,
    labels: Mapping[str, str] | None = None,
    schema: type[BaseModel] | None = None,
) -> list[str]:
    """One line per problem; a value that came from an option is blamed on the option
    (``labels`` maps a dotted key to how it was given, e.g. ``--days 30``). ``schema``
    is the model validated (default: the scenario), whose fields the message allows."""
    labels = labels or {}
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
        allowed = _allowed(path, e, schema)
        key = _origin(dotted, labels)
        if (
            key is None
            and dotted == "market.warmup_days"
            and "market.days" in labels
            and msg.startswith("must be below market.days")
        ):
            # the horizon given as an option is too short for the file's warm-up
            problems.append(
                f"{labels['market.days']}: must exceed market.warmup_days ({value}, "
                f"from {source}), or nothing would be measured; give more days or "
                "a shorter warm-up (--set market.warmup_days=N)"
            )
            continue
        if isinstance(value, dict):
            if e["type"] != "extra_forbidden":
                where = labels[key] if key else source
                problems.append(f"{where}: {dotted}: {msg}")
                continue
            shown = "(a table)"
        else:
            shown = json.dumps(value, default=str)
        if key == dotted:
            line = f"{labels[key]}: {msg}"
            if not isinstance(value, str | int | float | bool | list | type(None)):
                # e.g. --set meta.name=1979-05-27 is a TOML date: say so
                line += f" (read as a TOML {type(value).__name__}; quote text: key='\"...\"')"
        elif key is not None:
            line = f"{labels[key]}: {dotted} = {shown}: {msg}"
        else:
            line = f"{source}: {dotted} = {shown}: {msg}"
        problems.append(f"{line}; {allowed}" if allowed else line)
    return problems


_PYTHON_BOOLS = {"True": True, "False": False}
_BARE_DECIMAL = re.compile(r"^([+-]?)(\.\d+|\d+\.)$")


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``key=value``; the value is TOML (``true``, ``0.5``, ``"text"``, ``[0.2, 0.4]``,
    ``{style = 0.8}``). Also accepted: Python's ``True``/``False`` and decimals without a
    leading or trailing digit (``.5``, ``5.``); any other word is taken as a string."""
    if "=" not in item:
        raise ScenarioError([f"--set {item}: expected key=value, e.g. customers.count=20000"])
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key:
        raise ScenarioError([f"--set {item}: no key before '='; e.g. customers.count=20000"])
    if raw in _PYTHON_BOOLS:
        return key, _PYTHON_BOOLS[raw]
    m = _BARE_DECIMAL.match(raw)
    if m:
        digits = m.group(2)
        return key, float(m.group(1) + ("0" + digits if digits[0] == "." else digits + "0"))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values (the schema is strict about types)."""
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_overrides(overrides: Any, labels: Mapping[str, str] | None) -> dict[str, str]:
    """Overrides must map dotted keys (str) to values; returns a label for each key."""
    if not isinstance(overrides, Mapping):
        raise ScenarioError(
            [
                f"overrides: must be a mapping of dotted keys to values, e.g. "
                f"{{'customers.count': 20000}}; got {type(overrides).__name__}"
            ]
        )
    out: dict[str, str] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            raise ScenarioError(
                [f"overrides: key {key!r} is not a dotted field name such as 'customers.count'"]
            )
        shown = json.dumps(_plain(value), default=str)
        out[key] = (labels or {}).get(key) or f"overrides: {key} = {shown}"
    return out


def read_toml(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """A TOML file's contents, or a one-line :class:`ScenarioError` naming the file: a
    folder, a missing file, bad TOML, not UTF-8, unreadable. ``kind`` names what the file
    should be ("scenario", "experiment", "instrument"). A UTF-8 byte-order mark, which
    some Windows editors write, is not an error."""
    source, p = str(path), Path(path)
    if p.is_dir():
        raise ScenarioError([f"{source}: is a folder, not {_article(kind)} {kind} file"])
    if not p.is_file():
        raise ScenarioError([f"{source}: no such {kind} file"])
    try:
        return tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{source}: not valid TOML: {exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{source}: not a UTF-8 text file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{source}: cannot be read: {exc.strerror or exc}"]) from None


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def load_scenario(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Scenario:
    """Load and validate a scenario TOML file, applying dotted-key ``overrides``.

    ``path=None`` gives the built-in defaults. Raises :class:`ScenarioError` with
    one line per problem (file, dotted field, value, what is allowed); a problem
    with an override names the override (``labels`` says how each was given, e.g.
    ``{"market.days": "--days 30"}``) rather than the file.
    """
    if path is not None and not isinstance(path, str | os.PathLike):
        raise ScenarioError([f"path: must be a file name (str or Path); got {path!r}"])
    source = str(path) if path is not None else "<defaults>"
    labels = _check_overrides(overrides if overrides is not None else {}, labels)
    data: dict[str, Any] = {}
    if path is not None:
        data = read_toml(path, "scenario")
        if not data:
            # most likely a file truncated or saved empty by mistake; running the
            # defaults under its name would hide that
            raise ScenarioError(
                [
                    f"{source}: holds no settings (empty file); a scenario needs at least "
                    '[meta] name = "..."; every setting not given takes its default'
                ]
            )
    return _validate(data, {k: _plain(v) for k, v in (overrides or {}).items()}, source, labels)


def _validate(
    data: dict, overrides: Mapping[str, Any], source: str, labels: Mapping[str, str] | None = None
) -> Scenario:
    labels = labels or {}
    problems: list[str] = []
    for key, value in overrides.items():
        try:
            _set_dotted(data, key, value)
        except KeyError as exc:
            where = labels.get(key) or f"{source}: --set {key}"
            problems.append(f"{where}: {exc.args[0]} is not a table")
    if problems:
        raise ScenarioError(problems)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, source, labels)) from None


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
            lo: object = None
            hi: object = None
            for m in info.metadata:
                lo = getattr(m, "ge", lo)
                hi = getattr(m, "le", hi)
            bounds = extra.get("range_bounds")
            if isinstance(bounds, list):
                lo, hi = bounds
            args = getattr(ann, "__args__", None)
            if args and str(ann).startswith("typing.Literal"):
                lo, hi = None, None
                unit = " | ".join(args)
            else:
                unit = str(extra.get("unit", ""))
            yield ParamInfo(
                path=path,
                default=dflt.get(name, info.default),
                value=vals.get(name),
                low=lo,
                high=hi,
                unit=unit,
                description=info.description or "",
                source=str(extra.get("source", "")),
                assumption=str(extra.get("assumption", "")),
            )

    yield from walk(Scenario, "", defaults, values)
