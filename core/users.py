"""People: named users with roles, each with their own Ed25519 key.

A user's private key lives at ``keys/users/<key name>.key``, encrypted with
their passphrase; the passphrase is never stored, only an argon2 hash of it
for dashboard sign-in. Each key is introduced to the ledger (signed by the
node key), so everything the person signs can be verified from the ledger
alone. Key names are never reused: a reset makes ``<name>-k2``, ``-k3``, ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from stillroom import signing
from stillroom.errors import StillroomError, UsageError
from stillroom.store.models import User

ROLES = ("security", "legal", "operator", "admin")
_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,62}$")
MIN_PASSPHRASE = 8
LOCK_AFTER = 5


class AuthError(StillroomError):
    """A wrong passphrase, an unknown user, or a user without the needed role."""


@dataclass
class Person:
    """An unlocked user: who they are and the key they sign with."""

    name: str
    roles: list[str]
    key_name: str
    key: signing.Ed25519PrivateKey


def add_user(ws, name: str, roles: list[str], passphrase: str, *, actor: str) -> User:
    _check_name(name)
    _check_passphrase(passphrase)
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise UsageError(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")
    with ws.session() as s:
        if s.get(User, name) is not None:
            raise UsageError(f"user {name!r} already exists")
    key_name = f"{name}-k1"
    user = _new_key(ws, name, key_name, passphrase, actor=actor)
    user.roles = sorted(set(roles))
    with ws.session() as s:
        s.add(user)
        s.commit()
    ws.ledger().record("user.added", {"user": name, "roles": user.roles, "key": key_name,
                                      "verifier_key": user.verifier_key}, actor=actor)
    return user


def unlock(ws, name: str, passphrase: str) -> Person:
    """Check the passphrase and decrypt the user's key; repeated failures lock the user for a while.

    The attempt is charged before the passphrase is checked, in one writer transaction, so parallel
    guesses are all counted; a correct passphrase then clears the count.
    """
    from stillroom.store.db import write_session

    now = datetime.now(timezone.utc)
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        if user is None:
            raise AuthError(f"no user named {name!r}; `stillroom users list` shows the users")
        if user.locked_until is not None and _aware(user.locked_until) > now:
            raise AuthError(f"user {name!r} is locked after repeated failed sign-ins until "
                            f"{_aware(user.locked_until):%H:%M:%S} UTC")
        user.failed_logins += 1
        failures, password_hash, key_name = user.failed_logins, user.password_hash, user.key_name
        if failures >= LOCK_AFTER:
            user.locked_until = now + timedelta(seconds=30 * 2 ** (failures - LOCK_AFTER))
        s.add(user)
        roles = list(user.roles)
    if not _verify_password(password_hash, passphrase):
        ws.ledger().record("auth.failed", {"user": name, "failures": failures}, actor=name)
        raise AuthError(f"wrong passphrase for {name!r}")
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
    key = signing.load_private_key(key_path(ws, key_name), passphrase)
    return Person(name, roles, key_name, key)


def change_passphrase(ws, name: str, old: str, new: str) -> None:
    """Re-encrypt the user's key under a new passphrase (the key itself stays)."""
    person = unlock(ws, name, old)
    _check_passphrase(new)
    path = key_path(ws, person.key_name)
    replacement = path.with_suffix(".new")
    signing.save_private_key(replacement, person.key, passphrase=new)
    replacement.replace(path)
    with ws.session() as s:
        user = s.get(User, name)
        user.password_hash = _hash_password(new)
        s.add(user)
        s.commit()
    ws.ledger().record("user.passphrase_changed", {"user": name}, actor=name)


def reset_user(ws, name: str, passphrase: str, *, actor: str) -> User:
    """An admin reset: a new key and passphrase. Decisions signed with the old key keep verifying."""
    _check_passphrase(passphrase)
    with ws.session() as s:
        user = s.get(User, name)
        if user is None:
            raise UsageError(f"no user named {name!r}")
        version = int(user.key_name.rsplit("-k", 1)[1]) + 1
    fresh = _new_key(ws, name, f"{name}-k{version}", passphrase, actor=actor)
    with ws.session() as s:
        user = s.get(User, name)
        user.key_name, user.verifier_key, user.password_hash = fresh.key_name, fresh.verifier_key, fresh.password_hash
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
        s.commit()
    ws.ledger().record("user.reset", {"user": name, "key": fresh.key_name, "verifier_key": fresh.verifier_key},
                       actor=actor)
    return user


def list_users(ws) -> list[User]:
    with ws.session() as s:
        return list(s.exec(select(User).order_by(User.name)))


def get_user(ws, name: str) -> User | None:
    with ws.session() as s:
        return s.get(User, name)


def key_path(ws, key_name: str):
    return ws.root / "keys" / "users" / f"{key_name}.key"


def _new_key(ws, name: str, key_name: str, passphrase: str, *, actor: str) -> User:
    key = signing.generate_key()
    signing.save_private_key(key_path(ws, key_name), key, passphrase=passphrase)
    ws.ledger().add_key(key_name, key.public_key(), role="person", actor=actor)
    return User(name=name, roles=[], key_name=key_name, verifier_key=signing.verifier_key(key_name, key.public_key()),
                password_hash=_hash_password(passphrase))


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
