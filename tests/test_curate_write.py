"""A generative teacher writes records for weak slices: sampled (temperature, top-p), N variants per seed,
scrubbed again, labelled by the task teacher, confidence-filtered, deduplicated, every drop with its reason code,
and the coverage audit says what generation added. The writer is a tiny random causal LM (tests/tinymodels.py)."""

from __future__ import annotations

import json
import re
from functools import partial

import numpy as np
import pytest
import tinymodels as tm
from pydantic import ValidationError

from stillroom.augment import writer
from stillroom.curate import CurateOptions, WriteOptions, curate
from stillroom.errors import ConfigError
from stillroom.plugins.teachers.hf import HFTeacher

LABELS = list(tm.INTENTS)  # card_arrival, transfer, pin


@pytest.fixture(scope="module")
def author(tmp_path_factory):
    root = tmp_path_factory.mktemp("writer")
    return HFTeacher({"path": str(tm.causal_dir(root / "causal")), "task": "causal-lm", "batch_size": 8},
                     tm.context(root))


def keyword_teacher(texts):
    """The task teacher: "pin" when a text mentions a pin, "transfer" for money, else card_arrival; sure of pins."""
    rows = []
    for text in texts:
        if re.search(r"\bpin\b", text):
            rows.append([0.05, 0.05, 0.9])
        elif re.search(r"money|transfer", text):
            rows.append([0.2, 0.6, 0.2])
        else:
            rows.append([0.7, 0.2, 0.1])
    return np.array(rows)


def rows(texts, label):
    return [{"text": t, "label": label, "region": "uk"} for t in texts]


def test_sampling_writes_different_variants_of_one_seed_repeatably_where_greedy_repeats_one(author):
    prompts = ["my pin is blocked"] * 6
    greedy = author.generate(prompts, max_new_tokens=6)
    sampled = author.generate(prompts, max_new_tokens=6, temperature=1.0, top_p=0.95, seed=3)
    assert len(set(greedy)) == 1 and len(set(sampled)) > 3
    assert author.generate(prompts, max_new_tokens=6, temperature=1.0, top_p=0.95, seed=3) == sampled


def test_a_weak_label_is_filled_with_written_records_the_task_teacher_labelled_and_every_drop_has_a_reason(author):
    data = rows([f"my card {w} has not arrived" for w in ("one", "two", "three", "four", "five", "six")],
                "card_arrival") + rows(["i forgot my pin", "change my pin please"], "pin")
    options = CurateOptions(min_per_slice=6, rebalance="generate", seed=0,
                            write={"per_seed": 12, "temperature": 1.2, "top_p": 0.98, "max_new_tokens": 8,
                                   "min_confidence": 0.8, "prompt": "{text} pin"})
    seen = []

    def scrub(batch):  # scrubbing again: every written text passes through it before anything else sees it
        seen.extend(r["text"] for r in batch)
        return [{**r, "text": r["text"].replace("four", "<NUMBER>")} for r in batch], _report(len(batch))

    result = curate(data, text_field="text", label_field="label", slice_fields=["region"], options=options,
                    teacher_probs=keyword_teacher, label_names=LABELS, scrub=scrub, eval_texts=["my pin is blocked"],
                    writer=writer(author, text_field="text", label_field="label", options=options.write))

    rebalance = next(s for s in result.funnel if s["step"] == "rebalance")
    assert rebalance["generated"] == {"label=pin": 2 * 12} and len(seen) == 24  # N variants per seed, all scrubbed
    assert result.generated["made"] == {"write": 24}
    written = result.records[len(data):]
    assert 0 < len(written) <= 4 and all(r["label"] == "pin" and "pin" in r["text"].split() for r in written)
    assert len({r["text"] for r in written}) == len(written)  # sampled and deduplicated: no two alike
    reasons = {d["reason"] for d in result.drops if d.get("generated_by") == "write"}
    assert reasons <= {"off_slice", "low_confidence", "exact_duplicate", "near_duplicate", "eval_overlap_exact",
                       "eval_overlap_near", "surplus", "empty_text"} and reasons
    assert sum(rebalance["dropped"].values()) == 24 - len(written)
    audit = result.coverage["label"]["pin"]
    assert audit["before"] == 2 and audit["generated"] == len(written) and audit["after"] == 2 + len(written)
    assert result.coverage["label"]["card_arrival"]["generated"] == 0
    report = json.dumps(result.report())
    # counts and reasons, never a text (an empty or one-word text, such as a label's name, is in it anyway)
    assert not any(text in report for text in seen if len(text.split()) > 1)


