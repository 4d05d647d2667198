"""Exporters write the student, reload what they wrote, and refuse an export that disagrees with it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tinymodels as tm

from stillroom.errors import PluginError
from stillroom.plugins.exporters.checks import ExportCheckFailed
from stillroom.plugins.exporters.hf import HFExporter
from stillroom.plugins.exporters.int8 import ONNXInt8Exporter
from stillroom.plugins.exporters.onnx import ONNXExporter, run_onnx, session
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.build import build_student


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("exporters")
    ctx = tm.context(root)
    data = tm.toy_dataset()
    teacher = HFTeacher({"path": str(tm.classifier_dir(root / "clf"))}, ctx)
    student = build_student({"layers": 2}, teacher=teacher, task="classification", label_names=data.label_names)
    return ctx, data, student


def test_hf_export_loads_with_auto_model_and_computes_the_same_logits(setup, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    ctx, data, student = setup
    HFExporter({}, ctx).export(student, tmp_path / "hf", texts=data.test.texts)
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "hf").eval()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "hf")
    assert model.config.id2label[0] == "card_arrival"
    with torch.no_grad():
        logits = model(**tokenizer(data.test.texts[:4], padding=True, return_tensors="pt")).logits.numpy()
    np.testing.assert_allclose(logits, student.predict(data.test.texts[:4])["logits"], atol=1e-5)


def test_onnx_export_agrees_with_the_torch_student_and_reports_size_and_latency(setup, tmp_path):
    ctx, data, student = setup
    files = ONNXExporter({}, ctx).export(student, tmp_path / "onnx", texts=data.test.texts)
    assert {"model.onnx", "export_check.json", "tokenizer.json"} <= {f.name for f in files}
    report = json.loads((tmp_path / "onnx" / "export_check.json").read_text())
    assert report["agreement"] >= 0.995 and report["texts"] == len(data.test.texts)
    assert report["size_mb"] > 0 and 0 < report["latency_ms_p50"] <= report["latency_ms_p95"]
    logits = run_onnx(session(tmp_path / "onnx" / "model.onnx"), student, data.test.texts[:7])
    np.testing.assert_allclose(logits, student.predict(data.test.texts[:7])["logits"], atol=1e-4)


def test_int8_export_is_smaller_and_passes_its_own_fidelity_check(setup, tmp_path):
    ctx, data, student = setup
    ONNXExporter({}, ctx).export(student, tmp_path / "fp32", texts=data.test.texts)
    ONNXInt8Exporter({}, ctx).export(student, tmp_path / "int8", texts=data.test.texts)
    report = json.loads((tmp_path / "int8" / "export_check.json").read_text())
    assert report["agreement"] >= report["threshold"] == 0.97
    assert (tmp_path / "int8" / "model.onnx").stat().st_size < (tmp_path / "fp32" / "model.onnx").stat().st_size


def test_an_export_below_its_agreement_threshold_fails(setup, tmp_path):
    ctx, data, student = setup
    with pytest.raises(ExportCheckFailed, match="top-1 agreement with the in-memory student is"):
        ONNXExporter({"min_agreement": 1.01}, ctx).export(student, tmp_path / "onnx", texts=data.test.texts)


def test_an_export_needs_texts_to_check_against(setup, tmp_path):
    ctx, data, student = setup
    with pytest.raises(PluginError, match="needs texts"):
        ONNXExporter({}, ctx).export(student, tmp_path / "onnx")


def test_embedding_student_exports_to_onnx_with_cosine_agreement(tmp_path):
    ctx = tm.context(tmp_path)
    teacher = HFTeacher({"path": str(tm.encoder_dir(tmp_path / "enc")), "task": "embedding"}, ctx)
    student = build_student({"layers": 1}, teacher=teacher, task="embedding", label_names=None)
    texts = tm.toy_split(30, 5)[0]
    ONNXExporter({}, ctx).export(student, tmp_path / "onnx", texts=texts)
    assert json.loads((tmp_path / "onnx" / "export_check.json").read_text())["agreement"] >= 0.999
    files = HFExporter({}, ctx).export(student, tmp_path / "hf", texts=texts)
    assert {"modules.json", "config.json", "model.safetensors"} <= {f.name for f in files}


def test_model_card_has_a_hugging_face_header_metrics_slices_and_charts(tmp_path):
    import yaml

    from stillroom.components import Evaluation
    from stillroom.plugins.exporters.card import write_model_card

    chart = tmp_path / "charts" / "slices-label.png"
    chart.parent.mkdir()
    chart.write_bytes(b"\x89PNG\r\n\x1a\n")
    evaluations = [
        Evaluation("task", {"accuracy": 0.91, "teacher_accuracy": 0.93, "macro_f1": 0.9}),
        Evaluation(
            "slices",
            {"worst_slice_drop": 0.05},
            {"label": {"pin": {"n": 12.0, "accuracy": 0.9, "teacher_accuracy": 0.95, "drop": 0.05}}},
            {"slices-label.png": chart},
        ),
    ]
    card = write_model_card(
        tmp_path / "out",
        name="intent-student",
        task="classification",
        teacher={"name": "hf", "location": "file:///models/t", "fingerprint": "ab" * 32},
        data={"train": "11" * 32, "test": "22" * 32},
        evaluations=evaluations,
        intended_use="Routing banking queries.",
        limitations=["English only."],
    )
    text = card.read_text()
    header = yaml.safe_load(text.split("---")[1])
    assert header["pipeline_tag"] == "text-classification" and "distillation" in header["tags"]
    metrics = {m["type"]: m["value"] for m in header["model-index"][0]["results"][0]["metrics"]}
    assert metrics == {"accuracy": 0.91, "macro_f1": 0.9, "worst_slice_drop": 0.05}
    assert "| accuracy | 0.9100 | 0.9300 |" in text and "| pin | 12 | 0.9000 | 0.9500 | 0.0500 |" in text
    assert "ab" * 32 in text and "22" * 32 in text and "English only." in text
    assert (tmp_path / "out" / "slices-label.png").is_file() and "](slices-label.png)" in text


def test_a_teacher_that_has_predicted_can_still_be_exported(tmp_path):
    from stillroom.plugins.trainers.student import HFStudent, StudentNet

    ctx = tm.context(tmp_path)
    teacher = HFTeacher({"path": str(tm.classifier_dir(tmp_path / "clf"))}, ctx)
    texts = tm.toy_split(20, 4)[0]
    teacher.predict(texts)
    as_student = HFStudent(StudentNet(teacher.model, "classification"), teacher.tokenizer, device=teacher.device)
    ONNXExporter({}, ctx).export(as_student, tmp_path / "onnx", texts=texts)
    assert json.loads((tmp_path / "onnx" / "export_check.json").read_text())["agreement"] == 1.0


def causal_student(root, model_type: str = "llama", seed: int = 0):
    """A one-layer causal LM built from a config, over the toy vocabulary, as the token-kd trainer builds one."""
    import torch

    ctx = tm.context(root)
    teacher = HFTeacher({"path": str(tm.causal_dir(root / "lm")), "task": "causal-lm"}, ctx)
    config = {"num_hidden_layers": 1}
    if model_type == "gpt2":
        size = len(tm.vocabulary())
        config = {"model_type": "gpt2", "vocab_size": size, "n_embd": 32, "n_layer": 1, "n_head": 2, "n_positions": 64}
    torch.manual_seed(seed)
    spec = {"init": "config", "config": config, "tokenizer": str(root / "lm")}
    return ctx, build_student(spec, teacher=teacher, task="causal-lm", label_names=None)


@pytest.fixture(scope="module")
def causal(tmp_path_factory):
    ctx, student = causal_student(tmp_path_factory.mktemp("causal"))
    return ctx, student, tm.toy_split(40, 3)[0]


@pytest.mark.parametrize("model_type", ["llama", "gpt2"])
def test_causal_lm_exports_to_onnx_agreeing_on_the_next_token_at_every_position(tmp_path, model_type):
    ctx, student = causal_student(tmp_path, model_type)
    texts = tm.toy_split(40, 3)[0]
    files = ONNXExporter({}, ctx).export(student, tmp_path / "onnx", texts=texts)
    assert {"model.onnx", "export_check.json", "tokenizer.json"} <= {f.name for f in files}
    report = json.loads((tmp_path / "onnx" / "export_check.json").read_text())
    real_tokens = sum(len(ids) for ids in student.tokenizer(texts)["input_ids"])
    assert report["agreement"] >= report["threshold"] == 0.995 and report["positions"] == real_tokens
    assert report["kv_cache"] is False and 0 < report["latency_ms_p50"] <= report["latency_ms_p95"]
    sess = session(tmp_path / "onnx" / "model.onnx")
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in sess.get_outputs()] == ["logits"]
    # a padded batch wider than the 8 tokens the graph was traced on: the sequence axis is dynamic
    batch = [texts[0], " ".join(texts[:5])]
    encoded = student.encode(batch, return_tensors="np")
    logits = sess.run(None, {k: np.asarray(v, dtype=np.int64) for k, v in encoded.items()})[0]
    real = encoded["attention_mask"].astype(bool)
    assert logits.shape[:2] == real.shape and real.shape[1] > 8
    import torch

    with torch.no_grad():
        expected = student.net(*(torch.as_tensor(encoded[k]) for k in ("input_ids", "attention_mask"))).numpy()
    np.testing.assert_allclose(logits[real], expected[real], atol=1e-4)


def test_causal_lm_int8_export_reports_its_agreement_and_where_it_disagrees(causal, tmp_path):
    ctx, student, texts = causal
    ONNXExporter({}, ctx).export(student, tmp_path / "fp32", texts=texts)
    ONNXInt8Exporter({}, ctx).export(student, tmp_path / "int8", texts=texts)
    report = json.loads((tmp_path / "int8" / "export_check.json").read_text())
    assert report["agreement"] >= report["threshold"] == 0.97
    assert report["disagreements"] == round((1 - report["agreement"]) * report["positions"])
    assert 0 <= report["disagreements_at_near_ties"] <= report["disagreements"]
    assert (tmp_path / "int8" / "model.onnx").stat().st_size < (tmp_path / "fp32" / "model.onnx").stat().st_size


def test_causal_lm_int8_below_its_threshold_fails_saying_to_ship_fp32(causal, tmp_path):
    ctx, student, texts = causal
    with pytest.raises(ExportCheckFailed, match="next-token top-1 agreement .* below 1.01; int8 quantization costs"):
        ONNXInt8Exporter({"min_agreement": 1.01}, ctx).export(student, tmp_path / "int8", texts=texts)


def test_a_truncated_onnx_export_is_caught_with_a_clear_error(causal, tmp_path):
    ctx, student, texts = causal

    class TruncatingExporter(ONNXExporter):  # a write cut short, as by a full disk
        def write_model(self, student, path):
            super().write_model(student, path)
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    message = r"model.onnx \(\d+ bytes\) does not load in onnxruntime \(.*Protobuf parsing failed.*\): it is truncated"
    with pytest.raises(ExportCheckFailed, match=message):
        TruncatingExporter({}, ctx).export(student, tmp_path / "onnx", texts=texts)


def test_a_causal_export_of_other_weights_fails_its_agreement_check(causal, tmp_path):
    from stillroom.plugins.exporters.onnx import export_onnx

    ctx, student, texts = causal
    _, other = causal_student(tmp_path / "other", seed=1)

    class StaleExporter(ONNXExporter):  # a file from another training run where this one's should be
        def write_model(self, student, path):
            export_onnx(other, path)

    with pytest.raises(ExportCheckFailed, match="next-token top-1 agreement with the in-memory student is 0"):
        StaleExporter({}, ctx).export(student, tmp_path / "onnx", texts=texts)
    report = json.loads((tmp_path / "onnx" / "export_check.json").read_text())
    assert report["agreement"] < 0.5 and report["disagreements"] > report["positions"] / 2


def test_causal_lm_hf_export_reloads_with_auto_model_for_causal_lm(causal, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    ctx, student, texts = causal
    HFExporter({}, ctx).export(student, tmp_path / "hf", texts=texts)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    encoded = student.encode(texts[:4])
    with torch.no_grad():
        np.testing.assert_allclose(model(**encoded).logits.numpy(), student.net(**encoded).numpy(), atol=1e-5)


def test_an_embedding_student_with_a_projection_head_loads_with_sentence_transformers(tmp_path):
    """The exported directory carries the head as a Dense module: SentenceTransformer computes the same embeddings."""
    from sentence_transformers import SentenceTransformer

    from stillroom.plugins.trainers.embedding import EmbeddingKDTrainer

    ctx, data, outputs, spec = tm.embedding_kd_setup(tmp_path)
    student = EmbeddingKDTrainer({}, ctx).train({**spec, "epochs": 1}, data, outputs, ctx)
    assert student.net.projection is not None  # 32 wide, projected to the teacher's 48
    HFExporter({}, ctx).export(student, tmp_path / "hf", texts=data.test.texts)
    texts = data.test.texts[:8]
    theirs = SentenceTransformer(str(tmp_path / "hf"), device="cpu").encode(texts, convert_to_numpy=True)
    assert theirs.shape == (8, 48)
    np.testing.assert_allclose(theirs, student.predict(texts)["embeddings"], atol=1e-5)
