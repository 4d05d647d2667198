"""People: named users with roles, each with their own Ed25519 key.

A user's private key lives at ``keys/users/<key name>.key``, encrypted with
their passphrase; the passphrase is never stored, only an argon2 hash of it
for dashboard sign-in. Each key is introduced to the ledger (signed by the
node key), so everything the person signs can be verified from the ledger
alone. Key names are never reused: a reset makes ``<name>-k2``, ``-k3``, ...
and retires the earlier keys, so a leaked old key signs nothing that counts.

Who may add people (``enroll``): a workspace's first user needs nobody's
sign-in and must be an admin; every later one is added by an unlocked admin.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from sqlmodel import select

from stillroom import signing
from stillroom.errors import StillroomError, UsageError
from stillroom.store.models import User

ROLES = ("security", "legal", "operator", "admin")
_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,62}$")
MIN_PASSPHRASE = 8
LOCK_AFTER = 5
RESET = "user.reset"
_EVERY_ENTRY = 2**31 - 1  # a ledger read's limit when every entry of a kind is needed


class AuthError(StillroomError):
    """A wrong passphrase, an unknown user, or a user without the needed role."""


@dataclass
class Person:
    """An unlocked user: who they are and the key they sign with."""

    name: str
    roles: list[str]
    key_name: str
    key: signing.Ed25519PrivateKey


class Retirement(NamedTuple):
    """Where a person key stopped counting: the ledger entry that retired it, and that entry's time."""

    seq: int
    time: datetime


def enroll(ws, name: str, roles: list[str], passphrase: str, *, admin: Person | None,
           bootstrap_actor: str = "bootstrap") -> User:
    """Add a person under the workspace's rule; what ``stillroom users add`` and the demo call.

    The first user needs nobody's sign-in (there is nobody yet) and must hold ``admin``, so someone can
    add the next person. Every later user needs ``admin``: an unlocked person who holds the admin role
    now, with their current key. They are the ledger entry's actor and their own key signs it, so the
    ledger shows which admin added whom, and shell access to the workspace alone adds nobody.
    """
    if admin is None:
        if "admin" not in roles:
            raise UsageError(f"the workspace's first user must be an admin (--role admin); {name!r} would "
                             "leave nobody able to add people")
        if has_users(ws):
            raise AuthError("this workspace has users already; adding one needs an admin (--as ADMIN, "
                            "unlocked with their passphrase)")
        return _add(ws, name, roles, passphrase, actor=bootstrap_actor, signed_by=None, first=True)
    _check_admin(ws, admin)
    return _add(ws, name, roles, passphrase, actor=admin.name, signed_by=admin, first=False)


def add_user(ws, name: str, roles: list[str], passphrase: str, *, actor: str) -> User:
    """Add a user, with ``actor`` taken on the caller's word.

    People-facing paths authenticate the admin before calling this (``enroll`` for the CLI and the demo;
    the dashboard's ``actions``); tests and tools that set up a workspace call it directly.
    """
    return _add(ws, name, roles, passphrase, actor=actor, signed_by=None, first=False)


def has_users(ws) -> bool:
    with ws.session() as s:
        return s.exec(select(User.name).limit(1)).first() is not None


def unlock(ws, name: str, passphrase: str) -> Person:
    """Check the passphrase and decrypt the user's key; repeated failures lock the user for a while.

    The attempt is charged before the passphrase is checked, in one writer transaction, so parallel
    guesses are all counted; a correct passphrase then clears the count. An unknown name costs the same
    argon2 check, against a decoy hash, so the time taken does not tell who has an account.
    """
    from stillroom.store.db import write_session

    now = datetime.now(timezone.utc)
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        if user is not None:
            if user.locked_until is not None and _aware(user.locked_until) > now:
                raise AuthError(f"user {name!r} is locked after repeated failed sign-ins until "
                                f"{_aware(user.locked_until):%H:%M:%S} UTC")
            user.failed_logins += 1
            failures, password_hash, key_name = user.failed_logins, user.password_hash, user.key_name
            if failures >= LOCK_AFTER:
                user.locked_until = now + timedelta(seconds=30 * 2 ** (failures - LOCK_AFTER))
            s.add(user)
            roles, verifier = list(user.roles), user.verifier_key
    if user is None:
        _verify_password(_decoy_hash(), passphrase)
        raise AuthError(f"no user named {name!r}; `stillroom users list` shows the users")
    if not _verify_password(password_hash, passphrase):
        ws.ledger().record("auth.failed", {"user": name, "failures": failures}, actor=name)
        raise AuthError(f"wrong passphrase for {name!r}")
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
    return Person(name, roles, key_name, _load_key(ws, key_name, verifier, passphrase))


