"""Sample audit: a security reviewer reads scrubbed records drawn at random and marks the PII left in them.

Measured recall is about labelled sets; the audit is about this run's own data. The sample is drawn
from the scrubbed artifact a release request names, with a seed derived from the request's id and
digest, so neither the initiator nor the reviewer chooses which records are read, and one request
always gives the same sample. The reviewer marks each record ``clean`` or ``pii_left`` (with the
types), and the marks are an in-toto statement in a DSSE envelope signed by the reviewer's own key,
recorded whole in the ledger (``sample_audit.decision``).

``audit_outcome`` is the one place the rules live, a pure function over the request, the expected
sample, the envelopes and the chain's keys and roles:

- only a key the chain gave the reviewer signs for them, and a retired key signs for nobody;
- the reviewer holds the ``security`` role now, and did not initiate the request;
- an audit counts only for the request, sample (scrubbed digest, seed, records) and policy it signed;
- every sampled record is marked, once;
- of several audits that count, the one with the most misses decides: a later clean audit does not
  erase PII a person found.

The miss rate's 95% upper bound is the Clopper–Pearson (exact binomial) interval's upper end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stillroom import signing
from stillroom.approvals import get_request, ledgered_request, reviewer_keys
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.errors import StillroomError, UsageError
from stillroom.gates import sample_audit_gate

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://stillroom.dev/attestations/sample-audit/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ENTRY_KIND = "sample_audit.decision"
ROLE = "security"
VERDICTS = ("clean", "pii_left")
CONFIDENCE = 0.95
# What a scrubber writes in place of a value (``<PERSON>``, ``<PERSON_kqzmxvbtda>``), for highlighting only:
# the core cannot import a plugin's own pattern, and nothing is decided on it.
PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*?(?:_[a-z]{10})?>")


class AuditRefused(StillroomError):
    """A sample audit the rules do not allow; the message says which rule."""


@dataclass(frozen=True)
class Sample:
    """The records a request's audit reads: their indices in the scrubbed artifact, and the records."""

    request_id: str
    request_digest: str
    scrubbed: str
    seed: str
    population: int
    indices: tuple[int, ...]
    records: tuple[dict[str, Any], ...] = field(repr=False)

    def binding(self) -> dict[str, Any]:
        """What an audit statement signs about its sample."""
        return {"scrubbed": self.scrubbed, "seed": self.seed, "population": self.population,
                "indices": list(self.indices)}


@dataclass
class AuditOutcome:
    completed: bool
    size: int = 0
    misses: int = 0
    miss_rate_upper: float | None = None
    reviewer: str | None = None
    types: list[str] = field(default_factory=list)
    counted: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "size": self.size, "misses": self.misses,
                "miss_rate_upper_95": self.miss_rate_upper, "reviewer": self.reviewer, "types": self.types,
                "counted": self.counted, "ignored": self.ignored}


# -- pure ----------------------------------------------------------------------------------


def sample_seed(request_id: str, request_digest: str) -> str:
    return hashlib.sha256(f"stillroom sample audit\x00{request_id}\x00{request_digest}".encode()).hexdigest()


def sample_indices(seed: str, population: int, size: int) -> list[int]:
    """``size`` distinct record indices out of ``population`` (all of them when there are fewer), sorted."""
    return sorted(random.Random(int(seed, 16)).sample(range(population), min(size, population)))


def clopper_pearson_upper(misses: int, n: int, confidence: float = CONFIDENCE) -> float:
    """The upper end of the two-sided Clopper–Pearson interval for a rate of ``misses`` in ``n``:
    the p at which seeing ``misses`` or fewer has probability (1 - confidence) / 2."""
    if not 0 <= misses <= n or n < 1:
        raise ValueError(f"misses must lie between 0 and n >= 1, got {misses} of {n}")
    if misses == n:
        return 1.0
    tail = (1 - confidence) / 2
    low, high = misses / n, 1.0
    for _ in range(100):  # the binomial CDF falls as p rises: bisect
        mid = (low + high) / 2
        low, high = (mid, high) if _binomial_cdf(misses, n, mid) > tail else (low, mid)
    return high


