"""Behavioural tests for mutants of the compiled per-agent passes (sim/jit.py).

mutmut mutates the passes since they are compiled by a call rather than a decorator,
and runs them as Python (NUMBA_DISABLE_JIT=1, tools/mutation.py). Each test checks what a
pass is for on hand-built input, small enough to read, and names in its docstring the
surviving mutant (the planted bug) it catches. They call the passes as the model does, so
they run compiled in the suite and as Python under mutmut.
"""

from __future__ import annotations

import numpy as np

from sim import encounter, engagement, routing, workforce


def test_own_employee_is_recognised_in_every_slot_including_the_first():
    """A visitor's own employee counts only while that person still holds the slot
    (same generation), is on duty, and works at the firm chosen today; slot 0 (the focal
    firm's first employee) is a slot like any other and -1 means none yet. The match
    probability is the firm's customer focus, raised for its programme members, capped
    at 1. Catches slot 0 treated as "no own employee" (``e > 0`` for ``e >= 0`` in
    ``encounter._own_employee``: mutant x__own_employee__mutmut_9)."""
    #            c: 0  1   2  3  4  5
    own_employee = np.array([0, -1, 0, 1, 2, 1])
    own_generation = np.array([4, 0, 4, 7, 0, 6])  # customer 5 knew slot 1's previous holder
    on_duty = np.array([True, True, False])
    generation = np.array([4, 7, 0])
    firm = np.array([0, 0, 1])
    member = np.zeros((2, 6), dtype=bool)
    member[0, 3] = True
    member[1, 2] = True
    visitors = np.array([0, 1, 2, 3, 4, 5])
    chosen = np.array([0, 0, 1, 0, 1, 0])
    focus, matching = np.array([0.5, 0.2]), np.array([0.7, 0.1])
    n = visitors.size
    own, valid = np.empty(n, dtype=np.int64), np.empty(n, dtype=bool)
    here, p = np.empty(n, dtype=bool), np.empty(n)
    encounter._own_employee(
        visitors, chosen, own_employee, own_generation, member, on_duty, generation, firm,
        focus, matching, own, valid, here, p,
    )  # fmt: skip
    np.testing.assert_array_equal(own, own_employee)
    # 0: slot 0, same holder, on duty, at the firm chosen; 1: none yet; 2: slot 0 works at
    # firm 0, not the firm chosen; 3: slot 1 as known; 4: slot 2 is off duty; 5: slot 1 has
    # a new holder since
    np.testing.assert_array_equal(valid, [True, False, False, True, False, False])
    np.testing.assert_array_equal(here, [False, False, True, True, False, False])
    np.testing.assert_allclose(p, [0.5, 0.5, 0.3, 1.0, 0.2, 0.5])


def _learn_day(**change):
    """Three slots (the second vacant), two needs, one day of engagement._learn on
    hand-picked state; ``change`` replaces inputs. Returns the inputs and outputs."""
    x = dict(
        knowledge=np.array([[0.2, 0.6], [0.0, 0.4], [0.5, 1.0]]),
        control=np.array([0.5, 0.2, 0.9]),
        recognition=np.array([1.0, 0.0, 2.0]),
        meaning=np.array([0.4, 0.0, 1.0]),
        growth=np.array([0.3, 0.0, 0.0]),
        sting=np.array([0.0, 0.0, 2.0]),
        reward=np.array([0.1, 0.0, 0.0]),
        skill=np.array([0.4, 0.3, 0.8]),
        mastery=np.array([1.0, 1.0, 0.6]),
        tenure=np.array([10, 5, 0]),
        on=np.array([True, False, True]),
        observation=np.array([0.0, 0.0, 0.1]),
        style=np.array([1.0, 0.0, 0.0]),
        control_sensitivity=np.array([0.0, 0.0, 0.05]),
        repeat_bonus=np.array([2.0, 2.0, 0.0]),
        wage=np.array([100.0, 0.0, 100.0]),
        repeat_served=np.array([5.0, 3.0, 0.0]),
        log_keep=np.log(np.array([[0.5, 1.0], [1.0, 1.0], [0.25, 1.0]])),
        heard=np.array([0.0, 0.0, 4.0]),
        recognition_now=np.array([3.0, 0.0, 0.0]),
        meaning_now=np.array([2.0, 0.0, 0.0]),
        growth_now=np.array([1.0, 0.0, 0.0]),
        sting_now=np.array([0.0, 0.0, 1.0]),
        sting_repair=np.array([0.0, 0.0, 5.0]),
        copies_harsh=np.array([0.0, 0.0, 4.0]),
        self_attention=np.log(2.0) / 2.0,  # sting 2 leaves half the attention (exp(-ln 2))
        knowledge_decay=0.1,
        learning_rate=0.25,
        decay=0.5,
    )
    x |= change
    x = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in x.items()}
    out = {
        k: np.empty_like(x[k])
        for k in ("knowledge", "control", "recognition", "meaning", "growth", "sting", "reward")
    }
    engagement._learn(*x.values(), *out.values())
    return x, out


