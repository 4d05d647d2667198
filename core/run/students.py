"""Trained students as artifacts: saved when training ends, loaded by digest by whoever needs them.

A student artifact is a JSON manifest naming the trainer that made it, the
student spec it was trained with, and the digest of every file its ``save``
wrote. Loading writes those files (each checked against its digest) into the
run's scratch directory and asks the same registered trainer to rebuild the
student, so no code path outside the policy's plugins is imported.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stillroom.components import Student
from stillroom.errors import ArtifactError


def save_student(student: Student, directory: Path) -> dict[str, Any]:
    """Write ``student``'s files into ``directory``; what its manifest needs besides them, as plain data
    (where the student was trained may not be where it is stored)."""
    files = student.save(directory)
    facts = {"task": student.task, "parameters": student.num_parameters(),
             "files": sorted(str(Path(f).relative_to(directory)) for f in files)}
    for chosen_on_validation in ("search", "layer_importance"):  # trials and choices, all on validation
        if getattr(student, chosen_on_validation, None):
            facts[chosen_on_validation] = getattr(student, chosen_on_validation)
    return facts


def store_student(artifacts, role: str, trainer: str, student_spec: Mapping[str, Any], directory: Path,
                  facts: Mapping[str, Any]) -> str:
    """Put the files ``save_student`` wrote into ``directory`` into the artifact store; the manifest's digest."""
    stored = {}
    for name in facts["files"]:
        path = directory / name
        if directory.resolve() not in path.resolve().parents:
            raise ArtifactError(f"a trained student names a file outside its directory: {name!r}")
        stored[name] = artifacts.put_file(path)
    manifest = {"kind": "stillroom.student", "role": role, "trainer": trainer, "student_spec": dict(student_spec),
                "task": facts["task"], "parameters": facts["parameters"], "files": stored}
    manifest.update({k: facts[k] for k in ("search", "layer_importance") if facts.get(k)})
    return artifacts.put_json(manifest)


def load_student(run, digest: str) -> Student:
    """The student stored under ``digest``, rebuilt by the trainer that trained it."""
    artifacts = run.workspace.artifacts
    manifest = artifacts.read_json(digest)
    if not isinstance(manifest, dict) or manifest.get("kind") != "stillroom.student":
        raise ArtifactError(f"artifact {digest[:12]} is not a stored student")
    directory = run.ctx.scratch / "students" / digest[:16]
    if not directory.is_dir():
        unpack_files(artifacts, manifest["files"], directory)
    name = manifest["trainer"]
    options = run.spec.trainer.options if run.spec.trainer and run.spec.trainer.type == name else {}
    trainer = run.plugins.component("trainer", name)(options, run.ctx)
    return trainer.load_student(directory, manifest["student_spec"])


def unpack_files(artifacts, files: Mapping[str, str], directory: Path) -> None:
    """Write each stored file (relative name -> digest, checked on read) into ``directory``, all or nothing."""
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for name, file_digest in files.items():
        target = staging / name
        if target.resolve().parent != staging.resolve() and staging.resolve() not in target.resolve().parents:
            raise ArtifactError(f"a stored model names a file outside its directory: {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifacts.read_bytes(file_digest))
    staging.rename(directory)
