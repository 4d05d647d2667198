"""Pattern recognizers' regex searches, with their time budget's timeouts never passed over.

Presidio's ``PatternRecognizer`` (and ``IbanRecognizer``, which has its own
loop) searches each pattern with the ``regex`` module and a time budget,
``REGEX_TIMEOUT_SECONDS``, for the whole search of one text. When the budget
runs out it logs a warning and returns what it had found: the rest of the text
is silently never scanned. Two ways out of that, one per path:

- ``scan`` does what ``recognizer.analyze(text)`` does, result for result, and
  says where a timeout cut the search short (``Scan.complete_before``): every
  match starting before that position was found. ``batch.BatchAnalyzer`` runs
  its joined texts through it and sends the records it could not vouch for to
  the engine, one by one.
- ``fail_closed`` makes a recognizer raise ``PatternTimeout`` where Presidio
  would log and go on, so the engine, run on one record, never returns a
  partial result for it. For ``IbanRecognizer``, whose loop calls
  ``regex.finditer`` itself, see ``recognizers.FailClosedIbanRecognizer``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer import pattern_recognizer as presidio_patterns
from presidio_analyzer.predefined_recognizers import IbanRecognizer

from stillroom.plugins.scrubbers.unscannable import PatternTimeout


def budget() -> float:
    """Presidio's regex time budget, in seconds, as it reads it at each search."""
    return presidio_patterns.REGEX_TIMEOUT_SECONDS


class Scan(NamedTuple):
    results: list[RecognizerResult]
    # None: every pattern searched the whole text. Otherwise a pattern (the
    # first of those that ran out) stopped early, and only matches that start
    # before this position are sure to be in ``results``.
    complete_before: int | None = None
    timed_out: str | None = None  # that pattern's name


_COMPILED: dict[tuple[str, int], regex.Pattern] = {}


def _compiled(pattern: str, flags: int) -> regex.Pattern:
    key = (pattern, flags)
    if key not in _COMPILED:
        _COMPILED[key] = regex.compile(pattern, flags=flags)
    return _COMPILED[key]


def scan(recognizer: PatternRecognizer, text: str) -> Scan:
    """``recognizer.analyze(text, ...)``'s results, and where a timeout, if any, cut the search short."""
    add: Callable[[Pattern, int, str, regex.Match, list[RecognizerResult]], None]
    if isinstance(recognizer, IbanRecognizer):
        add, dedupe = partial(_iban_results, recognizer), False
    elif type(recognizer).analyze is PatternRecognizer.analyze:
        add, dedupe = partial(_pattern_results, recognizer), True
    else:
        raise TypeError(f"{type(recognizer).__name__} has its own analyze; scan does not know what it does")
    flags = recognizer.global_regex_flags
    if flags is None:  # Presidio's own analyze fails on it too
        raise TypeError(f"{type(recognizer).__name__} has no global_regex_flags; scan compiles as Presidio does, with them")
    seconds = budget()
    results: list[RecognizerResult] = []
    complete_before, timed_out = None, None
    for pattern in recognizer.patterns:
        position = 0
        try:
            for match in _compiled(pattern.regex, flags).finditer(text, timeout=seconds):
                position = match.start()
                add(pattern, flags, text, match, results)
        except TimeoutError:
            if complete_before is None or position < complete_before:
                complete_before, timed_out = position, pattern.name
    if dedupe:
        results = EntityRecognizer.remove_duplicates(results)
    return Scan(results, complete_before, timed_out)


def _pattern_results(recognizer: PatternRecognizer, pattern: Pattern, flags: int, text: str,
                     match: regex.Match, results: list[RecognizerResult]) -> None:
    # PatternRecognizer.__analyze_patterns, for one match.
    start, end = match.span()
    if start == end:
        return
    result = _validated(recognizer, pattern, flags, text, start, end)
    if recognizer.invalidate_result(text[start:end]):
        result.score = EntityRecognizer.MIN_SCORE
    if result.score > EntityRecognizer.MIN_SCORE:
        results.append(result)
    assert result.analysis_explanation is not None  # _validated gives each result one
    result.analysis_explanation.score = result.score


