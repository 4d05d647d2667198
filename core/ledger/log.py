"""The ledger on the store: signed appends, checkpoints and proofs.

Every append runs in one writer transaction (``db.write_session``: SQLite
``BEGIN IMMEDIATE``, PostgreSQL an advisory lock), so seq is contiguous under
any number of processes and a batch lands whole or not at all. Each append
stores the hashes of the complete subtrees it finishes (``merkle.append_subtrees``):
about two rows per entry, read back O(log n) at a time, so roots and proofs
never rebuild the tree.
"""

import base64
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Engine

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint, sign_checkpoint
from stillroom.ledger.entry import GENESIS, KEY_ADDED, KEY_KINDS, KEY_ROTATED, Entry, canonical_entry, entry_from_leaf, now
from stillroom.ledger.errors import LedgerError, NotInLedger, ProofError
from stillroom.ledger.keychain import NODE, ROLES
from stillroom.ledger.verify import Row, VerifyReport, verify_rows
from stillroom.store import db
from stillroom.store.models import LedgerCheckpoint, LedgerEntry, LedgerKey, LedgerNode

ENTRIES, NODES, CHECKPOINTS, KEYS = (m.__table__ for m in (LedgerEntry, LedgerNode, LedgerCheckpoint, LedgerKey))
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
PAGE = 5000  # rows per read when streaming the whole log
# The statements every append runs, built once: building them per call cost as much as running them.
_HEAD = text("SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
_KEY = text("SELECT verifier_key, retired_seq FROM ledger_keys WHERE name = :name")
_INSERT_ENTRIES, _INSERT_NODES = insert(ENTRIES), insert(NODES)

Signer = tuple[str, Ed25519PrivateKey]


@dataclass(frozen=True)
class Draft:
    """An entry to be appended; seq, time, prev and the signature are filled in under the lock."""

    kind: str
    payload: dict[str, Any]
    actor: str
    run_id: str | None = None


class Ledger:
    def __init__(self, engine: Engine, signer_name: str, signer_key: Ed25519PrivateKey, origin: str) -> None:
        """A ledger whose node key is (``signer_name``, ``signer_key``) and whose checkpoints name ``origin``."""
        check_key_name(signer_name)
        self.engine = engine
        self.node: Signer = (signer_name, signer_key)
        self.origin = origin

    @classmethod
    def for_workspace(cls, workspace) -> "Ledger":
        return cls(workspace.engine, workspace.node_key_name, workspace.node_key(), workspace.origin)

    def record(self, kind: str, payload: dict[str, Any], *, actor: str, run_id: str | None = None,
               signed_by: Signer | None = None) -> Entry:
        """Append one entry, signed by the node key or by ``signed_by`` (a person's key the ledger knows)."""
        return self.record_many([Draft(kind, payload, actor, run_id)], signed_by=signed_by)[0]

    def record_many(self, drafts: Sequence[Draft], *, signed_by: Signer | None = None) -> list[Entry]:
        """Append entries atomically, with contiguous seqs, all signed by one key."""
        for draft in drafts:
            if draft.kind in KEY_KINDS:
                raise LedgerError(f"{draft.kind} entries are written by add_key and rotate_key only")
        return self._append([(d, signed_by or self.node) for d in drafts])

    def add_key(self, name: str, public_key: Ed25519PublicKey, *, role: str, actor: str) -> Entry:
        """Introduce a key (a reviewer's, or another node's), signed by the node key."""
        if role not in ROLES:
            raise LedgerError(f"key role {role!r} is not one of {', '.join(ROLES)}")
        check_key_name(name)
        payload = {"verifier_key": signing.verifier_key(name, public_key), "role": role}
        return self._append([(Draft(KEY_ADDED, payload, actor), self.node)])[0]

    def rotate_key(self, name: str, key: Ed25519PrivateKey, *, actor: str) -> Entry:
        """Replace the node key: the old key signs the new one in and is retired from the next entry on."""
        check_key_name(name)
        payload = {"verifier_key": signing.verifier_key(name, key.public_key())}
        entry = self._append([(Draft(KEY_ROTATED, payload, actor), self.node)])[0]
        self.node = (name, key)
        return entry

    def size(self) -> int:
        with self.engine.connect() as s:
            return _size(s)

    def checkpoint(self) -> str:
        """Sign and store a checkpoint of the whole log (the latest one, if nothing was appended since)."""
        with db.write_session(self.engine) as session:
            s = session.connection()
            if _size(s) == 0:
                self._write(s, [])
            size = _size(s)
            latest = _latest_checkpoint(s)
            if latest is not None and latest.size == size:
                return latest.note
            self._check_signer(s, self.node)
            root = merkle.root(size, _node_lookup(s, merkle.subtrees(0, size)))
            note = sign_checkpoint(Checkpoint(self.origin, size, root), [self.node])
            s.execute(insert(CHECKPOINTS).values(size=size, root=root, note=note))
            return note

    def latest_checkpoint(self) -> str | None:
        with self.engine.connect() as s:
            latest = _latest_checkpoint(s)
        return latest.note if latest else None

    def prove(self, seq: int) -> dict[str, Any]:
        """An inclusion proof for entry ``seq`` against the latest checkpoint, checked before it is returned."""
        with self.engine.connect() as s:
            latest = _latest_checkpoint(s)
            if latest is None:
                raise NotInLedger("the ledger has no checkpoint yet; make one with `stillroom ledger checkpoint`")
            if not 0 <= seq < latest.size:
                raise NotInLedger(f"entry {seq} is not covered by the latest checkpoint (size {latest.size})")
            entry = s.execute(select(ENTRIES).where(ENTRIES.c.seq == seq)).one()
            ranges = merkle.inclusion_ranges(seq, latest.size)
            lookup = _node_lookup(s, [key for r in ranges for key in merkle.subtrees(*r)])
        proof = merkle.inclusion_proof(seq, latest.size, lookup)
        try:
            merkle.verify_inclusion(seq, latest.size, bytes(entry.leaf_hash), proof, bytes(latest.root))
        except ProofError as e:
            raise LedgerError(f"the stored tree does not match the checkpoint ({e}); run `stillroom ledger verify`") from None
        return {
            "origin": self.origin,
            "seq": seq,
            "tree_size": latest.size,
            "leaf": _b64(entry.leaf),
            "leaf_hash": bytes(entry.leaf_hash).hex(),
            "signature": _b64(entry.signature),
            "proof": [h.hex() for h in proof],
            "root": bytes(latest.root).hex(),
            "checkpoint": latest.note,
        }

    def consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """A consistency proof between the stored checkpoints of sizes ``old_size`` and ``new_size``."""
        with self.engine.connect() as s:
            old, new = (_checkpoint_at(s, size) for size in (old_size, new_size))
            if old_size > new_size:
                raise NotInLedger(f"the old checkpoint (size {old_size}) is newer than the new one (size {new_size})")
            ranges = merkle.consistency_ranges(old_size, new_size)
            lookup = _node_lookup(s, [key for r in ranges for key in merkle.subtrees(*r)])
        proof = merkle.consistency_proof(old_size, new_size, lookup)
        try:
            merkle.verify_consistency(old_size, new_size, proof, bytes(old.root), bytes(new.root))
        except ProofError as e:
            raise LedgerError(f"checkpoints {old_size} and {new_size} are not consistent ({e}); run `stillroom ledger verify`") from None
        return {
            "origin": self.origin,
            "old_size": old_size,
            "new_size": new_size,
            "old_root": bytes(old.root).hex(),
            "new_root": bytes(new.root).hex(),
            "proof": [h.hex() for h in proof],
            "old_checkpoint": old.note,
            "new_checkpoint": new.note,
        }

    def verify(self) -> VerifyReport:
        """Recompute everything from the signed bytes, pinned to this ledger's own node key."""
        with self.engine.connect() as s:
            notes = list(s.execute(select(CHECKPOINTS.c.note)).scalars())
        name, key = self.node
        return verify_rows(self.rows(), notes, origin=self.origin, active_node_key=(name, key.public_key()))

    def verifier_keys(self) -> dict[str, str]:
        """Every key the ledger has introduced: name -> C2SP verifier key."""
        with self.engine.connect() as s:
            return dict(s.execute(select(KEYS.c.name, KEYS.c.verifier_key).order_by(KEYS.c.introduced_seq)).all())

    def entries(self, *, kind: str | None = None, run_id: str | None = None, limit: int = 200) -> list[Entry]:
        """The newest ``limit`` entries, newest first, of one kind and/or one run when given."""
        query = select(ENTRIES.c.leaf, ENTRIES.c.signature).order_by(ENTRIES.c.seq.desc()).limit(limit)
        if kind:
            query = query.where(ENTRIES.c.kind == kind)
        if run_id:
            query = query.where(ENTRIES.c.run_id == run_id)
        with self.engine.connect() as s:
            return [entry_from_leaf(bytes(r.leaf), bytes(r.signature)) for r in s.execute(query)]

    def kinds(self) -> list[str]:
        """Every entry kind in the log, sorted."""
        with self.engine.connect() as s:
            return list(s.execute(select(ENTRIES.c.kind).distinct().order_by(ENTRIES.c.kind)).scalars())

    def export(self, directory) -> None:
        from stillroom.ledger.export import export_ledger

        export_ledger(self, directory)

    def rows(self) -> Iterator[Row]:
        """(seq, canonical bytes, signature, stored leaf hash) of every entry in order, a page at a time."""
        seq = 0
        while True:
            with self.engine.connect() as s:
                page = s.execute(
                    select(ENTRIES.c.seq, ENTRIES.c.leaf, ENTRIES.c.signature, ENTRIES.c.leaf_hash)
                    .where(ENTRIES.c.seq >= seq).order_by(ENTRIES.c.seq).limit(PAGE)
                ).all()
            if not page:
                return
            for row in page:
                yield row.seq, bytes(row.leaf), bytes(row.signature), bytes(row.leaf_hash)
            seq = page[-1].seq + 1

    def _append(self, drafts: list[tuple[Draft, Signer]]) -> list[Entry]:
        with db.write_session(self.engine) as session:
            return self._write(session.connection(), drafts)

    def _write(self, s, drafts: list[tuple[Draft, Signer]]) -> list[Entry]:
        """Append under the writer lock the caller holds; writes the genesis entry first on an empty log."""
        size, prev = _head(s)
        asked = len(drafts)
        if size == 0:
            name, key = self.node
            genesis = Draft(GENESIS, {"origin": self.origin, "verifier_key": signing.verifier_key(name, key.public_key())}, "stillroom")
            for _, signer in drafts:
                if signer != self.node:  # only the genesis key exists yet
                    raise LedgerError(f"key {signer[0]!r} is not known to the ledger; introduce it with add_key first")
            drafts = [(genesis, self.node), *drafts]
        else:
            for signer in {signer for _, signer in drafts}:
                self._check_signer(s, signer)
        lookup = _node_lookup(s, merkle.subtrees(0, size))
        entries, nodes, keys, retired = [], [], [], None
        for draft, (name, key) in drafts:
            time, prev_hex = now(), prev.hex() if prev else None
            leaf = canonical_entry(seq=size, time=time, kind=draft.kind, actor=draft.actor, signer=name,
                                   run_id=draft.run_id, payload=draft.payload, prev=prev_hex)
            entry = Entry(size, time, draft.kind, draft.actor, name, draft.run_id, draft.payload, prev_hex, leaf, key.sign(leaf))
            leaf_hash = merkle.leaf_hash(leaf)
            for level, idx, h in merkle.append_subtrees(size, leaf_hash, lookup):
                lookup.table[level, idx] = h
                nodes.append({"level": level, "idx": idx, "hash": h})
            entries.append(entry)
            if draft.kind in KEY_KINDS:
                role = draft.payload.get("role", NODE)
                keys.append({"name": draft.payload["verifier_key"].split("+", 1)[0],
                             "verifier_key": draft.payload["verifier_key"], "role": role, "introduced_seq": size})
                if draft.kind == KEY_ROTATED:
                    retired = (name, size)
            prev, size = leaf_hash, size + 1
        s.execute(_INSERT_ENTRIES, [_entry_row(e) for e in entries])
        s.execute(_INSERT_NODES, nodes)
        if keys:
            self._insert_keys(s, keys)
        if retired:
            s.execute(update(KEYS).where(KEYS.c.name == retired[0]).values(retired_seq=retired[1]))
        return entries[len(entries) - asked :]

    def _insert_keys(self, s, keys: list[dict]) -> None:
        taken = set(s.execute(select(KEYS.c.name).where(KEYS.c.name.in_([k["name"] for k in keys]))).scalars())
        if taken or len({k["name"] for k in keys}) != len(keys):
            raise LedgerError(f"key name {min(taken) if taken else keys[0]['name']!r} is already in use; key names are never reused")
        s.execute(insert(KEYS), keys)

    def _check_signer(self, s, signer: Signer) -> None:
        name, key = signer
        row = s.execute(_KEY, {"name": name}).one_or_none()
        if row is None:
            raise LedgerError(f"key {name!r} is not known to the ledger; introduce it with add_key first")
        if row.verifier_key != _verifier_key(name, key):
            raise LedgerError(f"the key offered as {name!r} is not the key the ledger knows by that name")
        if row.retired_seq is not None:
            raise LedgerError(f"key {name!r} was retired at entry {row.retired_seq}; sign with the current node key")


def check_key_name(name: str) -> None:
    """Ledger key names also name files (``keys/<name>.vkey``), so they stay within a safe alphabet."""
    if not _KEY_NAME.fullmatch(name):
        raise LedgerError(f"key name {name!r} must start with a letter or digit and use only letters, digits, '.', '_' or '-'")


class _Lookup:
    """Subtree hashes fetched in one query; a missing one means the stored tree is damaged."""

    def __init__(self, table: dict[tuple[int, int], bytes]) -> None:
        self.table = table

    def __call__(self, level: int, idx: int) -> bytes:
        try:
            return self.table[level, idx]
        except KeyError:
            raise LedgerError(f"the stored subtree hash ({level}, {idx}) is missing; run `stillroom ledger verify`") from None


def _node_lookup(s, keys: list[tuple[int, int]]) -> _Lookup:
    if not keys:
        return _Lookup({})
    # OR of point lookups, not a row-value IN: SQLite scans the whole table for the latter.
    # Plain SQL text because building the expression per call cost more than running it.
    keys = sorted(set(keys))
    where = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(len(keys)))
    params = {f"{p}{i}": v for i, key in enumerate(keys) for p, v in zip("li", key)}
    rows = s.execute(text(f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}"), params)
    return _Lookup({(r.level, r.idx): bytes(r.hash) for r in rows})


def _size(s) -> int:
    return _head(s)[0]


def _head(s) -> tuple[int, bytes | None]:
    """The log's size and its last leaf hash (None when empty)."""
    last = s.execute(_HEAD).one_or_none()
    return (0, None) if last is None else (last.seq + 1, bytes(last.leaf_hash))


def _latest_checkpoint(s):
    return s.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc(), CHECKPOINTS.c.id.desc()).limit(1)).one_or_none()


def _checkpoint_at(s, size: int):
    row = s.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.size == size).order_by(CHECKPOINTS.c.id.desc()).limit(1)).one_or_none()
    if row is None:
        raise NotInLedger(f"there is no checkpoint of size {size}; `stillroom ledger checkpoint` makes one of the whole log")
    return row


def _entry_row(e: Entry) -> dict:
    return {"seq": e.seq, "time": e.time, "kind": e.kind, "actor": e.actor, "signer": e.signer, "run_id": e.run_id,
            "leaf": e.leaf, "leaf_hash": e.leaf_hash, "signature": e.signature}


@lru_cache(maxsize=64)
def _verifier_key(name: str, key: Ed25519PrivateKey) -> str:
    return signing.verifier_key(name, key.public_key())


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()
