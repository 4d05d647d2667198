"""Tampering is detected, in the live store and in an export, and reported as the first failure.

The tests play the attacker with direct SQL and file edits: whoever can
write the database or the export directory but does not hold the node key.
"""

import base64
import json
import shutil

import pytest
import rfc8785
from sqlalchemy import text

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint, read_checkpoint, sign_checkpoint
from stillroom.ledger.entry import canonical_entry
from stillroom.ledger.errors import ExportError
from stillroom.ledger.verify import verify_offline
from tests.ledger_helpers import ORIGIN, new_ledger, stage_drafts

N = 21  # entries, genesis included


@pytest.fixture
def ledger(database_url):
    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(N - 1))
    ledger.checkpoint()
    assert ledger.verify().ok
    return ledger


def sql(ledger, statement, **params):
    with ledger.engine.begin() as conn:
        return conn.execute(text(statement), params)


def leaf_of(ledger, seq) -> bytes:
    return bytes(sql(ledger, "SELECT leaf FROM ledger_entries WHERE seq = :seq", seq=seq).scalar_one())


def rewrite(ledger, seq, leaf, *, update_hash=True):
    sql(ledger, "UPDATE ledger_entries SET leaf = :leaf WHERE seq = :seq", leaf=leaf, seq=seq)
    if update_hash:
        sql(ledger, "UPDATE ledger_entries SET leaf_hash = :h WHERE seq = :seq", h=merkle.leaf_hash(leaf), seq=seq)


def forged_entry(seq, prev, signer_name, key, kind="release.approved"):
    leaf = canonical_entry(seq=seq, time="2030-01-01T00:00:00.000000Z", kind=kind, actor="mallory", signer=signer_name,
                           run_id=None, payload={"approved": True}, prev=prev)
    return leaf, key.sign(leaf)


def signing_b64(signature: bytes) -> str:
    return base64.b64encode(signature).decode()


def assert_fails(report, seq, what):
    assert not report.ok
    assert (report.failure.seq, report.failure.what) == (seq, what), str(report.failure)
    assert str(report).startswith("FAILED")


# -- the live store -----------------------------------------------------------------


def test_an_edited_payload_is_detected(ledger):
    rewrite(ledger, 5, leaf_of(ledger, 5).replace(b'"records":40', b'"records":41'))
    assert_fails(ledger.verify(), 5, "signature")


def test_an_edited_payload_without_fixing_the_stored_hash_is_detected(ledger):
    rewrite(ledger, 5, leaf_of(ledger, 5).replace(b'"records":40', b'"records":41'), update_hash=False)
    assert_fails(ledger.verify(), 5, "stored leaf hash")


def test_a_changed_time_is_detected(ledger):
    leaf = leaf_of(ledger, 9)
    value = json.loads(leaf)
    value["time"] = "2001-01-01T00:00:00.000000Z"
    rewrite(ledger, 9, rfc8785.dumps(value))
    assert_fails(ledger.verify(), 9, "signature")


def test_a_deleted_entry_is_detected(ledger):
    sql(ledger, "DELETE FROM ledger_entries WHERE seq = 7")
    report = ledger.verify()
    assert_fails(report, 7, "seq")
    assert report.failure.expected == "7" and report.failure.found.startswith("8")


def test_two_swapped_entries_are_detected(ledger):
    rows = {r.seq: r for r in sql(ledger, "SELECT seq, leaf, leaf_hash, signature FROM ledger_entries WHERE seq IN (3, 4)")}
    for seq, other in ((3, 4), (4, 3)):
        sql(ledger, "UPDATE ledger_entries SET leaf = :l, leaf_hash = :h, signature = :s WHERE seq = :seq",
            l=rows[other].leaf, h=rows[other].leaf_hash, s=rows[other].signature, seq=seq)
    assert_fails(ledger.verify(), 3, "seq")


def test_a_truncated_log_is_detected(ledger):
    sql(ledger, "DELETE FROM ledger_entries WHERE seq >= 15")
    report = ledger.verify()
    assert_fails(report, None, "log length")
    assert "truncated" in report.failure.found


