"""Simulated employee and customer surveys drawn from the model's latent state.

A survey is a measurement, not a mechanism: it reads the model's columnar tables
(``model.staff``, ``model.customers``, ``model.firms``) and never writes them, and
it draws from its own random stream (a ``SeedSequence`` spawn key no model stream
uses), so running a survey leaves the model's trajectory untouched (common random
numbers intact).

Measurement model, per item i of construct c and respondent r::

    z      = (latent - market mean) / market sd          the construct standardised over
                                                         the whole market (a latent the
                                                         market does not vary gives z = 0)
    y*     = ±loading_i · z + sqrt(1 - loading_i²) · e   e ~ N(0, 1); − for reverse items
             + a_r                                       acquiescence (yea-saying)
    answer = category of y* on thresholds spread over [-1.5, 1.5], shifted down by
             ``leniency`` (top-box / ceiling skew); loadings are standardised, so an
             item's reliability is loading²; answers are relative to the market, as
             benchmarked survey norms are

Unit non-response depends on the respondent's state (engagement; satisfaction):
P(respond) = logistic(logit(rate) + state_slope · standardised state). Items are
skipped at random with ``item_missing``. Respondents are sampled without
replacement from a frame (staff on duty; customers who have visited).

The *true drivers* are the structural terms in force and their spread across the
frame, read from the model's own functions (one implementation, not a copy): for
engagement, the terms of the Job Demands-Resources job balance
(``engagement.job_contributions`` of ``model.job_inputs``), each a weight in
``scenario.engagement`` times a resource or demand (autonomy and supervisory control
are one latent, so they are one driver); the bounding and each person's sensitivity
scale all of a person's terms alike, so they are left out. For intent to return, the
terms of the logit choice utility (``model.choice_utilities``): satisfaction (the
habit bonus held while relationship satisfaction stays in the zone of tolerance,
plus the attitude term), the pull of the alternatives (other firms and no firm),
programme membership and price. Quality and relationship act on intent only
through satisfaction over time, so their direct weight is 0; the analysis therefore
takes them as drivers of satisfaction, not beside it (``ANTECEDENTS``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import encounter
from . import engagement as jdr
from .config import ScenarioError
from .instruments import OUTCOMES, Instrument, Part

# spawn key of the survey stream: the model's streams are SeedSequence(seed).spawn(n),
# whose keys are 1-tuples, so a 3-tuple under this tag can never coincide with them
SURVEY_STREAM_TAG = 0x53555256  # "SURV"


@dataclass
class Latents:
    """Latent values of the sampling frame and, per construct, its term of the true model."""

    ids: pd.DataFrame  # identifiers per frame row
    values: pd.DataFrame  # construct -> latent value
    state: np.ndarray  # drives non-response
    contributions: dict[str, np.ndarray]  # construct -> its term in the outcome's index
    unmeasured: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. disposition
    weights: dict[str, str] = field(default_factory=dict)  # construct -> how weighted
    notes: list[str] = field(default_factory=list)
    # the market-wide reference every respondent's answers are relative to
    ref_mean: pd.Series | None = None
    ref_sd: pd.Series | None = None

    def restrict(self, firms: Sequence[int] | None) -> Latents:
        """The frame (rows at ``firms``), keeping the whole market as the reference."""
        self.ref_mean = self.values.mean()
        self.ref_sd = self.values.std(ddof=0)
        if firms is None:
            return self
        keep = np.isin(self.ids["firm"].to_numpy(), list(firms))
        return Latents(
            self.ids[keep].reset_index(drop=True),
            self.values[keep].reset_index(drop=True),
            self.state[keep],
            {c: v[keep] for c, v in self.contributions.items()},
            {c: v[keep] for c, v in self.unmeasured.items()},
            self.weights,
            self.notes,
            self.ref_mean,
            self.ref_sd,
        )

    def standardised(self, construct: str) -> np.ndarray:
        """Latent in market standard deviations (0 where the market does not vary)."""
        if self.ref_mean is None or self.ref_sd is None:
            raise ValueError("no reference yet: restrict() the latents first")
        v = self.values[construct].to_numpy(dtype=float)
        sd = float(self.ref_sd[construct])
        if not sd > 1e-12:
            return np.zeros(v.size)
        return (v - float(self.ref_mean[construct])) / sd


# ------------------------------------------------------------------ employees
class WorkloadMemory:
    """Each employee's recent load above capacity, read from the model day by day.

    The model keeps only today's load, but engagement moves toward its target at
    ``employees.engagement_rate`` a day, so the load in force is an exponential
    average at that rate; a new occupant of a slot starts afresh. Read-only.
    """

    def __init__(self, model):
        self.rate = model.config.employees.engagement_rate
        self.value = np.zeros(model.staff.n)
        self.generation = np.asarray(model.staff.generation).copy()

    def update(self, model) -> None:
        S = model.staff
        gen = np.asarray(S.generation)
        self.value[gen != self.generation] = 0.0
        self.generation = gen.copy()
        today = np.maximum(
            np.asarray(S.served_today, dtype=float) / model.config.service.capacity - 1.0, 0.0
        )
        self.value += self.rate * (today - self.value)


# survey construct -> the terms of the JD-R job balance it measures
# (``engagement.job_contributions``); autonomy is computed from supervisory control,
# so the two are one latent and one driver
JOB_TERMS = {
    "autonomy": ("autonomy", "control"),
    "recognition": ("recognition",),
    "meaning": ("meaning",),
    "growth": ("growth",),
    "supervisor_support": ("support",),
    "workload": ("workload",),
    "harsh_criticism": ("sting",),
    "reward": ("reward",),
    "involvement": ("involvement",),
}
# the job_inputs value each construct's latent is (autonomy, not control, is asked about)
JOB_INPUT = {"supervisor_support": "support", "workload": "overload", "harsh_criticism": "sting"}
DEMANDS = ("workload", "control", "sting")


def employee_latents(
    model, firms: Sequence[int] | None = None, workload: WorkloadMemory | None = None
) -> Latents:
    """Latent constructs of all staff on duty; the frame is those at ``firms`` (None: all).

    The constructs are the inputs of the model's JD-R target as the model computes them
    (``model.job_inputs``), and their true weights the terms of ``engagement.job_balance``
    (``engagement.job_contributions``); only the load differs: the recent load in
    ``workload`` where the survey runner has kept it, else today's.
    """
    S, cfg = model.staff, model.config
    rows = np.flatnonzero(S.on_duty)
    notes: list[str] = []
    if workload is not None:
        overload = workload.value
    else:
        overload = np.maximum(S.served_today / cfg.service.capacity - 1.0, 0.0)
        notes.append("workload read from one day's load (no history observed)")
    job = {
        name: np.broadcast_to(np.asarray(v, dtype=float), (S.n,))[rows]
        for name, v in model.job_inputs(overload).items()
    }
    w = cfg.engagement
    terms = jdr.job_contributions(w, **job)
    values = {"engagement": np.asarray(S.engagement, dtype=float)[rows]}
    values |= {c: job[JOB_INPUT.get(c, c)] for c in JOB_TERMS}
    contributions = {
        c: sum((terms[t] for t in ts), np.zeros(rows.size)) for c, ts in JOB_TERMS.items()
    }
    weights = {
        c: " and ".join(f"{t} {'-' if t in DEMANDS else ''}{getattr(w, t)}" for t in ts)
        + (" (one latent)" if len(ts) > 1 else "")
        for c, ts in JOB_TERMS.items()
    }
    unmeasured = {"disposition (stable individual difference)": S.disposition[rows]}
    ids = pd.DataFrame(
        {
            "employee": rows,
            "generation": np.asarray(S.generation)[rows],
            "firm": S.firm[rows],
            "team": np.asarray(S.team)[rows],
        }
    )
    lat = Latents(
        ids, pd.DataFrame(values), values["engagement"], contributions, unmeasured, weights, notes
    )
    return lat.restrict(firms)


# ------------------------------------------------------------------ customers
def customer_latents(model, firms: Sequence[int] | None = None) -> Latents:
    """Latent constructs of every customer who has visited a firm; the frame is those
    whose last firm is in ``firms`` (None: all).

    Intent to return is the probability that the customer, needing the service now,
    would choose the firm visited last over the others and over buying from no firm,
    by the utilities the model chooses by (``model.choice_utilities``).
    """
    C, S, F, cfg = model.customers, model.staff, model.firms, model.config
    cc = cfg.customers
    rows = np.flatnonzero(C.last_firm >= 0)
    notes: list[str] = []
    k = C.last_firm[rows]
    n = rows.size
    cols = np.arange(n)
    util, member_value = model.choice_utilities(rows)
    member_k = np.broadcast_to(member_value, util.shape)[k, cols]
    outside = cc.outside_utility
    top = np.maximum(util.max(axis=0, initial=-np.inf), outside)
    weight = np.exp(util - top)
    intent = weight[k, cols] / (weight.sum(axis=0) + np.exp(outside - top))
    # the pull of the alternatives: log-sum of the other firms' utilities and no firm's
    others = weight.copy()
    others[k, cols] = 0.0
    lse = top + np.log(others.sum(axis=0) + np.exp(outside - top))
    sens = cc.choice_sensitivity
    att_k = C.attitude[k, rows]
    satisfaction = C.satisfaction[rows]  # with the firm, over the visits in a row
    price_term = cc.price_sensitivity * F.price[k]
    # what is left of the utility is the habit bonus, held while the relationship
    # satisfaction stays in the zone of tolerance (0 where the firm is closed)
    with np.errstate(invalid="ignore"):
        habit = util[k, cols] - sens * att_k - member_k + price_term
    habit = np.where(np.isfinite(habit), habit, 0.0)
    alternatives = (lse - math.log(F.k)) / sens if sens > 0 else np.zeros(n)
    # the service a customer can expect: from their own employee while that employee
    # is still in post at this firm, otherwise the firm's average employee (no rapport)
    own = C.own_employee[rows]
    own_c = np.where(own >= 0, own, 0)
    valid = (
        (own >= 0)
        & S.on_duty[own_c]
        & (S.generation[own_c] == C.own_generation[rows])
        & (S.firm[own_c] == k)
    )
    need = C.need[rows]
    rapport = np.where(valid, C.rapport[rows], 0.0)
    sv = cfg.service
    overload = np.maximum(S.served_today / sv.capacity - 1.0, 0.0)

    def quality(staff, need_of, rapport_of, firm_of):
        """Encounter quality without noise, with the effort the model would put in for
        a returning customer (``engagement.effort``)."""
        effort = jdr.effort(
            S.engagement[staff],
            S.sting[staff],
            np.ones(staff.size, dtype=bool),
            self_attention=cfg.feedback.self_attention,
            bonus_shift=model.bonus_shift[firm_of],
        )
        return encounter.encounter_quality(
            S.skill[staff],
            S.knowledge[staff, need_of],
            effort,
            rapport_of,
            overload[staff],
            np.zeros(staff.size),
            weight_skill=sv.weight_skill,
            weight_knowledge=sv.weight_knowledge,
            weight_effort=sv.weight_effort,
            weight_rapport=sv.weight_rapport,
            overload_penalty=sv.overload_penalty,
        )

    q = quality(own_c, need, rapport, k)
    # the firm's average employee on duty, for each need type, where their own has left
    for f in np.unique(k[~valid]):
        staff = np.flatnonzero(S.on_duty & (S.firm == f))
        sel = np.flatnonzero(~valid & (k == f))
        if staff.size == 0:
            q[sel] = 0.0
            continue
        zero = np.zeros(staff.size)
        q_need = np.array([quality(staff, j, zero, f).mean() for j in range(S.knowledge.shape[1])])
        q[sel] = q_need[need[sel]]
    values = {
        "intent_to_return": intent,
        "recommend": C.recommend[rows].astype(float),  # the 0-10 state
        "satisfaction": satisfaction,
        "quality": q,
        "relationship": rapport,
        "alternatives": alternatives,
        "value": -F.price[k].astype(float),
        "rewards": C.member[k, rows].astype(float),
    }
    contributions = {
        "satisfaction": sens * att_k + habit,
        "alternatives": -lse,
        "rewards": member_k,
        "value": -price_term,
        "quality": np.zeros(n),
        "relationship": np.zeros(n),
    }
    how = {
        "satisfaction": f"habit {cc.habit} while satisfaction >= tolerance {cc.tolerance} "
        f"+ choice_sensitivity {sens} x attitude",
        "alternatives": "-log-sum of the other firms' and no firm's utilities",
        "rewards": "membership value (loyalty utility + reward as a price cut)",
        "value": f"-price_sensitivity {cc.price_sensitivity} x price",
        "quality": "0 (acts through satisfaction over time)",
        "relationship": "0 (acts through quality and satisfaction over time)",
    }
    ids = pd.DataFrame({"customer": rows, "firm": k})
    lat = Latents(ids, pd.DataFrame(values), satisfaction, contributions, {}, how, notes)
    return lat.restrict(firms)


def true_drivers(lat: Latents, outcome: str, instrument_part: Part | None = None) -> pd.DataFrame:
    """The model's true drivers of ``outcome`` over the frame: weight x spread of each term."""
    rows = []
    for c, contrib in lat.contributions.items():
        spread = float(np.std(contrib)) if contrib.size else 0.0
        spread = spread if spread > 1e-12 else 0.0  # a constant, up to rounding
        lv = lat.values[c].to_numpy()
        direction = 0
        if spread > 0 and np.std(lv) > 0:
            direction = int(np.sign(np.corrcoef(contrib, lv)[0, 1]))
        rows.append((c, lat.weights.get(c, ""), spread, direction, True))
    for name, v in lat.unmeasured.items():
        rows.append((name, "1 (logit)", float(np.std(v)) if v.size else 0.0, 1, False))
    df = pd.DataFrame(
        rows, columns=["construct", "weight", "importance", "direction", "surveyable"]
    )
    measured = set(instrument_part.constructs()) if instrument_part is not None else set()
    df["in_instrument"] = df["construct"].isin(measured)
    df.insert(0, "outcome", outcome)
    s = df.loc[df["surveyable"], "importance"]
    df["share"] = np.where(df["surveyable"], df["importance"] / s.sum() if s.sum() > 0 else 0, 0)
    df["true_rank"] = 0
    order = df[df["surveyable"]].sort_values("importance", ascending=False, kind="stable").index
    df.loc[order, "true_rank"] = np.arange(1, len(order) + 1)
    return df.sort_values(["surveyable", "importance"], ascending=[False, False]).reset_index(
        drop=True
    )


