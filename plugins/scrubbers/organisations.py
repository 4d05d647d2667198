"""Organisations and facilities in prose that the accurate profile's model reads as people or places.

The token classifier has no organisation label: a company, club, agency or
newspaper named like a person ("Carlsberg", "Morgan Stanley") or a place
("Uganda Revenue Authority", "Real Madrid") comes out PERSON or LOCATION, and
each such span is a false positive. ``settle`` looks at the words around each
PERSON or LOCATION span (and each STREET_ADDRESS without a number), never at a
list of organisations, for one of four kinds of evidence:

- the capitalised words the span stands in end with a word that ends an
  organisation's name ("... Ports Authority", "... Morning Herald",
  "... Motors", "Ltd"): the whole run is an ORGANIZATION; or with a word that
  ends a facility's name ("... International Airport", "... Gate Bridge"):
  the whole run is a LOCATION (CoNLL-style annotation: a person's name inside
  an organisation's or facility's name is that thing);
- a phrase before it that takes an organisation ("shares of", "works for",
  "analysts at"), or "the" before it and one of an organisation's people
  after it ("the Arsenal manager");
- "its" a few words after it in the same clause ("Carlsberg said its sales"):
  people take "his", "her" or "their", things "its";
- a place as a side in a match result ("Porto beat Benfica 2-0"): a team.

A given name followed only by a tail word ("Jane Park", "Tom Banks") stays a
person. The new ORGANIZATION spans are kept only where the scrubber was asked
for organisations; otherwise the span stays as the model found it: a cue can be
wrong, and dropping the span would then leave a person's name in the text.
Pure functions: text and spans in, spans out.
"""

from __future__ import annotations

import regex

from stillroom.plugins.scrubbers.gazetteer import ORG_SUFFIXES, Gazetteers, place_key

Found = tuple[str, int, int, float]

# The last word of an organisation's name (with ORG_SUFFIXES: "Ltd", "Group", "Holdings").
ORG_TAILS = ORG_SUFFIXES | frozenset("""authority authorities agency association federation foundation
    commission committee council service services corporation board bureau institute institution university
    college academy school hospital clinic ministry department trust fund bank bancorp insurance airlines
    airways railways motors electronics energy petroleum telecom pharmaceuticals media news times herald
    tribune journal gazette telegraph chronicle post star guardian observer independent club fc united
    rovers athletic wanderers party union league army navy police court parliament assembly senate
    orchestra church mission society network studios records""".split())
# Two-word tails, matched on the run's last two words.
ORG_TAIL_PAIRS = frozenset({("red", "cross"), ("red", "crescent")})
# The last word of a named facility's name: a LOCATION in CoNLL-style annotation.
FACILITY_TAILS = frozenset("""airport stadium arena bridge square park station terminal harbour harbor
    market palace cathedral mosque temple""".split())
# "Shares of Ericsson", "works for Bosch", "analysts at Barclays": what precedes an organisation, not a person.
ORG_LEADS = regex.compile(r"""(?ix)\b(?:shares\ (?:of|in)|stake\ in|stock\ of|(?:works?|worked|working)\ (?:for|at)
    |employed\ by|(?:signed|signs|plays|played|playing)\ for|acquired\ by|(?:a\ )?(?:unit|subsidiary|division)\ of
    |analysts\ at|executives?\ at|spokes(?:man|woman|person)\ for|customers\ of|listed\ on)[ \t]+(?:the[ \t]+)?$""")
# Words that end a clause before an "its" could refer back to the span.
ITS_AFTER = regex.compile(r"(?i)(?:[ \t]*['’]s)?(?:[ \t]+(?!(?:he|she|his|her|him|they|their|them|i|we|who)\b)"
                          r"[\p{L}\p{M}\d'’-]+){0,5}?[ \t]+its\b")
# "Porto beat Benfica 2-0", "Sevilla drew 1-1 with Getafe".
RESULT = regex.compile(r"(?i)\b(?:beat|beats|defeated|thrashed|edged|drew|draw|lost|lose|held)\b.{0,40}?"
                       r"\b\d{1,2}-\d{1,2}\b|\b\d{1,2}-\d{1,2}\b.{0,20}?\b(?:with|against|to|over)\b")
# "The Arsenal manager", "the Ajax fans": a name as the modifier of an organisation's people.
THE_BEFORE = regex.compile(r"(?i)\bthe[ \t]+$")
ROLES_AFTER = regex.compile(r"(?i)[ \t]+(?:manager|coach|chairman|board|shareholders|fans|supporters|players|squad|"
                            r"striker|goalkeeper|captain|chief[ \t]+executive|ceo|spokes(?:man|woman|person))\b")
PLACE_BEFORE = regex.compile(r"(?i)\b(?:in|on|at|near|from|to|into|across|around|through|throughout|off|via|of)"
                            r"[ \t]+(?:the[ \t]+)?$")
