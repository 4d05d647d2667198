"""The ``ray`` executor: map-shaped work on Ray worker processes, on this host or an on-premise cluster.

Without an address this process starts a Ray instance on its own host
(``ray.init(num_cpus=2)``, usage reporting off, no dashboard). With one
(``stillroom run --address`` or ``RAY_ADDRESS``) it joins that cluster; a
cluster off this host must require token authentication (``RAY_AUTH_MODE=token``),
or the run is refused before anything connects.

Before any data moves, the preflight stage calls ``preflight``: every alive
node must sit in a region inside the policy's residency boundary (its
``stillroom.io/region`` label, else its address mapped by the policy), load the
same plugins as the coordinator with the same RECORD digests, and the cluster
must not report usage statistics to Anyscale.

Work a stage marks ``portable`` (ingest, scrub, teacher labelling, curation
signatures) is mapped over an actor pool in batch order, on GPU actors for
``accelerated`` work when the cluster has GPUs; a student's training job runs
on a Ray Train worker group (DDP); the rest (evaluation, a teacher's
fine-tuning) runs in the coordinator, and each stage's ledger entry says which
(``executor.ran_on``). Workers are governed like the coordinator
(``worker.setup`` runs in every worker process) and write no ledger: each call
returns its result with the egress attempts the guard refused (what a worker's
setup refused comes back from the first call the coordinator makes), and the
coordinator ledgers those as ``egress.blocked`` with stage, node and plugin.
Ray's C++ core opens sockets the Python guard cannot see: close worker egress
at the network layer too.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stillroom import hookimpl
from stillroom.components import Executor, MapWork, TrainWork
from stillroom.errors import ConfigError, PluginError, RunRefused

NUM_CPUS = 2
# where Ray Train keeps what rank 0 saved until the coordinator stores it: a path every node and the
# coordinator share on a multi-node cluster (NFS); a temporary directory on this host by default
STORAGE_ENV = "STILLROOM_RAY_STORAGE"
REGION_LABEL = "stillroom.io/region"
_joined: str | None = None  # the cluster and worker setup this process's Ray connection was made with


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, policy: Any, workspace: Path, address: str | None = None, workers: int | None = None) -> None:
        """``workers``: how many worker actors map the batches; one per CPU the cluster offers by default."""
        import ray

        from stillroom.offline import OFFLINE_ENVIRONMENT
        from stillroom.run.executors.worker import POLICY_ENV

        global _joined
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        refuse_unauthenticated(self.address)
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        setup = json.dumps({"policy": policy.model_dump(mode="json"), "workspace": str(workspace)}, sort_keys=True)
        joined = json.dumps([self.address, setup])
        if ray.is_initialized() and _joined != joined:
            ray.shutdown()  # its workers were set up under another policy, workspace or cluster
        if not ray.is_initialized():
            runtime_env = {"env_vars": {**OFFLINE_ENVIRONMENT, "RAY_USAGE_STATS_ENABLED": "0", POLICY_ENV: setup},
                           "worker_process_setup_hook": "stillroom.run.executors.worker.setup"}
            if self.address:
                ray.init(address=self.address, log_to_driver=False, runtime_env=runtime_env)
            else:
                ray.init(num_cpus=NUM_CPUS, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
                         _node_ip_address="127.0.0.1")  # a node on loopback: inside any boundary that holds this host
            _joined = joined
        self.ray, self.policy = ray, policy
        self.count = workers
        self.actors: list[Any] = []
        self.pool: int | None = None  # the GPUs the actors were started with (0: CPU actors); None: none started
        self.ran: dict[str, dict[str, Any]] = {}

    def preflight(self, classification: str) -> dict[str, Any]:
        """Check the cluster against the policy before any data moves; the evidence for the preflight stage."""
        from stillroom.plugin_manager import load_plugins

        if usage_reporting(self.ray):
            raise RunRefused(f"the Ray cluster at {self.address or 'this host'} reports usage statistics; start "
                             "its head with RAY_USAGE_STATS_ENABLED=0 (or run `ray disable-usage-stats` there)")
        nodes = [node for node in self.ray.nodes() if node["Alive"]]
        regions = [node_region(node, classification, self.policy.residency) for node in nodes]
        ours = plugin_digests(load_plugins(self.policy.plugins.allow, strict=self.policy.plugins.strict).provenance())
        ran = self.ran.setdefault("preflight", {"name": self.name, "ran_on": "coordinator", "blocked": []})
        for node, facts in zip(nodes, self.ray.get([_on(self.ray, node).remote() for node in nodes])):
            ran["blocked"] += [{**attempt, "stage": "preflight", "node": facts["host"]} for attempt in facts["blocked"]]
            if facts["plugins"] != ours:
                differ = sorted(set(facts["plugins"].items()) ^ set(ours.items()))
                raise RunRefused(f"Ray node {facts['host']} ({node['NodeManagerAddress']}) loads other plugins than "
                                 f"the coordinator (first difference: {differ[0][0]}); install the same "
                                 "distributions on every node")
        return {"name": self.name, "address": self.address or "local",
                "nodes": [{"host": node["NodeManagerHostname"], "address": node["NodeManagerAddress"],
                           "region": region} for node, region in zip(nodes, regions)],
                "plugins": len(ours)}

    def map(self, work: MapWork) -> Iterator[Any]:
        from ray.util import ActorPool

        if not work.portable:
            self.ran[work.stage] = {"name": self.name, "ran_on": "coordinator", "blocked": []}
            yield from (work.fn(batch) for batch in work.batches)
            return
        ran = self.ran.setdefault(work.stage, {"name": self.name, "ran_on": "ray workers", "nodes": [], "blocked": []})
        gpus = int(self.ray.cluster_resources().get("GPU", 0)) if work.accelerated else 0
        if gpus:
            ran["gpus"] = gpus
        pool = ActorPool(self.workers(gpus, work.stage))
        for result, error, blocked, node in pool.map(lambda actor, batch: actor.run.remote(work.fn, batch),
                                                     work.batches):  # type: ignore[arg-type]  # ray annotates List; it only iterates
            if node not in ran["nodes"]:
                ran["nodes"].append(node)
            ran["blocked"] += [{**attempt, "stage": work.stage, "node": node} for attempt in blocked]
            if error is not None:
                raise PluginError(f"stage {work.stage}: a Ray worker on {node} failed: {error}")
            yield result

    def train(self, work: TrainWork) -> str:
        """A stage's ``job`` on a Ray Train worker group: DDP over gloo on CPUs, NCCL when the cluster has GPUs
        (one worker per GPU, else per CPU); without a job, in the coordinator.

        The group is Ray Train's ``DataParallelTrainer`` (what ``TorchTrainer`` is built on) with the process
        group joined in ``worker.train_rank``: ``TorchTrainer``'s own rendezvous probes for a port with a bind
        on every interface, which the workers' egress guard refuses, rightly."""
        if work.job is None:
            self.ran.setdefault(work.stage, {"name": self.name, "ran_on": "coordinator", "blocked": []})
            return work.fn(work.dataset)
        if work.keep is None:
            raise PluginError(f"stage {work.stage}: its training job comes without keep, so what it trains could "
                              "not be stored")
        from ray.train import RunConfig, ScalingConfig
        from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

        from stillroom.run.executors.worker import EVIDENCE, refusals, train_rank

        self.close()  # the map actors hold the teacher and the scrubber's models: free them for training
        gpus = int(self.ray.cluster_resources().get("GPU", 0))
        cpus = max(1, int(self.ray.cluster_resources().get("CPU", 1)))
        count = min(self.count or gpus, gpus) if gpus else self.count or cpus
        backend = "nccl" if gpus else "gloo"
        storage = Path(tempfile.mkdtemp(prefix="stillroom-train-", dir=os.environ.get(STORAGE_ENV)))
        try:
            trainer = DataParallelTrainer(
                train_rank, train_loop_config={"job": self.ray.put(work.job), "backend": backend},
                scaling_config=ScalingConfig(num_workers=count, use_gpu=bool(gpus)),
                run_config=RunConfig(name=work.stage, storage_path=str(storage)))
            try:
                result = trainer.fit()
            except Exception as exc:
                from stillroom.run.evidence import ledger_message

                cause = exc.__cause__ or exc
                raise PluginError(f"stage {work.stage}: Ray Train workers failed: {ledger_message(cause)}") from exc
            if result.checkpoint is None:
                raise PluginError(f"stage {work.stage}: Ray Train finished without rank 0's checkpoint, so there "
                                  "is no student to store")
            directory = Path(result.checkpoint.path)
            evidence = json.loads((directory / EVIDENCE).read_text())
            ran = self.ran.setdefault(work.stage, {"name": self.name, "ran_on": "ray train workers", "nodes": [],
                                                   "workers": count, "backend": backend, "blocked": []})
            for rank in evidence["ranks"]:
                if rank["node"] not in ran["nodes"]:
                    ran["nodes"].append(rank["node"])
            ran["blocked"] += refusals(evidence, work.stage)
            return work.keep(directory, evidence["facts"], evidence["records"])
        finally:
            shutil.rmtree(storage, ignore_errors=True)

    def evidence(self, stage: str) -> dict[str, Any]:
        return self.ran.get(stage, {"name": self.name, "ran_on": "coordinator", "blocked": []})

    def workers(self, gpus: int, stage: str) -> list[Any]:
        """One actor per CPU the cluster offers, or with ``gpus`` one per GPU, each holding its GPU; started on
        first use, after the preflight, and kept for the stages that follow. What a new actor's setup refused
        is ledgered with ``stage``, the stage that started it."""
        if self.pool != gpus:
            from stillroom.run.executors.worker import Worker

            self.close()  # the other kind's actors hold models (and GPUs) this work will not use
            cpus = max(1, int(self.ray.cluster_resources().get("CPU", 1)))
            count = min(self.count or gpus, gpus) if gpus else self.count or cpus
            self.actors = [self.ray.remote(num_gpus=1 if gpus else 0)(Worker).remote() for _ in range(count)]
            self.pool = gpus
            for blocked, node in self.ray.get([actor.started.remote() for actor in self.actors]):
                self.ran[stage]["blocked"] += [{**attempt, "stage": stage, "node": node} for attempt in blocked]
        return self.actors

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors, self.pool = [], None