def test_learning_closes_the_knowledge_gap_moves_skill_and_fades_the_traces():
    """One day of ``engagement._learn`` on a hand-built team, against the rules it states:
    knowledge closes the share of its gap that what was heard fills (log_keep = log of the
    gap kept; with sting 2 and self-attention ln 2 / 2 only half the attention is on the
    task, so a kept share of 1/4 becomes 1/2), then learning by example closes the
    ``observation`` share of what is left, then knowledge drifts down by the decay; skill
    moves the learning rate toward mastery and tenure grows by a day for staff on duty
    only; control moves toward the supervisor's style plus the criticism heard (clipped);
    the traces are moving averages; sting is repaired but never negative; reward is the
    repeat bonus earned per wage (nothing without a wage); heard copies fade.

    Catches arithmetic and operator mutants across ``_learn``: e.g. the observation share
    divided in (``observation / (1 - k)``: x__learn__mutmut_18), the drift divided in
    (x__learn__mutmut_22), tenure reset to 1 instead of counted (x__learn__mutmut_29),
    today's meaning subtracted (x__learn__mutmut_53), the bonus divided by the repeat
    visits served (x__learn__mutmut_81), the reward trace lost (x__learn__mutmut_89)."""
    x, out = _learn_day()
    # slot 0: half the gap heard, no observation, drift 10 %
    #   need 0: 1 - 0.8 * 0.5 = 0.6 -> 0.54; need 1: nothing heard, 0.6 -> 0.54
    # slot 1 (vacant): knowledge still drifts: 0 and 0.36
    # slot 2: kept share 1/4 at half attention = 1/2: 1 - 0.5 * 0.5 = 0.75, observation
    #   0.1 of the remaining 0.25 -> 0.775, drift -> 0.6975; need 1 stays 1 -> 0.9
    np.testing.assert_allclose(
        out["knowledge"], [[0.54, 0.54], [0.0, 0.36], [0.6975, 0.9]], rtol=1e-12
    )
    np.testing.assert_allclose(x["skill"], [0.55, 0.3, 0.75], rtol=1e-12)
    np.testing.assert_array_equal(x["tenure"], [11, 5, 1])
    # control: 0.5 + 0.5 * (1 - 0.5) = 0.75; vacant 0.2 + 0.5 * (0 - 0.2) = 0.1;
    # 0.9 + 0.5 * (0 - 0.9) + 0.05 * 4 = 0.65
    np.testing.assert_allclose(out["control"], [0.75, 0.1, 0.65], rtol=1e-12)
    np.testing.assert_allclose(out["recognition"], [2.0, 0.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["meaning"], [1.2, 0.0, 0.5], rtol=1e-12)
    np.testing.assert_allclose(out["growth"], [0.65, 0.0, 0.0], rtol=1e-12)
    # sting 2 -> 1 + 0.5 (today) - 2.5 (repair) < 0 -> 0
    np.testing.assert_array_equal(out["sting"], [0.0, 0.0, 0.0])
    # reward: 0.5 * 0.1 + 0.5 * (2 * 5 / 100) = 0.1; no wage: 0; no bonus: 0
    np.testing.assert_allclose(out["reward"], [0.1, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(x["copies_harsh"], [0.0, 0.0, 2.0], rtol=1e-12)
    # the sting trace stays positive when the repair is smaller than what remains
    _, out = _learn_day(sting_repair=np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(out["sting"], [0.0, 0.0, 1.0], rtol=1e-12)


def _staff_day(delay):
    """Two firms of four slots; day 10 of workforce._staff_to_demand."""
    demand = np.array([20.0, 30.0])
    firm = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    on_duty = np.array([True, False, False, False, True, False, False, False])
    is_open = np.array([False, False, False, True, False, True, True, False])
    vacant_until = np.array([0, 0, 0, 11, 0, 8, 12, 0])
    hires = np.empty(firm.size, dtype=np.int64)
    n = workforce._staff_to_demand(
        demand, np.array([40.0, 15.0]), np.array([2.0, 1.0]), 10.0, np.array([1.0, 1.0]),
        np.array([4, 4]), firm, on_duty, is_open, vacant_until, 10, delay, hires,
    )  # fmt: skip
    return demand, is_open, vacant_until, hires[:n]


def test_staffing_opens_the_lowest_idle_slots_closes_the_latest_and_hires_after_the_delay():
    """Day 10, capacity 10 visits per employee at target load 1. The forecast moves
    1/horizon of the way to today's visits (firm 0: 20 -> 30, needs 3 staff; firm 1: 30 ->
    15, needs 2). Firm 0 holds 2 (one on duty, one vacancy open until day 11): it opens
    its lowest idle slot (1), to be filled after the hiring delay. Firm 1 holds 3 (one on
    duty, vacancies 5 and 6): it closes the latest (6) and hires into 5, whose delay has
    passed. With no delay, slot 1 is hired the day it opens.

    Catches the hiring delay counted backwards (``day - delay``: mutant
    x__staff_to_demand__mutmut_50), vacancies opened from the top or closed from the
    bottom, and a forecast that jumps to today's visits."""
    demand, is_open, vacant_until, hires = _staff_day(delay=3)
    np.testing.assert_allclose(demand, [30.0, 15.0])
    np.testing.assert_array_equal(is_open, [False, True, False, True, False, True, False, False])
    assert vacant_until[1] == 13
    np.testing.assert_array_equal(hires, [5])
    _, _, vacant_until, hires = _staff_day(delay=0)
    assert vacant_until[1] == 10
    np.testing.assert_array_equal(hires, [1, 5])


def test_routing_hears_direct_items_now_and_queues_the_rest_on_top_of_what_waits():
    """Eight items to two employees on day 9 (``routing._route``), onto queues and traces
    that already hold earlier items. Direct items are heard now: praise is recognition,
    every item is meaning, harsh criticism stings, other criticism is growth, and each
    item's need is learnt (log_item per item); the supervisor hears of every criticism.
    The others join the queue, their arrival day summed for the latency. Counts add to
    what was there.

    Catches a count that overwrites instead of adding: a second harsh item for the same
    employee (``d_harsh[e] = ...``: mutant x__route__mutmut_35) or praise already queued
    (``q_praise[e] = ...``: x__route__mutmut_95); items routed to the wrong channel or
    employee; a need or arrival day not counted."""
    #                   item: 0     1     2     3      4      5     6      7
    employee = np.array([0, 0, 0, 0, 1, 1, 1, 0])
    need = np.array([0, 1, 1, 0, 0, 1, 0, 1])
    praise = np.array([True, False, False, False, True, False, True, False])
    harsh = np.array([False, True, True, False, False, True, False, False])
    direct = np.array([True, True, True, True, False, False, False, False])
    log_item = np.log(0.8)
    s = dict(
        log_keep=np.zeros((2, 2)),
        recognition=np.array([1.0, 0.0]),
        meaning=np.zeros(2),
        growth=np.zeros(2),
        sting=np.array([0.5, 0.0]),
        heard=np.array([1.0, 0.0]),
        q_praise=np.array([2, 1]),
        q_criticism=np.array([0, 3]),
        q_harsh=np.array([0, 1]),
        q_need=np.array([[0.0, 0.0], [1.0, 1.0]]),
        q_arrival=np.array([5.0, 7.0]),
        copies=np.array([1.0, 0.0]),
        copies_harsh=np.array([1.0, 0.0]),
        copies_need=np.zeros((2, 2)),
    )
    routing._route(employee, need, praise, harsh, direct, 9.0, log_item, *s.values())
    # employee 0 heard items 0-3 directly: 1 praise, 2 harsh, 1 task criticism, 2 per need
    np.testing.assert_allclose(s["log_keep"], [[2 * log_item, 2 * log_item], [0.0, 0.0]])
    np.testing.assert_array_equal(s["recognition"], [2.0, 0.0])
    np.testing.assert_array_equal(s["meaning"], [4.0, 0.0])
    np.testing.assert_array_equal(s["sting"], [2.5, 0.0])
    np.testing.assert_array_equal(s["growth"], [1.0, 0.0])
    np.testing.assert_array_equal(s["copies"], [5.0, 0.0])
    np.testing.assert_array_equal(s["copies_harsh"], [3.0, 0.0])
    np.testing.assert_array_equal(s["copies_need"], [[2.0, 2.0], [0.0, 0.0]])
    # criticism the supervisor hears of: items 1, 2, 3, 7 (employee 0) and 5 (employee 1)
    np.testing.assert_array_equal(s["heard"], [5.0, 1.0])
    # queued: item 7 for employee 0; items 4, 5, 6 for employee 1
    np.testing.assert_array_equal(s["q_praise"], [2, 3])
    np.testing.assert_array_equal(s["q_criticism"], [1, 4])
    np.testing.assert_array_equal(s["q_harsh"], [0, 2])
    np.testing.assert_array_equal(s["q_need"], [[0.0, 1.0], [3.0, 2.0]])
    np.testing.assert_array_equal(s["q_arrival"], [5.0 + 9.0, 7.0 + 3 * 9.0])
