"""The live side of a run, held in this process only, and the ``Run`` a stage is handed.

``Live`` holds what cannot be written down: the workspace handle, the plugin
manager, built components, the executor, and caches of objects loaded from
artifacts. ``Run`` puts it beside the plain-data ``RunState``; its
``dataset``, ``teacher_outputs``, ``students`` and ``evaluations`` are loaded
from the digests in the state on first use, so a stage that starts in a
fresh process sees the same objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stillroom.components import Context, Dataset, Evaluation, Executor, Student
from stillroom.config import PipelineSpec
from stillroom.plugin_manager import PluginManager
from stillroom.run.state import RunState
from stillroom.workspace import Workspace

SPLITS = ("train", "validation", "test")
STUDENT_ROLES = ("student", "baseline")


@dataclass
class Live:
    """What this process holds for a run; never persisted, rebuilt where a stage runs."""

    workspace: Workspace
    spec: PipelineSpec
    plugins: PluginManager
    policy: Any
    executor: Executor
    ctx: Context | None = None
    components: dict[str, Any] = field(default_factory=dict)
    dataset: Dataset | None = None
    teacher_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)
    evaluations: dict[str, list[Evaluation]] = field(default_factory=dict)


class Run:
    """One run as a stage sees it: plain-data ``state`` and this process's ``live`` context."""

    def __init__(self, state: RunState, live: Live) -> None:
        self.state = state
        self.live = live

    # -- plain data ---------------------------------------------------------

    @property
    def run_id(self) -> str:
        return self.state.run_id

    @property
    def initiator(self) -> str:
        return self.state.initiator

    @property
    def artifacts(self) -> dict[str, str]:
        return self.state.artifacts

    @property
    def summaries(self) -> dict[str, dict[str, Any]]:
        return self.state.summaries

    @property
    def stage(self) -> str | None:
        return self.state.stage

    @stage.setter
    def stage(self, name: str | None) -> None:
        self.state.stage = name

    @property
    def info(self) -> dict[str, Any]:
        return self.state.info

    # -- live ---------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        return self.live.workspace

    @property
    def spec(self) -> PipelineSpec:
        return self.live.spec

    @property
    def plugins(self) -> PluginManager:
        return self.live.plugins

    @property
    def policy(self) -> Any:
        return self.live.policy

    @property
    def ctx(self) -> Context | None:
        return self.live.ctx

    @property
    def components(self) -> dict[str, Any]:
        return self.live.components

    @property
    def executor(self) -> Executor:
        return self.live.executor

    # -- loaded from artifacts on first use ---------------------------------

    @property
    def dataset(self) -> Dataset | None:
        if self.live.dataset is None and "dataset" in self.artifacts:
            from stillroom.run.datasets import load_dataset

            self.live.dataset = load_dataset(self.workspace.artifacts, self.artifacts["dataset"])
        return self.live.dataset

    @property
    def teacher_outputs(self) -> dict[str, dict[str, Any]]:
        from stillroom.labels import load_outputs

        for split in SPLITS:
            if split not in self.live.teacher_outputs and f"labels.{split}" in self.artifacts:
                self.live.teacher_outputs[split] = load_outputs(self.workspace.artifacts,
                                                                self.artifacts[f"labels.{split}"])
        return self.live.teacher_outputs

    @property
    def students(self) -> Mapping[str, Student]:
        return Students(self)

    @property
    def evaluations(self) -> dict[str, list[Evaluation]]:
        if not self.live.evaluations and "evaluation" in self.artifacts:
            stored = self.workspace.artifacts.read_json(self.artifacts["evaluation"])
            self.live.evaluations.update({role: [Evaluation(**e) for e in evals] for role, evals in stored.items()})
        return self.live.evaluations

    # -- evidence -------------------------------------------------------------

    def record(self, kind: str, payload: Mapping[str, Any], *, signed_by: tuple[str, Any] | None = None) -> None:
        # a plugin's payload may be any mapping (Context.record); the ledger's entry holds a JSON object
        self.workspace.ledger().record(kind, dict(payload), actor=self.initiator, run_id=self.run_id, signed_by=signed_by)

    def egress_blocked(self, attempt: dict[str, Any]) -> None:
        """Ledger a blocked connection, naming the plugin whose code is innermost on the stack."""
        modules = [info.module.split(":")[0] for info in self.plugins.plugins() if info.status == "loaded"]
        frames = [frame.split(":")[0] for frame in attempt.get("stack", [])]
        plugin = next((m for f in frames for m in modules if f == m or f.startswith(m + ".")), None)
        self.record("egress.blocked", {**attempt, "plugin": plugin})


class Students(Mapping):
    """The run's trained students by role, each loaded from its artifact the first time it is asked for."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def __getitem__(self, role: str) -> Student:
        if role not in self.run.live.students:
            if role not in STUDENT_ROLES or role not in self.run.artifacts:
                raise KeyError(role)
            from stillroom.run.students import load_student

            self.run.live.students[role] = load_student(self.run, self.run.artifacts[role])
        return self.run.live.students[role]

    def __iter__(self) -> Iterator[str]:
        return (role for role in STUDENT_ROLES if role in self.run.artifacts)

    def __len__(self) -> int:
        return sum(1 for _ in self)
