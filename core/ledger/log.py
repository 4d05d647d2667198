"""The ledger on the store: signed appends, checkpoints and proofs.

Every append runs in one writer transaction (``db.write_cursor``: SQLite
``BEGIN IMMEDIATE``, PostgreSQL an advisory lock), so seq is contiguous under
any number of processes and a batch lands whole or not at all. Each append
stores the hashes of the complete subtrees it finishes (``merkle.append_subtrees``):
about two rows per entry, read back O(log n) at a time, so roots and proofs
never rebuild the tree.

A durable commit per entry is the common case (every stage records as it
goes), so that path is kept to what the commit needs: a bare DB-API cursor,
statements written once, and the tree's right edge (the log's head and the
subtree hashes the next leaf joins) remembered from this process's last
append. Under the lock the stored head is read and compared with the
remembered one; any other writer in between makes them differ, and the edge
is read back from the store instead. Nothing is trusted across that check:
an append log only grows, so an unchanged head means an unchanged tree and
unchanged keys (keys change only with an entry).

Which key may sign what is the verified chain's rule (``KeyChain``), applied at
append exactly as ``verify`` applies it: the chain is rebuilt from the stored
rows (``trust``; only rows appended since the last read) and every key entry,
governance entry and new signer is run through it before anything is written.
The ``ledger_keys`` table is a cache for listings and verification hints.
"""

import base64
import dataclasses
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.engine import Engine

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint, read_checkpoint, sign_checkpoint
from stillroom.ledger.entry import (
    GENESIS,
    GOVERNANCE_KINDS,
    KEY_ADDED,
    KEY_KINDS,
    KEY_RETIRED,
    KEY_ROTATED,
    Entry,
    canonical_entry,
    entry_from_leaf,
    now,
)
from stillroom.ledger.errors import LedgerError, NotInLedger, ProofError
from stillroom.ledger.keychain import NODE, ROLES, KeyChain
from stillroom.ledger.nodesigner import NodeSigner, as_node_signer
from stillroom.ledger.verify import HeldCheckpoints, Row, TrustWalk, VerifyReport, verify_rows
from stillroom.store import db
from stillroom.store.models import LedgerCheckpoint, LedgerEntry, LedgerKey

# SQLModel makes __table__ when a table=True class is built; its stubs do not declare it
ENTRIES, CHECKPOINTS, KEYS = (m.__table__ for m in (LedgerEntry, LedgerCheckpoint, LedgerKey))  # type: ignore[union-attr]
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{3,127}")
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
PAGE = 5000  # rows per read when streaming the whole log
# Driver-level SQL (``?`` becomes the driver's placeholder): the append path runs it on a bare cursor,
# the read paths through SQLAlchemy's exec_driver_sql; one text for both.
_HEAD = "SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
_LATEST_CHECKPOINT = "SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC, id DESC LIMIT 1"
_ROWS_FROM = "SELECT seq, leaf, signature, leaf_hash FROM ledger_entries WHERE seq >= ? ORDER BY seq"
_INSERT_ENTRY = ("INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, signature) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_NODE = "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)"
_INSERT_KEY = "INSERT INTO ledger_keys (name, verifier_key, role, introduced_seq, retired_seq) VALUES (?, ?, ?, ?, NULL)"
_KEY_TAKEN = "SELECT name FROM ledger_keys WHERE name = ?"
_RETIRE_KEY = "UPDATE ledger_keys SET retired_seq = ? WHERE name = ?"
# ledger_keys is a cache of the key chain, for listings and for the verifier's workers' key hints: every
# decision (may this key sign this entry, whose key is it, which roles does its owner hold) is read from
# the chain itself, verified (``trust``).
_KEY_CHANGES = (*KEY_KINDS, KEY_RETIRED)  # kinds only add_key, rotate_key and retire_keys write
_INSERT_CHECKPOINT = "INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)"

