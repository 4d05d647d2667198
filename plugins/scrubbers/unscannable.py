"""The errors for a text a recognizer's regexes could not finish scanning in their time budget.

Presidio gives each regex a time budget (``REGEX_TIMEOUT_SECONDS``) per search
of one text and, when it runs out, logs a warning and returns what it found so
far. A record that was not fully scanned is one this scrubber cannot vouch
for, so ``scan.py`` turns that into ``PatternTimeout`` and the scrubber into
``UnscannableText``, which stops the scrub. Neither ever holds the text: only
where it is (text index, record, field) and which recognizer and pattern.

This module imports nothing heavy, so ``presidio.py`` can catch these without
loading Presidio.
"""

from __future__ import annotations

from stillroom.errors import DataError


class PatternTimeout(Exception):
    """A recognizer's pattern ran out of its regex time budget on one text, alone.

    Deliberately not a ``TimeoutError``: Presidio catches those and goes on.
    """

    def __init__(self, recognizer: str, pattern: str, budget: float) -> None:
        super().__init__(f"recognizer {recognizer}, pattern {pattern!r}: out of its {budget:g} s regex time budget")
        self.recognizer, self.pattern, self.budget = recognizer, pattern, budget

    def __reduce__(self):
        return type(self), (self.recognizer, self.pattern, self.budget)


class UnscannableText(DataError):
    """A text (a record's field, when ``record`` is given) that could not be fully scanned for PII."""

    def __init__(self, index: int, recognizer: str, pattern: str, budget: float,
                 record: int | None = None, field: str | None = None) -> None:
        where = f"text {index}" if record is None else f"record {record}, field {field!r},"
        super().__init__(
            f"scrubber presidio: {where} could not be fully scanned for PII: recognizer {recognizer} "
            f"(pattern {pattern!r}) ran out of its {budget:g} s regex time budget (REGEX_TIMEOUT_SECONDS) "
            "on it alone. A record that cannot be scanned cannot be vouched for, so the scrub stops; "
            "remove or split the record, or raise REGEX_TIMEOUT_SECONDS."
        )
        self.index, self.recognizer, self.pattern, self.budget = index, recognizer, pattern, budget
        self.record, self.field = record, field

    def __reduce__(self):  # crosses process boundaries from the scrubber's pool
        return type(self), (self.index, self.recognizer, self.pattern, self.budget, self.record, self.field)

    @classmethod
    def at(cls, index: int, timeout: PatternTimeout) -> UnscannableText:
        return cls(index, timeout.recognizer, timeout.pattern, timeout.budget)

    def shifted(self, by: int) -> UnscannableText:
        """The same error for a text ``by`` places further on (a pool chunk's offset)."""
        return type(self)(self.index + by, self.recognizer, self.pattern, self.budget, self.record, self.field)

    def in_record(self, record: int, field: str) -> UnscannableText:
        return type(self)(self.index, self.recognizer, self.pattern, self.budget, record, field)