# ------------------------------------------------------------------ responses
def survey_rng(seed: int, wave: int, population: str) -> np.random.Generator:
    """The survey's own random stream: independent of every model stream."""
    pop = 0 if population == "employees" else 1
    ss = np.random.SeedSequence(seed, spawn_key=(SURVEY_STREAM_TAG, wave, pop))
    return np.random.Generator(np.random.PCG64(ss))


def thresholds(points: int, leniency: float) -> np.ndarray:
    return np.linspace(-1.5, 1.5, points - 1) - leniency


def answer(z: np.ndarray, item, points: int, acq: np.ndarray, lenient: float, rng) -> np.ndarray:
    """Answers to one item from standardised latents ``z`` (see the module docstring)."""
    sign = -1.0 if item.reverse else 1.0
    lam = item.loading
    ystar = sign * lam * z + math.sqrt(max(1.0 - lam**2, 0.0)) * rng.standard_normal(z.size) + acq
    cat = (ystar[:, None] > thresholds(points, lenient)[None, :]).sum(axis=1)
    return cat if points == 11 else cat + 1  # 0-10 scales start at 0, Likert at 1


@dataclass
class PopulationSurvey:
    responses: pd.DataFrame  # respondents only: ids + item answers
    truth: pd.DataFrame  # everyone sampled: ids, responded, latent values
    drivers: pd.DataFrame  # true drivers over the frame
    frame_size: int
    notes: list[str]
    reference: tuple[pd.Series, pd.Series] | None = None  # (mean, sd) answers are relative to


