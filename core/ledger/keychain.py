"""Which keys may sign which entries: the chain of keys the ledger itself records.

Entry 0 (``ledger.genesis``) introduces the first node key and is signed by
it; that key is the anchor, and an auditor pins it out of band. From then on a
key is trusted only from the entry after the one that introduced it, and only
an active node key may introduce another. ``key.rotated`` introduces a new
node key and retires its signer, so a stolen old key cannot sign anything
after the rotation. ``key.retired`` (signed by a node key) retires a person
key the same way, from that entry on: what a reset takes from someone. Key names are never reused, so an entry's ``signer`` name
alone picks its key. Pure: fed entries in seq order, no I/O.
"""

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom import signing
from stillroom.ledger.entry import GENESIS, KEY_ADDED, KEY_KINDS, KEY_RETIRED, KEY_ROTATED, Entry
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.note import Verifiers

NODE = "node"
ROLES = (NODE, "person")


@dataclass
class TrustedKey:
    name: str
    verifier_key: str
    public_key: Ed25519PublicKey
    raw: bytes  # the 32 public key bytes, to compare with a key a verification worker used
    role: str
    introduced: int
    retired: int | None = None


class KeyChain:
    def __init__(self, anchors: list[str] | None = None) -> None:
        """``anchors``: verifier keys one of which must be the genesis key; None accepts any."""
        self.anchors = anchors
        self.keys: dict[str, TrustedKey] = {}

    def signer(self, entry: Entry) -> TrustedKey:
        """The key that must have signed ``entry``; raises ``LedgerError`` if none may."""
        if entry.seq == 0:
            if entry.kind != GENESIS:
                raise LedgerError(f"entry 0 must be a {GENESIS} entry, found {entry.kind!r}")
            key = self._introduced(entry, NODE)
            if key.name != entry.signer:
                raise LedgerError(f"the genesis entry must be signed by the key it introduces ({key.name!r})")
            if self.anchors is not None and key.verifier_key not in self.anchors:
                raise LedgerError(f"the genesis key {key.verifier_key} is not one of the trusted keys")
            return key
        if entry.kind == GENESIS:
            raise LedgerError(f"a {GENESIS} entry may only be entry 0")
        key = self.keys.get(entry.signer)
        if key is None:
            raise LedgerError(f"signed by unknown key {entry.signer!r}")
        if key.retired is not None and entry.seq > key.retired:
            raise LedgerError(f"signed by key {entry.signer!r}, retired at entry {key.retired}")
        if (entry.kind in KEY_KINDS or entry.kind == KEY_RETIRED) and key.role != NODE:
            raise LedgerError(f"only a node key may introduce or retire keys, {entry.signer!r} is a {key.role} key")
        return key

    def apply(self, entry: Entry) -> None:
        """Take in the keys a verified entry introduces or retires."""
        if entry.kind == KEY_RETIRED:
            self._retire(entry)
            return
        if entry.kind not in KEY_KINDS:
            return
        role = entry.payload.get("role") if entry.kind == KEY_ADDED else NODE
        key = self._introduced(entry, role)
        if key.name in self.keys:
            raise LedgerError(f"key name {key.name!r} is already in use; key names are never reused")
        self.keys[key.name] = key
        if entry.kind == KEY_ROTATED:
            self.keys[entry.signer].retired = entry.seq

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
        key.retired = entry.seq

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
