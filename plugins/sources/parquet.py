"""Parquet files, streamed in record batches with pyarrow."""

from __future__ import annotations

from collections.abc import Iterator

from stillroom import hookimpl
from stillroom.components import Batch
from stillroom.plugins.sources.files import FileSource, file_sha256
from stillroom.plugins.sources.malformed import check_text, checked, malformed


class ParquetSource(FileSource):
    """Options: ``path`` and ``fields`` (the columns to read; each must be set in every row)."""

    name = "parquet"
    description = "Apache Parquet file, streamed in batches"

    def read(self, batch_size: int = 1000) -> Iterator[Batch]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        where = str(self.path)
        try:
            digest = file_sha256(self.path)
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException):
                raise malformed(where, f"cannot be opened ({exc.strerror})") from None
            raise malformed(where, "is not a Parquet file (empty or damaged)") from None
        if parquet.metadata.num_rows == 0:
            raise malformed(where, "has no rows")
        present = set(parquet.schema_arrow.names)
        for name in self.fields:
            if name not in present:
                raise malformed(where, "no such column", field=name)
        row = 0
        try:
            for table in parquet.iter_batches(batch_size=batch_size, columns=self.fields or None):
                batch = []
                for record in table.to_pylist():
                    row += 1
                    batch.append(checked(record, self.fields, where=where, row=row))
                    check_text(record, self.ctx.text_fields, where=where, row=row)
                yield batch
        except pa.ArrowException:
            raise malformed(where, "is damaged and cannot be decoded", row=row + 1) from None
        self._digest = digest


@hookimpl
def register_sources(register) -> None:
    register(ParquetSource)
