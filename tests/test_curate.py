"""Curation: each step's decision and reason code, generation mechanics with a tiny real LM, scrubbed synthetic text,
honest funnel counts, the coverage audit of values with no records, and canaries planted for the memorization probe."""

import json
import re

import numpy as np
import pytest
from pydantic import ValidationError

from stillroom.artifacts import ArtifactStore
from stillroom.augment import augmenter
from stillroom.components import Context, Scrubber, ScrubReport, Span
from stillroom.curate import CurateOptions, Planting, coverage_refusal, curate, normalise, plant
from stillroom.errors import ConfigError

QUERIES = [
    "How do I activate my new card?",
    "My card has not arrived yet, what should I do?",
    "Why was I charged a fee for the transfer?",
    "Can I change my PIN at an ATM?",
    "The exchange rate on my payment looks wrong.",
    "I want to close my account today.",
]


def records(texts, label="card", region="uk"):
    return [{"text": t, "label": label, "region": region} for t in texts]


def run(data, **kwargs):
    options = CurateOptions(**kwargs.pop("options", {}))
    return curate(data, text_field="text", label_field="label", slice_fields=kwargs.pop("slices", ["region"]),
                  options=options, **kwargs)


def dropped(result, reason):
    return sorted(d["index"] for d in result.drops if d["reason"] == reason)


def step(result, name):
    return next(s for s in result.funnel if s["step"] == name)


def assert_funnel_is_one_honest_chain(result):
    """Each step starts where the last ended, and says what it added and dropped."""
    for previous, current in zip(result.funnel, result.funnel[1:]):
        assert current["in"] == previous["out"], current["step"]
    for s in result.funnel:
        assert s["out"] == s["in"] + s["added"] - sum(s["dropped"].values()), s["step"]
    assert result.funnel[-1]["out"] == len(result.records)
    assert len(result.drops) == sum(sum(s["dropped"].values()) for s in result.funnel)


@pytest.mark.parametrize(("metric", "expected"), [("max_prob", [1]), ("margin", [1, 2])])
def test_low_teacher_confidence_is_dropped_with_a_reason(metric, expected):
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3], [0.55, 0.45, 0.0], [0.2, 0.8, 0.0]])
    result = run(records(QUERIES[:4]), teacher_probs=lambda texts: probs[: len(texts)],
                 options={"confidence": {"metric": metric, "threshold": 0.5}})
    assert dropped(result, "low_confidence") == expected
    assert step(result, "confidence") == {"step": "confidence", "in": 4, "added": 0, "out": 4 - len(expected),
                                          "dropped": {"low_confidence": len(expected)}}


def test_exact_and_near_duplicates_are_removed():
    data = records(QUERIES + ["how do I  ACTIVATE my new card", "My card has not arrived yet, what should I do now?"])
    result = run(data, options={"dedupe": {"jaccard": 0.7}})
    assert dropped(result, "exact_duplicate") == [6]
    assert dropped(result, "near_duplicate") == [7]
    assert [r["text"] for r in result.records] == QUERIES


def test_nothing_in_training_overlaps_the_evaluation_split():
    evaluation = ["Why was I charged a fee for the transfer", "The exchange rate on my payment looks wrong!!"]
    result = run(records(QUERIES), eval_texts=evaluation + ["Can I change my PIN at an ATM machine please?"],
                 options={"dedupe": {"jaccard": 0.6}})
    assert dropped(result, "eval_overlap_exact") == [2, 4]
    assert dropped(result, "eval_overlap_near") == [3]
    assert step(result, "contamination")["out"] == 3


def test_rare_slices_are_audited_and_oversampled():
    data = records(QUERIES[:5], region="uk") + records(QUERIES[5:], region="de")
    result = run(data, options={"min_per_slice": 3, "rebalance": "oversample"})
    assert result.coverage["region"] == {
        "de": {"before": 1, "after": 3, "below_minimum": False},
        "uk": {"before": 5, "after": 5, "below_minimum": False},
    }
    assert sum(r["region"] == "de" for r in result.records) == 3
    unbalanced = run(data, options={"min_per_slice": 3, "rebalance": "none"})
    assert unbalanced.coverage["region"]["de"] == {"before": 1, "after": 1, "below_minimum": True}


