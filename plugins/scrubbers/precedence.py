"""Which finding wins where a validated pattern and a guess overlap.

A pattern finding that a checksum, a parser or a strict validator confirmed
(an e-mail with a real top-level domain, an IBAN passing mod-97, a card number
passing Luhn, an address ``ipaddress`` accepts, an SSN passing Presidio's
validator, a number libphonenumber parsed for a region) is stronger evidence
of its type than an NER model's or a gazetteer's guess, whatever the scores
say: a model reads "from 192.168.1.7" as an ID number with high confidence,
and no checksum stands behind that. So before spans are resolved by length and
score, ``apply`` lets every validated span win its stretch of text:

- a guess of another type that overlaps it is cut back to what lies outside it
  (the model's address "12 Rue Cler, tél 01 42 68 53 00" keeps "12 Rue Cler");
- of two validated spans of different types that overlap, the earlier type in
  ``VALIDATED`` wins (an IPv4 address also parses as a phone number; an IBAN
  holds digit runs libphonenumber will take for one).

Spans of one type are left for ``detect.combine`` to unite.
"""

from __future__ import annotations

import re

Found = tuple[str, int, int, float]

# Strongest first: the order in which overlapping validated spans of different types win.
VALIDATED = ("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "US_SSN", "PHONE_NUMBER")
# The recognizers whose findings are validated (``recognizers.py``): the card-shaped digits
# (no Luhn) and the phone layouts libphonenumber did not parse are guesses like any other.
VALIDATING = frozenset({"OfflineEmailRecognizer", "FailClosedIbanRecognizer", "CardRecognizer", "IpRecognizer",
                        "UsSsnRecognizer", "ConfidentPhoneRecognizer"})
# What is left of a cut span must hold a letter or digit to be kept.
ALNUM = re.compile(r"[^\W_]")
EDGE = " \t\r\n,;:.-/|()"


def apply(text: str, validated: list[Found], guesses: list[Found]) -> list[Found]:
    """``validated`` (from ``VALIDATING`` recognizers) and ``guesses``, with validated spans winning overlaps."""
    rank = {entity: k for k, entity in enumerate(VALIDATED)}
    winners: list[Found] = []
    for span in sorted(validated, key=lambda s: (rank.get(s[0], len(rank)), -(s[2] - s[1]), s[1])):
        if not any(w[0] != span[0] and _overlap(w, span) for w in winners):
            winners.append(span)
    kept = list(winners)
    for span in guesses:
        blocking = sorted((w[1], w[2]) for w in winners if w[0] != span[0] and _overlap(w, span))
        if not blocking:
            kept.append(span)
            continue
        at = span[1]
        for start, end in [*blocking, (span[2], span[2])]:
            piece = _trimmed(text, at, min(start, span[2]))
            if piece is not None:
                kept.append((span[0], *piece, span[3]))
            at = max(at, end)
    return kept


def _overlap(a: Found, b: Found) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start] in EDGE:
        start += 1
    while end > start and text[end - 1] in EDGE:
        end -= 1
    return (start, end) if ALNUM.search(text, start, end) else None
