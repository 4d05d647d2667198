"""What every Ray worker process runs first (``worker_process_setup_hook``), and the actor that maps batches."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

POLICY_ENV = "STILLROOM_WORKER_POLICY"
EVIDENCE = "stillroom-evidence.json"  # beside the student's files: what rank 0 hands the coordinator
_blocked: list[dict[str, Any]] = []  # every attempt this process's guards refused, setup's first
_reported = 0  # how many of them this process has handed to the coordinator
_armed: Any = None


def setup() -> None:
    """Arm the egress guard for the life of this worker and load plugins under the run's allowlist."""
    govern(json.loads(os.environ[POLICY_ENV]))


def govern(given: dict[str, Any]) -> None:
    """Make this process a governed worker of a run: ``given`` holds the run's ``policy`` (as JSON data) and
    its ``workspace`` path. Also what ``stillroom.run.torchrun`` runs in each process it is started in.

    The guard is armed before any plugin is imported. What a plugin's import-time code tried is refused
    (nothing may leave during an import) and kept with the plugin's module and ``"during": "plugin import"``;
    the coordinator hears of it with this process's first result (``unreported``), as it hears of a batch's."""
    from stillroom.egress import guard
    from stillroom.offline import offline_environment
    from stillroom.plugin_manager import load_plugins
    from stillroom.policy import Policy
    from stillroom.run.portable import use_worker_plugins

    offline_environment()  # what phones home is switched off at the source, as in the coordinator
    policy = Policy.model_validate(given["policy"])
    modules: list[str] = []  # the loaded plugins' modules, known once they are loaded

    def blocked(attempt: dict[str, Any]) -> None:
        frames = [frame.split(":")[0] for frame in attempt.get("stack", [])]
        plugin = next((m for f in frames for m in modules if f == m or f.startswith(m + ".")), None)
        _blocked.append({"target": attempt["target"], "event": attempt["event"], "plugin": plugin})

    global _armed
    _armed = guard(policy.egress, on_block=blocked)
    # never left, and held here: a collected guard would disarm itself (its generator's finally)
    _armed.__enter__()
    importing: list[dict[str, Any]] = []
    plugins = load_plugins(policy.plugins.allow, strict=policy.plugins.strict, on_block=importing.append)
    modules += [info.module.split(":")[0] for info in plugins.plugins() if info.status == "loaded"]
    for attempt in importing:
        _blocked.append({"target": attempt["target"], "event": attempt["event"], "during": "plugin import",
                         "plugin": attempt.get("plugin")})
    use_worker_plugins(plugins, given["policy"], Path(given["workspace"]))


def unreported() -> list[dict[str, Any]]:
    """The refused attempts this process has not yet handed to the coordinator: each call that returns
    evidence takes them, so the first one carries what setup refused too."""
    global _reported
    new, _reported = _blocked[_reported:], len(_blocked)
    return new


class Worker:
    """Runs one batch of a stage's work; returns the result (or the error's type and a one-line reason),
    the refused egress attempts not yet reported, and its node."""

    def started(self) -> tuple[list[dict[str, Any]], str]:
        """What this actor's setup refused (``govern``), and its node: the coordinator asks once it is up."""
        return unreported(), socket.gethostname()

    def run(self, fn, batch):
        try:
            result, error = fn(batch), None
        except Exception as exc:
            from stillroom.run.evidence import ledger_message

            result, error = None, ledger_message(exc)  # a third-party error text may quote the batch
        return result, error, unreported(), socket.gethostname()


def train_rank(config: dict[str, Any]) -> None:
    """One Ray Train worker's part of a stage's training job (``TrainWork.job``), in the process group Ray Train
    set up. Rank 0 reports the student's files and the job's evidence (``train_as_rank``) as a Ray Train
    checkpoint; the coordinator stores and ledgers them."""
    import tempfile

    import ray
    import ray.train
    from torch import distributed

    directory = Path(tempfile.mkdtemp(prefix="stillroom-student-"))
    join_group(config["backend"])
    try:
        evidence = train_as_rank(ray.get(config["job"]), directory)
        if evidence is None:
            ray.train.report({})  # every rank reports; only rank 0 has a student
        else:
            ray.train.report({"epochs": sum(kind == "train.epoch" for kind, _ in evidence["records"])},
                             checkpoint=ray.train.Checkpoint.from_directory(str(directory)))
        distributed.barrier()  # ranks leave the group together: none closes a connection a peer still reads
    finally:
        shutil.rmtree(directory, ignore_errors=True)  # reported: Ray Train copied it into its storage
        distributed.destroy_process_group()


