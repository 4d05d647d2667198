"""The ``ray`` executor: map-shaped work on a local Ray instance's worker processes.

Scope today: a Ray instance this process starts on this host
(``ray.init(num_cpus=2)``, usage reporting off, no dashboard), so every node
is the coordinator's own host and inside its residency boundary; connecting
to another cluster (``--address``) is not offered. Work a stage marks
``portable`` (ingest and scrub) is mapped over an actor pool in batch order;
the rest (teacher labelling, training) runs in the coordinator, and each
stage's ledger entry says which (``executor.ran_on``).

Workers are governed like the coordinator (``worker.setup`` runs in every
worker process): the egress guard is armed under the run's egress policy,
and components are built from plugins loaded under the same allowlist. They
hold no signing key and no workspace secret, and write no ledger: each call
returns its result with the egress attempts the guard refused, and the
coordinator ledgers those as ``egress.blocked`` with the stage and node.
Ray's C++ core opens sockets the Python guard cannot see: close worker
egress at the network layer too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stillroom import hookimpl
from stillroom.components import Executor, MapWork, TrainWork
from stillroom.errors import ConfigError, PluginError

NUM_CPUS = 2
_started_for: str | None = None  # the worker setup the running Ray instance was started with


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, policy: Any, workspace: Path) -> None:
        import ray
        from ray.util import ActorPool

        from stillroom.offline import OFFLINE_ENVIRONMENT
        from stillroom.run.executors.worker import POLICY_ENV, Worker

        global _started_for
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        given = json.dumps({"policy": policy.model_dump(mode="json"), "workspace": str(workspace)}, sort_keys=True)
        if ray.is_initialized() and _started_for != given:
            ray.shutdown()  # its workers were set up under another policy or workspace
        if not ray.is_initialized():
            ray.init(num_cpus=NUM_CPUS, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {**OFFLINE_ENVIRONMENT, "RAY_USAGE_STATS_ENABLED": "0",
                                               POLICY_ENV: given},
                                  "worker_process_setup_hook": "stillroom.run.executors.worker.setup"})
            _started_for = given
        self.ray = ray
        self.actors = [ray.remote(Worker).remote() for _ in range(NUM_CPUS)]
        self.pool = ActorPool(self.actors)
        self.ran: dict[str, dict[str, Any]] = {}

    def map(self, work: MapWork) -> Iterator[Any]:
        if not work.portable:
            self.ran[work.stage] = {"name": self.name, "ran_on": "coordinator", "blocked": []}
            yield from (work.fn(batch) for batch in work.batches)
            return
        ran = self.ran.setdefault(work.stage, {"name": self.name, "ran_on": "ray workers", "nodes": [], "blocked": []})
        for result, error, blocked, node in self.pool.map(lambda actor, batch: actor.run.remote(work.fn, batch),
                                                          work.batches):
            if node not in ran["nodes"]:
                ran["nodes"].append(node)
            ran["blocked"] += [{**attempt, "stage": work.stage, "node": node} for attempt in blocked]
            if error is not None:
                raise PluginError(f"stage {work.stage}: a Ray worker on {node} failed: {error}")
            yield result

    def train(self, work: TrainWork) -> str:
        self.ran[work.stage] = {"name": self.name, "ran_on": "coordinator", "blocked": []}
        return work.fn(work.dataset)

    def evidence(self, stage: str) -> dict[str, Any]:
        return self.ran.get(stage, {"name": self.name, "ran_on": "coordinator", "blocked": []})

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)


@hookimpl
def make_executor(name: str, policy: Any, workspace: Path) -> Executor | None:
    if name != "ray":
        return None
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError("the pipeline names executor 'ray', and Ray is not installed; "
                          "install it with pip install 'stillroom[ray]'") from None
    return RayExecutor(policy, workspace)
