"""Signed release bundles, and their offline verification.

``build_release`` refuses unless the request's gates pass and its approvals
hold under the current policy; then writes a directory anyone can verify with
nothing but its contents (and, ideally, the node key pinned out of band):

```
student/                  the exported student files
MODEL_CARD.md             the model card
provenance.dsse.json      in-toto Statement v1 + SLSA Provenance v1, signed by the node key
approvals/*.dsse.json     one signed decision per reviewer
ledger/checkpoint         the signed ledger checkpoint (C2SP), cosigned by the workspace's witness if it has one
ledger/proofs.json        inclusion proofs of the run's and the decisions' entries
keys/*.vkey               the node and reviewer verifier keys
keys/release-p256.pub     the P-256 key of the OpenSSF model-signing signature
student.sig               model-signing signature over student/
policy.json               the policy the approvals were checked against
request.json              the approved request: its subject hashes to the digest every approval signed
manifest.json             sha256 of every file above
```
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stillroom import approvals, signing
from stillroom.artifacts import atomic_write_bytes, canonical_json, sha256_file
from stillroom.errors import StillroomError, UsageError
from stillroom.witness.client import check_bundle_witness, witness_if_configured

PROVENANCE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://stillroom.dev/pipeline-run/v1"
STATEMENT_PAYLOAD = "application/vnd.in-toto+json"


class ReleaseRefused(StillroomError):
    """A release the policy does not (yet) allow; the message names what is missing."""


class BundleInvalid(StillroomError):
    """A bundle that does not verify; the message names the first failure."""


def build_release(ws, request_id: str, out: Path, *, actor: str) -> dict[str, Any]:
    request = approvals.get_request(ws, request_id)
    if request.kind != "release":
        raise UsageError(f"{request.id} is a {request.kind} request, not a release request")
    if request.status not in ("pending", "approved"):
        raise ReleaseRefused(f"{request.id} is {request.status}; only an approved request can be released")
    policy = ws.policy()
    if request.policy_digest != policy.digest:
        raise ReleaseRefused(f"the policy changed since {request.id} was opened; its gates and approvals were made "
                             "under another policy, so re-run to open a request under the current one")
    state = approvals.state_of(ws, request)
    # The gates the approvals signed are those inside the subject (bound by its digest), not a mutable column.
    gates = request.subject["gates"]
    failing = [g for g in gates if not g["passed"] and g["gate"] not in state.waived]
    if failing:
        raise ReleaseRefused(f"{request.id} fails release gates without a signed waiver: " + "; ".join(
            f"{g['gate']} ({g['message']})" for g in failing))
    if state.rejected_by:
        raise ReleaseRefused(f"{request.id} was rejected by {state.rejected_by['reviewer']} "
                             f"({state.rejected_by['role']}); open a new request")
    if not state.satisfied:
        raise ReleaseRefused(f"{request.id} lacks approvals from: {', '.join(state.missing_roles)}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty; choose a new directory for the bundle")
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        manifest = _write_bundle(ws, request, state, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        out.rmdir()
    staging.rename(out)
    approvals.set_status(ws, request.id, "released", actor=actor,
                         reason={"manifest_sha256": hashlib.sha256(canonical_json(manifest)).hexdigest()})
    return manifest


def _write_bundle(ws, request, state, root: Path) -> dict[str, Any]:
    policy = ws.policy()
    subject = request.subject
    student_files = subject["student"]["files"]
    for relative, digest in student_files.items():
        target = root / "student" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, ws.artifacts.read_bytes(digest))
    if subject.get("model_card"):
        atomic_write_bytes(root / "MODEL_CARD.md", ws.artifacts.read_bytes(subject["model_card"]))
    released_at = datetime.now(timezone.utc)
    node_key = ws.node_signer()  # the key file, or the signer process that holds the key
    statement = provenance_statement(ws, request, policy, released_at)
    _write_json(root / "provenance.dsse.json",
                signing.dsse_sign(canonical_json(statement), STATEMENT_PAYLOAD, node_key, ws.node_key_name))
    decisions = approvals.decisions_for(ws, request.id)
    for i, decision in enumerate(decisions):
        _write_json(root / "approvals" / f"{i:02d}-{decision.user}.dsse.json", decision.envelope)
    _write_json(root / "policy.json", policy.model_dump(mode="json"))
    _write_json(root / "request.json", {"id": request.id, "kind": request.kind, "digest": request.digest,
                                        "subject": request.subject})
    ledger = ws.ledger()
    ledger.record("release.bundle", {"request_id": request.id, "subject_digest": request.digest,
                                     "provenance_sha256": hashlib.sha256(canonical_json(statement)).hexdigest()},
                  actor="stillroom", run_id=request.run_id)
    ledger.checkpoint()
    witness_if_configured(ws, ledger)  # the proofs below are then against the cosigned checkpoint
    seqs = release_entries(ledger, request)
    proofs = [ledger.prove(seq) for seq in seqs]
    atomic_write_bytes(root / "ledger" / "checkpoint", proofs[-1]["checkpoint"].encode())
    _write_json(root / "ledger" / "proofs.json", proofs)
    for name, verifier in ledger.verifier_keys().items():
        atomic_write_bytes(root / "keys" / f"{name}.vkey", (verifier + "\n").encode())
    _model_sign(ws, root)
    manifest = {"request_id": request.id, "files": {
        str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}}
    _write_json(root / "manifest.json", manifest)
    return manifest


def provenance_statement(ws, request, policy, released_at: datetime) -> dict[str, Any]:
    subject = request.subject
    materials = [
        {"name": f"teacher:{subject['teacher']['name']}", "digest": {"sha256": subject["teacher"]["fingerprint"]}},
        {"name": "data:source", "digest": {"sha256": subject["data"]["source_fingerprint"]}},
        {"name": "policy", "digest": {"sha256": policy.digest}},
        *({"name": f"plugin:{p['name']}", "digest": {"sha256": p["record_sha256"]}} if p.get("record_sha256")
          else {"name": f"plugin:{p['name']}", "annotations": {"origin": p["origin"]}} for p in subject["plugins"]),
    ]
    return {
        "_type": approvals.STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in sorted(released_files(subject).items())],
        "predicateType": PROVENANCE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"pipeline": subject["pipeline"], "spec_digest": subject["spec_digest"]},
                "internalParameters": {"policy_digest": policy.digest, "request_id": request.id,
                                       "request_digest": request.digest, "gates": request.subject["gates"]},
                "resolvedDependencies": materials,
            },
            "runDetails": {
                "builder": {"id": f"https://stillroom.dev/node/{ws.origin}"},
                "metadata": {"invocationId": request.run_id, "finishedOn": _rfc3339(released_at)},
            },
        },
    }


def released_files(subject: dict[str, Any]) -> dict[str, str]:
    """Bundle path -> sha256 of every released file a request's subject names: the student and its card."""
    files = {f"student/{name}": digest for name, digest in subject["student"]["files"].items()}
    if subject.get("model_card"):
        files["MODEL_CARD.md"] = subject["model_card"]
    return files


