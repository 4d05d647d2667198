"""Full verification of a ledger, from the live store or from an export, trusting neither.

Every entry's canonical bytes, its seq, the hash chain, its signature under
the key chain, and the Merkle root at every checkpoint are recomputed; the
first thing that does not hold is reported with what was expected and what
was found. ``verify_offline`` needs only the export directory (and, for an
auditor who pinned it, the genesis key).
"""

import base64
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import read_checkpoint, verify_checkpoint
from stillroom.ledger.entry import GENESIS, entry_from_leaf, entry_from_value
from stillroom.ledger.errors import CheckpointError, ExportError, LedgerError, ProofError
from stillroom.ledger.keychain import KeyChain
from stillroom.ledger.note import verifiers_from


@dataclass(frozen=True)
class Failure:
    seq: int | None
    what: str
    expected: str
    found: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "ledger"
        return f"{where}: {self.what}: expected {self.expected}, found {self.found}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    origin: str | None
    checkpoint_size: int | None
    root: str | None
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok, "failure": asdict(self.failure) if self.failure else None}

    def __str__(self) -> str:
        if self.failure:
            return f"FAILED {self.failure}"
        return (f"OK {self.entries} entries, {self.checkpoints} checkpoint(s) verified; "
                f"log {self.origin}, checkpoint size {self.checkpoint_size}, root {self.root}")


# (stored seq or None, canonical bytes, signature, stored leaf hash or None)
Row = tuple[int | None, bytes, bytes, bytes | None]
# An export gives the entry as a JSON object instead: its leaf is recomputed from it.
ExportRow = tuple[None, dict, bytes, None]


def verify_rows(rows: Iterable[Row], checkpoints: list[str], *, origin: str | None = None,
                anchors: list[str] | None = None,
                active_node_key: tuple[str, Ed25519PublicKey] | None = None) -> VerifyReport:
    """Walk every entry in order and every checkpoint (signed notes, any order); stop at the first failure.

    ``origin``: the log name the checkpoints must carry (default: the genesis
    entry's). ``active_node_key``: a (name, key) that must end up as an active
    node key, which pins a live store to the workspace that owns it.
    """
    return _walk(rows, checkpoints, origin, anchors, active_node_key).report()


def verify_offline(directory: str | Path, anchors: list[str] | None = None) -> VerifyReport:
    """Verify an export (``entries.jsonl``, ``checkpoint``, ``keys/*.vkey``) with nothing but its files.

    Every key the log introduces must also be in ``keys/`` as the same
    verifier key, so that what an auditor publishes matches what was used.
    """
    directory = Path(directory)
    entries, note = directory / "entries.jsonl", directory / "checkpoint"
    for path in (entries, note, directory / "keys"):
        if not path.exists():
            raise ExportError(f"{path} is missing; is {directory} a `stillroom ledger export` directory?")
    exported = {p.name.removesuffix(".vkey"): p.read_text().strip() for p in (directory / "keys").glob("*.vkey")}
    with entries.open("rb") as lines:
        walk = _walk(_export_rows(lines), [note.read_text()], None, anchors, None)
    if walk.failure is None:
        for name, key in walk.chain.keys.items():
            if exported.get(name) != key.verifier_key:
                walk.failure = Failure(None, f"keys/{name}.vkey", key.verifier_key, exported.get(name, "no such file"))
                break
    return walk.report()


def _walk(rows, checkpoints, origin, anchors, active_node_key) -> "_Walk":
    walk = _Walk(origin, anchors)
    try:
        walk.expect(checkpoints)
        for row in rows:
            walk.entry(*row)
        walk.finish(active_node_key)
    except _Failed as failed:
        walk.failure = failed.failure
    return walk


def verify_inclusion_bundle(bundle: dict, verifier_keys: list[str], *, checkpoint_keys: list[str] | None = None) -> None:
    """Check a ``Ledger.prove`` bundle: the checkpoint's signature, the entry's signature and the proof.

    ``verifier_keys`` may sign the entry; ``checkpoint_keys`` (default: the
    same) may sign the checkpoint. Pass the node keys there whenever people's
    keys are among ``verifier_keys``: a person must not vouch for a tree head.
    """
    try:
        note, origin = bundle["checkpoint"], bundle["origin"]
        leaf = base64.b64decode(bundle["leaf"], validate=True)
        entry = entry_from_leaf(leaf, base64.b64decode(bundle["signature"], validate=True))
        proof = [bytes.fromhex(h) for h in bundle["proof"]]
    except (KeyError, TypeError, ValueError, LedgerError) as e:
        raise ProofError(f"the inclusion proof bundle is malformed ({e})") from None
    checkpoint = verify_checkpoint(note, verifiers_from(checkpoint_keys or verifier_keys), origin)
    signer = _find_key(entry.signer, verifier_keys)
    try:
        signer.verify(entry.signature, leaf)
    except InvalidSignature:
        raise ProofError(f"entry {entry.seq}'s signature by {entry.signer!r} does not verify") from None
    if bundle.get("tree_size") != checkpoint.size or bundle.get("seq") != entry.seq:
        raise ProofError("the bundle's seq or tree size disagrees with its entry or checkpoint")
    merkle.verify_inclusion(entry.seq, checkpoint.size, merkle.leaf_hash(leaf), proof, checkpoint.root)


