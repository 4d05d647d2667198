"""The policy's term lists, applied by the core to every scrubber's spans: domain knowledge no detector has.

A bank's queries are full of capitalised product names ("Apple Pay", "Google
Pay") that a name detector reads as people; a scrubber that replaces them
teaches the student nothing about the intent they carry. And an organisation
knows names no detector can (a client code word, a project). So the residency
policy lists terms that are never PII (``never_pii``) and terms that always
are (``always_pii``), and the core applies both to the spans any scrubber
finds, before anything is replaced: a post-filter, so every scrubber plugin
honours the lists without knowing about them.

- A span wholly inside an occurrence of a never-PII term is dropped. A span
  that reaches beyond it is kept whole ("Tim Apple Pay" stays a person):
  the list narrows what a detector found, it never cuts a finding short.
- Every occurrence of an always-PII term becomes a ``DENY_LISTED`` span, and
  spans it overlaps become one with it, so nothing around it leaks.

Terms match whole words, case-insensitively, with any run of white space
between their words. The scrub report counts what the lists changed and the
shapes of replaced values (``Xxxxx Xxx``, ``dddd-dddd``: never the values), so
over-scrubbing is visible to a reviewer. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Batch, Scrubber, ScrubReport, Span
from stillroom.errors import ConfigError

if TYPE_CHECKING:
    from stillroom.run.portable import ComponentRef

DENIED = "DENY_LISTED"
# What an allowed term reads as to a residual scan: a placeholder, the form scrubbers skip as their own.
ALLOWED_MASK = "<ALLOWED>"
SHAPE_RUN = 4  # a run of one character class is cut at four, as spaCy's token shapes are: lengths leak less
SHAPE_LENGTH = 24


@dataclass(frozen=True)
class TermLists:
    never: tuple[str, ...] = ()
    always: tuple[str, ...] = ()

    @classmethod
    def of(cls, residency) -> TermLists:
        """The lists of a residency policy section (``never_pii``, ``always_pii``)."""
        return cls(tuple(residency.never_pii), tuple(residency.always_pii))

    @classmethod
    def of_policy(cls, policy: Mapping[str, Any]) -> TermLists:
        """The lists of a policy as a context carries it (``Context.policy``, the policy's JSON form)."""
        residency = policy.get("residency") or {}
        return cls(tuple(residency.get("never_pii", ())), tuple(residency.get("always_pii", ())))

    def filter(self, text: str, spans: list[Span]) -> tuple[list[Span], int, int]:
        """The spans to replace in ``text``, in text order, and how many the lists dropped and added."""
        allowed = _occurrences(self._never, text)
        kept = [s for s in spans if not any(a <= s.start and s.end <= b for a, b in allowed)]
        denied = [Span(DENIED, a, b, 1.0) for a, b in _occurrences(self._always, text)]
        return _united(kept + denied), len(spans) - len(kept), len(denied)

    def mask_allowed(self, text: str) -> str:
        """``text`` with every never-PII term read as a placeholder: what a residual scan should not flag."""
        return self._never.sub(ALLOWED_MASK, text) if self.never else text

    @cached_property
    def _never(self) -> re.Pattern[str]:
        return _pattern(self.never)

    @cached_property
    def _always(self) -> re.Pattern[str]:
        return _pattern(self.always)


NO_LISTS = TermLists()  # no policy lists: every span as the scrubber found it


def scrub_batch(scrubber: Scrubber, lists: TermLists, batch: Batch, fields: list[str]) -> tuple[Batch, ScrubReport]:
    """``batch`` with the PII in ``fields`` replaced: the scrubber's spans, through ``lists``, replaced by the
    scrubber (``Scrubber.replace``); the report counts entities, list changes and replaced shapes."""
    _check_replaces(scrubber)
    report = ScrubReport(records=len(batch), methods={**scrubber.entities(), **({DENIED: "policy"} if lists.always else {})})
    where = [(i, name) for i, record in enumerate(batch) for name in fields if isinstance(record.get(name), str)]
    texts = [batch[i][name] for i, name in where]
    scrubbed = [dict(record) for record in batch]
    shapes: dict[str, Counter] = {}
    for (i, name), text, found in zip(where, texts, scrubber.find(texts)):
        spans, dropped, added = lists.filter(text, found)
        report.allowed += dropped
        report.denied += added
        scrubbed[i][name] = scrubber.replace(text, spans)
        for span in spans:
            per_field = report.counts.setdefault(span.type, {})
            per_field[name] = per_field.get(name, 0) + 1
            shapes.setdefault(span.type, Counter())[shape(text[span.start:span.end])] += 1
    report.shapes = {entity: dict(counts) for entity, counts in shapes.items()}
    return scrubbed, report


@dataclass(frozen=True)
class ListedScrub:
    """How the core scrubs any text, the records' or one a teacher wrote: ``scrubber``'s spans through the
    policy's ``lists`` in ``fields`` (``scrub_batch``), the report holding the residual scan of the result.

    A ``curate.Scrub``: called with a batch, it returns the scrubbed batch and its report. The scrubber may
    be a ``ComponentRef`` (a training job's), built only when something is first scrubbed, since most jobs
    never need it."""

    scrubber: Scrubber | ComponentRef
    lists: TermLists
    fields: tuple[str, ...]

    @classmethod
    def for_text(cls, scrubber: Scrubber | ComponentRef, lists: TermLists, text_field: str = "text"
                 ) -> ListedScrub:
        """For one text per record (a teacher's answer): in the scrubber's first field, or ``text_field``."""
        return cls(scrubber, lists, tuple(scrubber.options.get("fields") or [text_field])[:1])

    def __call__(self, batch: Batch) -> tuple[Batch, ScrubReport]:
        scrubber = self.scrubber if isinstance(self.scrubber, Scrubber) else self.scrubber.get()
        clean, report = scrub_batch(scrubber, self.lists, batch, list(self.fields))
        report.residual = residual_scan(scrubber, self.lists, clean, list(self.fields))
        return clean, report

    def identity(self) -> str:
        """sha256 hex of what decides the output: the scrubber by name and options, and the lists where there
        are any (without, it is the digest a bare scrubber's answers were always cached under)."""
        lists = {name: list(terms) for name, terms in (("never", self.lists.never), ("always", self.lists.always))
                 if terms}
        return sha256_bytes(canonical_json({"name": self.scrubber.name, "options": self.scrubber.options, **lists}))


def residual_scan(scrubber: Scrubber, lists: TermLists, batch: Batch, fields: list[str]) -> list[dict]:
    """The scrubber's residual scan of scrubbed records, blind to the never-PII terms the lists left in them."""
    if lists.never:
        batch = [{**r, **{f: lists.mask_allowed(r[f]) for f in fields if isinstance(r.get(f), str)}} for r in batch]
    return scrubber.residual_scan(batch, fields)


def _check_replaces(scrubber: Scrubber) -> None:
    """Refuse an ``operator`` option the default ``replace`` (placeholders) would ignore."""
    operator = scrubber.options.get("operator", "placeholder")
    if operator != "placeholder" and type(scrubber).replace is Scrubber.replace:
        raise ConfigError(f"scrubber {scrubber.name!r}: operator {operator!r} needs the plugin to implement "
                          "Scrubber.replace, which it does not yet; use operator: placeholder")


def shape(value: str) -> str:
    """A value's shape: letters as ``X``/``x``, digits as ``d``, other characters kept; runs cut at four."""
    out: list[str] = []
    for char in value:
        mark = "d" if char.isdigit() else ("X" if char.isupper() else "x") if char.isalpha() else char
        if out[-SHAPE_RUN:] != [mark] * SHAPE_RUN:
            out.append(mark)
    text = "".join(out)
    return text if len(text) <= SHAPE_LENGTH else text[:SHAPE_LENGTH] + "…"


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    words = ["\\s+".join(re.escape(w) for w in term.split()) for term in sorted(terms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE) if words else re.compile(r"(?!)")


def _occurrences(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _united(spans: list[Span]) -> list[Span]:
    """Overlapping spans as one covering them all, typed as the one that starts first."""
    united: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if united and span.start < united[-1].end:
            last = united[-1]
            united[-1] = Span(last.type, last.start, max(last.end, span.end), max(last.score, span.score))
        else:
            united.append(span)
    return united
