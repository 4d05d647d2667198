"""Places in running prose: which guesses are places, and where a place's span ends.

The accurate profile's token classifier learnt places inside addresses and
form fields. In running prose it often reads a capitalised word it does not
know as a given name or surname ("Rescue teams reached Derna", "Kyiv was hit
overnight"), and its LOCATION spans sometimes take in the lower-case words
around a place ("central Tbilisi", "Caracas clashed") or a capitalised word
that is no place at all ("October"). Two pure functions settle that:

- ``people_who_are_places``: a model PERSON span that is a listed place
  (``gazetteer.py``) is a LOCATION, unless other evidence says person (a
  title, a salutation, a listed given name and surname: another recognizer's
  PERSON over it) or the place is also a given name ("Georgia", "Victoria")
  with no place word such as "in" before it. An unlisted word the model calls
  a person is a LOCATION after a preposition that takes places ("in Mekelle",
  "near Kavumu") when it is no listed given name or surname and no possessive
  follows ("in Smith's view"); and so is one followed by a possessive and a
  noun only a place has ("Tigray's regional capital", "Georgia's king").
  The other way round, a model LOCATION of one capitalised word, no listed
  place, right after a model PERSON with a space between them is the rest of
  that name ("Willem" "Achterberg"): the model types a surname it does not
  know a place, and a place does not follow a name so in prose.
- ``tidy_places``: a LOCATION span loses lower-case words at its edges
  (inside ones stay: "Rio Grande do Sul"); one with no capital left counts only
  when it is a listed place ("moving to london"); month and weekday names are
  no places; and a place that is part of an organisation's name ("Air France",
  "the Tokyo Stock Exchange", "Bank of England") is no place on its own. A
  wire story's dateline, a listed place in capitals at the start of a line
  before a comma, a dash, a colon or "(" ("NAIROBI, Kenya -", "SÃO PAULO —"),
  is a LOCATION, whatever the model made of it ("DHAKA - A" as a person).
"""

from __future__ import annotations

import regex

from stillroom.plugins.scrubbers.gazetteer import Gazetteers, ascii_folded, place_key
from stillroom.plugins.scrubbers.offline_ner import PLACE_NOUNS_AFTER

Found = tuple[str, int, int, float]

# Prepositions after which a word the model took for a name is most often a place.
PLACE_LEADS = frozenset({"in", "near", "outside", "across", "around", "towards", "toward", "throughout", "via"})
LEAD_BEFORE = regex.compile(r"(?i)\b(\p{L}+)[ \t]+(?:the[ \t]+)?$")
# Prepositions that precede a place or a person alike: enough for a listed place that is also a given name.
NAME_OR_PLACE_LEADS = PLACE_LEADS | {"from", "to", "into", "at", "of"}
POSSESSIVE_AFTER = regex.compile(r"^['’]s?\b")
POSSESSIVE_END = regex.compile(r"['’]s?$")  # "Derna's", "Texas'"
PLACE_POSSESSIVE = regex.compile(r"['’]s[ \t]+(?:" + "|".join(sorted(PLACE_NOUNS_AFTER)) + r")\b", regex.IGNORECASE)
CALENDAR = frozenset("""january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split())
# Capitalised words that end an organisation's name when they follow a place ("Tokyo Stock Exchange",
# "Washington Post", "Manchester United") or open one before it ("Air France", "Bank of England").
ORG_TAILS = frozenset("""exchange post times herald tribune journal gazette telegraph chronicle airlines airways
    university college institute museum united fc rovers wanderers athletic orchestra philharmonic
    stock""".split())
ORG_OPENERS = frozenset({"air"})
ORG_HEADS_OF = frozenset("""bank university college institute museum church ministry department council
    school""".split())
WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’.-]*")
CAPITAL = regex.compile(r"\p{Lu}")
# The words after and before a place that may make it part of an organisation's name, capitalised (True) or in
# lower case (False): "Air France", "bank of america".
NAME_AFTER = {True: regex.compile(r"^[ \t]+(\p{Lu}[\p{L}\p{M}]*)(?:[ \t]+(\p{Lu}[\p{L}\p{M}]*))?"),
              False: regex.compile(r"^[ \t]+(\p{Ll}+)(?:[ \t]+(\p{Ll}+))?")}
OPENER_BEFORE = {True: regex.compile(r"(\p{Lu}[\p{L}\p{M}]*)[ \t]+(?:(of)[ \t]+)?$"),
                 False: regex.compile(r"(\p{Ll}+)[ \t]+(?:(of)[ \t]+)?$")}
SURNAME = regex.compile(r"\p{Lu}[\p{Ll}\p{M}'’-]+")


def people_who_are_places(text: str, model_spans: list[Found], guesses: list[Found],
                          lists: Gazetteers) -> tuple[list[Found], list[Found]]:
    """``model_spans`` and the other recognizers' ``guesses`` for one text, with each PERSON that is rather a
    place relabelled LOCATION (see the module's docstring).

    A listed place of two or more words ("Hong Kong", "Ivory Coast") is a place whoever guessed it a name;
    otherwise another recognizer's PERSON over a model span (a title, a salutation, a listed given name and
    surname) keeps that span a person.
    """
    guesses = [("LOCATION", *s[1:]) if s[0] == "PERSON" and _listed_words(text[s[1]:s[2]], lists) else s
               for s in guesses]
    people = [(s[1], s[2]) for s in guesses if s[0] == "PERSON"]
    settled: list[Found] = []
    for span in model_spans:
        entity, start, end, score = span
        trimmed = _trimmed(text, start, end) if entity == "PERSON" else None
        if trimmed is not None and not any(a < end and start < b for a, b in people) \
                and _is_place(text, *trimmed, lists):
            span = ("LOCATION", *trimmed, score)
        elif entity == "LOCATION" and settled and _surname_after(text, settled[-1], start, end, lists):
            last = settled.pop()
            span = ("PERSON", last[1], end, max(last[3], score))
        settled.append(span)
    return settled, guesses


def tidy_places(text: str, spans: list[Found], lists: Gazetteers) -> list[Found]:
    """``spans`` with each LOCATION trimmed to its capitalised words, or dropped (see the module's docstring)."""
    kept = []
    for span in spans:
        if span[0] != "LOCATION":
            kept.append(span)
            continue
        trimmed = _trimmed(text, span[1], span[2])
        if trimmed is None:
            continue
        start, end = trimmed
        name = text[start:end]
        key = place_key(POSSESSIVE_END.sub("", name))
        if not CAPITAL.search(name) and key not in lists.places:
            continue
        if (len(key) == 1 and key[0] in CALENDAR) or in_organisation(text, start, end):
            continue
        kept.append(("LOCATION", start, end, span[3]))
    return datelines(text, kept, lists)


# A line's first one to four words in capitals, before what ends a dateline.
DATELINE = regex.compile(r"(?m)^[ \t]*(\p{Lu}[\p{Lu}\p{M}'’.]*(?:[ \t-]\p{Lu}[\p{Lu}\p{M}'’.]*){0,3})"
                         r"(?=[ \t]*(?:,|—|–|-[ \t]|:|\())")
DATELINE_SCORE = 0.85
# Span types a dateline may take the place of: guesses about names, never a validated pattern's.
NAME_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "STREET_ADDRESS"})
EDGE = " \t,;:.-–—()"