def draw(
    lat: Latents,
    part: Part,
    outcome: str,
    n: int | None,
    rng: np.random.Generator,
) -> PopulationSurvey:
    """Sample ``n`` (all if None) from the frame, decide who responds, and answer items."""
    size = len(lat.ids)
    notes = list(lat.notes)
    if n is not None and n > size:
        notes.append(f"{n} asked for but the frame holds {size}: all {size} were invited")
    if n is None or n >= size:
        pick = np.arange(size)
    else:
        pick = np.sort(rng.choice(size, size=n, replace=False))
    r = part.response
    state = lat.state[pick]
    sd = state.std()
    zstate = (state - state.mean()) / sd if sd > 0 else np.zeros(pick.size)
    logit = math.log(r.rate / (1 - r.rate)) if r.rate < 1 else 30.0
    p_respond = 1.0 / (1.0 + np.exp(-(logit + r.state_slope * zstate)))
    responded = rng.random(pick.size) < p_respond
    acq = rng.normal(r.acquiescence_mean, r.acquiescence_sd, pick.size)
    ids = lat.ids.iloc[pick].reset_index(drop=True)
    answers = {}
    for item in part.items:
        points = item.points or part.scale_points
        z = lat.standardised(item.construct)[pick]
        a = answer(z, item, points, acq, r.leniency, rng)
        skipped = rng.random(pick.size) < r.item_missing
        answers[item.id] = pd.array(np.where(skipped, -1, a), dtype="Int16")
        answers[item.id][skipped] = pd.NA
    responses = pd.concat([ids, pd.DataFrame(answers)], axis=1)[responded].reset_index(drop=True)
    truth = pd.concat(
        [ids, pd.DataFrame({"responded": responded}), lat.values.iloc[pick].reset_index(drop=True)],
        axis=1,
    )
    return PopulationSurvey(
        responses,
        truth,
        true_drivers(lat, outcome, part),
        size,
        notes,
        (lat.ref_mean, lat.ref_sd),
    )


