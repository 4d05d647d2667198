"""The contracts of each hook family: what every source, scrubber, teacher, trainer, evaluator and exporter owes.

Each test runs once per component of its family that the plugins under test
register (``pytest --stillroom-plugin NAME``, or ``STILLROOM_PLUGINS`` in a
module that imports these tests), under the egress guard with nothing allowed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest

from stillroom.components import Component, Evaluation, Student
from stillroom.errors import StillroomError
from stillroom.testing.materials import sample_records
from stillroom.testing.plugin import student_spec

pytestmark = pytest.mark.usefixtures("stillroom_no_egress")
contract = pytest.mark.stillroom_contract


def read_all(source: Any, batch_size: int) -> list[dict[str, Any]]:
    return [record for batch in source.read(batch_size) for record in batch]


@contract("source")
def test_source_fingerprint_changes_with_its_data_and_not_otherwise(stillroom_build):
    records = sample_records(40)
    first, again = stillroom_build(records), stillroom_build(records)
    served = read_all(first, 1000)
    assert len(served) == len(records), "a source serves each record it holds once"
    assert read_all(again, 7) == served, "what a source serves must not depend on its batch size"
    assert first.fingerprint() == again.fingerprint(), "the same data read twice must give the same fingerprint"
    changed = [dict(r) for r in records]
    changed[len(changed) // 2]["text"] += " please"
    other = stillroom_build(changed)
    read_all(other, 1000)
    assert other.fingerprint() != first.fingerprint(), "a change to one record must change the fingerprint"


@contract("source")
def test_source_says_where_its_data_lives_before_reading(stillroom_build):
    source = stillroom_build()
    assert urlparse(source.location()).scheme, f"location() must be a URI, got {source.location()!r}"


@contract("scrubber")
def test_scrubber_report_holds_no_values_and_its_spans_lie_within_the_text(stillroom_build):
    scrubber = stillroom_build()
    records = sample_records(40)
    texts = [r["text"] for r in records]
    found = scrubber.find(texts)
    assert len(found) == len(texts), "find() answers one list of spans per text"
    covered = scrubber.entities()
    values = set()
    for text, spans in zip(texts, found):
        for span in spans:
            assert 0 <= span.start < span.end <= len(text), f"span {span} lies outside a {len(text)}-character text"
            assert span.type in covered, f"span type {span.type} is not among entities() {sorted(covered)}"
            values.add(text[span.start:span.end])
    assert values, "found nothing in records that hold card numbers, phone numbers, e-mails and names"
    _, report = scrubber.scrub(records)
    assert report.records == len(records)
    dumped = json.dumps(report.as_dict())
    leaked = sorted(v for v in values if len(v) >= 4 and v in dumped)
    assert not leaked, f"the scrub report holds {len(leaked)} detected values"


@contract("teacher")
def test_teacher_outputs_do_not_depend_on_batch_size_or_order(stillroom_build):
    teacher = stillroom_build()
    texts = [r["text"] for r in sample_records(12)]
    whole = per_text(teacher.predict(texts), len(texts))
    pieces = [per_text(teacher.predict(texts[i:i + 5]), len(texts[i:i + 5])) for i in range(0, len(texts), 5)]
    backwards = per_text(teacher.predict(texts[::-1]), len(texts))
    assert whole, "predict() returned no outputs"
    for key, rows in whole.items():
        for i, row in enumerate(rows):
            batched = pieces[i // 5][key][i % 5]
            np.testing.assert_allclose(batched, row, atol=1e-4, err_msg=f"{key} changes with the batch size")
            np.testing.assert_allclose(backwards[key][len(texts) - 1 - i], row, atol=1e-4,
                                       err_msg=f"{key} changes with the order of the texts")
    assert teacher.fingerprint() == stillroom_build().fingerprint(), "the same teacher must fingerprint the same"


def per_text(outputs: dict[str, Any], n: int) -> dict[str, list[np.ndarray]]:
    """Each output's row per text; where outputs carry an ``attention_mask``, only the real tokens' positions,
    since padding depends on the longest text in the batch."""
    mask = outputs.get("attention_mask")
    mask = None if mask is None else np.asarray(mask).astype(bool)
    rows = {}
    for key, value in outputs.items():
        value = np.asarray(value)
        assert len(value) == n, f"{key}: {len(value)} rows for {n} texts"
        if mask is not None and value.ndim >= 2 and value.shape[1] == mask.shape[1]:  # one row per token
            rows[key] = [value[i][mask[i]] for i in range(n)]
        else:
            rows[key] = [value[i] for i in range(n)]
    return rows


def teacher_for(component: type[Component], teachers: dict[str, Any]) -> tuple[str, Any]:
    task = next((t for t in getattr(component, "tasks", ()) if t in teachers), None)
    if task is None:
        pytest.skip(f"no teacher for {component.name}'s tasks {getattr(component, 'tasks', ())}: add one to "
                    "stillroom_teachers")
    return task, teachers[task]


@contract("trainer")
def test_trainer_student_answers_like_its_teacher_and_reloads_from_what_it_saved(
        stillroom_component, stillroom_build, stillroom_teachers, stillroom_dataset, stillroom_context, tmp_path):
    task, teacher = teacher_for(stillroom_component, stillroom_teachers)
    from stillroom.labels import label_outputs

    stillroom_context.teacher = teacher
    outputs = {split: label_outputs(teacher, getattr(stillroom_dataset, split).texts, stillroom_context.artifacts)
               .outputs for split in ("train", "validation")}
    spec = student_spec(stillroom_component)
    trainer = stillroom_build()
    student = trainer.train(spec, stillroom_dataset, outputs, stillroom_context)
    assert isinstance(student, Student) and student.num_parameters() > 0
    texts = stillroom_dataset.test.texts[:6]
    said, expected = student.predict(texts), teacher.predict(texts)
    assert set(said) == set(expected), f"the student answers {sorted(said)}, the teacher {sorted(expected)}"
    student.save(tmp_path / "student")
    again = trainer.load_student(tmp_path / "student", spec).predict(texts)
    for key in said:
        np.testing.assert_allclose(np.asarray(again[key]), np.asarray(said[key]), atol=1e-4,
                                   err_msg=f"{key}: the reloaded student differs from the one trained")


@contract("evaluator")
def test_evaluator_returns_finite_metrics_under_its_name(
        stillroom_component, stillroom_build, stillroom_teachers, stillroom_students, stillroom_dataset,
        stillroom_context):
    task, teacher = teacher_for(stillroom_component, stillroom_teachers)
    result = stillroom_build().evaluate(stillroom_students(task), teacher, stillroom_dataset, stillroom_context)
    assert isinstance(result, Evaluation) and result.evaluator == stillroom_component.name
    assert result.metrics, "an evaluation with no metrics gates nothing"
    bad = {k: v for k, v in result.metrics.items() if not (isinstance(v, int | float) and math.isfinite(v))}
    assert not bad, f"metrics that are not finite numbers: {bad}"
    json.dumps(result.as_dict())


class Lying(Student):
    """A student whose answers are not what its saved files compute: what an exporter's re-check must catch."""

    def __init__(self, honest: Student) -> None:
        self.honest, self.task = honest, honest.task

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["honest"], name)

    def predict(self, texts: list[str]) -> dict[str, Any]:
        return {k: -np.asarray(v) for k, v in self.honest.predict(texts).items()}

    def save(self, directory: Path) -> list[Path]:
        return self.honest.save(directory)

    def num_parameters(self) -> int:
        return self.honest.num_parameters()


@contract("exporter")
def test_exporter_rechecks_what_it_wrote(stillroom_component, stillroom_build, stillroom_teachers,
                                         stillroom_students, stillroom_dataset, tmp_path):
    task, _ = teacher_for(stillroom_component, stillroom_teachers)
    student, texts = stillroom_students(task), stillroom_dataset.test.texts
    files = stillroom_build().export(student, tmp_path / "honest", texts=texts)
    assert files and all(Path(f).is_file() and (tmp_path / "honest") in Path(f).resolve().parents for f in files)
    with pytest.raises(StillroomError):
        stillroom_build().export(Lying(student), tmp_path / "lying", texts=texts)
