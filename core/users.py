"""People: named users with roles, each with their own Ed25519 key.

A user's private key lives at ``keys/users/<key name>.key``, encrypted with
their passphrase; the passphrase is never stored, only an argon2 hash of it
for dashboard sign-in. Each key, each user and their roles are introduced by
governance entries in the ledger (``key.added`` and ``user.added`` in one batch)
signed by an admin's own key, so everything the person signs can be verified
from the ledger alone, and who holds which key and role is read from the
verified chain (``Ledger.trust``), never from the ``users`` table: its
``roles``, ``key_name`` and ``verifier_key`` columns are a cache for listings.
Key names are never reused: a reset makes ``<name>-k2``, ``-k3``, ... and
retires the earlier keys in the same batch (``key.retired``), so a leaked old
key signs nothing that counts.

Who may add people (``enroll``): while the chain has no admin (a new
workspace), the first admin needs nobody's sign-in and the node key signs
their entries (the bootstrap); everyone else is added by an unlocked admin,
whose key signs. A node-signed addition after that is refused by the ledger.
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlmodel import select

from stillroom import sign_in_throttle, signing
from stillroom.errors import StillroomError, UsageError
from stillroom.ledger.entry import KEY_ADDED, USER_ADDED, USER_RESET, USER_ROLES, parse_time
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Draft
from stillroom.store.models import User

ROLES = ("security", "legal", "operator", "admin")
_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,62}$")
MIN_PASSPHRASE = 8
# The stored passphrase hash's cost: argon2-cffi's default argon2id cost (RFC 9106's low-memory option), pinned here
# so a library upgrade cannot lower it unseen. A hash carries its own cost, so verifying reads the cost it was made at.
PASSPHRASE_HASH = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
RESET = USER_RESET


class AuthError(StillroomError):
    """A wrong passphrase, an unknown user, or a user without the needed role."""


class SignInLocked(AuthError):
    """Sign-in as this name from this client is locked after repeated failures (``sign_in_throttle``)."""


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

    While nobody holds ``admin``, the first admin needs nobody's sign-in (there is nobody who could give
    it): on a new workspace, and on one whose users predate admins, which could otherwise never add
    anyone again. That bootstrap must create an admin, is refused once any admin exists, and its ledger
    entry says it was one (``"bootstrap": true``). Every other user needs ``admin``: an unlocked person
    who holds the admin role now, with their current key. They are the ledger entry's actor and their
    own key signs it, so the ledger shows which admin added whom, and shell access alone adds nobody.
    """
    if admin is None:
        if "admin" not in roles:
            raise UsageError(f"the workspace has no admin yet, so the user added without one must be its first "
                             f"admin (--role admin); {name!r} would leave nobody able to add people")
        if has_admin(ws):
            raise AuthError("this workspace has an admin already; adding one needs an admin (--as ADMIN, "
                            "unlocked with their passphrase)")
        return _add(ws, name, roles, passphrase, actor=bootstrap_actor, signed_by=None, first=True)
    check_admin(ws, admin)
    return _add(ws, name, roles, passphrase, actor=admin.name, signed_by=admin, first=False)


def has_admin(ws) -> bool:
    """Whether the verified chain has made anyone an admin."""
    return ws.trust().has_admin()


def unlock(ws, name: str, passphrase: str, *, client: str | None = None) -> Person:
    """Check the passphrase and decrypt the user's key; repeated failures lock (name, client) for a while.

    The attempt is charged before the passphrase is checked (``sign_in_throttle``, per name and client:
    ``client`` is the dashboard's remote address, or by default this host's CLI), so parallel guesses
    are all counted; a correct passphrase then clears the count. An unknown name is counted and locked
    the same way and costs the same argon2 check, against a decoy hash, so neither the time taken nor
    the lock tells who has an account.
    """
    return _unlock(ws, name, passphrase, client=client)[0]


