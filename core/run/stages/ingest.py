"""Ingest: the source's records, reduced to the fields the spec names, stored as JSON lines."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from stillroom.components import MapWork
from stillroom.errors import ConfigError
from stillroom.plugins.sources.malformed import check_text
from stillroom.run.records import BATCH_SIZE, write_jsonl
from stillroom.run.sample import stratified_sample
from stillroom.run.stages.base import Stage


def ingest(run) -> dict[str, Any]:
    source = run.components["source"]
    limit = run.spec.data.limit
    fields = [run.spec.data.text_field, run.spec.data.label_field, *run.spec.data.slice_fields]
    wanted = [f for f in fields if f]

    def records() -> Iterator[dict[str, Any]]:
        index = 0
        work = MapWork("ingest", partial(project_fields, wanted), source.read(BATCH_SIZE), portable=True)
        for projected, missing in run.executor.map(work):
            for record in projected:
                index += 1
                check_text(record, run.ctx.text_fields, where=f"source {source.name}", row=index)
                yield record
            if missing is not None:
                raise ConfigError(f"record {index} from the source has no field {missing!r}, "
                                  "which the pipeline's `data` section names")

    data = run.spec.data
    chosen = records() if limit is None else stratified_sample(records(), limit, text_field=data.text_field,
                                                                 label_field=data.label_field, seed=data.split.seed)
    digest, count = write_jsonl(run, "ingested", chosen)
    return {"source": source.name, "location": source.location(), "fingerprint": source.fingerprint(),
            "records": count, "output": digest, **({"sampled": "stratified by label" if data.label_field
                                                    else "seeded"} if limit is not None else {})}


def project_fields(wanted: list[str], batch: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """The batch's records up to the first that lacks a wanted field, each cut to those fields; and the
    missing field's name (None when every record has them all)."""
    projected: list[dict[str, Any]] = []
    for record in batch:
        missing = [f for f in wanted if f not in record]
        if missing:
            return projected, missing[0]
        projected.append({f: record[f] for f in wanted})
    return projected, None


STAGE = Stage("ingest", ingest, writes=("ingested",))
