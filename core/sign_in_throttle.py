"""Failed sign-ins, counted per (name, client): slowed, then locked, with a lock that doubles.

A count per name alone lets anyone lock a reviewer out by typing five wrong
passphrases; a count per client alone lets a guesser move from name to name.
So each (name, client) pair has its own count: the dashboard's client is the
remote address Streamlit reports, the CLI's is ``cli@<host>``. A guesser locks
only their own pair, and the reviewer signs in from anywhere else.

The name does not matter here: a name nobody has is counted, slowed and locked
exactly like a real one, so neither the delays nor the lock tell who has an
account. Only hashes of names and clients are kept (a name field sometimes
receives a passphrase). An admin lifts every lock on a name with
``stillroom users unlock NAME`` (``lift``), without resetting any key.

The counts live in ``<workspace>/keys/sign-in-throttle.json``, read and written
under an exclusive file lock, so parallel guesses from several processes are all
counted. Each host keeps its own: with several hosts sharing one store, a lock
holds on the host it was earned on.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_AFTER = 5
FIRST_LOCK_SECONDS = 30
MAX_DELAY_SECONDS = 8.0
FORGET_AFTER_SECONDS = 24 * 3600  # an unlocked count with no failure for a day starts again from nothing
MAX_RECORDS = 10_000  # beyond this, the oldest unlocked counts are forgotten first
FILE = "sign-in-throttle.json"


@dataclass(frozen=True)
class Charge:
    """One sign-in attempt, counted before the passphrase is checked.

    ``refusal`` is the sentence to show when the pair is locked (the attempt was then not counted);
    ``failures`` is the pair's count including this attempt.
    """

    failures: int
    refusal: str | None = None


def cli_client() -> str:
    """The client id of every CLI sign-in on this host."""
    return f"cli@{socket.gethostname()}"


def charge(ws, name: str, client: str | None = None, *, now: float | None = None) -> Charge:
    """Count an attempt for (name, client) unless the pair is locked; lock it on the ``LOCK_AFTER``-th.

    Call before checking the passphrase, and ``clear`` after a correct one, so that guesses made in
    parallel are each counted.
    """
    moment = time.time() if now is None else now
    with _records(ws) as records:
        key = _key(name, client or cli_client())
        record = records.get(key) or {"name": _digest(name), "failures": 0, "locked_until": 0.0, "last": moment}
        if record["locked_until"] > moment:
            return Charge(record["failures"], locked_message(name, record["locked_until"]))
        record["failures"] += 1
        record["last"] = moment
        if record["failures"] >= LOCK_AFTER:
            record["locked_until"] = moment + lock_seconds(record["failures"])
        records[key] = record
        return Charge(record["failures"])


def clear(ws, name: str, client: str | None = None) -> None:
    """A correct passphrase: the pair starts again from nothing."""
    with _records(ws) as records:
        records.pop(_key(name, client or cli_client()), None)


def failures(ws, name: str, client: str | None = None) -> int:
    """The pair's failures so far, for the delay before its next attempt."""
    with _records(ws) as records:
        return (records.get(_key(name, client or cli_client())) or {"failures": 0})["failures"]


def lift(ws, name: str) -> int:
    """Forget every count and lock on ``name``, from every client; returns how many pairs there were."""
    with _records(ws) as records:
        lifted = [key for key, record in records.items() if record["name"] == _digest(name)]
        for key in lifted:
            del records[key]
        return len(lifted)


def delay_seconds(failures: int) -> float:
    """0 s after no failure, then 0.5, 1, 2, 4, capped at 8: guessing gets slow long before the lock."""
    return 0.0 if failures <= 0 else min(0.5 * 2 ** (failures - 1), MAX_DELAY_SECONDS)


def lock_seconds(failures: int) -> float:
    """30 s at the ``LOCK_AFTER``-th failure, doubling with each failure after it."""
    return FIRST_LOCK_SECONDS * 2 ** (failures - LOCK_AFTER)


def locked_message(name: str, until: float) -> str:
    moment = datetime.fromtimestamp(until, UTC)
    return (f"sign-in as {name!r} from this client is locked after repeated failed sign-ins until "
            f"{moment:%H:%M:%S} UTC; an admin can lift it with `stillroom users unlock {name}`")


@contextlib.contextmanager
def _records(ws) -> Iterator[dict[str, dict]]:
    path = Path(ws.root) / "keys" / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            records = _read(path)
            before = json.dumps(records, sort_keys=True)
            yield records
            _forget(records, time.time())
            if json.dumps(records, sort_keys=True) != before:
                _write(path, records)
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def _read(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError:
        # A damaged file would otherwise lock nobody out ever again; fail closed is no better (nobody
        # could sign in), so the counts start over and the damage is kept beside it for inspection.
        os.replace(path, path.with_suffix(".damaged"))
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, records: dict[str, dict]) -> None:
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(records, out, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _forget(records: dict[str, dict], now: float) -> None:
    for key in [k for k, r in records.items() if r["locked_until"] <= now and now - r["last"] > FORGET_AFTER_SECONDS]:
        del records[key]
    if len(records) > MAX_RECORDS:
        unlocked = sorted((r["last"], k) for k, r in records.items() if r["locked_until"] <= now)
        for _, key in unlocked[:len(records) - MAX_RECORDS]:
            del records[key]


def _key(name: str, client: str) -> str:
    return f"{_digest(name)}:{_digest(client)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
