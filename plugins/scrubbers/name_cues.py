"""Names found by the words in front of them, in any script: the accurate profile's context window for names.

A token classifier trained mostly on English text misses names it has seen
few of (Cyrillic, Greek, Arabic, Devanagari), names written in lower case,
single given names and initials; but a person's name follows the same cues
in most records: a title or salutation ("Mr", "Dr", "Dear", "Herr", "Sra."),
a phrase ("my name is", "account holder", "next of kin", "Name:") or a
sign-off ("Best,", "Regards," then a line break). ``CueNameRecognizer`` takes
the one to four name-like words right after such a cue:

- a word that starts with a capital (any script), an initial ("J.", "Л.И."),
  a word in a script without case (Arabic, Devanagari, Hebrew, CJK, Thai), or
  a lower-case word in a cased script other than Latin (a lower-cased Cyrillic
  or Greek name in an English record);
- a lower-case Latin word only after a strong cue ("my name is", "Patient",
  "Name:", a sign-off), and never a common English word;
- surname particles ("da", "van der", "bin") between name words.

Two shapes are a name with no cue: an initial and a capitalised word ("J.
Tucker") and a romanised Korean name in its own order, a common surname and
a hyphenated given name ("Kim Tae-hyun").

Evidence of the cue, not of the words: scored 0.8, below a validated pattern
(``precedence.py``) and resolved against the model by score. Only the
accurate profile runs it: the residual scan must stay independent of it.
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from stillroom.plugins.scrubbers.gazetteer import Gazetteers, ascii_folded, place_key
from stillroom.plugins.scrubbers.lower_case import COORDINATED
from stillroom.plugins.scrubbers.offline_ner import PLACE_LEADS, PLACE_NOUNS_AFTER
from stillroom.plugins.scrubbers.organisations import ORG_TAILS

SCORE = 0.8
# Words inside a name in many languages: "Ní", "van der", "bin", "de la".
PARTICLES = frozenset("""ní nic mac mc ó o' van von der den de del della di da das dos du la le
    bin binti bint ibn al el ben ter ten af zu y e""".split()) | {"van der", "van den", "de la", "de los", "von der"}
PARTICLE_WORDS = frozenset(word for particle in PARTICLES for word in particle.split())
MAX_WORDS = 4
TITLES = r"""mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|m\.|mme|mlle|sr|sra|srta|dra|sig|sig\.ra|dott|dott\.ssa|
    pan|pani|dhr|mevr|señor|señora|senhor|senhora|monsieur|madame|signor|signora"""
GREETINGS = r"""dear|hi|hello|hey|hallo|bonjour|hola|ciao|olá|ola|oi|prezado\(a\)|prezada|prezado|estimado|estimada|
    estimado\(a\)|caro|cara|liebe|lieber|beste|szanowny|szanowna|sehr\ geehrte[rs]?|geachte|gentile|cher|chère"""
PHRASES = r"""my\ name\ is|my\ name's|i\ am|i'm|this\ is|it's|its|name|full\ name|account\ holder|holder|beneficiary|
    card\ ?holder|patient|patientin|patiente|paciente|paziente|pt|gp|applicant|next\ of\ kin|from:|attn|c/o|signed"""
SIGN_OFFS = r"""regards|best|best\ regards|kind\ regards|thanks|thank\ you|cheers|sincerely|saluti|un\ saludo|
    cordialement|grüße|viele\ grüße|groeten|met\ vriendelijke\ groet|pozdrawiam|atenciosamente|abraços|
    saludos|un\ abrazo|mit\ freundlichen\ grüßen|distinti\ saluti|bien\ à\ vous"""
# A cue, then what may stand between it and the name.
CUE = regex.compile(
    rf"""(?ix)(?<![\w])(?:
        (?P<title>(?:{TITLES}))\.?[ \t]+
      | (?P<greeting>(?:{GREETINGS}))[ \t]*,?[ \t]*
      | (?P<phrase>(?:{PHRASES}))[ \t]*[:=]?[ \t]*
      | (?P<signoff>(?:{SIGN_OFFS}))[ \t]*[,!.]?[ \t]*\n[ \t]*
      | (?P<thanks>(?:{SIGN_OFFS}))[ \t]*,?[ \t]+
      | (?P<dash>^--[ \t]+)
    )""", regex.MULTILINE)
STRONG = ("signoff", "dash")
STRONG_PHRASES = frozenset({"my name is", "my name's", "name", "full name", "account holder", "beneficiary",
                            "cardholder", "card holder", "patient", "next of kin", "applicant"})
WORD = regex.compile(r"(?:\p{Lu}\.){1,3}|[\p{L}\p{M}][\p{L}\p{M}'’]*(?:-[\p{L}\p{M}][\p{L}\p{M}'’]*)*")
# An initial and a capitalised word ("J. Tucker", "Я. Зайченко"): a name's shape with or without a cue.
INITIAL_NAME = regex.compile(r"(?<![\w.])(?:\p{Lu}\.[ \t]?){1,2}\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}]+)?")
# A Korean name in its own order, romanised: a common surname, then a given name of two syllables joined by a
# hyphen ("Kim Tae-hyun", "Park Ji-sung", "Son Heung-min's"): a name's shape with or without a cue.
KOREAN_SURNAMES = """Kim Lee Yi Park Pak Choi Choe Jung Jeong Chung Kang Cho Jo Yoon Yun Jang Chang Lim Han Seo
    Shin Kwon Hwang Ahn Song Yoo Yu Hong Jeon Chun Ko Moon Mun Yang Son Bae Baek Nam Noh Roh Kwak Sung Cha Joo
    Woo Min Ryu Jin Heo Gu Koo Ji Uhm Won Byun Gong Hyun Ham Yeo Chu Seong""".split()
# A syllable as Korean is romanised (initial, vowel, final): "hyun", "jun", "won", "sung"; not "based", "opens" or
# "off" of English compounds ("Hong Kong-based", "Car Park Drop-off"), nor a Thai island's "Pha-ngan". Some
# English compounds are Korean syllables too ("Son Re-run"): those are over-masked, never a name left.
KOREAN_SYLLABLE = r"(?:kk|tt|pp|ss|jj|ch|[gkndtrlmbpsjhyw])?(?:yae|wae|yeo|ae|ya|eo|ye|wa|oe|yo|wo|we|wi|yu|eu|ui|oo|ee|[aeoui])(?:ng|[nklmpt])?"
KOREAN_NAME = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}.'’-])(?:" + "|".join(KOREAN_SURNAMES) + r")[ \t]+"
    rf"(?-i:\p{{Lu}})(?i:{KOREAN_SYLLABLE})-(?i:{KOREAN_SYLLABLE})(?=['’]s\b|[^\p{{L}}\p{{M}}\p{{N}}'’-]|$)")
# "Park" after a capitalised word is a place's ("Menlo Park", "Car Park"), unless the word is a title or a role.
ROLE_WORDS = frozenset("""president coach minister chairman chairwoman captain ceo director manager striker
    midfielder defender actor actress singer rapper star player leader governor mayor senator judge""".split())
PREVIOUS_WORD = regex.compile(r"(\p{Lu}[\p{L}\p{M}]*)\.?[ \t]+$")


def _korean_names(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in KOREAN_NAME.finditer(text):
        before = PREVIOUS_WORD.search(text, max(0, match.start() - 40), match.start())
        if match.group().startswith("Park") and before is not None \
                and before.group(1).lower() not in TITLE_WORDS | ROLE_WORDS:
            continue
        spans.append(match.span())
    return spans


# Words of a script other than Latin, one after another, in a record written mostly in Latin script.
FOREIGN_RUN = regex.compile(r"(?:\p{Lu}\.)*[^\P{L}\p{Script=Latin}][\p{L}\p{M}'’-]*"
                            r"(?:[ \t](?:\p{Lu}\.)*[^\P{L}\p{Script=Latin}][\p{L}\p{M}'’-]*){0,3}")
FOREIGN_SCORE = 0.6
# Initials that abbreviate a place, not a person.
PLACE_INITIALS = frozenset({"U.S.", "U.K.", "E.U.", "U.N.", "D.C.", "N.Y.", "L.A.", "U.A.E."})
# Capitalised words that open a sentence rather than a name, and lower-case words that are never a name.
# A contraction's tail: "I've" -> "I", "it's" -> "it"; "O'Neill" and "D'Souza" keep a name's letters before it.
CONTRACTION = regex.compile(r"['’](?:ve|m|s|d|ll|re|t)$")
NOT_NAMES = frozenset("""the a an and or but if i you he she it we they me him her us them my your his its our their
    this that these those there here all team everyone everybody sir madam customer client support friend friends
    to from in on at of for with by about as is was are were be been has have had do does did will would can could
    please thanks thank hello hi dear regards best yes no not so just again also very ok okay re fw fwd subject
    mr mrs ms dr prof new old good great today tomorrow yesterday monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november december
    bank account card payment transfer order invoice refund phone email mobile number address street
    damen herren mesdames messieurs señores señoras senhores senhoras signori signore""".split())
CASELESS_SCRIPTS = ("Arabic", "Devanagari", "Hebrew", "Han", "Hiragana", "Katakana", "Thai", "Hangul", "Bengali",
                    "Tamil", "Telugu", "Gujarati", "Gurmukhi", "Kannada", "Malayalam", "Ethiopic", "Georgian")
CASELESS = regex.compile(r"[" + "".join(rf"\p{{Script={s}}}" for s in CASELESS_SCRIPTS) + "]")
LATIN = regex.compile(r"\p{Script=Latin}")
LOWER_LATIN = regex.compile(r"[\p{Ll}\p{M}'’-]+")
TITLE_WORDS = frozenset(t.replace("\\", "").rstrip(".") for t in regex.sub(r"\s", "", TITLES).split("|"))


class CueNameRecognizer(EntityRecognizer):
    """Names right after a title, salutation, naming phrase or sign-off (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="CueNameRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        found = [self._result(start, end, SCORE, "name-like words after a name cue, or an initial and a name")
                 for start, end in cue_names(text)]
        return found + [self._result(start, end, FOREIGN_SCORE, "words in another script in a Latin-script record")
                        for start, end in foreign_runs(text)]

    def _result(self, start: int, end: int, score: float, why: str) -> RecognizerResult:
        return RecognizerResult("PERSON", start, end, score,
                                AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation=why),
                                {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                 RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})


