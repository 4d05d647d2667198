"""Full verification of a ledger, from the live store or from an export, trusting neither.

Every entry's canonical bytes, its seq, the hash chain, its signature under
the key chain, and the Merkle root at every checkpoint are recomputed; the
first thing that does not hold is reported with what was expected and what
was found. ``verify_offline`` needs only the export directory (and, for an
auditor who pinned it, the genesis key).

Checking an entry on its own (its canonical bytes, its leaf hash, its
signature) costs about 120 µs, most of it Ed25519; the walk in order (seq,
the chain, which key may sign, the tree, the checkpoints) costs a tenth of
that. So past the first ``PARALLEL_AFTER`` entries, a large log is checked in
chunks by a process pool, one worker per idle CPU, while this process walks
the results in order.
A worker checks a signature with the key the store or the export *names*
for the signer (``key_hints``); the walk still decides from the key chain
which key that must be, and checks the signature itself whenever the two
differ. The report is the same either way, down to the first failure.
"""

import base64
import json
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import read_checkpoint, verify_checkpoint
from stillroom.ledger.entry import GENESIS, Entry, entry_from_leaf, entry_from_value
from stillroom.ledger.errors import CheckpointError, ExportError, LedgerError, ProofError
from stillroom.ledger.keychain import KeyChain
from stillroom.ledger.note import verifiers_from

PARALLEL_AFTER = 2000  # entries checked in this process before a pool (up to 0.3 s to start) pays off
CHUNK = 1000  # entries per task handed to a worker


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


# (stored seq, canonical bytes, signature, stored leaf hash) from the store. An export gives
# each entry as a line of entries.jsonl instead (bytes), and its leaf is recomputed from the JSON.
Row = tuple[int, bytes, bytes, bytes]
HeldCheckpoints = Iterable[tuple[str, str]]  # (where it came from, e.g. a file name; the signed note)


def verify_rows(rows: Iterable[Row], checkpoints: list[str], *, origin: str | None = None,
                anchors: list[str] | None = None, active_node_key: tuple[str, Ed25519PublicKey] | None = None,
                key_hints: dict[str, str] | None = None, held: HeldCheckpoints = ()) -> VerifyReport:
    """Walk every entry in order and every checkpoint (signed notes, any order); stop at the first failure.

    ``held``: (where it came from, signed note) of checkpoints someone kept
    outside the store (an auditor's files, the signer's or a witness's last
    one). Each must be covered by the log and match the root recomputed at
    its size; the log is truncated when one is larger than the log.

    ``origin``: the log name the checkpoints must carry (default: the genesis
    entry's). ``active_node_key``: a (name, key) that must end up as an active
    node key, which pins a live store to the workspace that owns it.
    ``key_hints``: name -> verifier key as the store lists them, trusted for
    nothing; without them no worker can check a signature, and the whole log
    is checked in this process.
    """
    return _walk(rows, _stored(checkpoints, held), origin, anchors, active_node_key, key_hints).report()


def verify_offline(directory: str | Path, anchors: list[str] | None = None, held: HeldCheckpoints = ()) -> VerifyReport:
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
        walk = _walk(lines, _stored([note.read_text()], held), None, anchors, None, exported)
    if walk.failure is None:
        for name, key in walk.chain.keys.items():
            if exported.get(name) != key.verifier_key:
                walk.failure = Failure(None, f"keys/{name}.vkey", key.verifier_key, exported.get(name, "no such file"))
                break
    return walk.report()


def _stored(notes: list[str], held: HeldCheckpoints) -> list[tuple[str | None, str]]:
    """The log's own checkpoints (no label) followed by the held ones, each with where it came from."""
    return [(None, note) for note in notes] + list(held)


def _walk(rows, checkpoints, origin, anchors, active_node_key, key_hints) -> "_Walk":
    walk = _Walk(origin, anchors)
    try:
        walk.expect(checkpoints)
        for checked in _checked(rows, key_hints):
            walk.entry(checked)
        walk.finish(active_node_key)
    except _Failed as failed:
        walk.failure = failed.failure
    return walk


