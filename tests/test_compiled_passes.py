"""Behavioural tests for mutants of the compiled per-agent passes (sim/jit.py).

mutmut mutates the passes since they are compiled by a call rather than a decorator,
and runs them as Python (NUMBA_DISABLE_JIT=1, tools/mutation.py). Each test checks what a
pass is for on hand-built input, small enough to read, and names in its docstring the
surviving mutant (the planted bug) it catches. They call the passes as the model does, so
they run compiled in the suite and as Python under mutmut.
"""

from __future__ import annotations

import numpy as np

from sim import encounter


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
