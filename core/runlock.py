"""Which runs are still alive: a lock each run holds while its process lives, and the reconciler.

A run writes ``running`` to the store when it starts and its outcome when it
ends; a process killed in between (SIGKILL, OOM, power loss) leaves ``running``
forever. So a run also holds an exclusive ``flock`` on ``runs/<id>/.running``
for as long as its process lives: the kernel drops the lock when the process
dies, however it dies, and a PID that is reused by another program cannot
fake it. Whoever next opens the workspace finds the unheld lock files, marks
those runs ``interrupted`` and ledgers it.

Runs started from another workspace directory on a shared store have no lock
file here and are left as they are: only the directory that ran them can tell.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK = ".running"


class RunLock:
    """Held from before a run's row exists until after its outcome is written."""

    def __init__(self, scratch: Path) -> None:
        scratch.mkdir(parents=True, exist_ok=True)
        self.path = scratch / LOCK
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)  # while still held, so no reconciler takes an ended run for a dead one
        os.close(self._fd)
        self._fd = None


def reconcile_runs(workspace) -> list[str]:
    """Mark every run whose process is gone ``interrupted``, with a ``run.interrupted`` entry; return their ids."""
    runs = Path(workspace.root) / "runs"
    if not runs.is_dir():
        return []
    found = []
    for path in sorted(runs.glob(f"*/{LOCK}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # the run ended while we looked
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            if _mark_interrupted(workspace, path.parent.name):
                found.append(path.parent.name)
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return found


def _mark_interrupted(workspace, run_id: str) -> bool:
    from stillroom.store import crud

    message = ("interrupted: the process running it stopped without recording an outcome (killed or crashed); "
               "found when the workspace was next opened")
    with workspace.session() as s:
        run = crud.get_run(s, run_id)
        if run is None or run.status != "running":
            return False
        crud.finish_run(s, run_id=run_id, status="interrupted", message=message)
    workspace.ledger().record("run.interrupted", {"run_id": run_id, "status": "interrupted", "message": message},
                              actor="stillroom", run_id=run_id)
    return True
