"""Curate the training data: generate, scrub, filter, dedupe, decontaminate, rebalance, plant.

Every step is a pure function of its inputs (the teacher, the generator and
the scrubber come in as callables), and every record a step drops leaves a
reason code, so the funnel report explains the data a student was trained on.
The report holds counts, indices, digests and reason codes, never a record's text.

The funnel is one chain: each step's ``in`` is the previous step's ``out``, and
``out == in + added - sum(dropped)``. A step that adds records (generation,
rebalancing, planted canaries) says how many it added, and a generated record
that any step removes is counted under that step's reason code; the report's
``generated`` section follows synthetic records from making to keeping.

The transfer set (``transfer.per_record`` > 0) is generated first: edited
copies of every input record, scrubbed, labelled by the teacher (the label
is the teacher's top class, never the source record's; its soft targets are
cached by the label stage like any teacher output; an embedding teacher's
class is the vote of its nearest labelled records, ``neighbour_vote``, and
without labels its embeddings are all it gives), and filtered on the
teacher's confidence or margin; the dedupe and contamination steps then drop
near-duplicates of each other, of the inputs and of the evaluation split.
With ``methods: [paraphrase]`` a generative teacher (``transfer.paraphrase``)
rewrites some of those copies instead of editing them, sampled; they are
scrubbed and labelled like every other transfer input.

With a generative teacher (``curate.write``; ``rebalance: generate``), the
records that fill a weak slice are written, not edited: prompts built from the
slice's scrubbed seed records, ``per_seed`` variants each sampled with
temperature and nucleus sampling, scrubbed again, labelled by the task teacher
(a variant it puts in another class is ``off_slice``), filtered on its
confidence, then screened like the data they join. The coverage audit gives,
per slice value, how many records generation added.

With a causal-LM teacher and ``curate.answer``, the ``answer`` step (after
rebalancing, before canaries) has the teacher answer every prompt kept; the
answers come scrubbed, with their mean token log-probs (``answered``), and a
prompt is dropped whose answer still holds PII, is empty, scores below
``min_logprob`` (nats) or, with its prompt, duplicates an earlier pair. A
teacher that gives no log-prob for an answer (an endpoint that returns none)
stops a run that sets ``min_logprob``: the filter cannot read what is not there.

Reason codes: ``scrub_residual`` (a generated record or answer in which the residual
scan still finds PII), ``empty_text`` (a generator that wrote nothing), ``off_slice``
(the teacher labels a written record outside the slice it was written for),
``low_confidence``, ``low_logprob`` (an answer below ``min_logprob``), ``exact_duplicate``, ``near_duplicate``,
``eval_overlap_exact``, ``eval_overlap_near``, ``surplus`` (generated beyond a
slice's shortfall).
"""

from __future__ import annotations

import itertools
import math
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stillroom.components import Batch, Record, Scrubber, ScrubReport
from stillroom.errors import ConfigError

Generate = Callable[[list[Record], int], list[Record]]
Answers = Callable[[list[str]], dict[str, Any]]  # prompts -> ``answered``'s result
TeacherProbs = Callable[[list[str]], Any]  # (n, C) array of class probabilities
Scrub = Callable[[Batch], tuple[Batch, ScrubReport]]
MinHashValues = Callable[[list[str]], Any]  # normalised texts -> (n, num_perm) MinHash values, in order
T = TypeVar("T")


class ConfidenceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: Literal["max_prob", "margin"] = "max_prob"
    threshold: float = Field(0.0, ge=0, le=1, description="drop records the teacher is less sure of; 0 keeps all")


class DedupeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jaccard: float = Field(0.85, gt=0, le=1, description="near-duplicate threshold on character 4-gram sets")
    num_perm: int = Field(128, ge=16, le=1024)


class AugmentOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    per_record: int = Field(1, ge=1, le=20)
    methods: list[Literal["replace", "delete", "swap"]] = ["replace", "delete", "swap"]
    slices: dict[str, list[str]] = Field(default_factory=dict, description="generate only for these slice values")


class _Sampled(BaseModel):
    """A generative teacher's sampling: never greedy, which writes the same text for every variant."""

    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.9, gt=0, le=2, description="sampling temperature (greedy decoding repeats itself)")
    top_p: float = Field(0.95, gt=0, le=1, description="nucleus sampling: the smallest set of tokens with this mass")


def _fills_text(prompt: str) -> str:
    """A prompt that ``str.format(text=...)`` fills: its one field is ``{text}``."""
    try:
        fields = {name for _literal, name, _spec, _conversion in string.Formatter().parse(prompt) if name is not None}
    except ValueError:  # an unmatched brace
        fields = set()
    if fields != {"text"}:
        raise ValueError(f"must contain {{text}}, where the text goes, and no other {{field}} (double a literal "
                         f"brace: {{{{ }}}}); {prompt!r} does not")
    return prompt


def _causal_lm(teacher: dict[str, Any] | None, verb: str) -> dict[str, Any] | None:
    if teacher is not None and teacher.get("task", "causal-lm") != "causal-lm":
        raise ValueError(f"must be a causal LM (task: causal-lm) to {verb} text, not {teacher['task']!r}")
    return teacher


