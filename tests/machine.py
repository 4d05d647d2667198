"""Timeouts for tests that run real work (the demo, the own-data example), scaled by how busy the machine is.

A timeout is there to catch a hang, not to time a run: on the shared two-core
test machines a correct demo run takes one minute when they are idle and ten
when five engineers' tests share them. So each timeout is the idle figure
times the load per core at the start (the one-minute load average over the CPU
count, at least 1), capped at ``CAP`` times so a real hang still ends.
"""

from __future__ import annotations

import os

CAP = 8.0


def scaled_timeout(idle_seconds: float) -> float:
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return idle_seconds * min(CAP, max(1.0, busy))