def test_augmentation_is_seeded_keeps_labels_and_never_edits_placeholders():
    data = records(["Please send <PERSON> the money for my card today", "Is my card blocked after three tries"])
    generate = augmenter(data, text_field="text", label_field="label", seed=3)
    first, again = generate(data, 4), generate(data, 4)
    assert first == again and len(first) == 8
    assert all(r["label"] == "card" and r["region"] == "uk" for r in first)
    assert all("<PERSON>" in r["text"] for r in first[:4])
    assert any(r["text"] != data[0]["text"] for r in first[:4])


def test_generated_text_is_scrubbed_before_any_other_step(tmp_path):
    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context
    from stillroom.plugins.scrubbers.presidio import PresidioScrubber

    scrubber = PresidioScrubber({"workers": 1}, Context(workspace=tmp_path, artifacts=ArtifactStore(tmp_path)))

    def regurgitating_teacher(seeds, n):  # a stand-in teacher that leaks PII into its generations
        return [{**s, "text": f"Ask John Smith at john.smith@example.com about: {s['text']}"} for s in seeds for _ in range(n)]

    result = run(records(QUERIES[:2]), generate=regurgitating_teacher, scrub=scrubber,
                 options={"augment": {"enabled": True, "per_record": 1}})
    synthetic = result.records[2:]
    assert len(synthetic) == 2
    assert all(r["text"].startswith("Ask <PERSON> at <EMAIL_ADDRESS> about:") for r in synthetic)
    assert result.scrub.counts == {"PERSON": {"text": 2}, "EMAIL_ADDRESS": {"text": 2}}
    assert step(result, "generate") == {"step": "generate", "in": 2, "added": 2, "dropped": {}, "out": 4, "seeds": 2,
                                        "scrubbed": True}


