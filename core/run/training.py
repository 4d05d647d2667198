"""One model's training as data another process can run: in the coordinator, on Ray Train workers, or under
``torchrun`` (``stillroom.run.torchrun``), always the same job.

The trainer and the teacher travel as ``ComponentRef``s and are built again
from the worker's own plugins, loaded under the run's policy; the dataset and
the teacher's cached outputs travel as data. Rank 0 of a process group (or the
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

    def __call__(self, ctx: Context, directory: Path) -> dict[str, Any] | None:
        """Train here (alone, or as one rank of the process group); on rank 0, the saved student's facts."""
        ctx = replace(ctx, teacher=self.teacher.get(), seed=self.seed, device=self.device)
        student = self.trainer.get().train(self.student_spec, self.dataset, self.teacher_outputs, ctx)
        return save_student(student, Path(directory)) if rank() == 0 else None


def rank() -> int:
    """This process's rank in its ``torch.distributed`` group; 0 outside one."""
    from torch import distributed

    return distributed.get_rank() if distributed.is_available() and distributed.is_initialized() else 0