def _binomial_cdf(k: int, n: int, p: float) -> float:
    if p <= 0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    return sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p
                        + (n - i) * log_q) for i in range(k + 1))


def check_marks(marks: Any, indices: tuple[int, ...]) -> list[dict[str, Any]]:
    """Marks as ``[{"index", "verdict", "types"}]``, one per sampled record, in index order; or ``UsageError``."""
    if not isinstance(marks, list):
        raise UsageError("the marks must be a list of {index, verdict, types} objects")
    wanted, seen, out = set(indices), set(), []
    for n, mark in enumerate(marks):
        where = f"mark {n + 1}"
        if not isinstance(mark, dict) or set(mark) - {"index", "verdict", "types"}:
            raise UsageError(f"{where} must be an object with index, verdict and types, got {mark!r}")
        index, verdict, types = mark.get("index"), mark.get("verdict"), mark.get("types", [])
        if not isinstance(index, int) or index not in wanted:
            raise UsageError(f"{where}: record {index!r} is not in this request's sample")
        if index in seen:
            raise UsageError(f"{where}: record {index} is marked twice")
        if verdict not in VERDICTS:
            raise UsageError(f"{where}: verdict must be clean or pii_left, got {verdict!r}")
        if not isinstance(types, list) or not all(isinstance(t, str) and t.strip() for t in types):
            raise UsageError(f"{where}: types must be a list of entity type names, got {types!r}")
        if (verdict == "pii_left") != bool(types):
            raise UsageError(f"{where}: a record marked pii_left names the types left, and only such a record does")
        seen.add(index)
        out.append({"index": index, "verdict": verdict, "types": sorted({t.strip().upper() for t in types})})
    if seen != wanted:
        raise UsageError(f"{len(wanted - seen)} sampled record(s) are not marked (first: record "
                         f"{min(wanted - seen)}); an audit marks every record of the sample")
    return sorted(out, key=lambda m: m["index"])


def audit_outcome(*, request: dict[str, Any], sample: dict[str, Any], envelopes: list[dict[str, Any]],
                  policy_digest: str, keys: dict[str, Any], owners: dict[str, str], roles: dict[str, list[str]],
                  retired: set[str]) -> AuditOutcome:
    """The audits that count for ``request`` (``{"id", "digest", "initiator"}``) and its expected ``sample``
    (``Sample.binding()``), and what they amount to. Pure: no I/O."""
    counted, ignored = [], []
    for envelope in envelopes:
        try:
            predicate = _open(envelope, {k: v for k, v in keys.items() if k not in retired}, owners)
            reviewer = predicate["reviewer"]
            if predicate["request_id"] != request["id"] or predicate["request_digest"] != request["digest"]:
                raise AuditRefused(f"{reviewer}'s audit was signed for another request; it does not count for this one")
            if predicate["sample"] != sample:
                raise AuditRefused(f"{reviewer}'s audit read another sample than this request's; it does not count")
            if predicate["policy_digest"] != policy_digest:
                raise AuditRefused(f"{reviewer}'s audit was made under another policy; it no longer counts")
            if ROLE not in roles.get(reviewer, []):
                raise AuditRefused(f"{reviewer} does not hold the {ROLE} role; their audit does not count")
            if reviewer == request["initiator"]:
                raise AuditRefused(f"{reviewer} initiated this request; their audit does not count")
            marks = check_marks(predicate["marks"], tuple(sample["indices"]))
        except (AuditRefused, UsageError) as why:
            ignored.append({"reason": str(why)})
            continue
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
            ignored.append({"reason": "a signed audit is not a well-formed sample-audit statement"})
            continue
        missed = [m for m in marks if m["verdict"] == "pii_left"]
        counted.append({"reviewer": reviewer, "time": predicate["time"], "size": len(marks), "misses": len(missed),
                        "types": sorted({t for m in missed for t in m["types"]})})
    if not counted:
        return AuditOutcome(False, ignored=ignored)
    worst = max(counted, key=lambda a: (a["misses"], a["time"]))
    return AuditOutcome(True, worst["size"], worst["misses"], clopper_pearson_upper(worst["misses"], worst["size"]),
                        worst["reviewer"], worst["types"], counted, ignored)