def test_records_the_teacher_puts_in_another_class_or_is_unsure_of_are_dropped_as_off_slice_or_low_confidence(
        author):
    options = CurateOptions(min_per_slice=3, rebalance="generate", write={"per_seed": 4, "min_confidence": 0.65})
    # this "writer" writes one text per class for each seed, to check the labelling rules exactly
    fixed = ["send money now", "where is my card today", "reset the pin code", "my pin is blocked again"]
    result = curate(rows(["i forgot my pin"], "pin"), text_field="text", label_field="label", slice_fields=[],
                    options=options, teacher_probs=keyword_teacher, label_names=LABELS,
                    writer=lambda seeds, n: [{"region": "uk", "text": t} for t in fixed])
    drops = {d["index"]: d["reason"] for d in result.drops}
    assert drops == {1: "low_confidence", 2: "off_slice"}  # transfer at 0.6 < 0.65; card_arrival is not pin
    assert [r["text"] for r in result.records[1:]] == fixed[2:]


def test_write_options_are_checked_and_a_classifier_pipeline_needs_a_generative_teacher(author):
    with pytest.raises(ValidationError, match="rebalance: generate and min_per_slice"):
        CurateOptions(write={})
    with pytest.raises(ValidationError, match="must contain {text}"):
        WriteOptions(prompt="write something")
    with pytest.raises(ValidationError, match="must be a causal LM"):
        WriteOptions(teacher={"path": "m", "task": "classification"})
    with pytest.raises(ValidationError):
        WriteOptions(temperature=0)  # greedy writes the same text for every variant of a seed
    classifier = type("T", (), {"task": "classification", "name": "hf"})()
    with pytest.raises(ConfigError, match="generative"):
        writer(classifier, text_field="text", label_field="label", options=WriteOptions())
    options = CurateOptions(min_per_slice=3, rebalance="generate", write={})
    with pytest.raises(ConfigError, match="classifier teacher"):
        curate(rows(["i forgot my pin"], "pin"), text_field="text", label_field="label", slice_fields=[],
               options=options, writer=writer(author, text_field="text", label_field="label", options=options.write))


