"""Signed release bundles, and their offline verification.

``build_release`` refuses unless the request's gates pass and its approvals
hold under the current policy; then writes a directory anyone can verify with
nothing but its contents (and, ideally, the node key pinned out of band):

```
student/                  the exported student files
MODEL_CARD.md             the model card
provenance.dsse.json      in-toto Statement v1 + SLSA Provenance v1, signed by the node key; it binds the
                          sha256 of every other file but the four named here (``bundle_files``) and the
                          model-signing key (``release_key_sha256``)
approvals/*.dsse.json     one signed decision per reviewer
sample_audit/*.dsse.json  where the policy requires a sample audit: every audit the ledger holds for the request
ledger/checkpoint         the signed ledger checkpoint (C2SP), cosigned by the workspace's witness if it has one
ledger/proofs.json        inclusion proofs of the run's and the decisions' entries, of each approver's key
                          introduction, the entry that gave them that key and the one that set their roles,
                          of the policy's adoption, of the sample audits with their reviewers' keys and
                          roles, and of the release.bundle entry binding the provenance
keys/*.vkey               the verifier keys of the ledger's chain
keys/release-p256.pub     the P-256 key of the OpenSSF model-signing signature
student.sig               model-signing signature over student/
policy.json               the policy the approvals were checked against
request.json              the approved request: its subject hashes to the digest every approval signed
manifest.json             sha256 of every file above (a convenience: what counts is what the provenance binds)
```

``build_release`` verifies the whole ledger first and refuses on any failure.
``verify_release`` trusts no key or role the bundle merely carries: an approver's
key counts only as proven introduced and given to them, and their role only as
proven granted, in the node's checkpointed log. It never reads or hashes a path
outside the bundle: names must be plain relative paths, and a link anywhere is
refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stillroom import approvals, sample_audit, signing
from stillroom.artifacts import atomic_write_bytes, canonical_json, sha256_bytes, sha256_file
from stillroom.errors import StillroomError, UsageError
from stillroom.ledger.entry import KEY_ADDED, KEY_RETIRED, POLICY_ADOPTED, USER_ADDED, USER_RESET, USER_ROLES
from stillroom.witness.client import check_bundle_witness, witness_if_configured

PROVENANCE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://stillroom.dev/pipeline-run/v1"
STATEMENT_PAYLOAD = "application/vnd.in-toto+json"
# Files the provenance cannot bind (it is one; the others are written after it) and that check themselves:
# the manifest is a convenience, the checkpoint is signed and every proof is checked against it.
UNBOUND = ("provenance.dsse.json", "manifest.json", "ledger/checkpoint", "ledger/proofs.json")


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
    report = ws.ledger().verify()
    if not report.ok:
        raise ReleaseRefused(f"the ledger does not verify ({report.failure}); nothing is released until "
                             "`stillroom ledger verify` passes")
    policy = ws.policy()
    if request.policy_digest != policy.digest:
        raise ReleaseRefused(f"the policy changed since {request.id} was opened; its gates and approvals were made "
                             "under another policy, so re-run to open a request under the current one")
    state = approvals.state_of(ws, request)
    recorded = approvals.ledgered_request(ws, request)
    if recorded is not None:  # which run's entries are proven, and who initiated: the ledger's, not a row's copy
        request.run_id, request.initiator = recorded.run_id, recorded.initiator
    # The gates the approvals signed are those inside the subject (bound by its digest), not a mutable column.
    gates = request.subject["gates"]
    failing = [g for g in gates if not g["passed"] and g["gate"] not in state.waived]
    if failing:
        raise ReleaseRefused(f"{request.id} fails release gates without a signed waiver: " + "; ".join(
            f"{g['gate']} ({g['message']})" for g in failing))
    audit = sample_audit.release_gate(ws, request)  # an audit comes after the request opens: checked here, not in its gates
    if audit is not None and not audit["passed"]:
        raise ReleaseRefused(f"{request.id} fails release gate sample_audit ({audit['message']})")
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
    released_at = datetime.now(UTC)
    node_key = ws.node_signer()  # the key file, or the signer process that holds the key
    # Only decisions the ledger recorded: a row written into the store alone is evidence of nothing.
    ledgered = approvals.ledgered_decisions(ws, request)
    decisions = [d for d in approvals.decisions_for(ws, request.id)
                 if sha256_bytes(canonical_json(d.envelope)) in ledgered]
    for i, decision in enumerate(decisions):
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in decision.user).lstrip(".")
        _write_json(root / "approvals" / f"{i:02d}-{safe}.dsse.json", decision.envelope)
    # Every audit the ledger holds for the request, not only those that count: the verifier re-applies the rules.
    audits = sample_audit.ledgered_audits(ws, request) if policy.release_gates.sample_audit.required else []
    for i, (_, envelope) in enumerate(audits):
        _write_json(root / "sample_audit" / f"{i:02d}.dsse.json", envelope)
    _write_json(root / "policy.json", policy.model_dump(mode="json"))
    _write_json(root / "request.json", {"id": request.id, "kind": request.kind, "digest": request.digest,
                                        "subject": request.subject})
    trust = ws.trust()
    for name, verifier in trust.verifier_keys().items():
        atomic_write_bytes(root / "keys" / f"{name}.vkey", (verifier + "\n").encode())
    release_key = _model_sign(ws, root)
    bound = {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}
    statement = provenance_statement(ws, request, policy, released_at, bundle_files=bound,
                                     release_key_sha256=release_key)
    _write_json(root / "provenance.dsse.json",
                signing.dsse_sign(canonical_json(statement), STATEMENT_PAYLOAD, node_key, ws.node_key_name))
    ledger = ws.ledger()
    ledger.record("release.bundle", {"request_id": request.id, "subject_digest": request.digest,
                                     "provenance_sha256": hashlib.sha256(canonical_json(statement)).hexdigest(),
                                     "release_key_sha256": release_key},
                  actor="stillroom", run_id=request.run_id)
    ledger.checkpoint()
    witness_if_configured(ws, ledger)  # the proofs below are then against the cosigned checkpoint
    signed = [d.envelope for d in decisions] + [envelope for _, envelope in audits]
    seqs = sorted(set(release_entries(ledger, request)) | {seq for seq, _ in audits} | trust_entries(trust, signed))
    proofs = [ledger.prove(seq) for seq in seqs]
    atomic_write_bytes(root / "ledger" / "checkpoint", proofs[-1]["checkpoint"].encode())
    _write_json(root / "ledger" / "proofs.json", proofs)
    manifest = {"request_id": request.id, "files": {
        str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}}
    _write_json(root / "manifest.json", manifest)
    return manifest


def trust_entries(trust, envelopes: list[dict[str, Any]]) -> set[int]:
    """The chain's entries an offline verifier needs to trust the approvers: for each decision's key, its
    ``key.added``, the entry that gave it to its user, its retirement if any, the entries that granted
    that user's roles; and the adoption of the policy in force."""
    seqs = {trust.policy.seq} if trust.policy else set()
    for envelope in envelopes:
        for signature in envelope.get("signatures", []):
            key = trust.keys.get(signature.get("keyid"))
            if key is None or key.owner is None:
                continue
            grant = trust.users[key.owner]
            seqs |= {key.introduced, key.given, grant.granted, grant.roles_entry}
            if key.retired is not None:
                seqs.add(key.retired)
    return seqs