def _iban_results(recognizer: IbanRecognizer, pattern: Pattern, flags: int, text: str,
                  match: regex.Match, results: list[RecognizerResult]) -> None:
    # IbanRecognizer.__analyze_patterns, for one match: the longest group that validates.
    for group in reversed(range(1, len(match.groups()) + 1)):
        start = match.span(0)[0]
        end = match.span(group)[1] if match.span(group)[1] > 0 else match.span(0)[1]
        if start >= end:
            continue
        result = _validated(recognizer, pattern, flags, text, start, end)
        if result.score > EntityRecognizer.MIN_SCORE:
            results.append(result)
            break


def _validated(recognizer: PatternRecognizer, pattern: Pattern, flags: int, text: str,
               start: int, end: int) -> RecognizerResult:
    """One candidate as Presidio scores it: the pattern's score, overridden by the recognizer's validation."""
    validation = recognizer.validate_result(text[start:end])
    description = PatternRecognizer.build_regex_explanation(
        recognizer.name, pattern.name, pattern.regex, pattern.score, validation, flags  # type: ignore[arg-type]  # Presidio passes its Optional[bool] validation here too
    )
    score = pattern.score if validation is None else (
        EntityRecognizer.MAX_SCORE if validation else EntityRecognizer.MIN_SCORE)
    return RecognizerResult(
        entity_type=recognizer.supported_entities[0], start=start, end=end, score=score,
        analysis_explanation=description,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


class _FailClosedRegex:
    """A compiled regex whose searches raise ``PatternTimeout`` instead of ``TimeoutError``."""

    def __init__(self, compiled: regex.Pattern, recognizer: str, pattern: str) -> None:
        self.compiled, self.recognizer, self.pattern = compiled, recognizer, pattern

    def finditer(self, text, *args, **kwargs):
        try:
            matches = self.compiled.finditer(text, *args, **kwargs)
        except TimeoutError:
            raise PatternTimeout(self.recognizer, self.pattern, budget()) from None
        return self._checked(matches)

    def _checked(self, matches):
        try:
            yield from matches
        except TimeoutError:
            raise PatternTimeout(self.recognizer, self.pattern, budget()) from None

    def __getattr__(self, name):
        return getattr(self.compiled, name)


class FailClosedPattern(Pattern):
    """A ``Pattern`` whose compiled regex, as ``PatternRecognizer`` compiles and keeps it,
    raises ``PatternTimeout`` (which Presidio does not catch) where its search times out."""

    def __init__(self, pattern: Pattern, recognizer: str) -> None:
        self.recognizer_name = recognizer
        super().__init__(pattern.name, pattern.regex, pattern.score)

    @property
    def compiled_regex(self):
        return self._fail_closed

    @compiled_regex.setter
    def compiled_regex(self, compiled) -> None:
        self._fail_closed = None if compiled is None else _FailClosedRegex(compiled, self.recognizer_name, self.name)


def fail_closed(recognizer: EntityRecognizer) -> EntityRecognizer:
    """Make ``recognizer.analyze`` raise ``PatternTimeout`` where Presidio would skip the rest of a pattern.

    Swaps the recognizer's own patterns (deny list included) for ``FailClosedPattern``
    copies; Presidio's predefined recognizers share their class's ``Pattern`` objects,
    which stay as they are. Idempotent; recognizers that are not pattern
    recognizers are left alone.
    """
    if isinstance(recognizer, PatternRecognizer) and recognizer.patterns:
        recognizer.patterns = [p if isinstance(p, FailClosedPattern) else FailClosedPattern(p, recognizer.name)
                               for p in recognizer.patterns]
    return recognizer
