"""No worker outlives the command that started it: Ctrl-C, SIGTERM, SIGHUP or a timeout stops them all.

Python's default SIGTERM ends a process on the spot, with no ``finally`` and no
``atexit``: the workers of a process pool (the scrubber's, the ledger
verifier's), forked and idle on their queue, are then orphaned to init and live
on, holding memory and a loaded model each. So the CLI turns SIGTERM and SIGHUP
(a closed terminal) into ``SystemExit`` in the main thread, as Ctrl-C already is
a ``KeyboardInterrupt``: every ``finally`` and context manager on the way out
runs, and components close their pools. Last, whatever multiprocessing child is
still alive is terminated, then killed after a grace period, before the
interpreter's own shutdown would wait on a pool's pending work.

The normal exit path gets ``DEADLINE_SECONDS``. A signal can land while the
main thread holds a lock of ``concurrent.futures`` (mid ``submit``), and a pool's
shutdown or the interpreter's exit then waits on it forever: a stopped command
that never exits is worse than one that skips its last ``finally``. Once the
deadline passes, children are stopped and the process exits with the same
status; outputs are written all or nothing (``atomic_file``) and ledger writes
are transactions, so nothing half-written is left either way.

SIGKILL cannot be caught: after a ``kill -9`` of the CLI its pool workers stay
until their queue breaks. A server the CLI runs (``stillroom dashboard``) is
stopped by ``cli._serve``, which the kernel also signals on the CLI's death.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time

STOPPING = (signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 3.0
DEADLINE_SECONDS = 30.0


def exit_on_signals() -> None:
    """From now on, SIGTERM and SIGHUP end the command through its normal exit path (exit status 128 + signal),
    and Ctrl-C as a ``KeyboardInterrupt`` (130); either way the process is gone ``DEADLINE_SECONDS`` later."""
    for signum in STOPPING:
        signal.signal(signum, _exit)
    signal.signal(signal.SIGINT, _interrupt)


def stop_children(grace: float = GRACE_SECONDS) -> list[int]:
    """Terminate every multiprocessing child still alive, kill those alive ``grace`` seconds later; their PIDs."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join()
    return [child.pid for child in children if child.pid is not None]  # a started child has one


def _exit(signum: int, _frame) -> None:
    _arm_deadline(128 + signum)
    raise SystemExit(128 + signum)


def _interrupt(_signum: int, _frame) -> None:
    _arm_deadline(130)
    raise KeyboardInterrupt


_DEADLINE: list[threading.Timer] = []  # the first stop signal's timer; its argument is the status it asked for


def stopped_with() -> int | None:
    """The exit status a stop signal asked for (130 for Ctrl-C, 128 + signal otherwise), or None if none came.

    A signal can land inside a library's own code (a pool's queue, a future's wait) and surface as another
    exception; the command still ends as stopped, with this status, not as an unexpected error."""
    return int(next(iter(_DEADLINE[0].args))) if _DEADLINE else None


def _arm_deadline(status: int) -> None:
    if not _DEADLINE:
        timer = threading.Timer(DEADLINE_SECONDS, _force_exit, (status,))
        timer.daemon = True
        timer.start()
        _DEADLINE.append(timer)


def _force_exit(status: int) -> None:
    stop_children()
    sys.stderr.write(f"stopped: the exit path did not finish within {DEADLINE_SECONDS:g} s\n")
    sys.stderr.flush()
    os._exit(status)