def change_passphrase(ws, name: str, old: str, new: str) -> None:
    """Re-seal the user's key under a new passphrase (the key itself stays), all or nothing.

    The sealed key (a file) and the passphrase hash (the store) change together through one commit:
    the key is sealed under the new passphrase beside the current file, the new hash is committed,
    then the new file replaces the old. A crash before the commit leaves the old passphrase working
    (the stray file is cleared next time); a crash after it leaves the new one working, because
    ``unlock`` finishes the replacement when the hash is new and the file is not.
    """
    from stillroom.store.db import write_session

    _check_passphrase(new)
    person = unlock(ws, name, old)
    path = key_path(ws, person.key_name)
    pending = _pending(path)
    pending.unlink(missing_ok=True)  # unlock succeeded, so any pending file predates a commit: stale
    signing.save_private_key(pending, person.key, passphrase=new)
    password_hash = _hash_password(new)
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        if user is None or user.key_name != person.key_name:
            pending.unlink(missing_ok=True)
            raise AuthError(f"{name}'s key was reset while the passphrase was being changed; nothing changed")
        user.password_hash = password_hash
        s.add(user)
    _install(pending, path)
    ws.ledger().record("user.passphrase_changed", {"user": name}, actor=name)


def reset_user(ws, name: str, passphrase: str, *, actor: str) -> User:
    """An admin reset: a new key and passphrase, and every earlier key of the user retired.

    The reset's ledger entry names the keys it retires. ``approvals`` counts a decision signed by a
    retired key only when the ledger recorded it before the retirement, so decisions signed before the
    reset keep verifying and an old key (leaked, perhaps the reason for the reset) signs nothing new.
    The retirement is ledgered before the store points at the new key: a crash in between leaves the
    user with a retired key, never with a live one they were meant to lose; a second reset mends it.
    """
    from stillroom.store.db import write_session

    _check_passphrase(passphrase)
    with ws.session() as s:
        user = s.get(User, name)
        if user is None:
            raise UsageError(f"no user named {name!r}")
        previous = user.key_name
    earlier = _keys_of(ws, name)
    version = max(earlier.values(), default=0) + 1
    fresh = _new_key(ws, name, f"{name}-k{version}", passphrase, actor=actor)
    already = retired_keys(ws)
    ws.ledger().record(RESET, {"user": name, "key": fresh.key_name, "verifier_key": fresh.verifier_key,
                               "retired_keys": sorted(k for k in earlier if k not in already)}, actor=actor)
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        if user is None or user.key_name != previous:
            raise UsageError(f"{name!r} was reset or removed by someone else meanwhile; reset again")
        user.key_name, user.verifier_key, user.password_hash = fresh.key_name, fresh.verifier_key, fresh.password_hash
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
    return user


def retired_keys(ws) -> dict[str, Retirement]:
    """Every person key a reset retired, with the ledger entry that retired it (the first, if several)."""
    retired: dict[str, Retirement] = {}
    for entry in ws.ledger().entries(kind=RESET, limit=_EVERY_ENTRY):  # newest first
        for key_name in entry.payload.get("retired_keys", []):
            retired[key_name] = Retirement(entry.seq, _parse_time(entry.time))
    return retired


def list_users(ws) -> list[User]:
    with ws.session() as s:
        return list(s.exec(select(User).order_by(User.name)))


