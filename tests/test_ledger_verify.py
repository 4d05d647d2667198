"""Verification of a large log by a process pool: the same report as one process, down to the first failure.

The pool starts after ``PARALLEL_AFTER`` entries; here that is lowered to 10
and the chunks to 7 entries, so a 60-entry log crosses both, with real worker
processes on a real store.
"""

import base64
import json
import os
from concurrent.futures import ProcessPoolExecutor

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from stillroom import signing
from stillroom.ledger import merkle, verify
from stillroom.ledger.entry import canonical_entry, provably_canonical
from stillroom.ledger.verify import verify_offline
from tests.ledger_helpers import new_ledger, stage_drafts

N = 60  # entries, genesis included
SEQ = 40  # where the tampering lands: well inside the pool's part of the log


class CountingPool(ProcessPoolExecutor):
    """A real process pool that counts the chunks handed to it, so a test knows the pool did the work."""

    chunks = 0

    def submit(self, fn, /, *args, **kwargs):
        CountingPool.chunks += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def ledger(database_url):
    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(N - 1))
    ledger.checkpoint()
    return ledger


def in_one_process_then_by_a_pool(monkeypatch, check):
    """The report from one process (the log is under the default threshold) and from a pool; both returned."""
    alone = check()
    monkeypatch.setattr(verify, "PARALLEL_AFTER", 10)
    monkeypatch.setattr(verify, "CHUNK", 7)
    monkeypatch.setattr(verify, "_workers", lambda: 2)
    monkeypatch.setattr(verify, "ProcessPoolExecutor", CountingPool)
    CountingPool.chunks = 0
    pooled = check()
    assert CountingPool.chunks > 0, "the pool was never used"
    return alone, pooled


def sql(ledger, statement, **params):
    with ledger.engine.begin() as conn:
        conn.execute(text(statement), params)


def leaf_of(ledger, seq) -> bytes:
    with ledger.engine.connect() as conn:
        return bytes(conn.execute(text("SELECT leaf FROM ledger_entries WHERE seq = :seq"), {"seq": seq}).scalar_one())


def edit_payload(ledger):
    leaf = leaf_of(ledger, SEQ).replace(b'"records":390', b'"records":391')
    sql(ledger, "UPDATE ledger_entries SET leaf = :leaf, leaf_hash = :h WHERE seq = :seq",
        leaf=leaf, h=merkle.leaf_hash(leaf), seq=SEQ)


def delete_entry(ledger):
    sql(ledger, "DELETE FROM ledger_entries WHERE seq = :seq", seq=SEQ)


def damage_stored_hash(ledger):
    sql(ledger, "UPDATE ledger_entries SET leaf_hash = :h WHERE seq = :seq", h=bytes(32), seq=SEQ)


def respace_leaf(ledger):
    sql(ledger, "UPDATE ledger_entries SET leaf = :leaf WHERE seq = :seq", leaf=leaf_of(ledger, SEQ).replace(b",", b", ", 1),
        seq=SEQ)


def forge_with_a_planted_key(ledger):
    """Mallory plants her key under the node's name in the key table and signs an entry with it.

    A worker checks the signature under the key the table names, and it verifies; the walk
    knows the node's real key from the log itself, and must refuse the entry all the same.
    """
    mallory = signing.generate_key()
    sql(ledger, "UPDATE ledger_keys SET verifier_key = :vk WHERE name = 'node'",
        vk=signing.verifier_key("node", mallory.public_key()))
    prev = merkle.leaf_hash(leaf_of(ledger, SEQ - 1)).hex()
    leaf = canonical_entry(seq=SEQ, time="2030-01-01T00:00:00.000000Z", kind="release.approved", actor="mallory",
                           signer="node", run_id=None, payload={"approved": True}, prev=prev)
    sql(ledger, "UPDATE ledger_entries SET leaf = :leaf, leaf_hash = :h, signature = :sig WHERE seq = :seq",
        leaf=leaf, h=merkle.leaf_hash(leaf), sig=mallory.sign(leaf), seq=SEQ)


@pytest.mark.parametrize(("tamper", "what"), [
    (None, None),
    (edit_payload, "signature"),
    (delete_entry, "seq"),
    (damage_stored_hash, "stored leaf hash"),
    (respace_leaf, "entry format"),
    (forge_with_a_planted_key, "signature"),
])
def test_a_pool_reports_exactly_what_one_process_reports(ledger, monkeypatch, tamper, what):
    if tamper:
        tamper(ledger)
    alone, pooled = in_one_process_then_by_a_pool(monkeypatch, ledger.verify)
    assert pooled == alone
    if what is None:
        assert pooled.ok and pooled.entries == N and pooled.checkpoints == 1
    else:
        assert (pooled.failure.seq, pooled.failure.what) == (SEQ, what), str(pooled)


