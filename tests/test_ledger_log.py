"""The ledger on the store (SQLite, and PostgreSQL when configured): appends, checkpoints, proofs, keys."""

import base64
import json
import math
from itertools import pairwise

import pytest
import rfc8785

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import read_checkpoint, sign_checkpoint, verify_checkpoint
from stillroom.ledger.entry import GENESIS
from stillroom.ledger.errors import CheckpointError, LedgerError, NotInLedger, ProofError
from stillroom.ledger.log import Draft
from stillroom.ledger.note import verifiers_from
from stillroom.ledger.verify import verify_consistency_bundle, verify_inclusion_bundle
from tests.ledger_helpers import ORIGIN, new_ledger, stage_drafts


@pytest.fixture
def ledger(database_url):
    return new_ledger(database_url)


def test_the_first_append_starts_the_log_with_a_self_signed_genesis(ledger):
    entry = ledger.record("run.start", {"spec_digest": "sha256:" + "a" * 64}, actor="alice", run_id="run-1")
    assert entry.seq == 1
    genesis_leaf, _ = next((leaf, sig) for _, leaf, sig, _ in ledger.rows())
    genesis = json.loads(genesis_leaf)
    assert genesis["kind"] == GENESIS and genesis["seq"] == 0 and genesis["prev"] is None
    assert genesis["payload"] == {"origin": ORIGIN, "verifier_key": ledger.verifier_keys()["node"]}
    assert entry.prev == merkle.leaf_hash(genesis_leaf).hex()
    fields = json.loads(entry.leaf)
    assert fields == {"seq": 1, "time": entry.time, "kind": "run.start", "actor": "alice", "signer": "node",
                      "run_id": "run-1", "payload": {"spec_digest": "sha256:" + "a" * 64}, "prev": entry.prev}
    assert entry.time.endswith("Z") and entry.time[10] == "T"
    signing.verify(ledger.node[1].public_key(), entry.leaf, entry.signature)


def test_a_batch_gets_contiguous_seqs_each_chained_to_the_last(ledger):
    first = ledger.record_many(stage_drafts(5))
    second = ledger.record_many(stage_drafts(3, run_id="run-2"))
    entries = first + second
    assert [e.seq for e in entries] == list(range(1, 9))
    for before, after in pairwise(entries):
        assert after.prev == before.leaf_hash.hex()
    assert ledger.size() == 9


def test_two_writers_taking_turns_extend_one_tree(database_url, ledger):
    """Each ledger remembers the tree's edge from its own last append; the other's appends must not be lost."""
    other = type(ledger)(ledger.engine, "node", ledger.node[1], ORIGIN)
    for turn in range(6):
        (ledger if turn % 2 else other).record_many(stage_drafts(turn + 1))
    assert ledger.size() == 1 + sum(range(1, 7))
    ledger.checkpoint()
    other.record("last", {}, actor="a")
    other.checkpoint()
    report = ledger.verify()
    assert report.ok and report.checkpoints == 2, report
    leaves = [merkle.leaf_hash(leaf) for _, leaf, _, _ in ledger.rows()]
    assert read_checkpoint(other.latest_checkpoint()).root == merkle.root_from_leaves(leaves)


def test_an_append_that_fails_after_writing_rolls_back_and_the_next_one_follows_the_stored_head(ledger):
    ledger.add_key("alice", signing.generate_key().public_key(), role="person", actor="admin")
    size = ledger.size()
    with pytest.raises(LedgerError, match="never reused"):  # refused after the entry row is inserted
        ledger.add_key("alice", signing.generate_key().public_key(), role="person", actor="admin")
    assert ledger.size() == size
    assert ledger.record("next", {}, actor="a").seq == size
    ledger.checkpoint()
    assert ledger.verify().ok


@pytest.mark.parametrize("payload", [{"x": math.nan}, {"x": b"raw"}, {"x": 2**60}, ["not", "an", "object"]])
def test_a_payload_that_is_not_canonical_json_is_refused_and_nothing_is_written(ledger, payload):
    ledger.record("ok", {}, actor="a")
    with pytest.raises(LedgerError):
        ledger.record_many([Draft("ok", {"fine": 1}, "a"), Draft("bad", payload, "a")])
    assert ledger.size() == 2
    assert ledger.verify().ok


def test_key_entries_cannot_be_written_by_hand(ledger):
    for kind in ("key.added", "key.retired"):
        with pytest.raises(LedgerError, match="add_key, rotate_key and retire_keys only"):
            ledger.record(kind, {"verifier_key": "x", "key": "node"}, actor="a")


def test_a_checkpoint_signs_the_root_of_the_whole_log_and_is_reused_until_the_log_grows(ledger):
    ledger.record_many(stage_drafts(10))
    note = ledger.checkpoint()
    checkpoint = verify_checkpoint(note, verifiers_from(list(ledger.verifier_keys().values())), ORIGIN)
    leaves = [merkle.leaf_hash(leaf) for _, leaf, _, _ in ledger.rows()]
    assert checkpoint.size == 11 and checkpoint.root == merkle.root_from_leaves(leaves)
    assert ledger.checkpoint() == note
    ledger.record("more", {}, actor="a")
    assert read_checkpoint(ledger.checkpoint()).size == 12
    assert ledger.latest_checkpoint() != note