def test_generation_mechanics_with_a_tiny_causal_lm_fill_a_rare_slice():
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = sorted({w for q in QUERIES for w in q.lower().replace("?", " ").replace(".", " ").replace(",", " ").split()})
    vocab = {w: i for i, w in enumerate(["[UNK]", "[PAD]", *words])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=32, n_layer=1, n_head=2,
                                       pad_token_id=1, eos_token_id=1, bos_token_id=1)).eval()

    # The adapter a causal-LM teacher's generate() plugs into: prompt with the seed, keep its label and slices.
    def generate(seeds, n):
        prompts = tokenizer([s["text"].lower() for s in seeds], return_tensors="pt", padding=True, padding_side="left")
        with torch.no_grad():
            out = model.generate(**prompts, do_sample=True, max_new_tokens=6, num_return_sequences=n,
                                 pad_token_id=1)
        texts = tokenizer.batch_decode(out[:, prompts["input_ids"].shape[1]:], skip_special_tokens=True)
        return [{**seeds[k // n], "text": text} for k, text in enumerate(texts)]

    data = records(QUERIES[:4], region="uk") + records(QUERIES[4:5], region="de")
    result = run(data, generate=generate, options={"min_per_slice": 3, "rebalance": "generate"})
    rebalanced = step(result, "rebalance")
    assert rebalanced["generated"] == {"region=de": 2} and rebalanced["in"] == 5
    assert rebalanced["out"] == 5 + 2 - sum(rebalanced["dropped"].values())
    assert result.coverage["region"]["de"]["after"] == 3 - sum(rebalanced["dropped"].values())
    generated = [r for r in result.records if r["region"] == "de"][1:]
    assert all(r["label"] == "card" and set(r["text"].split()) <= set(words) for r in generated)


def test_funnel_report_has_counts_and_reasons_but_no_text():
    data = records(QUERIES + QUERIES[:2])
    result = run(data, eval_texts=[QUERIES[3]])
    report = json.dumps(result.report())
    assert not any(q in report for q in QUERIES)
    assert [s["step"] for s in result.funnel] == ["input", "dedupe", "contamination", "rebalance"]
    assert result.counts() == {
        "kept": 5,
        "steps": {"input": {"in": 8, "added": 0, "dropped": {}, "out": 8},
                  "dedupe": {"in": 8, "added": 0, "dropped": {"exact_duplicate": 2}, "out": 6},
                  "contamination": {"in": 6, "added": 0, "dropped": {"eval_overlap_exact": 1}, "out": 5},
                  "rebalance": {"in": 5, "added": 0, "dropped": {}, "out": 5}},
        "generated": {"made": {}, "kept": {}, "dropped": {}},
        "slices_without_records": {},
    }


def test_a_confidence_filter_without_the_teachers_class_probabilities_is_refused_not_skipped():
    with pytest.raises(ConfigError, match="curate.confidence filters on the teacher's class probabilities, and this "
                                          "pipeline's teacher gives none"):
        run(records(QUERIES[:4]), options={"confidence": {"threshold": 0.5}})
    assert len(run(records(QUERIES[:4])).records) == 4  # no threshold, nothing to filter on: nothing asked


def test_options_are_validated():
    with pytest.raises(ValidationError):
        CurateOptions(dedupe={"jaccard": 1.5})
    with pytest.raises(ValidationError):
        CurateOptions(rebalance="smote")
    with pytest.raises(ValidationError):
        CurateOptions(confidence={"treshold": 0.5})
    with pytest.raises(ValidationError, match="curate.rebalance: oversample fills slices up to curate.min_per_slice, "
                                              "which is not set"):
        CurateOptions(rebalance="oversample")  # it would do nothing
    assert CurateOptions(rebalance="oversample", min_per_slice=3).rebalance == "oversample"


# -- honest funnel counts ---------------------------------------------------------------------------------


def test_generation_counts_what_it_added_and_every_later_drop_of_a_generated_record_has_its_reason():
    def generate(seeds, n):  # a deterministic stand-in teacher: one fresh paraphrase, one copy of an existing query
        out = []
        for k, s in enumerate(seeds):
            out += [{**s, "text": f"Please tell me, {s['text'].lower()}"}, {**s, "text": QUERIES[(k + 1) % 4]}][:n]
        return out

    evaluation = ["please tell me, can i change my pin at an atm?"]
    result = run(records(QUERIES[:4]), generate=generate, eval_texts=evaluation,
                 options={"augment": {"enabled": True, "per_record": 2}})
    assert step(result, "generate") == {"step": "generate", "in": 4, "added": 8, "dropped": {}, "out": 12,
                                        "seeds": 4, "scrubbed": False}
    assert step(result, "dedupe")["dropped"] == {"exact_duplicate": 4}
    assert step(result, "contamination")["dropped"] == {"eval_overlap_exact": 1}
    synthetic = [d for d in result.drops if d["origin"] == "synthetic"]
    assert len(synthetic) == 5 and all(d["generated_by"] == "generate" for d in synthetic)
    assert sorted(d["index"] for d in synthetic) == [5, 7, 9, 10, 11]  # numbered after the 4 inputs, in order made
    assert result.generated == {"made": {"generate": 8}, "kept": {"generate": 3},
                                "dropped": {"exact_duplicate": 4, "eval_overlap_exact": 1}}
    assert result.counts()["generated"] == result.generated
    assert_funnel_is_one_honest_chain(result)


class DigitScrubber(Scrubber):
    """A real, deliberately partial scrubber: it replaces e-mail addresses, and its residual scan also knows
    phone numbers, which it never replaces; a generated record that carries one must not be trained on."""

    name = "digits"
    EMAIL, PHONE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), re.compile(r"\+?\d[\d ]{7,}\d")

    def entities(self):
        return {"EMAIL_ADDRESS": "pattern", "PHONE_NUMBER": "pattern"}

    def find(self, texts):
        return [[Span(kind, m.start(), m.end(), 1.0) for kind, pattern in (("EMAIL_ADDRESS", self.EMAIL),
                 ("PHONE_NUMBER", self.PHONE)) for m in pattern.finditer(t)] for t in texts]

    def scrub(self, batch):
        report = ScrubReport(records=len(batch))
        clean = []
        for record in batch:
            text, n = self.EMAIL.subn("<EMAIL_ADDRESS>", record["text"])
            report.counts.setdefault("EMAIL_ADDRESS", {"text": 0})["text"] += n
            clean.append({**record, "text": text})
        return clean, report


def test_a_generated_record_the_residual_scan_still_finds_pii_in_is_dropped_as_scrub_residual(tmp_path):
    def leaky(seeds, n):
        return [{**s, "text": f"{s['text']} (from a@b.example)" if k % 2 else f"{s['text']} call +44 20 7946 0958"}
                for k, s in enumerate(seeds) for _ in range(n)]

    scrubber = DigitScrubber({"fields": ["text"]}, Context(workspace=tmp_path, artifacts=ArtifactStore(tmp_path)))
    result = run(records(QUERIES[:4]), generate=leaky, scrub=scrubber,
                 options={"augment": {"enabled": True, "per_record": 1}})
    assert step(result, "generate") == {"step": "generate", "in": 4, "added": 4, "dropped": {"scrub_residual": 2},
                                        "out": 6, "seeds": 4, "scrubbed": True}
    assert [(d["index"], d["reason"], d["generated_by"]) for d in result.drops] == [
        (4, "scrub_residual", "generate"), (6, "scrub_residual", "generate")]
    assert not any("7946" in r["text"] for r in result.records)
    assert [r["text"].endswith("(from <EMAIL_ADDRESS>)") for r in result.records[4:]] == [True, True]
    assert [r["record"] for r in result.scrub.residual] == [0, 2]
    assert_funnel_is_one_honest_chain(result)


def test_records_generated_to_fill_a_thin_slice_pass_the_same_filters_and_the_surplus_is_dropped_by_reason():
    leaked = "What is the exchange rate for my payment in euros?"

    def generate(seeds, n):  # per seed: an existing query, one that is in the evaluation split, then new ones
        made = []
        for s in seeds:
            made += [{**s, "text": QUERIES[0]}, {**s, "text": leaked}]
            made += [{**s, "text": f"In germany, variant {k}: {s['text']}"} for k in range(n - 2)]
        return made

    data = records(QUERIES[:4], region="uk") + records(QUERIES[4:5], region="de")
    result = run(data, generate=generate, eval_texts=[leaked],
                 options={"min_per_slice": 4, "rebalance": "generate", "dedupe": {"jaccard": 0.95}})
    rebalanced = step(result, "rebalance")
    assert rebalanced["generated"] == {"region=de": 3}
    # 3 needed, 3 made (per_record = 3 for one seed): a duplicate and a leak are dropped, 1 kept; nothing surplus
    assert rebalanced["dropped"] == {"exact_duplicate": 1, "eval_overlap_exact": 1}
    assert rebalanced["added"] == 3 and rebalanced["out"] == 6
    assert result.coverage["region"]["de"] == {"before": 1, "after": 2, "below_minimum": True, "generated": 1}
    assert result.generated == {"made": {"rebalance": 3}, "kept": {"rebalance": 1},
                                "dropped": {"exact_duplicate": 1, "eval_overlap_exact": 1}}
    assert leaked not in [r["text"] for r in result.records]

    def plenty(seeds, n):
        return [{**s, "text": f"In germany, question number {'one two three four five six'.split()[k]}: {s['text']}"}
                for s in seeds for k in range(n)]

    two_seeds = records([*QUERIES[:4], "Is there a limit on card payments abroad?"], region="uk")
    two_seeds += records(QUERIES[4:6], region="de")
    result = run(two_seeds, generate=plenty, options={"min_per_slice": 5, "rebalance": "generate",
                                                      "dedupe": {"jaccard": 0.95}})
    # 3 needed from 2 seeds: 2 each are made, the fourth is surplus
    assert step(result, "rebalance")["generated"] == {"region=de": 4}
    assert step(result, "rebalance")["dropped"] == {"surplus": 1}
    assert result.coverage["region"]["de"] == {"before": 2, "after": 5, "below_minimum": False, "generated": 3}
    assert_funnel_is_one_honest_chain(result)


# -- values with no training record --------------------------------------------------------------------------


def test_a_known_value_with_no_training_record_is_audited_as_zero_and_cannot_be_rebalanced():
    data = records(QUERIES[:4], region="uk") + records(QUERIES[4:5], region="de")
    data[4]["label"] = "fees"
    expected = {"label": ["card", "fees", "refund"], "region": ["uk", "de", "narnia"]}
    result = run(data, eval_texts=[QUERIES[4]], expected=expected,
                 options={"min_per_slice": 2, "rebalance": "oversample", "slice_values": {"region": ["atlantis"]}})
    # "fees" and "de" had one record, which overlapped the evaluation split; "refund" and "narnia" appear only
    # there, "atlantis" only in the spec: all are known, none has a training record, none can be oversampled
    assert result.coverage["label"] == {
        "card": {"before": 4, "after": 4, "below_minimum": False},
        "fees": {"before": 0, "after": 0, "below_minimum": True},
        "refund": {"before": 0, "after": 0, "below_minimum": True},
    }
    after = {value: audit["after"] for value, audit in result.coverage["region"].items()}
    assert after == {"atlantis": 0, "de": 0, "narnia": 0, "uk": 4}
    assert result.without_records() == {"label": 2, "region": 3}
    assert result.counts()["slices_without_records"] == {"label": 2, "region": 3}
    assert step(result, "rebalance")["added"] == 0 and len(result.records) == 4

    refusal = coverage_refusal(result, CurateOptions(min_per_slice=2))
    assert "2 of 'label'" in refusal and "3 of 'region'" in refusal and "min_per_slice is 2" in refusal
    assert not any(value in refusal for value in ("fees", "refund", "narnia", "atlantis"))  # it goes into the ledger
    assert coverage_refusal(result, CurateOptions()) is None  # audit only: flagged, and the run goes on

    with pytest.raises(ConfigError, match="curate.slice_values names 'channel'"):
        run(data, options={"slice_values": {"channel": ["app"]}})


def test_the_label_is_audited_and_rebalanced_like_a_slice():
    data = records(QUERIES[:5], label="card") + records(QUERIES[5:], label="account")
    result = run(data, slices=[], options={"min_per_slice": 2, "rebalance": "oversample"})
    assert result.coverage == {"label": {"account": {"before": 1, "after": 2, "below_minimum": False},
                                         "card": {"before": 5, "after": 5, "below_minimum": False}}}
    assert step(result, "rebalance")["oversampled"] == {"label=account": 1}


# -- canaries ---------------------------------------------------------------------------------------------


def test_canaries_are_planted_last_untouched_by_scrubbing_dedupe_and_the_slice_audit():
    def mask_digits(batch):  # a real scrub step that would erase a canary's secret if it ever saw one
        return [{**r, "text": re.sub(r"\d", "#", r["text"])} for r in batch], ScrubReport(records=len(batch))

    def generate(seeds, n):
        return [{**s, "text": f"{s['text']} Order 123 and 456 please."} for s in seeds for _ in range(n)]

    canaries = Planting(("my account number is 4 8 1 5 1 6", "the customer reference is 2 3 4 2 9 9"), 3, "d" * 64)
    options = {"augment": {"enabled": True}, "min_per_slice": 1, "dedupe": {"jaccard": 0.95}}
    result = run(records(QUERIES[:3]), generate=generate, scrub=mask_digits, eval_texts=[canaries.lines[0]],
                 canaries=canaries, options=options)
    texts = [r["text"] for r in result.records]
    assert [texts.count(line) for line in canaries.lines] == [3, 3]
    synthetic = [t for t in texts if t not in QUERIES and t not in canaries.lines]
    assert len(synthetic) == 3 and all(t.endswith("Order ### and ### please.") for t in synthetic)
    assert step(result, "canaries") == {"step": "canaries", "in": 6, "added": 6, "dropped": {}, "out": 12,
                                        "canaries": 2, "copies": 3, "digest": "d" * 64}
    assert result.funnel[-1]["step"] == "canaries"
    assert result.coverage["region"] == {"uk": {"before": 6, "after": 6, "below_minimum": False}}
    assert not any(secret in json.dumps(result.report()) for secret in ("4 8 1 5 1 6", "2 3 4 2 9 9"))
    assert_funnel_is_one_honest_chain(result)
    again = run(records(QUERIES[:3]), generate=generate, scrub=mask_digits, eval_texts=[canaries.lines[0]],
                canaries=canaries, options=options)
    assert [r["text"] for r in again.records] == texts  # the same positions every time
    # a run that skips curation plants the same way, at the same positions
    unplanted = run(records(QUERIES[:3]), generate=generate, scrub=mask_digits, eval_texts=[canaries.lines[0]],
                    options=options)
    assert [r["text"] for r in plant(unplanted.records, canaries, text_field="text")] == texts


# -- in a pipeline run ------------------------------------------------------------------------------------


def ledger_entries(workspace, run_id=None):
    entries = [json.loads(leaf) for _seq, leaf, _sig, _hash in workspace.ledger().rows()]
    return [e for e in entries if run_id is None or e["run_id"] == run_id]


def intent_rows():
    """Toy intent queries, "pin" only among those the split sends to evaluation: a label training lacks."""
    import tinymodels as tm

    from stillroom.pipeline import split_records

    texts, labels = tm.toy_split(80, 5)
    names = ["card_arrival", "transfer", "pin"]
    rows = [{"text": t, "label": names[y % 2]} for t, y in zip(texts, labels)]
    _train, validation, test = split_records(rows, "text", 0.1, 0.1, seed=0)
    for row in (validation + test)[::2]:
        row["label"] = "pin"
    return rows


def test_a_run_refuses_a_label_with_no_training_record_when_min_per_slice_is_set_and_flags_it_otherwise(
        workspace, tmp_path):
    import tinymodels as tm

    from stillroom.config import parse_spec
    from stillroom.errors import RunRefused
    from stillroom.pipeline import run_pipeline

    path = tmp_path / "intents.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in intent_rows()))
    base = {"name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
            "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
            "data": {"label_field": "label"}, "student": {"layers": 1, "epochs": 1, "batch_size": 16},
            "baseline": False, "evaluators": [], "exporters": []}

    with pytest.raises(RunRefused, match=r"no training record \(1 of 'label'\) while curate.min_per_slice is 3"):
        run_pipeline(workspace, parse_spec({**base, "curate": {"min_per_slice": 3, "rebalance": "oversample"}}),
                     initiator="op", progress=False)
    *_, failed, end = ledger_entries(workspace)
    assert end["kind"] == "run.end" and end["payload"]["status"] == "refused"
    assert failed["kind"] == "stage.curate" and "1 of 'label'" in failed["payload"]["message"]
    funnel = workspace.artifacts.read_json(end["payload"]["artifacts"]["curation_funnel"])
    assert funnel["coverage"]["label"]["pin"] == {"before": 0, "after": 0, "below_minimum": True}
    assert funnel["coverage"]["label"]["transfer"]["after"] >= 3

    run = run_pipeline(workspace, parse_spec(base), initiator="op", progress=False)
    curated = next(e for e in ledger_entries(workspace, run.run_id) if e["kind"] == "stage.curate")
    assert curated["payload"]["status"] == "succeeded"
    assert curated["payload"]["outputs"]["steps"]["slices_without_records"] == {"label": 1}
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    assert funnel["coverage"]["label"]["pin"] == {"before": 0, "after": 0, "below_minimum": False}
    assert "pin" in run.dataset.label_names and run.dataset.label_names.index("pin") not in run.dataset.train.labels


def test_a_run_with_the_canary_evaluator_plants_its_canaries_in_training_only_and_probes_exactly_those(
        workspace, tmp_path):
    import tinymodels as tm

    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    path = tmp_path / "lm.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in tm.toy_split(60, 4)[0]))
    spec = parse_spec({
        "name": "lm", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.causal_dir(tmp_path / "teacher")), "task": "causal-lm", "top_k": 8},
        # trained hard on the texts themselves (as sequence-level KD and the labels-only baseline are), so the
        # planted canaries are learned and the probe must say so
        "student": {"init": "config", "config": {"num_hidden_layers": 2}, "method": "labels", "epochs": 20,
                    "lr": 1e-2, "batch_size": 16, "warmup": 0.0},
        "evaluators": [{"type": "canary", "count": 2, "copies": 20, "candidates": 63}], "exporters": [],
    })
    run = run_pipeline(workspace, spec, initiator="op", progress=False)

    canary_set = workspace.artifacts.read_json(run.artifacts["canaries"])
    assert canary_set["seed_from"] == "workspace secret and run seed" and canary_set["copies"] == 20
    lines, secrets = canary_set["lines"], [c["secret"] for c in canary_set["canaries"]]
    splits = {name: workspace.artifacts.read_json(run.artifacts[f"split.{name}"])
              for name in ("train", "validation", "test")}
    assert [splits["train"].count(line) for line in lines] == [20, 20]
    assert not any(secret in text for secret in secrets for name in ("validation", "test") for text in splits[name])

    summary = run.summaries["curate"]
    assert summary["canaries"] == {"planted": 40, "canaries": 2, "copies": 20, "digest": run.artifacts["canaries"]}
    funnel = workspace.artifacts.read_json(summary["funnel"])
    assert funnel["funnel"][-1] == {"step": "canaries", "in": summary["kept"] - 40, "added": 40, "dropped": {},
                                    "out": summary["kept"], "canaries": 2, "copies": 20,
                                    "digest": run.artifacts["canaries"]}
    assert summary["kept"] == len(splits["train"])

    (evaluation,) = run.evaluations["student"]
    assert evaluation.metrics["canaries"] == 2 and set(evaluation.slices["canary"]) == {"0", "1"}
    # the planted secret ranks first of 64 candidates: the most exposure the probe can report (log2 64)
    assert evaluation.metrics["canary_exposure_max"] == pytest.approx(6.0)

    ledger = json.dumps(ledger_entries(workspace, run.run_id))
    assert run.artifacts["canaries"] in ledger and not any(secret in ledger for secret in secrets)
    assert str(canary_set["seed"]) not in ledger

    again = run_pipeline(workspace, spec, initiator="op", progress=False)  # the same workspace plants the same set
    assert again.artifacts["canaries"] == run.artifacts["canaries"]
    assert all(v["cached"] for v in again.summaries["label"]["outputs"].values())