@dataclass
class Wave:
    wave: int
    day: int
    employees: PopulationSurvey | None
    customers: PopulationSurvey | None


def survey_model(
    model,
    instrument: Instrument,
    *,
    wave: int = 0,
    survey_seed: int | None = None,
    employees: int | None = None,
    customers: int | None = 500,
    firms: Sequence[int] | None = None,
    workload: WorkloadMemory | None = None,
    reference: dict | None = None,
) -> Wave:
    """Survey the model's current state (read-only; the model is not advanced).

    ``reference`` ({population: (mean, sd)}) fixes what answers are relative to, e.g.
    one market's norms for surveys of many markets; default: this market.
    """
    seed = model.seed if survey_seed is None else survey_seed
    emp = cus = None
    reference = reference or {}

    def _ref(lat, pop):
        if pop in reference:
            lat.ref_mean, lat.ref_sd = reference[pop]
        return lat

    if instrument.employees.items:
        lat = _ref(employee_latents(model, firms, workload), "employees")
        emp = draw(
            lat,
            instrument.employees,
            OUTCOMES["employees"][0],
            employees,
            survey_rng(seed, wave, "employees"),
        )
    if instrument.customers.items:
        lat = _ref(customer_latents(model, firms), "customers")
        cus = draw(
            lat,
            instrument.customers,
            OUTCOMES["customers"][0],
            customers,
            survey_rng(seed, wave, "customers"),
        )
    return Wave(wave, model.day, emp, cus)


