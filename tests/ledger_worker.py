"""A separate process that appends to a ledger, for the crash and concurrency tests.

    python ledger_worker.py append URL KEYFILE ACTOR COUNT     one commit per entry
    python ledger_worker.py MODE URL KEYFILE BATCH             one batch, then wait to be killed
    python ledger_worker.py rotate-and-die WORKSPACE STEP ADMIN PASSPHRASE   an admin's node-key rotation dying at STEP

MODE says when the parent's SIGKILL lands: ``kill-while-signing`` (the batch
is being built under the writer lock), ``kill-mid-insert`` (the entry rows
are written, the subtree hashes and the commit are not), ``kill-after-commit``.
A rotation dies with ``os._exit`` (no cleanup runs, as after a SIGKILL) just
before STEP, one of ``ROTATION_STEPS``.
"""

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from stillroom import signing
from stillroom.ledger import rotation
from stillroom.ledger.log import Draft, Ledger
from stillroom.store import db

ORIGIN = "stillroom.test/ledger"
# Where a rotation can die, in the order it runs them: the ledger entry, then each step on disk.
ROTATION_STEPS = {
    "ledger-entry": (Ledger, "rotate_key"),
    "keep-old-key": (rotation, "_keep_old_key"),
    "install-new-key": (rotation, "_install_new_key"),
    "name-new-key": (rotation, "_name_new_key"),
    "checkpoint": (Ledger, "checkpoint"),
    "drop-intent": (rotation, "_drop_intent"),
}


def main(mode: str, url: str, key_file: str = "", *args: str) -> None:
    if mode == "rotate-and-die":
        return rotate_and_die(Path(url), key_file, *args)
    engine = db.make_engine(url)
    ledger = Ledger(engine, "node", signing.load_private_key(key_file), ORIGIN)
    if mode == "append":
        actor, count = args
        for i in range(int(count)):
            ledger.record("worker.step", {"i": i}, actor=actor)
        return
    if mode == "kill-mid-insert":
        db.write_cursor = _stalling(db.write_cursor)
    print("started", flush=True)
    ledger.record_many([Draft("batch.item", {"i": i}, "crasher") for i in range(int(args[0]))])
    print("committed", flush=True)
    time.sleep(600)


def _stalling(write_cursor):
    """``write_cursor`` whose cursor stops for good once the entry rows are inserted (appends use bare DB-API cursors)."""
    @contextmanager
    def stalled(engine):
        with write_cursor(engine) as cursor:
            yield _StallAfterEntries(cursor)
    return stalled


class _StallAfterEntries:
    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def executemany(self, statement, rows):
        self.cursor.executemany(statement, rows)
        if statement.startswith("INSERT INTO ledger_entries"):
            print("inserted", flush=True)
            time.sleep(600)

    def __getattr__(self, name):
        return getattr(self.cursor, name)


def rotate_and_die(root: Path, step: str, admin: str, passphrase: str) -> None:
    from stillroom.users import unlock
    from stillroom.workspace import Workspace

    owner, name = ROTATION_STEPS[step]
    ws = Workspace.open(root)
    person = unlock(ws, admin, passphrase)
    setattr(owner, name, lambda *args, **kwargs: os._exit(9))
    rotation.rotate_node_key(ws, admin=person)
    raise SystemExit(f"the rotation finished without reaching {step}")


if __name__ == "__main__":
    main(*sys.argv[1:])
