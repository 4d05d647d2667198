"""A causal-LM teacher labels unlabelled data by scoring the label names (issue 18), on the tiny random
Llama: the mechanics only (constrained to the set, a confidence in [0, 1], deterministic), no quality claim."""

import numpy as np
import pytest

from stillroom.errors import ConfigError
from stillroom.plugins.teachers.hf import HFTeacher
from tinymodels import causal_dir, classifier_dir, context

LABELS = ["card_arrival", "transfer", "pin"]
TEXTS = ["my card has not arrived", "send money to my friend", "i forgot my pin", "help", "pin " * 80]


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return causal_dir(tmp_path_factory.mktemp("llama"))


@pytest.fixture
def ctx(tmp_path):
    return context(tmp_path)


def test_each_text_gets_one_of_the_labels_with_a_confidence_normalised_over_the_set(llama, ctx):
    teacher = HFTeacher({"path": str(llama), "task": "classification", "labels": LABELS, "max_length": 32}, ctx)
    assert teacher.labels == LABELS and teacher.task == "classification"
    logits = teacher.predict(TEXTS)["logits"]
    assert logits.shape == (len(TEXTS), len(LABELS)) and np.isfinite(logits).all()
    confidence = np.exp(logits)  # log-softmaxed over the label set
    assert np.allclose(confidence.sum(axis=1), 1, atol=1e-5) and ((confidence >= 0) & (confidence <= 1)).all()
    assert set(logits.argmax(axis=1)) <= set(range(len(LABELS)))
    assert teacher.predict([])["logits"].shape == (0, len(LABELS))


def test_labelling_is_deterministic_and_independent_of_the_batch(llama, ctx):
    options = {"path": str(llama), "task": "classification", "labels": LABELS}
    one = HFTeacher({**options, "batch_size": 3}, ctx).predict(TEXTS)["logits"]
    again = HFTeacher({**options, "batch_size": 32}, ctx).predict(TEXTS)["logits"]
    alone = np.concatenate([HFTeacher(options, ctx).predict([t])["logits"] for t in TEXTS])
    assert np.array_equal(one, HFTeacher({**options, "batch_size": 3}, ctx).predict(TEXTS)["logits"])
    assert np.allclose(one, again, atol=1e-5) and np.allclose(one, alone, atol=1e-5)


def test_the_label_set_and_prompt_are_part_of_the_fingerprint(llama, ctx):
    base = {"path": str(llama), "task": "classification", "labels": LABELS}
    prints = {HFTeacher(o, ctx).fingerprint() for o in
              (base, {**base, "labels": LABELS[::-1]}, {**base, "prompt": "Query: {text}\nIntent:"})}
    assert len(prints) == 3  # cached teacher outputs never outlive a change of labels or prompt


@pytest.mark.parametrize("options, message", [
    ({}, "give teacher.labels, a list of at least two non-empty names"),
    ({"labels": ["only"]}, "at least two"),
    ({"labels": ["a", "b", "a"]}, "lists 'a' twice"),
    ({"labels": LABELS, "prompt": "no placeholder"}, "must contain {text} exactly once"),
])
def test_an_unusable_label_set_or_prompt_is_refused(llama, ctx, options, message):
    with pytest.raises(ConfigError, match=message):
        HFTeacher({"path": str(llama), "task": "classification", **options}, ctx)


def test_labels_given_to_a_classifier_with_its_own_head_are_refused_not_ignored(tmp_path, ctx):
    with pytest.raises(ConfigError, match="teacher.labels is for a causal LM"):
        HFTeacher({"path": str(classifier_dir(tmp_path / "clf")), "labels": LABELS}, ctx)


def test_a_run_on_unlabelled_data_is_labelled_by_names_then_filtered_on_that_confidence(workspace, tmp_path):
    import json

    import tinymodels as tm

    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    path = tmp_path / "unlabelled.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in tm.toy_split(80, 5)[0]))  # texts, no labels
    teacher = {"type": "hf", "path": str(tm.causal_dir(tmp_path / "llama")), "task": "classification",
               "labels": LABELS}
    median = float(np.median(np.exp(HFTeacher(teacher, tm.context(tmp_path / "probe")).predict(
        [json.loads(line)["text"] for line in path.read_text().splitlines()])["logits"]).max(axis=1)))
    spec = parse_spec({
        "name": "by-names", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": teacher, "curate": {"confidence": {"threshold": median}},
        "student": {"init": "config", "config": {"num_hidden_layers": 1}, "epochs": 1},
        "evaluators": [{"type": "task"}], "exporters": [],
    })
    run = run_pipeline(workspace, spec, initiator="op", progress=False)
    assert run.summaries["label"]["outputs"]["train"]["n"] == len(run.dataset.train.texts)
    steps = run.summaries["curate"]["steps"]["steps"]
    assert 0 < steps["confidence"]["in"] - steps["confidence"]["out"] < steps["confidence"]["in"]
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    assert all(d["reason"].startswith("low_confidence") for d in funnel["drops"] if "confidence" in d["reason"])
    predicted = run.live.teacher_outputs["train"]["logits"].argmax(axis=1)
    assert set(predicted) <= set(range(len(LABELS)))
