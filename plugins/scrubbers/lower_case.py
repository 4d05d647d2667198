"""Places and names written in lower case: posts and chat ("landed in lagos", "paris hilton still saying ...").

The accurate profile's token classifier learnt from capitalised text and sees
few of these. Whether a lower-case word is a name or a word is settled by how
people write it (``casing.py``): "lagos" and "hilton" are written capitalised
far more often than not, "reading", "bath" and "legend" are not.

- ``lower_case_places``: a listed place (``gazetteer.py``) of one to three
  lower-case words that no other span covers is a LOCATION when one of its
  words is one people write capitalised ("lagos"; "york" in "new york"; not
  "reading", "nice" or either word of "cape town", which is missed rather than
  guessed). A listed given name ("jordan", "georgia") or a small town (a prior
  under 0.6) also needs a word before it that takes places ("to", "in",
  "from") or a place named beside it ("brazil vs argentina", "bali or
  phuket", "lagos & accra"), and a place in an organisation's name ("bank of america", as
  ``places.tidy_places`` reads capitalised ones) is none.
- ``lower_case_names``: a listed given name of three letters or more, common
  words among them ("max", "mark"), then one or two listed surnames people
  write capitalised ("paris hilton", "john david smith"), that no other span
  covers, is a PERSON. A word the table has never seen is not enough for a
  surname: in a record in another language most words are unseen ("na
  rachunek"). Names are found before places, so "jack london" is a person,
  not a given name left beside a place.

A word in a hashtag, a handle, a link or an e-mail address is neither. Pure
functions: text and spans in, spans out.
"""

from __future__ import annotations

import regex

from stillroom.plugins.scrubbers.casing import capitalised_more_often
from stillroom.plugins.scrubbers.gazetteer import Gazetteers, ascii_folded, place_key
from stillroom.plugins.scrubbers.places import CALENDAR, LEAD_BEFORE, NAME_OR_PLACE_LEADS, in_organisation

Found = tuple[str, int, int, float]

# Not inside a hashtag, a handle, a link or an e-mail address.
ALONE_BEFORE = r"(?<![\p{L}\p{M}\p{N}#@/._-])"
ALONE_AFTER = r"(?![\p{L}\p{M}\p{N}@/_-]|\.\p{L})"
LOWER_WORDS = regex.compile(ALONE_BEFORE + r"\p{Ll}+(?:[ -]\p{Ll}+){0,2}" + ALONE_AFTER)
LOWER_WORD = regex.compile(r"\p{Ll}+")
# A given name and one or two more words: "paris hilton", "john david smith".
GIVEN_AND_SURNAMES = regex.compile(ALONE_BEFORE + r"(\p{Ll}{3,})(?:[ \t]+\p{Ll}+){1,2}" + ALONE_AFTER)
LARGE_PLACE = 0.6  # gazetteer.py's prior for a country, a region or a city of 100,000 people or more
NAME_SCORE = 0.7
# Between two places named together: "brazil vs argentina", "bali or phuket", "lagos & accra", "lagos/abuja",
# "Clapham, Brixton, and Balham".
COORDINATED = regex.compile(r"[ \t]*(?:,|/|&|\+)[ \t]*(?:(?:and|or)[ \t]+)?|[ \t]+(?:vs\.?|v\.?|versus|or|and)[ \t]+",
                            regex.IGNORECASE)
LEAD_WINDOW = 40  # characters before a place in which its preposition is looked for


def lower_case_places(text: str, spans: list[Found], lists: Gazetteers) -> list[Found]:
    """``spans`` and a LOCATION for each listed place written in lower case that no span covers (see the module's
    docstring)."""
    found = []
    pending = []  # places that need a word before them that takes places, or a place beside them
    taken = _covered(text, spans)
    for match in LOWER_WORDS.finditer(text, overlapped=True):
        words = [m.span() for m in LOWER_WORD.finditer(text, *match.span())]
        for n in range(len(words), 0, -1):  # the longest listed place that starts here: "new york", not "york"
            start, end = words[0][0], words[n - 1][1]
            if taken.find(1, start, end) != -1:
                continue
            key = place_key(ascii_folded(text[start:end]))
            if key not in lists.places or in_organisation(text, start, end, capitalised=False):
                continue
            verdict = _lower_case_place(text, start, key, lists)
            if verdict is None:
                pending.append(("LOCATION", start, end, lists.places[key]))
            if verdict:
                found.append(("LOCATION", start, end, lists.places[key]))
                _cover(taken, start, end)
                break
    while added := [p for p in pending if taken.find(1, p[1], p[2]) == -1
                    and _beside_a_place(text, p, [*spans, *found])]:
        beside = added[0]  # one at a time: two pending places that overlap ("new york", "york") never both
        found.append(beside)
        _cover(taken, beside[1], beside[2])
    return sorted([*spans, *found], key=lambda s: s[1])


def lower_case_names(text: str, spans: list[Found], lists: Gazetteers) -> list[Found]:
    """``spans`` and a PERSON for each given name and surname written in lower case that no span covers (see
    the module's docstring)."""
    found = []
    taken = _covered(text, spans)
    for match in GIVEN_AND_SURNAMES.finditer(text, overlapped=True):
        if taken.find(1, *match.span()) != -1 or not _given_name(match.group(1), lists):
            continue
        end = match.start(1) + len(match.group(1))
        for word in LOWER_WORD.finditer(text, end, match.end()):  # "john david smith": each surname people capitalise
            if not _surname(word.group(), lists):
                break
            end = word.end()
        if end > match.end(1):
            found.append(("PERSON", match.start(), end, NAME_SCORE))
            _cover(taken, match.start(), end)
    return sorted([*spans, *found], key=lambda s: s[1])


def _given_name(word: str, lists: Gazetteers) -> bool:
    return word in lists.first_names or word in lists.common_given_names


def _surname(word: str, lists: Gazetteers) -> bool:
    return word in lists.surnames and word not in lists.common and capitalised_more_often(word, unseen=False)


def _lower_case_place(text: str, start: int, key: tuple[str, ...], lists: Gazetteers) -> bool | None:
    """True for a place, False for none, None for one that is a place only beside another (``_beside_a_place``)."""
    words = [w for w in key if w != "-"]
    if not any(capitalised_more_often(w) for w in words) or (len(key) == 1 and key[0] in CALENDAR):
        return False
    if lists.places[key] >= LARGE_PLACE and not (len(words) == 1 and words[0] in lists.first_names):
        return True
    lead = LEAD_BEFORE.search(text, max(0, start - LEAD_WINDOW), start)  # a window: linear in the text's length
    return True if lead is not None and lead.group(1).lower() in NAME_OR_PLACE_LEADS else None


def _beside_a_place(text: str, span: Found, spans: list[Found]) -> bool:
    """Whether ``span`` is coordinated with a LOCATION span: "brazil vs argentina", "bali or phuket"."""
    _, start, end, _ = span
    return any(s[0] == "LOCATION" and (COORDINATED.fullmatch(text, s[2], start) or COORDINATED.fullmatch(text, end, s[1]))
               for s in spans)


def _covered(text: str, spans: list[Found]) -> bytearray:
    """One byte per character of ``text``: 1 where a span covers it."""
    covered = bytearray(len(text))
    for _, start, end, _ in spans:
        _cover(covered, start, end)
    return covered


def _cover(covered: bytearray, start: int, end: int) -> None:
    covered[start:end] = b"\x01" * (end - start)