def bundle_outcome(*, request: dict[str, Any], scrubbed: str | None, size: int, envelopes: list[dict[str, Any]],
                   policy_digest: str, keys: dict[str, Any], owners: dict[str, str], roles: dict[str, list[str]],
                   retired: set[str]) -> AuditOutcome:
    """``audit_outcome`` for the audits a release bundle carries, offline: the sample each must have read is
    rebuilt from the request (the seed), the scrubbed data it approved and the policy (the size). Only the
    number of records, which needs the data itself, comes from an audit's own signed statement. ``scrubbed`` is
    None when the release subject names no scrubbed data: then no audit matches. Pure."""
    claimed = None
    for envelope in envelopes:
        try:
            claimed = int(json.loads(base64.b64decode(envelope["payload"], validate=True))["predicate"]["sample"]
                          ["population"])
            break
        except (KeyError, TypeError, ValueError, binascii.Error):
            continue
    if claimed is None or claimed < 1:
        return AuditOutcome(False, ignored=[{"reason": "the bundle carries no well-formed sample audit"}])
    seed = sample_seed(request["id"], request["digest"])
    expected = {"scrubbed": scrubbed, "seed": seed, "population": claimed,
                "indices": sample_indices(seed, claimed, size)}
    return audit_outcome(request=request, sample=expected, envelopes=envelopes, policy_digest=policy_digest,
                         keys=keys, owners=owners, roles=roles, retired=retired)


def _open(envelope: dict[str, Any], keys: dict[str, Any], owners: dict[str, str]) -> dict[str, Any]:
    """The predicate of an audit envelope signed by one of its own reviewer's keys."""
    claimed = json.loads(base64.b64decode(envelope["payload"], validate=True))
    reviewer = claimed["predicate"]["reviewer"]
    own = {name: key for name, key in keys.items() if owners.get(name) == reviewer}
    try:
        statement = json.loads(signing.dsse_verify(envelope, own))
    except StillroomError:
        raise AuditRefused(f"an audit in {reviewer}'s name is not signed by any of {reviewer}'s current keys") from None
    if envelope.get("payloadType") != PAYLOAD_TYPE or statement.get("_type") != STATEMENT_TYPE \
            or statement.get("predicateType") != PREDICATE_TYPE:
        raise AuditRefused("a signed statement is not a Stillroom sample audit")
    return statement["predicate"]


# -- I/O: the sample, the signed audit, the gate ------------------------------------------


def draw_sample(ws, request) -> Sample:
    """The records the policy's ``sample_audit.size`` says to read, from the scrubbed data ``request`` names."""
    if request.kind != "release":
        raise UsageError(f"{request.id} is a {request.kind} request; sample audits are of release requests")
    scrubbed = (request.subject.get("data") or {}).get("scrubbed")
    if not scrubbed:
        raise AuditRefused(f"{request.id} names no scrubbed data (its run had no scrub stage), so there is "
                           "nothing to audit")
    population = sum(1 for _ in ws.artifacts.iter_lines(scrubbed))
    if population == 0:
        raise AuditRefused(f"{request.id}'s scrubbed data holds no records, so there is nothing to audit")
    seed = sample_seed(request.id, request.digest)
    indices = tuple(sample_indices(seed, population, ws.policy().release_gates.sample_audit.size))
    wanted = set(indices)
    records = tuple(json.loads(line) for n, line in enumerate(ws.artifacts.iter_lines(scrubbed)) if n in wanted)
    return Sample(request.id, request.digest, scrubbed, seed, population, indices, records)


def audit_statement(*, sample: Sample, reviewer: str, marks: list[dict[str, Any]], policy_digest: str,
                    time: datetime) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"stillroom-request:{sample.request_id}", "digest": {"sha256": sample.request_digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "request_id": sample.request_id,
            "request_digest": sample.request_digest,
            "sample": sample.binding(),
            "reviewer": reviewer,
            "role": ROLE,
            "marks": marks,
            "policy_digest": policy_digest,
            "time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "nonce": secrets.token_hex(8),
        },
    }