def test_offline_a_pool_reports_exactly_what_one_process_reports(ledger, monkeypatch, tmp_path):
    ledger.export(tmp_path / "export")
    entries = tmp_path / "export" / "entries.jsonl"
    alone, pooled = in_one_process_then_by_a_pool(monkeypatch, lambda: verify_offline(tmp_path / "export"))
    assert pooled == alone and pooled.ok and pooled.entries == N

    monkeypatch.undo()
    lines = entries.read_bytes().splitlines(keepends=True)
    lines[SEQ] = b'{"entry": not json}\n'
    entries.write_bytes(b"".join(lines))
    alone, pooled = in_one_process_then_by_a_pool(monkeypatch, lambda: verify_offline(tmp_path / "export"))
    assert pooled == alone
    assert (pooled.failure.seq, pooled.failure.what) == (SEQ, "entries.jsonl line")


def test_offline_a_pool_refuses_a_re_signed_entry_whose_key_the_export_also_planted(ledger, monkeypatch, tmp_path):
    ledger.export(tmp_path / "export")
    entries = tmp_path / "export" / "entries.jsonl"
    mallory = signing.generate_key()
    lines = entries.read_text().splitlines(keepends=True)
    record = json.loads(lines[SEQ])
    record["entry"]["payload"]["records"] = 0
    record["signature"] = base64.b64encode(mallory.sign(rfc8785.dumps(record["entry"]))).decode()
    lines[SEQ] = json.dumps(record) + "\n"
    entries.write_text("".join(lines))
    (tmp_path / "export" / "keys" / "node.vkey").write_text(signing.verifier_key("node", mallory.public_key()))
    alone, pooled = in_one_process_then_by_a_pool(monkeypatch, lambda: verify_offline(tmp_path / "export"))
    assert pooled == alone
    assert (pooled.failure.seq, pooled.failure.what) == (SEQ, "signature")


def die(rows):
    """A worker that dies mid-task, as one killed by the out-of-memory killer would."""
    os._exit(1)


def test_a_worker_that_dies_leaves_the_rest_to_this_process_and_the_same_report(ledger, monkeypatch):
    damage_stored_hash(ledger)
    monkeypatch.setattr(verify, "_check_chunk", die)
    alone, pooled = in_one_process_then_by_a_pool(monkeypatch, ledger.verify)
    assert pooled == alone
    assert (pooled.failure.seq, pooled.failure.what) == (SEQ, "stored leaf hash")


# -- the cheap proof that stored bytes are canonical -------------------------------------


def json_values(scalars, text):
    return st.recursive(scalars | text, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(text, children, max_size=4), max_leaves=12)


bmp_text = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=8)
anything = json_values(st.none() | st.booleans() | st.integers(min_value=-2**60, max_value=2**60)
                       | st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
plain = json_values(st.none() | st.booleans() | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1), bmp_text)


def compact_sorted(value) -> bytes:
    """Python's nearest spelling to RFC 8785: right except for floats, big integers and astral key order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8", "surrogatepass")


spellings = st.sampled_from([
    rfc8785.dumps,
    compact_sorted,
    lambda v: json.dumps(v, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode(),
    lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"),
    lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"),
])


@settings(max_examples=500, deadline=None)
@given(anything, spellings)
@example({"\ue000": 1, "\U0001f600": 2}, compact_sorted)  # UTF-16 order puts the emoji first, code points do not
@example({"x": 5.0, "y": 1e16, "z": 1e-05}, compact_sorted)  # ES6 writes 5, 10000000000000000 and 0.00001
@example({"x": 2**60}, compact_sorted)  # beyond what RFC 8785 allows
def test_the_cheap_proof_never_accepts_bytes_that_are_not_rfc8785(value, spell):
    try:
        data = spell(value)
    except rfc8785.CanonicalizationError:
        return
    decided = provably_canonical(data)
    if decided is not None:
        assert rfc8785.dumps(json.loads(data)) == data and decided == json.loads(data)


@settings(max_examples=300, deadline=None)
@given(plain)
def test_the_cheap_proof_decides_canonical_bytes_without_floats_big_integers_or_astral_characters(value):
    data = rfc8785.dumps(value)
    assert provably_canonical(data) == json.loads(data)
