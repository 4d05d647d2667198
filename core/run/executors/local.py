"""The ``local`` executor: today's behaviour, every stage's work in the coordinator's own process.

Work is streamed batch by batch, in order, so a stage that writes as it
goes (ingest, scrub) never holds more than one batch of results.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stillroom import hookimpl
from stillroom.components import Executor, MapWork, TrainWork


class LocalExecutor(Executor):
    name = "local"

    def map(self, work: MapWork) -> Iterator[Any]:
        for batch in work.batches:
            yield work.fn(batch)

    def train(self, work: TrainWork) -> str:
        return work.fn(work.dataset)


@hookimpl(trylast=True)
def make_executor(name: str, policy: Any, workspace: Path) -> Executor | None:
    return LocalExecutor() if name == "local" else None
