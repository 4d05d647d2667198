"""Curate the training data: generate, scrub, filter, dedupe, decontaminate, rebalance.

Every step is a pure function of its inputs (the teacher, the generator and
the scrubber come in as callables), and every record a step drops leaves a
reason code, so the funnel report explains the data a student was trained on.
The report holds counts, indices and reason codes, never a record's text.

Reason codes: ``low_confidence``, ``exact_duplicate``, ``near_duplicate``,
``eval_overlap_exact``, ``eval_overlap_near``.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stillroom.components import Batch, Record, Scrubber, ScrubReport

Generate = Callable[[list[Record], int], list[Record]]
TeacherProbs = Callable[[list[str]], Any]  # (n, C) array of class probabilities
Scrub = Callable[[Batch], tuple[Batch, ScrubReport]]


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


class CurateOptions(BaseModel):
    """The ``curate:`` section of a pipeline spec."""

    model_config = ConfigDict(extra="forbid")
    confidence: ConfidenceOptions = ConfidenceOptions()
    dedupe: DedupeOptions = DedupeOptions()
    min_per_slice: int = Field(0, ge=0)
    rebalance: Literal["oversample", "generate", "none"] = "none"
    augment: AugmentOptions = AugmentOptions()
    seed: int = 0


@dataclass
class CurateResult:
    records: list[Record]
    funnel: list[dict[str, Any]] = field(default_factory=list)
    drops: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    scrub: ScrubReport | None = None

    def report(self) -> dict[str, Any]:
        """The funnel report artifact: counts, indices and reasons only."""
        return {"funnel": self.funnel, "drops": self.drops, "coverage": self.coverage,
                "scrub": self.scrub.as_dict() if self.scrub else None}

    def counts(self) -> dict[str, Any]:
        """What the ledger records."""
        return {"kept": len(self.records), "steps": {s["step"]: {"in": s["in"], "out": s["out"]} for s in self.funnel}}


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
) -> CurateResult:
    """Run every curation step over ``records`` (already scrubbed) and return what is kept.

    A record is identified in ``drops`` by its ``index``: its position in the
    input, or, for a synthetic record, ``len(records)`` plus its position among
    the generated ones (``origin`` says which).
    """
    run = _Run(text_field, options, scrub.scrub if isinstance(scrub, Scrubber) else scrub)
    items = [_Item(dict(r), i, "input") for i, r in enumerate(records)]
    run.step("input", items, items)

    if options.augment.enabled and generate is not None:
        seeds = [it for it in items if _in_slices(it.record, options.augment.slices)]
        items = items + run.synthesize(generate, seeds, options.augment.per_record, len(items), step="generate")

    if teacher_probs is not None and options.confidence.threshold > 0:
        items = run.filter_confidence(items, teacher_probs)

    items = run.dedupe(items)
    items = run.decontaminate(items, list(eval_texts))
    items = run.rebalance(items, slice_fields, generate, len(records))
    return CurateResult([it.record for it in items], run.funnel, run.drops, run.coverage, run.scrub_report)


@dataclass
class _Item:
    record: Record
    index: int
    origin: str


class _Run:
    def __init__(self, text_field: str, options: CurateOptions, scrub: Scrub | None) -> None:
        self.text_field, self.options, self._scrub = text_field, options, scrub
        self.rng = random.Random(options.seed)
        self.funnel: list[dict[str, Any]] = []
        self.drops: list[dict[str, Any]] = []
        self.coverage: dict[str, dict[str, dict[str, int]]] = {}
        self.scrub_report: ScrubReport | None = None
        self.synthetic = 0

    def text(self, item: _Item) -> str:
        return str(item.record[self.text_field])

    def step(self, name: str, before: list[_Item], after: list[_Item], reasons: Counter | None = None) -> None:
        self.funnel.append({"step": name, "in": len(before), "out": len(after), "dropped": dict(reasons or {})})

    def drop(self, item: _Item, step: str, reason: str, reasons: Counter) -> None:
        self.drops.append({"index": item.index, "origin": item.origin, "step": step, "reason": reason})
        reasons[reason] += 1

    def synthesize(self, generate: Generate, seeds: list[_Item], per_record: int, base: int, *, step: str) -> list[_Item]:
        """Generated records, scrubbed before anything else sees them: a teacher can regurgitate PII."""
        made = generate([dict(s.record) for s in seeds], per_record)
        if self._scrub is not None and made:
            made, report = self._scrub(made)
            self.scrub_report = report if self.scrub_report is None else self.scrub_report.merge(report)
        new = [_Item(r, base + self.synthetic + k, "synthetic") for k, r in enumerate(made)]
        self.synthetic += len(new)
        self.funnel.append({"step": step, "in": len(seeds), "out": len(new), "dropped": {}, "scrubbed": self._scrub is not None})
        return new

    def filter_confidence(self, items: list[_Item], teacher_probs: TeacherProbs) -> list[_Item]:
        import numpy as np

        probs = np.asarray(teacher_probs([self.text(it) for it in items]), dtype=float)
        top = np.sort(probs, axis=1)[:, ::-1]
        confidence = top[:, 0] if self.options.confidence.metric == "max_prob" else top[:, 0] - top[:, 1]
        kept, reasons = [], Counter()
        for item, c in zip(items, confidence):
            if c >= self.options.confidence.threshold:
                kept.append(item)
            else:
                self.drop(item, "confidence", "low_confidence", reasons)
        self.step("confidence", items, kept, reasons)
        return kept

    def dedupe(self, items: list[_Item]) -> list[_Item]:
        from datasketch import MinHashLSH

        opts = self.options.dedupe
        lsh = MinHashLSH(threshold=opts.jaccard, num_perm=opts.num_perm)
        seen: set[str] = set()
        kept, reasons = [], Counter()
        for k, item in enumerate(items):
            norm = normalise(self.text(item))
            if norm in seen:
                self.drop(item, "dedupe", "exact_duplicate", reasons)
                continue
            signature = minhash(norm, opts.num_perm)
            if lsh.query(signature):
                self.drop(item, "dedupe", "near_duplicate", reasons)
                continue
            seen.add(norm)
            lsh.insert(str(k), signature)
            kept.append(item)
        self.step("dedupe", items, kept, reasons)
        return kept

    def decontaminate(self, items: list[_Item], eval_texts: list[str]) -> list[_Item]:
        from datasketch import MinHashLSH

        opts = self.options.dedupe
        exact = {normalise(t) for t in eval_texts}
        lsh = MinHashLSH(threshold=opts.jaccard, num_perm=opts.num_perm)
        for k, norm in enumerate(exact):
            lsh.insert(str(k), minhash(norm, opts.num_perm))
        kept, reasons = [], Counter()
        for item in items:
            norm = normalise(self.text(item))
            if norm in exact:
                self.drop(item, "contamination", "eval_overlap_exact", reasons)
            elif exact and lsh.query(minhash(norm, opts.num_perm)):
                self.drop(item, "contamination", "eval_overlap_near", reasons)
            else:
                kept.append(item)
        self.step("contamination", items, kept, reasons)
        return kept

    def rebalance(self, items: list[_Item], slice_fields: Sequence[str], generate: Generate | None, base: int) -> list[_Item]:
        minimum, how = self.options.min_per_slice, self.options.rebalance
        before = list(items)
        for name in slice_fields:
            counts = Counter(str(it.record.get(name)) for it in items)
            audit = {value: {"before": n} for value, n in sorted(counts.items())}
            for value, n in sorted(counts.items()):
                if n >= minimum or how == "none":
                    continue
                members = [it for it in items if str(it.record.get(name)) == value]
                if how == "oversample":
                    picks = [self.rng.choice(members) for _ in range(minimum - n)]
                    extra = [_Item(dict(p.record), p.index, "oversampled") for p in picks]
                elif generate is not None:
                    per = -(-(minimum - n) // len(members))
                    extra = self.synthesize(generate, members, per, base, step=f"generate:{name}={value}")[: minimum - n]
                else:
                    extra = []
                items = items + extra
            after = Counter(str(it.record.get(name)) for it in items)
            for value in audit:
                audit[value]["after"] = after[value]
                audit[value]["below_minimum"] = after[value] < minimum
            self.coverage[name] = audit
        self.step("rebalance", before, items)
        return items


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def minhash(norm: str, num_perm: int):
    from datasketch import MinHash

    signature = MinHash(num_perm=num_perm, seed=1)
    padded = f" {norm} "
    signature.update_batch([padded[i : i + 4].encode() for i in range(max(1, len(padded) - 3))])
    return signature


def _in_slices(record: Record, wanted: dict[str, list[str]]) -> bool:
    return all(str(record.get(name)) in set(values) for name, values in wanted.items())