def refuse_unauthenticated(address: str | None) -> None:
    """A cluster off this host must require token authentication: anyone who reaches it could run code there."""
    if address is None or address == "local":
        return
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local and os.environ.get("RAY_AUTH_MODE") != "token":
        raise ConfigError(f"the Ray cluster at {address} is not on this host and token authentication is off; "
                          "start it and this process with RAY_AUTH_MODE=token (docs/scale.md)")


def usage_reporting(ray) -> bool:
    """Whether the cluster's head was started with usage reporting on: Ray then writes its commit and start time
    into the cluster metadata it keeps for the report."""
    from ray.experimental.internal_kv import _internal_kv_get

    metadata = json.loads(_internal_kv_get(b"CLUSTER_METADATA", namespace="cluster") or b"{}")
    return "session_start_timestamp_ms" in metadata


def node_region(node: dict[str, Any], classification: str, residency: Any) -> str:
    """The node's region (its ``stillroom.io/region`` label, else its address's region), refused outside the boundary."""
    from stillroom.residency import region_of

    where = f"Ray node {node['NodeManagerHostname']} ({node['NodeManagerAddress']})"
    region = (node.get("Labels") or {}).get(REGION_LABEL) or region_of(f"ray://{node['NodeManagerAddress']}", residency)
    if region is None:
        raise RunRefused(f"{where} has no {REGION_LABEL} label and its address is in no region the residency "
                         "policy knows; label the node or map its address in policies/residency.yaml")
    if region not in residency.boundary:
        raise RunRefused(f"{where} is in region {region!r}, outside the boundary ({', '.join(residency.boundary)}); "
                         "no data was sent to the cluster")
    if region not in residency.classifications[classification].allowed_regions:
        raise RunRefused(f"{classification} data may not go to {where} in region {region!r}")
    return region


def plugin_digests(provenance: list[dict[str, Any]]) -> dict[str, str]:
    return {f"{p['name']} {p['version'] or ''}".strip(): p["record_sha256"] or "built in" for p in provenance}


def _on(ray, node: dict[str, Any]):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return ray.remote(_node_facts).options(
        num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False))


def _node_facts() -> dict[str, Any]:
    """What a node's worker loaded under the run's policy (in ``worker.setup``), to compare with the coordinator,
    and the egress attempts the worker refused that no call has reported yet (its setup's)."""
    import socket

    from stillroom.run.executors.worker import unreported
    from stillroom.run.portable import worker_plugins

    return {"host": socket.gethostname(), "plugins": plugin_digests(worker_plugins().provenance()),
            "blocked": unreported()}


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
