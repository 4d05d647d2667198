"""What a reviewer sees: their inbox, and the evidence for one request, read from the core.

Plain functions over the store, the artifact store and the ledger; no
Streamlit here. Every artifact is read by the digest the request is bound
to, and the artifact store checks those bytes against it, so what the page
shows is what the reviewers' signatures will cover. A missing or damaged
artifact becomes a ``problem`` on the page, never a silently empty section.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stillroom import approvals
from stillroom.dashboard import review
from stillroom.errors import StillroomError
from stillroom.ledger.checkpoint import read_checkpoint
from stillroom.ledger.verify import verify_inclusion_bundle
from stillroom.release import release_entries

_TARGET_GATE = re.compile(r"^(size_mb|latency_ms_p95)\[(.+)\]$")
_BUCKET = re.compile(r"^(\d+)(-\d+|\+)$")


@dataclass(frozen=True)
class InboxItem:
    id: str
    kind: str
    opened: datetime
    age: timedelta
    waiting_for: list[str]
    initiator: str
    run_id: str | None
    gates: list[dict[str, Any]]
    changes_requested: bool = False

    def row(self) -> dict[str, Any]:
        # A residency request has no release gates: "pass" there would claim a check that never ran.
        gates = "none (not a release)" if not self.gates else "pass" if all(g["passed"] for g in self.gates) else "FAIL"
        return {"request": self.id, "kind": self.kind, "age": age_text(self.age),
                "opened": f"{self.opened:%Y-%m-%d %H:%M} UTC", "waiting for": ", ".join(self.waiting_for),
                "initiator": self.initiator, "run": self.run_id or "", "gates": gates,
                "changes requested": "yes" if self.changes_requested else ""}


def inbox(ws, roles: list[str], *, now: datetime | None = None) -> list[InboxItem]:
    """Pending requests that still need one of ``roles``, oldest first."""
    now = now or datetime.now(UTC)
    items = []
    for request in approvals.list_requests(ws, status="pending"):
        state = approvals.state_of(ws, request, now=now)
        waiting = [role for role in state.missing_roles if role in roles]
        if waiting and state.status == "pending":
            opened = _aware(request.created_at)
            items.append(InboxItem(request.id, request.kind, opened, now - opened, waiting, request.initiator,
                                   request.run_id, request.gates, bool(state.changes_requested)))
    return items


def age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@dataclass
class Evidence:
    """Everything the Request page shows about one request, as plain rows."""

    request: dict[str, Any]
    approval: dict[str, Any]
    decisions: list[dict[str, Any]]
    gates: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    slices: dict[str, list[dict[str, Any]]]
    targets: list[dict[str, Any]]
    scrub: dict[str, Any] | None
    funnel: list[dict[str, Any]] | None
    egress: list[dict[str, Any]]
    plugins: list[dict[str, Any]]
    policy: dict[str, Any]
    subject: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] | None = None
    residency: dict[str, Any] | None = None
    summary: review.Summary | None = None
    previous: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    min_slice_size: int = 0


def gather(ws, request_id: str, *, now: datetime | None = None) -> Evidence:
    """Read every piece of evidence for ``request_id``; raises ``UsageError`` for an unknown request."""
    now = now or datetime.now(UTC)
    request = approvals.get_request(ws, request_id)
    state = approvals.state_of(ws, request, now=now)
    policy = ws.policy()
    subject = request.subject or {}
    data = subject.get("data") or {}
    problems: list[str] = []
    evaluation = _artifact(ws, data.get("evaluation"), "evaluation report", problems) or {}
    scrub_report = _artifact(ws, data.get("scrub_report"), "scrub report", problems)
    funnel = _artifact(ws, data.get("curation_funnel"), "curation funnel", problems)
    opened = _aware(request.created_at)
    facts = review.run_facts(ws, request.run_id)
    min_slice = policy.release_gates.min_slice_size
    ev = Evidence(
        request={"id": request.id, "kind": request.kind, "status": request.status, "state": state.status,
                 "run_id": request.run_id, "initiator": request.initiator, "digest": request.digest,
                 "pipeline": subject.get("pipeline"), "opened": f"{opened:%Y-%m-%d %H:%M} UTC",
                 "age": age_text(now - opened)},
        approval=state.as_dict(),
        decisions=[{"reviewer": d.user, "role": ", ".join(d.roles), "decision": d.decision, "comment": d.comment,
                    "at": f"{_aware(d.created_at):%Y-%m-%d %H:%M:%S} UTC"}
                   for d in approvals.decisions_for(ws, request.id)],
        gates=[{"gate": g["gate"], "passed": bool(g["passed"]), "value": g.get("value"),
                "threshold": g.get("threshold"), "source": "plugin" if g.get("plugin") else "core", "message": g.get("message", "")}
               for g in request.gates],
        metrics=metric_rows(evaluation),
        slices=slice_tables(evaluation, min_slice),
        targets=target_rows(request.gates),
        scrub=None if scrub_report is None else scrub_view(scrub_report, policy.residency.required_entities),
        funnel=None if funnel is None else funnel_rows(funnel),
        egress=egress_attempts(ws, request.run_id),
        plugins=[{k: p.get(k) for k in ("name", "origin", "distribution", "version", "module", "record_sha256")}
                 for p in subject.get("plugins") or []],
        policy={"request": request.policy_digest, "current": policy.digest,
                "same": request.policy_digest == policy.digest},
        subject=subject,
        problems=problems,
        run=facts,
        min_slice_size=min_slice,
    )
    if request.kind == "residency":
        ev.residency = review.residency_view(ws, request, facts)
        return ev
    ev.card = review.model_card(ws, subject.get("model_card"), problems)
    ev.summary = review.summarize(ev, ev.card, facts, min_slice)
    ev.history = review.history(ws, subject.get("pipeline"))
    before = review.previous_release(ws, request)
    if before is not None:
        earlier = _artifact(ws, (before.subject.get("data") or {}).get("evaluation"), "last release's evaluation",
                            problems) or {}
        ev.previous = before.id
        ev.changes = review.changes(ws, request, ev.slices, slice_tables(earlier, min_slice), before)
    return ev


def decision_roles(ws, kind: str, roles: list[str]) -> list[str]:
    """The roles, of those held, in which a person could sign for a request of ``kind``: a choice for the form,
    not a check (the core makes that when the decision is signed)."""
    rule = getattr(ws.policy().approvals, kind)
    return [role for role in rule.required_roles if role in roles]


def metric_rows(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per metric: the student's value, the no-KD baseline's, and the teacher's where the evaluator
    measured it (``task.teacher_accuracy`` is the teacher's ``task.accuracy``)."""
    student, baseline = _flat(evaluation.get("student")), _flat(evaluation.get("baseline"))
    rows = []
    for key, value in student.items():
        evaluator, name = key.split(".", 1)
        if name.startswith("teacher_"):
            continue
        rows.append({"metric": key, "teacher": student.get(f"{evaluator}.teacher_{name}"), "student": value,
                     "baseline (no KD)": baseline.get(key), "meaning": review.meaning(key) + (
                         " Over every slice, however small; the gate counts only slices of the policy's "
                         "min_slice_size or more." if key == "slices.worst_slice_drop" else "")})
    return rows


