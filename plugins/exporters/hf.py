"""The student as a Hugging Face directory (safetensors, config, tokenizer), reloaded and re-checked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stillroom import hookimpl
from stillroom.components import Exporter, Student
from stillroom.plugins.exporters.checks import agreement, check_texts, require


@hookimpl
def register_exporters(register):
    register(HFExporter)


class HFExporter(Exporter):
    name = "hf"
    description = "Hugging Face directory that AutoModel.from_pretrained loads; reloaded and compared."
    tasks = ("classification", "embedding", "causal-lm")

    def export(self, student: Student, dest: Path, texts: Sequence[str] | None = None) -> list[Path]:
        from stillroom.plugins.trainers.student import load_student

        files = student.save(Path(dest))
        sample = check_texts(student, texts)
        # on the student's own device: CPU and GPU kernels may break a causal LM's near-ties differently
        reloaded = load_student(Path(dest), device=getattr(student, "device", "cpu"))
        # a reload is the same weights: anything short of full agreement is a broken save
        require(
            f"the Hugging Face export at {dest}",
            student.task,
            agreement(student.task, student.predict(sample), reloaded.predict(sample))["agreement"],
            0.9999,
            "the saved directory does not reload into the same model",
        )
        return files