def _unlock(ws, name: str, passphrase: str, *, client: str | None = None) -> tuple[Person, str]:
    """``unlock``, also giving the passphrase hash the passphrase was checked against."""
    from stillroom.store.db import write_session

    _decoy_hash()  # made on every call, known name or not, so only the first call of a process pays for it
    charge = sign_in_throttle.charge(ws, name, client)
    if charge.refusal:
        raise SignInLocked(charge.refusal)
    trust = ws.trust()
    grant = trust.users.get(name)
    with write_session(ws.engine) as s:
        user = s.get(User, name) if grant is not None else None  # a row the ledger never added is nobody
        if user is not None:
            user.failed_logins += 1
            password_hash, key_name = user.password_hash, user.key_name
            s.add(user)
            stored_key = user.key_name
    if user is None:
        _verify_password(_decoy_hash(), passphrase)
        raise AuthError(wrong_credentials(name))
    if not _verify_password(password_hash, passphrase):
        ws.ledger().record("auth.failed", {"user": name, "failures": charge.failures,
                                           "client": client or sign_in_throttle.cli_client()}, actor=name)
        raise AuthError(wrong_credentials(name))
    sign_in_throttle.clear(ws, name, client)
    roles, key_name, verifier = list(grant.roles), grant.key, trust.keys[grant.key].verifier_key
    if stored_key != key_name:
        raise AuthError(f"the store names {stored_key} as {name}'s key but the ledger gave them {key_name}; "
                        "an admin resets them")
    with write_session(ws.engine) as s:
        user = s.get_one(User, name)
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
    return Person(name, roles, key_name, _load_key(ws, name, key_name, verifier, passphrase, password_hash)), password_hash


def wrong_credentials(name: str) -> str:
    """The one answer to a failed sign-in, the same for a wrong passphrase and a name nobody has:
    a different sentence for either would tell a guesser who has an account."""
    return f"unknown user or wrong passphrase for {name!r}"


def change_passphrase(ws, name: str, old: str, new: str) -> None:
    """Re-seal the user's key under a new passphrase (the key itself stays), all or nothing.

    The sealed key (a file) and the passphrase hash (the store) change together, inside one writer
    transaction: the key is sealed under the new passphrase beside the current file (a name of its own,
    so two changes never share one), then, under the writer lock, the hash must still be the one the old
    passphrase was checked against (else another change won, and this one changes nothing), the current
    file is kept under a backup name, the new one replaces it and the new hash is committed; the backup
    goes after the commit. A crash before the commit leaves the old passphrase working (``unlock`` puts
    the backup back); a crash after it leaves the new one working.
    """
    from stillroom.store.db import write_session

    _check_passphrase(new)
    person, seen = _unlock(ws, name, old)
    path = key_path(ws, person.key_name)
    verifier = signing.verifier_key(person.key_name, person.key.public_key())
    token = secrets.token_hex(8)
    pending, backup = _sibling(path, token, "new"), _sibling(path, token, "old")
    signing.save_private_key(pending, person.key, passphrase=new)
    password_hash = _hash_password(new)
    try:
        with write_session(ws.engine) as s:
            user = s.get(User, name)
            if user is None or user.key_name != person.key_name:
                raise AuthError(f"{name}'s key was reset while the passphrase was being changed; nothing changed")
            if user.password_hash != seen:
                raise AuthError(f"{name}'s passphrase was changed by someone else meanwhile; nothing changed")
            user.password_hash = password_hash
            s.add(user)
            s.flush()
            # Every other re-sealed copy is stale now: a change still under way saw the old hash and
            # will be refused, and a crashed one is superseded.
            for stale in _siblings(path):
                if stale not in (pending, backup):
                    stale.unlink()
            os.link(path, backup)
            os.replace(pending, path)
            signing.fsync_dir(path.parent)
    except BaseException:
        with suppress(FileNotFoundError):
            if backup.exists() and not _opens(path, old, person.key_name, verifier):
                os.replace(backup, path)  # the commit failed after the swap: the old file back
                signing.fsync_dir(path.parent)
        pending.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
        raise
    backup.unlink()
    signing.fsync_dir(path.parent)
    ws.ledger().record("user.passphrase_changed", {"user": name}, actor=name)


def reset(ws, name: str, passphrase: str, *, admin: Person) -> User:
    """What ``stillroom users reset`` and the dashboard call: ``reset_user`` by an unlocked, current admin."""
    check_admin(ws, admin)
    return reset_user(ws, name, passphrase, actor=admin.name, admin=admin)


