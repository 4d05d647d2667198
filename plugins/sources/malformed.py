"""One way for every source to say where its input is malformed.

A message names the file (or database), the line or row, and the field, and
never the offending value: input may hold PII that must not reach a log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stillroom.errors import DataError

# One record is one query, message or document; a line past these caps is an accident or an attack
# (a 50 MB JSONL line once took a run to 5 GB), refused before it is parsed or scrubbed.
MAX_RECORD_BYTES = 1_000_000
MAX_TEXT_CHARS = 100_000


def malformed(
    where: str, problem: str, *, line: int | None = None, row: int | None = None, field: str | None = None
) -> DataError:
    """Build the error for one malformed spot: a ``line`` of a text file or a ``row`` of a table, from 1."""
    place = [where]
    if line is not None:
        place.append(f"line {line}")
    if row is not None:
        place.append(f"row {row}")
    if field is not None:
        place.append(f"field {field!r}")
    return DataError(f"{', '.join(place)}: {problem}")


def checked(record: dict[str, Any], fields: Iterable[str], *, where: str, row: int) -> dict[str, Any]:
    """The record with each required field present and text fields decoded as UTF-8.

    Binary values are decoded here so that a wrong encoding is reported at the
    row that has it rather than as a crash in a later stage.
    """
    for name in fields:
        if record.get(name) is None:
            raise malformed(where, "the field is missing or empty", row=row, field=name)
    for name, value in record.items():
        if isinstance(value, (bytes, bytearray, memoryview)):
            try:
                record[name] = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise malformed(where, "the value is not valid UTF-8", row=row, field=name) from None
    return record


def check_text(record: dict[str, Any], fields: Iterable[str], *, where: str, line: int | None = None,
               row: int | None = None) -> None:
    """Refuse a text field that is not one bounded string.

    A scrubber reads strings; a list or an object in a text field would pass it untouched and
    reach training text as its ``str()``. Absent fields are left to the caller's own check.
    """
    for name in fields:
        if name not in record:
            continue
        value = record[name]
        if not isinstance(value, str):
            raise malformed(where, f"expected one string of text, found {_kind(value)}", line=line, row=row,
                            field=name)
        if len(value) > MAX_TEXT_CHARS:
            raise malformed(where, f"the text is longer than {MAX_TEXT_CHARS:,} characters, the most one field "
                            "may hold", line=line, row=row, field=name)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