def run_survey(
    scenario,
    instrument: Instrument,
    *,
    structure: str | float = "linear",
    seed: int = 1,
    days: Sequence[int] = (365,),
    survey_seed: int | None = None,
    employees: int | None = None,
    customers: int | None = 500,
    firms: Sequence[int] | None = None,
    progress: bool = False,
    reference: dict | None = None,
) -> tuple[list[Wave], object]:
    """Run the model and survey it after each of ``days`` days (waves); returns the waves
    and the model. The model runs exactly as it would without the survey."""
    from tqdm import tqdm

    from .model import ServiceProfitChainModel

    model = ServiceProfitChainModel(scenario, structure=structure, seed=seed)
    memory = WorkloadMemory(model)
    waves_at = sorted(set(days))
    out: list[Wave] = []
    for _ in tqdm(range(waves_at[-1]), desc="days", disable=not progress, leave=False):
        model.step()
        memory.update(model)
        if model.day in waves_at:
            out.append(
                survey_model(
                    model,
                    instrument,
                    wave=len(out),
                    survey_seed=seed if survey_seed is None else survey_seed,
                    employees=employees,
                    customers=customers,
                    firms=firms,
                    workload=memory,
                    reference=reference,
                )
            )
    return out, model


# ------------------------------------------------------------------ scoring
def scale_scores(responses: pd.DataFrame, part: Part) -> pd.DataFrame:
    """Construct scores: the mean of a construct's answered items, reverse items scored back."""
    out = {}
    for c in part.constructs():
        cols = []
        for it in part.items_of(c):
            points = it.points or part.scale_points
            lo, hi = (0, 10) if points == 11 else (1, points)
            x = responses[it.id].astype("float64")
            cols.append(lo + hi - x if it.reverse else x)
        out[c] = pd.concat(cols, axis=1).mean(axis=1, skipna=True)
    return pd.DataFrame(out)


