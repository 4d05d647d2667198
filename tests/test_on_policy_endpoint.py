"""On-policy distillation (GKD) from a teacher behind an OpenAI-compatible endpoint: the stub server of
``openai_server`` serves the tiny random Llama, and scores the student's own samples through its prompt
log-probs (``score_ids``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import tinymodels as tm

from stillroom.components import Dataset, Split
from stillroom.errors import ConfigError
from stillroom.labels import label_outputs
from stillroom.plugins.teachers.openai import OpenAITeacher
from stillroom.plugins.trainers import losses, tokens
from stillroom.plugins.trainers.preflight import PreflightFailed


@pytest.fixture
def setup(endpoint, tmp_path):
    """A context whose teacher is the endpoint, toy prompts, and the label stage's outputs for them."""
    ctx = tm.context(tmp_path)
    ctx.teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "top_k": 4}, ctx)
    data = Dataset(Split(tm.toy_split(20, 1)[0]), Split(tm.toy_split(6, 2)[0]), Split([]))
    outputs = {s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs
               for s in ("train", "validation")}
    endpoint.requests.clear()  # what the label stage asked is not what these tests are about
    return ctx, data, outputs


def spec(tmp_path, **options):
    served = tmp_path / "served"
    config = {**json.loads((served / "config.json").read_text()), "num_hidden_layers": 1}
    return {"init": "config", "config": config, "tokenizer": str(served), "divergence": "jsd", "max_new_tokens": 3,
            "epochs": 2, "lr": 5e-3, "batch_size": 8} | options


def id_rows_scored(endpoint) -> list[list[int]]:
    """The token-id rows the stub was asked to score with echo and prompt log-probs."""
    return [body["prompt"] for path, body in endpoint.requests
            if path == "/v1/completions" and body.get("echo") and body.get("logprobs")
            and isinstance(body["prompt"], list)]


def test_the_loss_reads_the_endpoints_scores_of_the_students_own_samples(setup, endpoint, tmp_path, monkeypatch):
    ctx, data, outputs = setup
    sampled, scored, read = [], [], []
    real_samples, real_kd, real_score = tokens.student_samples, losses.token_kd, ctx.teacher.score_ids

    def samples(*args):
        out, mask = real_samples(*args)
        sampled.extend(row[: int(n)].tolist() for row, n in zip(out, mask.sum(dim=1), strict=True))
        return out, mask

    def score_ids(rows):
        scored.append(real_score(rows))
        return scored[-1]

    def token_kd(logits, topk_ids, topk_logprobs, mask, divergence, beta):
        read.append((topk_ids.clone(), mask.clone()))
        return real_kd(logits, topk_ids, topk_logprobs, mask, divergence, beta)

    monkeypatch.setattr(tokens, "student_samples", samples)
    monkeypatch.setattr(losses, "token_kd", token_kd)
    monkeypatch.setattr(ctx.teacher, "score_ids", score_ids)
    student = tokens.TokenKDTrainer({}, ctx).train(spec(tmp_path, on_policy=1.0), data, outputs, ctx)

    batches = 1 + 2 * math.ceil(len(data.train) / 8)  # the first-step check, then two epochs
    assert len(scored) == len(read) == batches and len(student.history) == 2
    assert all(math.isfinite(epoch["loss"]) for epoch in student.history)
    # the endpoint was sent exactly the student's samples, as token ids, and nothing else
    assert sorted(map(tuple, id_rows_scored(endpoint))) == sorted(map(tuple, sampled))
    decoded = {endpoint.tokenizer.decode(row, skip_special_tokens=True) for row in sampled}
    assert decoded - set(data.train.texts), "every sample is a training text: the student continued none"
    # each loss read the endpoint's top-k of that batch's samples, on the continuation's positions only
    for (topk_ids, mask), answer in zip(read, scored, strict=True):
        width = answer["topk_ids"].shape[1]
        real = answer["attention_mask"].astype(bool)
        assert (topk_ids[:, :width].numpy()[real] == answer["topk_ids"][real]).all()
        assert 0 < int(mask.sum()) < int(real.sum())  # the prompts' positions are not in the loss


def test_the_other_batches_score_each_teacher_continuation_once_however_often_they_are_read(setup, endpoint, tmp_path,
                                                                                           monkeypatch):
    ctx, data, outputs = setup
    calls = []  # (the rows already scored it was given, rows in the batch); the dicts are kept, so `is` tells them
    real = tokens.teacher_scores

    def teacher_scores(teacher, ids, mask, known):
        calls.append((known, ids.shape[0]))
        return real(teacher, ids, mask, known)

    monkeypatch.setattr(tokens, "teacher_scores", teacher_scores)
    tokens.TokenKDTrainer({}, ctx).train(spec(tmp_path, on_policy=0.5), data, outputs, ctx)
    continuations = tokens.generations(ctx.teacher, list(data.train.texts), 3, ctx.artifacts)
    theirs = {tuple(ids) for ids in endpoint.tokenizer([tokens.continued(t, c) for t, c in
                                                        zip(data.train.texts, continuations, strict=True)])["input_ids"]}
    asked = [tuple(row) for row in id_rows_scored(endpoint) if tuple(row) in theirs]
    memo = max((known for known, _ in calls), key=lambda known: sum(k is known for k, _ in calls))
    read = sum(n for known, n in calls if known is memo)
    assert len(calls) == 1 + 2 * math.ceil(len(data.train) / 8)
    assert 0 < len(calls) - sum(k is memo for k, _ in calls), "no batch was the student's own samples"
    # the teacher's rows were read more often than there are of them, yet each was asked for once
    assert len(asked) == len(set(asked)) == len(memo) < read