Signer = tuple[str, Ed25519PrivateKey | NodeSigner]  # a person's key, or the node's signer


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
        self.node: tuple[str, NodeSigner] = (signer_name, as_node_signer(signer_key))
        self.origin = origin
        self._sql = _Statements(db.placeholder(engine))
        self._edge: _Edge | None = None  # replaced whole, never mutated: threads may share a ledger
        self._trust: TrustWalk | None = None  # the verified key chain as of some size; guarded by _trust_lock
        self._trust_lock = threading.RLock()

    @classmethod
    def for_workspace(cls, workspace) -> "Ledger":
        """The workspace's ledger, signing with its node key; refused while a key rotation is half done."""
        from stillroom.ledger.rotation import refuse_if_interrupted

        ledger = cls(workspace.engine, workspace.node_key_name, workspace.node_signer(), workspace.origin)
        refuse_if_interrupted(workspace, ledger)
        return ledger

    @classmethod
    def reader(cls, engine: Engine, origin: str) -> "Ledger":
        """A ledger to read and verify only: its signing key is a throwaway the chain never introduced."""
        return cls(engine, "reader", signing.generate_key(), origin)

    def record(self, kind: str, payload: dict[str, Any], *, actor: str, run_id: str | None = None,
               signed_by: Signer | None = None) -> Entry:
        """Append one entry, signed by the node key or by ``signed_by`` (a person's key the ledger knows)."""
        return self.record_many([Draft(kind, payload, actor, run_id)], signed_by=signed_by)[0]

    def record_many(self, drafts: Sequence[Draft], *, signed_by: Signer | None = None) -> list[Entry]:
        """Append entries atomically, with contiguous seqs, all signed by one key."""
        for draft in drafts:
            if draft.kind in _KEY_CHANGES:
                raise LedgerError(f"{draft.kind} entries are written by add_key, rotate_key and retire_keys only")
        return self._append([(d, signed_by or self.node) for d in drafts])

    def govern(self, drafts: Sequence[Draft], *, signed_by: Signer | None) -> list[Entry]:
        """Append governance entries (``GOVERNANCE_KINDS``: a person key, its retirement, a user, a reset, a
        policy) atomically, signed by an admin's own key; by the node key (``signed_by=None``) only while the
        chain has no admin. The chain's rule is checked here as the verifier checks it, so nothing it would
        refuse is ever written."""
        for draft in drafts:
            if draft.kind not in GOVERNANCE_KINDS:
                raise LedgerError(f"{draft.kind} is not a governance entry; record it with record()")
        return self._append([(d, signed_by or self.node) for d in drafts])

    def add_key(self, name: str, public_key: Ed25519PublicKey, *, role: str, actor: str) -> Entry:
        """Introduce a key, signed by the node key: a governance entry, so only while the chain has no admin
        (tests and tools that build a bare ledger); people's keys come with ``govern`` and an admin's key."""
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
        self.node = (name, as_node_signer(key))
        return entry

    def retire_keys(self, names: Sequence[str], *, reason: str, actor: str,
                    along_with: Sequence[Draft] = (), signed_by: Signer | None = None) -> list[Entry]:
        """Retire person keys (a ``key.retired`` entry each, signed by the node key): from its entry on, a
        key signs nothing the ledger accepts. ``along_with`` is appended in the same atomic batch, after them,
        so the event that retires the keys (a user reset) and the retirement land together or not at all."""
        for draft in along_with:
            if draft.kind in (*KEY_KINDS, KEY_RETIRED) and draft.kind != KEY_ADDED:
                raise LedgerError(f"{draft.kind} entries are written by add_key, rotate_key and retire_keys only")
        retirements = [Draft(KEY_RETIRED, {"key": name, "role": "person", "reason": reason}, actor) for name in names]
        return self._append([(d, signed_by or self.node) for d in (*retirements, *along_with)])

    def size(self) -> int:
        with self.engine.connect() as s:
            return _size(s)

    def checkpoint(self) -> str:
        """Sign and store a checkpoint of the whole log (the latest one, if nothing was appended since)."""
        if self.size() == 0:
            self._append([])  # the genesis entry: a checkpoint never covers an empty log
        with db.write_cursor(self.engine) as cursor:
            edge = self._edge_now(cursor)
            cursor.execute(_LATEST_CHECKPOINT)
            latest = cursor.fetchone()
            if latest is not None and latest[0] == edge.size:
                return latest[2]
            self._check_node(cursor, edge)
            root = merkle.root(edge.size, _Lookup(edge.subtrees))
            note = sign_checkpoint(Checkpoint(self.origin, edge.size, root), [self.node])
            cursor.execute(self._sql.insert_checkpoint, (edge.size, root, note))
        self._edge = edge
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

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, new_size) from the stored tree, whatever checkpoints the store holds (for a witness)."""
        with self.engine.connect() as s:
            if not 0 < old_size <= new_size <= _size(s):
                raise NotInLedger(f"no consistency proof from size {old_size} to {new_size} in a log of {_size(s)}")
            ranges = merkle.consistency_ranges(old_size, new_size)
            lookup = _node_lookup(s, [key for r in ranges for key in merkle.subtrees(*r)])
        return merkle.consistency_proof(old_size, new_size, lookup)

    def add_cosigned(self, note: str) -> None:
        """Store ``note``, a checkpoint this ledger signed with more signatures (a witness's), as the latest one."""
        checkpoint = read_checkpoint(note)
        with db.write_cursor(self.engine) as cursor:
            cursor.execute(_LATEST_CHECKPOINT)
            latest = cursor.fetchone()
            if latest is None or read_checkpoint(latest[2]).text() != checkpoint.text() \
                    or not note.startswith(latest[2]):
                raise LedgerError("a cosigned checkpoint must extend the latest checkpoint this ledger signed")
            cursor.execute(self._sql.insert_checkpoint, (checkpoint.size, checkpoint.root, note))

    def verify(self, held: HeldCheckpoints = ()) -> VerifyReport:
        """Recompute everything from the signed bytes, pinned to this ledger's own node key; ``held``
        checkpoints (kept outside the store: an auditor's, a witness's) must be covered and match too."""
        with self.engine.connect() as s:
            notes = list(s.execute(select(CHECKPOINTS.c.note)).scalars())
        name, key = self.node
        signer_view = key.held_checkpoint()  # the signer's own last state: the store must still cover it
        held = [*held, *([("of the signer's state", signer_view)] if signer_view else [])]
        return verify_rows(self.rows(), notes, origin=self.origin, active_node_key=(name, key.public_key()),
                           key_hints=self._stored_keys(), held=held)

    def trust(self) -> KeyChain:
        """The key chain of the whole log as it is now, verified (hash chain and every signature): person keys,
        their owners and retirement, users and roles, the policy in force. A snapshot, safe to keep; raises
        ``LedgerError`` when the log does not verify. Only the rows appended since the last call are read."""
        with self._trust_lock:
            for attempt in (0, 1):
                walk = self._trust if attempt == 0 and self._trust is not None else TrustWalk()
                try:
                    with self.engine.connect() as s:
                        size, head = _head_of(s.exec_driver_sql(_HEAD).one_or_none())
                        if walk.size > size or (walk.size == size and walk.head != head):
                            walk = TrustWalk()  # the log shrank or was rewritten: start again from entry 0
                        self._feed(walk, s.exec_driver_sql(_in_style(_ROWS_FROM, db.placeholder(self.engine)),
                                                           (walk.size,)))
                except LedgerError:
                    self._trust = None
                    if attempt:
                        raise
                    continue
                self._trust = walk
                return walk.chain.snapshot()
        raise AssertionError("unreachable")

    def verifier_keys(self) -> dict[str, str]:
        """Every key the verified chain has introduced: name -> C2SP verifier key."""
        return self.trust().verifier_keys()

    def retired_node_keys(self) -> dict[str, str]:
        """The node keys ``rotate-key`` replaced: name -> C2SP verifier key."""
        return {k.name: k.verifier_key for k in self.trust().keys.values() if k.role == NODE and k.retired is not None}

    def _stored_keys(self) -> dict[str, str]:
        """The keys as the store's cache lists them: hints for verification workers, trusted for nothing."""
        with self.engine.connect() as s:
            return dict(s.execute(select(KEYS.c.name, KEYS.c.verifier_key).order_by(KEYS.c.introduced_seq)).all())

    @staticmethod
    def _feed(walk: TrustWalk, rows) -> None:
        for row in rows:
            walk.feed((row[0], bytes(row[1]), bytes(row[2]), bytes(row[3])))

    def holds_checkpoint(self, note: str) -> bool:
        """Whether this ledger stored exactly this signed checkpoint (same size, root and signatures)."""
        size = note.split("\n")[1] if note.count("\n") >= 2 else ""
        if not size.isdigit():
            return False
        with self.engine.connect() as s:
            notes = s.execute(select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.size == int(size))).scalars()
            return any(stored == note for stored in notes)

    def entries(self, *, kind: str | None = None, run_id: str | None = None, limit: int = 200) -> list[Entry]:
        """The newest ``limit`` entries, newest first, of one kind and/or one run when given."""
        query = select(ENTRIES.c.leaf, ENTRIES.c.signature).order_by(ENTRIES.c.seq.desc()).limit(limit)
        if kind:
            query = query.where(ENTRIES.c.kind == kind)
        if run_id:
            query = query.where(ENTRIES.c.run_id == run_id)
        with self.engine.connect() as s:
            return [entry_from_leaf(bytes(r.leaf), bytes(r.signature)) for r in s.execute(query)]

    def mentioning(self, token: str) -> list[Entry]:
        """Every entry whose signed bytes contain ``token`` (a request id, say), oldest first.

        Found in the canonical bytes, never through the ``kind`` or ``run_id`` columns: those are
        copies for queries that no signature covers, so a DBA could change them unseen."""
        if not _TOKEN.fullmatch(token):
            raise LedgerError(f"{token!r} is not a token entries can be searched for (letters, digits, '.', '-')")
        found = "position(? in leaf) > 0" if self.engine.dialect.name == "postgresql" else "instr(leaf, ?) > 0"
        sql = _in_style(f"SELECT leaf, signature FROM ledger_entries WHERE {found} ORDER BY seq",
                        db.placeholder(self.engine))
        with self.engine.connect() as s:
            return [entry_from_leaf(bytes(leaf), bytes(signature))
                    for leaf, signature in s.exec_driver_sql(sql, (token.encode(),))]

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
        with self._trust_lock:
            try:
                with db.write_cursor(self.engine) as cursor:
                    edge, entries = self._write(cursor, drafts)
            except BaseException:
                self._trust = None  # it may have taken in entries that were rolled back
                raise
        self._edge = edge  # only once committed: a rolled-back append leaves the store's edge as it was
        return entries

    def _write(self, cursor, drafts: list[tuple[Draft, Signer]]) -> tuple["_Edge", list[Entry]]:
        """Append under the writer lock; writes the genesis entry first on an empty log."""
        edge = self._edge_now(cursor)
        size, prev = edge.size, edge.head
        asked = len(drafts)
        if size == 0:
            node_name, node_key = self.node
            genesis = Draft(GENESIS, {"origin": self.origin, "verifier_key": _verifier_key(node_name, node_key)},
                            "stillroom")
            for _, signer in drafts:
                if signer != self.node:  # only the genesis key exists yet
                    raise LedgerError(f"key {signer[0]!r} is not known to the ledger; introduce it with add_key first")
            drafts = [(genesis, self.node), *drafts]
        checked = set(edge.signers)
        # The chain decides every key entry, every governance entry and every signer not yet seen usable
        # at this very head: the same rules the verifier applies, so nothing it would refuse is written.
        walk = None
        if size == 0 or any(d.kind in _KEY_CHANGES or d.kind in GOVERNANCE_KINDS
                            or (s[0], _verifier_key(*s)) not in checked for d, s in drafts):
            walk = self._walk_at(cursor, edge.size, edge.head)
        table = dict(edge.subtrees)
        lookup = _Lookup(table)
        unsigned, nodes, keys, retired = [], [], [], []
        for draft, (name, key) in drafts:
            time, prev_hex = now(), prev.hex() if prev else None
            leaf = canonical_entry(seq=size, time=time, kind=draft.kind, actor=draft.actor, signer=name,
                                   run_id=draft.run_id, payload=draft.payload, prev=prev_hex)
            entry = Entry(size, time, draft.kind, draft.actor, name, draft.run_id, draft.payload, prev_hex, leaf, b"")
            if walk is not None:  # checked against the chain before anything is signed (see below)
                walk.append(entry, signing.public_bytes(key.public_key()))
                checked.add((name, _verifier_key(name, key)))
            leaf_hash = merkle.leaf_hash(leaf)
            for level, idx, h in merkle.append_subtrees(size, leaf_hash, lookup):
                table[level, idx] = h
                nodes.append((level, idx, h))
            unsigned.append((entry, leaf_hash, key))
            if draft.kind in KEY_KINDS:
                verifier = draft.payload["verifier_key"]
                keys.append((verifier.split("+", 1)[0], verifier, draft.payload.get("role", NODE), size))
                if draft.kind == KEY_ROTATED:
                    retired.append((size, name))
            elif draft.kind == KEY_RETIRED:
                retired.append((size, draft.payload["key"]))
            prev, size = leaf_hash, size + 1
        if keys:
            self._insert_keys(cursor, keys)
        # Signed last, once every check passed: a signer that keeps state (stillroom.signer) is told of each
        # entry in seq order, and one it signed for a batch that then failed would leave it ahead of the store.
        entries = [(self._sign(entry, key), h) for entry, h, key in unsigned]
        if entries:
            cursor.executemany(self._sql.insert_entry, [
                (e.seq, e.time, e.kind, e.actor, e.signer, e.run_id, e.leaf, h, e.signature) for e, h in entries])
            cursor.executemany(self._sql.insert_node, nodes)
        if retired:
            cursor.executemany(self._sql.retire_key, retired)
        if walk is not None:
            self._trust = walk
        edge = _Edge(size, prev, {k: table[k] for k in merkle.subtrees(0, size) if k in table},
                     frozenset() if keys or retired else frozenset(checked))  # a key entry may retire a checked signer
        return edge, [e for e, _ in entries[len(entries) - asked :]]

    def _sign(self, entry: Entry, key) -> Entry:
        node = self.node[1]
        signature = key.sign(entry.leaf)
        if key is not node:
            node.observe(entry.leaf, signature)
        return dataclasses.replace(entry, signature=signature)

    def _edge_now(self, cursor) -> "_Edge":
        """The log's right edge under the lock: the remembered one when the stored head still matches it."""
        size, head = self._head(cursor)
        edge = self._edge
        if edge is not None and edge.size == size and edge.head == head:
            return edge
        return _Edge(size, head, self._subtrees(cursor, merkle.subtrees(0, size)).table)

    def _head(self, cursor) -> tuple[int, bytes | None]:
        cursor.execute(_HEAD)
        return _head_of(cursor.fetchone())

    def _subtrees(self, cursor, keys: list[tuple[int, int]]) -> "_Lookup":
        if not keys:
            return _Lookup({})
        sql, params = _nodes_query(keys)
        cursor.execute(_in_style(sql, self._sql.placeholder), params)
        return _Lookup({(level, idx): bytes(h) for level, idx, h in cursor.fetchall()})

    def _insert_keys(self, cursor, keys: list[tuple[str, str, str, int]]) -> None:
        names = [k[0] for k in keys]
        taken: set[str] = set()
        for name in names:
            cursor.execute(self._sql.key_taken, (name,))
            taken.update(row[0] for row in cursor.fetchall())
        if taken or len(set(names)) != len(names):
            raise LedgerError(f"key name {min(taken) if taken else names[0]!r} is already in use; key names are never reused")
        cursor.executemany(self._sql.insert_key, keys)

    def _walk_at(self, cursor, size: int, head: bytes | None) -> TrustWalk:
        """The verified chain at exactly this head (under the writer lock): the kept one, extended by the rows
        appended since, or read again from entry 0 when the log is not the one it was built from."""
        walk = self._trust
        if walk is None or walk.size > size or (walk.size == size and walk.head != head):
            walk = TrustWalk()
        if walk.size < size:
            cursor.execute(self._sql.rows_from, (walk.size,))
            try:
                self._feed(walk, cursor.fetchall())
            except LedgerError:
                if walk.size == 0:
                    raise
                walk = TrustWalk()
                cursor.execute(self._sql.rows_from, (0,))
                self._feed(walk, cursor.fetchall())
        if walk.head != head:
            raise LedgerError("the log changed under the writer lock; run `stillroom ledger verify`")
        return walk

    def _check_node(self, cursor, edge: "_Edge") -> None:
        """The node key signs a checkpoint only while the verified chain holds it as an active node key."""
        name, key = self.node
        known = self._walk_at(cursor, edge.size, edge.head).chain.keys.get(name)
        if known is None:
            raise LedgerError(f"key {name!r} is not known to the ledger; introduce it with add_key first")
        if known.verifier_key != _verifier_key(name, key):
            raise LedgerError(f"the key offered as {name!r} is not the key the ledger knows by that name")
        if known.retired is not None:
            raise LedgerError(f"key {name!r} was retired at entry {known.retired} and signs nothing after it; "
                              "sign with the current node key")
        if known.role != NODE:
            raise LedgerError(f"key {name!r} is a {known.role} key; only a node key signs checkpoints")


