"""What a signed-in person does from the dashboard. Each action unlocks their key for that action alone.

The rules are the core's: ``approvals.decide`` refuses what the policy
forbids, with the rule's own message, and the pages show that message as it
is. The one rule kept here is that only admins manage people, because the core's
user functions take the acting admin's name on trust from their caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stillroom import approvals, users
from stillroom.dashboard import report
from stillroom.dashboard.session import SignedIn, confirm
from stillroom.users import AuthError

Sleep = Callable[[float], None]


def decide(ws, who: SignedIn, request_id: str, *, passphrase: str, decision: str, comment: str = "",
           role: str | None = None, sleep: Sleep = time.sleep) -> approvals.ApprovalState:
    """Sign ``who``'s decision; raises ``ApprovalRefused`` (the policy's message) or ``AuthError``."""
    person = confirm(ws, who, passphrase, sleep=sleep)
    state = approvals.decide(ws, request_id, person, decision=decision, comment=comment, role=role)
    # A checkpoint now, so the decision's own entry is provable on the request page straight away.
    ws.ledger().checkpoint()
    return state


def export(ws, who: SignedIn, request_id: str, *, passphrase: str, sleep: Sleep = time.sleep) -> bytes:
    """The request's audit record (PDF), its sha256 ledgered under ``who``'s own signature, as the CLI's
    `requests export --as` does; raises ``AuthError`` for a wrong passphrase."""
    person = confirm(ws, who, passphrase, sleep=sleep)
    return report.pdf_bytes(ws, request_id, person=person)


def add_user(ws, who: SignedIn, *, passphrase: str, name: str, roles: list[str], new_passphrase: str,
             sleep: Sleep = time.sleep):
    admin = _admin(ws, who, passphrase, sleep)
    return users.enroll(ws, name, roles, new_passphrase, admin=admin)


def reset_user(ws, who: SignedIn, *, passphrase: str, name: str, new_passphrase: str, sleep: Sleep = time.sleep):
    """A new passphrase and a new key for ``name``; what the old key signed keeps verifying."""
    admin = _admin(ws, who, passphrase, sleep)
    return users.reset(ws, name, new_passphrase, admin=admin)


def _admin(ws, who: SignedIn, passphrase: str, sleep: Sleep) -> users.Person:
    person = confirm(ws, who, passphrase, sleep=sleep)
    if "admin" not in person.roles:
        raise AuthError(f"{person.name} is not an admin; only admins add users, reset passphrases and rotate keys")
    return person