def verify_consistency_bundle(bundle: dict, verifier_keys: list[str]) -> None:
    """Check a ``Ledger.consistency`` bundle: both checkpoints' signatures and the proof between them."""
    try:
        verifiers = verifiers_from(verifier_keys)
        old = verify_checkpoint(bundle["old_checkpoint"], verifiers, bundle["origin"])
        new = verify_checkpoint(bundle["new_checkpoint"], verifiers, bundle["origin"])
        proof = [bytes.fromhex(h) for h in bundle["proof"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ProofError(f"the consistency proof bundle is malformed ({e})") from None
    merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)


class _Failed(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


class _Walk:
    def __init__(self, origin: str | None, anchors: list[str] | None) -> None:
        self.origin = origin
        self.chain = KeyChain(anchors)
        self.count = 0
        self.prev: bytes | None = None
        self.stack: list[tuple[int, bytes]] = []  # the compact range of the prefix read so far
        self.pending: list[tuple[int, str]] = []
        self.checkpoint_size: int | None = None
        self.root: bytes | None = None
        self.checked = 0
        self.failure: Failure | None = None

    def expect(self, checkpoints: list[str]) -> None:
        try:
            self.pending = sorted((read_checkpoint(note).size, note) for note in checkpoints)
        except CheckpointError as e:
            self.fail(None, "checkpoint format", "a C2SP signed note", str(e))

    def entry(self, stored_seq: int | None, data: bytes | dict, signature: bytes, stored_hash: bytes | None) -> None:
        seq = self.count
        if stored_seq is not None and stored_seq != seq:
            self.fail(seq, "seq", str(seq), f"{stored_seq} (entries missing or out of order)")
        try:
            entry = entry_from_leaf(data, signature) if isinstance(data, bytes) else entry_from_value(data, signature)
        except LedgerError as e:
            self.fail(seq, "entry format", "RFC 8785 canonical JSON", str(e))
        leaf = entry.leaf
        if entry.seq != seq:
            self.fail(seq, "seq", str(seq), f"{entry.seq} (entries missing or out of order)")
        expected_prev = self.prev.hex() if self.prev else None
        if entry.prev != expected_prev:
            self.fail(seq, "prev (hash of the previous entry)", str(expected_prev), str(entry.prev))
        leaf_hash = merkle.leaf_hash(leaf)
        if stored_hash is not None and stored_hash != leaf_hash:
            self.fail(seq, "stored leaf hash", leaf_hash.hex(), stored_hash.hex())
        try:
            key = self.chain.signer_key(entry)
        except LedgerError as e:
            self.fail(seq, "signer", "a key trusted at this entry", str(e))
        try:
            key.verify(signature, leaf)
        except InvalidSignature:
            self.fail(seq, "signature", f"a valid signature by {entry.signer!r}", "one that does not verify")
        if entry.kind == GENESIS:
            self.origin = self.origin or entry.payload.get("origin")
        try:
            self.chain.apply(entry)
        except LedgerError as e:
            self.fail(seq, "key entry", "a valid key introduction", str(e))
        self.prev = leaf_hash
        self._push(leaf_hash)
        self.count += 1
        while self.pending and self.pending[0][0] == self.count:
            self._check_checkpoint(self.pending.pop(0)[1])

    def finish(self, active_node_key: tuple[str, Ed25519PublicKey] | None) -> None:
        if self.pending:
            size = self.pending[0][0]
            self.fail(None, "log length", f"at least {size} entries (a checkpoint covers {size})",
                      f"{self.count} (the log was truncated)")
        if self.count == 0:
            self.fail(None, "log length", "at least the genesis entry", "an empty log")
        if active_node_key:
            name, public_key = active_node_key
            if (name, signing.key_hash(name, public_key)) not in self.chain.node_verifiers():
                self.fail(None, "node key", f"{name!r} as an active node key of this ledger",
                          "a ledger whose key chain does not include it (rewritten, or another workspace's)")

    def report(self) -> VerifyReport:
        return VerifyReport(self.count, self.checked, self.origin, self.checkpoint_size,
                            self.root.hex() if self.root else None, self.failure)

    def fail(self, seq: int | None, what: str, expected: str, found: str):
        raise _Failed(Failure(seq, what, expected, found))

    def _check_checkpoint(self, note: str) -> None:
        root = self._root()
        try:
            checkpoint = verify_checkpoint(note, self.chain.node_verifiers(), self.origin or "")
        except CheckpointError as e:
            self.fail(None, f"checkpoint at size {self.count}", "a note signed by an active node key of this log", str(e))
        if checkpoint.root != root:
            self.fail(None, f"checkpoint root at size {self.count}", root.hex(), checkpoint.root.hex())
        self.checkpoint_size, self.root = self.count, root
        self.checked += 1

    def _push(self, h: bytes) -> None:
        level = 0
        while self.stack and self.stack[-1][0] == level:
            h = merkle.node_hash(self.stack.pop()[1], h)
            level += 1
        self.stack.append((level, h))

    def _root(self) -> bytes:
        result = self.stack[-1][1]
        for _, h in reversed(self.stack[:-1]):
            result = merkle.node_hash(h, result)
        return result


def _export_rows(lines) -> Iterable[ExportRow]:
    for number, line in enumerate(lines):
        try:
            record = json.loads(line)
            row = (None, record["entry"], base64.b64decode(record["signature"], validate=True), None)
        except (ValueError, KeyError, TypeError) as e:
            raise _Failed(Failure(number, "entries.jsonl line", '{"entry": {...}, "signature": "<base64>"}', str(e))) from None
        yield row


def _find_key(name: str, verifier_keys: list[str]) -> Ed25519PublicKey:
    for text in verifier_keys:
        parsed_name, _, public_key = signing.parse_verifier_key(text)
        if parsed_name == name:
            return public_key
    raise ProofError(f"no verifier key for signer {name!r}")
