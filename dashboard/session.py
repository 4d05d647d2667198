"""Who is signed in to the dashboard, until when, and how a failed sign-in is slowed.

A session holds four things: the user's name, their roles, an idle
expiry and the client they came from (for the sign-in throttle). Never the
passphrase, never the decrypted key: a signature needs the
passphrase typed again (``actions``), so a stolen browser session can read
evidence but cannot sign anything. Roles are re-read from the store on every
page, so a role an admin takes away stops counting at once.

``state`` is any mutable mapping; the app passes ``st.session_state``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

from stillroom import sign_in_throttle, users
from stillroom.users import AuthError

IDLE_SECONDS = 30 * 60
USER, ROLES, EXPIRES, CLIENT = "auth.user", "auth.roles", "auth.expires", "auth.client"
WRONG = "wrong user name or passphrase"
# Where Streamlit cannot say who is asking, every such visitor shares one client.
DASHBOARD_CLIENT = "dashboard"


@dataclass(frozen=True)
class SignedIn:
    name: str
    roles: list[str]
    expires: float
    client: str = DASHBOARD_CLIENT

    def has(self, role: str) -> bool:
        return role in self.roles


def sign_in(ws, name: str, passphrase: str, state: MutableMapping, *, client: str = DASHBOARD_CLIENT,
            now: float | None = None, sleep: Callable[[float], None] = time.sleep) -> SignedIn:
    """Check the passphrase with the core (which counts, ledgers and locks per name and client), after a
    delay that grows with this (name, client)'s recent failures; raise ``AuthError`` with a message fit
    to show.

    ``client`` is the remote address Streamlit reports, so one person's wrong guesses slow and lock only
    their own tries at that name. A name nobody has takes the same path: ``users.unlock`` counts, slows
    and locks it like a real one and spends the same argon2 check on it, and a wrong passphrase and an
    unknown name read the same, so nothing here tells who has an account.
    """
    sign_out(state)
    name = name.strip()
    sleep(backoff_seconds(sign_in_throttle.failures(ws, name, client)))
    try:
        person = users.unlock(ws, name, passphrase, client=client)
    except users.SignInLocked:
        raise  # the person needs to know to wait or ask an admin; the sentence reads the same for every name
    except AuthError:
        raise AuthError(WRONG) from None
    return _start(state, person.name, person.roles, now, client)


def confirm(ws, who: SignedIn, passphrase: str, *, sleep: Callable[[float], None] = time.sleep) -> users.Person:
    """Unlock the signed-in person's key for one action; the same slowing and counting as a sign-in,
    from the client they signed in from."""
    if users.get_user(ws, who.name) is None:
        raise AuthError(f"user {who.name!r} no longer exists")
    sleep(backoff_seconds(sign_in_throttle.failures(ws, who.name, who.client)))
    return users.unlock(ws, who.name, passphrase, client=who.client)


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
    return _start(state, user.name, list(user.roles), moment, state.get(CLIENT) or DASHBOARD_CLIENT)


def sign_out(state: MutableMapping) -> None:
    for key in (USER, ROLES, EXPIRES, CLIENT):
        state.pop(key, None)


def backoff_seconds(failures: int) -> float:
    """0 s after no failure, then 0.5, 1, 2, 4, capped at 8: guessing gets slow long before the core locks."""
    return sign_in_throttle.delay_seconds(failures)


def client_of(address: str | None) -> str:
    """The throttle's client for a dashboard visitor: their remote address, when Streamlit knows it."""
    return f"dashboard@{address}" if isinstance(address, str) and address else DASHBOARD_CLIENT


def _start(state: MutableMapping, name: str, roles: list[str], now: float | None, client: str) -> SignedIn:
    expires = (time.time() if now is None else now) + IDLE_SECONDS
    state[USER], state[ROLES], state[EXPIRES], state[CLIENT] = name, list(roles), expires, client
    return SignedIn(name, list(roles), expires, client)
