"""Read models for the audit pages: runs as timelines, the ledger searched and proven, the policies and
their history. Plain functions over the core; no Streamlit here."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stillroom.errors import StillroomError
from stillroom.ledger.verify import verify_inclusion_bundle
from stillroom.store import crud

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# Entries that name the policy digest they acted under: the ledger's own record of which policy was in force.
POLICY_KINDS = ("run.start", "request.opened", "approval.decision")


def runs(ws, *, limit: int = 100) -> list[dict[str, Any]]:
    with ws.session() as s:
        found = crud.list_runs(s, limit=limit)
    return [{"run": r.id, "pipeline": r.pipeline, "status": r.status, "initiator": r.initiator,
             "started": f"{_aware(r.created_at):%Y-%m-%d %H:%M:%S}",
             "seconds": None if r.finished_at is None else round(
                 (_aware(r.finished_at) - _aware(r.created_at)).total_seconds(), 1),
             "message": r.message or ""} for r in found]


def timeline(ws, run_id: str) -> list[dict[str, Any]]:
    """The run's stages in order, each with its start and end (also as seconds since the run began),
    duration, status and the digests it produced."""
    with ws.session() as s:
        run = crud.get_run(s, run_id)
        stages = crud.list_stages(s, run_id=run_id)
    if run is None:
        return []
    began = _aware(run.created_at)
    rows = []
    for stage in stages:
        start = _aware(stage.started_at)
        end = start + timedelta(seconds=stage.seconds)
        rows.append({"position": stage.position, "stage": stage.name, "status": stage.status,
                     "start": start, "end": end, "from_s": round((start - began).total_seconds(), 3),
                     "to_s": round((end - began).total_seconds(), 3), "seconds": stage.seconds,
                     "digests": "\n".join(f"{path}: {digest}" for path, digest in digests(stage.outputs)),
                     "message": stage.message or ""})
    return rows


def digests(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every sha256 digest in a stage's outputs, with where it sits (``files.hf/model.safetensors``)."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in digests(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in digests(item, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) and _DIGEST.match(value) else []


def ledger_status(ws) -> dict[str, Any]:
    ledger = ws.ledger()
    report = ledger.verify()
    return {**report.as_dict(), "summary": str(report), "checkpoint": ledger.latest_checkpoint(),
            "kinds": ledger.kinds()}


def search(ws, *, kind: str | None = None, run_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Ledger entries, newest first, by kind and/or run."""
    return [{"seq": e.seq, "time": e.time, "kind": e.kind, "actor": e.actor, "signer": e.signer,
             "run": e.run_id or "", "payload": json.dumps(e.payload, sort_keys=True)}
            for e in ws.ledger().entries(kind=kind or None, run_id=run_id or None, limit=limit)]


def proof(ws, seq: int) -> dict[str, Any]:
    """An inclusion proof for entry ``seq`` against the latest checkpoint, checked here as an auditor would."""
    ledger = ws.ledger()
    bundle = ledger.prove(seq)
    try:
        verify_inclusion_bundle(bundle, list(ledger.verifier_keys().values()))
    except StillroomError as e:
        return {"verified": False, "error": str(e), "bundle": bundle}
    return {"verified": True, "error": None, "bundle": bundle}


def export_zip(ws) -> bytes:
    """``stillroom ledger export`` as a zip: entries, checkpoint and keys, for ``ledger verify --offline``."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "ledger-export"
        ws.ledger().export(directory)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(directory.parent))
    return buffer.getvalue()


def policy_view(ws) -> dict[str, Any]:
    """The active policy: its digest, each section as validated, and the files it was read from."""
    policy = ws.policy()
    return {"digest": policy.digest, "sections": policy.model_dump(mode="json"),
            "files": {p.name: p.read_text() for p in sorted(ws.policy_dir.glob("*.yaml"))}}


def policy_history(ws, *, limit: int = 100_000) -> list[dict[str, Any]]:
    """Each policy digest the ledger shows in force, in the order it first appeared, newest last."""
    current = ws.policy().digest
    seen: dict[str, dict[str, Any]] = {}
    entries = [e for kind in POLICY_KINDS for e in ws.ledger().entries(kind=kind, limit=limit)]
    for entry in sorted(entries, key=lambda e: e.seq):
        digest = entry.payload.get("policy_digest")
        if not isinstance(digest, str):
            continue
        row = seen.setdefault(digest, {"digest": digest, "first seq": entry.seq, "first seen": entry.time,
                                       "last seq": entry.seq, "last seen": entry.time, "entries": 0})
        row.update({"last seq": entry.seq, "last seen": entry.time, "entries": row["entries"] + 1})
    rows = list(seen.values())
    for row in rows:
        row["active"] = row["digest"] == current
    return rows


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