class TrustWalk:
    """The trust a log's entries establish (its ``KeyChain``), verified a row at a time and resumable.

    Each row's canonical bytes, seq, hash chain and signature under the chain are checked exactly as
    ``verify_rows`` checks them (not the checkpoints: ``verify`` does those); what fails raises a
    ``LedgerError`` naming the first failure. ``Ledger.trust`` keeps one per ledger and feeds it the
    rows appended since, so every decision reads keys, roles and the policy in force from the
    verified chain and never from a table.
    """

    def __init__(self) -> None:
        self._walk = _Walk(None, None)

    @property
    def size(self) -> int:
        return self._walk.count

    @property
    def head(self) -> bytes | None:
        return self._walk.prev

    @property
    def chain(self) -> KeyChain:
        return self._walk.chain

    def feed(self, row: Row) -> None:
        """A stored row: a failure names the entry and what was wrong."""
        try:
            self._walk.entry(_check(row, {}))
        except _Failed as failed:
            raise LedgerError(f"the ledger does not verify ({failed.failure}); run `stillroom ledger verify`") from None

    def append(self, entry: Entry, offered_key: bytes) -> None:
        """An entry about to be appended (not signed yet) by the key whose raw public bytes are
        ``offered_key``: refused with the chain's own sentence when it may not be. The key must be the one
        the chain knows by the entry's signer name; the signature is made only once every check passed."""
        try:
            self._walk.entry(_Checked(entry.seq, None, entry, merkle.leaf_hash(entry.leaf), offered_key))
        except _Failed as failed:
            f = failed.failure
            if f.what == "signature":
                raise LedgerError(f"the key offered as {entry.signer!r} is not the key the ledger knows by that name") from None
            raise LedgerError(f.found if f.what in ("signer", "key entry") else str(f)) from None


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
        self.pending: list[tuple[int, int, str | None, str]] = []  # (size, order, held from, note)
        self.checkpoint_size: int | None = None
        self.root: bytes | None = None
        self.checked = 0
        self.failure: Failure | None = None

    def expect(self, checkpoints: list[tuple[str | None, str]]) -> None:
        for order, (held, note) in enumerate(checkpoints):
            try:
                size = read_checkpoint(note).size
            except CheckpointError as e:
                self.fail(None, _named("checkpoint format", held), "a C2SP signed note", str(e))
            self.pending.append((size, order, held, note))
        self.pending.sort()

    def entry(self, checked: "_Checked") -> None:
        seq = self.count
        if checked.line_error is not None:
            self.fail(seq, "entries.jsonl line", '{"entry": {...}, "signature": "<base64>"}', checked.line_error)
        if checked.stored_seq is not None and checked.stored_seq != seq:
            self.fail(seq, "seq", str(seq), f"{checked.stored_seq} (entries missing or out of order)")
        if checked.format_error is not None:
            self.fail(seq, "entry format", "RFC 8785 canonical JSON", checked.format_error)
        entry, leaf_hash = checked.entry, checked.leaf_hash
        assert entry is not None and leaf_hash is not None  # a row with neither error above was parsed
        if entry.seq != seq:
            self.fail(seq, "seq", str(seq), f"{entry.seq} (entries missing or out of order)")
        expected_prev = self.prev.hex() if self.prev else None
        if entry.prev != expected_prev:
            self.fail(seq, "prev (hash of the previous entry)", str(expected_prev), str(entry.prev))
        if checked.stored_hash is not None and checked.stored_hash != leaf_hash:
            self.fail(seq, "stored leaf hash", leaf_hash.hex(), checked.stored_hash.hex())
        try:
            key = self.chain.signer(entry)
        except LedgerError as e:
            self.fail(seq, "signer", "a key trusted at this entry", str(e))
        if checked.verified_by != key.raw:  # checked ahead under another key, or not at all
            try:
                key.public_key.verify(entry.signature, entry.leaf)
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
            _, _, held, note = self.pending.pop(0)
            self._check_checkpoint(note, held)

    def finish(self, active_node_key: tuple[str, Ed25519PublicKey] | None) -> None:
        if self.pending:
            size, _, held, _ = self.pending[0]
            covers = f"held checkpoint {held} covers {size}" if held else f"a checkpoint covers {size}"
            self.fail(None, "log length", f"at least {size} entries ({covers})", f"{self.count} (the log was truncated)")
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

    def fail(self, seq: int | None, what: str, expected: str, found: str) -> NoReturn:
        raise _Failed(Failure(seq, what, expected, found))

    def _check_checkpoint(self, note: str, held: str | None) -> None:
        root = self._root()
        try:
            checkpoint = verify_checkpoint(note, self.chain.node_verifiers(), self.origin or "")
        except CheckpointError as e:
            self.fail(None, _named(f"checkpoint at size {self.count}", held),
                      "a note signed by an active node key of this log", str(e))
        if checkpoint.root != root:
            self.fail(None, _named(f"checkpoint root at size {self.count}", held), root.hex(),
                      f"{checkpoint.root.hex()} (a fork: the log was rewritten)" if held else checkpoint.root.hex())
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


def _named(what: str, held: str | None) -> str:
    return f"held checkpoint {held}: {what}" if held else what


class _Checked(NamedTuple):
    """What can be checked of one entry on its own, in any process; ``_Walk.entry`` does the rest in order."""

    stored_seq: int | None = None
    stored_hash: bytes | None = None
    entry: Entry | None = None
    leaf_hash: bytes | None = None
    verified_by: bytes | None = None  # the raw public key the signature verified under, if any was tried
    line_error: str | None = None  # an export line that is not {"entry": ..., "signature": ...}
    format_error: str | None = None  # bytes or JSON that are not a canonical entry


