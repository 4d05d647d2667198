"""Node-key rotation: `stillroom ledger rotate-key` on a real workspace, forged rotations, and crashes mid-way."""

import base64
import fcntl
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from stillroom import signing
from stillroom.approvals import decide, open_request
from stillroom.cli import app as cli_app
from stillroom.errors import UsageError, WorkspaceError
from stillroom.ledger import merkle
from stillroom.ledger.commands import app
from stillroom.ledger.entry import KEY_ROTATED, canonical_entry
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Draft, Ledger
from stillroom.ledger.rotation import rotate_node_key
from stillroom.release import BundleInvalid, build_release, verify_release
from stillroom.users import enroll, unlock
from stillroom.workspace import Workspace
from tests.ledger_helpers import new_ledger, stage_drafts
from stillroom.ledger import rotation as rotation_module
from stillroom.ledger.rotation import AUTHORISED
from tests.ledger_worker import ROTATION_STEPS

runner = CliRunner()
WORKER = Path(__file__).with_name("ledger_worker.py")
PASS = "correct horse battery"


ADMIN = "ada"
# the worker's steps, and the one this file adds: the retired private key's destruction
CRASH_STEPS = [*ROTATION_STEPS, "destroy-old-keys"]
CRASH_AT = {"destroy-old-keys": (rotation_module, "_destroy_old_keys")}


def invoke(workspace, *args):
    return runner.invoke(app, [*args, "--workspace", str(workspace.root)])


def rotate(workspace, *args):
    """``rotate-key`` as the admin, passphrase from the environment."""
    return runner.invoke(app, ["rotate-key", *args, "--as", ADMIN, "--workspace", str(workspace.root)],
                         env={"STILLROOM_PASSPHRASE": PASS, "STILLROOM_USER": None})


@pytest.fixture
def admin(workspace):
    enroll(workspace, ADMIN, ["admin"], PASS, admin=None)
    return ADMIN


def private_keys_left(root) -> list[str]:
    return sorted(p.name for p in (root / "keys" / "retired").glob("*.key"))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def rotations(ledger) -> list:
    return ledger.entries(kind=KEY_ROTATED)


def test_rotate_key_then_the_live_log_and_an_export_verify(workspace, admin, tmp_path):
    old_name, old_key = workspace.node_key_name, workspace.node_key()
    workspace.ledger().record_many(stage_drafts(5))
    workspace.ledger().checkpoint()
    size = workspace.ledger().size()  # the admin's authorisation lands at `size`, the rotation at `size + 1`

    result = rotate(workspace)
    assert result.exit_code == 0, result.output
    new_name = "test-ws-node-2"
    assert result.output.startswith(f"rotated the node key: {old_name} -> {new_name} (ledger entry {size + 1}, "
                                    f"signed by {old_name}, actor {ADMIN})")
    assert f"public key kept in keys/retired/{old_name}.vkey" in result.output
    assert f"overwritten and removed: keys/retired/{old_name}.key" in result.output
    assert "could still sign bundles" in result.output and "it can sign nothing" not in result.output

    reopened = Workspace.open(workspace.root)
    assert reopened.node_key_name == new_name
    root = workspace.root
    assert mode(root / "keys" / "node.key") == 0o600
    assert signing.public_bytes(reopened.node_key()) != signing.public_bytes(old_key)
    assert private_keys_left(root) == []  # only the public half of the old key remains
    assert (root / "keys" / "retired" / f"{old_name}.vkey").read_text().strip() == \
        signing.verifier_key(old_name, old_key.public_key())
    assert not list((root / "keys" / "rotating").iterdir())
    assert reopened.ledger().latest_checkpoint().splitlines()[1] == str(size + 2)
    assert f"— {new_name} " in reopened.ledger().latest_checkpoint()
    assert reopened.ledger().record("after.rotation", {}, actor="a").signer == new_name

    [authorised], [rotated] = reopened.ledger().entries(kind=AUTHORISED), rotations(reopened.ledger())
    assert (authorised.seq, rotated.seq) == (size, size + 1)
    assert (authorised.kind, authorised.actor, authorised.signer) == (AUTHORISED, ADMIN, f"{ADMIN}-k1")
    assert authorised.payload["new_verifier_key"] == rotated.payload["verifier_key"]
    assert (rotated.kind, rotated.actor, rotated.signer) == (KEY_ROTATED, ADMIN, old_name)

    assert invoke(workspace, "verify").output.startswith(f"OK {size + 3} entries")
    assert invoke(workspace, "export", str(tmp_path / "audit")).exit_code == 0
    genesis = root / "keys" / "retired" / f"{old_name}.vkey"  # the key an auditor pinned before the rotation
    offline = runner.invoke(app, ["verify", "--offline", str(tmp_path / "audit"), "--trust", str(genesis)])
    assert offline.exit_code == 0 and offline.output.startswith(f"OK {size + 3} entries"), offline.output


