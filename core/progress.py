"""Progress bars on stderr for a run's long stages, off when the run says ``--no-progress``.

Stages hand their executor's results through ``track``; the bar counts what
the results say they carry (records, texts), so it moves the same whether one
process or a Ray cluster does the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def track(items: Iterable[T], description: str, *, total: int | None, enabled: bool,
          size: Callable[[T], int] = lambda item: 1) -> Iterator[T]:
    """``items`` unchanged, advancing a bar by ``size(item)`` for each; ``total`` None shows a bar without an end."""
    if not enabled:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as progress:
        bar = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(bar, size(item))