def test_every_entry_has_an_inclusion_proof_that_verifies_offline(ledger):
    ledger.record_many(stage_drafts(36))
    ledger.checkpoint()
    keys = list(ledger.verifier_keys().values())
    for seq in range(37):
        bundle = ledger.prove(seq)
        verify_inclusion_bundle(json.loads(json.dumps(bundle)), keys)
    bundle = ledger.prove(20)
    forged = json.loads(base64.b64decode(bundle["leaf"]))
    forged["payload"]["records"] = 1
    with pytest.raises(ProofError, match="signature"):
        verify_inclusion_bundle({**bundle, "leaf": base64.b64encode(rfc8785.dumps(forged)).decode()}, keys)
    with pytest.raises(ProofError, match="malformed"):
        verify_inclusion_bundle({**bundle, "leaf": base64.b64encode(json.dumps(forged).encode()).decode()}, keys)
    with pytest.raises(ProofError, match="leads to root"):
        verify_inclusion_bundle({**bundle, "proof": bundle["proof"][::-1]}, keys)
    for seq in (-1, 37):
        with pytest.raises(NotInLedger):
            ledger.prove(seq)


def test_a_tree_head_vouched_for_by_a_person_is_refused_when_only_node_keys_may_sign_it(ledger):
    alice = signing.generate_key()
    ledger.add_key("alice", alice.public_key(), role="person", actor="admin")
    ledger.record("decision", {"approve": True}, actor="alice", signed_by=("alice", alice))
    ledger.checkpoint()
    bundle = ledger.prove(2)
    keys = ledger.verifier_keys()
    forged_head = sign_checkpoint(read_checkpoint(bundle["checkpoint"]), [("alice", alice)])
    forged = {**bundle, "checkpoint": forged_head}
    verify_inclusion_bundle(forged, list(keys.values()))  # every key may sign: the person is trusted
    with pytest.raises(CheckpointError, match="trusted key"):
        verify_inclusion_bundle(forged, list(keys.values()), checkpoint_keys=[keys["node"]])
    verify_inclusion_bundle(bundle, list(keys.values()), checkpoint_keys=[keys["node"]])


def test_proving_needs_a_checkpoint_first(ledger):
    ledger.record("x", {}, actor="a")
    with pytest.raises(NotInLedger, match="no checkpoint yet"):
        ledger.prove(0)


def test_every_pair_of_checkpoints_is_provably_consistent(ledger):
    sizes = []
    for batch in (1, 2, 5, 8, 13):
        ledger.record_many(stage_drafts(batch))
        sizes.append(read_checkpoint(ledger.checkpoint()).size)
    keys = list(ledger.verifier_keys().values())
    for old in sizes:
        for new in sizes:
            if old <= new:
                verify_consistency_bundle(ledger.consistency(old, new), keys)
    assert sizes == [2, 4, 9, 17, 30]
    with pytest.raises(NotInLedger, match="no checkpoint of size 5"):
        ledger.consistency(5, sizes[-1])
    with pytest.raises(NotInLedger):
        ledger.consistency(sizes[-1], sizes[0])


def test_an_untouched_log_verifies(ledger):
    ledger.record_many(stage_drafts(50))
    ledger.checkpoint()
    ledger.record("after", {}, actor="a")
    report = ledger.verify()
    assert report.ok, report
    assert (report.entries, report.checkpoints, report.checkpoint_size) == (52, 1, 51)


def test_a_ledger_opened_with_another_workspaces_key_does_not_verify(database_url, ledger):
    ledger.record_many(stage_drafts(3))
    stranger = new_ledger(database_url, name="node")
    report = stranger.verify()
    assert not report.ok and report.failure.what == "node key"


def test_a_person_signs_with_their_own_key_once_the_node_has_introduced_it(ledger):
    alice = signing.generate_key()
    with pytest.raises(LedgerError, match="not known"):
        ledger.record("decision", {"approve": True}, actor="alice", signed_by=("alice", alice))
    ledger.add_key("alice", alice.public_key(), role="person", actor="admin")
    entry = ledger.record("decision", {"approve": True}, actor="alice", signed_by=("alice", alice))
    assert entry.signer == "alice"
    with pytest.raises(LedgerError, match="not the key the ledger knows"):
        ledger.record("decision", {}, actor="alice", signed_by=("alice", signing.generate_key()))
    with pytest.raises(LedgerError, match="never reused"):
        ledger.add_key("alice", signing.generate_key().public_key(), role="person", actor="admin")
    assert ledger.verify().ok


def test_a_rotated_node_key_takes_over_and_the_old_one_can_sign_nothing_more(database_url):
    old_key = signing.generate_key()
    ledger = new_ledger(database_url, key=old_key, name="node-1")
    ledger.record_many(stage_drafts(4))
    before = ledger.checkpoint()
    new_key = signing.generate_key()
    rotation = ledger.rotate_key("node-2", new_key, actor="admin")
    assert rotation.signer == "node-1"
    assert ledger.record("after", {}, actor="a").signer == "node-2"
    after = ledger.checkpoint()
    assert "— node-2 " in after and "— node-1 " in before
    verify_consistency_bundle(
        ledger.consistency(read_checkpoint(before).size, read_checkpoint(after).size),
        list(ledger.verifier_keys().values()),
    )
    assert ledger.verify().ok

    stale = type(ledger)(ledger.engine, "node-1", old_key, ORIGIN)
    with pytest.raises(LedgerError, match="retired"):
        stale.record("sneaky", {}, actor="a")
    with pytest.raises(LedgerError, match="retired"):
        stale.rotate_key("node-3", signing.generate_key(), actor="a")
    report = stale.verify()
    assert not report.ok and report.failure.what == "node key"


def test_key_names_that_cannot_be_file_names_are_refused(ledger):
    with pytest.raises(LedgerError, match="key name"):
        ledger.add_key("../etc/passwd", signing.generate_key().public_key(), role="person", actor="a")
    with pytest.raises(LedgerError, match="role"):
        ledger.add_key("bob", signing.generate_key().public_key(), role="admin", actor="a")