def test_the_retired_key_can_sign_nothing_after_the_rotation(workspace, admin):
    old = Ledger(workspace.engine, workspace.node_key_name, workspace.node_key(), workspace.origin)
    old.record("before", {}, actor="a")
    rotated_at = old.size() + 1
    assert rotate(workspace).exit_code == 0
    with pytest.raises(LedgerError, match=f"retired at entry {rotated_at}"):
        old.record("sneaky", {}, actor="mallory")
    assert "— test-ws-node " not in old.checkpoint()  # the new key's checkpoint of the same log, not a new one


def test_rotating_twice_chains_three_keys_and_keeps_only_the_old_public_keys(workspace, admin):
    first = rotate(workspace, "--json")
    second = rotate(workspace, "--json")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    one, two = json.loads(first.output), json.loads(second.output)
    assert (one["old_name"], one["new_name"]) == ("test-ws-node", "test-ws-node-2")
    assert (two["old_name"], two["new_name"]) == ("test-ws-node-2", "test-ws-node-3")
    assert two["old_verifier_key"] == one["new_verifier_key"] and two["seq"] == one["seq"] + 2  # + authorisation
    assert two["retired_vkey"] == "keys/retired/test-ws-node-2.vkey" and two["resumed"] is False
    assert two["destroyed"] == ["keys/retired/test-ws-node-2.key"] and two["actor"] == ADMIN
    assert two["checkpoint"].startswith(f"{workspace.origin}\n{two['seq'] + 1}\n")
    keys = Workspace.open(workspace.root).ledger().verifier_keys()
    assert [k for k in keys if "node" in k] == ["test-ws-node", "test-ws-node-2", "test-ws-node-3"]
    assert {p.name for p in (workspace.root / "keys" / "retired").iterdir()} == {
        "test-ws-node.vkey", "test-ws-node-2.vkey"}
    verified = json.loads(invoke(workspace, "verify", "--json").output)
    assert verified["ok"] and verified["entries"] == two["seq"] + 1 and verified["checkpoints"] == 2


def test_a_private_key_an_earlier_version_left_in_retired_is_destroyed_by_the_next_rotation(workspace, admin):
    leftover = workspace.root / "keys" / "retired" / "test-ws-node-0.key"  # kept forever by the old rotate-key
    leftover.parent.mkdir(parents=True, exist_ok=True)
    signing.save_private_key(leftover, signing.generate_key(), passphrase=None)
    done = json.loads(rotate(workspace, "--json").output)
    assert sorted(done["destroyed"]) == ["keys/retired/test-ws-node-0.key", "keys/retired/test-ws-node.key"]
    assert private_keys_left(workspace.root) == []


def test_shredding_overwrites_a_files_bytes_but_never_a_second_name_for_them(tmp_path):
    lone, shared, other = tmp_path / "lone.key", tmp_path / "shared.key", tmp_path / "node.key"
    lone.write_bytes(b"secret" * 10)
    other.write_bytes(b"live key")
    os.link(other, shared)
    with open(lone, "rb") as handle:  # an open descriptor reads the inode after the unlink
        rotation_module._shred(lone, lone.lstat())
        assert b"secret" not in handle.read()
    rotation_module._shred(shared, shared.lstat())
    assert not lone.exists() and not shared.exists() and other.read_bytes() == b"live key"


def test_a_name_the_ledger_has_used_is_refused(workspace, admin):
    result = rotate(workspace, "--name", workspace.node_key_name)
    assert isinstance(result.exception, LedgerError) and "never reused" in str(result.exception)
    assert Workspace.open(workspace.root).node_key_name == "test-ws-node"
    assert not rotations(workspace.ledger())


