"""One model's training as data another process can run: in the coordinator, on Ray Train workers, or under
``torchrun`` (``stillroom.run.torchrun``), always the same job.

The trainer, the teacher and the run's scrubber travel as ``ComponentRef``s
and are built again from the worker's own plugins, loaded under the run's
policy; the dataset and the teacher's cached outputs travel as data. Text the
teacher writes during training (a trainer's fallback answers) is scrubbed as
the run scrubs, through the policy's term lists (``Context.scrub``). Rank 0 of a process group (or the
only process) writes the student's files; the coordinator stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stillroom.components import Context, Dataset
from stillroom.run.portable import ComponentRef
from stillroom.run.students import save_student


@dataclass
class StudentJob:
    trainer: ComponentRef
    teacher: ComponentRef
    student_spec: dict[str, Any]
    dataset: Dataset
    teacher_outputs: dict[str, dict[str, Any]]
    seed: int
    device: str
    scrubber: ComponentRef | None = None  # the run's, where it has one

    def __call__(self, ctx: Context, directory: Path) -> dict[str, Any] | None:
        """Train here (alone, or as one rank of the process group); on rank 0, the saved student's facts."""
        scrub = None
        if self.scrubber is not None:
            from stillroom.pii_lists import ListedScrub, TermLists

            scrub = ListedScrub.for_text(self.scrubber, TermLists.of_policy(ctx.policy))
        ctx = replace(ctx, teacher=self.teacher.get(), seed=self.seed, device=self.device, scrub=scrub)
        student = self.trainer.get().train(self.student_spec, self.dataset, self.teacher_outputs, ctx)
        return save_student(student, Path(directory)) if rank() == 0 else None


def rank() -> int:
    """This process's rank in its ``torch.distributed`` group; 0 outside one."""
    from torch import distributed

    return distributed.get_rank() if distributed.is_available() and distributed.is_initialized() else 0