def test_a_classifier_run_writes_its_weak_label_with_a_generative_teacher_checked_against_residency(workspace,
                                                                                                  tmp_path):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    texts, labels = tm.toy_split(90, 5)
    data = [{"text": t, "label": LABELS[y]} for t, y in zip(texts, labels) if LABELS[y] != "pin"]
    data += [{"text": t, "label": "pin"} for t in ("my pin is blocked", "reset the pin code", "i forgot my pin",
                                                    "change my pin please")]
    path = tmp_path / "intents.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    causal = tm.causal_dir(tmp_path / "causal")
    spec = {"name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
            "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
            "data": {"label_field": "label"},
            "curate": {"min_per_slice": 8, "rebalance": "generate",
                       "write": {"teacher": {"path": str(causal)}, "per_seed": 6, "min_confidence": 0.0}},
            "student": {"layers": 1, "epochs": 1, "batch_size": 16}, "baseline": False, "evaluators": [],
            "exporters": []}
    run = run_pipeline(workspace, parse_spec(spec), initiator="op", progress=False)

    entry = next(json.loads(leaf) for _s, leaf, _g, _h in workspace.ledger().rows()
                 if json.loads(leaf)["kind"] == "stage.curate")["payload"]["outputs"]
    assert entry["writer"]["location"] == causal.as_uri() and entry["writer"]["check"]["role"] == "writer"
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    seeds = funnel["coverage"]["label"]["pin"]["before"]  # the pin records the split left in training
    assert 0 < seeds < 8 and entry["steps"]["generated"]["made"]["write"] == seeds * max(6, -(-(8 - seeds) // seeds))
    rebalance = next(s for s in funnel["funnel"] if s["step"] == "rebalance")
    assert rebalance["generated"] == {"label=pin": entry["steps"]["generated"]["made"]["write"]}
    assert funnel["coverage"]["label"]["pin"]["generated"] == rebalance["added"] - sum(rebalance["dropped"].values())


def _report(n):
    from stillroom.components import ScrubReport

    return ScrubReport(records=n)


# -- paraphrase in the transfer set: a generative teacher rewrites, the task teacher labels -------------------

def paraphrase_options(**overrides):
    from stillroom.curate import ParaphraseOptions

    return ParaphraseOptions(**{"teacher": {"path": "unused"}, "prompts": ["{text} pin"], "temperature": 1.2,
                                "top_p": 0.98, "max_new_tokens": 6, **overrides})


def test_paraphrased_transfer_inputs_are_the_writers_sampled_rewrites_without_the_source_label(author):
    from stillroom.augment import paraphraser, transfer_generator

    seeds = rows(["my card has not arrived", "i forgot my pin"], "card_arrival")
    make = partial(transfer_generator, text_field="text", label_field="label", methods=["paraphrase"],
                   neighbours={}, pool=[])
    generate = make(paraphrase=paraphraser(author, paraphrase_options(), seed=4))
    made = generate(seeds, 5)

    assert len(made) == 10 and all(set(r) == {"text", "region"} for r in made)  # the teacher gives the label
    first = [r["text"] for r in made[:5]]
    assert len(set(first)) > 2 and not {"my card has not arrived", ""} >= set(first)  # sampled: copies differ
    assert generate(seeds, 5) == made  # the same seed repeats
    assert make(paraphrase=paraphraser(author, paraphrase_options(), seed=5))(seeds, 5) != made


def test_paraphrase_prompts_run_in_turn_each_on_the_first_line_the_last_one_wrote():
    from stillroom.augment import paraphraser

    calls = []

    class Echo:  # a stand-in writer that shows exactly what each turn was given
        task = "causal-lm"

        def generate(self, prompts, **options):
            calls.append((prompts, options["seed"]))
            return [f" {p.upper()}\nsecond line" if "stop" not in p else "\n  \n" for p in prompts]

    rewrite = paraphraser(Echo(), paraphrase_options(prompts=["fr: {text}", "en: {text}"]), seed=7)
    assert rewrite(["card late", "stop here"]) == ["EN: FR: CARD LATE", ""]
    # the second turn gets only what the first wrote (its first line); an empty rewrite is not sent on
    assert calls == [(["fr: card late", "fr: stop here"], 7), (["en: FR: CARD LATE"], 8)]


def test_paraphrase_options_are_checked_and_need_a_generative_teacher(author):
    from stillroom.augment import paraphraser, transferer

    with pytest.raises(ValidationError, match="methods names paraphrase, so paraphrase.teacher must name"):
        CurateOptions(transfer={"per_record": 2, "methods": ["paraphrase"]})
    for unused in ({"per_record": 2}, {"per_record": 0, "methods": ["paraphrase"]}):  # accepted, never used: refused
        with pytest.raises(ValidationError, match="paraphrase is set, but nothing would use it"):
            CurateOptions(transfer={**unused, "paraphrase": {"teacher": {"path": "m"}}})
    with pytest.raises(ValidationError, match="must contain {text}"):
        paraphrase_options(prompts=["{text} in French", "now back to English"])
    for prompt in ("{text} in {language}", "{text} as {}", "{{text}} is no field", "{text"):
        with pytest.raises(ValidationError, match="no other {field}"):
            paraphrase_options(prompts=[prompt])  # would fail, or drop the text, only once the stage formats it
    assert paraphrase_options(prompts=['{text} as JSON: {{"text": ...}}']).prompts
    with pytest.raises(ValidationError, match="must be a causal LM"):
        paraphrase_options(teacher={"path": "m", "task": "classification"})
    with pytest.raises(ValidationError):
        paraphrase_options(temperature=0)  # greedy rewrites every copy of a text the same way
    with pytest.raises(ValidationError):
        paraphrase_options(prompts=[])
    classifier = type("T", (), {"task": "classification", "name": "hf"})()
    with pytest.raises(ConfigError, match="curate.transfer.paraphrase needs a generative"):
        paraphraser(classifier, paraphrase_options())
    with pytest.raises(ConfigError, match="name one in curate.transfer.paraphrase.teacher"):
        transferer(object(), rows(["i forgot my pin"], "pin"), text_field="text", label_field="label",
                   methods=["span", "paraphrase"])


def test_a_rewrite_is_scrubbed_before_anything_keeps_it_and_the_report_holds_no_text():
    from stillroom.augment import transfer_generator

    def leaky(texts):  # a rewriter that writes contact details it memorised
        return [f"{text} or mail jo.bloggs@example.com" for text in texts]

    def scrub(batch):
        return [{**r, "text": r["text"].replace("jo.bloggs@example.com", "<EMAIL_ADDRESS>")} for r in batch], \
            _report(len(batch))

    options = CurateOptions(transfer={"per_record": 3, "methods": ["paraphrase"],
                                      "paraphrase": {"teacher": {"path": "m"}}})
    result = curate(rows(["i forgot my pin", "my card has not arrived"], "pin"), text_field="text",
                    label_field="label", slice_fields=[], options=options, teacher_probs=keyword_teacher,
                    label_names=LABELS, scrub=scrub,
                    transfer=transfer_generator(text_field="text", label_field="label", methods=["paraphrase"],
                                                neighbours={}, pool=[], paraphrase=leaky))
    kept = [r["text"] for i, r in enumerate(result.records) if i in set(result.transfer_rows)]
    assert kept and all(t.endswith("or mail <EMAIL_ADDRESS>") for t in kept)
    assert "jo.bloggs" not in json.dumps([result.records, result.report()])


def intent_spec(tmp_path, paraphrase_teacher):
    texts, labels = tm.toy_split(60, 6)
    path = tmp_path / "intents.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": LABELS[y]}) + "\n" for t, y in zip(texts, labels)))
    return {"name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
            "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
            "data": {"label_field": "label"},
            "curate": {"transfer": {"per_record": 3, "methods": ["paraphrase"],
                                    "paraphrase": {"teacher": paraphrase_teacher, "max_new_tokens": 6}}},
            "student": {"layers": 1, "epochs": 1, "batch_size": 16}, "baseline": False, "evaluators": [],
            "exporters": []}


