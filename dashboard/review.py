"""What a reviewer reads first: what the model is and is for, a plain-language summary, what a residency
exception excepts, and what changed since the pipeline's last release. Plain functions; no Streamlit.

Every figure here is read from the request's recorded evidence (its subject, the artifacts it binds by
digest, the run's stages and ledger entries); where a figure was not recorded the text says so rather
than guessing. Each fact carries the place it was read from, so a page can show where a number comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from stillroom import approvals, residency
from stillroom.errors import RunRefused, StillroomError
from stillroom.store import crud

# One sentence per metric name a page shows, for tooltips and the glossary.
GLOSSARY = {
    "accuracy": "Share of held-out test examples the model labels correctly.",
    "macro_f1": "F1 averaged over labels with equal weight, so rare labels count as much as common ones.",
    "retained": "The student's accuracy as a share of the teacher's: 1.0 means nothing was lost.",
    "retained_quality": "The student's task quality as a share of the teacher's: 1.0 means nothing was lost.",
    "agreement": "Share of test examples where the student gives the same answer as the teacher.",
    "fidelity": "How closely the student copies the teacher: top-1 agreement (classification) or cosine (embedding).",
    "mean_kl": "Average KL divergence between teacher and student probabilities: lower is closer.",
    "cosine": "Mean cosine similarity between student and teacher embeddings.",
    "ece": "Expected calibration error: how far stated confidence is from actual accuracy.",
    "worst_slice_drop": "The largest accuracy loss against the teacher in any group (slice) with enough examples "
                        "to gate on.",
    "slices_counted": "How many slices the slices evaluator measured.",
    "residual_pii": "Personal-data findings an independent scan still found after scrubbing.",
    "size_mb": "The student's size on disk, in megabytes.",
    "latency_ms_p95": "The 95th-percentile time for one prediction, single thread, batch of 1.",
    "p50_ms": "Median time for one prediction, in milliseconds.",
    "p95_ms": "95th-percentile time for one prediction, in milliseconds.",
    "recall": "Share of real personal-data mentions the scrubber found, measured on a labelled set.",
    "drop": "Teacher accuracy minus student accuracy on that group.",
    "records": "Records the run read from its source, before scrubbing and curation.",
    "recall data set": "The labelled data set the scrubber's recall was measured on, its kind, size and date.",
    "slice examples": "Test examples in that group: the fewer there are, the less a drop there can be trusted.",
    "size limit": "The largest size the policy allows for that deployment target, in megabytes.",
    "latency limit": "The slowest 95th-percentile prediction time the policy allows for that target, in ms.",
    "blocked network attempts": "Connections, look-ups or program launches the egress guard refused during the run.",
}


def meaning(metric: str) -> str:
    """The glossary sentence for ``task.accuracy``, ``size_mb[cpu-server]`` or ``teacher_accuracy``."""
    name = metric.split(".", 1)[-1].split("[", 1)[0].removeprefix("teacher_")
    return GLOSSARY.get(name, "")


# -- the model card ---------------------------------------------------------------


def model_card(ws, digest: str | None, problems: list[str]) -> dict[str, Any] | None:
    """The card's licence, teacher, intended use and limitations, parsed from its Markdown (never rendered as
    Markdown: its text comes from plugins and specs)."""
    if not digest:
        return None
    try:
        text = ws.artifacts.read_bytes(digest).decode("utf-8")
    except (StillroomError, UnicodeDecodeError) as e:
        problems.append(f"the model card ({digest[:12]}) cannot be read: {e}")
        return None
    header: dict[str, Any] = {}
    body = text
    if text.startswith("---\n") and "\n---\n" in text[4:]:
        raw, body = text[4:].split("\n---\n", 1)
        header = yaml.safe_load(raw) or {}
    sections = _sections(body)
    teacher = _bullets(sections.get("Teacher", ""))
    return {"digest": digest, "licence": header.get("license", "not stated"),
            "task": header.get("pipeline_tag", ""), "teacher": teacher.get("name", "").strip("`"),
            "teacher_location": teacher.get("location", "").strip("`"),
            "intended_use": sections.get("Intended use", "not stated").strip(),
            "limitations": [line[2:] for line in sections.get("Limitations", "").splitlines() if line.startswith("- ")],
            "pii": sections.get("PII scrubbing of the training data", "").strip()}


def _sections(body: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in body.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {title: "\n".join(lines).strip() for title, lines in sections.items()}


def _bullets(text: str) -> dict[str, str]:
    pairs = (line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("- ") and ": " in line)
    return {key.split(" (")[0]: value for key, value in pairs}


# -- the run a request came from ---------------------------------------------------


def run_facts(ws, run_id: str | None) -> dict[str, Any]:
    """What the run recorded about its data: the source (from the ledgered spec), its classification and the
    number of records ingested (None when the run stopped before reading any)."""
    if not run_id:
        return {}
    with ws.session() as s:
        run = crud.get_run(s, run_id)
        stages = {stage.name: stage.outputs for stage in crud.list_stages(s, run_id=run_id)}
    started = next(iter(ws.ledger().entries(kind="run.start", run_id=run_id, limit=1)), None)
    spec = (started.payload.get("spec") if started else None) or {}
    source = spec.get("source") or {}
    ingest = stages.get("ingest") or {}
    return {"pipeline": run.pipeline if run else spec.get("name"), "status": run.status if run else None,
            "message": (run.message or "") if run else "",
            "source": ingest.get("source") or source.get("type"), "source_location": ingest.get("location"),
            "classification": (stages.get("preflight") or {}).get("classification") or source.get("classification"),
            "records": ingest.get("records"), "data_digest": ingest.get("fingerprint") or ingest.get("output")}


def residency_view(ws, request, facts: dict[str, Any]) -> dict[str, Any]:
    """What a residency exception would let through: which data, to where, why the policy refused, by whom, for
    which run. The refusal is the policy's own sentence, re-derived from the request's subject."""
    subject = request.subject or {}
    location = str(subject.get("location", ""))
    policy = ws.policy().residency
    classification = subject.get("classification") or facts.get("classification")
    try:
        residency.check_location(subject.get("role", "component"), location, classification, policy)  # type: ignore[arg-type]  # None: a KeyError, caught below
        why = "the current policy would now allow this location"
    except (RunRefused, KeyError) as refused:
        why = str(refused)
    parts = urlsplit(location)
    return {"component": f"{subject.get('role', '')} {subject.get('component', '')}".strip(),
            "fingerprint": subject.get("fingerprint"),
            "data": {"source": facts.get("source") or "not recorded", "classification": classification,
                     "records": facts.get("records")},
            "where": {"location": location, "host": parts.hostname or parts.path or location,
                      "region": residency.region_of(location, policy) or "no region the policy knows",
                      "why_refused": why},
            "by": request.initiator, "run": request.run_id, "pipeline": facts.get("pipeline")}


# -- the summary --------------------------------------------------------------------


_MARK = re.compile("\x00(\\d+)\x00")


@dataclass
class Summary:
    """A paragraph a lawyer can read, and each figure in it with the evidence it was read from.

    ``marked`` is the paragraph with each figure as a marker (``\\x00N\\x00``, N its index in ``facts``), so
    a page can link every figure to its evidence; ``text`` is the plain paragraph."""

    marked: str
    facts: list[dict[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces())

    def pieces(self) -> list[tuple[str, dict[str, str] | None]]:
        """The paragraph in order as runs of plain text (with None) and figures (with their fact)."""
        split = _MARK.split(self.marked)
        return [(piece, None) if i % 2 == 0 else (self.facts[int(piece)]["value"], self.facts[int(piece)])
                for i, piece in enumerate(split) if piece]


def anchor(fact: dict[str, str]) -> str:
    """The id of the heading that shows a summary figure's evidence, for the figure's link."""
    return "evidence-" + re.sub(r"[^a-z0-9]+", "-", fact["figure"].lower()).strip("-")


def summarize(ev, card: dict[str, Any] | None, facts: dict[str, Any], min_slice: int) -> Summary:
    """The release in one paragraph, from the evidence the request binds; ``ev`` is an ``evidence.Evidence``."""
    found: list[dict[str, str]] = []

    def fact(name: str, value: Any, source: str) -> str:
        shown = "not recorded" if value is None else value
        found.append({"figure": name, "value": str(shown), "from": source, "meaning": meaning(name)})
        return f"\x00{len(found) - 1}\x00"

    subject = ev.subject
    metric = {row["metric"]: row for row in ev.metrics}
    gate = {g["gate"]: g for g in ev.gates}
    teacher = (card or {}).get("teacher") or (subject.get("teacher") or {}).get("name") or "an unnamed teacher"
    licence = (card or {}).get("licence", "licence not stated")
    use = (card or {}).get("intended_use", "no intended use stated")
    size = metric.get("latency.size_mb", {}).get("student")
    parts = [f"A student model ({fact('size_mb', _num(size), 'evaluation report: latency.size_mb')} MB) distilled "
             f"from {teacher} (licence: {licence}) for: {use}"]
    records = fact("records", facts.get("records"), "run stage ingest: records")
    parts.append(f"It was trained on {records} records of {facts.get('source') or 'an unrecorded source'} "
                 f"(classification: {facts.get('classification') or 'not recorded'})")
    if ev.scrub is not None:
        entities = ", ".join(e["entity"] for e in ev.scrub["entities"]) or "none found"
        recall = _recall(ev.scrub.get("detection"))
        scrubbed = f"scrubbed before training (replaced: {entities}"
        if recall:
            scrubbed += (f"; measured recall {fact('recall', _num(recall['recall']), 'scrub report: detection.measured')}"
                         f" on {fact('recall data set', recall['dataset'], 'scrub report: detection.measured')}")
        else:
            scrubbed += "; recall not measured"
        parts.append(scrubbed + f"; {fact('residual_pii', len(ev.scrub['residual']), 'scrub report: residual')} "
                                "residual finding(s))")
    retained = metric.get("task.retained", {}).get("student")
    parts.append(f"It keeps {fact('retained', _pct(retained), 'evaluation report: task.retained')} of the "
                 "teacher's accuracy on held-out data")
    worst = _worst_slice(ev.slices, min_slice)
    if worst is not None:
        examples = fact("slice examples", worst["n"], f"evaluation report: slices.{worst['field']}")
        parts.append(f"its worst group, {worst['field']} = {worst['slice']} ({examples} examples), drops "
                     f"{fact('worst_slice_drop', _num(worst['drop']), 'gate worst_slice_drop')} against the teacher")
    for target in ev.targets:
        name, gate_ = target["target"], f"gate of deployment target {target['target']}"
        parts.append(f"against deployment target {name}: "
                     f"{fact(f'size_mb[{name}]', _num(target.get('size (MB)')), gate_)} MB (limit "
                     f"{fact(f'size limit[{name}]', _num(target.get('size (MB) limit')), 'policy: release gates')}), p95 "
                     f"{fact(f'latency_ms_p95[{name}]', _num(target.get('p95 latency (ms)')), gate_)} ms (limit "
                     f"{fact(f'latency limit[{name}]', _num(target.get('p95 latency (ms) limit')), 'policy: release gates')})")
    blocked = fact("blocked network attempts", len(ev.egress), "ledger: egress.blocked entries of the run")
    parts.append(f"{blocked} network or program-launch attempt(s) were blocked during the run")
    checks = _checks(ev, worst, gate, licence)
    return Summary(". ".join(p[0].upper() + p[1:] for p in parts) + ".", found, checks)


def _checks(ev, worst, gate, licence: str) -> list[str]:
    checks = [f"Gate {g['gate']} fails: {g['message']}" for g in ev.gates if not g["passed"]]
    if licence in ("other", "licence not stated", "not stated"):
        checks.append("The teacher's licence is not named in the model card: confirm it permits distillation.")
    if ev.scrub is not None and ev.scrub["uncovered"]:
        checks.append("Required entity types no scrubber method covers: " + ", ".join(ev.scrub["uncovered"]))
    if ev.scrub is not None and not _recall(ev.scrub.get("detection")):
        checks.append("The scrubber's recall was not measured: the residual scan is the only evidence.")
    if ev.egress:
        checks.append(f"{len(ev.egress)} blocked egress attempt(s): see the Egress tab for what was tried.")
    if worst is not None and "worst_slice_drop" in gate:
        checks.append(f"The worst group ({worst['slice']}) is acceptable for the intended use.")
    return checks or ["Nothing flagged; confirm the intended use matches how the model will be deployed."]


def _worst_slice(slices: dict[str, list[dict[str, Any]]], min_slice: int) -> dict[str, Any] | None:
    """The gated slice (``min_slice`` examples or more) with the largest drop: the row the gate's value is."""
    rows = [{"field": name, **row} for name, table in slices.items() for row in table
            if row.get("drop") is not None and row["n"] >= min_slice]
    return max(rows, key=lambda r: r["drop"], default=None)