def reset_user(ws, name: str, passphrase: str, *, actor: str, admin: Person | None = None) -> User:
    """An admin reset: a new key and passphrase, and every earlier key of the user retired.

    Each earlier key gets a ``key.retired`` entry, in one atomic batch with the reset's own entry: from
    then on the ledger refuses anything it signs and verification fails on it, and ``approvals`` counts
    a decision signed by it only when the ledger recorded that before the retirement. So decisions signed
    before the reset keep verifying and an old key (leaked, perhaps the reason for the reset) signs
    nothing new. The new key (``key.added``), the retirements and the ``user.reset`` entry that gives
    the user the new key are one atomic batch signed by ``admin`` (the node key only while the chain has
    no admin). The ledger is written before the store points at the new key: a crash in between leaves
    the store naming a retired key, which ``unlock`` refuses; a second reset mends it.
    """
    from stillroom.store.db import write_session

    _check_passphrase(passphrase)
    trust = ws.trust()
    if name not in trust.users:
        raise UsageError(f"no user named {name!r}")
    with ws.session() as s:
        user = s.get(User, name)
        if user is None:
            raise UsageError(f"no user named {name!r}")
        previous = user.key_name
    earlier = _keys_of(trust, name)
    version = max(earlier.values(), default=0) + 1
    fresh, key_added = _new_key(ws, name, f"{name}-k{version}", passphrase, actor=actor)
    retiring = sorted(k for k in earlier if trust.keys[k].role != "node" and trust.keys[k].retired is None)
    reset = Draft(RESET, {"user": name, "key": fresh.key_name, "verifier_key": fresh.verifier_key,
                          "retired_keys": retiring}, actor)
    signer = None if admin is None else (admin.key_name, admin.key)
    try:
        ws.ledger().retire_keys(retiring, reason=f"{name} was reset by {actor}", actor=actor,
                                along_with=[key_added, reset], signed_by=signer)
    except BaseException:
        key_path(ws, fresh.key_name).unlink(missing_ok=True)
        raise
    with write_session(ws.engine) as s:
        user = s.get(User, name)
        if user is None or user.key_name != previous:
            raise UsageError(f"{name!r} was reset or removed by someone else meanwhile; reset again")
        user.key_name, user.verifier_key, user.password_hash = fresh.key_name, fresh.verifier_key, fresh.password_hash
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
    sign_in_throttle.lift(ws, name)
    return user


