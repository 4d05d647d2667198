"""``stillroom scrub``: one JSON Lines file through a scrubber, written all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from stillroom.artifacts import atomic_file
from stillroom.components import Scrubber, ScrubReport
from stillroom.pii_lists import NO_LISTS, TermLists, residual_scan, scrub_batch


def scrub_file(in_path: Path, out_path: Path, *, field: str, spans: bool, scrubber: Scrubber,
               lists: TermLists = NO_LISTS, progress: bool = False) -> ScrubReport:
    """Scrub ``field`` of every record of ``in_path`` into ``out_path``, through the policy's term ``lists``.

    With ``spans``, each output line is ``{"spans": [{"type", "start", "end",
    "score"}]}`` with offsets into the original text, and nothing is rewritten.
    Scrubbed records then go through the scrubber's residual scan (``report.residual``).
    The output appears only once every record is done: a malformed input line
    (a value in ``field`` that is not one string included) stops the command
    with an error naming the line and leaves no output file. ``progress`` shows
    a bar on stderr counting records.
    """
    from stillroom.plugins.sources.jsonl import JsonlSource
    from stillroom.progress import track

    source = JsonlSource({"path": str(Path(in_path).resolve()), "fields": [field]}, scrubber.ctx)
    report = ScrubReport()
    with atomic_file(Path(out_path), "w") as out:
        total = _records(in_path) if progress else None
        for batch in track(source.read(), "scrub", total=total, enabled=progress, size=len):
            if spans:
                texts = [record[field] for record in batch]
                part = ScrubReport(records=len(batch), methods=scrubber.entities())
                for text, found in zip(texts, scrubber.find(texts)):
                    record_spans, dropped, added = lists.filter(text, found)
                    part.allowed, part.denied = part.allowed + dropped, part.denied + added
                    out.write(json.dumps({"spans": [s.as_dict() for s in record_spans]}) + "\n")
                    for span in record_spans:
                        per_field = part.counts.setdefault(span.type, {})
                        per_field[field] = per_field.get(field, 0) + 1
            else:
                scrubbed, part = scrub_batch(scrubber, lists, batch, [field])
                part.residual = residual_scan(scrubber, lists, scrubbed, [field])
                for record in scrubbed:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            report = report.merge(part)
    return report


def _records(path: Path) -> int:
    """How many records ``path`` holds, as the JSON Lines source counts them (blank lines are none)."""
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())