def provenance_statement(ws, request, policy, released_at: datetime, *, bundle_files: dict[str, str],
                         release_key_sha256: str) -> dict[str, Any]:
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
                                       "request_digest": request.digest, "gates": request.subject["gates"],
                                       "bundle_files": bundle_files, "release_key_sha256": release_key_sha256},
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


def _model_sign(ws, root: Path) -> str:
    """Sign student/ with the workspace's P-256 key; writes its public key; returns that file's sha256."""
    from model_signing import signing as model_signing

    key_path = _release_key(ws)
    model_signing.Config().use_elliptic_key_signer(private_key=key_path).sign(root / "student", root / "student.sig")
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key_path.read_bytes(), None)
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    atomic_write_bytes(root / "keys" / "release-p256.pub", public)
    return sha256_bytes(public)


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


def verify_release(directory: Path, *, node_key: str | None = None, accept_policy: str | None = None,
                   witness: str | None = None) -> dict[str, Any]:
    """Check a bundle with nothing but its contents; raise BundleInvalid naming the first failure.

    ``node_key`` (a verifier key string) pins the node key; without it the
    bundle's own node key is trusted and the report says so. ``accept_policy``:
    the digest of a policy below ``policy.FLOOR`` the verifier accepts anyway.
    ``witness`` (a witness's verifier key) requires the bundle's checkpoint to carry its cosignature.
    """
    from stillroom.policy import Policy, below_floor

    root = Path(directory)
    checks: list[str] = []
    files = _bundle_files(root)
    manifest = _read_json(root / "manifest.json")
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict) or not all(isinstance(d, str) for d in listed.values()):
        raise BundleInvalid("manifest.json: has no files mapping of names to sha256 digests")
    for name in listed:
        _check_name(name)
    present = set(files) - {"manifest.json"}
    if present - set(listed):
        raise BundleInvalid(f"{sorted(present - set(listed))[0]}: file is not in the manifest")
    for name, digest in listed.items():
        if name not in files:
            raise BundleInvalid(f"{name}: listed in the manifest but missing")
        if sha256_file(files[name]) != digest:
            raise BundleInvalid(f"{name}: sha256 does not match the manifest (expected {digest[:12]})")
    checks.append(f"manifest: {len(listed)} files match")

    verifiers = {p.stem: p.read_text().strip() for p in sorted((root / "keys").glob("*.vkey"))}
    keys = {}
    for name, verifier in verifiers.items():
        try:
            embedded, _, public_key = signing.parse_verifier_key(verifier)
        except signing.SigningError as exc:
            raise BundleInvalid(f"keys/{name}.vkey: {exc}") from None
        if embedded != name:
            raise BundleInvalid(f"keys/{name}.vkey: holds the key of {embedded!r}")
        keys[name] = public_key
    envelope = _read_json(root / "provenance.dsse.json")
    try:
        node_name = envelope["signatures"][0]["keyid"]
    except (KeyError, IndexError, TypeError):
        raise BundleInvalid("provenance.dsse.json: carries no signature") from None
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
    internal = predicate["buildDefinition"]["internalParameters"]
    bound = internal.get("bundle_files")
    if not isinstance(bound, dict):
        raise BundleInvalid("provenance.dsse.json: binds no list of the bundle's files (a bundle made before "
                            "signed manifests); it cannot be verified")
    release_key = files.get("keys/release-p256.pub")
    if release_key is None or sha256_file(release_key) != internal.get("release_key_sha256"):
        raise BundleInvalid("keys/release-p256.pub: is not the model-signing key the signed provenance binds")
    for name in sorted(present | set(bound)):
        if name in UNBOUND:
            continue
        if name not in bound:
            raise BundleInvalid(f"{name}: is not among the files the signed provenance binds")
        _check_name(name)
        if name not in files:
            raise BundleInvalid(f"{name}: missing, but the signed provenance binds it")
        if sha256_file(files[name]) != bound[name]:
            raise BundleInvalid(f"{name}: differs from the file the signed provenance binds")
    checks.append(f"provenance: signed by {node_name}; it binds all {len(bound)} files and the model-signing key")
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    released = {name: sha256_file(path) for name, path in files.items() if name.startswith("student/")}
    if "MODEL_CARD.md" in files:
        released["MODEL_CARD.md"] = sha256_file(files["MODEL_CARD.md"])
    if subjects != released:
        changed = sorted(set(subjects.items()) ^ set(released.items()))[0][0]
        raise BundleInvalid(f"{changed}: does not match the provenance's subjects")
    checks.append(f"provenance: {len(subjects)} released files match its subjects")

    _verify_model_signature(root)
    checks.append("model-signing: student.sig verifies with keys/release-p256.pub")

    policy = Policy.model_validate(_read_json(root / "policy.json"))
    if policy.digest != internal["policy_digest"]:
        raise BundleInvalid("policy.json: its digest differs from the policy recorded in the provenance")
    recorded = _read_json(root / "request.json")
    if approvals.subject_digest(recorded["subject"]) != internal["request_digest"]:
        raise BundleInvalid("request.json: its subject does not hash to the request digest the provenance records")
    if recorded.get("id") != internal["request_id"] or manifest.get("request_id") != internal["request_id"]:
        raise BundleInvalid("request.json: names another request than the provenance")
    if recorded["subject"].get("gates") != internal["gates"] or \
            recorded["subject"].get("policy_digest") != internal["policy_digest"]:
        raise BundleInvalid("request.json: its gates or policy differ from those the provenance records")
    if released_files(recorded["subject"]) != subjects:
        raise BundleInvalid("request.json: the files approved differ from the files released")
    checks.append("request: the approved subject binds exactly these files")

    proven = _proven_entries(root, verifiers, node_name)
    checks.append(f"ledger: {len(proven)} inclusion proofs verify against the signed checkpoint")
    if witness is not None:
        try:
            checks.append(check_bundle_witness((root / "ledger" / "checkpoint").read_text(), witness))
        except StillroomError as exc:
            raise BundleInvalid(f"ledger/checkpoint: {exc}") from None
    bundle_entry = next((e for e in proven.values() if e["kind"] == "release.bundle"
                         and e["payload"].get("request_id") == internal["request_id"]), None)
    if bundle_entry is None or bundle_entry["payload"].get("provenance_sha256") != \
            hashlib.sha256(canonical_json(statement)).hexdigest() \
            or bundle_entry["payload"].get("release_key_sha256") != internal.get("release_key_sha256"):
        raise BundleInvalid("ledger/proofs.json: no proven release.bundle entry binds this provenance and "
                            "model-signing key")
    adopted = [e for e in proven.values() if e["kind"] == POLICY_ADOPTED
               and e["payload"].get("policy_digest") == policy.digest]
    if not adopted:
        raise BundleInvalid("policy.json: ledger/proofs.json proves no policy.adopted entry for this policy, so "
                            "nobody is shown to have adopted it")
    rule = policy.approvals.release
    weak = below_floor(policy)
    if weak and accept_policy != policy.digest:
        raise BundleInvalid(f"policy.json: its release rule is below the floor of two distinct people, initiator "
                            f"excluded ({weak}); accept it explicitly with --accept-policy {policy.digest}")
    checks.append(f"policy: adopted at ledger entry {adopted[0]['seq']}; approval rule accepted: {rule.describe()}"
                  + (f" (below the floor: {weak}; accepted by --accept-policy)" if weak else ""))

    request = {"id": internal["request_id"], "digest": internal["request_digest"],
               "initiator": _initiator_from_proofs(proven, internal["request_id"])}
    envelopes = [_read_json(p) for p in sorted((root / "approvals").glob("*.dsse.json"))]
    people, owners, roles, retired = _proven_people(proven)
    for env in envelopes:
        keyid = next(iter(s.get("keyid") for s in env.get("signatures", [])), None)
        if keyid not in people:
            raise BundleInvalid(f"approvals: the key {keyid!r} that signed a decision is not proven: "
                                "ledger/proofs.json must prove its key.added entry and the entry that gave it "
                                "to its user")
    released_at = datetime.fromisoformat(predicate["runDetails"]["metadata"]["finishedOn"].replace("Z", "+00:00"))
    decided = {hashlib.sha256(canonical_json(env)).hexdigest() for env in envelopes}
    ledgered = {e["payload"]["envelope_sha256"]: e["seq"] for e in proven.values()
                if e["kind"] == "approval.decision" and "envelope_sha256" in e["payload"]}
    if decided - set(ledgered):
        raise BundleInvalid("approvals: a decision in the bundle is not in the ledger proofs")
    state = approvals.approval_state(request=request, envelopes=envelopes, rule=rule, policy_digest=policy.digest,
                                     now=released_at, keys=people, owners=owners, roles=roles, retired=retired,
                                     ledgered=ledgered)
    if not state.satisfied:
        reason = state.ignored[0]["reason"] if state.ignored else f"missing roles: {', '.join(state.missing_roles)}"
        raise BundleInvalid(f"approvals: they do not satisfy the recorded policy ({reason})")
    unwaived = [g["gate"] for g in internal["gates"] if not g["passed"] and g["gate"] not in state.waived]
    if unwaived:
        raise BundleInvalid(f"provenance: gate {unwaived[0]} failed at release time and no approval waived it")
    if state.waived:
        checks.append(f"gates: {', '.join(state.waived)} failed and were waived by every counted approver")
    checks.append(_verify_sample_audit(root, policy, request, recorded["subject"], proven,
                                       (people, owners, roles, set(retired))))
    initiator = request["initiator"]
    checks.append("approvals: " + ", ".join(f"{c['reviewer']} ({c['role']})" for c in state.counted)
                  + " satisfy the policy, each key and role proven in the ledger; "
                  + (f"initiator {initiator} excluded" if rule.initiator_excluded
                     else f"initiator {initiator} NOT excluded by this policy"))
    return {"ok": True, "request_id": internal["request_id"], "checks": checks,
            "policy_digest": policy.digest, "approval_rule": rule.describe()}


