"""One ledger entry: its fields, its canonical bytes (the Merkle leaf) and its signature.

The leaf is the entry's RFC 8785 canonical JSON, so anyone can rebuild the
exact signed bytes from the JSON object alone, in any language. The time is
inside those bytes: an auditor can trust it as far as they trust the signer.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from stillroom.ledger.errors import LedgerError
from stillroom.ledger.merkle import leaf_hash

FIELDS = ("seq", "time", "kind", "actor", "signer", "run_id", "payload", "prev")

# Entry kinds the ledger itself writes and verification interprets.
GENESIS = "ledger.genesis"  # seq 0: the first node key, self-signed
KEY_ADDED = "key.added"  # a new key (a person's, or another node's), signed by a node key
KEY_ROTATED = "key.rotated"  # a new node key replaces the signer, which is retired from then on
KEY_ROTATION_AUTHORISED = "key.rotation_authorised"  # an admin allows one rotation: old and new verifier key
KEY_KINDS = (GENESIS, KEY_ADDED, KEY_ROTATED)  # the kinds that introduce a key
KEY_RETIRED = "key.retired"  # a person key signs nothing after this entry
USER_ADDED = "user.added"  # a user, their roles and their first person key
USER_RESET = "user.reset"  # a user's new person key (their earlier keys are retired in the same batch)
USER_ROLES = "user.roles"  # a user's roles from now on: granted or taken away
POLICY_ADOPTED = "policy.adopted"  # the policy in force: its digest and the digest of each policy file

# Governance: the entries that decide trust (who holds which key and role, which policy is in force).
# Each must be signed by the current person key of a user the chain itself made an admin; the node key
# signs one only while the chain has no admin yet (the bootstrap: `init` and the first `users add`).
# The verifier refuses anything else, the ledger refuses to append it, and a signer must not node-sign it.
# A key.rotated entry is signed by the node key it retires, so it cannot be governance itself: once the
# chain has an admin it counts only with an unused key.rotation_authorised entry naming it (keychain.py).
GOVERNANCE_KINDS = (KEY_ADDED, KEY_RETIRED, USER_ADDED, USER_RESET, USER_ROLES, POLICY_ADOPTED,
                    KEY_ROTATION_AUTHORISED)


_TYPES: dict[str, type | tuple[type, ...]] = {"seq": int, "time": str, "kind": str, "actor": str, "signer": str,
                                               "run_id": (str, type(None)), "payload": dict, "prev": (str, type(None))}


@dataclass(frozen=True)
class Entry:
    seq: int
    time: str
    kind: str
    actor: str
    signer: str
    run_id: str | None
    payload: dict[str, Any]
    prev: str | None
    leaf: bytes
    signature: bytes

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def canonical_entry(
    *, seq: int, time: str, kind: str, actor: str, signer: str, run_id: str | None, payload: dict, prev: str | None
) -> bytes:
    """The RFC 8785 bytes of an entry: what is hashed into the tree and signed."""
    if not kind or not actor:
        raise LedgerError("a ledger entry needs a kind and an actor")
    if not isinstance(payload, dict):
        raise LedgerError(f"a {kind} entry's payload must be a JSON object, got {type(payload).__name__}")
    value: dict[str, Any] = {"seq": seq, "time": time, "kind": kind, "actor": actor, "signer": signer,
                             "run_id": run_id, "payload": payload, "prev": prev}
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise LedgerError(f"the {kind} entry's payload is not canonical JSON ({e}); use digests, counts and metrics") from None


def entry_from_leaf(leaf: bytes, signature: bytes) -> Entry:
    """Parse stored bytes back into an entry, refusing bytes that are not exactly canonical."""
    value = provably_canonical(leaf)
    if value is not None:
        return Entry(**_checked_fields(value), leaf=leaf, signature=signature)
    try:
        value = json.loads(leaf)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise LedgerError("entry bytes are not JSON") from None
    entry = entry_from_value(value, signature)
    if entry.leaf != leaf:
        raise LedgerError("entry bytes are not in RFC 8785 canonical form")
    return entry


def entry_from_value(value: object, signature: bytes) -> Entry:
    """An entry from its JSON object, its leaf recomputed as the object's canonical bytes."""
    fields = _checked_fields(value)
    try:
        leaf = rfc8785.dumps(fields)
    except rfc8785.CanonicalizationError as e:
        raise LedgerError(f"entry is not representable as canonical JSON ({e})") from None
    return Entry(**fields, leaf=leaf, signature=signature)


def provably_canonical(data: bytes) -> Any:
    """The JSON value of ``data`` when a cheap test proves ``data`` is its RFC 8785 form; else None.

    None decides nothing: the caller asks ``rfc8785`` (pure Python, four times
    the C encoder's time), which also words any error. The test is the C encoder's
    compact, key-sorted output, which spells strings exactly as RFC 8785 does
    (§3.2.2.2: the same escapes, everything else literal), and differs from it
    only where this refuses to decide: key order with characters beyond U+FFFF
    (no 4-byte UTF-8 here at all), integers beyond ±(2**53 - 1), and the
    spelling of floats, each of which is checked on its own.
    """
    if _FOUR_BYTE_UTF8.search(data):
        return None
    floats: list[str] = []
    try:
        value = json.loads(data, parse_float=_float_noting(floats), parse_int=_exact_int, parse_constant=_not_json)
        again = _COMPACT_SORTED.encode(value).encode()
    except (ValueError, UnicodeError):  # not JSON, an integer out of range, lone surrogates
        return None
    if again != data or not all(map(_es6_float, floats)):
        return None
    return value


_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xff]")
_COMPACT_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
_INT_LIMIT = 2**53 - 1  # RFC 8785 §3.2.2.3: integers an IEEE 754 double holds exactly


def _es6_float(text: str) -> bool:
    """Is Python's spelling of this float (``text`` round-tripped) also ECMAScript's, as RFC 8785 §3.2.2.3 asks?

    They agree wherever Python writes no exponent, except that Python writes
    integral floats as ``5.0`` and ECMAScript as ``5``; elsewhere, ask rfc8785.
    """
    return ("e" not in text and not text.endswith(".0")) or rfc8785.dumps(float(text)) == text.encode()


def _exact_int(text: str) -> int:
    n = int(text)
    if not -_INT_LIMIT <= n <= _INT_LIMIT:
        raise ValueError(text)
    return n


def _float_noting(spellings: list[str]) -> Callable[[str], float]:
    """A ``parse_float`` that also keeps each float's spelling, for the RFC 8785 check of its form."""
    def parse(text: str) -> float:
        spellings.append(text)
        return float(text)

    return parse


def _not_json(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def _checked_fields(value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or sorted(value) != sorted(FIELDS):
        raise LedgerError(f"an entry must have exactly the fields {', '.join(FIELDS)}")
    for name, types in _TYPES.items():
        if not isinstance(value[name], types) or isinstance(value[name], bool):
            raise LedgerError(f"entry field {name!r} has the wrong type {type(value[name]).__name__}")
    return value


def now() -> str:
    """RFC 3339 UTC with microseconds, e.g. 2025-01-02T03:04:05.123456Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """The moment an RFC 3339 time names, as entries (``now``) and signed decisions write it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
