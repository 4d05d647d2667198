"""PERSON, LOCATION and ORGANIZATION without an NER model: gazetteers plus name shapes.

Each recognizer reads the tokens the NLP engine already produced and scores a
candidate by how much evidence it has (a known given name followed by a
surname is strong; a lone given name mid-sentence is medium; a lone surname
is weak and needs a context word such as "name" to pass the threshold).
Presidio's context enhancer then raises scores near the recognizer's context
words, which works on a blank pipeline because of the lemma fallback in
``nlp.py``.
"""

from __future__ import annotations

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

from stillroom.plugins.scrubbers.gazetteer import (
    NAME_SUFFIXES,
    NATIONALITIES,
    ORG_HEADS,
    ORG_SUFFIXES,
    PLACE_PREFIXES,
    PLACE_SUFFIXES,
    TITLES,
    Gazetteers,
    ascii_folded,
    gazetteers,
)
from stillroom.plugins.scrubbers.tokens import Token, doc_tokens

SENTENCE_BREAKS = frozenset('.!?:;"\n')
CONNECTORS = frozenset({"-", ",", "&", "and", "of"})
# "in Gunzenhausen": an unknown capitalised word after these is most often a place.
PLACE_PREPOSITIONS = frozenset({"in", "near", "from", "outside", "across", "around", "towards", "toward",
                                "throughout", "via", "over", "along", "beyond", "off"})
# "across the Sahel": these take "the" before a place; "in the" leads to newspapers and institutions too.
THE_PREPOSITIONS = frozenset({"across", "around", "throughout", "over", "along", "beyond"})
# "the coast of Sicily", "north of Athens", "the river Danube": nouns that introduce a place.
PLACE_NOUNS_OF = frozenset("""coast north south east west northeast northwest southeast southwest outskirts suburbs
    capital province region city town village island islands state district county shores banks centre center
    heart port""".split())
PLACE_NOUNS_BEFORE = frozenset({"river"})
# "Jordan's king", "Tigray's regional capital": after a possessive, nouns that belong to a place, not a person
# (not "government" or "army": "Netanyahu's government" is a person's).
PLACE_NOUNS_AFTER = frozenset("""capital coast coastline border borders king queen president parliament economy
    regional northern southern eastern western citizens population provinces districts villages""".split())
# "in Soest", "to Lemgo": after these, a listed place is one even when it is a small town.
PLACE_LEADS = PLACE_PREPOSITIONS | {"to"}
# The last word of a named natural place: "Indian Ocean", "Po Valley", "Golan Heights"; in lower case after an
# unlisted name, the name alone is the place ("the Atacama desert", "the Gurez valley").
FEATURES = frozenset("""ocean sea river valley desert mountains canal strait gulf bay island islands peninsula coast
    delta heights hills highlands falls plateau basin lake lagoon""".split())
# In lower case, the ones that rarely follow a nationality ("the Moroccan coast" is no place's name).
LOWER_FEATURES = frozenset("river valley desert delta basin mountains plateau highlands lake lagoon".split())
# Features that come first and take "of": "Strait of Hormuz", "Gulf of Aden", "Isle of Skye".
FEATURES_OF = frozenset({"strait", "straits", "gulf", "bay", "sea", "isle", "cape", "lake"})


class TokenRecognizer(LocalRecognizer):
    ENTITY: str
    CONTEXT: list[str]

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language="en", context=self.CONTEXT)

    def load(self) -> None:
        self.lists: Gazetteers = gazetteers()

    def analyze(self, text, entities, nlp_artifacts=None):
        if not nlp_artifacts or self.ENTITY not in entities:
            return []
        return self.results(_tokens(nlp_artifacts))

    def results(self, doc: list[Token]) -> list[RecognizerResult]:
        return [self._result(doc[i].idx, doc[j - 1].end, score) for i, j, score in self.spans(doc)]

    def spans(self, doc) -> list[tuple[int, int, float]]:
        """(first token, end token, score) for each candidate."""
        raise NotImplementedError

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        explanation = AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation="gazetteer")
        return RecognizerResult(
            self.ENTITY, start, end, score, explanation,
            {RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id},
        )