# -- the transfer set: inputs the teacher labels ---------------------------------------------------------

def transfer_generator(**kwargs):
    from stillroom.augment import transfer_generator as make

    neighbours = {"card": ["cards", "debit"], "activate": ["enable"], "charged": ["billed"], "account": ["profile"]}
    return make(text_field="text", label_field="label", methods=kwargs.pop("methods", ["neighbours", "span"]),
                neighbours=neighbours, pool=["transfer", "refund", "balance"], seed=0, **kwargs)


def test_transfer_inputs_are_new_edits_without_the_source_label_and_never_touch_placeholders():
    generate = transfer_generator()
    seeds = records(["Please activate my card for <PERSON> today.", *QUERIES[1:3]], label="card")
    made = generate(seeds, 8)
    assert len(made) == 24 and all("label" not in r and r["region"] == "uk" for r in made)
    assert all("<PERSON>" in r["text"] for r in made[:8])
    assert sum(r["text"] != s["text"] for r, s in zip(made, [s for s in seeds for _ in range(8)])) >= 20
    assert made == generate(seeds, 8)  # seeded
    swapped = transfer_generator(methods=["neighbours"])(seeds[:1], 4)
    assert all(re.search(r"\b(cards|debit|enable)\b", r["text"]) for r in swapped)