def sign_audit(ws, request_id: str, person, marks: Any, *, now: datetime | None = None) -> AuditOutcome:
    """Sign ``person``'s marks on the request's sample with their own key and ledger them; refuse what
    the rules forbid with the rule's message, before anything is signed."""
    request = get_request(ws, request_id)
    trust = ws.trust()
    if ROLE not in trust.roles().get(person.name, []):
        raise AuditRefused(f"{person.name} does not hold the {ROLE} role; only a {ROLE} reviewer signs a sample audit")
    recorded = ledgered_request(ws, request)
    if recorded is None:
        raise AuditRefused(f"the ledger records no request {request.id} with this digest; it cannot be audited")
    if person.name == recorded.initiator:
        raise AuditRefused(f"{person.name} initiated {request.id} and cannot audit its scrubbed data")
    if request.status not in ("pending", "approved"):
        raise AuditRefused(f"{request.id} is {request.status}; only an open request is audited")
    key = trust.person_keys().get(person.key_name)
    if key is None or key.retired is not None:
        raise AuditRefused(f"{person.key_name} is not {person.name}'s current key; they sign with their current key")
    sample = draw_sample(ws, request)
    checked = check_marks(marks, sample.indices)
    policy = ws.policy()
    statement = audit_statement(sample=sample, reviewer=person.name, marks=checked, policy_digest=policy.digest,
                                time=now or datetime.now(UTC))
    envelope = signing.dsse_sign(canonical_json(statement), PAYLOAD_TYPE, person.key, person.key_name)
    misses = sum(m["verdict"] == "pii_left" for m in checked)
    ws.ledger().record(ENTRY_KIND, {
        "request_id": request.id, "reviewer": person.name, "role": ROLE, "size": len(checked), "misses": misses,
        "miss_rate_upper_95": round(clopper_pearson_upper(misses, len(checked)), 6),
        "envelope_sha256": sha256_bytes(canonical_json(envelope)), "envelope": envelope,
    }, actor=person.name, run_id=recorded.run_id, signed_by=(person.key_name, person.key))
    return outcome_of(ws, request, sample)


def ledgered_audits(ws, request) -> list[tuple[int, dict[str, Any]]]:
    """(ledger seq, envelope) of every audit recorded for ``request``: what a release bundle carries."""
    return [(e.seq, e.payload["envelope"]) for e in ws.ledger().mentioning(request.id)  # by the signed bytes
            if e.kind == ENTRY_KIND and e.payload.get("request_id") == request.id]


def outcome_of(ws, request, sample: Sample | None = None) -> AuditOutcome:
    """What the ledgered audits of ``request`` amount to under the current policy and the chain's keys and roles."""
    sample = sample or draw_sample(ws, request)
    trust = ws.trust()
    keys, owners, roles = reviewer_keys(trust)
    retired = {name for name, k in trust.person_keys().items() if k.retired is not None}
    recorded = ledgered_request(ws, request)
    envelopes = [envelope for _, envelope in ledgered_audits(ws, request)] if recorded is not None else []
    initiator = recorded.initiator if recorded is not None else request.initiator  # never opened: audited by nobody
    return audit_outcome(request={"id": request.id, "digest": request.digest, "initiator": initiator},
                         sample=sample.binding(), envelopes=envelopes, policy_digest=ws.policy().digest,
                         keys=keys, owners=owners, roles=roles, retired=retired)


def release_gate(ws, request) -> dict[str, Any] | None:
    """The ``sample_audit`` gate for ``request`` when the policy requires an audit; None when it does not."""
    rule = ws.policy().release_gates.sample_audit
    if not rule.required:
        return None
    try:
        outcome = outcome_of(ws, request).as_dict()
    except AuditRefused as why:
        return sample_audit_gate(None, rule.max_misses, reason=str(why))
    return sample_audit_gate(outcome, rule.max_misses)


def segments(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is_placeholder) for a reviewer's view that highlights what was replaced."""
    parts, last = [], 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > last:
            parts.append((text[last:m.start()], False))
        parts.append((m.group(), True))
        last = m.end()
    if last < len(text):
        parts.append((text[last:], False))
    return parts
