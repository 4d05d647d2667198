"""The stages of a run, in order, one module each (DESIGN §2).

Each module ends with ``STAGE = Stage(name, function, reads=..., writes=...)``:
the function takes the ``Run`` and returns its summary; ``reads`` and
``writes`` name the artifact roles it takes and makes.
"""

from __future__ import annotations

from stillroom.run.stages import curate, evaluate, export, ingest, label, preflight, request, scrub, teacher, train
from stillroom.run.stages.base import Skip, Stage

PIPELINE: tuple[Stage, ...] = tuple(module.STAGE for module in (
    preflight, ingest, scrub, teacher, curate, label, train, evaluate, export, request))

STAGES: tuple[str, ...] = tuple(stage.name for stage in PIPELINE)

__all__ = ["PIPELINE", "STAGES", "Skip", "Stage"]