# Where a match was played: "in", "at", never "to" or "over" ("lost 2-1 to Porto" names a side).
VENUE_BEFORE = regex.compile(r"(?i)\b(?:in|at|near)[ \t]+(?:the[ \t]+)?$")
DIGIT = regex.compile(r"\d")
SENTENCE = regex.compile(r"[^.!?\n]+[.!?]?")
RUN_WORD = regex.compile(r"\p{Lu}[\p{L}\p{M}'’-]*|&")
NEXT_WORD = regex.compile(r"[ \t]+(\p{Lu}[\p{L}\p{M}'’-]*|&)")
PREVIOUS_WORD = regex.compile(r"(\p{Lu}[\p{L}\p{M}'’-]*|&)[ \t]+$")
TITLES_BEFORE = regex.compile(r"(?i)\b(?:mr|mrs|ms|dr|prof|sir|dame|judge|coach|minister|president)\.?[ \t]+$")
LEADING_THE = frozenset({"The", "A", "An"})


def settle(text: str, spans: list[Found], lists: Gazetteers, organisations: bool) -> list[Found]:
    """``spans`` (one text's, non-overlapping) with each PERSON or LOCATION that is part of an organisation's
    name relabelled ORGANIZATION (left as it is when ``organisations`` is False), and each that is part of a
    facility's name widened to that name as a LOCATION; see the module's docstring."""
    results = _results(text)
    out: list[Found] = []
    for span in spans:
        entity, start, end, score = span
        # A STREET_ADDRESS without a number is a name too ("Deutsche Bank" read as a street).
        if entity not in ("PERSON", "LOCATION") and (entity != "STREET_ADDRESS" or DIGIT.search(text, start, end)):
            out.append(span)
            continue
        run_start, run_end = _run(text, start, end)
        kind = _named_by_tail(text, run_start, run_end, start, end, entity, lists)
        if kind is None and _org_context(text, start, end, entity, results):
            kind, run_start, run_end = "ORGANIZATION", start, end
        if kind is None:
            out.append(span)
        elif kind == "LOCATION" or organisations:
            out.append((kind, run_start, run_end, score))
        else:  # fail closed: were the cue wrong, dropping the span would leave a person's name in the text
            out.append(span)
    return _without_overlaps(out)


def _results(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in SENTENCE.finditer(text) if RESULT.search(m.group())]


def _run(text: str, start: int, end: int) -> tuple[int, int]:
    """The capitalised words (and "&") around ``text[start:end]`` on its line, without a leading "The"."""
    while (before := PREVIOUS_WORD.search(text, max(0, start - 40), start)) is not None:
        start = before.start(1)
    while (after := NEXT_WORD.match(text, end)) is not None:
        end = after.end(1)
    words = list(RUN_WORD.finditer(text, start, end))
    while words and (words[0].group() in LEADING_THE or words[0].group() == "&"):
        words.pop(0)
    while words and words[-1].group() == "&":
        words.pop()
    return (words[0].start(), words[-1].end()) if words else (start, end)


def _named_by_tail(text: str, run_start: int, run_end: int, start: int, end: int, entity: str,
                   lists: Gazetteers) -> str | None:
    found = list(RUN_WORD.finditer(text, run_start, run_end))
    words = [w.group().lower() for w in found]
    tail_inside = bool(found) and found[-1].start() < end
    if len(words) < 2 or place_key(text[run_start:run_end]) in lists.places:  # "West Bank"
        return None
    tail = words[-1]
    if tuple(words[-2:]) in ORG_TAIL_PAIRS:
        return "ORGANIZATION"
    if tail not in ORG_TAILS and tail not in FACILITY_TAILS:
        return None
    if entity == "LOCATION" and tail_inside:
        return None  # the place recogniser read the tail word as part of the place: "West Bank", "Gold Coast"
    # "Jane Park", "Tom Banks", "Mr Hall": a given name (or a title) before a surname that is also a tail word.
    if entity == "PERSON" and (len(words) == 2 and words[0] in lists.first_names
                               or TITLES_BEFORE.search(text, max(0, run_start - 12), run_start)):
        return None
    return "ORGANIZATION" if tail in ORG_TAILS else "LOCATION"


def _org_context(text: str, start: int, end: int, entity: str, results: list[tuple[int, int]]) -> bool:
    if ORG_LEADS.search(text, max(0, start - 40), start):
        return True
    if THE_BEFORE.search(text, max(0, start - 8), start) and ROLES_AFTER.match(text, end):
        return True
    if entity == "LOCATION":  # a side in a match result, not where it was played ("... 21-19 in the final in Guangzhou")
        return any(a <= start and end <= b for a, b in results) and not VENUE_BEFORE.search(text, max(0, start - 12), start)
    if TITLES_BEFORE.search(text, max(0, start - 12), start) or text[:start].rstrip().endswith(","):
        return False  # "Dr Okafor said its", "the chief executive, Jane Smith, said its": a person speaking
    if PLACE_BEFORE.search(text, max(0, start - 12), start):
        return False  # "the station on Svalbard recorded its warmest August": a place takes "its" too
    return ITS_AFTER.match(text, end) is not None


def _without_overlaps(spans: list[Found]) -> list[Found]:
    """A widened span swallows the spans inside it (the run's other parts); text order."""
    kept: list[Found] = []
    for span in sorted(spans, key=lambda s: (s[1], -(s[2] - s[1]))):
        if kept and span[1] < kept[-1][2]:
            continue
        kept.append(span)
    return kept
