"""Separation of duties, enforced in the core: one adversarial test per rule."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from stillroom import approvals, signing
from stillroom.approvals import ApprovalRefused, decide, open_request, state_of
from stillroom.errors import UsageError
from stillroom.ledger.errors import LedgerError
from stillroom.store.models import Decision
from stillroom.users import AuthError, change_passphrase, reset_user, unlock
from tests.people import adopt_policy, setup_user

PASS = "correct horse battery"


@pytest.fixture
def people(workspace):
    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"]),
                        ("dual", ["security", "legal"]), ("sec2", ["security"])):
        setup_user(workspace, name, roles, PASS, actor="admin")
    return workspace


def request_for(ws, subject=None, initiator="olga"):
    policy = ws.policy()
    return open_request(ws, kind="release", subject=subject or {"student": {"model.safetensors": "a" * 64}},
                        initiator=initiator, policy_digest=policy.digest, run_id="run-1")


def approve(ws, request, name, **kw):
    return decide(ws, request.id, unlock(ws, name, PASS), decision="approve", **kw)


def test_security_and_legal_by_two_people_approve(people):
    request = request_for(people)
    assert approve(people, request, "sam").status == "pending"
    state = approve(people, request, "lena")
    assert state.status == "approved" and state.missing_roles == []
    assert sorted(c["reviewer"] for c in state.counted) == ["lena", "sam"]
    assert approvals.get_request(people, request.id).status == "approved"


def test_initiator_cannot_approve_own_release(people):
    request = request_for(people, initiator="sam")
    with pytest.raises(ApprovalRefused, match="sam initiated .* the policy excludes the initiator"):
        approve(people, request, "sam")


def test_one_person_counts_once_even_with_two_roles(people):
    request = request_for(people)
    approve(people, request, "dual", role="security")
    with pytest.raises(ApprovalRefused, match="already decided .* one person counts once"):
        approve(people, request, "dual", role="legal")
    assert state_of(people, request).missing_roles == ["legal"]


def test_a_person_with_two_roles_plus_another_person_satisfies_both(people):
    request = request_for(people)
    approve(people, request, "dual", role="legal")
    assert approve(people, request, "sam").status == "approved"


def test_forged_second_approval_from_same_person_in_db_counts_once(people):
    """Even written straight into the store, a second decision by the same person cannot fill a second role."""
    request = request_for(people)
    approve(people, request, "dual", role="security")
    person = unlock(people, "dual", PASS)
    statement = approvals.decision_statement(request=request, reviewer="dual", role="legal", decision="approve",
                                             comment="", policy_digest=people.policy().digest,
                                             time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(json.dumps(statement).encode(), approvals.PAYLOAD_TYPE, person.key, person.key_name)
    with people.session() as s:
        s.add(Decision(request_id=request.id, user="dual", roles=["legal"], decision="approve",
                       request_digest=request.digest, policy_digest=people.policy().digest, envelope=envelope))
        s.commit()
    state = state_of(people, request)
    assert not state.satisfied and len(state.counted) == 1


def test_a_user_without_a_required_role_is_refused(people):
    request = request_for(people, initiator="sam")
    with pytest.raises(ApprovalRefused, match="olga holds none of the roles"):
        decide(people, request.id, unlock(people, "olga", PASS), decision="approve")


def test_changed_subject_voids_earlier_approvals(people):
    request = request_for(people)
    approve(people, request, "sam")
    approve(people, request, "lena")
    with people.session() as s:
        stored = s.get(approvals.Request, request.id)
        stored.subject = {**stored.subject, "student": {"model.safetensors": "b" * 64}}
        s.add(stored)
        s.commit()
    state = state_of(people, approvals.get_request(people, request.id))
    assert not state.satisfied and "altered" in state.rejected_by["comment"]


def test_approval_for_one_request_does_not_count_for_another(people):
    first = request_for(people)
    second = request_for(people, subject={"student": {"model.safetensors": "c" * 64}})
    approve(people, first, "sam")
    envelope = approvals.decisions_for(people, first.id)[0].envelope
    with people.session() as s:
        s.add(Decision(request_id=second.id, user="sam", roles=["security"], decision="approve",
                       request_digest=second.digest, policy_digest=people.policy().digest, envelope=envelope))
        s.commit()
    state = state_of(people, second)
    assert state.counted == [] and "different request" in state.ignored[0]["reason"]


def test_changed_policy_voids_earlier_approvals(people):
    request = request_for(people)
    approve(people, request, "sam")
    approve(people, request, "lena")
    path = people.policy_dir / "release_gates.yaml"
    path.write_text(path.read_text().replace("min_fidelity: 0.85", "min_fidelity: 0.5"))
    adopt_policy(people)
    state = state_of(people, request)
    assert not state.satisfied and all("different policy" in i["reason"] for i in state.ignored)


def test_expired_approvals_do_not_count(people):
    request = request_for(people)
    approve(people, request, "sam")
    approve(people, request, "lena")
    later = datetime.now(timezone.utc) + timedelta(days=31)
    state = state_of(people, request, now=later)
    assert not state.satisfied and all("expired (30-day window)" in i["reason"] for i in state.ignored)


def test_forged_signature_is_rejected(people):
    request = request_for(people)
    approve(people, request, "sam")
    with people.session() as s:
        decision = s.exec(approvals.select(Decision)).first()
        statement = json.loads(base64.b64decode(decision.envelope["payload"]))
        statement["predicate"]["comment"] = "edited after signing"
        decision.envelope = {**decision.envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
        s.add(decision)
        s.commit()
    state = state_of(people, request)  # the ledgered envelope is gone from the store: an integrity failure
    assert state.counted == [] and state.rejected_by["role"] == "integrity"
    assert "is missing from the store" in state.rejected_by["comment"]


def test_decision_signed_by_someone_else_in_a_reviewers_name_is_rejected(people):
    request = request_for(people)
    mallory = unlock(people, "sec2", PASS)
    statement = approvals.decision_statement(request=request, reviewer="lena", role="legal", decision="approve",
                                             comment="", policy_digest=people.policy().digest,
                                             time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(json.dumps(statement).encode(), approvals.PAYLOAD_TYPE, mallory.key, "lena-k1")
    with people.session() as s:
        s.add(Decision(request_id=request.id, user="lena", roles=["legal"], decision="approve",
                       request_digest=request.digest, policy_digest=people.policy().digest, envelope=envelope))
        s.commit()
    assert state_of(people, request).counted == []


def test_rejection_by_a_required_role_blocks_until_a_new_request(people):
    request = request_for(people)
    approve(people, request, "sam")
    state = decide(people, request.id, unlock(people, "lena", PASS), decision="reject", comment="licence unclear")
    assert state.status == "rejected" and state.rejected_by["comment"] == "licence unclear"
    with pytest.raises(ApprovalRefused, match="is rejected; only pending requests take decisions"):
        approve(people, request, "sec2")
    fresh = request_for(people)
    assert fresh.id != request.id and fresh.status == "pending"


def test_revoked_role_no_longer_counts(people):
    from stillroom.users import set_roles

    request = request_for(people)
    approve(people, request, "sam")
    approve(people, request, "lena")
    set_roles(people, "lena", ["operator"], admin=None, actor="test-admin")  # no admin yet: the bootstrap signs
    assert state_of(people, request).missing_roles == ["legal"]


def test_roles_edited_in_the_store_count_for_nothing(people):
    """A DBA writes roles into users.roles: approvals count the roles the chain granted, nothing else."""
    from stillroom.users import User

    request = request_for(people, initiator="sec2")
    with people.session() as s:
        olga = s.get(User, "olga")
        olga.roles = ["legal"]
        s.add(olga)
        lena = s.get(User, "lena")
        lena.roles = ["operator"]
        s.add(lena)
        s.commit()
    with pytest.raises(ApprovalRefused, match="olga holds none of the roles"):
        approve(people, request, "olga")
    assert approve(people, request, "sam").status == "pending"
    assert approve(people, request, "lena").status == "approved"


def test_every_decision_is_in_the_ledger_signed_by_the_reviewer(people):
    request = request_for(people)
    approve(people, request, "sam", comment="looks fine")
    rows = [json.loads(leaf) for _, leaf, _, _ in people.ledger().rows()]
    decision = next(e for e in rows if e["kind"] == "approval.decision")
    assert decision["signer"] == "sam-k1" and decision["payload"]["decision"] == "approve"
    assert "looks fine" not in json.dumps(decision)
    assert people.ledger().verify().ok


def test_wrong_passphrase_is_refused_and_ledgered(people):
    with pytest.raises(AuthError, match="wrong passphrase for 'sam'"):
        unlock(people, "sam", "not the passphrase")
    kinds = [json.loads(leaf)["kind"] for _, leaf, _, _ in people.ledger().rows()]
    assert kinds[-1] == "auth.failed"


def test_repeated_failures_lock_the_user(people):
    for _ in range(5):
        with pytest.raises(AuthError, match="wrong passphrase"):
            unlock(people, "sam", "guess-guess")
    with pytest.raises(AuthError, match="locked after repeated failed sign-ins"):
        unlock(people, "sam", PASS)


def test_passphrase_change_and_admin_reset(people):
    change_passphrase(people, "sam", PASS, "a new passphrase")
    with pytest.raises(AuthError):
        unlock(people, "sam", PASS)
    assert unlock(people, "sam", "a new passphrase").key_name == "sam-k1"
    reset_user(people, "sam", "reset passphrase", actor="admin")
    person = unlock(people, "sam", "reset passphrase")
    assert person.key_name == "sam-k2"
    request = request_for(people)
    decide(people, request.id, person, decision="approve")
    assert state_of(people, request).counted == [{"reviewer": "sam", "role": "security"}]


def test_user_names_roles_and_passphrases_are_validated(workspace):
    with pytest.raises(UsageError, match="roles must be among"):
        setup_user(workspace, "eve", ["root"], PASS, actor="admin")
    with pytest.raises(UsageError, match="at least 8 characters"):
        setup_user(workspace, "eve", ["legal"], "short", actor="admin")
    with pytest.raises(UsageError, match="must start with a lowercase letter"):
        setup_user(workspace, "../eve", ["legal"], PASS, actor="admin")


def test_private_keys_are_encrypted_and_the_passphrase_is_not_stored(people):
    key_file = people.root / "keys" / "users" / "sam-k1.key"
    assert b"ENCRYPTED" in key_file.read_bytes()
    with pytest.raises(signing.SigningError):
        signing.load_private_key(key_file)
    everything = b"".join(p.read_bytes() for p in people.root.rglob("*") if p.is_file())
    assert PASS.encode() not in everything


@pytest.mark.production_kdf  # each check takes production time, so the guesses overlap
def test_parallel_wrong_guesses_are_all_counted(people):
    from concurrent.futures import ThreadPoolExecutor

    from stillroom.users import get_user

    def guess(i):
        try:
            unlock(people, "sam", f"wrong guess {i}")
        except AuthError as exc:
            return str(exc)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    assert all("wrong passphrase" in o or "is locked" in o for o in outcomes)
    assert get_user(people, "sam").failed_logins >= 5
    with pytest.raises(AuthError, match="is locked"):
        unlock(people, "sam", PASS)


def test_decisions_signed_before_a_reset_keep_counting(people):
    request = request_for(people)
    approve(people, request, "sam")
    reset_user(people, "sam", "reset passphrase", actor="admin")
    assert approve(people, request, "lena").status == "approved"
    assert state_of(people, request).counted == [{"reviewer": "sam", "role": "security"},
                                                 {"reviewer": "lena", "role": "legal"}]


def test_a_key_retired_by_a_reset_cannot_decide_afterwards(people):
    from stillroom.users import Person, key_path

    old_key = signing.load_private_key(key_path(people, "sam-k1"), PASS)  # the leaked old key
    reset_user(people, "sam", "reset passphrase", actor="admin")
    request = request_for(people)
    with pytest.raises(ApprovalRefused, match="sam-k1 was retired by a reset"):
        decide(people, request.id, Person("sam", ["security"], "sam-k1", old_key), decision="approve")
    assert approvals.decisions_for(people, request.id) == []


@pytest.mark.parametrize("ledgered", [True, False])
def test_a_backdated_decision_with_a_retired_key_does_not_count(people, ledgered):
    """The old key's holder dates the decision before the reset; the ledger's order gives it away."""
    from stillroom.artifacts import canonical_json, sha256_bytes
    from stillroom.users import key_path

    request = request_for(people)
    before_reset = datetime.now(timezone.utc)
    old_key = signing.load_private_key(key_path(people, "sam-k1"), PASS)
    reset_user(people, "sam", "reset passphrase", actor="admin")
    policy = people.policy()
    statement = approvals.decision_statement(request=request, reviewer="sam", role="security", decision="approve",
                                             comment="", policy_digest=policy.digest, time=before_reset)
    envelope = signing.dsse_sign(canonical_json(statement), approvals.PAYLOAD_TYPE, old_key, "sam-k1")
    if ledgered:  # the ledger refuses the old key's own signature; the record lands after the reset anyway
        record = {"request_id": request.id, "reviewer": "sam", "role": "security", "decision": "approve",
                  "request_digest": request.digest, "policy_digest": policy.digest,
                  "envelope_sha256": sha256_bytes(canonical_json(envelope))}
        with pytest.raises(LedgerError, match="'sam-k1' was retired"):
            people.ledger().record("approval.decision", record, actor="sam", run_id=request.run_id,
                                   signed_by=("sam-k1", old_key))
        people.ledger().record("approval.decision", record, actor="sam", run_id=request.run_id)
    with people.session() as s:
        s.add(Decision(request_id=request.id, user="sam", roles=["security"], decision="approve",
                       request_digest=request.digest, policy_digest=policy.digest, envelope=envelope,
                       created_at=before_reset))
        s.commit()
    approve(people, request, "lena")
    state = state_of(people, request)
    assert not state.satisfied and state.missing_roles == ["security"]
    assert any("signed with sam-k1, a key retired by a reset" in i["reason"] for i in state.ignored)
