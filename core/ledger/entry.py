"""One ledger entry: its fields, its canonical bytes (the Merkle leaf) and its signature.

The leaf is the entry's RFC 8785 canonical JSON, so anyone can rebuild the
exact signed bytes from the JSON object alone, in any language. The time is
inside those bytes: an auditor can trust it as far as they trust the signer.
"""

import json
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
KEY_KINDS = (GENESIS, KEY_ADDED, KEY_ROTATED)


_TYPES = {"seq": int, "time": str, "kind": str, "actor": str, "signer": str,
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
    value = {"seq": seq, "time": time, "kind": kind, "actor": actor, "signer": signer,
             "run_id": run_id, "payload": payload, "prev": prev}
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise LedgerError(f"the {kind} entry's payload is not canonical JSON ({e}); use digests, counts and metrics") from None


def entry_from_leaf(leaf: bytes, signature: bytes) -> Entry:
    """Parse stored bytes back into an entry, refusing bytes that are not exactly canonical."""
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
    if not isinstance(value, dict) or sorted(value) != sorted(FIELDS):
        raise LedgerError(f"an entry must have exactly the fields {', '.join(FIELDS)}")
    for name, types in _TYPES.items():
        if not isinstance(value[name], types) or isinstance(value[name], bool):
            raise LedgerError(f"entry field {name!r} has the wrong type {type(value[name]).__name__}")
    try:
        leaf = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise LedgerError(f"entry is not representable as canonical JSON ({e})") from None
    return Entry(**value, leaf=leaf, signature=signature)


def now() -> str:
    """RFC 3339 UTC with microseconds, e.g. 2025-01-02T03:04:05.123456Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