def _verify_sample_audit(root: Path, policy, request: dict[str, Any], subject: dict[str, Any],
                        proven: dict[int, dict[str, Any]], trust: tuple) -> str:
    """The ``sample_audit`` gate, offline: where the policy requires an audit, the bundle's audits must be
    ledgered (proven), signed by a security reviewer whose key and role the proofs establish, of the sample
    the request's seed and the policy's size give, with at most ``max_misses`` records with PII left."""
    rule = policy.release_gates.sample_audit
    envelopes = [_read_json(p) for p in sorted((root / "sample_audit").glob("*.dsse.json"))]
    if not rule.required:
        return "sample audit: not required by the policy"
    ledgered = {e["payload"].get("envelope_sha256") for e in proven.values()
                if e["kind"] == sample_audit.ENTRY_KIND and e["payload"].get("request_id") == request["id"]}
    if any(hashlib.sha256(canonical_json(env)).hexdigest() not in ledgered for env in envelopes):
        raise BundleInvalid("sample_audit: an audit in the bundle is not in the ledger proofs")
    keys, owners, roles, retired = trust
    outcome = sample_audit.bundle_outcome(
        request=request, scrubbed=(subject.get("data") or {}).get("scrubbed"), size=rule.size, envelopes=envelopes,
        policy_digest=policy.digest, keys=keys, owners=owners, roles=roles, retired=retired)
    if not outcome.completed:
        reason = outcome.ignored[0]["reason"] if outcome.ignored else "the bundle carries none"
        raise BundleInvalid(f"sample_audit: the policy requires a sample audit and none in the bundle counts ({reason})")
    if outcome.misses > rule.max_misses:
        raise BundleInvalid(f"sample_audit: {outcome.reviewer}'s audit found PII left in {outcome.misses} of "
                            f"{outcome.size} records; the policy allows {rule.max_misses}")
    return (f"sample audit: {outcome.reviewer} (security) read {outcome.size} records, {outcome.misses} with PII left "
            f"(95% upper bound {outcome.miss_rate_upper:.3f}); key and role proven in the ledger")