class ParaphraseOptions(_Sampled):
    """``curate.transfer.paraphrase``: a generative teacher rewrites training inputs for the transfer set.

    Each prompt is applied to the previous one's output, so two prompts make a
    round trip (into another language and back, or formal and back to plain).
    """

    teacher: dict[str, Any] = Field(description="the rewriter, a causal LM, e.g. {type: hf, gguf: FILE}")
    prompts: list[str] = Field(["Rewrite this customer message in other words: {text}\nRewritten:"], min_length=1,
                               max_length=4, description="applied in turn, each to the last one's first line")
    max_new_tokens: int = Field(40, ge=1, le=256)

    @field_validator("prompts")
    @classmethod
    def _prompts_fill_the_text(cls, prompts: list[str]) -> list[str]:
        return [_fills_text(prompt) for prompt in prompts]

    @field_validator("teacher")
    @classmethod
    def _a_causal_lm(cls, teacher: dict[str, Any]) -> dict[str, Any] | None:
        return _causal_lm(teacher, "rewrite")


class TransferOptions(BaseModel):
    """``curate.transfer``: inputs made for the teacher to label, ``per_record`` per training record."""

    model_config = ConfigDict(extra="forbid")
    per_record: int = Field(0, ge=0, le=64, description="generated inputs per training record; 0: no transfer set")
    methods: list[Literal["neighbours", "span", "paraphrase"]] = ["neighbours", "span"]
    neighbours: int = Field(8, ge=1, le=100, description="nearest words in the teacher's embedding table to swap from")
    metric: Literal["max_prob", "margin"] = "max_prob"
    min_confidence: float = Field(0.0, ge=0, le=1, description="drop generated inputs the teacher is less sure of")
    paraphrase: ParaphraseOptions | None = Field(None, description="the generative teacher behind methods: paraphrase")

    @field_validator("methods")
    @classmethod
    def _some_method(cls, methods: list[str]) -> list[str]:
        if not methods:
            raise ValueError("name at least one of neighbours, span, paraphrase")
        return methods

    @model_validator(mode="after")
    def _paraphrase_has_a_writer_and_work(self) -> TransferOptions:
        if "paraphrase" in self.methods and self.paraphrase is None:
            raise ValueError("methods names paraphrase, so paraphrase.teacher must name the generative teacher "
                             "that rewrites")
        if self.paraphrase is not None and ("paraphrase" not in self.methods or not self.per_record):
            raise ValueError("paraphrase is set, but nothing would use it: it needs paraphrase among methods and "
                             "per_record above 0")
        return self


class WriteOptions(_Sampled):
    """``curate.write``: a generative teacher writes the records that fill weak slices (``rebalance: generate``)."""

    teacher: dict[str, Any] | None = Field(None, description="the generative teacher, e.g. {type: hf, path: DIR, "
                                           "task: causal-lm}; omitted in a causal-LM pipeline, whose teacher writes")
    per_seed: int = Field(4, ge=1, le=32, description="variants sampled per seed record")
    max_new_tokens: int = Field(32, ge=1, le=256)
    min_confidence: float = Field(0.5, ge=0, le=1, description="drop written records the task teacher is less sure of")
    prompt: str = Field("Another customer message like this one: {text}\nMessage:",
                        description="what the writer continues; {text} is a scrubbed seed record's text")

    @field_validator("prompt")
    @classmethod
    def _prompt_fills_the_seed(cls, prompt: str) -> str:
        return _fills_text(prompt)

    @field_validator("teacher")
    @classmethod
    def _a_causal_lm(cls, teacher: dict[str, Any] | None) -> dict[str, Any] | None:
        return _causal_lm(teacher, "write")


class AnswerOptions(BaseModel):
    """``curate.answer``: a causal-LM teacher answers every training prompt here, once, instead of at train time."""

    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.0, ge=0, le=2, description="sampling temperature; 0 decodes greedily")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling (with temperature > 0)")
    max_new_tokens: int = Field(32, ge=1, le=512, description="the longest answer, in tokens")
    min_logprob: float | None = Field(None, le=0, description="drop answers whose mean token log-prob under the "
                                      "teacher, in nats (0 or below, e.g. -2.5), is lower; omitted keeps all")