def reliability(responses: pd.DataFrame, part: Part) -> pd.DataFrame:
    """Cronbach's alpha and corrected item-total correlations per construct."""
    from .drivers import cronbach_alpha, item_total_correlations

    rows = []
    for c in part.constructs():
        items = part.items_of(c)
        x = []
        for it in items:
            points = it.points or part.scale_points
            lo, hi = (0, 10) if points == 11 else (1, points)
            v = responses[it.id].astype("float64")
            x.append(lo + hi - v if it.reverse else v)
        m = pd.concat(x, axis=1).dropna().to_numpy()
        alpha = cronbach_alpha(m) if len(m) > 2 else float("nan")
        itc = item_total_correlations(m) if len(m) > 2 else np.full(len(items), np.nan)
        for it, r in zip(items, itc, strict=True):
            rows.append((c, len(items), alpha, it.id, r))
    return pd.DataFrame(rows, columns=["construct", "items", "alpha", "item", "item_total_r"])


def nps(responses: pd.DataFrame, part: Part) -> dict | None:
    """Net Promoter Score from the 0-10 recommend item: % promoters (9-10) - % detractors (0-6)."""
    items = [it for it in part.items_of("recommend") if (it.points or part.scale_points) == 11]
    if not items:
        return None
    x = responses[items[0].id].dropna().astype(int)
    if x.empty:
        return None
    promoters, detractors = float((x >= 9).mean()), float((x <= 6).mean())
    return {
        "n": int(x.size),
        "promoters": promoters,
        "passives": 1.0 - promoters - detractors,
        "detractors": detractors,
        "nps": 100.0 * (promoters - detractors),
    }


# ------------------------------------------------------------------ analysis
# The customer side of the chain: service quality and the relationship with one's
# own employee act on loyalty through satisfaction (Heskett et al. 1994; in the model
# satisfaction is built from encounter quality, which rapport raises). Relative
# importance splits R² by averaging over orders of entry, so a construct put beside
# its own mediator takes part of the mediator's share even when its direct weight is
# 0 (LMG lacks "exclusion": Grömping 2007, The American Statistician 61:139-147): on
# the latent values of a whole market, without measurement error or sampling, quality
# outranks the alternatives as a driver of intent to return. So, as in the staged
# models of customer-satisfaction research (satisfaction -> loyalty, attributes ->
# satisfaction), an outcome's drivers are the constructs at its own stage: the
# antecedents of a mediator the instrument measures are drivers of that mediator.
ANTECEDENTS = {"satisfaction": ("quality", "relationship")}


def driver_constructs(
    part: Part, outcome: str, staged: bool = True
) -> tuple[list[str], dict[str, str]]:
    """The constructs of ``part`` analysed as drivers of ``outcome``, and those left out
    as antecedents of a measured mediator ({construct: mediator}); ``staged=False``
    puts every construct in one regression (for comparison)."""
    measured = part.constructs()
    outcomes = set(OUTCOMES["employees"] + OUTCOMES["customers"])
    upstream = {
        c: mediator
        for mediator, causes in ANTECEDENTS.items()
        if staged and mediator in measured and mediator != outcome
        for c in causes
        if c in measured and c != outcome
    }
    drivers = [c for c in measured if c not in outcomes and c not in upstream and c != outcome]
    return drivers, upstream


