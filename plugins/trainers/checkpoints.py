"""Training state on disk, written all-or-nothing so a crash mid-write never loses the last good one.

A checkpoint holds everything the next step depends on (weights, optimizer,
schedule, position in the epoch, RNG states), so a resumed run takes the same
steps an uninterrupted one would have.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from stillroom.artifacts import atomic_write_bytes

STATE = "state.pt"
BEST = "best.pt"


def save_state(directory: Path, state: dict[str, Any], name: str = STATE) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(Path(directory) / name, buffer.getvalue())


def save_shared(student, directory: Path) -> None:
    """Save ``student`` (an ``HFStudent``) to ``directory`` whole or not at all: written beside it, then moved into
    place; one already there is moved aside whole first, so a reader finds the old student, the new one or none,
    never part of one. Where another writer moved its student in first (the same key: the same training), that
    one stays. In a process group rank 0 writes it and every rank waits until it has."""
    from stillroom.plugins.trainers.loop import _group

    rank, world = _group()
    if rank == 0:
        directory.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        retired, old = None, False
        try:
            student.save(partial)
            if directory.exists():
                retired = Path(tempfile.mkdtemp(prefix=f".{directory.name}-old-", dir=directory.parent))
                with contextlib.suppress(FileNotFoundError):  # another writer moved it aside first
                    os.replace(directory, retired)
                    old = True
            try:
                os.replace(partial, directory)
            except OSError:
                if not directory.is_dir():  # (where another writer's student moved in first, it stays)
                    if old:
                        os.replace(retired, directory)  # type: ignore[arg-type]  # old implies retired was made
                        retired = None
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
            if retired is not None:
                shutil.rmtree(retired, ignore_errors=True)
    if world > 1:
        torch.distributed.barrier()


def load_state(directory: Path | None, name: str = STATE) -> dict[str, Any] | None:
    if directory is None or not (Path(directory) / name).is_file():
        return None
    # weights_only: a checkpoint file must never be able to run code when loaded
    return torch.load(Path(directory) / name, map_location="cpu", weights_only=True)


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
