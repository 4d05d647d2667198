"""CSV files with a header row, streamed in batches."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator

from stillroom import hookimpl
from stillroom.components import Batch
from stillroom.plugins.sources.files import FileSource
from stillroom.plugins.sources.malformed import check_text, malformed


class CsvSource(FileSource):
    """Options: ``path``, ``fields`` (columns every row must fill) and ``delimiter``."""

    name = "csv"
    description = "CSV file with a header row"
    accepts = frozenset({"path", "fields", "delimiter"})

    def __init__(self, options, ctx) -> None:
        super().__init__(options, ctx)
        self.delimiter: str = self.options.get("delimiter", ",")

    def read(self, batch_size: int = 1000) -> Iterator[Batch]:
        where = str(self.path)
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise malformed(where, f"cannot be opened ({exc.strerror})") from None
        with handle:
            hashed = _HashingReader(handle)
            text = io.TextIOWrapper(hashed, encoding="utf-8", newline="")  # type: ignore[type-var]  # a raw stream: TextIOWrapper reads it without read1
            reader = csv.DictReader(text, delimiter=self.delimiter, strict=True)
            try:
                header = reader.fieldnames
            except UnicodeDecodeError:
                raise malformed(where, "is not valid UTF-8", line=1) from None
            if not header:
                raise malformed(where, "is empty: expected a header row")
            for field in self.fields:
                if field not in header:
                    raise malformed(where, "no such column in the header", line=1, field=field)
            batch: Batch = []
            try:
                for row in reader:
                    line = reader.line_num
                    if None in row or any(value is None for value in row.values()):
                        raise malformed(where, f"expected {len(header)} columns", line=line)
                    for field in self.fields:
                        if not row[field]:
                            raise malformed(where, "the field is empty", line=line, field=field)
                    check_text(row, self.ctx.text_fields, where=where, line=line)
                    batch.append(row)
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
            except UnicodeDecodeError:
                raise malformed(where, "is not valid UTF-8", line=reader.line_num + 1) from None
            except csv.Error as exc:
                raise malformed(where, f"is not valid CSV ({exc})", line=reader.line_num) from None
            if reader.line_num <= 1:
                raise malformed(where, "has a header but no rows")
            if batch:
                yield batch
            self._digest = hashed.hexdigest()


class _HashingReader(io.RawIOBase):
    """Hashes the bytes as the CSV reader consumes them, so the file is read once."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
        return n

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


@hookimpl
def register_sources(register):
    register(CsvSource)