def test_a_second_rotation_at_the_same_time_is_refused(workspace):
    with open(workspace.root / "keys" / ".rotate.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(WorkspaceError, match="another `stillroom ledger rotate-key` is running"):
            rotate_node_key(workspace, actor="admin")


# -- releases made before and after a rotation ---------------------------------------


def approved_release(ws, run_id, out):
    store = ws.artifacts
    files = {"hf/model.safetensors": store.put_bytes(run_id.encode() * 100)}
    ws.ledger().record("run.start", {"run_id": run_id}, actor="olga", run_id=run_id)
    gates = [{"gate": "fidelity", "passed": True, "value": 0.97, "threshold": 0.85, "message": "ok"}]
    subject = {"run_id": run_id, "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": ws.policy().digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64}, "data": {"source_fingerprint": "d" * 64},
               "student": {"files": files}, "model_card": None, "plugins": [], "gates": gates}
    request = open_request(ws, kind="release", subject=subject, initiator="olga", policy_digest=ws.policy().digest,
                           run_id=run_id, gates=gates)
    for name in ("sam", "lena"):
        decide(ws, request.id, unlock(ws, name, PASS), decision="approve")
    build_release(ws, request.id, out, actor="olga")
    return out


def test_releases_from_before_and_after_a_rotation_verify_against_their_own_node_key(workspace, admin, tmp_path):
    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"])):
        enroll(workspace, name, roles, PASS, admin=unlock(workspace, ADMIN, PASS))
    before = approved_release(workspace, "run-1", tmp_path / "before")
    assert rotate(workspace).exit_code == 0
    ws = Workspace.open(workspace.root)
    after = approved_release(ws, "run-2", tmp_path / "after")

    old_vkey = (ws.root / "keys" / "retired" / "test-ws-node.vkey").read_text()
    new_vkey = ws.ledger().verifier_keys()["test-ws-node-2"]
    assert verify_release(before, node_key=old_vkey)["ok"]
    assert verify_release(after, node_key=new_vkey)["ok"]
    with pytest.raises(BundleInvalid, match="signed by 'test-ws-node', not the pinned node key"):
        verify_release(before, node_key=new_vkey)
    with pytest.raises(BundleInvalid, match="not the pinned node key"):
        verify_release(after, node_key=old_vkey)
    for bundle in (before, after):  # in the workspace, a bundle from before the rotation needs no --node-key
        in_workspace = runner.invoke(cli_app, ["release", "verify", str(bundle), "--workspace", str(ws.root)])
        assert in_workspace.exit_code == 0 and "node key: matches the pinned key" in in_workspace.output
    assert invoke(ws, "verify").output.startswith("OK ")


def test_a_retired_node_key_is_pinned_only_for_a_checkpoint_the_workspace_holds(workspace, admin, tmp_path):
    """Whoever kept a copy of the retired node key can sign a bundle; its checkpoint is not one this ledger stored."""
    import hashlib
    import shutil

    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"])):
        enroll(workspace, name, roles, PASS, admin=unlock(workspace, ADMIN, PASS))
    before = approved_release(workspace, "run-1", tmp_path / "before")
    assert rotate(workspace).exit_code == 0
    ws = Workspace.open(workspace.root)
    forged = tmp_path / "forged"
    shutil.copytree(before, forged)
    note = (forged / "ledger" / "checkpoint").read_text()
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) + 1)  # any change: a checkpoint this ledger never stored
    (forged / "ledger" / "checkpoint").write_text("\n".join(lines))
    manifest = json.loads((forged / "manifest.json").read_text())  # re-hashed, as a forger would
    manifest["files"]["ledger/checkpoint"] = hashlib.sha256((forged / "ledger" / "checkpoint").read_bytes()).hexdigest()
    (forged / "manifest.json").write_text(json.dumps(manifest))
    refused = runner.invoke(cli_app, ["release", "verify", str(forged), "--workspace", str(ws.root)])
    assert isinstance(refused.exception, BundleInvalid) and "not the pinned node key" in str(refused.exception)


# -- forged rotations ------------------------------------------------------------


def append_forged(ledger, signer_name, key, payload, kind=KEY_ROTATED) -> int:
    with ledger.engine.connect() as conn:
        seq, prev = conn.execute(text("SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")).one()
    seq += 1
    leaf = canonical_entry(seq=seq, time="2030-01-01T00:00:00.000000Z", kind=kind, actor="mallory", signer=signer_name,
                           run_id=None, payload=payload, prev=bytes(prev).hex())
    with ledger.engine.begin() as conn:
        conn.execute(text("INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, signature) "
                          "VALUES (:seq, 't', :kind, 'mallory', :signer, NULL, :leaf, :h, :sig)"),
                     {"seq": seq, "kind": kind, "signer": signer_name, "leaf": leaf, "h": merkle.leaf_hash(leaf),
                      "sig": key.sign(leaf)})
    return seq


def takeover(name="mallory-node"):
    key = signing.generate_key()
    return {"verifier_key": signing.verifier_key(name, key.public_key())}