def analyse(
    responses: pd.DataFrame,
    part: Part,
    outcome: str,
    truth: pd.DataFrame | None = None,
    *,
    bootstrap: int = 200,
    rng: np.random.Generator | None = None,
    staged: bool = True,
) -> dict:
    """Key drivers of ``outcome`` from survey answers, set beside the model's true
    drivers (``truth``: rows of :func:`true_drivers`) when they are known; ``staged``:
    see :func:`driver_constructs`."""
    from .drivers import DriverAnalysisError, key_drivers, spearman, top_k_recovery

    scores = scale_scores(responses, part)
    drivers, upstream = driver_constructs(part, outcome, staged)
    out: dict = {
        "outcome": outcome,
        "n": len(scores),
        "drivers": drivers,
        "upstream": upstream,
        "recovered": False,
    }
    true_rank: list[str] = []
    if truth is not None and len(truth):
        t = truth[truth["surveyable"]].set_index("construct")
        true_rank = list(t.sort_values("importance", ascending=False, kind="stable").index)
        out.update(true=true_rank, k=top_k(t), truth=t)
    if outcome not in scores or not drivers:
        out["error"] = f"the instrument measures no {outcome} or none of its drivers"
        out["top_k"] = 0.0
        return out
    try:
        res = key_drivers(scores, outcome, drivers, bootstrap=bootstrap, rng=rng)
    except DriverAnalysisError as exc:
        out["error"] = str(exc)
        out["top_k"] = 0.0
        return out
    est = res.ranking("lmg")
    out.update(result=res, table=res.table, r2=res.r2, ranking=est)
    if true_rank:
        t = out["truth"]
        table = res.table.join(t[["importance", "share", "true_rank"]], how="left")
        common = [c for c in drivers if c in t.index]
        rho = spearman(table.loc[common, "lmg"].to_numpy(), t.loc[common, "importance"].to_numpy())
        # a driver the instrument does not measure cannot be found
        rec = top_k_recovery(est, true_rank, out["k"])
        out.update(
            table=table,
            top_k=rec,
            recovered=rec == 1.0,
            spearman=rho,
            top1=bool(est[0] == true_rank[0]),
        )
    return out


DRIVER_SHARE = 0.05


def top_k(truth: pd.DataFrame, share: float = DRIVER_SHARE) -> int:
    """How many constructs are the model's real drivers: those carrying at least
    ``share`` of the total true importance (at least 1). Recovery asks whether the
    survey's top k are exactly these: whether it separates drivers from non-drivers."""
    imp = truth["importance"].to_numpy()
    total = imp.sum()
    if total <= 0:
        return 1
    return max(1, int((imp / total >= share).sum()))


# ------------------------------------------------------------------ files
def write_survey(out: Path, waves: list[Wave], instrument_text: str, provenance: dict, fmt: str):
    from .report import _atomic_write

    out.mkdir(parents=True, exist_ok=True)
    ext = ".csv" if fmt == "csv" else ".parquet"
    written = []
    for pop in ("employees", "customers"):
        parts = [(w, getattr(w, pop)) for w in waves if getattr(w, pop) is not None]
        if not parts:
            continue
        for kind, attr in (("", "responses"), ("_truth", "truth")):
            df = pd.concat(
                [getattr(ps, attr).assign(wave=w.wave, day=w.day) for w, ps in parts],
                ignore_index=True,
            )
            df = df[["wave", "day", *[c for c in df.columns if c not in ("wave", "day")]]]
            path = out / f"{pop}{kind}{ext}"
            if ext == ".csv":
                _atomic_write(path, lambda p, d=df: d.to_csv(p, index=False))
            else:
                _atomic_write(path, lambda p, d=df: d.to_parquet(p, index=False))
            written.append(path)
    drivers = pd.concat(
        [
            getattr(w, pop).drivers.assign(wave=w.wave, day=w.day, population=pop)
            for w in waves
            for pop in ("employees", "customers")
            if getattr(w, pop) is not None
        ],
        ignore_index=True,
    )
    path = out / "true_drivers.csv"
    _atomic_write(path, lambda p: drivers.to_csv(p, index=False))
    written.append(path)
    path = out / "instrument.toml"
    _atomic_write(path, lambda p: p.write_text(instrument_text, encoding="utf-8"))
    written.append(path)
    path = out / "provenance.json"
    _atomic_write(path, lambda p: p.write_text(json.dumps(provenance, indent=2, default=str)))
    written.append(path)
    return written