def train_as_rank(job: Any, directory: Path) -> dict[str, Any] | None:
    """Run a training ``job`` (a ``StudentJob``) as this process's rank of its ``torch.distributed`` group: what
    Ray Train's workers (``train_rank``) and ``torchrun`` (``stillroom.run.torchrun``) both run.

    Every rank's node and the egress attempts its guards refused (during the job, and in ``govern`` before it,
    unless a call of this process reported them already) are gathered to rank 0, which
    writes them, the student's facts and the records the job made into ``directory / EVIDENCE`` beside the
    student's files, and returns that evidence; the other ranks return None. A worker writes no ledger: the
    coordinator ledgers the evidence (``refusals`` for the egress attempts).
    """
    from torch import distributed

    from stillroom.run.portable import worker_context

    records: list[tuple[str, dict[str, Any]]] = []
    facts = job(worker_context(record=lambda kind, payload: records.append((kind, dict(payload)))), directory)
    ranks: list[Any] = [None] * distributed.get_world_size()
    distributed.all_gather_object(ranks, {"node": socket.gethostname(), "blocked": unreported()})
    if facts is None:
        return None
    evidence = {"facts": facts, "records": records, "ranks": ranks}
    (directory / EVIDENCE).write_text(json.dumps(evidence))
    return evidence


def refusals(evidence: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    """The egress attempts a training job's ranks refused (``train_as_rank``'s evidence), each with the stage
    and the node, as the coordinator ledgers them (``egress.blocked``)."""
    return [{**attempt, "stage": stage, "node": rank["node"]} for rank in evidence["ranks"]
            for attempt in rank["blocked"]]


def join_group(backend: str) -> None:
    """Join this Ray Train worker group's ``torch.distributed`` process group.

    Rank 0 takes a free port on loopback when every rank is on its node, else on its node's Ray address;
    never on every interface. The egress guard judges it as any listener: loopback passes; a cluster address
    must be in the egress allowlist (the cluster's network), or the stage fails with the guard's refusal.
    Torch's store then listens on that port from C++, out of the guard's sight (docs/scale.md: close it at
    the network layer too).
    """
    import ray
    from ray.train import get_context
    from ray.train.collective import broadcast_from_rank_zero

    context = get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    address = None
    if rank == 0:
        host = "127.0.0.1" if context.get_local_world_size() == world else ray.util.get_node_ip_address()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        address = f"tcp://[{host}]:{port}" if family == socket.AF_INET6 else f"tcp://{host}:{port}"
    init_group(backend, init_method=broadcast_from_rank_zero(address), rank=rank, world_size=world)


def init_group(backend: str, **options: Any) -> None:
    """``torch.distributed.init_process_group``, such that ``destroy_process_group`` frees the group whole.

    ``torch.distributed.nn.functional`` gives ten functions ``group.WORLD`` as a default argument, evaluated
    when it is first imported, and DDP imports it (through ``torch._dynamo``) on first use: imported after the
    group exists, it holds the group for the life of the process. gloo's worker threads then outlive
    ``destroy_process_group`` into interpreter shutdown, and one that frees a tensor Python owned takes the GIL
    there (torch checks ``Py_IsInitialized`` first, but a starved thread can pass that check before shutdown
    and take the GIL after it), which Python 3.11 answers with ``pthread_exit`` through a ``noexcept`` frame:
    "terminate called without an active exception", SIGABRT, seen once in 30 to 60 two-rank runs under CPU load.
    Imported first, those defaults are None and nothing but the group's owners holds it.
    """
    import torch.distributed.nn  # noqa: F401  # for its import-time defaults: before the group exists
    from torch import distributed

    distributed.init_process_group(backend, **options)
