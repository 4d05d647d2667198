"""Issue 11, items 1, 2 and 6: attacks on who may approve and under which policy, through the public surface.

The attackers: a DBA with write access to the store only (no node key, no passphrase), on SQLite and on
PostgreSQL; an operator who can read keys/node.key and edit policies/. Each test performs the attack and
asserts the refusal, its exit code and sentence, and that nothing was written where nothing should be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from stillroom import approvals, signing
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.ledger import merkle
from stillroom.ledger.entry import canonical_entry
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Ledger
from stillroom.store.models import Decision
from stillroom.users import enroll, unlock

PASS = "correct horse battery"
PASSING = [{"gate": "fidelity", "passed": True, "value": 0.97, "threshold": 0.85, "message": "ok"}]
AUTH_VARS = ("STILLROOM_USER", "STILLROOM_PASSPHRASE", "STILLROOM_NEW_PASSPHRASE", "STILLROOM_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def ws(request, tmp_path, monkeypatch):
    """A workspace with an admin (ada) who added an operator and two reviewers; SQLite, then PostgreSQL."""
    from stillroom.workspace import init_workspace

    monkeypatch.delenv("STILLROOM_DATABASE_URL", raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv("STILLROOM_DATABASE_URL", request.getfixturevalue("postgres_schema"))
    workspace = init_workspace(tmp_path / "ws", name="trust")
    enroll(workspace, "ada", ["admin"], PASS, admin=None, bootstrap_actor="os:tester")
    ada = unlock(workspace, "ada", PASS)
    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"])):
        enroll(workspace, name, roles, PASS, admin=ada)
    return workspace


def open_release(ws, initiator="olga"):
    store = ws.artifacts
    files = {"hf/model.safetensors": store.put_bytes(b"\x00weights" * 100)}
    ws.ledger().record("run.start", {"run_id": "run-1"}, actor=initiator, run_id="run-1")
    digest = ws.policy().digest
    subject = {"run_id": "run-1", "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64}, "data": {"source_fingerprint": "d" * 64},
               "student": {"files": files}, "model_card": None, "plugins": [], "gates": PASSING}
    return approvals.open_request(ws, kind="release", subject=subject, initiator=initiator, policy_digest=digest,
                                  run_id="run-1", gates=PASSING)


def cli(ws, *args, user=None, **env):
    base = {k: v for k, v in os.environ.items() if k not in AUTH_VARS}
    if ws.database_url.startswith("postgresql"):
        base["STILLROOM_DATABASE_URL"] = ws.database_url
    if user:
        base.update(STILLROOM_USER=user, STILLROOM_PASSPHRASE=PASS)
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args, "--workspace", str(ws.root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env={**base, **env})


def kinds(ws):
    return [e.kind for e in ws.ledger().entries(limit=10_000)]


# -- item 1: a DBA cannot make a reviewer --------------------------------------------------------------


def _insert_entry(ws, kind, payload, *, signer, key, run_id=None):
    """An entry signed by ``key`` written straight into the store, past every append check."""
    with ws.engine.connect() as c:
        seq, prev = c.execute(text("SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")).one()
    leaf = canonical_entry(seq=seq + 1, time="2030-01-01T00:00:00.000000Z", kind=kind, actor="sam", signer=signer,
                           run_id=run_id, payload=payload, prev=bytes(prev).hex())
    with ws.engine.begin() as c:
        c.execute(text("INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, "
                       "signature) VALUES (:seq, 't', :kind, 'sam', :signer, :run, :leaf, :h, :sig)"),
                  {"seq": seq + 1, "kind": kind, "signer": signer, "run": run_id, "leaf": leaf,
                   "h": merkle.leaf_hash(leaf), "sig": key.sign(leaf)})


def _forge_approval(ws, request, reviewer, role):
    """The DBA's key row ``<reviewer>-k99``, an approval (with a waiver) signed by it, and its decision row."""
    key_name, key = f"{reviewer}-k99", signing.generate_key()
    with ws.engine.begin() as c:
        c.execute(text("INSERT INTO ledger_keys (name, verifier_key, role, introduced_seq, retired_seq) "
                       "VALUES (:n, :v, 'person', 1, NULL)"),
                  {"n": key_name, "v": signing.verifier_key(key_name, key.public_key())})
    statement = approvals.decision_statement(request=request, reviewer=reviewer, role=role, decision="approve",
                                             comment="", policy_digest=request.policy_digest,
                                             time=datetime.now(timezone.utc), waive=["fidelity"])
    envelope = signing.dsse_sign(canonical_json(statement), approvals.PAYLOAD_TYPE, key, key_name)
    with ws.session() as s:
        s.add(Decision(request_id=request.id, user=reviewer, roles=[role], decision="approve",
                       request_digest=request.digest, policy_digest=request.policy_digest, envelope=envelope))
        s.commit()
    return key_name, key, envelope


