"""Compatibility: the names ``stillroom.pipeline`` offered before the run became a package.

The runner, the run state and the stages live in ``stillroom.run`` (see its
docstring); import from there in new code.
"""

from __future__ import annotations

from stillroom.run.datasets import build_dataset as _dataset
from stillroom.run.datasets import split_records
from stillroom.run.evidence import SECRET_KEYS, ledger_message, redacted
from stillroom.run.live import Live, Run
from stillroom.run.records import BATCH_SIZE
from stillroom.run.runner import StageReport, run_as, run_pipeline
from stillroom.run.stages import PIPELINE, STAGES, Skip, Stage
from stillroom.run.stages.curate import curate
from stillroom.run.stages.evaluate import evaluate
from stillroom.run.stages.export import export
from stillroom.run.stages.ingest import ingest
from stillroom.run.stages.label import label
from stillroom.run.stages.preflight import preflight, within_boundary
from stillroom.run.stages.request import release_subject, request
from stillroom.run.stages.scrub import scrub
from stillroom.run.stages.train import train
from stillroom.run.state import RunState

STAGE_FUNCTIONS = {stage.name: stage.run for stage in PIPELINE}

__all__ = [
    "BATCH_SIZE", "PIPELINE", "SECRET_KEYS", "STAGES", "STAGE_FUNCTIONS", "Live", "Run", "RunState", "Skip",
    "Stage", "StageReport", "_dataset", "curate", "evaluate", "export", "ingest", "label", "ledger_message",
    "preflight", "redacted", "release_subject", "request", "run_as", "run_pipeline", "scrub", "split_records",
    "train", "within_boundary",
]
