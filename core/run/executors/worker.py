"""What every Ray worker process runs first (``worker_process_setup_hook``), and the actor that maps batches."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

POLICY_ENV = "STILLROOM_WORKER_POLICY"
_blocked: list[dict[str, Any]] = []
_armed: Any = None


def setup() -> None:
    """Arm the egress guard for the life of this worker and load plugins under the run's allowlist."""
    from stillroom.egress import guard
    from stillroom.offline import offline_environment
    from stillroom.plugin_manager import load_plugins
    from stillroom.policy import Policy
    from stillroom.run.portable import use_worker_plugins

    offline_environment()  # what phones home is switched off at the source, as in the coordinator
    given = json.loads(os.environ[POLICY_ENV])
    policy = Policy.model_validate(given["policy"])
    plugins = load_plugins(policy.plugins.allow)
    use_worker_plugins(plugins, given["policy"], Path(given["workspace"]))
    global _armed
    modules = [info.module.split(":")[0] for info in plugins.plugins() if info.status == "loaded"]

    def blocked(attempt: dict[str, Any]) -> None:
        frames = [frame.split(":")[0] for frame in attempt.get("stack", [])]
        plugin = next((m for f in frames for m in modules if f == m or f.startswith(m + ".")), None)
        _blocked.append({"target": attempt["target"], "event": attempt["event"], "plugin": plugin})

    _armed = guard(policy.egress, on_block=blocked)
    # never left, and held here: a collected guard would disarm itself (its generator's finally)
    _armed.__enter__()


class Worker:
    """Runs one batch of a stage's work; returns the result (or the error's type and a one-line reason),
    the refused egress attempts, and its node."""

    def run(self, fn, batch):
        start = len(_blocked)
        try:
            result, error = fn(batch), None
        except Exception as exc:
            from stillroom.run.evidence import ledger_message

            result, error = None, ledger_message(exc)  # a third-party error text may quote the batch
        return result, error, _blocked[start:], socket.gethostname()