def test_a_dba_who_inserts_reviewer_keys_and_decisions_gets_no_release(ws, tmp_path):
    request = open_release(ws)
    forged = [_forge_approval(ws, request, reviewer, role) for reviewer, role in (("sam", "security"),
                                                                                  ("lena", "legal"))]
    with ws.engine.begin() as c:
        c.execute(text("UPDATE requests SET status = 'approved' WHERE id = :id"), {"id": request.id})
    # The key rows are a cache: the chain never introduced sam-k99, so it signs nothing that counts.
    state = approvals.state_of(ws, request)
    assert state.status == "pending" and "not signed by any of sam's keys" in state.ignored[0]["reason"]
    listed = cli(ws, "requests", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["status"] == "pending"
    out = tmp_path / "bundle"
    refused = cli(ws, "release", request.id, "--out", str(out))
    assert refused.returncode == 1 and "lacks approvals from: security, legal" in refused.stderr, refused.stderr
    # Ledgering them through the library is refused: the chain does not know the key.
    key_name, key, envelope = forged[0]
    before = ws.ledger().size()
    with pytest.raises(LedgerError, match="signed by unknown key 'sam-k99'"):
        Ledger(ws.engine, key_name, key, ws.origin).record("approval.decision", {"request_id": request.id},
                                                           actor="sam", run_id="run-1")
    assert ws.ledger().size() == before
    # Written straight into the store, the entries break verification, and release verifies first.
    for key_name, key, envelope in forged:
        _insert_entry(ws, "approval.decision", {"request_id": request.id, "decision": "approve",
                                                "envelope_sha256": sha256_bytes(canonical_json(envelope))},
                      signer=key_name, key=key, run_id="run-1")
    refused = cli(ws, "release", request.id, "--out", str(out))
    assert refused.returncode == 1, refused.stderr
    assert "the ledger does not verify" in refused.stderr and "signed by unknown key 'sam-k99'" in refused.stderr
    assert not out.exists() and "release.bundle" not in kinds(ws)
    assert cli(ws, "ledger", "verify").returncode == 1


def test_the_node_key_mints_no_reviewer_after_the_bootstrap(ws, tmp_path):
    """An operator who reads keys/node.key: the ledger refuses node-signed governance, and verification fails
    on one written straight into the store."""
    node = ws.ledger()
    mallory = signing.generate_key()
    verifier = signing.verifier_key("mallory-k1", mallory.public_key())
    before = node.size()
    with pytest.raises(LedgerError, match="signed by the node key .* only an admin's own key signs governance"):
        node.add_key("mallory-k1", mallory.public_key(), role="person", actor="olga")
    assert node.size() == before
    _insert_entry(ws, "key.added", {"verifier_key": verifier, "role": "person"},
                  signer=ws.node_key_name, key=ws.node_key())
    verified = cli(ws, "ledger", "verify")
    assert verified.returncode == 1 and "only an admin's own key signs governance entries" in verified.stdout \
        + verified.stderr


# -- item 2: policies are governed ----------------------------------------------------------------------


def test_an_operator_who_edits_the_policy_can_neither_self_approve_run_nor_release(ws, tmp_path):
    request = open_release(ws)
    path = ws.policy_dir / "approvals.yaml"
    path.write_text(path.read_text().replace("required_roles: [security, legal]", "required_roles: [operator]")
                    .replace("initiator_excluded: true", "initiator_excluded: false"))
    assert "required_roles: [operator]" in path.read_text()
    before = ws.ledger().size()
    named = f"{path} changed since the policy in force was adopted"
    approved = cli(ws, "approve", request.id, user="olga")
    assert approved.returncode == 1 and named in approved.stderr, approved.stderr
    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\n")
    ran = cli(ws, "run", str(spec), user="olga")
    assert ran.returncode == 1 and named in ran.stderr, ran.stderr
    released = cli(ws, "release", request.id, "--out", str(tmp_path / "b"))
    assert released.returncode == 1 and named in released.stderr and not (tmp_path / "b").exists()
    checked = cli(ws, "policy", "check")
    assert checked.returncode == 1 and named in checked.stderr
    adopted = cli(ws, "policy", "adopt", user="olga")
    assert adopted.returncode == 1 and "olga is not an admin; only admins adopt policies" in adopted.stderr
    assert ws.ledger().size() == before and approvals.decisions_for(ws, request.id) == []
    with ws.session() as s:
        assert s.get(approvals.Request, request.id).status == "pending"


def test_an_admin_adopts_a_policy_and_policy_check_shows_it(ws):
    path = ws.policy_dir / "approvals.yaml"
    path.write_text(path.read_text().replace("valid_days: 30", "valid_days: 14", 1))
    adopted = cli(ws, "policy", "adopt", user="ada")
    assert adopted.returncode == 0 and "as ada" in adopted.stdout, adopted.stderr
    entry = ws.ledger().entries(kind="policy.adopted")[0]
    assert entry.signer == "ada-k1" and entry.payload["files"]["approvals.yaml"] == sha256_bytes(path.read_bytes())
    checked = cli(ws, "policy", "check")
    assert checked.returncode == 0 and f"in force: adopted at ledger entry {entry.seq}" in checked.stdout


def test_a_policy_listing_a_role_twice_is_refused_by_policy_check(ws):
    path = ws.policy_dir / "approvals.yaml"
    path.write_text(path.read_text().replace("required_roles: [security, legal]", "required_roles: [security, security]", 1))
    checked = cli(ws, "policy", "check")
    assert checked.returncode == 2 and "lists security more than once" in checked.stderr and str(path) in checked.stderr


# -- item 6: a node key never passes for a person --------------------------------------------------------


def test_a_node_key_named_like_a_reviewers_key_is_refused(ws):
    before = ws.ledger().size()
    rotated = cli(ws, "ledger", "rotate-key", "--name", "sam-k9", user="ada")
    assert rotated.returncode == 2 and "has the form of sam's person keys" in rotated.stderr, rotated.stderr
    assert ws.ledger().size() == before and not (ws.root / "keys" / "rotating" / "sam-k9.key").exists()


def test_a_decision_signed_by_a_key_nobody_was_given_counts_for_nobody(ws):
    """Whatever its name, a key counts only for the user a user.added or user.reset entry gave it to."""
    request = open_release(ws)
    node = ws.node_key()
    statement = approvals.decision_statement(request=request, reviewer="sam", role="security", decision="approve",
                                             comment="", policy_digest=request.policy_digest,
                                             time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(canonical_json(statement), approvals.PAYLOAD_TYPE, node, "sam-k9")
    keys = {"sam-k9": node.public_key()}
    with pytest.raises(approvals.ApprovalRefused, match="not signed by any of sam's keys"):
        approvals.open_decision(envelope, keys, owners={})
    assert approvals.open_decision(envelope, keys, owners={"sam-k9": "sam"})["predicate"]["reviewer"] == "sam"


# -- item 12: listings never show a stale approval -----------------------------------------------------------


def test_requests_list_shows_no_stale_approval_after_tampering(ws):
    request = open_release(ws)
    for name in ("sam", "lena"):
        approvals.decide(ws, request.id, unlock(ws, name, PASS), decision="approve")
    listed = cli(ws, "requests", "list", "--json")
    assert json.loads(listed.stdout)[0]["status"] == "approved"
    with ws.engine.begin() as c:  # lena's signed decision removed from the store
        c.execute(text("DELETE FROM decisions WHERE request_id = :id AND \"user\" = 'lena'"), {"id": request.id})
    listed = cli(ws, "requests", "list", "--json")  # the ledger holds her decision: the store lost it
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["status"] == "rejected"
    only_approved = cli(ws, "requests", "list", "--status", "approved", "--json")
    assert json.loads(only_approved.stdout) == []


# -- red team: the store's copies of requests and decisions decide nothing -------------------------------------


def _add_person(ws, name, roles):
    enroll(ws, name, roles, PASS, admin=unlock(ws, "ada", PASS))


def test_a_dba_who_deletes_a_rejection_gets_no_release(ws, tmp_path):
    _add_person(ws, "sue", ["security"])
    request = open_release(ws)
    approvals.decide(ws, request.id, unlock(ws, "sam", PASS), decision="approve")
    approvals.decide(ws, request.id, unlock(ws, "sue", PASS), decision="reject", comment="PII risk")
    with ws.engine.begin() as c:  # a database-only attacker removes the rejection and reopens the request
        c.execute(text("DELETE FROM decisions WHERE request_id = :id AND \"user\" = 'sue'"), {"id": request.id})
        c.execute(text("UPDATE requests SET status = 'pending' WHERE id = :id"), {"id": request.id})
    approvals.decide(ws, request.id, unlock(ws, "lena", PASS), decision="approve")
    state = approvals.state_of(ws, request)
    assert not state.satisfied and state.rejected_by["role"] == "integrity"
    assert "is missing from the store" in state.rejected_by["comment"]
    refused = cli(ws, "release", request.id, "--out", str(tmp_path / "bundle"))
    assert refused.returncode == 1 and f"{request.id} is rejected" in refused.stderr, refused.stderr
    assert not (tmp_path / "bundle").exists() or not any((tmp_path / "bundle").iterdir())


def test_a_dba_who_rewrites_the_initiator_lets_nobody_approve_their_own_request(ws):
    _add_person(ws, "ivy", ["operator", "security"])
    request = open_release(ws, initiator="ivy")
    with ws.engine.begin() as c:  # the row now names another initiator; the ledgered request.opened does not
        c.execute(text("UPDATE requests SET initiator = 'olga' WHERE id = :id"), {"id": request.id})
    with pytest.raises(approvals.ApprovalRefused, match="ivy initiated .* and cannot approve it"):
        approvals.decide(ws, request.id, unlock(ws, "ivy", PASS), decision="approve")
    assert approvals.decisions_for(ws, request.id) == []