def test_a_classifier_run_paraphrases_its_transfer_set_with_a_generative_teacher_on_the_ledger(workspace, tmp_path):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    causal = tm.causal_dir(tmp_path / "causal")
    run = run_pipeline(workspace, parse_spec(intent_spec(tmp_path, {"path": str(causal)})), initiator="op",
                       progress=False)

    entry = next(json.loads(leaf) for _s, leaf, _g, _h in workspace.ledger().rows()
                 if json.loads(leaf)["kind"] == "stage.curate")["payload"]["outputs"]
    assert entry["paraphraser"]["location"] == causal.as_uri() and entry["paraphraser"]["check"]["role"] == "paraphraser"
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    transfer = next(s for s in funnel["funnel"] if s["step"] == "transfer")
    assert transfer["added"] == 3 * entry["split"]["train"] and transfer["labelled_by"] == "teacher"
    dataset = workspace.artifacts.read_json(run.artifacts["dataset"])
    train = set(dataset["train"]["texts"])
    assert len(train) > entry["split"]["train"]  # rewrites the teacher labelled joined the training set


def test_a_paraphraser_outside_the_boundary_is_refused_at_preflight_with_a_residency_request_never_contacted(
        workspace, tmp_path):
    from stillroom.approvals import list_requests
    from stillroom.config import parse_spec
    from stillroom.errors import RunRefused
    from stillroom.pipeline import run_pipeline
    from tests.people import loopback_outside_the_boundary

    with loopback_outside_the_boundary(workspace) as port:  # nothing connects: no training text is sent
        host = f"http://127.0.0.1:{port}"
        with pytest.raises(RunRefused, match=r"Residency request req-\w+ is open for exactly this paraphraser"):
            run_pipeline(workspace, parse_spec(intent_spec(tmp_path, {"type": "openai", "url": f"{host}/v1",
                                                                      "model": "m"})), initiator="op", progress=False)
    kinds = [json.loads(leaf)["kind"] for _s, leaf, _g, _h in workspace.ledger().rows()]
    assert kinds[-2:] == ["stage.preflight", "run.end"]  # refused before any record was read
    (request,) = list_requests(workspace, kind="residency")
    assert request.subject["role"] == "paraphraser" and request.subject["location"] == host


def test_word_edit_methods_are_refused_where_a_causal_lm_teacher_writes_the_new_records_itself():
    from types import SimpleNamespace

    from stillroom.errors import ConfigError
    from stillroom.run.stages.curate import _generator

    run = SimpleNamespace(components={"teacher": SimpleNamespace(task="causal-lm")},
                          spec=SimpleNamespace(data=SimpleNamespace(text_field="text", label_field=None)))
    with pytest.raises(ConfigError, match="^curate.augment.methods are word edits of a labelled record, and a "
                                          "causal-LM pipeline's teacher writes its new records itself"):
        _generator(run, [], CurateOptions(augment={"enabled": True, "methods": ["swap"]}))
    assert _generator(run, [], CurateOptions(augment={"enabled": True})) is not None
