"""The witness: cosignature/v1 and the rule it keeps (c2sp.org/tlog-witness), as a real separate process.

Forks and rollbacks are played by whoever holds the node key: a copy of the
workspace taken at one size grows differently from the original (a fork),
or the store is put back to an older copy (a rollback). The witness refuses
both, because it remembers the last size and root it cosigned.
"""

import shutil
import sqlite3

import pytest

from stillroom import signing
from stillroom.ledger.checkpoint import read_checkpoint
from stillroom.ledger.log import Ledger
from stillroom.witness.cosignature import CosignatureError, cosign, verify_cosigned, witness_verifier_key
from stillroom.witness.state import LogState, WitnessRefused, extend
from stillroom.workspace import Workspace
from tests.ledger_helpers import new_ledger, stage_drafts
from tests.witness_helpers import init_witness, running_witness, stillroom


@pytest.fixture
def ws(workspace):
    Ledger.for_workspace(workspace).record_many(stage_drafts(5))
    return workspace


def sqlite_copy(source, target):
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def checkpoint(ws, url, vkey):
    return stillroom("ledger", "checkpoint", "--witness", url, "--witness-key", vkey, "--workspace", ws.root)


# -- cosignature/v1 and the rule, pure -------------------------------------------------


def test_a_cosignature_verifies_only_with_its_witness_key_and_its_checkpoint():
    key, other = signing.generate_key(), signing.generate_key()
    vkey = witness_verifier_key("w1", key.public_key())
    note = "example.org/log\n5\n" + "A" * 43 + "=\n\n— node AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    text = note[: note.index("\n\n") + 1]
    cosigned = note + cosign(text, "w1", key, 1_700_000_000)
    assert verify_cosigned(cosigned, vkey).timestamp == 1_700_000_000
    with pytest.raises(CosignatureError, match="carries no cosignature by witness 'w1'"):
        verify_cosigned(cosigned, witness_verifier_key("w1", other.public_key()))
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosigned(cosigned.replace("\n5\n", "\n6\n", 1), vkey)
    with pytest.raises(CosignatureError, match="not a cosignature/v1 verifier key"):
        verify_cosigned(cosigned, signing.verifier_key("w1", key.public_key()))  # a plain note key is not a witness key


def test_the_rule_accepts_extensions_and_refuses_forks_and_rollbacks(database_url):
    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(7))
    first = read_checkpoint(ledger.checkpoint())
    log = LogState(keys=[])
    extend(log, 0, [], first)
    log.size, log.root = first.size, first.root
    ledger.record_many(stage_drafts(5))
    later = read_checkpoint(ledger.checkpoint())
    extend(log, first.size, ledger.consistency_proof(first.size, later.size), later)  # consistent: accepted
    fork = new_ledger(database_url.replace("store.db", "fork.db")) if "store.db" in database_url else None
    if fork is not None:
        fork.record_many(stage_drafts(11, run_id="other"))
        forked = read_checkpoint(fork.checkpoint())
        with pytest.raises(WitnessRefused) as refused:
            extend(log, first.size, fork.consistency_proof(first.size, forked.size), forked)
        assert refused.value.status == 422
    with pytest.raises(WitnessRefused) as stale:
        extend(log, 0, [], later)
    assert stale.value.status == 409 and stale.value.size == first.size
    with pytest.raises(WitnessRefused) as rollback:
        extend(log, first.size, [], read_checkpoint(ledger.checkpoint()).__class__(first.origin, 3, first.root))
    assert rollback.value.status == 400


# -- the real witness process --------------------------------------------------------


def test_the_witness_cosigns_a_growing_log(ws, tmp_path):
    vkey = init_witness(ws, tmp_path / "witness")
    with running_witness(tmp_path / "witness") as url:
        first = checkpoint(ws, url, vkey)
        assert first.returncode == 0, first.stderr
        assert verify_cosigned(first.stdout, vkey).witness == "audit-witness"
        Ledger.for_workspace(Workspace.open(ws.root)).record_many(stage_drafts(9, run_id="run-2"))
        second = checkpoint(ws, url, vkey)
        assert second.returncode == 0, second.stderr
        assert read_checkpoint(second.stdout).size == 16
    assert '"size": 16' in (tmp_path / "witness" / "witness.json").read_text()
    held = tmp_path / "held.note"
    held.write_text(second.stdout)
    assert stillroom("ledger", "verify", "--checkpoint", held, "--workspace", ws.root).returncode == 0


def test_the_witness_refuses_a_fork(ws, tmp_path):
    vkey = init_witness(ws, tmp_path / "witness")
    fork_root = tmp_path / "fork"
    shutil.copytree(ws.root, fork_root)  # the node key's holder keeps a second copy at size 7
    with running_witness(tmp_path / "witness") as url:
        Ledger.for_workspace(Workspace.open(ws.root)).record_many(stage_drafts(4, run_id="real"))
        assert checkpoint(ws, url, vkey).returncode == 0
        Ledger.for_workspace(Workspace.open(fork_root)).record_many(stage_drafts(4, run_id="forged"))
        forked = stillroom("ledger", "checkpoint", "--witness", url, "--witness-key", vkey, "--workspace", fork_root)
    assert forked.returncode == 1
    assert forked.stderr.strip() == (f"error: the witness at {url} cosigned another root at size 11: this log forked "
                                     "from what it witnessed")
    assert forked.stdout == ""
    with Workspace.open(fork_root).engine.connect() as conn:  # no cosigned checkpoint stored on the fork
        notes = [row[0] for row in conn.exec_driver_sql("SELECT note FROM ledger_checkpoints")]
    assert not any("audit-witness" in note for note in notes)


def test_the_witness_refuses_a_rollback(ws, tmp_path):
    vkey = init_witness(ws, tmp_path / "witness")
    sqlite_copy(ws.root / "stillroom.db", tmp_path / "old.db")  # a backup at size 7
    with running_witness(tmp_path / "witness") as url:
        Ledger.for_workspace(Workspace.open(ws.root)).record_many(stage_drafts(4, run_id="real"))
        assert checkpoint(ws, url, vkey).returncode == 0
        sqlite_copy(tmp_path / "old.db", ws.root / "stillroom.db")  # the store put back to the backup
        rolled = checkpoint(ws, url, vkey)
    assert rolled.returncode == 1
    assert rolled.stderr.strip() == (f"error: the witness at {url} cosigned a checkpoint of size 11, larger than this "
                                     "log (7 entries): the log was truncated")


def test_the_witness_refuses_a_checkpoint_not_signed_by_the_log(ws, tmp_path):
    vkey = init_witness(ws, tmp_path / "witness")
    other = tmp_path / "other"
    shutil.copytree(ws.root, other)
    (other / "keys" / "node.key").unlink()
    signing.save_private_key(other / "keys" / "node.key", signing.generate_key(), passphrase=None)
    (other / "stillroom.db").unlink()  # a new log under the same origin, another key
    with running_witness(tmp_path / "witness") as url:
        result = stillroom("ledger", "checkpoint", "--witness", url, "--witness-key", vkey, "--workspace", other)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: the witness at {url} refused the checkpoint of size 1 (HTTP 403: "
                                    "the checkpoint is not signed by log")


def test_a_checkpoint_needs_the_witness_key(ws, tmp_path):
    result = stillroom("ledger", "checkpoint", "--witness", "http://127.0.0.1:9", "--workspace", ws.root)
    assert result.returncode == 2
    assert "needs the witness's URL (--witness) and its verifier key" in result.stderr