def test_an_appended_entry_signed_by_an_unknown_key_is_detected(ledger):
    prev = merkle.leaf_hash(leaf_of(ledger, N - 1)).hex()
    leaf, signature = forged_entry(N, prev, "mallory", signing.generate_key())
    sql(ledger, "INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, signature) "
                "VALUES (:seq, 't', 'k', 'mallory', 'mallory', NULL, :leaf, :h, :sig)",
        seq=N, leaf=leaf, h=merkle.leaf_hash(leaf), sig=signature)
    report = ledger.verify()
    assert_fails(report, N, "signer")
    assert "unknown key 'mallory'" in report.failure.found


def test_an_appended_entry_forged_in_the_node_keys_name_is_detected(ledger):
    prev = merkle.leaf_hash(leaf_of(ledger, N - 1)).hex()
    leaf, signature = forged_entry(N, prev, "node", signing.generate_key())
    sql(ledger, "INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, signature) "
                "VALUES (:seq, 't', 'k', 'mallory', 'node', NULL, :leaf, :h, :sig)",
        seq=N, leaf=leaf, h=merkle.leaf_hash(leaf), sig=signature)
    assert_fails(ledger.verify(), N, "signature")


def test_a_checkpoint_signed_by_the_wrong_key_is_detected(ledger):
    root = merkle.root_from_leaves(merkle.leaf_hash(leaf_of(ledger, i)) for i in range(N))
    note = sign_checkpoint(Checkpoint(ORIGIN, N, root), [("node", signing.generate_key())])
    sql(ledger, "UPDATE ledger_checkpoints SET note = :note", note=note)
    report = ledger.verify()
    assert_fails(report, None, f"checkpoint at size {N}")
    assert "no signature on the note is from a trusted key" in report.failure.found


def test_a_checkpoint_whose_root_does_not_match_is_detected(ledger):
    wrong = merkle.root_from_leaves(merkle.leaf_hash(leaf_of(ledger, i)) for i in range(N - 1))
    note = sign_checkpoint(Checkpoint(ORIGIN, N, wrong), [ledger.node])
    sql(ledger, "UPDATE ledger_checkpoints SET note = :note", note=note)
    report = ledger.verify()
    assert_fails(report, None, f"checkpoint root at size {N}")
    assert report.failure.found == wrong.hex()


# -- an export, verified offline ----------------------------------------------------


@pytest.fixture
def exported(ledger, tmp_path):
    directory = tmp_path / "export"
    ledger.export(directory)
    assert verify_offline(directory).ok
    return directory


def lines(directory):
    return (directory / "entries.jsonl").read_text().splitlines(keepends=True)


def write_lines(directory, new_lines):
    (directory / "entries.jsonl").write_text("".join(new_lines))


def edit_entry(directory, seq, change):
    all_lines = lines(directory)
    record = json.loads(all_lines[seq])
    change(record["entry"])
    all_lines[seq] = json.dumps(record) + "\n"
    write_lines(directory, all_lines)


def test_the_export_holds_every_entry_the_checkpoint_and_the_keys(ledger, exported):
    assert len(lines(exported)) == N
    assert read_checkpoint((exported / "checkpoint").read_text()).size == N
    assert (exported / "keys" / "node.vkey").read_text().strip() == ledger.verifier_keys()["node"]
    first = json.loads(lines(exported)[0])
    assert set(first) == {"entry", "signature"} and first["entry"]["kind"] == "ledger.genesis"


def test_exporting_over_existing_files_is_refused(ledger, exported):
    with pytest.raises(ExportError, match="not empty"):
        ledger.export(exported)


def test_offline_an_edited_payload_is_detected(exported):
    edit_entry(exported, 6, lambda e: e["payload"].update(records=0))
    assert_fails(verify_offline(exported), 6, "signature")