def get_user(ws, name: str) -> User | None:
    with ws.session() as s:
        return s.get(User, name)


def key_path(ws, key_name: str) -> Path:
    return ws.root / "keys" / "users" / f"{key_name}.key"


def _add(ws, name: str, roles: list[str], passphrase: str, *, actor: str, signed_by: Person | None,
         first: bool) -> User:
    from stillroom.store.db import write_session

    _check_name(name)
    _check_passphrase(passphrase)
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise UsageError(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")
    if get_user(ws, name) is not None:
        raise UsageError(f"user {name!r} already exists")
    user = _new_key(ws, name, f"{name}-k1", passphrase, actor=actor)
    user.roles = sorted(set(roles))
    with write_session(ws.engine) as s:
        # Checked again under the writer lock: two first users racing cannot both be the bootstrap admin.
        if first and s.exec(select(User.name).limit(1)).first() is not None:
            raise AuthError("another user was added meanwhile; adding one now needs an admin")
        if s.get(User, name) is not None:
            raise UsageError(f"user {name!r} already exists")
        s.add(user)
    signer = None if signed_by is None else (signed_by.key_name, signed_by.key)
    ws.ledger().record("user.added", {"user": name, "roles": user.roles, "key": user.key_name,
                                      "verifier_key": user.verifier_key}, actor=actor, signed_by=signer)
    return user


def _check_admin(ws, admin: Person) -> None:
    """``admin`` holds the admin role now (roles are read fresh), and signs with their current key."""
    user = get_user(ws, admin.name)
    if user is None or "admin" not in user.roles:
        raise AuthError(f"{admin.name} is not an admin; only admins add users")
    if user.key_name != admin.key_name or user.verifier_key != signing.verifier_key(admin.key_name,
                                                                                   admin.key.public_key()):
        raise AuthError(f"{admin.name}'s key {admin.key_name} is not their current key; unlock again")


def _new_key(ws, name: str, key_name: str, passphrase: str, *, actor: str) -> User:
    key = signing.generate_key()
    signing.save_private_key(key_path(ws, key_name), key, passphrase=passphrase)
    ws.ledger().add_key(key_name, key.public_key(), role="person", actor=actor)
    return User(name=name, roles=[], key_name=key_name, verifier_key=signing.verifier_key(key_name, key.public_key()),
                password_hash=_hash_password(passphrase))


def _keys_of(ws, name: str) -> dict[str, int]:
    """The user's person keys the ledger knows (their version by name), orphans of a crashed reset included."""
    own = re.compile(rf"{re.escape(name)}-k(\d+)")
    return {key: int(m.group(1)) for key in ws.ledger().verifier_keys() if (m := own.fullmatch(key))}


def _load_key(ws, key_name: str, verifier: str, passphrase: str) -> signing.Ed25519PrivateKey:
    """The user's key, which must be the one the store names; finishes a passphrase change that
    committed its hash but stopped before its re-sealed file replaced the old one."""
    path = key_path(ws, key_name)
    try:
        key = signing.load_private_key(path, passphrase)
        recovered = False
    except signing.SigningError:
        if not _pending(path).exists():
            raise
        key, recovered = signing.load_private_key(_pending(path), passphrase), True
    if signing.verifier_key(key_name, key.public_key()) != verifier:
        raise AuthError(f"the key file for {key_name} holds another key than the one the ledger knows")
    if recovered:
        _install(_pending(path), path)
    return key


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".new")


def _install(pending: Path, path: Path) -> None:
    # A replace, not save_private_key's refusal to overwrite: the same key, re-sealed, checked by the caller.
    os.replace(pending, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise UsageError(f"user name {name!r} must start with a lowercase letter and use a-z, 0-9, '.', '_', '-'")


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise UsageError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def _hash_password(passphrase: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(passphrase)


def _verify_password(hashed: str, passphrase: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        return PasswordHasher().verify(hashed, passphrase)
    except VerificationError:
        return False


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash made like every user's (same argon2 parameters) of a passphrase nobody knows."""
    return _hash_password(secrets.token_urlsafe(32))


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
