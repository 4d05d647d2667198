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

One exception: libphonenumber accepts most digit runs of a national number's
length for some region, so a phone number written without an international
prefix and without a phone word just before it ("tel", "mobile", "call me
on") does not prove "phone" against a guess that it is an identifier
("ID 2935347913"); there the guess keeps its chance, decided by score.

Spans of one type are left for ``detect.combine`` to unite.
"""

from __future__ import annotations

import re

Found = tuple[str, int, int, float]

# Strongest first: the order in which overlapping validated spans of different types win.
VALIDATED = ("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "US_SSN", "PHONE_NUMBER", "USERNAME")
# The recognizers whose findings are validated (``recognizers.py``): the card-shaped digits
# (no Luhn) and the phone layouts libphonenumber did not parse are guesses like any other.
VALIDATING = frozenset({"OfflineEmailRecognizer", "FailClosedIbanRecognizer", "CardRecognizer", "IpRecognizer",
                        "UsSsnRecognizer", "ConfidentPhoneRecognizer", "ContextPhoneRecognizer", "HandleRecognizer"})
# What is left of a cut span must hold a letter or digit to be kept.
ALNUM = re.compile(r"[^\W_]")
EDGE = " \t\r\n,;:.-/|()"
IDENTIFIERS = frozenset({"NATIONAL_ID", "BANK_ACCOUNT"})
INTERNATIONAL = re.compile(r"\(?(?:\+|00)")
# A phone word at most three words before a number ("call Ana on"), in several languages.
PHONE_WORDS = re.compile(r"(?i)\b(?:tel|phone[ds]?|telephone|mobile|mob|cell|cellphone|call(?:s|ed|ing)?|fax|"
                         r"whatsapp|handy|t[ée]l[ée]phone|tel[ée]fono|telefone|telefoon|telefon(?:nummer)?|tlf|puhelin)\b")
PHONE_WORD = re.compile(PHONE_WORDS.pattern + r"\W{1,12}(?:\w+\W{1,3}){0,3}$", re.IGNORECASE)
PHONE_WORD_WINDOW = 40


def apply(text: str, validated: list[Found], guesses: list[Found]) -> list[Found]:
    """``validated`` (from ``VALIDATING`` recognizers) and ``guesses``, with validated spans winning overlaps."""
    rank = {entity: k for k, entity in enumerate(VALIDATED)}
    winners: list[Found] = []
    for span in sorted(validated, key=lambda s: (rank.get(s[0], len(rank)), -(s[2] - s[1]), s[1])):
        if not any(w[0] != span[0] and _overlap(w, span) for w in winners):
            winners.append(span)
    kept = list(winners)
    for span in guesses:
        blocking = sorted((w[1], w[2]) for w in winners
                          if w[0] != span[0] and _overlap(w, span) and not _national_phone_vs_id(text, w, span))
        kept.extend(remainders(text, span, blocking) if blocking else [span])
    return kept


def remainders(text: str, span: Found, blocking: list[tuple[int, int]]) -> list[Found]:
    """The pieces of ``span`` outside the sorted ``blocking`` stretches, trimmed; a piece of no letter or digit is none."""
    pieces: list[Found] = []
    at = span[1]
    for start, end in [*blocking, (span[2], span[2])]:
        piece = _trimmed(text, at, min(start, span[2]))
        if piece is not None:
            pieces.append((span[0], *piece, span[3]))
        at = max(at, end)
    return pieces


def _national_phone_vs_id(text: str, winner: Found, guess: Found) -> bool:
    if winner[0] != "PHONE_NUMBER" or guess[0] not in IDENTIFIERS or INTERNATIONAL.match(text, winner[1]):
        return False
    return not phone_word_before(text, winner[1])


def phone_word_before(text: str, start: int) -> bool:
    """Whether a phone word ("tel", "mobile", "call me on") stands at most three words before ``start``."""
    return PHONE_WORD.search(text[max(0, start - PHONE_WORD_WINDOW) : start]) is not None


def _overlap(a: Found, b: Found) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start] in EDGE:
        start += 1
    while end > start and text[end - 1] in EDGE:
        end -= 1
    return (start, end) if ALNUM.search(text, start, end) else None
