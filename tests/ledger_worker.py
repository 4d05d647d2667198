"""A separate process that appends to a ledger, for the crash and concurrency tests.

    python ledger_worker.py append URL KEYFILE ACTOR COUNT     one commit per entry
    python ledger_worker.py MODE URL KEYFILE BATCH             one batch, then wait to be killed

MODE says when the parent's SIGKILL lands: ``kill-while-signing`` (the batch
is being built under the writer lock), ``kill-mid-insert`` (the entry rows
are written, the subtree hashes and the commit are not), ``kill-after-commit``.
"""

import sys
import time

from sqlalchemy import event

from stillroom import signing
from stillroom.ledger.log import Draft, Ledger
from stillroom.store import db

ORIGIN = "stillroom.test/ledger"


def main(mode: str, url: str, key_file: str, *args: str) -> None:
    engine = db.make_engine(url)
    ledger = Ledger(engine, "node", signing.load_private_key(key_file), ORIGIN)
    if mode == "append":
        actor, count = args
        for i in range(int(count)):
            ledger.record("worker.step", {"i": i}, actor=actor)
        return
    if mode == "kill-mid-insert":
        @event.listens_for(engine, "after_cursor_execute")
        def _stall(conn, cursor, statement, *rest):
            if statement.startswith("INSERT INTO ledger_entries"):
                print("inserted", flush=True)
                time.sleep(600)
    print("started", flush=True)
    ledger.record_many([Draft("batch.item", {"i": i}, "crasher") for i in range(int(args[0]))])
    print("committed", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:])
