"""Curation: each step's decision and reason code, generation mechanics with a tiny real LM, scrubbed synthetic text."""

import json

import numpy as np
import pytest
from pydantic import ValidationError

from stillroom.augment import augmenter
from stillroom.curate import CurateOptions, curate

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


@pytest.mark.parametrize(("metric", "expected"), [("max_prob", [1]), ("margin", [1, 2])])
def test_low_teacher_confidence_is_dropped_with_a_reason(metric, expected):
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3], [0.55, 0.45, 0.0], [0.2, 0.8, 0.0]])
    result = run(records(QUERIES[:4]), teacher_probs=lambda texts: probs[: len(texts)],
                 options={"confidence": {"metric": metric, "threshold": 0.5}})
    assert dropped(result, "low_confidence") == expected
    assert step(result, "confidence") == {"step": "confidence", "in": 4, "out": 4 - len(expected),
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
    assert step(result, "generate") == {"step": "generate", "in": 2, "out": 2, "dropped": {}, "scrubbed": True}


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
    made = [s for s in result.funnel if s["step"] == "generate:region=de"]
    assert made and made[0]["in"] == 1 and made[0]["out"] == 2
    assert result.coverage["region"]["de"]["after"] == 3
    generated = [r for r in result.records if r["region"] == "de"][1:]
    assert all(r["label"] == "card" and set(r["text"].split()) <= set(words) for r in generated)


def test_funnel_report_has_counts_and_reasons_but_no_text():
    data = records(QUERIES + QUERIES[:2])
    result = run(data, eval_texts=[QUERIES[3]])
    report = json.dumps(result.report())
    assert not any(q in report for q in QUERIES)
    assert [s["step"] for s in result.funnel] == ["input", "dedupe", "contamination", "rebalance"]
    assert result.counts() == {"kept": 5, "steps": {"input": {"in": 8, "out": 8}, "dedupe": {"in": 8, "out": 6},
                                                      "contamination": {"in": 6, "out": 5}, "rebalance": {"in": 5, "out": 5}}}


def test_options_are_validated():
    with pytest.raises(ValidationError):
        CurateOptions(dedupe={"jaccard": 1.5})
    with pytest.raises(ValidationError):
        CurateOptions(rebalance="smote")
    with pytest.raises(ValidationError):
        CurateOptions(confidence={"treshold": 0.5})