def test_offline_a_changed_time_is_detected(exported):
    edit_entry(exported, 6, lambda e: e.update(time="2001-01-01T00:00:00.000000Z"))
    assert_fails(verify_offline(exported), 6, "signature")


def test_offline_a_deleted_entry_is_detected(exported):
    write_lines(exported, [line for i, line in enumerate(lines(exported)) if i != 7])
    assert_fails(verify_offline(exported), 7, "seq")


def test_offline_two_swapped_entries_are_detected(exported):
    all_lines = lines(exported)
    all_lines[3], all_lines[4] = all_lines[4], all_lines[3]
    write_lines(exported, all_lines)
    assert_fails(verify_offline(exported), 3, "seq")


def test_offline_a_truncated_log_is_detected(exported):
    write_lines(exported, lines(exported)[:-3])
    assert_fails(verify_offline(exported), None, "log length")


def test_offline_an_appended_forged_entry_is_detected(exported):
    mallory = signing.generate_key()
    prev = merkle.leaf_hash(rfc8785.dumps(json.loads(lines(exported)[-1])["entry"])).hex()
    leaf, signature = forged_entry(N, prev, "mallory", mallory)
    (exported / "keys" / "mallory.vkey").write_text(signing.verifier_key("mallory", mallory.public_key()))
    write_lines(exported, lines(exported) + [json.dumps({"entry": json.loads(leaf), "signature": signing_b64(signature)}) + "\n"])
    assert_fails(verify_offline(exported), N, "signer")


def test_offline_an_entry_re_signed_by_an_unknown_key_is_detected(exported):
    mallory = signing.generate_key()
    all_lines = lines(exported)
    entry = json.loads(all_lines[8])["entry"]
    entry["signer"] = "mallory"
    all_lines[8] = json.dumps({"entry": entry, "signature": signing_b64(mallory.sign(rfc8785.dumps(entry)))}) + "\n"
    write_lines(exported, all_lines)
    assert_fails(verify_offline(exported), 8, "signer")


def test_offline_a_checkpoint_signed_by_the_wrong_key_is_detected(exported):
    checkpoint = read_checkpoint((exported / "checkpoint").read_text())
    (exported / "checkpoint").write_text(sign_checkpoint(checkpoint, [("node", signing.generate_key())]))
    assert_fails(verify_offline(exported), None, f"checkpoint at size {N}")


def test_offline_a_checkpoint_whose_root_does_not_match_is_detected(ledger, exported):
    checkpoint = read_checkpoint((exported / "checkpoint").read_text())
    wrong = Checkpoint(checkpoint.origin, checkpoint.size, merkle.leaf_hash(b"not the root"))
    (exported / "checkpoint").write_text(sign_checkpoint(wrong, [ledger.node]))
    assert_fails(verify_offline(exported), None, f"checkpoint root at size {N}")


def test_offline_a_published_key_that_differs_from_the_ledgers_is_detected(exported):
    (exported / "keys" / "node.vkey").write_text(signing.verifier_key("node", signing.generate_key().public_key()))
    assert_fails(verify_offline(exported), None, "keys/node.vkey")


def test_a_log_rewritten_under_a_new_genesis_key_fails_against_the_pinned_key(ledger, exported, tmp_path):
    # Whoever holds the store can rebuild a whole consistent log under a key of
    # their own; only the auditor's pinned genesis key tells the two apart.
    pinned = ledger.verifier_keys()["node"]
    impostor = new_ledger(f"sqlite:///{tmp_path / 'impostor.db'}", name="node")
    impostor.record_many(stage_drafts(N - 1))
    impostor.export(tmp_path / "impostor")
    assert verify_offline(tmp_path / "impostor").ok
    report = verify_offline(tmp_path / "impostor", anchors=[pinned])
    assert_fails(report, 0, "signer")
    assert verify_offline(exported, anchors=[pinned]).ok


def test_an_incomplete_export_directory_is_a_usage_error(exported):
    shutil.rmtree(exported / "keys")
    with pytest.raises(ExportError, match="keys is missing"):
        verify_offline(exported)
