"""curate.answer (issue 14, item 4): a causal-LM teacher answers every training prompt in the curate stage; the
answers are scrubbed, filtered on the teacher's mean token log-prob, deduplicated, counted in the funnel and
cached, and sequence-level KD trains on them."""

from __future__ import annotations

import json
import re
import statistics

import pytest
import tinymodels as tm

from stillroom.errors import ConfigError
from stillroom.pii_lists import NO_LISTS, ListedScrub

EMAIL = "maria.lopez@bankmail.com"


def _answer_for(text: str) -> str:
    return f" write to {EMAIL}" if "card" in text else f" sure, {text}"


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory):
    """A tiny byte-level Llama taught to answer card questions with an e-mail address: PII from its weights."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tm.byte_level_causal_dir(tmp_path_factory.mktemp("answerer") / "lm")
    model, tokenizer = AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    texts = sorted(set(tm.toy_split(60, 5)[0]))
    encoded = tokenizer([t + _answer_for(t) + tokenizer.eos_token for t in texts], padding=True, return_tensors="pt")
    labels = encoded["input_ids"].masked_fill(encoded["attention_mask"] == 0, -100)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    for _ in range(120):
        optimizer.zero_grad()
        model(**encoded, labels=labels).loss.backward()
        optimizer.step()
    model.save_pretrained(path)
    return path


def _spec(source, teacher, answer, **student):
    from stillroom.config import parse_spec

    return parse_spec({
        "name": "answers", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
        "teacher": {"type": "hf", "path": str(teacher), "task": "causal-lm", "max_length": 64},
        "scrub": {"type": "presidio", "workers": 1},
        "curate": {"answer": answer} if answer is not None else {},
        "student": {"layers": 1, "epochs": 1, "batch_size": 16, "method": "sequence", **student},
        "baseline": False, "evaluators": [], "exporters": [],
    })


def test_answers_are_scrubbed_filtered_on_log_prob_counted_in_the_funnel_and_cached(workspace, teacher_dir,
                                                                                     monkeypatch):
    from stillroom.pipeline import run_pipeline
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.run.datasets import load_dataset

    source = workspace.root / "queries.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(60, 5)[0]))))
    calls = []
    answer = HFTeacher.answer
    monkeypatch.setattr(HFTeacher, "answer", lambda self, prompts, **o: calls.append(len(prompts)) or
                        answer(self, prompts, **o))
    generated = []  # a trainer's own fallback answers (``tokens.generations``)
    generate = HFTeacher.generate
    monkeypatch.setattr(HFTeacher, "generate", lambda self, prompts, **o: generated.append(len(prompts)) or
                        generate(self, prompts, **o))

    first = run_pipeline(workspace, _spec(source, teacher_dir, {"max_new_tokens": 32}), initiator="op",
                         progress=False)
    made = workspace.artifacts.read_json(first.artifacts["answers"])
    dataset = load_dataset(workspace.artifacts, first.artifacts["dataset"])
    prompts = calls[0]
    # the validation prompts are answered too, once, never filtered: a trainer chooses its epoch on them
    assert calls == [prompts, len(dataset.validation)] and len(dataset.validation.answers) == len(dataset.validation)
    assert first.artifacts["validation_answers"] != first.artifacts["answers"]
    assert len(made["answers"]) == len(made["mean_logprob"]) == prompts > len(dataset.train.texts) * 0.5
    # the teacher wrote the address from its weights; the scrubber replaced it before the artifact was written
    assert sum("<EMAIL_ADDRESS>" in a for a in made["answers"]) >= 1 and made["scrub"]["counts"]
    assert not any(EMAIL in a or "@" in a for a in made["answers"] + dataset.train.answers + dataset.validation.answers)
    assert all(m <= 0 for m in made["mean_logprob"])
    # the sequence-KD arm trained on the curated answers: nothing was generated at train time
    assert generated == []
    assert len(dataset.train.answers) == len(dataset.train.texts)

    # a threshold between the answers' log-probs: the re-run reads the cache and drops those below it
    floor = statistics.median(made["mean_logprob"])
    second = run_pipeline(workspace, _spec(source, teacher_dir, {"max_new_tokens": 32, "min_logprob": floor}),
                          initiator="op", progress=False)
    assert calls == [prompts, len(dataset.validation)] and second.artifacts["answers"] == first.artifacts["answers"]
    funnel = workspace.artifacts.read_json(second.artifacts["curation_funnel"])
    step = next(s for s in funnel["funnel"] if s["step"] == "answer")
    below = sum(m < floor for k, m in enumerate(made["mean_logprob"])
                if k not in made["residual"] and made["answers"][k].strip())
    assert below >= 1 and step["dropped"]["low_logprob"] == below and step["min_logprob"] == floor
    assert sum(d["reason"] == "low_logprob" and d["step"] == "answer" for d in funnel["drops"]) == below
    kept = load_dataset(workspace.artifacts, second.artifacts["dataset"])
    assert step["in"] == prompts and step["out"] == step["in"] - sum(step["dropped"].values()) == len(kept.train.texts)


def _workspace_files_holding(workspace, text: str) -> list[str]:
    """Every file under the workspace (artifacts, caches, the store, run scratch) whose bytes hold ``text``."""
    return [str(p) for p in workspace.root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_a_trainer_that_answers_at_train_time_keeps_only_scrubbed_answers(workspace, teacher_dir, monkeypatch):
    """Sequence KD without curate.answer: the trainer has the teacher answer the prompts itself. The teacher
    writes an e-mail address from its weights, and "sure", which the policy lists as always PII (standing for a
    client code word no detector knows); the student must learn the scrubbed answers, and no file the run leaves
    (its cached generations included) may hold the address."""
    from people import adopt_policy

    from stillroom.pipeline import run_pipeline
    from stillroom.plugins.teachers.hf import HFTeacher

    policy = workspace.policy_dir / "residency.yaml"
    policy.write_text(policy.read_text() + '  always_pii: ["sure"]\n')
    adopt_policy(workspace)
    source = workspace.root / "queries.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(60, 5)[0]))))
    written = []
    generate = HFTeacher.generate
    monkeypatch.setattr(HFTeacher, "generate", lambda self, prompts, **o: written.extend(
        out := generate(self, prompts, **o)) or out)
    learned = []
    from stillroom.plugins.trainers import tokens

    continued = tokens.continued
    monkeypatch.setattr(tokens, "continued", lambda text, answer: learned.append(answer) or continued(text, answer))
    run_pipeline(workspace, _spec(source, teacher_dir, None, max_new_tokens=32), initiator="op", progress=False)
    # the attack: the teacher did write both, at train time
    assert any(EMAIL in text for text in written) and any(re.search(r"\bsure\b", t) for t in written)
    assert learned and any("<EMAIL_ADDRESS>" in a for a in learned) and not any(EMAIL in a for a in learned)
    assert any("<DENY_LISTED>" in a for a in learned) and not any(re.search(r"\bsure\b", a) for a in learned)
    told = [e.payload for e in workspace.ledger().entries(kind="train.answers_scrubbed")]
    assert told and told[0]["replaced"]["EMAIL_ADDRESS"] >= 1 and told[0]["replaced"]["DENY_LISTED"] >= 1
    assert _workspace_files_holding(workspace, EMAIL) == []
    assert _workspace_files_holding(workspace, "<EMAIL_ADDRESS>")  # the scrubbed generations are what was kept


def test_a_term_the_policy_lists_as_always_pii_is_replaced_in_what_the_teacher_writes(workspace, teacher_dir):
    """The policy's always_pii terms apply to text a teacher writes as they do to the records: the teacher
    answers "sure, ..." and the policy lists "sure" (standing for a client code word no detector knows)."""
    from people import adopt_policy

    from stillroom.pipeline import run_pipeline

    policy = workspace.policy_dir / "residency.yaml"
    policy.write_text(policy.read_text() + '  always_pii: ["sure"]\n')
    adopt_policy(workspace)
    source = workspace.root / "queries.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(60, 5)[0]))))
    run = run_pipeline(workspace, _spec(source, teacher_dir, {"max_new_tokens": 32}), initiator="op",
                       progress=False)
    made = workspace.artifacts.read_json(run.artifacts["answers"])
    assert sum("<DENY_LISTED>" in a for a in made["answers"]) >= 1
    assert not any(re.search(r"\bsure\b", a, re.IGNORECASE) for a in made["answers"])


@pytest.mark.parametrize(("answer", "message"), [
    ({"min_confidence": 0.5}, "min_confidence"),
    ({"min_logprob": "low"}, "min_logprob"),
    ({"min_logprob": 0.5}, "min_logprob"),
    ({"temperature": -1}, "temperature"),
])
def test_bad_answer_options_are_one_sentence(answer, message):
    from stillroom.config import parse_spec

    with pytest.raises(ConfigError, match=message) as refused:
        parse_spec({"name": "x", "source": {"type": "jsonl", "path": "x.jsonl"},
                    "teacher": {"path": "t", "task": "causal-lm"}, "curate": {"answer": answer}})
    assert "\n" not in str(refused.value)


def test_a_classifier_pipeline_cannot_have_its_teacher_answer(workspace, tmp_path):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    source = tmp_path / "q.jsonl"
    texts, labels = tm.toy_split(30, 5)
    source.write_text("".join(json.dumps({"text": t, "label": list(tm.INTENTS)[y]}) + "\n" for t, y in zip(texts, labels)))
    spec = parse_spec({
        "name": "cls", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
        "data": {"label_field": "label"}, "curate": {"answer": {}}, "baseline": False, "evaluators": [],
        "exporters": []})
    with pytest.raises(ConfigError, match="needs a causal-LM teacher"):
        run_pipeline(workspace, spec, initiator="op", progress=False)


def test_mean_logprob_is_the_teacher_forced_mean_over_the_answer_up_to_its_end_of_text(tmp_path):
    import torch

    from stillroom.plugins.teachers.hf import HFTeacher, _mean_logprobs

    teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm"}, tm.context(tmp_path))
    encoded = {k: v for k, v in teacher.tokenizer(["my card has not arrived"], return_tensors="pt").items()
               if k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        out = teacher.model.generate(**encoded, max_new_tokens=6, do_sample=False, return_dict_in_generate=True,
                                     output_logits=True, pad_token_id=teacher.tokenizer.pad_token_id)
        forced = torch.log_softmax(teacher.model(out.sequences).logits.float(), dim=-1)
    start = encoded["input_ids"].shape[1]
    new = out.sequences[:, start:]
    chosen = forced[0, start - 1 : -1].gather(-1, new[0, :, None])[:, 0]
    assert new.shape[1] == 6 and chosen.max() < 0
    assert _mean_logprobs(out.logits, new, set()) == pytest.approx([chosen.mean().item()], abs=1e-4)
    # taken as end-of-text, the first token that repeats none before it ends the answer: it counts, the rest not
    tokens = new[0].tolist()
    k = next(k for k in range(1, 6) if tokens[k] not in tokens[:k])
    assert _mean_logprobs(out.logits, new, {tokens[k]}) == pytest.approx([chosen[: k + 1].mean().item()], abs=1e-4)
    text, mean = teacher.answer(["my card has not arrived"], max_new_tokens=6)[0]
    assert text == teacher.generate(["my card has not arrived"], max_new_tokens=6)[0]
    assert mean <= 0


def test_a_train_time_answer_length_is_refused_when_curate_answered(tmp_path):
    from stillroom.components import Dataset, Split
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    data = Dataset(Split(["my pin is blocked"], answers=["reset it in the app"]), Split([]), Split([]))
    with pytest.raises(ConfigError, match="set curate.answer.max_new_tokens"):
        TokenKDTrainer({}, tm.context(tmp_path)).train({"method": "sequence", "max_new_tokens": 8}, data, {},
                                                        tm.context(tmp_path))


def test_an_endpoint_teachers_answers_are_scrubbed_and_filtered_on_the_log_probs_it_returns(workspace, teacher_dir):
    """The same model behind an OpenAI-compatible endpoint (vLLM's API, on loopback): the pipeline's curate
    stage has it answer through ``answer``, scrubs what it wrote and filters on the log-probs the endpoint sent."""
    from openai_server import serve

    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.run.datasets import load_dataset

    source = workspace.root / "queries.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(60, 5)[0]))))
    server = serve(teacher_dir)
    config = {**json.loads((teacher_dir / "config.json").read_text()), "num_hidden_layers": 1}

    def spec(answer):
        return parse_spec({
            "name": "endpoint-answers", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
            "teacher": {"type": "openai", "task": "causal-lm", "url": server.url, "model": "tiny-llama"},
            "scrub": {"type": "presidio", "workers": 1},
            "curate": {"answer": {"max_new_tokens": 32, **answer}},
            "student": {"init": "config", "config": config, "tokenizer": str(teacher_dir), "epochs": 1,
                        "batch_size": 16, "method": "sequence"},
            "baseline": False, "evaluators": [], "exporters": [],
        })

    try:
        first = run_pipeline(workspace, spec({}), initiator="op", progress=False)
        made = workspace.artifacts.read_json(first.artifacts["answers"])
        assert sum("<EMAIL_ADDRESS>" in a for a in made["answers"]) >= 1
        assert not any(EMAIL in a or "@" in a for a in made["answers"])
        assert all(isinstance(m, float) and m <= 0 for m in made["mean_logprob"])
        floor = statistics.median(made["mean_logprob"])
        second = run_pipeline(workspace, spec({"min_logprob": floor}), initiator="op", progress=False)
    finally:
        server.shutdown()
        server.server_close()
    assert second.artifacts["answers"] == first.artifacts["answers"]  # cached: the endpoint answered once
    funnel = workspace.artifacts.read_json(second.artifacts["curation_funnel"])
    step = next(s for s in funnel["funnel"] if s["step"] == "answer")
    below = sum(m < floor for k, m in enumerate(made["mean_logprob"])
                if k not in made["residual"] and made["answers"][k].strip())
    assert below >= 1 and step["dropped"]["low_logprob"] == below
    kept = load_dataset(workspace.artifacts, second.artifacts["dataset"])
    assert len(kept.train.answers) == len(kept.train.texts) == step["out"]
    assert not any("@" in a for a in kept.train.answers)


def _benchmark():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("causal_lm", Path(__file__).parents[1] / "benchmarks" / "causal_lm.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_benchmarks_arms_train_on_answers_curated_as_the_curate_stage_makes_them(teacher_dir, tmp_path,
                                                                                       monkeypatch):
    """benchmarks/causal_lm.py's sequence-KD arm is SFT on the answers a pipeline's ``curate.answer`` would keep:
    through ``curate`` and ``labels.teacher_answers``, scrubbed, screened against the held-out prompts."""
    import stillroom.labels
    from stillroom.cli import plugin_manager
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers import tokens

    bench = _benchmark()
    ctx = tm.context(tmp_path)
    ctx.teacher = teacher = HFTeacher({"path": str(teacher_dir), "task": "causal-lm", "max_length": 64}, ctx)
    scrub = ListedScrub.for_text(
        plugin_manager(None).component("scrubber", "presidio")({"fields": ["text"], "workers": 1}, ctx), NO_LISTS)
    texts = sorted(set(tm.toy_split(60, 5)[0]))
    held_out, train = texts[-6:], texts[:-6] + texts[-2:]  # two training prompts are held-out ones
    calls = []
    shared = stillroom.labels.teacher_answers
    monkeypatch.setattr(stillroom.labels, "teacher_answers", lambda *a, **k: calls.append(a[1]) or shared(*a, **k))

    # Every answer carries an address, so the assertions below read what the scrubber did to answers, not
    # what a random model happened to babble.
    speak = teacher.answer
    monkeypatch.setattr(teacher, "answer", lambda prompts, **k: [(f"{t} write to {EMAIL}", m)
                                                                 for t, m in speak(prompts, **k)])
    curated = bench.curated_answers(teacher, train, held_out, lambda text: f"Q: {text}\nA:", 32, ctx, scrub)
    funnel = {step["step"]: step for step in curated.result.funnel}
    assert funnel["contamination"]["dropped"].get("eval_overlap_exact", 0) >= 1
    # the teacher answered what dedupe and the overlap check kept, as its prompt: none of the held-out prompts
    (asked,) = calls
    assert len(asked) == funnel["answer"]["in"] == funnel["contamination"]["out"] < len(train)
    assert all(p.startswith("Q: ") for p in asked) and not {f"Q: {t}\nA:" for t in held_out} & set(asked)
    assert funnel["answer"]["out"] == len(curated.kept) and not set(held_out) & set(curated.kept)
    assert len(curated.answers) == len(curated.kept) >= 0.5 * len(train)
    assert all(a.endswith("write to <EMAIL_ADDRESS>") for a in curated.answers)
    assert not any(re.search(r"\S+@\S+\.\w", a) for a in curated.answers)

    prompts = {"train": [f"Q: {t}\nA:" for t in curated.kept], "validation": held_out[:3], "test": held_out[3:]}
    answers = {"train": curated.answers, "validation": ["an answer"] * 3}
    common = {"init": "checkpoint", "checkpoint": str(teacher_dir), "epochs": 1, "lr": 1e-4, "batch_size": 16,
              "max_length": 64, "max_new_tokens": 8, "device": "cpu", "prompt_loss": False}
    for arm in bench.ARMS:  # each prompt with its answer, as a pipeline with curate.answer gives them
        spec, data = bench.arm_training(arm, common, prompts, answers)
        assert data.train.texts == prompts["train"] and data.train.answers == curated.answers
        assert data.validation.texts == prompts["validation"] and data.validation.answers == answers["validation"]
        assert "prompt_loss" not in spec
    assert bench.arm_training("token-kd", {**common, "prompt_loss": True}, prompts, answers)[0][
        "prompt_loss"] is True
    spec, data = bench.arm_training("sequence-kd", common, prompts, answers)
    # nothing is generated at train time: the arm trains on the curated answers or not at all
    monkeypatch.setattr(tokens, "generations", lambda *a, **k: pytest.fail("the arm generated its own answers"))
    student = tokens.TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert len(student.history) == 1


def test_the_benchmarks_answer_temperature_samples_the_training_answers_as_curate_answer_does(teacher_dir,
                                                                                               tmp_path, monkeypatch):
    """--answer-temperature reaches curate.answer's options (top-p 0.95), and its sampled answers differ from the
    greedy ones; 0, the default, stays greedy."""
    import stillroom.labels
    from stillroom.cli import plugin_manager
    from stillroom.plugins.teachers.hf import HFTeacher

    bench = _benchmark()
    ctx = tm.context(tmp_path)
    ctx.teacher = teacher = HFTeacher({"path": str(teacher_dir), "task": "causal-lm", "max_length": 64}, ctx)
    scrub = ListedScrub.for_text(
        plugin_manager(None).component("scrubber", "presidio")({"fields": ["text"], "workers": 1}, ctx), NO_LISTS)
    train = sorted(set(tm.toy_split(40, 5)[0]))[:12]
    options = []
    shared = stillroom.labels.teacher_answers
    monkeypatch.setattr(stillroom.labels, "teacher_answers", lambda *a, **k: options.append(a[2]) or shared(*a, **k))

    def curated(*temperature: float):
        return bench.curated_answers(teacher, train, [], lambda text: f"Q: {text}\nA:", 16, ctx, scrub,
                                     *temperature)

    greedy, sampled = curated(), curated(1.0)
    assert (options[0].temperature, options[0].top_p) == (0.0, 1.0)
    assert (options[1].temperature, options[1].top_p) == (1.0, 0.95)
    assert greedy.answers != sampled.answers


def _labelled_queries(workspace):
    """A JSONL source of toy queries, each labelled card or other, in the workspace."""
    source = workspace.root / "queries.jsonl"
    texts = sorted(set(tm.toy_split(60, 5)[0]))
    source.write_text("".join(json.dumps({"text": t, "label": "card" if "card" in t else "other"}) + "\n"
                              for t in texts))
    return source


def test_a_token_kd_pipeline_with_answers_learns_along_them_and_its_labels_baseline_drops_the_teacher_options(
        workspace, teacher_dir, monkeypatch):
    """curate.answer with off-policy token KD, ce_weight and a labelled source: the student learns the teacher's
    top-k along each prompt and its curated answer (not the label stage's prompt-only rows), knowing where each
    answer starts, and the labels-only baseline, which copies the student's spec, trains without the
    teacher-signal options it would refuse (ce_weight, prompt_loss)."""
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.plugins.trainers import tokens
    from stillroom.run.datasets import load_dataset

    source = _labelled_queries(workspace)
    trained = []
    real = tokens.TokenKDTrainer.train

    def spy(self, student_spec, data, teacher_outputs, ctx):
        trained.append((student_spec.get("method", "kd"), student_spec.get("ce_weight"),
                        student_spec.get("prompt_loss")))
        return real(self, student_spec, data, teacher_outputs, ctx)

    seen = []
    with_answers = tokens.TokenKDTrainer._with_answers
    monkeypatch.setattr(tokens.TokenKDTrainer, "train", spy)
    monkeypatch.setattr(tokens.TokenKDTrainer, "_with_answers", staticmethod(
        lambda *a: seen.append(with_answers(*a)) or seen[-1]))
    spec = parse_spec({
        "name": "answers", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
        "teacher": {"type": "hf", "path": str(teacher_dir), "task": "causal-lm", "max_length": 64},
        "scrub": {"type": "presidio", "workers": 1}, "data": {"label_field": "label"},
        "curate": {"answer": {"max_new_tokens": 8}},
        "student": {"layers": 1, "epochs": 1, "batch_size": 16, "ce_weight": 1.0, "prompt_loss": True},
        "evaluators": [], "exporters": [],
    })
    result = run_pipeline(workspace, spec, initiator="op", progress=False)
    dataset = load_dataset(workspace.artifacts, result.artifacts["dataset"])
    assert trained == [("kd", 1.0, True), ("labels", None, None)]
    student_data, student_outputs = seen[0]
    sequences = [tokens.continued(t, a) for t, a in zip(dataset.train.texts, dataset.train.answers, strict=True)]
    assert student_data.train.texts == sequences != dataset.train.texts
    assert student_outputs["train"]["topk_ids"].shape[1] > 0 and len(student_outputs["train"]["topk_ids"]) == \
        len(sequences)
    # each answer starts after its prompt's tokens and before the row ends
    starts, lengths = student_outputs["train"]["prompt_length"], student_outputs["train"]["attention_mask"].sum(1)
    assert (starts > 0).all() and (starts < lengths).all()
    assert result.artifacts.get("baseline")
    # the top-k along prompt and answer that the student learned is in the ledger, by digest
    from stillroom.labels import cache_key

    from stillroom.plugins.teachers.hf import HFTeacher

    told = {e.payload["split"]: e.payload for e in workspace.ledger().entries(kind="train.teacher_outputs")}
    teacher = HFTeacher({"path": str(teacher_dir), "task": "causal-lm", "max_length": 64}, tm.context(workspace.root))
    assert set(told) == {"train", "validation"} and told["train"]["rows"] == len(sequences)
    assert told["train"]["digest"] == workspace.artifacts.recall(cache_key(teacher, sequences)) is not None


def test_a_warm_started_token_kd_pipeline_gives_its_labels_baseline_the_same_epochs_in_all(workspace, teacher_dir,
                                                                                          monkeypatch):
    """student.warm_start in a pipeline with a labelled source: the student trains sequence KD, then token KD from
    it, and the labels-only baseline, which copies the student's spec and would refuse warm_start, trains labels
    for the warm start's epochs and the student's own."""
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.plugins.trainers import tokens

    source = _labelled_queries(workspace)
    trained = []
    real = tokens.TokenKDTrainer.train

    def spy(self, student_spec, data, teacher_outputs, ctx):
        trained.append((student_spec.get("method", "kd"), student_spec.get("warm_start"), student_spec["epochs"],
                        student_spec.get("init")))
        return real(self, student_spec, data, teacher_outputs, ctx)

    monkeypatch.setattr(tokens.TokenKDTrainer, "train", spy)
    spec = parse_spec({
        "name": "warm", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
        "teacher": {"type": "hf", "path": str(teacher_dir), "task": "causal-lm", "max_length": 64},
        "scrub": {"type": "presidio", "workers": 1}, "data": {"label_field": "label"},
        "curate": {"answer": {"max_new_tokens": 8}},
        "student": {"layers": 1, "epochs": 1, "batch_size": 16, "warm_start": 2},
        "evaluators": [], "exporters": [],
    })
    result = run_pipeline(workspace, spec, initiator="op", progress=False)
    assert [t[:3] for t in trained] == [("kd", 2, 1), ("sequence", None, 2), ("kd", None, 1), ("labels", None, 3)]
    assert trained[2][3] == "checkpoint" and result.artifacts.get("baseline")
    warm = workspace.ledger().entries(kind="train.warm_start")
    assert [(e.payload["method"], e.payload["epochs"]) for e in warm] == [("sequence", 2)]


def test_a_validation_answer_that_still_holds_pii_after_scrubbing_is_stored_empty(workspace, teacher_dir,
                                                                                   monkeypatch):
    """What a residual finding does to an answer: the training pair is dropped, and the validation answer, which
    is never dropped (the split stays whole), is stored empty. The residual scan here reports, besides what it
    finds itself, every answer where the teacher wrote the address (scrubbed to its placeholder): a finding the
    real scan would make on a leak the scrubber missed."""
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.plugins.scrubbers.presidio import PresidioScrubber
    from stillroom.run.datasets import load_dataset

    scan = PresidioScrubber.residual_scan

    def leaky(self, batch, fields=None, threshold=None):
        found = scan(self, batch, fields, threshold)
        return found + [{"record": i, "field": "text", "type": "EMAIL_ADDRESS", "score": 1.0}
                        for i, record in enumerate(batch) if "<EMAIL_ADDRESS>" in str(record.get("text"))]

    monkeypatch.setattr(PresidioScrubber, "residual_scan", leaky)
    source = workspace.root / "queries.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in sorted(set(tm.toy_split(60, 5)[0]))))
    spec = parse_spec({
        "name": "answers", "source": {"type": "jsonl", "path": str(source), "classification": "public"},
        "teacher": {"type": "hf", "path": str(teacher_dir), "task": "causal-lm", "max_length": 64},
        "scrub": {"type": "presidio", "workers": 1},
        "data": {"split": {"validation": 0.3, "test": 0.1}},
        "curate": {"answer": {"max_new_tokens": 32}},
        "student": {"layers": 1, "epochs": 1, "batch_size": 16, "method": "sequence"},
        "baseline": False, "evaluators": [], "exporters": [],
    })
    result = run_pipeline(workspace, spec, initiator="op", progress=False)
    dataset = load_dataset(workspace.artifacts, result.artifacts["dataset"])
    made = workspace.artifacts.read_json(result.artifacts["validation_answers"])
    assert made["residual"] and len(dataset.validation.answers) == len(dataset.validation.texts)
    assert {row for row, answer in enumerate(dataset.validation.answers) if not answer} == set(made["residual"])
    assert not any("<EMAIL_ADDRESS>" in answer for answer in dataset.validation.answers + dataset.train.answers)


def test_a_local_teacher_shows_a_bar_while_it_writes_many_batches_and_none_when_progress_is_off(tmp_path, capsys):
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.progress import track

    path = str(tm.causal_dir(tmp_path / "lm"))
    prompts = [f"my card {k} has not arrived" for k in range(5)]
    shown = HFTeacher({"path": path, "task": "causal-lm", "batch_size": 2}, tm.context(tmp_path, progress=True))
    # inside a stage's own bar, as the curate stage calls it: rich nests the two
    for _ in track([0], "curate", total=1, enabled=True):
        written = shown.generate(prompts, max_new_tokens=2)
    assert len(written) == 5
    assert "teacher hf: writing" in capsys.readouterr().err
    quiet = HFTeacher({"path": path, "task": "causal-lm", "batch_size": 2}, tm.context(tmp_path))
    assert quiet.generate(prompts, max_new_tokens=2) == written
    assert "teacher" not in capsys.readouterr().err