def _bundle_files(root: Path) -> dict[str, Path]:
    """Every regular file under ``root`` by its relative name; a link anywhere, or anything but files and
    directories, is refused, so nothing outside the bundle is ever read."""
    import os
    import stat

    if root.is_symlink() or not root.is_dir():
        raise BundleInvalid(f"{root}: is not a bundle directory")
    files = {}
    for here, dirs, names in os.walk(root, followlinks=False):
        for name in [*dirs, *names]:
            path = Path(here) / name
            relative = str(path.relative_to(root))
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise BundleInvalid(f"{relative}: is a symbolic link; a bundle holds only regular files")
            if name in names:
                if not stat.S_ISREG(mode):
                    raise BundleInvalid(f"{relative}: is not a regular file")
                files[relative] = path
    return files


def _check_name(name: str) -> None:
    """A bundle file name: a plain relative path inside the bundle (never absolute, never ``..``)."""
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
        raise BundleInvalid(f"manifest.json: {name!r} is not a plain relative path inside the bundle")


def _proven_entries(root: Path, verifiers: dict[str, str], node_name: str) -> dict[int, dict[str, Any]]:
    """seq -> entry of every inclusion proof in ledger/proofs.json, each checked against the checkpoint the
    (pinned) node key signed."""
    from stillroom.ledger.verify import verify_inclusion_bundle

    proofs = _read_json(root / "ledger" / "proofs.json")
    checkpoint = (root / "ledger" / "checkpoint").read_text()
    if node_name not in verifiers:
        raise BundleInvalid(f"keys/{node_name}.vkey: missing, so the checkpoint cannot be checked")
    proven = {}
    for proof in proofs:
        if proof.get("checkpoint") != checkpoint:
            raise BundleInvalid(f"ledger/proofs.json: entry {proof.get('seq')}'s proof is against another checkpoint")
        try:
            verify_inclusion_bundle(proof, list(verifiers.values()), checkpoint_keys=[verifiers[node_name]])
        except StillroomError as exc:
            raise BundleInvalid(f"ledger/proofs.json: entry {proof.get('seq')}: {exc}") from None
        entry = json.loads(base64.b64decode(proof["leaf"]))
        proven[entry["seq"]] = entry
    return proven


