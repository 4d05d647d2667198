"""Requests and signed decisions, with separation of duties enforced here, in the core.

A request (a release, or a residency exception) is bound to one digest of
everything it is about. A decision is an in-toto Statement v1 with an
approval predicate, in a DSSE envelope signed by the reviewer's own key, and
ledgered. ``approval_state`` is the one place the rules live, a pure function
over the request, the decisions, the policy rule and the reviewers' keys:

- the initiator cannot approve their own request;
- one person counts once, even holding two roles;
- a decision counts only for the request digest and policy digest it signed,
  so any change to the subject or the policy voids it;
- a decision older than the policy's validity window does not count;
- a forged, re-signed or replayed envelope does not verify or does not bind;
- a key counts only for the user a ``user.added``/``user.reset`` entry of the
  verified chain gave it to, and roles are the chain's (never the store's);
- a key retired by a user reset (its ``key.retired`` entry) counts only for
  decisions the ledger recorded before the retirement;
- a rejection by a required role blocks the request until a new one;
- "changes" (a reviewer returning the request with a signed comment) is not a rejection: it stays
  pending, but it cannot be approved while that reviewer's latest word on it is "changes".
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from stillroom import signing
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.errors import StillroomError, UsageError
from stillroom.ledger.entry import parse_time
from stillroom.store.models import Decision, Request
from stillroom.users import Retirement

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://stillroom.dev/attestations/approval/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
KINDS = ("release", "residency")
DECISIONS = ("approve", "reject", "changes")


class ApprovalRefused(StillroomError):
    """A decision the policy does not allow: the rule's own message says why."""


@dataclass
class ApprovalState:
    """What the decisions on one request amount to under the policy."""

    satisfied: bool
    missing_roles: list[str]
    counted: list[dict[str, str]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    rejected_by: dict[str, str] | None = None
    waived: list[str] = field(default_factory=list)
    changes_requested: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "rejected" if self.rejected_by else "approved" if self.satisfied else "pending"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "satisfied": self.satisfied, "missing_roles": self.missing_roles,
                "counted": self.counted, "ignored": self.ignored, "rejected_by": self.rejected_by,
                "waived": self.waived, "changes_requested": self.changes_requested}


def approval_state(*, request: dict[str, Any], envelopes: list[dict[str, Any]], rule: Any, policy_digest: str,
                   now: datetime, keys: dict[str, Any], owners: dict[str, str], roles: dict[str, list[str]],
                   retired: dict[str, Retirement] | None = None,
                   ledgered: dict[str, int] | None = None) -> ApprovalState:
    """Apply the policy's approval rule to signed decisions. Pure: no I/O.

    ``request``: ``{"id", "digest", "initiator"}``; ``envelopes``: DSSE envelopes;
    ``keys``: key name -> Ed25519 public key; ``owners``: key name -> the user the chain gave it to;
    ``roles``: user -> current roles (the chain's);
    ``retired``: key name -> where a reset retired it; ``ledgered``: the SHA-256 of each
    decision envelope the ledger holds -> the seq of its ``approval.decision`` entry.
    """
    approvals: list[tuple[str, str]] = []
    waivers: dict[str, set[str]] = {}
    changes: dict[str, dict[str, str]] = {}  # reviewer -> their request for changes, until they approve
    counted, ignored, rejected_by = [], [], None
    for envelope in envelopes:
        try:
            statement = _open_unretired(envelope, keys, owners, retired or {}, ledgered or {})
            predicate = _bound_predicate(statement, request, policy_digest)
            decided_at = parse_time(predicate["time"])
            if decided_at.tzinfo is None or decided_at > now + timedelta(minutes=5):
                raise ApprovalRefused(f"{predicate['reviewer']}'s decision carries an impossible time")
        except ApprovalRefused as why:
            ignored.append({"reason": str(why)})
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            ignored.append({"reason": "a signed decision is not a well-formed approval statement"})
            continue
        reviewer, role, decided = predicate["reviewer"], predicate["role"], predicate["decision"]
        reason = None
        if rule.initiator_excluded and reviewer == request["initiator"]:
            reason = f"{reviewer} initiated this request and cannot decide it"
        elif role not in roles.get(reviewer, []):
            reason = f"{reviewer} no longer holds the {role} role"
        elif now - decided_at > timedelta(days=rule.valid_days):
            reason = f"{reviewer}'s {decided} expired ({rule.valid_days}-day window)"
        if reason:
            ignored.append({"reviewer": reviewer, "role": role, "reason": reason})
            continue
        if role not in rule.required_roles:
            continue
        if decided == "reject" and rejected_by is None:
            rejected_by = {"reviewer": reviewer, "role": role, "comment": predicate.get("comment", "")}
        elif decided == "changes":
            changes[reviewer] = {"reviewer": reviewer, "role": role, "comment": predicate.get("comment", ""),
                                 "time": predicate["time"]}
        elif decided == "approve":
            changes.pop(reviewer, None)
            approvals.append((reviewer, role))
            waivers[reviewer] = set(predicate.get("waive", []))
    assignment = _assign(rule.required_roles, approvals, distinct=rule.distinct_people)
    counted = [{"reviewer": person, "role": role} for role, person in assignment.items()]
    missing = [r for r in rule.required_roles if r not in assignment]
    # A failing gate is waived only when every approval that counts signed the waiver for it.
    waived = sorted(set.intersection(*(waivers[p] for p in assignment.values()))) if assignment and not missing else []
    outstanding = sorted(changes.values(), key=lambda c: c["time"])
    return ApprovalState(not missing and rejected_by is None and not outstanding, missing, counted, ignored,
                         rejected_by, waived, outstanding)