def _recall(detection: dict[str, Any] | None) -> dict[str, Any] | None:
    measured = (detection or {}).get("measured")
    if not isinstance(measured, list) or not measured:
        return None
    first = measured[0]
    return {"recall": first["overall"]["recall"],
            "dataset": f"{first['name']} ({first['kind']}, {first['size']} records, {first['measured_at']})"}


def _num(value: Any) -> str:
    if value is None:
        return "not recorded"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _pct(value: Any) -> str:
    return "not recorded" if value is None else f"{100 * value:.1f}%"


# -- what changed since the last release --------------------------------------------


def previous_release(ws, request):
    """The same pipeline's latest release request opened before this one and approved or released."""
    pipeline = (request.subject or {}).get("pipeline")
    earlier = [r for r in approvals.list_requests(ws, kind="release")
               if r.id != request.id and (r.subject or {}).get("pipeline") == pipeline
               and r.status in ("approved", "released") and r.created_at <= request.created_at]
    return earlier[-1] if earlier else None


def changes(ws, request, slices_now: dict[str, list[dict[str, Any]]], slices_before: dict[str, list[dict[str, Any]]],
            before) -> list[dict[str, Any]]:
    """One row per thing that can change between releases: before, now, and whether it changed."""
    now_s, then_s = request.subject or {}, before.subject or {}
    now_f, then_f = run_facts(ws, request.run_id), run_facts(ws, before.run_id)
    rows = [
        ("data digest", then_s.get("data", {}).get("source_fingerprint"), now_s.get("data", {}).get("source_fingerprint")),
        ("data records", then_f.get("records"), now_f.get("records")),
        ("policy digest", before.policy_digest, request.policy_digest),
        ("teacher", (then_s.get("teacher") or {}).get("name"), (now_s.get("teacher") or {}).get("name")),
        ("teacher fingerprint", (then_s.get("teacher") or {}).get("fingerprint"),
         (now_s.get("teacher") or {}).get("fingerprint")),
    ]
    plugins_then = {p["name"]: p.get("version") or p.get("origin") for p in then_s.get("plugins") or []}
    plugins_now = {p["name"]: p.get("version") or p.get("origin") for p in now_s.get("plugins") or []}
    rows += [(f"plugin {name}", plugins_then.get(name), plugins_now.get(name))
             for name in sorted(set(plugins_then) | set(plugins_now))]
    gates_then = {g["gate"]: g.get("value") for g in before.gates}
    rows += [(f"gate {g['gate']}", gates_then.get(g["gate"]), g.get("value")) for g in request.gates]
    out = [{"what": what, "last release": _shown(old), "this request": _shown(new), "changed": old != new,
            "delta": _delta(old, new)} for what, old, new in rows]
    for name, table in slices_now.items():
        old = {r["slice"]: r for r in slices_before.get(name, [])}
        for row in table:
            was = old.get(row["slice"], {}).get("student")
            out.append({"what": f"slice {name}={row['slice']} accuracy", "last release": _shown(was),
                        "this request": _shown(row["student"]), "changed": was != row["student"],
                        "delta": _delta(was, row["student"])})
    return out


def history(ws, pipeline: str | None) -> list[dict[str, Any]]:
    """Every release request of ``pipeline``, newest first, with its status and key gate values."""
    rows = []
    for r in reversed(approvals.list_requests(ws, kind="release")):
        if (r.subject or {}).get("pipeline") != pipeline:
            continue
        gates = {g["gate"]: g.get("value") for g in r.gates}
        rows.append({"request": r.id, "status": approvals.shown_status(ws, r), "run": r.run_id or "",
                     "opened": f"{r.created_at:%Y-%m-%d %H:%M}", "retained_quality": gates.get("retained_quality"),
                     "fidelity": gates.get("fidelity"), "worst_slice_drop": gates.get("worst_slice_drop"),
                     "gates": "pass" if all(g["passed"] for g in r.gates) else "FAIL"})
    return rows


def _shown(value: Any) -> str:
    return "-" if value is None else _num(value)


def _delta(old: Any, new: Any) -> str:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return f"{new - old:+.4g}"
    return ""
