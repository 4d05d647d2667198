"""``stillroom ledger ...`` on a real workspace: what a user sees and the exit codes."""

import json

import pytest
from typer.testing import CliRunner

from stillroom.ledger.commands import app
from stillroom.ledger.errors import NotInLedger
from stillroom.ledger.log import Ledger
from stillroom.ledger.verify import verify_consistency_bundle, verify_inclusion_bundle
from tests.ledger_helpers import stage_drafts

runner = CliRunner()


@pytest.fixture
def ledger(workspace):
    ledger = Ledger.for_workspace(workspace)
    ledger.record_many(stage_drafts(9))
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
