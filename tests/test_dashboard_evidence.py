"""The dashboard's read models and actions as plain functions: what a reviewer is shown, and what signing does."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import text

import dashboard_helpers as helpers
from stillroom.approvals import ApprovalRefused, get_request, open_request
from stillroom.dashboard import actions, audit, evidence
from stillroom.dashboard.session import SignedIn
from stillroom.ledger.verify import verify_offline
from stillroom.users import AuthError, get_user


def no_sleep(seconds: float) -> None:
    pass


def as_user(name: str) -> SignedIn:
    return SignedIn(name, helpers.PEOPLE[name], expires=0.0)


@pytest.fixture
def request_(workspace):
    return helpers.build(workspace)


def test_evidence_shows_gates_metrics_slices_targets_and_data_reports(workspace, request_):
    ev = evidence.gather(workspace, request_.id)
    assert ev.request["status"] == "pending" and ev.approval["missing_roles"] == ["security", "legal"]
    assert {g["gate"]: g["passed"] for g in ev.gates} == {
        "retained_quality": True, "fidelity": True, "worst_slice_drop": True, "residual_pii": True,
        "size_mb[cpu-server]": True, "latency_ms_p95[cpu-server]": True}
    accuracy = next(m for m in ev.metrics if m["metric"] == "task.accuracy")
    assert (accuracy["teacher"], accuracy["student"]) == (0.92, 0.89)
    assert accuracy["baseline (no KD)"] == pytest.approx(0.82)
    assert not any(m["metric"].startswith("task.teacher_") for m in ev.metrics)
    worst = next(r for r in ev.slices["label"] if r["slice"] == "top_up_failed")
    assert (worst["n"], worst["student"], worst["teacher"]) == (25, 0.84, 0.9)
    assert ev.targets == [{"target": "cpu-server", "size (MB)": 17.4, "size (MB) limit": 100.0, "size (MB) ok": True,
                           "p95 latency (ms)": 4.8, "p95 latency (ms) limit": 50.0, "p95 latency (ms) ok": True}]
    assert {e["entity"]: e["replaced"] for e in ev.scrub["entities"]} == {"EMAIL_ADDRESS": 4, "PERSON": 12}
    assert ev.scrub["uncovered"] == [] and ev.scrub["residual"] == []
    assert ev.funnel[1] == {"step": "dedupe", "in": 100, "out": 93, "dropped": "exact_duplicate: 5, near_duplicate: 2"}
    assert ev.plugins[0]["name"] == "stillroom.plugins.evaluators.task"
    assert ev.policy["same"] and ev.egress == [] and ev.problems == []


def test_scrub_coverage_names_required_entities_no_method_covers():
    view = evidence.scrub_view({"records": 3, "counts": {}, "methods": {"PERSON": "ner"},
                                "residual": [{"record": 2, "field": "text", "type": "PERSON", "score": 0.9}]},
                               ["PERSON", "US_SSN"])
    assert view["uncovered"] == ["US_SSN"]
    assert view["residual"] == [{"record": 2, "field": "text", "type": "PERSON", "score": 0.9}]


def test_blocked_egress_attempts_of_the_run_are_shown(workspace, request_):
    workspace.ledger().record("egress.blocked", {"target": "huggingface.co:443", "event": "socket.connect",
                                                 "stage": "label", "plugin": "hf"}, actor="olga", run_id=helpers.RUN)
    workspace.ledger().record("egress.blocked", {"target": "elsewhere:80"}, actor="olga", run_id="another-run")
    attempts = evidence.gather(workspace, request_.id).egress
    assert [(a["target"], a["stage"]) for a in attempts] == [("huggingface.co:443", "label")]


def test_a_missing_artifact_is_reported_not_silently_empty(workspace, request_):
    workspace.artifacts.path(request_.subject["data"]["scrub_report"]).unlink()
    ev = evidence.gather(workspace, request_.id)
    assert ev.scrub is None and any("scrub report" in p and "missing" in p for p in ev.problems)


def test_inbox_lists_what_waits_for_each_role_oldest_first(workspace, request_):
    later = open_request(workspace, kind="release", subject={**request_.subject, "pipeline": "other"}, initiator="olga",
                         policy_digest=workspace.policy().digest, run_id=helpers.RUN, gates=request_.gates)
    assert [i.id for i in evidence.inbox(workspace, ["security"])] == [request_.id, later.id]
    assert evidence.inbox(workspace, ["operator"]) == []
    actions.decide(workspace, as_user("sam"), request_.id, passphrase=helpers.passphrase("sam"), decision="approve",
                   sleep=no_sleep)
    assert [i.id for i in evidence.inbox(workspace, ["security"])] == [later.id]
    assert [i.id for i in evidence.inbox(workspace, ["legal"])] == [request_.id, later.id]
    assert evidence.inbox(workspace, ["legal"])[0].waiting_for == ["legal"]


@pytest.mark.parametrize(("age", "shown"), [(timedelta(seconds=20), "just now"), (timedelta(minutes=5), "5 min"),
                                            (timedelta(hours=2, minutes=3), "2 h 3 min"),
                                            (timedelta(days=3, hours=4), "3 d 4 h")])
def test_age_reads_as_a_person_would_say_it(age, shown):
    assert evidence.age_text(age) == shown


def test_two_reviewers_approve_and_each_decision_is_proven_in_the_ledger(workspace, request_):
    first = actions.decide(workspace, as_user("sam"), request_.id, passphrase=helpers.passphrase("sam"),
                           decision="approve", comment="scrub report clean", sleep=no_sleep)
    assert first.status == "pending" and first.missing_roles == ["legal"]
    second = actions.decide(workspace, as_user("lena"), request_.id, passphrase=helpers.passphrase("lena"),
                            decision="approve", sleep=no_sleep)
    assert second.status == "approved" and get_request(workspace, request_.id).status == "approved"
    badge = evidence.ledger_badge(workspace, request_.id)
    assert badge.healthy and badge.proven == len(badge.proofs)
    assert [p["kind"] for p in badge.proofs].count("approval.decision") == 2
    assert "ledger verified up to checkpoint" in badge.summary


def test_the_initiator_is_refused_with_the_policys_message(workspace, request_):
    with pytest.raises(ApprovalRefused, match="olga initiated .* the policy excludes the initiator"):
        actions.decide(workspace, as_user("olga"), request_.id, passphrase=helpers.passphrase("olga"),
                       decision="approve", sleep=no_sleep)
    assert evidence.gather(workspace, request_.id).decisions == []


def test_a_decision_needs_the_reviewers_passphrase_again(workspace, request_):
    with pytest.raises(AuthError, match="wrong passphrase"):
        actions.decide(workspace, as_user("sam"), request_.id, passphrase="not sams", decision="approve",
                       sleep=no_sleep)
    assert get_user(workspace, "sam").failed_logins == 1
    assert evidence.gather(workspace, request_.id).decisions == []


def test_a_tampered_ledger_fails_the_badge(workspace, request_):
    seq, leaf = next((seq, leaf) for seq, leaf, _, _ in workspace.ledger().rows() if b'"run.start"' in leaf)
    with workspace.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET leaf = :leaf WHERE seq = :seq"),
                     {"leaf": leaf.replace(b"olga", b"eve!"), "seq": seq})
    badge = evidence.ledger_badge(workspace, request_.id)
    assert not badge.ok and not badge.healthy and "FAILED" in badge.summary


def test_only_an_admin_adds_and_resets_users(workspace, request_):
    with pytest.raises(AuthError, match="sam is not an admin"):
        actions.add_user(workspace, as_user("sam"), passphrase=helpers.passphrase("sam"), name="mallory",
                         roles=["security"], new_passphrase="mallory-passphrase", sleep=no_sleep)
    assert get_user(workspace, "mallory") is None
    actions.add_user(workspace, as_user("ada"), passphrase=helpers.passphrase("ada"), name="nina", roles=["legal"],
                     new_passphrase="nina-passphrase", sleep=no_sleep)
    assert get_user(workspace, "nina").roles == ["legal"]
    added = workspace.ledger().entries(kind="user.added")[0]
    assert (added.actor, added.signer) == ("ada", get_user(workspace, "ada").key_name)  # ada's own key, not the node's
    user = actions.reset_user(workspace, as_user("ada"), passphrase=helpers.passphrase("ada"), name="sam",
                              new_passphrase="sams-new-passphrase", sleep=no_sleep)
    assert user.key_name == "sam-k2"
    assert workspace.ledger().entries(kind="user.reset")[0].actor == "ada"


def test_run_timeline_has_each_stage_with_its_digests(workspace, request_):
    stages = audit.timeline(workspace, helpers.RUN)
    assert [s["stage"] for s in stages] == ["ingest", "scrub", "curate", "evaluate"]
    assert [(s["from_s"], s["to_s"]) for s in stages] == [(0.0, 1.5), (1.5, 4.0), (4.0, 7.5), (7.5, 12.0)]
    assert stages[1]["end"] - stages[1]["start"] == timedelta(seconds=2.5)
    assert stages[1]["digests"] == f"report: {request_.subject['data']['scrub_report']}"
    assert audit.digests({"files": {"hf": {"m.bin": "b" * 64}}, "n": 3, "l": ["c" * 64]}) == [
        ("files.hf.m.bin", "b" * 64), ("l[0]", "c" * 64)]


def test_ledger_search_proof_and_export(workspace, request_, tmp_path):
    stages = audit.search(workspace, kind="stage.scrub", run_id=helpers.RUN)
    assert len(stages) == 1 and stages[0]["kind"] == "stage.scrub"
    assert audit.search(workspace, run_id="no-such-run") == []
    proven = audit.proof(workspace, stages[0]["seq"])
    assert proven["verified"] and proven["bundle"]["seq"] == stages[0]["seq"]
    with zipfile.ZipFile(io.BytesIO(audit.export_zip(workspace))) as archive:
        archive.extractall(tmp_path)
    assert verify_offline(tmp_path / "ledger-export").ok


def test_policy_history_shows_a_changed_policy(workspace, request_):
    before = workspace.policy().digest
    gates = workspace.policy_dir / "release_gates.yaml"
    gates.write_text(gates.read_text().replace("min_fidelity: 0.85", "min_fidelity: 0.9"))
    from tests.people import adopt_policy

    from stillroom.users import unlock

    adopt_policy(workspace, admin=unlock(workspace, "ada", helpers.passphrase("ada")))  # an edit counts once adopted
    workspace.ledger().record("run.start", {"policy_digest": workspace.policy().digest}, actor="olga", run_id="run-2")
    history = audit.policy_history(workspace)
    assert [(h["digest"], h["active"]) for h in history] == [(before, False), (workspace.policy().digest, True)]
    assert audit.policy_view(workspace)["sections"]["release_gates"]["min_fidelity"] == 0.9


def test_ledger_entries_are_found_by_kind_and_run_newest_first(database_url):
    """The read the Ledger page's search and the egress evidence stand on, on SQLite and PostgreSQL."""
    from tests.ledger_helpers import new_ledger, stage_drafts

    ledger = new_ledger(database_url)
    ledger.record_many(stage_drafts(3, run_id="run-a") + stage_drafts(2, run_id="run-b"))
    ledger.record("egress.blocked", {"target": "example.org:443"}, actor="operator", run_id="run-a")
    assert [e.seq for e in ledger.entries(kind="stage.end", run_id="run-a")] == [3, 2, 1]
    assert [e.payload["target"] for e in ledger.entries(kind="egress.blocked")] == ["example.org:443"]
    assert len(ledger.entries(limit=2)) == 2 and ledger.entries(run_id="run-c") == []
    assert ledger.kinds() == ["egress.blocked", "ledger.genesis", "stage.end"]