class NameRecognizer(TokenRecognizer):
    ENTITY = "PERSON"
    CONTEXT = ["name", "called", "dear", "hi", "hello", "thanks", "regards", "sincerely", "signed", "contact",
               "wife", "husband", "son", "daughter", "mother", "father", "brother", "sister", "friend", "partner",
               "colleague", "landlord", "tenant", "customer", "client", "holder", "payee", "recipient",
               "beneficiary", "sender", "send", "sent", "pay", "paid", "transfer", "from", "behalf", "mr", "mrs"]

    def spans(self, doc):
        found, i = [], 0
        while i < len(doc):
            candidate = self._candidate(doc, i)
            if candidate:
                found.append((i, *candidate))
                i = candidate[0]
            else:
                i += 1
        return found

    def _candidate(self, doc, i: int) -> tuple[int, float] | None:
        lists, token = self.lists, doc[i]
        if token.lower_.rstrip(".") in TITLES:
            after = i + 1 + (i + 1 < len(doc) and doc[i + 1].text == ".")
            return (_name_run(doc, after, lists), 0.85) if _titled(doc, after) else None
        if not _capitalised(token.text) or token.lower_ in PLACE_PREFIXES:
            return None
        end = _name_run(doc, i + 1, lists)
        if end < len(doc) and doc[end].lower_.rstrip(".") in ORG_SUFFIXES:
            return None
        if token.lower_ in lists.first_names:
            if end > i + 1:
                known = any(doc[k].lower_ in lists.surnames for k in range(i + 1, end))
                return end, 0.85 if known else 0.6
            return end, 0.45 if _starts_sentence(doc, i) else 0.55
        if lists.is_common(token.text) or _starts_sentence(doc, i):
            return None
        if end > i + 1 and doc[end - 1].lower_ in lists.surnames:
            return end, 0.6
        if token.lower_ in lists.surnames and not lists.is_common(token.text):
            return i + 1, 0.2
        return None


class PlaceRecognizer(TokenRecognizer):
    ENTITY = "LOCATION"
    CONTEXT = ["live", "living", "lived", "moved", "moving", "city", "town", "country", "address", "located",
               "travel", "trip", "visit", "holiday", "abroad", "branch", "airport", "born", "based", "near",
               "state", "region", "home"]

    def spans(self, doc):
        lists, found, i = self.lists, [], 0
        while i < len(doc):
            if not doc[i].is_title:
                i += 1
                continue
            low, lead = doc[i].lower_, _place_lead(doc, i)
            match = _longest_place(doc, i, lists)
            feature = _named_feature(doc, i, lists)
            if feature and (match is None or feature[0] > match[0]):
                found.append((i, *feature))
                i = feature[0]
                continue
            if match:
                j, score = match
                # At a sentence's start a capital proves nothing: a small town, a city that is also a name, or a
                # country that is also a given name ("Jordan") needs more; a country ("Peru, Bolivia and
                # Ecuador") or a large city ("Beijing responded") does not, nor does one with another listed
                # place joined to it ("Kenya, Uganda") or a place's noun after its possessive ("Jordan's king").
                if j == i + 1 and _starts_sentence(doc, i) and not _place_follows(doc, j, lists) and (
                        score < 0.6 or low in lists.first_names or score < 0.7 and low in lists.surnames):
                    score -= 0.2
                elif lead and low not in lists.first_names:
                    score = max(score, 0.6)
                found.append((i, j, score))
                i = j
                continue
            if low in PLACE_PREFIXES and _titled(doc, i + 1):
                found.append((i, i + 2, 0.6))
                i += 2
                continue
            unknown = not lists.is_common(low) and low not in lists.first_names and low not in lists.surnames
            if unknown and _capitalised(doc[i].text) and lead in ("preposition", "noun"):
                j = i + 1
                while j < len(doc) and j - i < 3 and _titled(doc, j):
                    j += 1
                found.append((i, j, 0.5))
                i = j
                continue
            if unknown and low.endswith(PLACE_SUFFIXES) and len(low) > 6:
                found.append((i, i + 1, 0.5))
            i += 1
        return found


class OrganizationRecognizer(TokenRecognizer):
    ENTITY = "ORGANIZATION"
    CONTEXT = ["work", "working", "employer", "employed", "company", "firm", "business", "merchant", "shop",
               "store", "vendor", "supplier", "bank", "salary", "invoice", "contract"]

    def spans(self, doc):
        lists, found, i = self.lists, [], 0
        while i < len(doc):
            if not doc[i].is_title or _starts_sentence(doc, i) and lists.is_common(doc[i].text):
                i += 1
                continue
            j = _org_run(doc, i)
            words = [t.lower_.rstrip(".") for t in doc[i:j] if t.lower_ not in CONNECTORS and t.text[0].isalpha()]
            surnames = [w for w in words if w in lists.surnames]
            joins = {t.lower_ for t in doc[i:j]} & CONNECTORS
            if len(words) > 1 and words[-1] in ORG_SUFFIXES:
                found.append((i, j, 0.85))
            elif words and words[0] in ORG_HEADS and "of" in joins:
                found.append((i, j, 0.7))
            elif len(words) >= 3 and len(surnames) == len(words) and {",", "and"} <= joins:
                found.append((i, j, 0.85))
            elif len(words) == 2 and len(surnames) == 2 and joins == {"-"}:
                found.append((i, j, 0.55))
            else:
                i += 1
                continue
            i = j
        return found


def _tokens(nlp_artifacts) -> list[Token]:
    cached = getattr(nlp_artifacts, "_stillroom_tokens", None)
    if cached is None:
        cached = doc_tokens(nlp_artifacts.tokens, lemma_fallback=False)
        nlp_artifacts._stillroom_tokens = cached
    return cached


def _titled(doc, i: int) -> bool:
    return i < len(doc) and _capitalised(doc[i].text)


