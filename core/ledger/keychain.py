"""Who may sign what, and who holds which role: the trust the ledger itself records.

Entry 0 (``ledger.genesis``) introduces the first node key and is signed by
it; that key is the anchor, and an auditor pins it out of band. From then on a
key is trusted only from the entry after the one that introduced it.
``key.rotated`` (signed by the node key it retires) introduces the next node
key; once the chain has an admin it counts only if an admin's
``key.rotation_authorised`` entry earlier in the log names both keys and no
rotation used it yet, so the node key alone cannot hand itself on. Everything
else that decides trust is governance (``GOVERNANCE_KINDS``): introducing a
person key (``key.added``), retiring one (``key.retired``), adding a user with
their roles (``user.added``), a user's new key (``user.reset``), the policy in
force (``policy.adopted``) and a rotation's authorisation
(``key.rotation_authorised``). Each must be signed by the current person key
of a user this chain made an admin; the node key signs one only while the
chain has no admin yet (the bootstrap). So nobody who holds only the node key,
or only write access to the store, can make a reviewer, grant a role, change
the policy or rotate the node key.

A person key counts for a user only if a ``user.added`` or ``user.reset``
entry gave it to them; a node key never belongs to anyone. Key names are never
reused, so an entry's ``signer`` name alone picks its key. Pure: fed entries in
seq order, no I/O. The store's ``ledger_keys`` table and ``users.roles``
column are caches of this, never read to decide anything.
"""

import re
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom import signing
from stillroom.ledger.entry import (
    GENESIS,
    GOVERNANCE_KINDS,
    KEY_ADDED,
    KEY_KINDS,
    KEY_RETIRED,
    KEY_ROTATED,
    KEY_ROTATION_AUTHORISED,
    POLICY_ADOPTED,
    USER_ADDED,
    USER_RESET,
    USER_ROLES,
    Entry,
)
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.note import Verifiers

NODE = "node"
ROLES = (NODE, "person")
USER_ROLES_ALLOWED = ("security", "legal", "operator", "admin")
ADMIN = "admin"


@dataclass
class TrustedKey:
    name: str
    verifier_key: str
    public_key: Ed25519PublicKey
    raw: bytes  # the 32 public key bytes, to compare with a key a verification worker used
    role: str
    introduced: int
    retired: int | None = None
    retired_time: str | None = None  # the retiring entry's time
    owner: str | None = None  # the user a user.added / user.reset entry gave this person key to
    given: int | None = None  # that entry


@dataclass
class UserGrant:
    """A user as the chain knows them: roles, current key, and the entries that granted them."""

    name: str
    roles: list[str]
    key: str  # the current person key's name
    granted: int  # the user.added entry
    key_entry: int  # the entry that gave them their current key (user.added or user.reset)
    key_introduced: int  # the key.added entry of the current key
    roles_entry: int  # the entry that set the roles they hold now (user.added or user.roles)


@dataclass
class Adoption:
    """A policy adopted by governance: ``policy_digest``, the digest of each file, and its entry."""

    seq: int
    policy_digest: str
    files: dict[str, str]
    floor: dict | None