def set_roles(ws, name: str, roles: list[str], *, admin: Person | None, actor: str | None = None) -> list[str]:
    """Grant or take away roles: a ``user.roles`` entry signed by ``admin`` (by the node key only while the chain
    has no admin); from it on, the chain counts exactly these roles for ``name``."""
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise UsageError(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")
    if admin is not None:
        check_admin(ws, admin, only_admins="grant roles")
    if name not in ws.trust().users:
        raise UsageError(f"no user named {name!r}")
    roles = sorted(set(roles))
    signer = None if admin is None else (admin.key_name, admin.key)
    author = actor or (admin.name if admin is not None else None)
    if author is None:
        raise UsageError("roles are set by an admin, or by a named actor while the chain has no admin")
    ws.ledger().govern([Draft(USER_ROLES, {"user": name, "roles": roles}, author)], signed_by=signer)
    from stillroom.store.db import write_session

    with write_session(ws.engine) as s:  # the store's copy, for listings
        user = s.get(User, name)
        if user is not None:
            user.roles = roles
            s.add(user)
    return roles


def retired_keys(ws) -> dict[str, Retirement]:
    """Every retired person key of a user, with the ledger entry that retired it, from the verified chain."""
    return {name: Retirement(k.retired, parse_time(k.retired_time))
            for name, k in ws.trust().person_keys().items() if k.retired is not None}


def list_users(ws) -> list[User]:
    """The users the verified chain added, their roles and current key as the chain says (the store's
    copy of those is a cache; a row the ledger never added is not listed)."""
    trust = ws.trust()
    with ws.session() as s:
        rows = list(s.exec(select(User).order_by(User.name)))
    return [u for u in (_as_ledgered(u, trust) for u in rows) if u is not None]


def get_user(ws, name: str) -> User | None:
    with ws.session() as s:
        user = s.get(User, name)
    return None if user is None else _as_ledgered(user, ws.trust())


def _as_ledgered(user: User, trust) -> User | None:
    grant = trust.users.get(user.name)
    if grant is None:
        return None
    user.roles, user.key_name, user.verifier_key = list(grant.roles), grant.key, trust.keys[grant.key].verifier_key
    return user


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
    trust = ws.trust()
    if name in trust.users or get_user(ws, name) is not None:
        raise UsageError(f"user {name!r} already exists")
    with ws.session() as s:
        if s.get(User, name) is not None:  # a row the ledger never added: not a user, but the name is taken
            raise UsageError(f"user {name!r} already exists in the store but not in the ledger; remove the row")
    taken = max(_keys_of(trust, name).values(), default=0)  # names are never reused, not even a refused add's
    user, key_added = _new_key(ws, name, f"{name}-k{taken + 1}", passphrase, actor=actor)
    user.roles = sorted(set(roles))
    payload: dict[str, Any] = {"user": name, "roles": user.roles, "key": user.key_name,
                               "verifier_key": user.verifier_key}
    if first:
        payload["bootstrap"] = True  # the first admin, added with nobody's sign-in
    signer = None if signed_by is None else (signed_by.key_name, signed_by.key)
    try:
        ws.ledger().govern([key_added, Draft(USER_ADDED, payload, actor)], signed_by=signer)
    except LedgerError:
        key_path(ws, user.key_name).unlink(missing_ok=True)
        if first and ws.trust().has_admin():  # two first admins raced: the ledger took one
            raise AuthError("an admin was added meanwhile; adding one now needs an admin") from None
        raise
    with write_session(ws.engine) as s:
        s.add(user)
    return user


def check_admin(ws, admin: Person, *, only_admins: str = "add and reset users") -> None:
    """``admin`` holds the admin role in the verified chain now, and signs with their current key."""
    trust = ws.trust()
    grant = trust.users.get(admin.name)
    if grant is None or "admin" not in grant.roles:
        raise AuthError(f"{admin.name} is not an admin; only admins {only_admins}")
    if grant.key != admin.key_name or trust.keys[grant.key].verifier_key != signing.verifier_key(
            admin.key_name, admin.key.public_key()):
        raise AuthError(f"{admin.name}'s key {admin.key_name} is not their current key; unlock again")


def _new_key(ws, name: str, key_name: str, passphrase: str, *, actor: str) -> tuple[User, Draft]:
    """A new key sealed under ``passphrase`` in its file, and the ``key.added`` entry that introduces it."""
    key = signing.generate_key()
    signing.save_private_key(key_path(ws, key_name), key, passphrase=passphrase)
    verifier = signing.verifier_key(key_name, key.public_key())
    user = User(name=name, roles=[], key_name=key_name, verifier_key=verifier, password_hash=_hash_password(passphrase))
    return user, Draft(KEY_ADDED, {"verifier_key": verifier, "role": "person"}, actor)


def _keys_of(trust, name: str) -> dict[str, int]:
    """The keys the chain knows by the user's key names (their version by name), orphans included."""
    own = re.compile(rf"{re.escape(name)}-k(\d+)")
    return {key: int(m.group(1)) for key in trust.keys if (m := own.fullmatch(key))}


def _load_key(ws, name: str, key_name: str, verifier: str, passphrase: str, password_hash: str
              ) -> signing.Ed25519PrivateKey:
    """The user's key, which must be the one the store names; puts back the file a passphrase change
    swapped in before its commit failed (the passphrase, checked against the committed hash, opens a
    kept copy and not the file)."""
    from stillroom.store.db import write_session

    path = key_path(ws, key_name)
    try:
        key = signing.load_private_key(path, passphrase)
    except signing.SigningError:
        # Under the writer lock, so no passphrase change is between its swap and its commit.
        with write_session(ws.engine) as s:
            user = s.get(User, name)
            if user is None or user.password_hash != password_hash or user.key_name != key_name:
                raise AuthError(f"{name}'s passphrase or key changed meanwhile; sign in again") from None
            try:
                key = signing.load_private_key(path, passphrase)
            except signing.SigningError:
                copy = next((p for p in _siblings(path) if _opens(p, passphrase, key_name, verifier)), None)
                if copy is None:
                    raise
                key = signing.load_private_key(copy, passphrase)
                os.replace(copy, path)
                signing.fsync_dir(path.parent)
    if signing.verifier_key(key_name, key.public_key()) != verifier:
        raise AuthError(f"the key file for {key_name} holds another key than the one the ledger knows")
    return key


def _sibling(path: Path, token: str, suffix: str) -> Path:
    """A re-sealed copy of a key file (``new``) or the file it replaces (``old``), named for one change."""
    return path.with_name(f"{path.name}.{token}.{suffix}")


def _siblings(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.glob(f"{path.name}.*") if p.suffix in (".new", ".old"))


def _opens(path: Path, passphrase: str, key_name: str, verifier: str) -> bool:
    """Whether ``passphrase`` opens ``path`` and it holds the key ``verifier`` names."""
    try:
        key = signing.load_private_key(path, passphrase)
    except (signing.SigningError, OSError):
        return False
    return signing.verifier_key(key_name, key.public_key()) == verifier


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise UsageError(f"user name {name!r} must start with a lowercase letter and use a-z, 0-9, '.', '_', '-'")


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise UsageError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def _hash_password(passphrase: str) -> str:
    from argon2 import PasswordHasher

    cost = PASSPHRASE_HASH
    hasher = PasswordHasher(time_cost=cost["time_cost"], memory_cost=cost["memory_cost"], parallelism=cost["parallelism"])
    return hasher.hash(passphrase)


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