def _capitalised(word: str) -> bool:
    """Name-shaped: "Smith", "McCallum", "O'Connor"; not "SMITH" or "smith"."""
    if not word[:1].isupper():  # most words: decided before the copies below
        return False
    letters = word.replace("'", "").replace("’", "")
    return len(letters) > 1 and letters.isalpha() and not letters.isupper()


def _starts_sentence(doc, i: int) -> bool:
    return i == 0 or doc[i - 1].text[-1:] in SENTENCE_BREAKS


def _name_run(doc, i: int, lists: Gazetteers) -> int:
    """End of the capitalised words that continue a name at ``i``: middle names,
    initials, hyphenated surnames and a trailing suffix (Jr, PhD)."""
    end = i
    while end < len(doc) and end - i < 4:
        token = doc[end]
        if token.text == "-" and _titled(doc, end + 1) and end > i:
            end += 2
        elif token.lower_.rstrip(".") in ORG_SUFFIXES:
            break
        elif _capitalised(token.text) and (token.lower_ in lists.surnames or not lists.is_common(token.text)):
            end += 1
            if len(token) == 1 and end < len(doc) and doc[end].text == ".":
                end += 1
        elif token.lower_.rstrip(".") in NAME_SUFFIXES and end > i:
            end += 1 + (end + 1 < len(doc) and doc[end + 1].text == ".")
            break
        else:
            break
    return end


def _longest_place(doc, i: int, lists: Gazetteers) -> tuple[int, float] | None:
    for width in (4, 3, 2, 1):
        key = tuple(t.lower_ if t.lower_.isascii() else ascii_folded(t.lower_) for t in doc[i : i + width])
        if len(key) == width and key in lists.places and doc[i + width - 1].text[0].isupper():
            return i + width, lists.places[key]
    return None


def _place_lead(doc, i: int) -> str:
    """What stands before token ``i`` that announces a place: "preposition" ("in", "across the"), "noun"
    ("coast of", "river"), or "" for nothing."""
    before = i - 1
    if before >= 0 and doc[before].lower_ == "the":
        return "preposition" if before > 0 and doc[before - 1].lower_ in THE_PREPOSITIONS else ""
    if before < 0:
        return ""
    word = doc[before].lower_
    if word in PLACE_PREPOSITIONS:
        return "preposition"
    if word in PLACE_NOUNS_BEFORE or word == "of" and before > 0 and doc[before - 1].lower_ in PLACE_NOUNS_OF:
        return "noun"
    return ""


def _place_follows(doc, j: int, lists: Gazetteers) -> bool:
    """Whether the words from token ``j`` make the place before them one: a possessive and a noun that only a
    place has ("Jordan's king", "Tigray's regional capital"), or a listed place joined to it ("Kenya, Uganda and
    Tanzania")."""
    if j + 1 >= len(doc):
        return False
    if doc[j].lower_ in ("'s", "’s"):
        return doc[j + 1].lower_ in PLACE_NOUNS_AFTER
    return doc[j].lower_ in (",", "and") and doc[j + 1].is_title and (doc[j + 1].lower_,) in lists.places \
        and lists.places[(doc[j + 1].lower_,)] >= 0.6


def _named_feature(doc, i: int, lists: Gazetteers) -> tuple[int, float] | None:
    """(end token, score) of a named natural place starting at ``i``: one or two capitalised words and a
    capitalised feature ("Indian Ocean"), a feature, "of" and a name ("Strait of Hormuz"), or an unlisted
    name before a feature in lower case ("Atacama desert": the name alone)."""
    low = doc[i].lower_
    if low in FEATURES_OF and i + 2 < len(doc) and doc[i + 1].lower_ == "of" and _titled(doc, i + 2):
        return i + 3, 0.6
    if lists.is_common(low) and low not in NATIONALITIES:  # "the Indian Ocean", but not "The Sea"
        return None
    for width in (1, 2):
        end = i + width
        if end < len(doc) and all(_capitalised(t.text) for t in doc[i:end]) and doc[end].lower_ in FEATURES:
            if doc[end].is_title:
                return end + 1, 0.6
            if width == 1 and doc[end].lower_ in LOWER_FEATURES and low not in lists.first_names \
                    and low not in lists.surnames:
                return end, 0.55
    return None


def _org_run(doc, i: int) -> int:
    """Capitalised words joined by '-', ',', '&' or 'and', ending at a legal suffix when there is one."""
    end, last_word = i, i
    while end < len(doc) and end - i < 8:
        token = doc[end]
        if token.is_title or token.lower_.rstrip(".") in ORG_SUFFIXES or token.is_upper and token.is_alpha:
            end += 1
            last_word = end
            if token.lower_.rstrip(".") in ORG_SUFFIXES:
                if end < len(doc) and doc[end].text == "." and token.text[-1] != ".":
                    last_word = end = end + 1
                break
        elif token.lower_ in CONNECTORS and end + 1 < len(doc) and doc[end + 1].is_title:
            end += 1
        else:
            break
    return last_word
