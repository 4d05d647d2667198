"""``python -m stillroom.run.torchrun``, then a check that no gloo thread outlived the process group.

A gloo thread still running when the interpreter shuts down can abort the process (``worker.init_group``
says how); this fails the rank every time one is left, not once in 30 runs.
"""

from __future__ import annotations

import os
import sys

from stillroom.run.torchrun import main


def gloo_threads() -> list[str]:
    """This process's threads that gloo started (``gloo_tcp_loop``, ``pt_gloo_runloop``), by name."""
    names = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as comm:
            names.append(comm.read().strip())
    return sorted(name for name in names if "gloo" in name)


if __name__ == "__main__":
    code = main()
    left = gloo_threads()
    if left:
        print(f"gloo threads outlived destroy_process_group: {', '.join(left)}", file=sys.stderr)
    sys.exit(code or (3 if left else 0))