def cue_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of each name in ``text`` by a cue before it or by its shape. Pure."""
    return sorted(set(_after_cues(text)) | set(_initials(text)) | set(_korean_names(text)))


def foreign_runs(text: str) -> list[tuple[int, int]]:
    """Runs of up to four words in a script other than Latin, in a record mostly in Latin script: in an
    English-language record such a run names someone or somewhere. Pure."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if LATIN.match(ch))
    if not letters or latin * 2 < len(letters):
        return []
    return [m.span() for m in FOREIGN_RUN.finditer(text)]


def _after_cues(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cue in CUE.finditer(text):
        kind = cue.lastgroup
        strong = kind in STRONG or (kind == "phrase" and " ".join(cue.group("phrase").lower().split()) in STRONG_PHRASES)
        span = _name_after(text, cue.end(), strong)
        if span is not None and not (spans and spans[-1][1] >= span[0]):
            spans.append(span)
    return spans


def _initials(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in INITIAL_NAME.finditer(text):
        initials, _, name = m.group().rpartition(".")
        if name.strip().lower() not in NOT_NAMES and initials.replace(" ", "") + "." not in PLACE_INITIALS:
            spans.append(m.span())
    return spans


def _name_after(text: str, at: int, strong: bool) -> tuple[int, int] | None:
    words: list[tuple[int, int]] = []
    pending: list[tuple[int, int]] = []  # particles, kept only when a name word follows
    position = at
    for match in WORD.finditer(text, at):
        if text[position : match.start()] not in ("", " ") or (not words and not pending and match.start() != at):
            break
        word = match.group()
        # A lower-case Latin word continues only a lower-case name: "Ж.Б. Ахметова notified" ends before "notified".
        lowercase_ok = strong and all(LOWER_LATIN.fullmatch(text[a:b]) for a, b in words)
        if word.lower() in PARTICLE_WORDS:
            pending.append(match.span())
        elif _name_like(word, lowercase_ok):
            words += [*pending, match.span()]
            pending = []
        else:
            break
        position = match.end()
        if len(words) >= MAX_WORDS:
            break
    if not words:
        return None
    return words[0][0], words[-1][1]


def _name_like(word: str, strong: bool) -> bool:
    low = word.lower()
    if low in NOT_NAMES or low.rstrip(".") in TITLE_WORDS or CONTRACTION.sub("", low) in NOT_NAMES:
        return False  # "I've", "it's": a pronoun's contraction is none either
    if word[0].isupper() or CASELESS.match(word):
        return True
    if not LATIN.match(word):
        return True  # a lower-case word in Cyrillic, Greek or another cased script, after a name cue
    return strong and len(word) > 1 and low not in STOP_WORDS  # "my name still isn't on the list"


# A sentence's opening words: at the text's or a line's start, or after a sentence's end, past an opening quote.
OPENING = regex.compile(r"(?:^|(?<=[.!?][\"”’)]?[ \t]+))[\"“‘(]?(?=\p{Lu})", regex.MULTILINE)
TITLE_CASE = regex.compile(r"\p{Lu}[\p{Ll}\p{M}'’-]+")
OPENING_SCORE = 0.6
# What describes a person after their name: an age, or a role ("Kirsty McAteer, 34,", "Ishikawa Takeshi, the potter").
APPOSITION = regex.compile(r",[ \t]+(?:\d{1,3},|(?:a|an|the|who|whose)[ \t])")
# A listed place's prior for a city or a region; a country's, state's or continent's is higher (gazetteer.py).
CITY_PRIOR = 0.6


def opening_names(text: str, spans: list[tuple[str, int, int, float]],
                  lists: Gazetteers) -> list[tuple[str, int, int, float]]:
    """``spans`` with a PERSON over each name that opens a sentence and that no span covers yet.

    The accurate profile's token classifier misses many names in a sentence's
    first words ("Jiří Dvořáček restores church organs", "Sione Vaipulu
    scored") that it finds later in one. Taken here: two or three title-case
    words (surname particles such as "Ó" or "van der" may stand between them)
    that open a sentence and are followed by a lower-case word or by an age or
    a role after a comma ("Kirsty McAteer, 34,", "Ishikawa Takeshi, the
    potter"), none of them a common English word, not all of them greetings,
    titles or sign-offs ("Dear Sir or Madam"), the run no listed place and
    its last word not one that ends an organisation's name. Pure.
    """
    found = list(spans)
    for opening in OPENING.finditer(text):
        run = _opening_run(text, opening.end())
        if run is None:
            continue
        start, end, words = run
        low = [w.lower() for w in words]
        if all(CUE_WORD.fullmatch(w) or w in NOT_NAMES for w in low):  # "Dear Sir or Madam, I am writing"
            continue
        if low[-1] in ORG_TAILS or place_key(ascii_folded(text[start:end])) in lists.places:
            continue
        if ((any(lists.is_common(w) for w in low) or any((w,) in lists.places for w in low))
                and not (APPOSITION.match(text, end) and _vouched_for(low, lists))):
            continue
        if not any(s[1] < end and s[2] > start for s in found):
            found.append(("PERSON", start, end, OPENING_SCORE))
    return sorted(found, key=lambda s: s[1])


def _vouched_for(low: list[str], lists: Gazetteers) -> bool:
    """Whether an apposition after these opening words ("Bill Mwansa, an opposition MP,") makes them a name
    although one is a common word or a listed place: a common word only as a listed given name, first ("Bill");
    a place only beside a listed given name, or as a listed surname that names no country or state
    ("Ishikawa Takeshi, the potter"). "Kyoto, the old capital," is one word, never a run."""
    given = [w in lists.first_names or w in lists.common_given_names for w in low]
    for k, word in enumerate(low):
        if lists.is_common(word) and not (k == 0 and word in lists.common_given_names):
            return False
        prior = lists.places.get((word,))
        if prior is not None and not (any(g for j, g in enumerate(given) if j != k)
                                      or (word in lists.surnames and prior <= CITY_PRIOR)):
            return False
    return True


def _opening_run(text: str, at: int) -> tuple[int, int, list[str]] | None:
    """(start, end, title-case words) of two or three title-case words at ``at`` and a lower-case word after."""
    run = _name_run(text, at, 2, TITLE_CASE)
    if run is None:
        return None
    end = run[1]
    after = WORD.match(text, end + 1) if text.startswith(" ", end) else None
    if not (after is not None and after.group()[:1].islower() or APPOSITION.match(text, end)):
        return None
    return run


# What joins two people's names: "Blessing Chukwu and Memory Phiri".
COORDINATION = regex.compile(r"[ \t]+(?:and|&|or)[ \t]+")


def coordinated_names(text: str, spans: list[tuple[str, int, int, float]],
                      lists: Gazetteers) -> list[tuple[str, int, int, float]]:
    """``spans`` with a PERSON over a name joined by "and", "&" or "or" to a PERSON span, where no span is.

    The model finds the first of two joined names more often than the second
    ("Blessing Chukwu and Memory Phiri set up the cooperative"). Taken here:
    one to three title-case words (surname particles may stand between them)
    right after the join, ending before a lower-case word or punctuation,
    none a listed place, the last neither a common English word nor one that
    ends an organisation's name ("Smith and Partners", "Kano and Lagos" stay).
    Scored as an opening name. Pure.
    """
    found = list(spans)
    for entity, _, end, _ in spans:
        join = COORDINATION.match(text, end) if entity == "PERSON" else None
        run = _name_run(text, join.end(), 1) if join else None
        if run is None:
            continue
        start, stop, words = run
        low = [w.lower() for w in words]
        if (lists.is_common(low[-1]) or low[-1] in ORG_TAILS
                or any(place_key(ascii_folded(w)) in lists.places for w in words)
                or place_key(ascii_folded(text[start:stop])) in lists.places):
            continue
        after = text[stop:stop + 2]
        if after[:1].isalnum() or (after[:1] == " " and after[1:2].isupper()):
            continue
        if not any(s[1] < stop and s[2] > start for s in found):
            found.append(("PERSON", start, stop, OPENING_SCORE))
    return sorted(found, key=lambda s: s[1])


def _name_run(text: str, at: int, least: int, shape: regex.Pattern[str] | None = None,
              ) -> tuple[int, int, list[str]] | None:
    """(start, end, words) of ``least`` to three words of ``shape`` (a name's, ``NAME_PART``, by default) at
    ``at``, surname particles allowed between them."""
    shape = shape or NAME_PART
    words: list[str] = []
    end, position, pending = at, at, 0
    for match in WORD.finditer(text, at):
        if match.start() != position:
            break
        word = match.group()
        if words and word.lower() in PARTICLE_WORDS and pending < 2:
            pending += 1
        elif shape.fullmatch(word) and len(word) > 1 and len(words) < 3:
            words.append(word)
            end, pending = match.end(), 0
        else:
            break
        if not text.startswith(" ", match.end()):
            break
        position = match.end() + 1
    return (at, end, words) if len(words) >= least else None


# A title-case word of a name, hyphenated, with an apostrophe or a capital inside too ("Eze-Okafor", "O'Neill",
# "McAteer"); never all capitals.
NAME_PART = regex.compile(r"\p{Lu}[\p{Ll}\p{M}]*(?:['’-]?\p{Lu}?[\p{Ll}\p{M}]+)*")
# A title, greeting or sign-off a span may have taken in with the name: never repeated as one ("Dr").
CUE_WORD = regex.compile(rf"(?ix)(?:{TITLES}|{GREETINGS}|{SIGN_OFFS})\.?")


# Where a person, not a place, stands: a sentence's or line's start, after an opening quotation mark, or
# after a quotation and its comma ('"...," Lima said'); then a lower-case word.
SUBJECT_BEFORE = regex.compile(r"""(?:^|\n|[.!?]["”’)]?[ \t]+|["“‘(]|,["”’][ \t]+)$""")
VERB_AFTER = regex.compile(r"[ \t]+\p{Ll}")


# A word that puts a place after it ("in Achterberg", "from the Ruhr", "north Devon").
PLACE_LEAD_WORDS = PLACE_LEADS | frozenset("""at into of through between north south east west northern southern
    eastern western central""".split())
PLACE_LEAD_BEFORE = regex.compile(r"(?i)\b(?:" + "|".join(sorted(PLACE_LEAD_WORDS)) + r")[ \t]+(?:the[ \t]+)?$")


# A possessive and a lower-case noun ("Ishikawa's tea bowls"): a person's, unless the noun is a place's own ("Jordan's
# king", "Paris's mayor") or the word after is "been" or "got" (the "'s" is "has": "Georgia's been hit").
POSSESSION_AFTER = regex.compile(r"['’]s[ \t]+(\p{Ll}+)")
PLACE_OWNS = PLACE_NOUNS_AFTER | frozenset("""governor mayor government foreign prime minister ministry army police
    people museums streets city state national largest biggest oldest team squad council been got""".split())


def _where_a_person_stands(text: str, start: int, end: int) -> bool:
    if not SUBJECT_BEFORE.search(text, max(0, start - 8), start):
        return False
    possession = POSSESSION_AFTER.match(text, end)
    return bool(VERB_AFTER.match(text, end)) or possession is not None and possession.group(1) not in PLACE_OWNS


# A word of a name, as a whole word: not inside a longer word or hyphenated name; a possessive may follow.
def _mention(word: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}'’-]){regex.escape(word)}(?![\p{{L}}\p{{M}}\p{{N}}-])")


# What an address around a repeated name may hold besides it, and still be that name alone: a number of one or
# two digits or one lower-case word, and spaces and stops ("84\nAdaeze Nwankwo" after a headline's "Dies At 84", "van. Piotr"
# across a sentence's end). A capitalised word or a longer number is an address's own ("12 Nwankwo Street").
ADDRESS_LEFTOVER = regex.compile(r"[\s.,;:]*(?:(?:\d{1,2}|\p{Ll}+)[\s.,;:]*)?")


def _name_in_address(text: str, span: tuple[str, int, int, float], parts: dict[str, bool]) -> tuple:
    """A PERSON over the repeated name a STREET_ADDRESS span holds, when the rest is leftover prose; else the
    span as it was."""
    _, start, end, score = span
    words = [w for w in WORD.finditer(text, start, end) if w.group() in parts]
    if not words:
        return span
    first, last = words[0], words[-1]
    run = [w for w in WORD.finditer(text, first.start(), last.end())]
    if any(w.group() not in parts for w in run) or any(parts[w.group()] for w in run) \
            or not ADDRESS_LEFTOVER.fullmatch(text, start, first.start()) \
            or not ADDRESS_LEFTOVER.fullmatch(text, last.end(), end):
        return span
    return ("PERSON", first.start(), last.end(), score)


def _beside_a_place(text: str, span: tuple[str, int, int, float], spans: list[tuple[str, int, int, float]]) -> bool:
    return any(other[0] == "LOCATION" and other is not span and (
        other[2] <= span[1] and COORDINATED.fullmatch(text, other[2], span[1])
        or span[2] <= other[1] and COORDINATED.fullmatch(text, span[2], other[1])) for other in spans)


def repeated_names(text: str, spans: list[tuple[str, int, int, float]],
                   lists: Gazetteers) -> list[tuple[str, int, int, float]]:
    """``spans`` with a PERSON over each mention, alone, of a word of a full name that a PERSON span holds.

    A text names a person in full once and then by one part ("Ngozi Eze-Okafor
    was appointed ... Eze-Okafor said"), and a model that found the full name
    often misses the part alone, most of all at a sentence's start ("Okonkwo
    loses appeal"), or types it a street address. Taken here: each title-case
    word of a PERSON span of two or more words, unless it is a surname
    particle, a title or a common English word, wherever else it stands as a
    whole word in the same case, outside every span; a street address that is
    that word alone becomes a PERSON, and so does one of such words that holds
    besides them only a one- or two-digit number or a lower-case word of prose
    ("Dies At 84\nAdaeze Nwankwo", "in the van. Piotr, 22,": the model runs an
    address across a line or a sentence's end), over those words. A word that is also a listed place ("Lima"
    of "Renata Lima") counts only where a person stands: opening a sentence or
    a quotation's attribution, before a lower-case word or a possessive and a
    noun no place owns ("Lima presented her credentials", "Lima's tea bowls",
    not "arrived in Lima" or "Lima's economy"); there, a LOCATION span that is
    that word alone becomes a PERSON too ("Oliveira will take office"). A LOCATION span that is a word no list
    holds as a place becomes a PERSON wherever it stands ("found that Achterberg had misled": the model
    types a surname it does not know a place), unless a preposition that takes a place leads it
    ("in Achterberg", "north Devon") or another place stands beside it ("Totnes, Devon", "between Newcastle
    and Hexham"). A mention is evidence only through
    the name it repeats: scored as an opening name. Pure.
    """
    parts: dict[str, bool] = {}  # word -> also a listed place
    for entity, start, end, _ in spans:
        words = [w.group() for w in WORD.finditer(text, start, end)]
        if entity != "PERSON" or len(words) < 2:
            continue
        for word in words:
            low = word.lower()
            if (len(word) > 1 and NAME_PART.fullmatch(word) and not CUE_WORD.fullmatch(word)
                    and low not in PARTICLE_WORDS and not lists.is_common(low)):
                parts[word] = place_key(ascii_folded(word)) in lists.places
    found = [("PERSON", *span[1:]) if text[span[1]:span[2]] in parts and (
        span[0] == "STREET_ADDRESS" or span[0] == "LOCATION" and (
            not parts[text[span[1]:span[2]]] and not PLACE_LEAD_BEFORE.search(text, max(0, span[1] - 16), span[1])
            and not _beside_a_place(text, span, spans) or _where_a_person_stands(text, span[1], span[2])))
        else _name_in_address(text, span, parts) if span[0] == "STREET_ADDRESS" else span for span in spans]
    for word, place in sorted(parts.items()):
        for mention in _mention(word).finditer(text):
            start, end = mention.span()
            if place and not _where_a_person_stands(text, start, end):
                continue
            if not any(s[1] < end and s[2] > start for s in found):
                found.append(("PERSON", start, end, OPENING_SCORE))
    return sorted(found, key=lambda s: s[1])