def test_a_rotation_signed_by_a_persons_key_is_refused_when_written_and_when_verified(database_url):
    ledger = new_ledger(database_url)
    alice = signing.generate_key()
    ledger.add_key("alice", alice.public_key(), role="person", actor="admin")
    as_alice = Ledger(ledger.engine, "alice", alice, ledger.origin)
    with pytest.raises(LedgerError, match="'alice' is a person key; only a node key may introduce or rotate keys"):
        as_alice.rotate_key("alice-node", signing.generate_key(), actor="alice")
    seq = append_forged(ledger, "alice", alice, takeover())
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer")
    assert "only a node key may introduce" in report.failure.found


def test_a_rotation_signed_by_the_retired_node_key_is_refused_by_verification(database_url):
    old = signing.generate_key()
    ledger = new_ledger(database_url, key=old, name="node-1")
    ledger.record_many(stage_drafts(3))
    ledger.rotate_key("node-2", signing.generate_key(), actor="admin")
    seq = append_forged(ledger, "node-1", old, takeover())
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer")
    assert "retired at entry 4" in report.failure.found


def test_a_rotation_signed_by_an_unknown_key_is_refused_by_verification(database_url):
    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(3))
    seq = append_forged(ledger, "mallory-node", signing.generate_key(), takeover())
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer")
    assert "unknown key 'mallory-node'" in report.failure.found


def test_a_rotation_in_the_node_keys_name_with_another_key_is_refused_by_verification(database_url):
    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(3))
    seq = append_forged(ledger, "node", signing.generate_key(), takeover())
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signature")


def test_the_node_key_alone_cannot_rotate_itself_once_the_chain_has_an_admin(workspace, admin, tmp_path):
    """The red-team's attack: an operator holding keys/node.key hands the ledger to a key of their own."""
    node_name, node_key = workspace.node_key_name, workspace.node_key()
    with pytest.raises(UsageError, match="only an admin may rotate the node key"):
        rotate_node_key(workspace, actor="olga")
    ledger = Ledger(workspace.engine, node_name, node_key, workspace.origin)
    refused = f"no unused {AUTHORISED} entry by an admin names"
    with pytest.raises(LedgerError, match=refused):
        ledger.rotate_key("olga-node", signing.generate_key(), actor="olga")
    forged_authorisation = {"old_verifier_key": signing.verifier_key(node_name, node_key.public_key()),
                            "new_verifier_key": takeover("olga-node")["verifier_key"]}
    with pytest.raises(LedgerError, match="only an admin's own key signs governance entries"):
        ledger.govern([Draft(AUTHORISED, forged_authorisation, "olga")], signed_by=None)
    assert not rotations(ledger) and not ledger.entries(kind=AUTHORISED)

    audit = tmp_path / "audit"
    ledger.export(audit)  # an honest export, to which the forged entry is added below
    seq = append_forged(ledger, node_name, node_key, takeover("olga-node"))  # straight into the store
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer") and refused in report.failure.found
    live = invoke(workspace, "verify")
    assert live.exit_code == 1 and f"entry {seq}" in live.output and refused in live.output, live.output
    *_, (_, leaf, signature, _) = ledger.rows()
    with open(audit / "entries.jsonl", "ab") as out:
        out.write(b'{"entry":' + leaf + b',"signature":"' + base64.b64encode(signature) + b'"}\n')
    genesis = tmp_path / "genesis.vkey"
    genesis.write_text(signing.verifier_key(node_name, node_key.public_key()) + "\n")
    offline = runner.invoke(app, ["verify", "--offline", str(audit), "--trust", str(genesis)])
    assert offline.exit_code == 1 and f"entry {seq}" in offline.output and refused in offline.output, offline.output


def test_a_node_signed_authorisation_written_into_the_store_authorises_nothing(workspace, admin):
    node_name, node_key = workspace.node_key_name, workspace.node_key()
    ledger = Ledger(workspace.engine, node_name, node_key, workspace.origin)
    payload = {"old_verifier_key": signing.verifier_key(node_name, node_key.public_key()),
               "new_verifier_key": takeover("olga-node")["verifier_key"]}
    seq = append_forged(ledger, node_name, node_key, payload, kind=AUTHORISED)
    report = ledger.verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer")
    assert "only an admin's own key signs governance entries" in report.failure.found


