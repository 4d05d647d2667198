"""Who is signed in to the dashboard, until when, and how a failed sign-in is slowed.

A session holds three things: the user's name, their roles and an idle
expiry. Never the passphrase, never the decrypted key: a signature needs the
passphrase typed again (``actions``), so a stolen browser session can read
evidence but cannot sign anything. Roles are re-read from the store on every
page, so a role an admin takes away stops counting at once.

``state`` is any mutable mapping; the app passes ``st.session_state``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timezone

from stillroom import users
from stillroom.users import AuthError

IDLE_SECONDS = 30 * 60
USER, ROLES, EXPIRES = "auth.user", "auth.roles", "auth.expires"
WRONG = "wrong user name or passphrase"
UNKNOWN_NAMES_KEPT = 10_000  # failure counts kept for names nobody has; the oldest is forgotten first


@dataclass(frozen=True)
class SignedIn:
    name: str
    roles: list[str]
    expires: float

    def has(self, role: str) -> bool:
        return role in self.roles


def sign_in(ws, name: str, passphrase: str, state: MutableMapping, *, now: float | None = None,
            sleep: Callable[[float], None] = time.sleep) -> SignedIn:
    """Check the passphrase with the core (which counts, ledgers and locks), after a delay that grows
    with the name's recent failures; raise ``AuthError`` with a message fit to show.

    An unknown name goes through ``users.unlock`` too, the one path the CLI takes, which spends the same
    argon2 check on it (against a decoy) as on a real account, and its failures slow the next try the
    way a real account's do (counted here, in memory, never ledgered), so neither the time nor the
    growing delay tells them apart.
    """
    sign_out(state)
    name = name.strip()
    user = users.get_user(ws, name)
    sleep(backoff_seconds(user.failed_logins if user is not None else _unknown_failures.get(name)))
    locked = user is not None and user.locked_until is not None \
        and _aware(user.locked_until) > datetime.now(timezone.utc)
    try:
        person = users.unlock(ws, name, passphrase)
    except AuthError as refused:
        if user is None:
            _unknown_failures.add(name)
        # The core's message names the lock, which the person needs to know; a wrong passphrase
        # and an unknown name read the same, so the form does not confirm who has an account.
        raise AuthError(str(refused) if locked else WRONG) from None
    return _start(state, person.name, person.roles, now)


def confirm(ws, who: SignedIn, passphrase: str, *, sleep: Callable[[float], None] = time.sleep) -> users.Person:
    """Unlock the signed-in person's key for one action; the same slowing and counting as a sign-in."""
    user = users.get_user(ws, who.name)
    if user is None:
        raise AuthError(f"user {who.name!r} no longer exists")
    sleep(backoff_seconds(user.failed_logins))
    return users.unlock(ws, who.name, passphrase)


def current(ws, state: MutableMapping, *, now: float | None = None) -> SignedIn | None:
    """The signed-in user with roles fresh from the store, sliding the idle expiry; None if there is none,
    it has expired, or the user no longer exists."""
    name, expires = state.get(USER), state.get(EXPIRES)
    moment = time.time() if now is None else now
    if not name or not isinstance(expires, (int, float)) or moment >= expires:
        sign_out(state)
        return None
    user = users.get_user(ws, name)
    if user is None:
        sign_out(state)
        return None
    return _start(state, user.name, list(user.roles), moment)


def sign_out(state: MutableMapping) -> None:
    for key in (USER, ROLES, EXPIRES):
        state.pop(key, None)


def backoff_seconds(failures: int) -> float:
    """0 s after no failure, then 0.5, 1, 2, 4, capped at 8: guessing gets slow long before the core locks."""
    return 0.0 if failures <= 0 else min(0.5 * 2 ** (failures - 1), 8.0)


class _UnknownFailures:
    """Failed sign-ins per name nobody has, by a hash of the name (the names typed are not kept), bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: OrderedDict[bytes, int] = OrderedDict()
        self.lock = threading.Lock()  # Streamlit serves each session on its own thread

    def get(self, name: str) -> int:
        with self.lock:
            return self.counts.get(_digest(name), 0)

    def add(self, name: str) -> None:
        with self.lock:
            key = _digest(name)
            self.counts[key] = self.counts.pop(key, 0) + 1
            while len(self.counts) > self.limit:
                self.counts.popitem(last=False)


def _digest(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


_unknown_failures = _UnknownFailures(UNKNOWN_NAMES_KEPT)


def _start(state: MutableMapping, name: str, roles: list[str], now: float | None) -> SignedIn:
    expires = (time.time() if now is None else now) + IDLE_SECONDS
    state[USER], state[ROLES], state[EXPIRES] = name, list(roles), expires
    return SignedIn(name, list(roles), expires)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
