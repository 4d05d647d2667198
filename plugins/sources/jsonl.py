"""JSON Lines files: one JSON object per line, streamed in batches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from stillroom import hookimpl
from stillroom.components import Batch
from stillroom.plugins.sources.files import FileSource
from stillroom.plugins.sources.malformed import MAX_RECORD_BYTES, check_text, malformed


class JsonlSource(FileSource):
    """Options: ``path`` and ``fields`` (fields every record must have)."""

    name = "jsonl"
    description = "JSON Lines file, one object per line"

    def read(self, batch_size: int = 1000) -> Iterator[Batch]:
        where = str(self.path)
        digest = hashlib.sha256()
        batch: Batch = []
        records = 0
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise malformed(where, f"cannot be opened ({exc.strerror})") from None
        with handle:
            number = 0
            # readline with a limit: a line past the cap is refused having read at most cap + 1 bytes
            while raw := handle.readline(MAX_RECORD_BYTES + 1):
                number += 1
                digest.update(raw)
                if len(raw.rstrip(b"\r\n")) > MAX_RECORD_BYTES:
                    raise malformed(where, f"the line is longer than {MAX_RECORD_BYTES:,} bytes, the most one "
                                    "record may be", line=number)
                if not raw.strip():
                    continue
                record = _parse(raw, where, number)
                for field in self.fields:
                    if record.get(field) in (None, ""):
                        raise malformed(where, "the field is missing or empty", line=number, field=field)
                check_text(record, self.ctx.text_fields, where=where, line=number)
                batch.append(record)
                records += 1
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if records == 0:
            raise malformed(where, "is empty: expected one JSON object per line")
        if batch:
            yield batch
        self._digest = digest.hexdigest()


def _parse(raw: bytes, where: str, number: int) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(where, "is not valid UTF-8", line=number) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise malformed(where, f"is not valid JSON ({exc.msg} at column {exc.colno})", line=number) from None
    if not isinstance(record, dict):
        raise malformed(where, f"expected a JSON object, found {type(record).__name__}", line=number)
    return record


@hookimpl
def register_sources(register):
    register(JsonlSource)
