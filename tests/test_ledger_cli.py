"""``stillroom ledger ...`` on a real workspace: what a user sees and the exit codes."""

import json

import pytest
from typer.testing import CliRunner

from stillroom.errors import UsageError
from stillroom.ledger.commands import app
from stillroom.ledger.entry import KEY_ROTATED
from stillroom.ledger.errors import NotInLedger
from stillroom.ledger.log import Ledger
from stillroom.ledger.rotation import AUTHORISED
from stillroom.ledger.verify import verify_consistency_bundle, verify_inclusion_bundle
from stillroom.users import AuthError, enroll, unlock
from stillroom.workspace import Workspace
from tests.ledger_helpers import stage_drafts

runner = CliRunner()


@pytest.fixture
def ledger(workspace):
    ledger = Ledger.for_workspace(workspace)
    ledger.record_many(stage_drafts(8))  # with the genesis and init's policy adoption: 10 entries
    return ledger


def invoke(workspace, *args):
    return runner.invoke(app, [*args, "--workspace", str(workspace.root)])


def test_checkpoint_prints_a_signed_note_for_the_workspace_log(workspace, ledger):
    result = invoke(workspace, "checkpoint")
    assert result.exit_code == 0, result.output
    origin, size, _root, blank, signature = result.output.split("\n")[:5]
    assert (origin, size, blank) == (workspace.origin, "10", "")
    assert signature.startswith(f"— {workspace.node_key_name} ")


def test_verify_reports_ok_and_exits_zero(workspace, ledger):
    ledger.checkpoint()
    result = invoke(workspace, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK 10 entries, 1 checkpoint(s) verified")
    data = json.loads(invoke(workspace, "verify", "--json").output)
    assert data["ok"] is True and data["entries"] == 10 and data["failure"] is None


def test_verify_prints_the_first_failure_and_exits_one(workspace, ledger):
    ledger.checkpoint()
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ledger_entries WHERE seq = 4")
    result = invoke(workspace, "verify")
    assert result.exit_code == 1
    assert result.output.strip() == "FAILED entry 4: seq: expected 4, found 5 (entries missing or out of order)"
    failure = json.loads(invoke(workspace, "verify", "--json").output)["failure"]
    assert failure == {"seq": 4, "what": "seq", "expected": "4", "found": "5 (entries missing or out of order)"}


def test_export_then_offline_verify_with_and_without_a_pinned_key(workspace, ledger, tmp_path):
    target = tmp_path / "audit"
    assert invoke(workspace, "export", str(target)).exit_code == 0
    assert runner.invoke(app, ["verify", "--offline", str(target)]).exit_code == 0
    pinned = target / "keys" / f"{workspace.node_key_name}.vkey"
    assert runner.invoke(app, ["verify", "--offline", str(target), "--trust", str(pinned)]).exit_code == 0
    lines = (target / "entries.jsonl").read_text().splitlines()
    (target / "entries.jsonl").write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    result = runner.invoke(app, ["verify", "--offline", str(target)])
    assert result.exit_code == 1 and result.output.startswith("FAILED entry 3: seq")


def test_prove_prints_a_proof_that_verifies(workspace, ledger):
    ledger.checkpoint()
    result = invoke(workspace, "prove", "7", "--json")
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    verify_inclusion_bundle(bundle, list(ledger.verifier_keys().values()))
    human = invoke(workspace, "prove", "7").output
    assert f"entry 7 is in {workspace.origin} at tree size 10" in human and bundle["proof"][0] in human


def test_prove_beyond_the_checkpoint_is_a_usage_error(workspace, ledger):
    ledger.checkpoint()
    result = invoke(workspace, "prove", "10")
    assert isinstance(result.exception, NotInLedger) and result.exception.exit_code == 2


def test_consistency_between_two_checkpoints(workspace, ledger):
    ledger.checkpoint()
    ledger.record_many(stage_drafts(5))
    ledger.checkpoint()
    result = invoke(workspace, "consistency", "10", "15", "--json")
    assert result.exit_code == 0, result.output
    verify_consistency_bundle(json.loads(result.output), list(ledger.verifier_keys().values()))
    assert "checkpoint 15 (root" in invoke(workspace, "consistency", "10", "15").output


# -- rotate-key: an unlocked admin only -----------------------------------------------

PASS = "correct horse battery"


@pytest.fixture
def people(workspace):
    enroll(workspace, "ada", ["admin"], PASS, admin=None)
    enroll(workspace, "olga", ["operator"], PASS, admin=unlock(workspace, "ada", PASS))


def rotate(workspace, *args, user=None, passphrase=None):
    return runner.invoke(app, ["rotate-key", *args, "--workspace", str(workspace.root)],
                         env={"STILLROOM_USER": user, "STILLROOM_PASSPHRASE": passphrase})


@pytest.mark.parametrize(("args", "passphrase", "error", "message"), [
    ([], PASS, UsageError, "say who acts with --as NAME or $STILLROOM_USER"),
    (["--as", "ada"], None, UsageError, "no passphrase for ada"),  # not a terminal: no prompt
    (["--as", "ada"], "not the passphrase", AuthError, "wrong passphrase for 'ada'"),
    (["--as", "nobody"], PASS, AuthError, "unknown user or wrong passphrase for 'nobody'"),
    (["--as", "olga"], PASS, AuthError, "olga is not an admin; only admins rotate the node key"),
])
def test_rotate_key_refuses_anyone_but_an_unlocked_admin(workspace, people, args, passphrase, error, message):
    result = rotate(workspace, *args, passphrase=passphrase)
    assert isinstance(result.exception, error) and message in str(result.exception), result.output
    assert result.exception.exit_code == (2 if error is UsageError else 1)  # what the CLI's entry point exits with
    reopened = Workspace.open(workspace.root)
    assert reopened.node_key_name == "test-ws-node" and not reopened.ledger().entries(kind=KEY_ROTATED)
    assert not reopened.ledger().entries(kind=AUTHORISED)
    assert not list((workspace.root / "keys" / "rotating").glob("*.key"))


@pytest.mark.parametrize("who", [{"args": ["--as", "ada"]}, {"user": "ada"}])
def test_an_admin_rotates_and_is_the_rotation_entrys_actor(workspace, people, who):
    result = rotate(workspace, "--json", *who.get("args", []), user=who.get("user"), passphrase=PASS)
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["actor"] == "ada" and done["new_name"] == "test-ws-node-2"
    ledger = Workspace.open(workspace.root).ledger()
    [authorised], [rotated] = ledger.entries(kind=AUTHORISED), ledger.entries(kind=KEY_ROTATED)
    assert (authorised.actor, authorised.signer, authorised.seq + 1) == ("ada", "ada-k1", rotated.seq)
    assert (rotated.actor, rotated.signer) == ("ada", "test-ws-node")  # the old node key still signs the rotation
    assert authorised.payload == {"old_verifier_key": done["old_verifier_key"],
                                  "new_verifier_key": done["new_verifier_key"]}
    assert ledger.verify().ok