def datelines(text: str, spans: list[Found], lists: Gazetteers) -> list[Found]:
    """``spans`` with each dateline place a LOCATION: spans of a name type over it give way, and what they
    held beyond it stays when it still holds a word of two letters or more."""
    for match in DATELINE.finditer(text):
        start, end = match.span(1)
        name = match.group(1)
        if sum(char.isalpha() for char in name) < 3 or place_key(ascii_folded(name)) not in lists.places:
            continue
        touched = [s for s in spans if s[1] < end and s[2] > start]
        if any(s[0] not in NAME_TYPES for s in touched):
            continue
        kept = [s for s in spans if s not in touched]
        for entity, _, b, score in touched:
            rest = end
            while rest < b and text[rest] in EDGE:
                rest += 1
            if sum(char.isalpha() for char in text[rest:b]) >= 2:
                kept.append((entity, rest, b, score))
        spans = sorted([*kept, ("LOCATION", start, end, DATELINE_SCORE)], key=lambda s: s[1])
    return spans


def _surname_after(text: str, before: Found, start: int, end: int, lists: Gazetteers) -> bool:
    """Whether ``text[start:end]`` is one capitalised word, no listed place, right after a PERSON ``before``."""
    return before[0] == "PERSON" and text[before[2]:start] == " " and SURNAME.fullmatch(text, start, end) is not None \
        and place_key(ascii_folded(text[start:end])) not in lists.places


def _listed_words(name: str, lists: Gazetteers) -> bool:
    key = place_key(name)
    return len(key) > 1 and key in lists.places


def _is_place(text: str, start: int, end: int, lists: Gazetteers) -> bool:
    name = POSSESSIVE_END.sub("", text[start:end])
    key = place_key(name)
    if not key or not CAPITAL.match(name):
        return False
    lead = LEAD_BEFORE.search(text, 0, start)
    lead_word = lead.group(1).lower() if lead else ""
    owned = PLACE_POSSESSIVE.match(text, end) is not None  # "Tigray's regional capital", "Jordan's king"
    if key in lists.places:
        return len(key) > 1 or key[0] not in lists.first_names or lead_word in NAME_OR_PLACE_LEADS or owned
    unknown = len(key) == 1 and key[0] not in lists.first_names and key[0] not in lists.surnames
    return unknown and (owned or lead_word in PLACE_LEADS and not POSSESSIVE_AFTER.match(text[end:]))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    words = [m.span() for m in WORD.finditer(text, start, end)]
    while words and not CAPITAL.match(text, words[0][0]) and _has_capital(text, words):
        words.pop(0)
    while words and not CAPITAL.match(text, words[-1][0]) and _has_capital(text, words):
        words.pop()
    if not words:
        return None
    end = words[-1][1]
    possessive = POSSESSIVE_END.search(text, words[-1][0], end)
    return words[0][0], possessive.start() if possessive and possessive.start() > words[-1][0] else end


def _has_capital(text: str, words: list[tuple[int, int]]) -> bool:
    return any(CAPITAL.match(text, a) for a, _ in words)


def in_organisation(text: str, start: int, end: int, capitalised: bool = True) -> bool:
    after = NAME_AFTER[capitalised].match(text[end : end + 40])
    if after and any(word and word.lower() in ORG_TAILS for word in after.groups()):
        return True
    before = OPENER_BEFORE[capitalised].search(text[max(0, start - 40) : start])
    if before is None:
        return False
    opener, of = before.group(1).lower(), before.group(2)
    return opener in ORG_HEADS_OF if of else opener in ORG_OPENERS
