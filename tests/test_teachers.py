"""The local Hugging Face teacher and the label cache, on tiny models built from configs."""

from __future__ import annotations

import numpy as np
import pytest
import tinymodels as tm
import torch

from stillroom.errors import ConfigError, PluginError
from stillroom.labels import label_outputs
from stillroom.plugins.devices import pick_device
from stillroom.plugins.teachers.hf import HFTeacher

TEXTS = ["my card has not arrived", "i forgot my pin please help", "send money", "the transfer failed again today"]


@pytest.fixture
def ctx(tmp_path):
    return tm.context(tmp_path)


def test_classifier_teacher_returns_logits_in_input_order_whatever_the_batching(tmp_path, ctx):
    path = tm.classifier_dir(tmp_path / "clf")
    batched = HFTeacher({"path": str(path), "batch_size": 3}, ctx).predict(TEXTS)["logits"]
    one_by_one = np.concatenate([HFTeacher({"path": str(path)}, ctx).predict([t])["logits"] for t in TEXTS])
    assert batched.shape == (4, 3)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    assert HFTeacher({"path": str(path)}, ctx).labels == list(tm.INTENTS)


def test_embedding_teacher_matches_sentence_transformers(tmp_path, ctx):
    from sentence_transformers import SentenceTransformer

    path = tm.encoder_dir(tmp_path / "enc")
    ours = HFTeacher({"path": str(path), "task": "embedding"}, ctx).predict(TEXTS)["embeddings"]
    theirs = SentenceTransformer(str(path), device="cpu").encode(TEXTS, convert_to_numpy=True)
    assert ours.shape == (4, 32)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_bare_encoder_is_refused_as_a_classifier(tmp_path, ctx):
    path = tm.encoder_dir(tmp_path / "enc")
    with pytest.raises(ConfigError, match="no classification head"):
        HFTeacher({"path": str(path), "task": "classification"}, ctx)


def test_fingerprint_follows_weights_and_settings_not_the_readme(tmp_path, ctx):
    path = tm.classifier_dir(tmp_path / "clf")
    before = HFTeacher({"path": str(path)}, ctx).fingerprint()
    (path / "README.md").write_text("notes")
    assert HFTeacher({"path": str(path)}, ctx).fingerprint() == before
    assert HFTeacher({"path": str(path), "max_length": 16}, ctx).fingerprint() != before
    tm.classifier_dir(path, seed=1)
    assert HFTeacher({"path": str(path)}, ctx).fingerprint() != before


def test_causal_teacher_returns_top_k_log_probs_per_position(tmp_path, ctx):
    path = tm.causal_dir(tmp_path / "lm")
    teacher = HFTeacher({"path": str(path), "task": "causal-lm", "top_k": 4}, ctx)
    out = teacher.predict(TEXTS)
    n, width = out["input_ids"].shape
    assert out["topk_logprobs"].shape == (n, width, 4)
    mask = out["attention_mask"].astype(bool)
    values = out["topk_logprobs"][mask]
    assert (values <= 0).all() and (np.diff(values, axis=-1) <= 1e-6).all()
    first = torch.tensor(out["input_ids"][:1, : mask[0].sum()])
    with torch.no_grad():
        full = torch.log_softmax(teacher.model(input_ids=first).logits, dim=-1)[0]
    np.testing.assert_allclose(out["topk_logprobs"][0, : mask[0].sum()], full.topk(4).values.numpy(), atol=1e-4)
    assert len(teacher.generate(TEXTS[:2], max_new_tokens=3)) == 2


def test_classifier_teacher_cannot_generate(tmp_path, ctx):
    with pytest.raises(PluginError, match="cannot generate"):
        HFTeacher({"path": str(tm.classifier_dir(tmp_path / "clf"))}, ctx).generate(["hi"])


def test_label_outputs_runs_the_teacher_once_per_teacher_and_inputs(tmp_path, ctx):
    teacher = HFTeacher({"path": str(tm.classifier_dir(tmp_path / "clf"))}, ctx)
    calls = []
    predict = teacher.predict
    teacher.predict = lambda texts: calls.append(len(texts)) or predict(texts)
    first = label_outputs(teacher, TEXTS, ctx.artifacts)
    second = label_outputs(teacher, TEXTS, ctx.artifacts)
    assert (first.cached, second.cached) == (False, True)
    assert calls == [4]
    np.testing.assert_array_equal(first.outputs["logits"], second.outputs["logits"])
    assert first.digest == second.digest and ctx.artifacts.exists(first.digest)
    assert label_outputs(teacher, TEXTS[:2], ctx.artifacts).cached is False
    assert calls == [4, 2]


def test_device_is_chosen_automatically_and_a_missing_one_is_refused():
    assert pick_device("auto").type in ("cuda", "mps", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            pick_device("cuda")
    with pytest.raises(ConfigError, match="device must be one of"):
        pick_device("tpu")
