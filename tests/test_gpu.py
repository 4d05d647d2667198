"""The CUDA paths: bf16 teachers, autocast training, checkpoints and export from a GPU student.

Skipped where no CUDA device is present (CI, most development machines).
"""

from __future__ import annotations

import numpy as np
import pytest
import tinymodels as tm
import torch

from stillroom.labels import label_outputs
from stillroom.plugins.exporters.onnx import ONNXExporter
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.embedding import EmbeddingKDTrainer
from stillroom.plugins.trainers.kd import LogitKDTrainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_teachers_run_in_bf16_on_the_gpu_and_agree_with_fp32_on_cpu(tmp_path):
    ctx = tm.context(tmp_path, device="auto")
    data = tm.toy_dataset()
    gpu = HFTeacher({"path": str(tm.classifier_dir(tmp_path / "clf"))}, ctx)
    cpu = HFTeacher({"path": str(tmp_path / "clf"), "device": "cpu"}, ctx)
    assert gpu.device.type == "cuda" and next(gpu.model.parameters()).dtype == torch.bfloat16
    ours, reference = gpu.predict(data.test.texts)["logits"], cpu.predict(data.test.texts)["logits"]
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=0.05)
    embedder = HFTeacher({"path": str(tm.encoder_dir(tmp_path / "enc")), "task": "embedding"}, ctx)
    on_cpu = HFTeacher({"path": str(tmp_path / "enc"), "task": "embedding", "device": "cpu"}, ctx)
    a, b = embedder.predict(data.test.texts)["embeddings"], on_cpu.predict(data.test.texts)["embeddings"]
    assert float(np.min(np.sum(a * b, axis=1))) > 0.99


def test_kd_trains_with_autocast_on_the_gpu_resumes_and_exports(tmp_path):
    ctx = tm.context(tmp_path, device="cuda")
    data = tm.toy_dataset()
    teacher = tm.trained_teacher(tmp_path, data, ctx)
    assert teacher.device.type == "cuda"
    outputs = {
        s: label_outputs(teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    spec = {"layers": 2, "epochs": 3, "lr": 3e-3, "batch_size": 16, "checkpoint_every": 5}
    student = LogitKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    assert student.device.type == "cuda" and len(student.history) == 3
    agree = student.predict(data.test.texts)["logits"].argmax(1) == teacher.predict(data.test.texts)["logits"].argmax(1)
    assert agree.mean() >= 0.9
    events = []
    again = tm.context(tmp_path, device="cuda", teacher=teacher, record=lambda kind, payload: events.append(kind))
    LogitKDTrainer({}, again).train({**spec, "epochs": 4}, data, outputs, again)  # another spec: a fresh run
    assert "train.resumed" not in events and events.count("train.epoch") == 4
    ONNXExporter({}, ctx).export(student, tmp_path / "onnx", texts=data.test.texts)
    assert next(student.net.parameters()).device.type == "cuda"


def test_embedding_distillation_on_the_gpu(tmp_path):
    ctx, data, outputs, spec = tm.embedding_kd_setup(tmp_path, device="cuda")
    spec["epochs"] = 4
    student = EmbeddingKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    scores = [h["val_score"] for h in student.history]
    assert scores[-1] > scores[0]