def _proven_people(proven: dict[int, dict[str, Any]]):
    """From proven entries only, in seq order: person keys given to users (name -> public key), whose each is,
    each user's roles, and the keys retired (name -> Retirement)."""
    from stillroom.ledger.entry import parse_time
    from stillroom.users import Retirement

    introduced, people, owners, roles, retired = {}, {}, {}, {}, {}
    for seq in sorted(proven):
        entry = proven[seq]
        kind, payload = entry["kind"], entry["payload"]
        if kind == KEY_ADDED and payload.get("role") == "person":
            name, _, public_key = signing.parse_verifier_key(payload["verifier_key"])
            introduced[name] = (payload["verifier_key"], public_key)
        elif kind in (USER_ADDED, USER_RESET) and payload.get("key") in introduced:
            verifier, public_key = introduced[payload["key"]]
            if payload.get("verifier_key") == verifier and payload["key"] not in owners:
                people[payload["key"]], owners[payload["key"]] = public_key, payload["user"]
                if kind == USER_ADDED:
                    roles[payload["user"]] = list(payload.get("roles", []))
        elif kind == USER_ROLES:
            roles[payload["user"]] = list(payload.get("roles", []))
        elif kind == KEY_RETIRED:
            retired[payload["key"]] = Retirement(seq, parse_time(entry["time"]))
    return people, owners, roles, retired


def _initiator_from_proofs(proven: dict[int, dict[str, Any]], request_id: str) -> str | None:
    for entry in proven.values():
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
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