def decision_statement(*, request: Request, reviewer: str, role: str, decision: str, comment: str,
                       policy_digest: str, time: datetime, waive: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"stillroom-request:{request.id}", "digest": {"sha256": request.digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "request_id": request.id,
            "request_kind": request.kind,
            "request_digest": request.digest,
            "reviewer": reviewer,
            "role": role,
            "decision": decision,
            "comment": comment,
            "policy_digest": policy_digest,
            "time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "nonce": secrets.token_hex(8),
            "waive": sorted(waive),
        },
    }


def open_decision(envelope: dict[str, Any], keys: dict[str, Any], owners: dict[str, str]) -> dict[str, Any]:
    """Verify that a decision envelope is signed by one of its own reviewer's keys; return its statement.

    The payload names the reviewer; only the keys the chain gave that person (``owners``) are trusted
    for it, so nobody can sign a decision in someone else's name, and a node key, or any key no
    ``user.added``/``user.reset`` entry gave them, counts for nobody whatever its name.
    """
    try:
        claimed = json.loads(base64.b64decode(envelope["payload"], validate=True))
        reviewer = claimed["predicate"]["reviewer"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise ApprovalRefused("a decision envelope is malformed") from None
    own = {name: key for name, key in keys.items() if owners.get(name) == reviewer}
    try:
        payload = signing.dsse_verify(envelope, own)
    except StillroomError:
        raise ApprovalRefused(f"a decision in {reviewer}'s name is not signed by any of {reviewer}'s keys") from None
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise ApprovalRefused(f"a decision has payload type {envelope.get('payloadType')!r}, not {PAYLOAD_TYPE}")
    statement = json.loads(payload)
    if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
        raise ApprovalRefused("a decision is not a Stillroom approval statement")
    return statement


def _open_unretired(envelope: dict[str, Any], keys: dict[str, Any], owners: dict[str, str],
                    retired: dict[str, Retirement], ledgered: dict[str, int]) -> dict[str, Any]:
    """``open_decision``, where a retired key counts only for what the ledger recorded before its retirement.

    A decision's time is its signer's own claim, which whoever holds an old key can backdate; the
    ledger's order is not theirs to choose. So a decision signed only by a retired key needs its
    ``approval.decision`` entry before the entry that retired the key, and a signed time before it too.
    """
    try:
        return open_decision(envelope, {name: key for name, key in keys.items() if name not in retired}, owners)
    except ApprovalRefused as refused:
        for name in sorted(set(keys) & set(retired)):
            try:
                statement = open_decision(envelope, {name: keys[name]}, owners)
            except ApprovalRefused:
                continue
            reviewer, retirement = statement["predicate"]["reviewer"], retired[name]
            seq = ledgered.get(sha256_bytes(canonical_json(envelope)))
            if seq is None or seq >= retirement.seq or parse_time(statement["predicate"]["time"]) >= retirement.time:
                raise ApprovalRefused(f"{reviewer}'s decision is signed with {name}, a key retired by a reset at "
                                      f"ledger entry {retirement.seq}, and the ledger holds no record of it from "
                                      "before then") from None
            return statement
        raise refused


def _bound_predicate(statement: dict[str, Any], request: dict[str, Any], policy_digest: str) -> dict[str, Any]:
    predicate = statement["predicate"]
    subject_digest = statement["subject"][0]["digest"]["sha256"]
    if predicate.get("request_id") != request["id"] or subject_digest != request["digest"] \
            or predicate.get("request_digest") != request["digest"]:
        raise ApprovalRefused(f"a decision by {predicate.get('reviewer')} was signed for a different request or "
                              "a changed subject; it does not count for this one")
    if predicate.get("policy_digest") != policy_digest:
        raise ApprovalRefused(f"{predicate.get('reviewer')}'s decision was made under a different policy "
                              f"({str(predicate.get('policy_digest'))[:12]}); it no longer counts")
    if predicate.get("decision") not in DECISIONS:
        raise ApprovalRefused(f"unknown decision {predicate.get('decision')!r}")
    return predicate


def _assign(required: list[str], approvals: list[tuple[str, str]], *, distinct: bool) -> dict[str, str]:
    """Match required roles to approving people, each person at most once when ``distinct`` (max bipartite matching)."""
    people_for = {role: sorted({p for p, r in approvals if r == role}) for role in required}
    if not distinct:
        return {role: people[0] for role, people in people_for.items() if people}
    owner: dict[str, str] = {}

    def place(role: str, seen: set[str]) -> bool:
        for person in people_for[role]:
            if person in seen:
                continue
            seen.add(person)
            holder = next((r for r, p in owner.items() if p == person), None)
            if holder is None or place(holder, seen):
                owner[role] = person
                return True
        return False

    for role in required:
        place(role, set())
    return owner


# -- I/O: requests and decisions on the store -----------------------------------


def subject_digest(subject: dict[str, Any]) -> str:
    return sha256_bytes(canonical_json(subject))


def open_request(ws, *, kind: str, subject: dict[str, Any], initiator: str, policy_digest: str,
                 run_id: str | None = None, gates: list[dict[str, Any]] | None = None) -> Request:
    """Open a request bound to the digest of ``subject``; the same initiator's identical pending one is
    returned as is. Requests are never shared between initiators (see ``approved_request``)."""
    if kind not in KINDS:
        raise UsageError(f"request kind must be one of {', '.join(KINDS)}")
    digest = subject_digest(subject)
    with ws.session() as s:
        same = s.exec(select(Request).where(Request.kind == kind, Request.digest == digest,
                                            Request.initiator == initiator, Request.status == "pending")).first()
        if same is not None:
            return same
        request = Request(id=f"req-{secrets.token_hex(5)}", kind=kind, run_id=run_id, initiator=initiator,
                          subject=subject, digest=digest, policy_digest=policy_digest, gates=gates or [])
        s.add(request)
        s.commit()
    ws.ledger().record("request.opened", {"request_id": request.id, "kind": kind, "digest": digest,
                                           "policy_digest": policy_digest,
                                           "gates": [{k: g[k] for k in ("gate", "passed")} for g in gates or []]},
                       actor=initiator, run_id=run_id)
    return request


def approved_request(ws, kind: str, subject: dict[str, Any], *, initiator: str) -> Request | None:
    """A request by ``initiator`` for exactly ``subject`` whose approvals hold under the current policy.

    Only the initiator's own requests admit their run. The policy keeps an initiator from deciding
    their own request, so nobody approves data into a run they started. Were another person's approved
    request to admit it, anyone who approved that request, or who decided a pending one they had not
    opened, could admit data into their own run: separation of duties bypassed.
    """
    digest = subject_digest(subject)
    with ws.session() as s:
        candidates = list(s.exec(select(Request).where(Request.kind == kind, Request.digest == digest,
                                                       Request.initiator == initiator,
                                                       Request.status == "approved")))
    return next((r for r in candidates if state_of(ws, r).satisfied), None)


def get_request(ws, request_id: str) -> Request:
    with ws.session() as s:
        request = s.get(Request, request_id)
    if request is None:
        raise UsageError(f"no request {request_id!r}; `stillroom requests list` shows them")
    return request


def list_requests(ws, *, status: str | None = None, kind: str | None = None) -> list[Request]:
    with ws.session() as s:
        query = select(Request).order_by(col(Request.created_at))
        if status:
            query = query.where(Request.status == status)
        if kind:
            query = query.where(Request.kind == kind)
        return list(s.exec(query))


def shown_status(ws, request: Request) -> str:
    """A request's status as listings show it: an ``approved`` one whose approvals no longer hold (a decision
    tampered with or removed, a role taken away, a changed policy) shows as ``pending``, never stale."""
    if request.status != "approved":
        return request.status
    try:
        return state_of(ws, request).status
    except StillroomError:  # a policy not in force, a ledger that does not verify: nothing is approved
        return "pending"


def decisions_for(ws, request_id: str) -> list[Decision]:
    with ws.session() as s:
        return list(s.exec(select(Decision).where(Decision.request_id == request_id).order_by(col(Decision.id))))


@dataclass(frozen=True)
class LedgeredRequest:
    """What the verified ledger says of a request: who opened it, for which run, and every decision on it
    (envelope SHA-256 -> the seq of its ``approval.decision`` entry). The store's ``requests`` and
    ``decisions`` rows are copies that nothing signs; where they differ, the ledger decides."""

    initiator: str
    run_id: str | None
    decisions: dict[str, int]


def ledgered_request(ws, request: Request) -> LedgeredRequest | None:
    """The request as the verified ledger records it; None when no ``request.opened`` entry for exactly its
    id and digest exists (a row the ledger never saw)."""
    ws.trust()  # the log verifies (hash chain, every signature) before anything in it is believed
    opened = None
    decisions: dict[str, int] = {}
    for entry in ws.ledger().mentioning(request.id):
        if entry.payload.get("request_id") != request.id:
            continue
        if entry.kind == "request.opened" and opened is None:
            opened = entry
        elif entry.kind == "approval.decision" and isinstance(entry.payload.get("envelope_sha256"), str):
            decisions.setdefault(entry.payload["envelope_sha256"], entry.seq)
    if opened is None or opened.payload.get("digest") != request.digest:
        return None
    return LedgeredRequest(opened.actor, opened.run_id, decisions)


def ledgered_decisions(ws, request: Request) -> dict[str, int]:
    """The SHA-256 of each of the request's decision envelopes the ledger holds -> its entry's seq."""
    recorded = ledgered_request(ws, request)
    return recorded.decisions if recorded is not None else {}


def _integrity_failure(comment: str) -> ApprovalState:
    return ApprovalState(False, [], ignored=[{"reason": comment}],
                         rejected_by={"reviewer": "stillroom", "role": "integrity", "comment": comment})


def state_of(ws, request: Request, *, now: datetime | None = None) -> ApprovalState:
    """Evaluate a request's decisions under the workspace's current policy, as the ledger records them."""
    policy = ws.policy()
    if subject_digest(request.subject) != request.digest:
        return _integrity_failure("request subject was altered after it was opened")
    recorded = ledgered_request(ws, request)
    if recorded is None:
        return _integrity_failure(f"the ledger records no request {request.id} with this digest")
    stored = {sha256_bytes(canonical_json(d.envelope)): d.envelope for d in decisions_for(ws, request.id)}
    missing = sorted(set(recorded.decisions) - set(stored), key=recorded.decisions.__getitem__)
    if missing:  # a decision removed from the store (a rejection, say) still counts: the ledger holds it
        return _integrity_failure(f"the decision ledgered at entry {recorded.decisions[missing[0]]} is missing "
                                  "from the store")
    trust = ws.trust()
    keys, owners, roles = reviewer_keys(trust)

    def evaluate(envelopes: list[dict[str, Any]]) -> ApprovalState:
        return approval_state(
            request={"id": request.id, "digest": request.digest, "initiator": recorded.initiator},
            envelopes=envelopes, rule=getattr(policy.approvals, request.kind), policy_digest=policy.digest,
            now=now or datetime.now(UTC), keys=keys, owners=owners, roles=roles,
            retired=_retired(trust), ledgered=recorded.decisions)

    state = evaluate([stored[h] for h in sorted(recorded.decisions, key=recorded.decisions.__getitem__)])  # ledger order
    for digest, envelope in stored.items():  # rows the ledger never recorded count for nothing; say why
        if digest not in recorded.decisions:
            alone = evaluate([envelope])
            state.ignored.append(alone.ignored[0] if alone.ignored else
                                 {"reason": "a decision in the store that the ledger does not record counts for nothing"})
    return state


def reviewer_keys(trust) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """From the verified chain (``Workspace.trust()``): every person key a user was given (old keys too),
    whose it is, and each user's current roles. Nothing here is read from a table."""
    people = trust.person_keys()
    return ({name: k.public_key for name, k in people.items()}, {name: k.owner for name, k in people.items()},
            trust.roles())


def _retired(trust) -> dict[str, Retirement]:
    return {name: Retirement(k.retired, parse_time(k.retired_time))
            for name, k in trust.person_keys().items() if k.retired is not None}


def decide(ws, request_id: str, person, *, decision: str, comment: str = "", role: str | None = None,
           waive: Sequence[str] = (), now: datetime | None = None) -> ApprovalState:
    """Sign and record ``person``'s decision, refusing what the policy forbids with the rule's message."""
    if decision not in DECISIONS:
        raise UsageError("a decision is 'approve', 'reject' or 'changes'")
    if decision == "changes" and not comment.strip():
        raise UsageError("a request for changes needs a comment saying what to change")
    request = get_request(ws, request_id)
    policy = ws.policy()
    rule = getattr(policy.approvals, request.kind)
    if request.status != "pending":
        raise ApprovalRefused(f"request {request.id} is {request.status}; only pending requests take decisions")
    if request.policy_digest != policy.digest:
        raise ApprovalRefused(f"the policy changed since {request.id} was opened (its gates were computed under "
                              f"{request.policy_digest[:12]}, the policy is now {policy.digest[:12]}); re-run to "
                              "open a request under the current policy")
    recorded = ledgered_request(ws, request)
    if recorded is None:
        raise ApprovalRefused(f"the ledger records no request {request.id} with this digest; it cannot be decided")
    if rule.initiator_excluded and person.name == recorded.initiator:
        raise ApprovalRefused(f"{person.name} initiated {request.id} and cannot {decision} it: the policy "
                              "excludes the initiator from deciding their own request")
    retirement = _retired(ws.trust()).get(person.key_name)
    if retirement is not None:
        raise ApprovalRefused(f"{person.key_name} was retired by a reset at ledger entry {retirement.seq}; "
                              f"{person.name} signs with their current key")
    eligible = [r for r in rule.required_roles if r in person.roles]
    if not eligible:
        raise ApprovalRefused(f"{person.name} holds none of the roles this {request.kind} request needs "
                              f"({', '.join(rule.required_roles)})")
    if role is None:
        if len(eligible) > 1:
            raise UsageError(f"{person.name} holds several required roles ({', '.join(eligible)}); choose one with --role")
        role = eligible[0]
    elif role not in eligible:
        raise ApprovalRefused(f"{person.name} cannot decide as {role!r}: holds {', '.join(person.roles)}, "
                              f"request needs {', '.join(rule.required_roles)}")
    if rule.distinct_people and any(d.user == person.name and d.decision == decision
                                    for d in decisions_for(ws, request.id)):
        raise ApprovalRefused(f"{person.name} has already decided {request.id}; one person counts once")
    failing = {g["gate"] for g in request.subject.get("gates", request.gates) if not g["passed"]}
    if waive and (decision != "approve" or set(waive) - failing):
        raise UsageError(f"only failing gates of an approval can be waived; {request.id} fails: "
                         f"{', '.join(sorted(failing)) or 'none'}")
    moment = now or datetime.now(UTC)
    statement = decision_statement(request=request, reviewer=person.name, role=role, decision=decision,
                                   comment=comment, policy_digest=policy.digest, time=moment, waive=list(waive))
    envelope = signing.dsse_sign(canonical_json(statement), PAYLOAD_TYPE, person.key, person.key_name)
    entry = ws.ledger().record(
        "approval.decision",
        {"request_id": request.id, "reviewer": person.name, "role": role, "decision": decision,
         "request_digest": request.digest, "policy_digest": policy.digest,
         "envelope_sha256": sha256_bytes(canonical_json(envelope))},
        actor=person.name, run_id=recorded.run_id, signed_by=(person.key_name, person.key))
    with ws.session() as s:
        s.add(Decision(request_id=request.id, user=person.name, roles=[role], decision=decision, comment=comment,
                       request_digest=request.digest, policy_digest=policy.digest, envelope=envelope,
                       created_at=moment))
        s.commit()
    state = state_of(ws, request, now=moment)
    if state.status != "pending":
        set_status(ws, request.id, state.status, actor=person.name, reason={"ledger_seq": entry.seq})
    return state


def set_status(ws, request_id: str, status: str, *, actor: str, reason: dict[str, Any] | None = None) -> None:
    with ws.session() as s:
        request = s.get(Request, request_id)
        request.status = status
        s.add(request)
        s.commit()
    ws.ledger().record(f"request.{status}", {"request_id": request_id, **(reason or {})}, actor=actor,
                       run_id=request.run_id)
