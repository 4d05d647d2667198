"""Records between stages: JSON lines in the artifact store, read and written in fixed batches.

``BATCH_SIZE`` is the core's, never an executor's: map-shaped work is cut
into the same batches however many workers run it, so its digests do not
depend on the worker count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

BATCH_SIZE = 512


def write_jsonl(run, key: str, records: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """Write records as JSON lines into the artifact store under the run's role ``key``; (digest, count)."""
    scratch = run.ctx.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"{key}.jsonl"
    count = 0
    try:
        with open(path, "wb") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
                count += 1
    except BaseException:
        path.unlink(missing_ok=True)  # records read before a bad one are raw data: none may stay behind
        raise
    digest = run.workspace.artifacts.put_file(path)
    path.unlink()
    run.artifacts[key] = digest
    return digest, count


def read_jsonl(run, digest: str) -> Iterator[dict[str, Any]]:
    for line in run.workspace.artifacts.iter_lines(digest):
        yield json.loads(line)


def batches(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