def _check(row: Row | bytes, keys: dict[str, tuple[Ed25519PublicKey, bytes]]) -> _Checked:
    """Parse and re-canonicalise one entry, hash it, and check its signature under the key ``keys`` names."""
    if isinstance(row, bytes):
        stored_seq = stored_hash = None
        try:
            record = json.loads(row)
            data, signature = record["entry"], base64.b64decode(record["signature"], validate=True)
        except (ValueError, KeyError, TypeError) as e:
            return _Checked(line_error=str(e))
    else:
        stored_seq, data, signature, stored_hash = row
    try:
        entry = entry_from_leaf(data, signature) if isinstance(data, bytes) else entry_from_value(data, signature)
    except LedgerError as e:
        return _Checked(stored_seq, stored_hash, format_error=str(e))
    verified_by = None
    if entry.signer in keys:
        public_key, raw = keys[entry.signer]
        try:
            public_key.verify(signature, entry.leaf)
            verified_by = raw
        except InvalidSignature:
            pass  # the walk checks again with the key the chain says, and reports it
    return _Checked(stored_seq, stored_hash, entry, merkle.leaf_hash(entry.leaf), verified_by)


def _checked(rows: Iterable[Row | bytes], key_hints: dict[str, str] | None) -> Iterator[_Checked]:
    """Every row checked on its own, in order: here for the first ``PARALLEL_AFTER``, then by a pool if it helps."""
    keys = _hinted_keys(key_hints or {})
    rows = iter(rows)
    for row in islice(rows, PARALLEL_AFTER):
        yield _check(row, keys)
    workers = _workers()
    chunk = list(islice(rows, CHUNK))
    if workers < 2 or not keys or not chunk:
        yield from (_check(row, keys) for row in (*chunk, *rows))
        return
    pending: deque[tuple[list, Future | None]] = deque()
    try:
        pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker, initargs=(key_hints or {},))
    except (OSError, ImportError):  # no working semaphores here (no /dev/shm, say): check everything in this process
        pool = None
    try:
        while chunk or pending:
            while chunk and len(pending) < 2 * workers:  # enough queued to keep every worker busy, no more
                pending.append((chunk, _submit(pool, chunk)))
                chunk = list(islice(rows, CHUNK))
            rows_of, future = pending.popleft()
            try:
                yield from future.result() if future else (_check(row, keys) for row in rows_of)
            except (BrokenProcessPool, OSError):  # a worker died: this chunk and the rest are checked here
                if pool is not None:  # it is: the chunk had a future
                    pool.shutdown(cancel_futures=True)
                pool = None
                pending = deque([(rows_of, None), *((queued, None) for queued, _ in pending)])
    finally:  # also when the walk stops at a failure: drop the chunks not started
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _submit(pool: ProcessPoolExecutor | None, chunk: list) -> Future | None:
    try:
        return pool.submit(_check_chunk, chunk) if pool else None
    except (BrokenProcessPool, OSError):
        return None


_WORKER_KEYS: dict[str, tuple[Ed25519PublicKey, bytes]] = {}


def _start_worker(key_hints: dict[str, str]) -> None:
    _WORKER_KEYS.update(_hinted_keys(key_hints))


def _check_chunk(rows: list[Row | bytes]) -> list[_Checked]:
    return [_check(row, _WORKER_KEYS) for row in rows]


def _hinted_keys(key_hints: dict[str, str]) -> dict[str, tuple[Ed25519PublicKey, bytes]]:
    keys = {}
    for name, text in key_hints.items():
        try:
            parsed_name, _, public_key = signing.parse_verifier_key(text)
        except signing.SigningError:
            continue  # a hint that cannot be used; the walk reports what is wrong with the real key
        if parsed_name == name:
            keys[name] = (public_key, signing.public_bytes(public_key))
    return keys


def _workers() -> int:
    """How many processes to check with: the CPUs this process may use that are idle now (1-minute load).

    A pool costs about a tenth more CPU in all (pickling, the ordered walk), so
    on CPUs that other work keeps busy it is slower than one process.
    """
    if multiprocessing.current_process().daemon:  # a daemon process may not start children
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        idle = cpus - os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform: assume the CPUs are free
        idle = cpus
    return max(1, min(cpus, round(idle)))


def _context():
    """fork where this process has one thread; else a fresh interpreter (forkserver, or spawn).

    A fork copies whatever locks other threads hold (the dashboard's server has many), and a
    child that then needs one hangs. A fresh interpreter re-imports ``__main__``, which a script
    without an ``if __name__ == "__main__"`` guard cannot survive; single-threaded scripts fork.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")


def _find_key(name: str, verifier_keys: list[str]) -> Ed25519PublicKey:
    for text in verifier_keys:
        parsed_name, _, public_key = signing.parse_verifier_key(text)
        if parsed_name == name:
            return public_key
    raise ProofError(f"no verifier key for signer {name!r}")