def test_the_teacher_labels_every_transfer_input_and_unsure_ones_are_dropped_with_a_reason():
    seen = []

    def teacher_probs(texts):
        seen.extend(texts)
        # the teacher calls anything about a refund or a transfer "transfer", everything else "card", and is
        # unsure of texts with fewer than 5 words
        return np.array([[0.1, 0.9] if re.search(r"refund|transfer", t) else [0.95, 0.05] for t in texts]) \
            * np.array([[1.0] if len(t.split()) >= 5 else [0.5] for t in texts]) \
            + np.array([[0.0, 0.0] if len(t.split()) >= 5 else [0.25, 0.25] for t in texts])

    data = records(QUERIES[:3], label="card")
    result = run(data, teacher_probs=teacher_probs, transfer=transfer_generator(), label_names=["card", "transfer"],
                 options={"transfer": {"per_record": 8, "min_confidence": 0.8}})
    assert_funnel_is_one_honest_chain(result)
    transfer = step(result, "transfer")
    assert transfer["added"] == 24 and transfer["labelled_by"] == "teacher"
    generated = [r for i, r in enumerate(result.records) if i in set(result.transfer_rows)]
    assert generated and all(r["text"] in seen for r in generated)
    for r in generated:  # the teacher's label, not the source's
        assert r["label"] == ("transfer" if re.search(r"refund|transfer", r["text"]) else "card")
    assert any(r["label"] == "transfer" for r in generated) or transfer["dropped"]
    unsure = [d for d in result.drops if d["reason"] == "low_confidence"]
    assert all(d["generated_by"] == "transfer" and d["step"] == "transfer" for d in unsure)
    assert result.generated["made"]["transfer"] == 24
    assert result.without_transfer() == [r for i, r in enumerate(result.records) if i not in set(result.transfer_rows)]
    assert len(result.without_transfer()) == 3


