"""Runs a pipeline spec against a workspace, stage by stage (DESIGN §2).

Each stage is a function of the run that returns a summary (digests, counts,
metrics; never records). The runner times it, stores it, ledgers it with the
digests of the artifacts it declared it reads and writes, and tells the
plugins; a stage with nothing to do raises ``Skip`` and is recorded as
skipped. Data moves between stages as artifacts in the content-addressed
store; the stages' work runs on the executor the spec names
(``make_executor``), and only this process, the coordinator, writes the ledger.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stillroom.components import Context
from stillroom.config import PipelineSpec, check_options
from stillroom.egress import guard
from stillroom.errors import RunRefused, StillroomError
from stillroom.isolate import network_isolated
from stillroom.offline import offline_environment
from stillroom.plugin_manager import PluginManager
from stillroom.run.evidence import ledger_message, redacted
from stillroom.run.live import Live, Run
from stillroom.run.stages import PIPELINE, Skip, Stage
from stillroom.run.state import RunState
from stillroom.runlock import RunLock
from stillroom.store import crud
from stillroom.workspace import Workspace


@dataclass
class StageReport:
    name: str
    status: str
    seconds: float
    outputs: dict[str, Any]
    message: str | None = None


def run_pipeline(
    workspace: Workspace,
    spec: PipelineSpec,
    *,
    initiator: str,
    initiator_key: tuple[str, Any] | None = None,
    plugins: PluginManager | None = None,
    progress: bool = True,
    on_stage: Callable[[StageReport], None] = lambda report: None,
    stages: tuple[Stage, ...] | None = None,
) -> Run:
    """Run every stage (or the first ``stages`` of the pipeline); raise the stage's error after recording it.

    ``initiator_key`` (key name, private key) signs the run's start, so the
    ledger shows who started it with their own signature. An executor no
    plugin provides refuses the run before anything is recorded.
    """
    policy = workspace.policy()
    if plugins is None:  # as the CLI loads them: imports reach nothing, and what they tried is ledgered
        from stillroom.api import load_plugins as workspace_plugins

        plugins = workspace_plugins(workspace)
    check_options(spec, plugins)
    executor = plugins.executor(spec.executor, policy=policy, workspace=workspace.root)
    state = RunState(spec.name, spec.digest, policy.digest, initiator, executor=executor.name)
    run = Run(state, Live(workspace, spec, plugins, policy, executor))
    alive = RunLock(workspace.root / "runs" / run.run_id)
    with workspace.session() as s:
        crud.create_run(s, run_id=run.run_id, pipeline=spec.name, spec_digest=spec.digest, initiator=initiator)
    run.live.ctx = Context(
        workspace=workspace.root,
        artifacts=workspace.artifacts,
        secret=workspace.secret(),
        policy=policy.model_dump(mode="json"),
        run_id=run.run_id,
        seed=spec.seed,
        progress=progress,
        record=run.record,
        scratch=workspace.root / "runs" / run.run_id,
        executor=executor.name,
        text_fields=spec.text_fields,
    )
    run.record("run.start", {**run.info, "policy_digest": policy.digest, "spec": redacted(spec.model_dump(mode="json")),
                             "plugins": plugins.provenance(), "executor": executor.name,
                             "offline": offline_environment(), "isolated": network_isolated()},
               signed_by=initiator_key)
    status = "succeeded"
    error: Exception | None = None
    # Armed until the last plugin code of the run has finished: closing components and observers too.
    with guard(policy.egress, on_block=run.egress_blocked, context=lambda: {"stage": run.stage}):
        try:
            for position, stage in enumerate(PIPELINE if stages is None else stages):
                run.stage = stage.name
                report = _run_stage(run, position, stage)
                on_stage(report)
                if position == 0:
                    plugins.on_run_start(run.info, run.ctx)
        except StillroomError as exc:
            status, error = ("refused" if isinstance(exc, RunRefused) else "failed"), exc
            raise
        except Exception as exc:
            status, error = "failed", exc
            raise
        finally:
            run.stage = "end"
            message = None if error is None else f"{type(error).__name__}: {error}"
            run.record("run.end", {"status": status, "message": ledger_message(error), "artifacts": run.artifacts})
            with workspace.session() as s:
                crud.finish_run(s, run_id=run.run_id, status=status, message=message,
                                summary={"stages": run.summaries, "artifacts": run.artifacts})
            for component in run.components.values():
                component.close()
            executor.close()
            workspace.ledger().checkpoint()
            alive.release()
            plugins.on_run_end(run.info, status)
    return run


def run_as(person, workspace: Workspace, spec: PipelineSpec, **kwargs: Any) -> Run:
    """A run started by an unlocked user: they need the operator role, and they sign its start."""
    if "operator" not in person.roles:
        raise RunRefused(f"{person.name} cannot start a run: it needs the operator role "
                         f"({person.name} holds {', '.join(person.roles)})")
    return run_pipeline(workspace, spec, initiator=person.name, initiator_key=(person.key_name, person.key), **kwargs)


def _run_stage(run: Run, position: int, stage: Stage) -> StageReport:
    name = stage.name
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    status, message, outputs, error = "succeeded", None, {}, None
    before = dict(run.artifacts)
    try:
        outputs = stage.run(run)
        undeclared = sorted(role for role, digest in run.artifacts.items()
                            if before.get(role) != digest and not stage.declares(role))
        if undeclared:
            raise StillroomError(f"stage {name} wrote artifacts it does not declare ({', '.join(undeclared)}); "
                                 "add them to its Stage(writes=...)")
    except Skip as skip:
        status, message = "skipped", str(skip)
    except BaseException as exc:
        status, message, error = "failed", f"{type(exc).__name__}: {exc}", exc
        raise
    finally:
        seconds = round(time.perf_counter() - started, 3)
        report = StageReport(name, status, seconds, outputs, message)
        run.summaries[name] = {"status": status, "seconds": seconds, "message": message, **outputs}
        logged = message if status != "failed" else ledger_message(error)
        wrote = {role: digest for role, digest in run.artifacts.items() if before.get(role) != digest}
        ran = run.executor.evidence(name)
        for attempt in ran["blocked"]:  # refused in a worker, ledgered here: workers write no ledger
            run.record("egress.blocked", attempt)
        run.record(f"stage.{name}", {"status": status, "seconds": seconds, "message": logged, "outputs": outputs,
                                     "reads": stage.read_digests(before), "writes": wrote,
                                     "executor": {k: v for k, v in ran.items() if k != "blocked"}})
        with run.workspace.session() as s:
            crud.add_stage(s, run_id=run.run_id, position=position, name=name, status=status,
                           started_at=started_at, seconds=seconds, outputs=outputs, message=message)
        run.plugins.on_stage_end(run.info, name, {"status": status, "seconds": seconds, "outputs": outputs})
    return report