def test_an_on_policy_pipeline_with_an_endpoint_teacher_records_the_option(workspace, endpoint, tmp_path):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(30, 5)[0]))))
    student = spec(tmp_path, on_policy=0.5, epochs=1)
    run = run_pipeline(workspace, parse_spec({
        "name": "gkd-endpoint", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "openai", "task": "causal-lm", "url": endpoint.url, "model": "tiny-llama", "top_k": 4},
        "curate": False, "evaluators": [], "exporters": [], "baseline": False, "student": student,
    }), initiator="op", progress=False)
    entries = [json.loads(leaf) for _seq, leaf, _sig, _hash in workspace.ledger().rows()]
    start = next(e for e in entries if e["kind"] == "run.start" and e["run_id"] == run.run_id)
    assert start["payload"]["spec"]["student"]["on_policy"] == 0.5
    manifest = workspace.artifacts.read_json(run.artifacts["student"])
    assert manifest["student_spec"]["on_policy"] == 0.5 and manifest["trainer"] == "token-kd"
    assert id_rows_scored(endpoint), "the endpoint never scored a row of token ids"


def test_an_endpoint_without_prompt_log_probs_is_one_config_error(setup, endpoint, tmp_path):
    ctx, data, outputs = setup
    endpoint.faults.add("no-logprobs")
    # the first it asks: its top-k along the validation prompts and its answers to them, which choose the epoch
    with pytest.raises(ConfigError, match=r"^the teacher endpoint http://127\.0\.0\.1:\d+/v1 returned no prompt "
                                          r"log-probs for text 0, .* \(vLLM does\)$") as raised:
        tokens.TokenKDTrainer({}, ctx).train(spec(tmp_path, on_policy=0.5), data, outputs, ctx)
    assert not any(text in str(raised.value) for text in data.train.texts + data.validation.texts)
    # and the student's samples, sent as token ids, the same
    with pytest.raises(ConfigError, match=r"^the teacher endpoint http://127\.0\.0\.1:\d+/v1 returned no prompt "
                                          r"log-probs for token-id row 0, .* \(vLLM does\)$"):
        ctx.teacher.score_ids([outputs["train"]["input_ids"][0][:3].tolist()])


def test_a_student_that_splits_the_prompts_otherwise_than_the_endpoint_is_refused(setup, endpoint, tmp_path):
    from transformers import BertTokenizer

    ctx, data, outputs = setup
    words = tm.vocabulary()
    other = tmp_path / "other-tokenizer"
    BertTokenizer(vocab={w: i for i, w in enumerate(words[:5] + words[5:][::-1])}).save_pretrained(other)
    with pytest.raises(PreflightFailed, match=f"split {len(data.train)} of {len(data.train)} training texts into "
                                              "different token ids: .* the served model's tokenizer"):
        tokens.TokenKDTrainer({}, ctx).train(spec(tmp_path, on_policy=0.5, tokenizer=str(other)), data, outputs, ctx)
    assert not id_rows_scored(endpoint)  # refused before a single row was sent


def test_on_policy_with_a_teacher_that_cannot_score_ids_names_both_ways(tmp_path):
    ctx = tm.context(tmp_path)
    from stillroom.plugins.teachers.hf import HFTeacher

    ctx.teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm"}, ctx)
    data = Dataset(Split(tm.toy_split(8, 1)[0]), Split([]), Split([]))
    with pytest.raises(ConfigError, match="needs method: kd and live: true with a local teacher, or a teacher that "
                                          "scores token ids through its endpoint"):
        tokens.TokenKDTrainer({}, ctx).train({"init": "config", "on_policy": 0.5}, data, {}, ctx)


def test_score_ids_reads_the_rows_as_given_and_matches_scoring_their_text(setup, endpoint):
    ctx, data, _ = setup
    texts = list(data.train.texts[:3])
    by_text = ctx.teacher.predict(texts)
    rows = [ids[mask.astype(bool)].tolist() for ids, mask in zip(by_text["input_ids"], by_text["attention_mask"],
                                                                 strict=True)]
    by_ids = ctx.teacher.score_ids(rows)
    assert set(by_ids) == set(by_text)
    for key in by_text:
        np.testing.assert_array_equal(by_ids[key], by_text[key])