def test_an_admins_authorisation_lets_in_only_the_key_it_names_and_only_once(workspace, admin):
    node_name, node_key = workspace.node_key_name, workspace.node_key()
    ledger = Ledger(workspace.engine, node_name, node_key, workspace.origin)
    person = unlock(workspace, ADMIN, PASS)
    named, other = signing.generate_key(), signing.generate_key()
    payload = {"old_verifier_key": signing.verifier_key(node_name, node_key.public_key()),
               "new_verifier_key": signing.verifier_key("node-b", named.public_key())}
    ledger.govern([Draft(AUTHORISED, payload, ADMIN)], signed_by=(person.key_name, person.key))
    with pytest.raises(LedgerError, match=f"no unused {AUTHORISED} entry"):
        ledger.rotate_key("node-c", other, actor="olga")  # a key the admin did not name
    with pytest.raises(LedgerError, match=f"no unused {AUTHORISED} entry"):
        ledger.rotate_key("node-b", other, actor="olga")  # the name, with another key
    rotated = ledger.rotate_key("node-b", named, actor=ADMIN)
    assert ledger.verifier_keys()["node-b"] == payload["new_verifier_key"] and ledger.verify().ok
    assert not ledger.trust().authorised  # used: the next rotation needs an authorisation of its own
    with pytest.raises(LedgerError, match=f"no unused {AUTHORISED} entry"):
        ledger.rotate_key("node-d", signing.generate_key(), actor="olga")
    assert rotations(ledger) == [rotated]


def test_before_the_first_admin_the_node_key_still_rotates_alone(database_url):
    """The bootstrap: a bare ledger (no admin yet) has nobody to authorise a rotation."""
    ledger = new_ledger(database_url)
    ledger.rotate_key("node-2", signing.generate_key(), actor="setup")
    assert ledger.verify().ok


# -- a crash at every step ---------------------------------------------------------


def rotate_and_die(root, step) -> subprocess.CompletedProcess:
    """The worker's ``rotate-and-die``, with this file's extra steps patched in as well."""
    if step in ROTATION_STEPS:
        return subprocess.run([sys.executable, str(WORKER), "rotate-and-die", str(root), step, ADMIN, PASS],
                              capture_output=True, text=True, timeout=120)
    owner, name = CRASH_AT[step]
    script = (f"import os, sys; sys.path.insert(0, {str(WORKER.parent.parent)!r}); "
              "from tests import ledger_worker; import importlib; "
              f"owner = importlib.import_module({owner.__name__!r}); "
              f"ledger_worker.ROTATION_STEPS[{step!r}] = (owner, {name!r}); "
              f"ledger_worker.rotate_and_die(ledger_worker.Path({str(root)!r}), {step!r}, {ADMIN!r}, {PASS!r})")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_a_rotation_killed_at_any_step_is_finished_by_running_it_again(workspace, admin, step):
    old_name = workspace.node_key_name
    old_inode = (workspace.root / "keys" / "node.key").stat().st_ino
    workspace.ledger().record_many(stage_drafts(3))
    died = rotate_and_die(workspace.root, step)
    assert died.returncode == 9, died.stderr
    retired = workspace.root / "keys" / "retired" / f"{old_name}.key"
    if step in ("install-new-key", "destroy-old-keys"):  # a second name for the old key's own bytes, not a copy
        assert retired.stat().st_ino == old_inode

    crashed = Workspace.open(workspace.root)
    if step == "ledger-entry":  # nothing recorded: the old key is still in charge
        assert crashed.ledger().record("still.signing", {}, actor="a").signer == old_name
    else:
        with pytest.raises(WorkspaceError, match="run `stillroom ledger rotate-key` to finish it"):
            crashed.ledger()

    again = rotate(crashed, "--json")
    assert again.exit_code == 0, again.output
    done = json.loads(again.output)
    assert done["resumed"] is (step != "ledger-entry")
    assert (done["old_name"], done["new_name"]) == (old_name, "test-ws-node-2")
    assert done["retired_vkey"] == f"keys/retired/{old_name}.vkey"
    already_gone = step in ("name-new-key", "checkpoint", "drop-intent")
    assert done["destroyed"] == ([] if already_gone else [f"keys/retired/{old_name}.key"])
    assert private_keys_left(workspace.root) == []

    final = Workspace.open(workspace.root)
    ledger = final.ledger()
    assert final.node_key_name == "test-ws-node-2" and len(rotations(ledger)) == 1
    assert ledger.verifier_keys()["test-ws-node-2"] == signing.verifier_key("test-ws-node-2", final.node_key().public_key())
    assert not list((final.root / "keys" / "rotating").iterdir())
    assert ledger.record("after.recovery", {}, actor="a").signer == "test-ws-node-2"
    ledger.checkpoint()
    report = ledger.verify()
    assert report.ok, report
