"""Sample audit by a person: seeded sample, signed marks, the rules in the core, and the release gate.

Requests are opened directly over a scrubbed artifact written to the store, as ``test_release`` does;
the pipeline's scrub stage is covered by ``test_scrub_pipeline``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from scipy.stats import beta

from stillroom import sample_audit, signing
from stillroom.approvals import decide, open_request
from stillroom.artifacts import canonical_json
from stillroom.errors import UsageError
from stillroom.release import BundleInvalid, ReleaseRefused, build_release, verify_release
from stillroom.sample_audit import AuditRefused, clopper_pearson_upper, draw_sample, outcome_of, sign_audit
from stillroom.users import unlock
from tests.people import adopt_policy, setup_user

PASS = "correct horse battery"
PASSING = [{"gate": "fidelity", "passed": True, "value": 0.97, "threshold": 0.85, "message": "ok"}]


@pytest.fixture
def people(workspace):
    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"]), ("ivy", ["security"])):
        setup_user(workspace, name, roles, PASS, actor="admin")
    return workspace


def release_request(ws, *, records: int = 120, tag: str = "a"):
    store = ws.artifacts
    scrubbed = store.put_bytes(b"".join(json.dumps({"text": f"<PERSON> asked about order {tag}{n}",
                                                    "label": "refund"}).encode() + b"\n" for n in range(records)))
    subject = {"run_id": "run-1", "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": ws.policy().digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64},
               "data": {"source_fingerprint": "d" * 64, "scrubbed": scrubbed},
               "student": {"files": {"hf/model.safetensors": store.put_bytes(b"\x00w" * 50)}},
               "model_card": store.put_bytes(b"# Student\n"), "plugins": [], "gates": PASSING}
    return open_request(ws, kind="release", subject=subject, initiator="olga", policy_digest=ws.policy().digest,
                        run_id="run-1", gates=PASSING)


def marks_for(sample, *, missed: dict[int, list[str]] | None = None):
    missed = missed or {}
    return [{"index": i, "verdict": "pii_left" if i in missed else "clean", "types": missed.get(i, [])}
            for i in sample.indices]


def require_audit(ws, *, max_misses: int = 0, size: int = 50) -> None:
    path = ws.policy_dir / "release_gates.yaml"
    text = path.read_text().replace("required: false", "required: true")
    path.write_text(text.replace("max_misses: 0", f"max_misses: {max_misses}").replace("size: 50", f"size: {size}"))
    adopt_policy(ws)


def stillroom(ws, *args: str, user: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "STILLROOM_PASSPHRASE": PASS, "NO_COLOR": "1", "COLUMNS": "200"}
    if user:
        env["STILLROOM_USER"] = user
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args, "--workspace", str(ws.root)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(("misses", "n"), [(0, 50), (1, 50), (3, 50), (0, 1), (7, 20), (0, 2000), (40, 2000)])
def test_the_upper_bound_is_the_clopper_pearson_interval(misses, n):
    assert clopper_pearson_upper(misses, n) == pytest.approx(beta.ppf(0.975, misses + 1, n - misses), abs=1e-9)


def test_the_sample_is_seeded_by_the_request_and_sized_by_the_policy(people):
    first, second = release_request(people), release_request(people, tag="b")
    drawn = draw_sample(people, first)
    assert len(drawn.indices) == 50 and drawn.population == 120 and list(drawn.indices) == sorted(set(drawn.indices))
    assert draw_sample(people, first).indices == drawn.indices  # the same request, the same records
    assert draw_sample(people, second).indices != drawn.indices  # nobody picks which records are read
    assert all(r["text"].startswith("<PERSON>") for r in drawn.records)
    assert sample_audit.segments("Hi <PERSON>, call <PHONE_NUMBER_kqzmxvbtda>.") == [
        ("Hi ", False), ("<PERSON>", True), (", call ", False), ("<PHONE_NUMBER_kqzmxvbtda>", True), (".", False)]


def test_a_security_reviewers_signed_audit_counts_with_its_misses_and_bound(people):
    request = release_request(people)
    drawn = draw_sample(people, request)
    outcome = sign_audit(people, request.id, unlock(people, "sam", PASS),
                         marks_for(drawn, missed={drawn.indices[3]: ["person"]}))
    assert outcome.completed and outcome.reviewer == "sam" and (outcome.size, outcome.misses) == (50, 1)
    assert outcome.types == ["PERSON"] and outcome.miss_rate_upper == pytest.approx(0.1065, abs=1e-4)
    entry = people.ledger().entries(kind="sample_audit.decision")[0]
    assert entry.signer == unlock(people, "sam", PASS).key_name and entry.payload["misses"] == 1
    assert "asked about" not in json.dumps(entry.payload["envelope"]["signatures"])


def test_marks_must_cover_the_sample_once_each(people):
    request = release_request(people)
    drawn = draw_sample(people, request)
    sam = unlock(people, "sam", PASS)
    with pytest.raises(UsageError, match="1 sampled record.* not marked"):
        sign_audit(people, request.id, sam, marks_for(drawn)[1:])
    outside = [m for m in range(120) if m not in drawn.indices][0]
    with pytest.raises(UsageError, match=f"record {outside} is not in this request's sample"):
        sign_audit(people, request.id, sam, [*marks_for(drawn)[1:], {"index": outside, "verdict": "clean"}])
    with pytest.raises(UsageError, match="names the types left"):
        sign_audit(people, request.id, sam, [{**marks_for(drawn)[0], "verdict": "pii_left"}, *marks_for(drawn)[1:]])
    assert not people.ledger().entries(kind="sample_audit.decision")


def test_a_non_security_users_audit_is_refused_and_a_forged_one_does_not_count(people):
    request = release_request(people)
    drawn = draw_sample(people, request)
    lena = unlock(people, "lena", PASS)
    with pytest.raises(AuditRefused, match="lena does not hold the security role"):
        sign_audit(people, request.id, lena, marks_for(drawn))
    # Signed and ledgered behind the core's back, in her own name and with her own key: still not counted.
    statement = sample_audit.audit_statement(sample=drawn, reviewer="lena", marks=marks_for(drawn),
                                             policy_digest=people.policy().digest,
                                             time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(canonical_json(statement), sample_audit.PAYLOAD_TYPE, lena.key, lena.key_name)
    people.ledger().record(sample_audit.ENTRY_KIND, {"request_id": request.id, "envelope": envelope},
                           actor="lena", run_id="run-1", signed_by=(lena.key_name, lena.key))
    outcome = outcome_of(people, request)
    assert not outcome.completed and "lena does not hold the security role" in outcome.ignored[0]["reason"]


def test_an_audit_in_someone_elses_name_does_not_count(people):
    request = release_request(people)
    drawn = draw_sample(people, request)
    lena = unlock(people, "lena", PASS)
    statement = sample_audit.audit_statement(sample=drawn, reviewer="sam", marks=marks_for(drawn),
                                             policy_digest=people.policy().digest,
                                             time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(canonical_json(statement), sample_audit.PAYLOAD_TYPE, lena.key, lena.key_name)
    people.ledger().record(sample_audit.ENTRY_KIND, {"request_id": request.id, "envelope": envelope},
                           actor="lena", run_id="run-1", signed_by=(lena.key_name, lena.key))
    outcome = outcome_of(people, request)
    assert not outcome.completed and "not signed by any of sam's current keys" in outcome.ignored[0]["reason"]


def test_the_initiator_cannot_audit_their_own_request(people):
    setup_user(people, "otto", ["operator", "security"], PASS, actor="admin")
    request = open_request(people, kind="release", subject=release_request(people).subject, initiator="otto",
                           policy_digest=people.policy().digest, run_id="run-1", gates=PASSING)
    with pytest.raises(AuditRefused, match="otto initiated"):
        sign_audit(people, request.id, unlock(people, "otto", PASS), marks_for(draw_sample(people, request)))


def test_an_audit_of_another_requests_sample_does_not_count(people):
    audited, other = release_request(people), release_request(people, tag="b")
    outcome = sign_audit(people, audited.id, unlock(people, "sam", PASS), marks_for(draw_sample(people, audited)))
    assert outcome.completed
    assert not outcome_of(people, other).completed
    # The audited request's signed envelope, replayed in a ledger entry that names the other request.
    envelope = people.ledger().entries(kind="sample_audit.decision")[0].payload["envelope"]
    sam = unlock(people, "sam", PASS)
    people.ledger().record(sample_audit.ENTRY_KIND, {"request_id": other.id, "envelope": envelope},
                           actor="sam", run_id="run-1", signed_by=(sam.key_name, sam.key))
    replayed = outcome_of(people, other)
    assert not replayed.completed and "signed for another request" in replayed.ignored[0]["reason"]


def test_a_later_clean_audit_does_not_erase_a_miss(people):
    request = release_request(people)
    drawn = draw_sample(people, request)
    sign_audit(people, request.id, unlock(people, "sam", PASS), marks_for(drawn, missed={drawn.indices[0]: ["IBAN_CODE"]}))
    outcome = sign_audit(people, request.id, unlock(people, "ivy", PASS), marks_for(drawn))
    assert outcome.misses == 1 and outcome.reviewer == "sam" and len(outcome.counted) == 2


def approve_both(ws, request):
    for name in ("sam", "lena"):
        decide(ws, request.id, unlock(ws, name, PASS), decision="approve")


def test_a_release_under_a_policy_requiring_an_audit_is_refused_without_one(people, tmp_path):
    require_audit(people, size=30)
    request = release_request(people)
    approve_both(people, request)
    with pytest.raises(ReleaseRefused, match="fails release gate sample_audit .*no counted sample audit"):
        build_release(people, request.id, tmp_path / "bundle", actor="olga")
    assert not (tmp_path / "bundle").exists()
    sign_audit(people, request.id, unlock(people, "ivy", PASS), marks_for(draw_sample(people, request)))
    assert build_release(people, request.id, tmp_path / "bundle", actor="olga")


def test_a_release_with_more_misses_than_the_policy_allows_is_refused(people, tmp_path):
    require_audit(people, max_misses=1)
    request = release_request(people)
    approve_both(people, request)
    drawn = draw_sample(people, request)
    sign_audit(people, request.id, unlock(people, "ivy", PASS),
               marks_for(drawn, missed={drawn.indices[0]: ["PERSON"], drawn.indices[9]: ["PHONE_NUMBER"]}))
    with pytest.raises(ReleaseRefused, match=r"sample_audit .*audit of 50 .*upper bound 0\.137.*needs ≤ 1"):
        build_release(people, request.id, tmp_path / "bundle", actor="olga")


def test_headless_review_through_the_cli(people, tmp_path):
    request = release_request(people)
    shown = stillroom(people, "audit", "sample", request.id, "--show")
    assert shown.returncode == 0, shown.stderr
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert len(lines) == 50 and lines[0]["record"]["text"].startswith("<PERSON>")
    marks = [{"index": line["index"], "verdict": "clean"} for line in lines]
    marks_file = tmp_path / "marks.json"
    marks_file.write_text(json.dumps(marks))
    refused = stillroom(people, "audit", "sample", request.id, "--marks", str(marks_file), user="lena")
    assert refused.returncode == 1 and "lena does not hold the security role" in refused.stderr
    marks_file.write_text("{not json")
    bad = stillroom(people, "audit", "sample", request.id, "--marks", str(marks_file), user="sam")
    assert bad.returncode == 2 and "not JSON" in bad.stderr
    marks_file.write_text(json.dumps(marks))
    signed = stillroom(people, "audit", "sample", request.id, "--marks", str(marks_file), "--json", user="sam")
    assert signed.returncode == 0, signed.stderr
    result = json.loads(signed.stdout)
    assert result["completed"] and result["misses"] == 0 and result["miss_rate_upper_95"] == pytest.approx(0.0711, abs=1e-4)
    status = stillroom(people, "audit", "status", request.id)
    assert "0 of 50 sampled records with PII left (by sam" in status.stdout and "upper bound 0.071" in status.stdout


# -- the audit in the release bundle, verified offline ----------------------------------------------


def audited_bundle(ws, tmp_path, *, missed=None, max_misses=0):
    require_audit(ws, size=20, max_misses=max_misses)
    request = release_request(ws)
    approve_both(ws, request)
    drawn = draw_sample(ws, request)
    sign_audit(ws, request.id, unlock(ws, "ivy", PASS), marks_for(drawn, missed=missed))
    bundle = tmp_path / "bundle"
    build_release(ws, request.id, bundle, actor="olga")
    return bundle


def test_the_bundle_carries_the_audit_and_verify_checks_it_offline(people, tmp_path):
    bundle = audited_bundle(people, tmp_path)
    audits = sorted((bundle / "sample_audit").glob("*.dsse.json"))
    assert len(audits) == 1
    report = verify_release(bundle)
    assert any(c.startswith("sample audit: ivy (security) read 20 records, 0 with PII left") for c in report["checks"])


def test_a_bundle_whose_audit_was_removed_or_altered_fails_verification(people, tmp_path):
    bundle = audited_bundle(people, tmp_path)
    audit = next((bundle / "sample_audit").glob("*.dsse.json"))
    original = audit.read_bytes()
    envelope = json.loads(original)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["marks"][0]["verdict"] = "pii_left"
    envelope["payload"] = base64.b64encode(canonical_json(statement)).decode()
    audit.write_text(json.dumps(envelope))
    with pytest.raises(BundleInvalid, match="sample_audit/00.dsse.json"):
        verify_release(bundle)
    audit.unlink()
    with pytest.raises(BundleInvalid, match="sample_audit/00.dsse.json"):
        verify_release(bundle)


def test_a_bundle_signed_without_an_audit_fails_when_the_policy_requires_one(people, tmp_path, monkeypatch):
    """A node that skips the gate (bug or malice) still signs a consistent bundle; verify refuses it."""
    require_audit(people, size=20)
    request = release_request(people)
    approve_both(people, request)
    monkeypatch.setattr(sample_audit, "release_gate", lambda ws, request: None)
    monkeypatch.setattr(sample_audit, "ledgered_audits", lambda ws, request: [])
    build_release(people, request.id, tmp_path / "bundle", actor="olga")
    with pytest.raises(BundleInvalid, match="requires a sample audit and none in the bundle counts"):
        verify_release(tmp_path / "bundle")


def test_a_bundle_whose_audit_found_too_much_pii_fails_verification(people, tmp_path, monkeypatch):
    monkeypatch.setattr(sample_audit, "release_gate", lambda ws, request: None)
    bundle = audited_bundle(people, tmp_path, missed=None)
    assert verify_release(bundle)["ok"]
    request = release_request(people, tag="b")
    approve_both(people, request)
    drawn = draw_sample(people, request)
    sign_audit(people, request.id, unlock(people, "ivy", PASS),
               marks_for(drawn, missed={drawn.indices[0]: ["PERSON"], drawn.indices[3]: ["IBAN_CODE"]}))
    build_release(people, request.id, tmp_path / "second", actor="olga")
    with pytest.raises(BundleInvalid, match="found PII left in 2 of 20 records; the policy allows 0"):
        verify_release(tmp_path / "second")


def test_an_audit_by_someone_without_the_security_role_in_the_proofs_does_not_count(people, tmp_path, monkeypatch):
    """A forged audit entry recorded in the ledger by a non-security user: the bundle proves their roles."""
    require_audit(people, size=20)
    request = release_request(people)
    approve_both(people, request)
    drawn = draw_sample(people, request)
    lena = unlock(people, "lena", PASS)
    statement = sample_audit.audit_statement(sample=drawn, reviewer="lena", marks=marks_for(drawn),
                                             policy_digest=people.policy().digest, time=datetime.now(timezone.utc))
    envelope = signing.dsse_sign(canonical_json(statement), sample_audit.PAYLOAD_TYPE, lena.key, lena.key_name)
    people.ledger().record(sample_audit.ENTRY_KIND, {
        "request_id": request.id, "reviewer": "lena", "role": "security", "size": 20, "misses": 0,
        "envelope_sha256": hashlib.sha256(canonical_json(envelope)).hexdigest(), "envelope": envelope,
    }, actor="lena", run_id=request.run_id, signed_by=(lena.key_name, lena.key))
    monkeypatch.setattr(sample_audit, "release_gate", lambda ws, request: None)
    build_release(people, request.id, tmp_path / "bundle", actor="olga")
    with pytest.raises(BundleInvalid, match="lena does not hold the security role"):
        verify_release(tmp_path / "bundle")
