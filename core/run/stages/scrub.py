"""Scrub: PII replaced before anything else sees the data; a residual scan must come back clean."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from stillroom.components import MapWork, ScrubReport
from stillroom.errors import RunRefused
from stillroom.pii_lists import ListedScrub, TermLists
from stillroom.progress import track
from stillroom.run.portable import ComponentRef
from stillroom.run.records import batches, read_jsonl, write_jsonl
from stillroom.run.stages.base import Skip, Stage


def scrub(run) -> dict[str, Any]:
    scrubber = run.components.get("scrubber")
    if scrubber is None:
        raise Skip("no scrubber configured and the policy does not require one for this classification")

    report = ScrubReport()
    fields = scrubber.options["fields"]
    threshold = run.policy.residency.residual_threshold

    def scrubbed() -> Iterator[dict[str, Any]]:
        nonlocal report
        ref = ComponentRef("scrubber", scrubber.name, scrubber.options, live=scrubber)
        # Keyed pseudonyms need the workspace secret, which never leaves this process (a worker's context holds
        # none): such a scrub runs here, and the ledger says where it ran.
        keyed = scrubber.options.get("operator") == "pseudonym"
        work = MapWork("scrub", partial(scrub_batch, ref, fields, TermLists.of(run.policy.residency)),
                       batches(read_jsonl(run, run.artifacts["ingested"])), portable=not keyed)
        total = run.summaries.get("ingest", {}).get("records")
        for clean, batch_report in track(run.executor.map(work), "scrub", total=total, enabled=run.ctx.progress,
                                         size=lambda result: len(result[0])):
            report = report.merge(batch_report)
            yield from clean

    digest, count = write_jsonl(run, "scrubbed", scrubbed())
    detection = scrubber.evidence(len(report.residual)) if hasattr(scrubber, "evidence") else None
    report_digest = run.workspace.artifacts.put_json({**report.as_dict(), "detection": detection})
    run.artifacts["scrub_report"] = report_digest
    counts = {entity: sum(by_field.values()) for entity, by_field in report.counts.items()}
    # The gate counts the entity types the policy requires scrubbed; the rest (a country, say) are reported.
    required = set(run.policy.residency.required_entities)
    gated = [r for r in report.residual if r["type"] in required]
    summary = {"scrubber": scrubber.name, "records": count, "output": digest, "report": report_digest,
               "entities": counts, "methods": report.methods, "residual": len(gated),
               "residual_other_types": len(report.residual) - len(gated),
               "lists": {"allowed": report.allowed, "denied": report.denied}, "shapes": report.top_shapes(5),
               "detection": detection}
    if len(gated) > threshold:
        places = ", ".join(f"record {r['record']} field {r['field']!r} ({r['type']})" for r in gated[:5])
        raise RunRefused(f"the residual PII scan found {len(gated)} finding(s) of the policy's required types "
                         f"after scrubbing (policy allows {threshold}): {places}")
    return summary


def scrub_batch(ref: ComponentRef, fields: list[str], lists: TermLists, batch: list[dict[str, Any]]
                ) -> tuple[list[dict[str, Any]], ScrubReport]:
    """One batch scrubbed through the policy's term lists, with its report and the residual scan of the
    scrubbed records (no values)."""
    return ListedScrub(ref.get(), lists, tuple(fields))(batch)


STAGE = Stage("scrub", scrub, reads=("ingested",), writes=("scrubbed", "scrub_report"))