class _Statements:
    """The write path's statements in the driver's own placeholder style, converted once per ledger."""

    def __init__(self, placeholder: str) -> None:
        self.placeholder = placeholder
        self.rows_from, self.key_taken, self.retire_key = (
            _in_style(q, placeholder) for q in (_ROWS_FROM, _KEY_TAKEN, _RETIRE_KEY))
        self.insert_entry, self.insert_node, self.insert_key, self.insert_checkpoint = (
            _in_style(q, placeholder) for q in (_INSERT_ENTRY, _INSERT_NODE, _INSERT_KEY, _INSERT_CHECKPOINT))


def _in_style(sql: str, placeholder: str) -> str:
    return sql if placeholder == "?" else sql.replace("?", placeholder)


@dataclass(frozen=True)
class _Edge:
    """The log's right edge after this process's last append: enough to append the next leaf without reading."""

    size: int
    head: bytes | None  # the last leaf hash
    subtrees: dict[tuple[int, int], bytes]  # merkle.subtrees(0, size) -> hash
    signers: frozenset[tuple[str, str]] = frozenset()  # (name, verifier key) checked usable at this size


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
    """The subtree hashes at ``keys``, read on a SQLAlchemy connection."""
    if not keys:
        return _Lookup({})
    sql, params = _nodes_query(keys)
    rows = s.exec_driver_sql(_in_style(sql, db.placeholder(s.engine)), params)
    return _Lookup({(level, idx): bytes(h) for level, idx, h in rows})