class CurateOptions(BaseModel):
    """The ``curate:`` section of a pipeline spec."""

    model_config = ConfigDict(extra="forbid")
    confidence: ConfidenceOptions = ConfidenceOptions()
    dedupe: DedupeOptions = DedupeOptions()
    min_per_slice: int = Field(0, ge=0, description="the fewest training records each value of the label and of "
                               "every slice field should have; a known value with none refuses the run")
    rebalance: Literal["oversample", "generate", "none"] = "none"
    augment: AugmentOptions = AugmentOptions()
    transfer: TransferOptions = TransferOptions()
    write: WriteOptions | None = None
    answer: AnswerOptions | None = None
    slice_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="values of a slice field (or of the label field) the training data should cover; "
        "audited even where no record has one")
    seed: int = 0

    def generative_teachers(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The generative teachers this section names, as (role, where in the spec, teacher section): the
        writer (``write.teacher``) and the paraphraser (``transfer.paraphrase.teacher``)."""
        named = [("writer", "curate.write.teacher", self.write and self.write.teacher),
                 ("paraphraser", "curate.transfer.paraphrase.teacher",
                  self.transfer.paraphrase and self.transfer.paraphrase.teacher)]
        return [(role, where, section) for role, where, section in named if section]

    @model_validator(mode="after")
    def _write_fills_slices(self) -> CurateOptions:
        if self.write is not None and (self.rebalance != "generate" or self.min_per_slice < 1):
            raise ValueError("curate.write writes the records that fill slices below curate.min_per_slice; set "
                             "rebalance: generate and min_per_slice, or remove write")
        if self.rebalance != "none" and self.min_per_slice < 1:
            raise ValueError(f"curate.rebalance: {self.rebalance} fills slices up to curate.min_per_slice, which is "
                             "not set; set min_per_slice, or remove rebalance")
        if not self.augment.enabled:  # set but never read: refused, not ignored
            unread = sorted(self.augment.model_fields_set & {"per_record"})  # slices: the slice audit reads them
            if "methods" in self.augment.model_fields_set and self.rebalance != "generate":
                unread.insert(0, "methods")
            if unread:
                raise ValueError(f"curate.augment.{unread[0]} is set, but augmentation is off (augment.enabled: "
                                 f"false), so nothing reads it; set enabled: true, or remove {unread[0]}")
        return self


@dataclass(frozen=True)
class Planting:
    """Lines a memorization probe plants in the training texts, each ``copies`` times.

    ``digest`` names the probe's whole canary set (its seed included); reports
    carry it and the counts, never the lines.
    """

    lines: tuple[str, ...]
    copies: int
    digest: str

    @property
    def records(self) -> int:
        return len(self.lines) * self.copies


@dataclass
class CurateResult:
    records: list[Record]
    funnel: list[dict[str, Any]] = field(default_factory=list)
    drops: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    scrub: ScrubReport | None = None
    generated: dict[str, dict[str, int]] = field(default_factory=dict)
    transfer_rows: list[int] = field(default_factory=list)  # positions in ``records`` the transfer set made
    answers: list[str] | None = None  # with ``curate.answer``: the teacher's scrubbed answer to each of ``records``

    def without_transfer(self) -> list[Record]:
        """The kept records less the transfer set: what a labels-only baseline, which never sees the teacher, trains on."""
        made = set(self.transfer_rows)
        return [r for i, r in enumerate(self.records) if i not in made]

    def report(self) -> dict[str, Any]:
        """The funnel report artifact: counts, indices, digests and reasons only."""
        return {"funnel": self.funnel, "drops": self.drops, "coverage": self.coverage, "generated": self.generated,
                "scrub": self.scrub.as_dict() if self.scrub else None}

    def counts(self) -> dict[str, Any]:
        """What the ledger records."""
        steps = {s["step"]: {k: s[k] for k in ("in", "added", "dropped", "out")} for s in self.funnel}
        return {"kept": len(self.records), "steps": steps, "generated": self.generated,
                "slices_without_records": self.without_records()}

    def without_records(self) -> dict[str, int]:
        """Per audited field, how many of its known values have no training record at all."""
        counts = {name: sum(entry["after"] == 0 for entry in audit.values()) for name, audit in self.coverage.items()}
        return {name: n for name, n in counts.items() if n}


def curate(
    records: Sequence[Record],
    *,
    text_field: str,
    label_field: str | None,
    slice_fields: Sequence[str],
    options: CurateOptions,
    teacher_probs: TeacherProbs | None = None,
    generate: Generate | None = None,
    scrub: Scrubber | Scrub | None = None,
    eval_texts: Iterable[str] = (),
    expected: Mapping[str, Iterable[object]] | None = None,
    canaries: Planting | None = None,
    transfer: Generate | None = None,
    label_names: Sequence[str] | None = None,
    minhash_values: MinHashValues | None = None,
    writer: Generate | None = None,
    answers: Answers | None = None,
) -> CurateResult:
    """Run every curation step over ``records`` (already scrubbed) and return what is kept.

    A record is identified in ``drops`` by its ``index``: its position in the
    input, or, for a synthetic record, ``len(records)`` plus its position among
    the generated ones (``origin`` says which, ``generated_by`` which step made it).

    The coverage audit covers the label field and every slice field, over every
    value that is known to exist: in the input (before any filter), in
    ``expected`` (the evaluation split's values), or declared in
    ``options.slice_values``. A known value with no training record is audited as 0.

    ``canaries`` are planted last: after the scrubbed data passed every filter,
    so they count toward no slice, duplicate or overlap.

    ``transfer`` makes the transfer set (``options.transfer``); each input it makes
    is labelled ``label_names[argmax teacher_probs]``, so both are required with it.

    ``minhash_values`` computes the near-duplicate signatures of many texts at
    once (the pipeline maps it over its executor's workers); by default
    ``minhash_values_of`` here.

    ``writer`` (with ``options.write``) is a generative teacher's generator: it
    fills weak slices instead of ``generate``, and with a classifier teacher
    (``teacher_probs``) every record it writes is labelled by that teacher.

    ``answers`` (with ``options.answer``) gives the teacher's answers to the
    records kept, as ``answered`` makes them: scrubbed, with their mean token
    log-probs. The ``answer`` step drops a record whose answer still holds PII,
    is empty, is below ``min_logprob``, or whose prompt and answer together
    duplicate another's; canaries, planted after it, train without one.
    """
    fields = list(dict.fromkeys([*([label_field] if label_field else []), *slice_fields]))
    undeclared = sorted(set(options.slice_values) - set(fields))
    if undeclared:
        raise ConfigError(f"curate.slice_values names {undeclared[0]!r}, which is neither data.label_field "
                          "nor one of data.slice_fields")
    if (answers is None) != (options.answer is None):
        raise ConfigError("curate.answer and an answerer come together: the pipeline's causal-LM teacher answers")
    if (writer is None) != (options.write is None):
        raise ConfigError("curate.write and a writer come together: the writer is the generative teacher it names")
    if writer is not None and label_field and (teacher_probs is None or not label_names):
        raise ConfigError("curate.write has the task teacher label what the writer writes, which needs a classifier "
                          "teacher and the label names")
    run = _Run(text_field, options, scrub, teacher_probs, list(eval_texts), len(records),
               minhash_values or (lambda norms: minhash_values_of(norms, options.dedupe.num_perm)))
    run.label_field, run.label_names = label_field, list(label_names or [])
    items = [_Item(dict(r), i, "input") for i, r in enumerate(records)]
    run.step("input", items, items)

    if options.transfer.per_record:
        if transfer is None or (teacher_probs is None and (label_field or options.transfer.min_confidence)):
            raise ConfigError("curate.transfer.per_record asks for a transfer set labelled by the teacher, which needs "
                              "a classifier or embedding teacher; set it to 0 for this pipeline")
        if label_field and not label_names:
            raise ConfigError("curate.transfer needs the label names to write the teacher's labels under "
                              f"{label_field!r}")
        items = run.transfer(items, transfer)
    if options.augment.enabled and generate is not None:
        items = run.augment(items, generate)
    if options.confidence.threshold > 0:
        if teacher_probs is None:
            raise ConfigError("curate.confidence filters on the teacher's class probabilities, and this pipeline's "
                              "teacher gives none (a causal LM, or an embedding teacher without data.label_field); "
                              "set confidence.threshold to 0")
        items = run.apply("confidence", items, run.unconfident)
    items = run.apply("dedupe", items, lambda xs: run.duplicates(xs, _Index(options.dedupe)))
    items = run.apply("contamination", items, run.contaminated)
    items = run.rebalance(items, fields, _known_values(records, fields, expected, options), writer or generate)
    if answers is not None:
        items = run.answer(items, answers)
    if canaries is not None:
        items = run.plant(items, canaries)
    return CurateResult([it.record for it in items], run.funnel, run.drops, run.coverage, run.scrub_report,
                        run.generated_summary(items),
                        [i for i, it in enumerate(items) if it.generated_by == "transfer"],
                        [it.answer or "" for it in items] if answers is not None else None)


def answered(prompts: list[str], answer: Callable[[list[str]], list[tuple[str, float | None]]],
             scrub: Scrub | None, field_name: str) -> dict[str, Any]:
    """The teacher's answers to ``prompts``, scrubbed before anything keeps them (a model can write PII it
    learned), with each one's mean token log-prob (None where the teacher gave none: an endpoint that returns no
    log-probs) and the rows whose residual scan still finds PII.

    The result holds no unscrubbed text, so it can be cached as an artifact: ``{"answers", "mean_logprob",
    "residual": [row, ...], "scrub": report or None}``. ``field_name`` is the field the scrubber reads.
    """
    made = answer(list(prompts)) if prompts else []
    if len(made) != len(prompts):
        raise ConfigError(f"the teacher answered {len(prompts)} prompts with {len(made)} answers")
    texts, means = [text for text, _ in made], [None if mean is None else float(mean) for _, mean in made]
    residual: list[int] = []
    report = None
    if scrub is not None and texts:
        batch, report = scrub([{field_name: t} for t in texts])
        residual = sorted({r["record"] for r in report.residual})
        texts = [str(record[field_name]) for record in batch]
    return {"answers": texts, "mean_logprob": means, "residual": residual,
            "scrub": report.as_dict() if report is not None else None}


def answers_kept(made: dict[str, Any]) -> list[str]:
    """``answered``'s answers, each left empty where the residual scan still found PII in it, so nothing keeps or
    learns it: for a split that must stay whole (validation, a trainer's own answers), where none is dropped."""
    residual = set(made["residual"])
    return ["" if row in residual else answer for row, answer in enumerate(made["answers"])]


def scrubbing(scrub: Scrubber | Scrub, fields: list[str]) -> Scrub:
    """``scrub`` as one call that scrubs a batch and scans what it left (``ScrubReport.residual``): a run passes
    its scrubber through the policy's term lists (``pii_lists.ListedScrub``), which is one already; a bare
    scrubber (direct use, a test's) scrubs as it does alone (``Scrubber.scrub``), then scans ``fields``."""
    if not isinstance(scrub, Scrubber):
        return scrub

    def scanned(batch: Batch) -> tuple[Batch, ScrubReport]:
        clean, report = scrub.scrub(batch)
        report.residual = scrub.residual_scan(clean, fields)
        return clean, report

    return scanned


def plant(records: Sequence[Record], canaries: Planting, *, text_field: str) -> list[Record]:
    """``records`` with each canary line inserted ``copies`` times, for a run that skips curation."""
    return planted(list(records), canaries.lines, canaries.copies, lambda line: {text_field: line})


def planted(items: list[T], lines: Sequence[str], copies: int, make: Callable[[str], T]) -> list[T]:
    """``items`` with ``make(line)`` inserted ``copies`` times per line, at positions fixed by the line and copy."""
    out = list(items)
    for line in lines:
        for copy in range(copies):
            out.insert(random.Random(f"{line}/{copy}").randint(0, len(out)), make(line))
    return out


def coverage_refusal(result: CurateResult, options: CurateOptions) -> str | None:
    """Why a run must stop on its coverage audit, or None when it may go on.

    A known label or slice value with no training record is the worst case of
    thin coverage, and neither oversampling nor generation can make records
    from none. With ``min_per_slice`` set the operator asked for a floor the
    run cannot reach, and the student would be evaluated on a value it never
    saw, so the run stops. With it unset the value is flagged in the report
    (``after: 0``) and counted in the ledger (``slices_without_records``).
    The sentence names fields and counts, never values: it goes into the ledger.
    """
    missing = result.without_records()
    if options.min_per_slice == 0 or not missing:
        return None
    listed = ", ".join(f"{n} of {name!r}" for name, n in missing.items())
    return (f"the slice coverage audit found values with no training record ({listed}) while curate.min_per_slice "
            f"is {options.min_per_slice}; no rebalancing can make records from none: add data for them, or set "
            "min_per_slice to 0 to train with them flagged (the curation funnel report's coverage names them)")


@dataclass
class _Item:
    record: Record
    index: int
    origin: str  # input, synthetic, oversampled, canary
    generated_by: str | None = None
    answer: str | None = None
    _norm: str | None = None
    _signature: Any = None


class _Index:
    """Exact (normalised text) and near-duplicate (MinHash LSH) lookup over the texts added so far."""

    def __init__(self, options: DedupeOptions) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=options.jaccard, num_perm=options.num_perm)
        self.exact: set[str] = set()

    def match(self, norm: str, signature) -> str | None:
        if norm in self.exact:
            return "exact"
        return "near" if self.exact and self.lsh.query(signature) else None

    def add(self, norm: str, signature) -> None:
        if norm not in self.exact:
            self.lsh.insert(str(len(self.exact)), signature)
            self.exact.add(norm)


class _Run:
    def __init__(self, text_field: str, options: CurateOptions, scrub: Scrubber | Scrub | None,
                 teacher_probs: TeacherProbs | None, eval_texts: list[str], inputs: int,
                 minhash_values: MinHashValues) -> None:
        self.text_field, self.options, self.minhash_values = text_field, options, minhash_values
        fields = (scrub.options.get("fields") or [text_field]) if isinstance(scrub, Scrubber) else []
        self._scrub = None if scrub is None else scrubbing(scrub, fields)
        self.teacher_probs, self.eval_texts, self.inputs = teacher_probs, eval_texts, inputs
        self.rng = random.Random(options.seed)
        self.funnel: list[dict[str, Any]] = []
        self.drops: list[dict[str, Any]] = []
        self.coverage: dict[str, dict[str, dict[str, Any]]] = {}
        self.scrub_report: ScrubReport | None = None
        self.made: Counter = Counter()
        self.synthetic_dropped: Counter = Counter()
        self._eval_index: _Index | None = None
        self.label_field: str | None = None
        self.label_names: list[str] = []

    # -- the funnel -------------------------------------------------------

    def step(self, name: str, before: list[_Item], after: list[_Item], *, added: int = 0,
             dropped: Counter | None = None, **detail: Any) -> None:
        self.funnel.append({"step": name, "in": len(before), "added": added, "dropped": dict(dropped or {}),
                            "out": len(after), **detail})

    def drop(self, item: _Item, step: str, reason: str, reasons: Counter) -> None:
        entry = {"index": item.index, "origin": item.origin, "step": step, "reason": reason}
        if item.generated_by:
            entry["generated_by"] = item.generated_by
            self.synthetic_dropped[reason] += 1
        self.drops.append(entry)
        reasons[reason] += 1

    def apply(self, name: str, items: list[_Item], check: Callable[[list[_Item]], list[str | None]]) -> list[_Item]:
        """One filter step: ``check`` gives each item its drop reason, or None to keep it."""
        kept: list[_Item] = []
        reasons: Counter[str] = Counter()
        for item, reason in zip(items, check(items), strict=True):
            if reason is None:
                kept.append(item)
            else:
                self.drop(item, name, reason, reasons)
        self.step(name, items, kept, dropped=reasons)
        return kept

    def generated_summary(self, final: list[_Item]) -> dict[str, dict[str, int]]:
        kept = Counter(it.generated_by for it in final if it.origin == "synthetic")
        return {"made": dict(self.made), "kept": dict(kept), "dropped": dict(self.synthetic_dropped)}

    # -- checks: a reason per item, or None -------------------------------

    def text(self, item: _Item) -> str:
        return str(item.record[self.text_field])

    def norm(self, item: _Item) -> str:
        if item._norm is None:
            item._norm = normalise(self.text(item))
        return item._norm

    def signature(self, item: _Item):
        if item._signature is None:
            self.sign([item])
        return item._signature

    def sign(self, items: list[_Item]) -> None:
        """Signatures for every item that has none, computed in one call: many texts make a batch worth shipping."""
        unsigned = [it for it in items if it._signature is None]
        for item, signature in zip(unsigned, self.signatures([self.norm(it) for it in unsigned]), strict=True):
            item._signature = signature

    def signatures(self, norms: list[str]) -> list:
        from datasketch import LeanMinHash

        values = self.minhash_values(norms) if norms else []
        return [LeanMinHash(seed=1, hashvalues=row, scheme=MINHASH_SCHEME) for row in values]

    def probabilities(self, items: list[_Item]) -> Any:
        """The teacher's class probabilities for ``items``, one row each."""
        import numpy as np

        assert self.teacher_probs is not None  # curate() runs the steps that ask for them only when it has them
        return np.asarray(self.teacher_probs([self.text(it) for it in items]), dtype=np.float64)

    def unconfident(self, items: list[_Item]) -> list[str | None]:
        import numpy as np

        if not items:
            return []
        probs = self.probabilities(items)
        top = np.sort(probs, axis=1)[:, ::-1]
        confidence = top[:, 0] if self.options.confidence.metric == "max_prob" else top[:, 0] - top[:, 1]
        return [None if c >= self.options.confidence.threshold else "low_confidence" for c in confidence]

    def duplicates(self, items: list[_Item], index: _Index) -> list[str | None]:
        """Each item against ``index`` and the items before it; the ones kept join ``index``."""
        reasons = []
        self.sign(items)
        for item in items:
            found = index.match(self.norm(item), self.signature(item))
            if found is None:
                index.add(self.norm(item), self.signature(item))
            reasons.append(None if found is None else f"{found}_duplicate")
        return reasons

    def contaminated(self, items: list[_Item]) -> list[str | None]:
        if self._eval_index is None:
            self._eval_index = _Index(self.options.dedupe)
            norms = [normalise(text) for text in self.eval_texts]
            for norm, signature in zip(norms, self.signatures(norms), strict=True):
                self._eval_index.add(norm, signature)
        self.sign(items)
        found = (self._eval_index.match(self.norm(it), self.signature(it)) for it in items)
        return [None if f is None else f"eval_overlap_{f}" for f in found]

    def screen(self, items: list[_Item], index: _Index, limit: int) -> list[str | None]:
        """Records made after the filters ran pass the same filters (confidence, overlap with the evaluation
        split, duplicates of what is kept); past ``limit`` passing ones, the rest are ``surplus``. Only the
        records kept join ``index``, so a surplus record never blocks a later one."""
        reasons: list[str | None] = [None] * len(items)
        self.sign(items)
        if self.teacher_probs is not None and self.options.confidence.threshold > 0:
            reasons = self.unconfident(items)
        contaminated = self.contaminated(items)
        passed = 0
        for k, item in enumerate(items):
            if reasons[k] is None:
                reasons[k] = contaminated[k]
            if reasons[k] is None and passed >= limit:
                reasons[k] = "surplus"
            if reasons[k] is None:
                reasons[k] = self.duplicates([item], index)[0]
                passed += reasons[k] is None
        return reasons

    def answer(self, items: list[_Item], answers: Answers) -> list[_Item]:
        """Each item answered by the teacher (``answered``); the answers that hold PII after scrubbing, are
        empty, score below ``min_logprob`` or, with their prompt, duplicate an earlier pair are dropped."""
        options = self.options.answer
        assert options is not None  # curate() refuses an answerer without curate.answer
        made = answers([self.text(it) for it in items])
        residual, reasons = set(made["residual"]), Counter[str]()
        floor = options.min_logprob if options.min_logprob is not None else -math.inf
        candidates, unscored = [], 0
        for k, item in enumerate(items):
            item.answer, mean = made["answers"][k], made["mean_logprob"][k]
            if k in residual:
                self.drop(item, "answer", "scrub_residual", reasons)
            elif not item.answer.strip():
                self.drop(item, "answer", "empty_text", reasons)
            elif mean is None:
                unscored += 1  # kept without a floor; with one, a filter that cannot read it must not pass it
                candidates.append(item)
            elif mean < floor:
                self.drop(item, "answer", "low_logprob", reasons)
            else:
                candidates.append(item)
        if unscored and options.min_logprob is not None:
            raise ConfigError(f"curate.answer.min_logprob filters on the teacher's token log-probs, and the teacher "
                              f"gave none for {unscored} of its {len(items)} answers (an endpoint must return "
                              "logprobs, as vLLM does); serve it where it does, or remove min_logprob")
        pairs = [_Item({self.text_field: f"{self.text(it)} {it.answer}"}, it.index, it.origin) for it in candidates]
        kept = []
        for item, reason in zip(candidates, self.duplicates(pairs, _Index(self.options.dedupe)), strict=True):
            if reason is None:
                kept.append(item)
            else:
                self.drop(item, "answer", reason, reasons)
        scrubbed = made["scrub"]
        self.step("answer", items, kept, dropped=reasons, temperature=options.temperature, top_p=options.top_p,
                  max_new_tokens=options.max_new_tokens, min_logprob=options.min_logprob,
                  scrubbed=scrubbed is not None, **({"scrub": scrubbed} if scrubbed else {}))
        return kept

    # -- steps that add ---------------------------------------------------

    def synthesize(self, generate: Generate, seeds: list[_Item], per_record: int, *, made_by: str,
                   reasons: Counter) -> tuple[list[_Item], int]:
        """Generated records, scrubbed before anything else sees them (a teacher can regurgitate PII), and the
        number made. One the residual scan still finds PII in is dropped, never kept: it is synthetic, so
        dropping it loses nothing a person wrote, where a residual in the input stops the run."""
        made = generate([dict(s.record) for s in seeds], per_record) if seeds else []
        residual: set[int] = set()
        if self._scrub is not None and made:
            made, report = self._scrub(made)
            residual = {r["record"] for r in report.residual}
            self.scrub_report = report if self.scrub_report is None else self.scrub_report.merge(report)
        start = self.inputs + sum(self.made.values())
        self.made[made_by] += len(made)
        kept = []
        for k, record in enumerate(made):
            item = _Item(record, start + k, "synthetic", made_by)
            if k in residual:
                self.drop(item, made_by, "scrub_residual", reasons)
            elif not self.text(item).strip():
                self.drop(item, made_by, "empty_text", reasons)
            else:
                kept.append(item)
        return kept, len(made)

    def labelled(self, new: list[_Item], step: str, metric: str, min_confidence: float,
                 reasons: Counter) -> list[_Item]:
        """``new`` labelled with the teacher's top class (never its seed's label); the ones it is unsure of dropped."""
        import numpy as np

        if not new:
            return []
        probs = self.probabilities(new)
        top = np.sort(probs, axis=1)[:, ::-1]
        confidence = top[:, 0] if metric == "max_prob" else top[:, 0] - top[:, 1]
        kept = []
        for item, row, sure in zip(new, probs, confidence, strict=True):
            if sure < min_confidence:
                self.drop(item, step, "low_confidence", reasons)
                continue
            if self.label_field:
                item.record[self.label_field] = self.label_names[int(row.argmax())]
            kept.append(item)
        return kept

    def transfer(self, items: list[_Item], generate: Generate) -> list[_Item]:
        """Generated inputs labelled by the teacher and kept when it is sure enough of them."""
        options = self.options.transfer
        seeds = [it for it in items if it.origin == "input"]
        reasons: Counter = Counter()
        new, made = self.synthesize(generate, seeds, options.per_record, made_by="transfer", reasons=reasons)
        if self.teacher_probs is not None:  # unlabelled embedding data: the teacher's embeddings are all it gives
            new = self.labelled(new, "transfer", options.metric, options.min_confidence, reasons)
        out = items + new
        self.step("transfer", items, out, added=made, dropped=reasons, seeds=len(seeds),
                  per_record=options.per_record, labelled_by="teacher", scrubbed=self._scrub is not None)
        return out

    def augment(self, items: list[_Item], generate: Generate) -> list[_Item]:
        wanted = self.options.augment.slices
        seeds = [it for it in items if _in_slices(it.record, wanted)]
        reasons: Counter = Counter()
        new, made = self.synthesize(generate, seeds, self.options.augment.per_record, made_by="generate",
                                    reasons=reasons)
        out = items + new
        self.step("generate", items, out, added=made, dropped=reasons, seeds=len(seeds),
                  scrubbed=self._scrub is not None, **({"slices": wanted} if wanted else {}))
        return out

    def rebalance(self, items: list[_Item], fields: Sequence[str], known: Mapping[str, set[str]],
                  generate: Generate | None) -> list[_Item]:
        minimum, how = self.options.min_per_slice, self.options.rebalance
        before = list(items)
        oversampled: Counter[str] = Counter()
        generated: Counter[str] = Counter()
        written: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        index: _Index | None = None
        for name in fields:
            counts = Counter(_value(it, name) for it in items)
            values = sorted(set(counts) | known.get(name, set()))
            audit: dict[str, dict[str, Any]] = {value: {"before": counts[value]} for value in values}
            for value in values:
                short = minimum - counts[value]
                # a value with no record has nothing to oversample and no seed to generate from
                if short <= 0 or how == "none" or counts[value] == 0:
                    continue
                members = [it for it in items if _value(it, name) == value]
                key = f"{name}={value}"
                if how == "oversample":
                    extra = [_Item(dict(p.record), p.index, "oversampled", p.generated_by) for p in
                             (self.rng.choice(members) for _ in range(short))]
                    oversampled[key] += len(extra)
                elif generate is not None:
                    if index is None:  # what generation must not duplicate: everything kept so far
                        index = _Index(self.options.dedupe)
                        self.duplicates(items, index)
                    extra, made = self.fill(generate, members, short, index, reasons, field=name, value=value)
                    generated[key] += made
                    written[key] += len(extra)
                else:
                    extra = []
                items = items + extra
            after = Counter(_value(it, name) for it in items)
            for value, entry in audit.items():
                entry["after"] = after[value]
                entry["below_minimum"] = after[value] < minimum
                if how == "generate":  # what generation added to this value, after every filter
                    entry["generated"] = written[f"{name}={value}"]
            self.coverage[name] = audit
        self.step("rebalance", before, items, added=sum(oversampled.values()) + sum(generated.values()),
                  dropped=reasons, oversampled=dict(oversampled), generated=dict(generated))
        return items

    def fill(self, generate: Generate, members: list[_Item], short: int, index: _Index, reasons: Counter, *,
             field: str, value: str) -> tuple[list[_Item], int]:
        """Up to ``short`` new records of a thin slice, each screened like the data it joins; the rest dropped.

        Written by a generative teacher (``curate.write``): ``per_seed`` variants of each member at least,
        each labelled by the task teacher and dropped as ``off_slice`` when that label leaves the slice."""
        write = self.options.write
        per_record = -(-short // len(members))
        if write is not None:
            per_record = max(per_record, write.per_seed)
        made_by = "rebalance" if write is None else "write"
        new, made = self.synthesize(generate, members, per_record, made_by=made_by, reasons=reasons)
        if write is not None and self.teacher_probs is not None:
            new = self.labelled(new, "rebalance", "max_prob", write.min_confidence, reasons)
            for item in [it for it in new if _value(it, field) != value]:
                self.drop(item, "rebalance", "off_slice", reasons)
            new = [it for it in new if _value(it, field) == value]
        kept = []
        for item, reason in zip(new, self.screen(new, index, short), strict=True):
            if reason is None:
                kept.append(item)
            else:
                self.drop(item, "rebalance", reason, reasons)
        return kept, made

    def plant(self, items: list[_Item], canaries: Planting) -> list[_Item]:
        # Planted after scrubbing and after every filter: the scrubber would turn a canary's digits into a
        # placeholder, and dedupe would remove its copies, leaving the probe nothing to find.
        numbers = itertools.count(self.inputs + sum(self.made.values()))
        out = planted(items, canaries.lines, canaries.copies,
                      lambda line: _Item({self.text_field: line}, next(numbers), "canary"))
        self.step("canaries", items, out, added=canaries.records, canaries=len(canaries.lines),
                  copies=canaries.copies, digest=canaries.digest)
        return out


def neighbour_vote(index, index_labels: Sequence[int], queries, classes: int, k: int = 10):
    """Class probabilities from an embedding teacher: the share of each class among a query's ``k`` nearest
    labelled records by cosine (``index``, one row each). How an embedding teacher labels a transfer input."""
    import numpy as np

    index, queries = np.asarray(index, dtype=np.float32), np.asarray(queries, dtype=np.float32)
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)  # noqa: E731
    sims = unit(queries) @ unit(index).T
    k = min(k, len(index))
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    votes = np.zeros((len(queries), classes))
    np.add.at(votes, (np.repeat(np.arange(len(queries)), k), np.asarray(index_labels)[nearest].ravel()), 1.0)
    return votes / k


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def minhash_values_of(norms: list[str], num_perm: int):
    """The MinHash values of each normalised text, one row each: plain numbers, cheap to send between processes."""
    import numpy as np

    return np.array([minhash(norm, num_perm).hashvalues for norm in norms], dtype=np.uint64).reshape(-1, num_perm)


MINHASH_SCHEME = "affine32"  # named, so values computed in another process are read under the same scheme


def minhash(norm: str, num_perm: int):
    from datasketch import MinHash

    signature = MinHash(num_perm=num_perm, seed=1, scheme=MINHASH_SCHEME)
    padded = f" {norm} "
    signature.update_batch([padded[i : i + 4].encode() for i in range(max(1, len(padded) - 3))])
    return signature


def _value(item: _Item, name: str) -> str:
    return str(item.record.get(name))


def _known_values(records: Sequence[Record], fields: Sequence[str], expected: Mapping[str, Iterable[object]] | None,
                  options: CurateOptions) -> dict[str, set[str]]:
    expected = expected or {}
    return {name: {str(r.get(name)) for r in records}
            | {str(v) for v in expected.get(name, ())}
            | set(options.slice_values.get(name, ()))
            | set(options.augment.slices.get(name, ()))
            for name in fields}


def _in_slices(record: Record, wanted: dict[str, list[str]]) -> bool:
    return all(str(record.get(name)) in set(values) for name, values in wanted.items())