def slice_tables(evaluation: dict[str, Any], min_slice: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Per slice field, per value: n, student and teacher accuracy (and the baseline's), the drop, and whether
    the gate counts it (``min_slice`` examples or more); the largest drop first, so the rows a reviewer
    needs lead. A value not measured stays None (shown blank), never 0."""
    baseline = {(e["evaluator"], name): table for e in evaluation.get("baseline") or []
                for name, table in (e.get("slices") or {}).items()}
    tables: dict[str, list[dict[str, Any]]] = {}
    for e in evaluation.get("student") or []:
        for name, table in (e.get("slices") or {}).items():
            theirs = baseline.get((e["evaluator"], name), {})
            tables[name] = [{"slice": value, "n": int(scores.get("n", 0)), "student": scores.get("accuracy"),
                             "teacher": scores.get("teacher_accuracy"),
                             "baseline (no KD)": theirs.get(value, {}).get("accuracy"), "drop": scores.get("drop"),
                             "gated": int(scores.get("n", 0)) >= min_slice}
                            for value, scores in table.items()]
            if all(_BUCKET.match(str(v)) for v in table):  # length buckets read in their own order
                tables[name].sort(key=lambda r: _bucket_start(str(r["slice"])))
            else:
                tables[name].sort(key=lambda r: (r["drop"] is None, -(r["drop"] or 0.0), str(r["slice"])))
    return tables


def target_rows(gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Size and p95 latency against each deployment target, from the request's own gate results."""
    rows: dict[str, dict[str, Any]] = {}
    for gate in gates:
        match = _TARGET_GATE.match(gate["gate"])
        if not match:
            continue
        measure, target = match.groups()
        row = rows.setdefault(target, {"target": target})
        prefix = "size (MB)" if measure == "size_mb" else "p95 latency (ms)"
        row[prefix] = gate.get("value")
        row[f"{prefix} limit"] = gate.get("threshold")
        row[f"{prefix} ok"] = bool(gate["passed"])
    return list(rows.values())


def scrub_view(report: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """Replaced spans per entity type, which required types the scrubber covers, and residual findings."""
    methods = report.get("methods") or {}
    counts = report.get("counts") or {}
    return {
        "records": report.get("records", 0),
        "entities": [{"entity": entity, "replaced": sum(fields.values()),
                      "by field": ", ".join(f"{f}: {n}" for f, n in sorted(fields.items())),
                      "method": methods.get(entity, "")} for entity, fields in sorted(counts.items())],
        "coverage": [{"entity": entity, "required by policy": entity in required, "covered": entity in methods,
                      "method": methods.get(entity, "")} for entity in sorted(set(required) | set(methods))],
        "uncovered": sorted(set(required) - set(methods)),
        "residual": [{k: r.get(k) for k in ("record", "field", "type", "score")} for r in report.get("residual") or []],
        "detection": report.get("detection"),
    }


def funnel_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"step": s["step"], "in": s["in"], "out": s["out"],
             "dropped": ", ".join(f"{reason}: {n}" for reason, n in sorted((s.get("dropped") or {}).items()))}
            for s in report.get("funnel") or []]


def egress_attempts(ws, run_id: str | None) -> list[dict[str, Any]]:
    """The run's blocked network and program-launch attempts, from the ledger."""
    if not run_id:
        return []
    return [{"seq": e.seq, "time": e.time, **{k: e.payload.get(k) for k in ("target", "event", "stage", "plugin")}}
            for e in reversed(ws.ledger().entries(kind="egress.blocked", run_id=run_id, limit=1000))]


@dataclass
class LedgerBadge:
    """The whole ledger re-verified, and each of the request's entries proven against the latest checkpoint."""

    ok: bool
    entries: int
    checkpoint_size: int | None
    failure: str | None
    proofs: list[dict[str, Any]]

    @property
    def proven(self) -> int:
        return sum(p["status"] == "verified" for p in self.proofs)

    @property
    def healthy(self) -> bool:
        return self.ok and not any(p["status"].startswith("FAILED") for p in self.proofs)

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"ledger verification FAILED: {self.failure}"
        if self.checkpoint_size is None:
            return f"ledger verified ({self.entries} entries); no checkpoint yet"
        bad = [p for p in self.proofs if p["status"] not in ("verified", "awaiting checkpoint")]
        tail = f"; {len(bad)} proof(s) FAILED" if bad else ""
        return (f"ledger verified up to checkpoint {self.checkpoint_size}; {self.proven} of this request's "
                f"{len(self.proofs)} entries proven included{tail}")


def ledger_badge(ws, request_id: str) -> LedgerBadge:
    ledger = ws.ledger()
    report = ledger.verify()
    note = ledger.latest_checkpoint()
    size = read_checkpoint(note).size if note else None
    keys = list(ledger.verifier_keys().values())
    proofs = []
    for seq in release_entries(ledger, approvals.get_request(ws, request_id)):
        if size is None or seq >= size:
            proofs.append({"seq": seq, "kind": "", "status": "awaiting checkpoint"})
            continue
        try:
            bundle = ledger.prove(seq)
            verify_inclusion_bundle(bundle, keys)
            status = "verified"
        except StillroomError as e:
            bundle, status = None, f"FAILED: {e}"
        proofs.append({"seq": seq, "kind": _kind(bundle), "status": status})
    return LedgerBadge(report.ok, report.entries, size, None if report.ok else str(report.failure), proofs)


def _kind(bundle: dict[str, Any] | None) -> str:
    return "" if bundle is None else json.loads(base64.b64decode(bundle["leaf"]))["kind"]


def _flat(evaluations: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {f"{e['evaluator']}.{k}": v for e in evaluations or [] for k, v in (e.get("metrics") or {}).items()}


def _artifact(ws, digest: str | None, what: str, problems: list[str]) -> Any:
    if not digest:
        return None
    try:
        return ws.artifacts.read_json(digest)
    except (StillroomError, ValueError) as e:
        problems.append(f"the {what} ({digest[:12]}) cannot be read: {e}")
        return None


def _bucket_start(value: str) -> int:
    """Where a length bucket (``0-10``, ``50+``) starts; every value sorted here matched ``_BUCKET``."""
    match = _BUCKET.match(value)
    assert match is not None
    return int(match[1])


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