def _nodes_query(keys: list[tuple[int, int]]) -> tuple[str, tuple[int, ...]]:
    # OR of point lookups, not a row-value IN: SQLite scans the whole table for the latter.
    keys = sorted(set(keys))
    where = " OR ".join(["(level = ? AND idx = ?)"] * len(keys))
    return f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}", tuple(v for key in keys for v in key)


def _size(s) -> int:
    return _head_of(s.exec_driver_sql(_HEAD).one_or_none())[0]


def _head_of(last) -> tuple[int, bytes | None]:
    """The log's size and its last leaf hash (None when empty), from the last entry's (seq, leaf_hash)."""
    return (0, None) if last is None else (last[0] + 1, bytes(last[1]))


def _latest_checkpoint(s):
    return s.exec_driver_sql(_LATEST_CHECKPOINT).one_or_none()


def _checkpoint_at(s, size: int):
    row = s.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.size == size).order_by(CHECKPOINTS.c.id.desc()).limit(1)).one_or_none()
    if row is None:
        raise NotInLedger(f"there is no checkpoint of size {size}; `stillroom ledger checkpoint` makes one of the whole log")
    return row


@lru_cache(maxsize=64)
def _verifier_key(name: str, key: Ed25519PrivateKey | NodeSigner) -> str:
    return signing.verifier_key(name, key.public_key())


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()
