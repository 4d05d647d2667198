"""The gloo threads a process still runs, for the torchrun tests' checks of how a rank ends."""

from __future__ import annotations

import os


def gloo_threads() -> list[str]:
    """This process's threads that gloo started (``gloo_tcp_loop``, ``pt_gloo_runloop``), by name."""
    names = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as comm:
            names.append(comm.read().strip())
    return sorted(name for name in names if "gloo" in name)