class KeyChain:
    def __init__(self, anchors: list[str] | None = None) -> None:
        """``anchors``: verifier keys one of which must be the genesis key; None accepts any."""
        self.anchors = anchors
        self.keys: dict[str, TrustedKey] = {}
        self.users: dict[str, UserGrant] = {}
        self.policy: Adoption | None = None  # the latest adoption: the policy in force
        self.floor: dict | None = None  # fixed by the first adoption (init), never changed after
        self.authorised: dict[tuple[str, str], int] = {}  # (old, new verifier key) -> its unused authorisation

    def snapshot(self) -> "KeyChain":
        """A copy that later entries fed to this chain do not change."""
        copy = KeyChain(self.anchors)
        copy.keys = {name: replace(k) for name, k in self.keys.items()}
        copy.users = {name: replace(u, roles=list(u.roles)) for name, u in self.users.items()}
        copy.policy, copy.floor = self.policy, self.floor
        copy.authorised = dict(self.authorised)
        return copy

    # -- what the chain says now ------------------------------------------------

    def has_admin(self) -> bool:
        return any(ADMIN in u.roles for u in self.users.values())

    def roles(self) -> dict[str, list[str]]:
        return {name: list(u.roles) for name, u in self.users.items()}

    def person_keys(self) -> dict[str, TrustedKey]:
        """Every person key a user was given (retired ones too), by key name."""
        return {name: k for name, k in self.keys.items() if k.role != NODE and k.owner is not None}

    def current_key(self, user: str) -> TrustedKey | None:
        grant = self.users.get(user)
        return None if grant is None else self.keys[grant.key]

    def verifier_keys(self) -> dict[str, str]:
        return {name: k.verifier_key for name, k in self.keys.items()}

    def signer(self, entry: Entry) -> TrustedKey:
        """The key that must have signed ``entry``; raises ``LedgerError`` if none may."""
        if entry.seq == 0:
            if entry.kind != GENESIS:
                raise LedgerError(f"entry 0 must be a {GENESIS} entry, found {entry.kind!r}")
            genesis_key = self._introduced(entry, NODE)
            if genesis_key.name != entry.signer:
                raise LedgerError(f"the genesis entry must be signed by the key it introduces ({genesis_key.name!r})")
            if self.anchors is not None and genesis_key.verifier_key not in self.anchors:
                raise LedgerError(f"the genesis key {genesis_key.verifier_key} is not one of the trusted keys")
            return genesis_key
        if entry.kind == GENESIS:
            raise LedgerError(f"a {GENESIS} entry may only be entry 0")
        key = self.keys.get(entry.signer)
        if key is None:
            raise LedgerError(f"signed by unknown key {entry.signer!r}")
        if key.retired is not None and entry.seq > key.retired:
            raise LedgerError(f"signed by key {entry.signer!r}: key {entry.signer!r} was retired at entry {key.retired} "
                              "and signs nothing after it")
        if entry.kind == KEY_ROTATED and key.role != NODE:
            raise LedgerError(f"key {entry.signer!r} is a {key.role} key; only a node key may introduce or rotate keys")
        if entry.kind == KEY_ROTATED and self.has_admin() and self._authorisation(entry, key) is None:
            raise LedgerError(f"a {KEY_ROTATED} entry introducing {entry.payload.get('verifier_key')!r} that no unused "
                              f"{KEY_ROTATION_AUTHORISED} entry by an admin names; once the chain has an admin, "
                              "only an admin authorises a node-key rotation")
        if entry.kind in GOVERNANCE_KINDS:
            self._check_governor(entry, key)
        return key

    def _check_governor(self, entry: Entry, key: TrustedKey) -> None:
        """A governance entry is signed by an admin's current key; by a node key only while there is no admin."""
        if key.role == NODE:
            if self.has_admin():
                raise LedgerError(f"a {entry.kind} entry signed by the node key {key.name!r}; once the chain has an "
                                  "admin, only an admin's own key signs governance entries")
            return
        grant = self.users.get(key.owner or "")
        if grant is None or ADMIN not in grant.roles:
            raise LedgerError(f"a {entry.kind} entry signed by {key.name!r}, which is not the key of an admin")
        if grant.key != key.name:
            raise LedgerError(f"a {entry.kind} entry signed by {key.name!r}, not {grant.name}'s current key")

    def _authorisation(self, entry: Entry, key: TrustedKey) -> tuple[str, str] | None:
        """The unused authorisation of this rotation (from ``key`` to the key the entry introduces), if any."""
        new = entry.payload.get("verifier_key")
        return (key.verifier_key, new) if isinstance(new, str) and (key.verifier_key, new) in self.authorised else None

    def apply(self, entry: Entry) -> None:
        """Take in the keys a verified entry introduces or retires."""
        if entry.kind == KEY_ROTATION_AUTHORISED:
            self._authorise(entry)
            return
        if entry.kind == KEY_RETIRED:
            self._retire(entry)
            return
        if entry.kind in (USER_ADDED, USER_RESET):
            self._give_key(entry)
            return
        if entry.kind == POLICY_ADOPTED:
            self._adopt(entry)
            return
        if entry.kind == USER_ROLES:
            self._set_roles(entry)
            return
        if entry.kind not in KEY_KINDS:
            return
        role = entry.payload.get("role") if entry.kind == KEY_ADDED else NODE
        key = self._introduced(entry, role)
        if key.name in self.keys:
            raise LedgerError(f"key name {key.name!r} is already in use; key names are never reused")
        if role == NODE and self._person_pattern(key.name):
            raise LedgerError(f"node key name {key.name!r} has the form of {self._person_pattern(key.name)}'s "
                              "person keys; node keys never take a person key's name")
        self.keys[key.name] = key
        if entry.kind == KEY_ROTATED:
            authorisation = self._authorisation(entry, self.keys[entry.signer])
            if authorisation is not None:
                self.authorised.pop(authorisation)  # each is used once
            self.keys[entry.signer].retired = entry.seq
            self.keys[entry.signer].retired_time = entry.time

    def _person_pattern(self, name: str) -> str | None:
        """The user whose person-key names (``<user>-k<N>``) ``name`` has the form of, if any."""
        m = re.fullmatch(r"(.+)-k\d+", name)
        return m.group(1) if m and m.group(1) in self.users else None

    def _give_key(self, entry: Entry) -> None:
        """``user.added`` (a new user, their roles, their first key) or ``user.reset`` (their next key)."""
        p, where = entry.payload, f"entry {entry.seq} ({entry.kind})"
        user, key_name = p.get("user"), p.get("key")
        if not isinstance(user, str) or not isinstance(key_name, str) or key_name not in self.keys:
            raise LedgerError(f"{where} gives {key_name!r} to {user!r}, a key the log never introduced")
        key = self.keys[key_name]
        if key.role == NODE or key.owner is not None or key.retired is not None:
            raise LedgerError(f"{where} gives {key_name!r} to {user!r}, but it is a node key, retired or someone's already")
        if p.get("verifier_key") != key.verifier_key or not re.fullmatch(rf"{re.escape(user)}-k\d+", key_name):
            raise LedgerError(f"{where} gives {key_name!r} to {user!r}, but its verifier key or name is not that user's")
        if entry.kind == USER_ADDED:
            roles = p.get("roles")
            if user in self.users:
                raise LedgerError(f"{where} adds {user!r}, who exists already")
            if not isinstance(roles, list) or not roles or any(r not in USER_ROLES_ALLOWED for r in roles):
                raise LedgerError(f"{where} grants roles {roles!r}; roles are among {', '.join(USER_ROLES_ALLOWED)}")
            self.users[user] = UserGrant(user, sorted(set(roles)), key_name, entry.seq, entry.seq, key.introduced,
                                         entry.seq)
        else:
            grant = self.users.get(user)
            if grant is None:
                raise LedgerError(f"{where} resets {user!r}, a user the log never added")
            grant.key, grant.key_entry, grant.key_introduced = key_name, entry.seq, key.introduced
        key.owner, key.given = user, entry.seq

    def _authorise(self, entry: Entry) -> None:
        old, new = entry.payload.get("old_verifier_key"), entry.payload.get("new_verifier_key")
        if not isinstance(old, str) or not isinstance(new, str):
            raise LedgerError(f"entry {entry.seq} ({KEY_ROTATION_AUTHORISED}) has no old_verifier_key and "
                              "new_verifier_key strings")
        self.authorised[old, new] = entry.seq

    def _set_roles(self, entry: Entry) -> None:
        user, roles = entry.payload.get("user"), entry.payload.get("roles")
        grant = self.users.get(user) if isinstance(user, str) else None
        if grant is None:
            raise LedgerError(f"entry {entry.seq} ({USER_ROLES}) sets the roles of {user!r}, a user the log never added")
        if not isinstance(roles, list) or not roles or any(r not in USER_ROLES_ALLOWED for r in roles):
            raise LedgerError(f"entry {entry.seq} ({USER_ROLES}) sets roles {roles!r}; roles are among "
                              f"{', '.join(USER_ROLES_ALLOWED)}")
        grant.roles, grant.roles_entry = sorted(set(roles)), entry.seq

    def _adopt(self, entry: Entry) -> None:
        p = entry.payload
        digest, files = p.get("policy_digest"), p.get("files")
        if not isinstance(digest, str) or not isinstance(files, dict) or not files:
            raise LedgerError(f"entry {entry.seq} ({POLICY_ADOPTED}) has no policy_digest and files")
        if self.floor is None:
            self.floor = p.get("floor") if isinstance(p.get("floor"), dict) else None
        self.policy = Adoption(entry.seq, digest, dict(files), self.floor)

    def node_verifiers(self) -> Verifiers:
        """The node keys that may sign a checkpoint now."""
        return {
            (k.name, signing.key_hash(k.name, k.public_key)): k.public_key
            for k in self.keys.values()
            if k.role == NODE and k.retired is None
        }

    def _retire(self, entry: Entry) -> None:
        name = entry.payload.get("key")
        key = self.keys.get(name) if isinstance(name, str) else None
        if key is None:
            raise LedgerError(f"entry {entry.seq} ({KEY_RETIRED}) retires {name!r}, a key the log never introduced")
        if key.role != "person":
            raise LedgerError(f"entry {entry.seq} ({KEY_RETIRED}) retires {name!r}, a {key.role} key; "
                              "a node key is retired only by a rotation")
        if key.retired is not None:
            raise LedgerError(f"entry {entry.seq} ({KEY_RETIRED}) retires {name!r}, retired already at entry {key.retired}")
        key.retired, key.retired_time = entry.seq, entry.time

    def _introduced(self, entry: Entry, role: object) -> TrustedKey:
        if role not in ROLES:
            raise LedgerError(f"entry {entry.seq} introduces a key with role {role!r}; roles are {', '.join(ROLES)}")
        text = entry.payload.get("verifier_key")
        if not isinstance(text, str):
            raise LedgerError(f"entry {entry.seq} ({entry.kind}) has no verifier_key string in its payload")
        try:
            name, _, public_key = signing.parse_verifier_key(text)
        except signing.SigningError as e:
            raise LedgerError(f"entry {entry.seq} ({entry.kind}): {e}") from None
        return TrustedKey(name, text, public_key, signing.public_bytes(public_key), str(role), entry.seq)