# ------------------------------------------------------------------ studies
def shortened(instrument: Instrument, items_per_construct: int) -> Instrument:
    """The instrument with only the first ``items_per_construct`` items of each construct."""
    data = instrument.model_dump()
    for pop in ("employees", "customers"):
        seen: dict[str, int] = {}
        keep = []
        for it in data[pop]["items"]:
            c = it["construct"]
            if seen.get(c, 0) < items_per_construct:
                keep.append(it)
                seen[c] = seen.get(c, 0) + 1
        data[pop]["items"] = keep
    data["meta"]["name"] = f"{instrument.meta.name}-{items_per_construct}-per-construct"
    return Instrument.model_validate(data)


def unit_engagement_loyalty_correlation(
    scenario,
    *,
    markets: int = 20,
    day: int | None = None,
    seed: int = 1,
    structure: str | float = "linear",
    instrument: Instrument | None = None,
    customers_per_unit: int = 100,
    progress: bool = False,
) -> dict:
    """Business-unit correlation of engagement with customer loyalty, measured by surveys.

    Units are firms (each with its own staff and customers) in ``markets`` independent
    markets of ``scenario`` (replication seeds from ``seed``); answers in every market
    are relative to the first market's norms, as one company's units share one
    benchmark. In each market, every
    employee on duty is invited (a census) and ``customers_per_unit`` customers per
    firm on average; a unit's engagement is its respondents' mean engagement score
    and its loyalty the mean intent-to-return score of its customers who answered.
    Returns the Pearson r over units with a 95 % Fisher-z interval, the same r on the
    latent values (no measurement error, everyone sampled), and the counts. The field
    band is r = 0.2-0.35 (Harter, Schmidt & Hayes 2002).
    """
    from tqdm import tqdm

    from .instruments import load_instrument
    from .rng import replication_seeds

    inst = instrument if instrument is not None else load_instrument()
    day = day if day is not None else scenario.market.days
    k = scenario.market.firms
    rows = []
    seeds = replication_seeds(seed, markets)
    norms = None  # every market's answers are relative to the first market's norms
    for m, s in enumerate(tqdm(seeds, desc="markets", disable=not progress, leave=False)):
        (w,), _ = run_survey(
            scenario,
            inst,
            structure=structure,
            seed=s,
            days=[day],
            employees=None,
            customers=customers_per_unit * k,
            reference=norms,
        )
        we, wc = w.employees, w.customers
        if we is None or wc is None:  # a population with no items is not surveyed
            raise ScenarioError([f"instrument {inst.meta.name}: needs employee and customer items"])
        if norms is None:
            norms = {"employees": we.reference, "customers": wc.reference}
        emp = scale_scores(we.responses, inst.employees)
        cus = scale_scores(wc.responses, inst.customers)
        for f in range(k):
            e_resp = we.responses["firm"] == f
            c_resp = wc.responses["firm"] == f
            e_all = we.truth["firm"] == f
            c_all = wc.truth["firm"] == f
            rows.append(
                {
                    "market": m,
                    "firm": f,
                    "engagement_survey": emp.loc[e_resp, "engagement"].mean(),
                    "loyalty_survey": cus.loc[c_resp, "intent_to_return"].mean(),
                    "engagement_latent": we.truth.loc[e_all, "engagement"].mean(),
                    "loyalty_latent": wc.truth.loc[c_all, "intent_to_return"].mean(),
                    "employees_answered": int(e_resp.sum()),
                    "customers_answered": int(c_resp.sum()),
                }
            )
    units = pd.DataFrame(rows).dropna()
    n = len(units)

    def r_ci(a, b):
        r = float(np.corrcoef(a, b)[0, 1]) if n > 2 else float("nan")
        if n > 3 and abs(r) < 1:
            z, se = math.atanh(r), 1 / math.sqrt(n - 3)
            return r, (math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se))
        return r, (float("nan"), float("nan"))

    r_s, ci = r_ci(units["engagement_survey"], units["loyalty_survey"])
    r_l, ci_l = r_ci(units["engagement_latent"], units["loyalty_latent"])
    return {
        "r_survey": r_s,
        "r_survey_ci": ci,
        "r_latent": r_l,
        "r_latent_ci": ci_l,
        "units": n,
        "markets": markets,
        "day": day,
        "field_band": (0.2, 0.35),
        "source": "Harter, Schmidt & Hayes 2002, J. Applied Psychology",
        "table": units,
    }