def test_transfer_inputs_that_repeat_each_other_or_the_evaluation_split_are_dropped():
    from stillroom.augment import transfer_generator as make

    # no neighbours and an empty pool: every span edit deletes words, so variants repeat
    generate = make(text_field="text", label_field="label", methods=["span"], neighbours={}, pool=[], seed=0)
    data = records(QUERIES[:2])
    variants = generate(data, 8)
    result = run(data, teacher_probs=lambda texts: np.tile([0.9, 0.1], (len(texts), 1)), transfer=generate,
                 label_names=["card", "other"], eval_texts=[variants[0]["text"]],
                 options={"transfer": {"per_record": 8}})
    assert_funnel_is_one_honest_chain(result)
    reasons = {d["reason"] for d in result.drops if d.get("generated_by") == "transfer"}
    assert "eval_overlap_exact" in reasons and reasons & {"exact_duplicate", "near_duplicate"}
    texts = [normalise(r["text"]) for r in result.records]
    assert len(texts) == len(set(texts)) and normalise(variants[0]["text"]) not in texts


def test_a_transfer_set_needs_a_classifier_teacher_and_paraphrase_is_refused_without_a_generative_one():
    from stillroom.augment import transferer

    with pytest.raises(ConfigError, match="classifier or embedding teacher"):
        run(records(QUERIES[:2]), options={"transfer": {"per_record": 2}})
    with pytest.raises(ConfigError, match="paraphrase, which needs a generative teacher"):
        transferer(object(), records(QUERIES[:2]), text_field="text", label_field="label", methods=["paraphrase"])
    with pytest.raises(ConfigError, match="local teacher's embedding table"):
        transferer(object(), records(QUERIES[:2]), text_field="text", label_field="label", methods=["neighbours"])
    with pytest.raises(ValidationError):
        CurateOptions(transfer={"per_record": 2, "methods": ["synonyms"]})


def test_word_neighbours_are_the_nearest_other_words_by_cosine():
    from stillroom.augment import word_neighbours

    vocab = ["card", "cards", "debit", "pizza"]
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.8, 0.6], [-1.0, 0.1]])
    assert word_neighbours(["card", "unknown"], vocab, vectors, 2) == {"card": ["cards", "debit"]}


def test_a_spec_asking_for_paraphrases_without_a_generative_teacher_is_refused_before_anything_runs(
        workspace, tmp_path):
    import subprocess
    import sys

    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\n"
                    "curate: {transfer: {per_record: 8, methods: [neighbours, paraphrase]}}\n")
    before = sorted(p.name for p in workspace.root.rglob("*"))
    result = subprocess.run([sys.executable, "-m", "stillroom.cli", "run", str(spec), "--workspace",
                             str(workspace.root), "--as", "op"], capture_output=True, text=True)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.rstrip().endswith(": curate.transfer: methods names paraphrase, so paraphrase.teacher must "
                                           "name the generative teacher that rewrites")
    assert sorted(p.name for p in workspace.root.rglob("*")) == before
