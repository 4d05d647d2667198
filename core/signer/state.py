"""What the signer remembers of the log, and the rules it signs by; pure, no I/O.

The signer keeps the log's right edge itself: its size, the last leaf hash,
the compact range (the roots of the complete subtrees of the prefix, enough
to compute the root) and the key chain. So it signs an entry only if it is
the next one of *that* log (seq = its size, prev = its last leaf hash), and
a checkpoint only of the root it computed: a store cut short or rewritten
behind its back gets no further signature. Entries other keys signed are
shown to it too (``observe``) and accepted only if their signature verifies
under the key chain, so its edge stays the whole log's.

It never node-signs a governance entry (``GOVERNANCE_KINDS``) once the log
has its first user: who may do what is signed by an admin's own key. Before
that (the bootstrap of a new workspace: the first admin's key and the
``user.added`` marked ``bootstrap``) there is no admin who could.
"""

import json
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature

from stillroom import signing
from stillroom.errors import StillroomError
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import parse_checkpoint_text
from stillroom.ledger.entry import GOVERNANCE_KINDS, KEY_ROTATED, Entry, entry_from_leaf
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.keychain import KeyChain, TrustedKey

USER_ADDED = "user.added"
IN_TOTO = b"application/vnd.in-toto+json"


class SignerRefused(StillroomError):
    """What the signer will not sign; the message says why in one sentence."""


@dataclass
class SignerState:
    name: str  # the node key's name in the log
    origin: str
    verifier_key: str  # the node key's C2SP verifier key: the genesis must introduce exactly this key
    size: int = 0
    head: bytes | None = None
    stack: list[tuple[int, bytes]] = field(default_factory=list)
    chain: KeyChain = field(default_factory=KeyChain)
    has_users: bool = False

    def sign_entry(self, leaf: bytes) -> Entry:
        """The entry ``leaf`` holds, once it may be node-signed as the next entry; state advances on ``taken``."""
        entry = self._next(entry_from_leaf(leaf, b""))
        if entry.signer != self.name:
            raise SignerRefused(f"entry {entry.seq} names signer {entry.signer!r}; this signer signs as {self.name!r}")
        if entry.kind == KEY_ROTATED:
            raise SignerRefused("the signer does not rotate its own key; rotation is done on the signer's host")
        if entry.kind in GOVERNANCE_KINDS and (self.has_users or not _bootstrap(entry)):
            raise SignerRefused(f"the signer does not node-sign a {entry.kind} entry: it must be signed by an "
                                "admin's own key")
        if entry.seq == 0 and entry.payload.get("verifier_key") != self.verifier_key:
            raise SignerRefused("the genesis entry must introduce this signer's own key")
        self._check_chain(entry)
        return entry

    def observe(self, leaf: bytes, signature: bytes, *, adopting: bool = False) -> Entry:
        """The entry another key signed, once it is the next entry and its signature verifies under the chain.
        ``adopting``: taking in an existing, verified log at ``signer init``, node-signed entries included."""
        entry = self._next(entry_from_leaf(leaf, signature))
        key = self._check_chain(entry)
        if entry.signer == self.name and not adopting:
            raise SignerRefused(f"entry {entry.seq} claims this signer's key but was not signed by it")
        try:
            key.public_key.verify(signature, leaf)
        except InvalidSignature:
            raise SignerRefused(f"entry {entry.seq}'s signature by {entry.signer!r} does not verify") from None
        return entry

    def taken(self, entry: Entry) -> None:
        """Advance past ``entry`` (checked by ``sign_entry`` or ``observe``)."""
        self.chain.apply(entry)
        h = merkle.leaf_hash(entry.leaf)
        self.stack = push(self.stack, h)
        self.head, self.size = h, self.size + 1
        self.has_users = self.has_users or entry.kind == USER_ADDED

    def check_checkpoint(self, text: bytes) -> None:
        """A checkpoint is signed only for this log, at this signer's size, with the root it computed."""
        try:
            checkpoint = parse_checkpoint_text(text.decode())
        except (UnicodeDecodeError, LedgerError) as e:
            raise SignerRefused(f"not an entry, a checkpoint or a provenance statement ({e})") from None
        if (checkpoint.origin, checkpoint.size, checkpoint.root) != (self.origin, self.size, self.root()):
            raise SignerRefused(f"the signer signs only the checkpoint of the log it holds ({self.origin} at size "
                                f"{self.size}), not one at size {checkpoint.size} with another root")

    def check_statement(self, pae: bytes) -> None:
        """A DSSE pre-authentication encoding of an in-toto statement (a release's provenance)."""
        parts = pae.split(b" ", 4)
        if len(parts) != 5 or parts[0] != b"DSSEv1" or parts[2] != IN_TOTO or not parts[3].isdigit() \
                or int(parts[3]) != len(parts[4]):
            raise SignerRefused("the signer signs DSSE envelopes of in-toto statements only")
        try:
            json.loads(parts[4])
        except ValueError:
            raise SignerRefused("the in-toto statement to sign is not JSON") from None

    def root(self) -> bytes:
        return stack_root(self.stack)

    def as_json(self) -> dict:
        return {"name": self.name, "origin": self.origin, "verifier_key": self.verifier_key, "size": self.size,
                "head": self.head.hex() if self.head else None, "has_users": self.has_users,
                "stack": [[level, h.hex()] for level, h in self.stack],
                "keys": [{"verifier_key": k.verifier_key, "role": k.role, "introduced": k.introduced,
                          "retired": k.retired} for k in self.chain.keys.values()]}

    @classmethod
    def from_json(cls, data: dict) -> "SignerState":
        chain = KeyChain()
        for k in data["keys"]:
            name, _, public_key = signing.parse_verifier_key(k["verifier_key"])
            chain.keys[name] = TrustedKey(name, k["verifier_key"], public_key, signing.public_bytes(public_key),
                                          k["role"], k["introduced"], k["retired"])
        return cls(data["name"], data["origin"], data["verifier_key"], data["size"],
                   bytes.fromhex(data["head"]) if data["head"] else None,
                   [(level, bytes.fromhex(h)) for level, h in data["stack"]], chain, data["has_users"])

    def _next(self, entry: Entry) -> Entry:
        expected_prev = self.head.hex() if self.head else None
        if entry.seq != self.size or entry.prev != expected_prev:
            raise SignerRefused(f"entry {entry.seq} does not extend the log this signer holds (size {self.size}): "
                                "the store was cut or rewritten, or another writer got ahead; run `stillroom ledger verify`")
        return entry

    def _check_chain(self, entry: Entry) -> TrustedKey:
        try:
            return self.chain.signer(entry)
        except LedgerError as e:
            raise SignerRefused(f"entry {entry.seq}: {e}") from None


def _bootstrap(entry: Entry) -> bool:
    """What the first admin's enrolment writes before any user exists: their key, and their user.added."""
    return entry.kind != USER_ADDED or entry.payload.get("bootstrap") is True


def push(stack: list[tuple[int, bytes]], h: bytes) -> list[tuple[int, bytes]]:
    stack, level = list(stack), 0
    while stack and stack[-1][0] == level:
        h = merkle.node_hash(stack.pop()[1], h)
        level += 1
    return [*stack, (level, h)]


def stack_root(stack: list[tuple[int, bytes]]) -> bytes:
    if not stack:
        return merkle.EMPTY_ROOT
    result = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        result = merkle.node_hash(h, result)
    return result

