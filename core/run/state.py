"""What a run carries from stage to stage, as plain data: ids, digests, summaries.

Nothing here is a live object. Components, the plugin manager, students and
datasets live in ``Live`` (``stillroom.run.live``) and are rebuilt from the
spec and from the artifacts named here, so a stage can run wherever the
artifact store is reachable.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class RunState:
    """One run's identity and the artifact digests its stages read and wrote.

    ``artifacts`` maps an artifact's role (``ingested``, ``scrubbed``,
    ``dataset``, ``labels.train``, ``student``, ``exports``, ...) to its digest in
    the workspace's content-addressed store; a stage declares which roles it
    reads and writes (``stillroom.run.stages.Stage``).
    """

    pipeline: str
    spec_digest: str
    policy_digest: str
    initiator: str
    executor: str = "local"
    run_id: str = field(default_factory=lambda: new_run_id())
    artifacts: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    stage: str | None = None

    @property
    def info(self) -> dict[str, Any]:
        """What observers (``on_run_start``, ...) are told about the run."""
        return {"run_id": self.run_id, "pipeline": self.pipeline, "spec_digest": self.spec_digest,
                "initiator": self.initiator}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