def release_entries(ledger, request) -> list[int]:
    """The seqs of every entry of the request's run: its stages, the request, the decisions, the bundle."""
    if request.run_id is None:  # entries(run_id=None) means "any run": never prove the whole ledger
        return sorted(entry.seq for entry in ledger.entries(limit=1_000_000)
                      if entry.payload.get("request_id") == request.id)
    return sorted(entry.seq for entry in ledger.entries(run_id=request.run_id, limit=1_000_000))


def _model_sign(ws, root: Path) -> None:
    from model_signing import signing as model_signing

    key_path = _release_key(ws)
    model_signing.Config().use_elliptic_key_signer(private_key=key_path).sign(root / "student", root / "student.sig")
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key_path.read_bytes(), None)
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    atomic_write_bytes(root / "keys" / "release-p256.pub", public)


def _release_key(ws) -> Path:
    """The workspace's P-256 release key for model-signing, created on first use (mode 0600)."""
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = ws.root / "keys" / "release-p256.pem"
    if not path.exists():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    return path


# -- offline verification -------------------------------------------------------


def verify_release(directory: Path, *, node_key: str | None = None, witness: str | None = None) -> dict[str, Any]:
    """Check a bundle with nothing but its contents; raise BundleInvalid naming the first failure.

    ``node_key`` (a verifier key string) pins the node key; without it the
    bundle's own node key is trusted and the report says so. ``witness`` (a
    witness's verifier key) requires the bundle's checkpoint to carry its cosignature.
    """
    root = Path(directory)
    checks: list[str] = []
    manifest = _read_json(root / "manifest.json")
    listed = set(manifest["files"])
    present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} - {"manifest.json"}
    if present - listed:
        raise BundleInvalid(f"{sorted(present - listed)[0]}: file is not in the manifest")
    for name, digest in manifest["files"].items():
        path = root / name
        if not path.is_file():
            raise BundleInvalid(f"{name}: listed in the manifest but missing")
        if sha256_file(path) != digest:
            raise BundleInvalid(f"{name}: sha256 does not match the manifest (expected {digest[:12]}, "
                                f"found {sha256_file(path)[:12]})")
    checks.append(f"manifest: {len(listed)} files match")

    verifiers = {p.stem: p.read_text().strip() for p in sorted((root / "keys").glob("*.vkey"))}
    keys = {}
    for name, verifier in verifiers.items():
        embedded, _, public_key = signing.parse_verifier_key(verifier)
        if embedded != name:
            raise BundleInvalid(f"keys/{name}.vkey: holds the key of {embedded!r}")
        keys[name] = public_key
    envelope = _read_json(root / "provenance.dsse.json")
    node_name = envelope["signatures"][0]["keyid"]
    if node_key is not None:
        if verifiers.get(node_name) != node_key.strip():
            raise BundleInvalid(f"provenance.dsse.json: signed by {node_name!r}, not the pinned node key")
        checks.append("node key: matches the pinned key")
    else:
        checks.append(f"node key: trusted from the bundle ({node_name}); pin it with --node-key")
    try:
        statement = json.loads(signing.dsse_verify(envelope, {node_name: keys[node_name]}))
    except (StillroomError, KeyError) as exc:
        raise BundleInvalid(f"provenance.dsse.json: the node signature does not verify ({exc})") from None
    predicate = statement["predicate"]
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    released = {str(p.relative_to(root)): sha256_file(p) for p in (root / "student").rglob("*") if p.is_file()}
    if (root / "MODEL_CARD.md").exists():
        released["MODEL_CARD.md"] = sha256_file(root / "MODEL_CARD.md")
    if subjects != released:
        changed = sorted(set(subjects.items()) ^ set(released.items()))[0][0]
        raise BundleInvalid(f"{changed}: does not match the provenance's subjects")
    checks.append(f"provenance: signed by {node_name}, {len(subjects)} released files match its subjects")

    _verify_model_signature(root)
    checks.append("model-signing: student.sig verifies with keys/release-p256.pub")

    from stillroom.policy import Policy

    policy = Policy.model_validate(_read_json(root / "policy.json"))
    internal = predicate["buildDefinition"]["internalParameters"]
    if policy.digest != internal["policy_digest"]:
        raise BundleInvalid("policy.json: its digest differs from the policy recorded in the provenance")
    recorded = _read_json(root / "request.json")
    if approvals.subject_digest(recorded["subject"]) != internal["request_digest"]:
        raise BundleInvalid("request.json: its subject does not hash to the request digest the provenance records")
    if recorded.get("id") != internal["request_id"] or manifest["request_id"] != internal["request_id"]:
        raise BundleInvalid("request.json: names another request than the provenance")
    if recorded["subject"].get("gates") != internal["gates"] or \
            recorded["subject"].get("policy_digest") != internal["policy_digest"]:
        raise BundleInvalid("request.json: its gates or policy differ from those the provenance records")
    if released_files(recorded["subject"]) != subjects:
        raise BundleInvalid("request.json: the files approved differ from the files released")
    checks.append("request: the approved subject binds exactly these files")
    request = {"id": internal["request_id"], "digest": internal["request_digest"], "initiator": None}
    envelopes = [_read_json(p) for p in sorted((root / "approvals").glob("*.dsse.json"))]
    initiator = _initiator_from_proofs(root, internal["request_id"])
    request["initiator"] = initiator
    released_at = datetime.fromisoformat(predicate["runDetails"]["metadata"]["finishedOn"].replace("Z", "+00:00"))
    roles = {}
    for env in envelopes:
        try:
            claimed = approvals.open_decision(env, keys)["predicate"]
        except approvals.ApprovalRefused as exc:
            raise BundleInvalid(f"approvals: {exc}") from None
        roles.setdefault(claimed["reviewer"], []).append(claimed["role"])
    state = approvals.approval_state(request=request, envelopes=envelopes, rule=policy.approvals.release,
                                     policy_digest=policy.digest, now=released_at, keys=keys, roles=roles)
    if not state.satisfied:
        reason = state.ignored[0]["reason"] if state.ignored else f"missing roles: {', '.join(state.missing_roles)}"
        raise BundleInvalid(f"approvals: they do not satisfy the recorded policy ({reason})")
    unwaived = [g["gate"] for g in internal["gates"] if not g["passed"] and g["gate"] not in state.waived]
    if unwaived:
        raise BundleInvalid(f"provenance: gate {unwaived[0]} failed at release time and no approval waived it")
    if state.waived:
        checks.append(f"gates: {', '.join(state.waived)} failed and were waived by every counted approver")
    checks.append("approvals: " + ", ".join(f"{c['reviewer']} ({c['role']})" for c in state.counted)
                  + f" satisfy the policy; initiator {initiator} excluded")

    from stillroom.ledger.verify import verify_inclusion_bundle

    proofs = _read_json(root / "ledger" / "proofs.json")
    checkpoint = (root / "ledger" / "checkpoint").read_text()
    decided = {hashlib.sha256(canonical_json(env)).hexdigest() for env in envelopes}
    ledgered = set()
    for proof in proofs:
        if proof["checkpoint"] != checkpoint:
            raise BundleInvalid(f"ledger/proofs.json: entry {proof['seq']}'s proof is against another checkpoint")
        try:
            verify_inclusion_bundle(proof, list(verifiers.values()), checkpoint_keys=[verifiers[node_name]])
        except StillroomError as exc:
            raise BundleInvalid(f"ledger/proofs.json: entry {proof['seq']}: {exc}") from None
        entry = json.loads(base64.b64decode(proof["leaf"]))
        if entry["kind"] == "approval.decision":
            ledgered.add(entry["payload"]["envelope_sha256"])
    if decided - ledgered:
        raise BundleInvalid("approvals: a decision in the bundle is not in the ledger proofs")
    checks.append(f"ledger: {len(proofs)} inclusion proofs verify against the signed checkpoint")
    if witness is not None:
        try:
            checks.append(check_bundle_witness(checkpoint, witness))
        except StillroomError as exc:
            raise BundleInvalid(f"ledger/checkpoint: {exc}") from None
    return {"ok": True, "request_id": manifest["request_id"], "checks": checks}


def _initiator_from_proofs(root: Path, request_id: str) -> str | None:
    for proof in _read_json(root / "ledger" / "proofs.json"):
        entry = json.loads(base64.b64decode(proof["leaf"]))
        if entry["kind"] == "request.opened" and entry["payload"].get("request_id") == request_id:
            return entry["actor"]
    raise BundleInvalid("ledger/proofs.json: the request.opened entry is missing, so the initiator is unknown")


def _verify_model_signature(root: Path) -> None:
    from model_signing import verifying

    try:
        verifying.Config().use_elliptic_key_verifier(public_key=root / "keys" / "release-p256.pub").verify(
            root / "student", root / "student.sig")
    except Exception as exc:  # model_signing raises ValueError and friends; all mean "does not verify"
        raise BundleInvalid(f"student.sig: the model-signing signature does not verify ({exc})") from None


def _write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, json.dumps(value, indent=2, sort_keys=True).encode() + b"\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleInvalid(f"{path.name}: missing from the bundle") from None
    except json.JSONDecodeError as exc:
        raise BundleInvalid(f"{path.name}: not valid JSON ({exc.msg})") from None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
