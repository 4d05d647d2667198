"""Spans of the accurate profile that are ordinary words, not names or addresses.

The token classifier sometimes takes a word beside a name into it ("Ericsson
rose", "fluent Swahili"), tags a nationality or a language ("Dutch",
"Argentine midfielder", "Nigerian") or a lower-case noun ("a fisherman");
its address parts catch words and numbers of prose ("flats", the "-1" of
"3-1", the year in "in 2012"). ``clean``:

- trims lower-case words from the edges of a PERSON span that has a capital
  (surname particles such as "van" and "de" stay);
- drops a PERSON or LOCATION span whose words are all nationalities,
  demonyms or languages: a listed one, or a word formed from a country's,
  state's or continent's name ("Kenyan" from Kenya, "Brazilian", "Chinese",
  "Pakistani"), unless the word is itself a listed place, given name or
  surname ("Jordan", "Albanese");
- drops a PERSON span of lower-case Latin words, none a listed given name
  (common words among them: "mark", "grace"), right after a determiner ("a
  fisherman", "the applicant"), or anywhere when each of its words is one
  people write in lower case far more often than capitalised ("heaven",
  "ashes"; ``casing.py``) and no title or family word comes before it ("uncle
  femi"), or anywhere when one of its words is an English function word
  that is no given name ("made", "still"; ``FUNCTION_WORDS``) and
  none a listed surname ("grandma made jollof"; not "will smith"). A
  lower-case name otherwise stands: forms and posts write names in lower case;
- drops a PERSON span whose words are all the shorthand of chat and posts,
  written in lower case ("lmao", "lmaooo", "smh", "tbh", "bday", "hahaha"),
  letters drawn out or not, and trims such words from a PERSON span's edges
  ("bday sarah"): the model reads them as names in lower-case text. A
  capitalised word is never taken for one ("JK Rowling", "Le Duc Tho"), and
  ``CHAT`` leaves out "fr", "ty", "jk" and the like, which can be a title or
  part of a name;
- drops a STREET_ADDRESS span of lower-case Latin words only ("flats",
  "hillside villages") or with no letter and under three digits (the "-1" of
  a score "3-1"): an address alone is written with a number or a name;
- a STREET_ADDRESS span that ends in a match's set or game scores ("21-17,
  21-19") is no address: scores alone are dropped, and one to four title-case
  words before them are the player named there, a PERSON ("beat Zhao Yifan
  21-17, 21-19"); with other words before them the span stays as it is
  (masked: it fails closed);
- a STREET_ADDRESS span of one to four title-case words and a number after
  a comma, where a comma and a lower-case word follow ("searching for Hope
  Chikwanha, 29, in the mountains"), is a person and their age: a PERSON over
  the words. An address's number is followed by a postcode, a floor or a
  town, not by a clause;
- a STREET_ADDRESS span of two to four words in a script other than Latin,
  all capitalised or all in lower case, with nothing else in it ("Ираида
  Рыбаков", "николай боброва"), is a name, a PERSON: an address is written
  with a number, and the model, which learnt addresses, reads a name in an
  unfamiliar script as a street;
- drops a STREET_ADDRESS span that is a time of day ("2am", "10:30 pm") and
  a POSTAL_CODE with no digit ("tmrw", "Ks"): every postal code has one;
- drops a POSTAL_CODE that is a year (1900-2099) after "in", "since" and the
  like, with no capitalised word after it ("NSW 2012" and "in 8001 Zürich"
  stay postcodes);
- drops an identifier, postal code, address or phone span inside a word with
  a digit that a business reference's name stands before ("Order
  114-2290331-8812201", "tracking 1Z999AA...", "reference CMP-2026-118402"):
  the model reads these as government IDs. An account, customer, policy,
  member or claim number is its holder's and stays masked, and so is a
  reference named for its holder ("tax ref"); a word of digits alone counts
  only under nine digits (a phone number may be written without spaces), and
  a phone span goes only where the word has a letter, which no phone number
  has.

Before the spans are combined, ``hyphenated_names`` makes whole the
hyphenated names the model reads in part. A PERSON span that takes in part of
a hyphenated capitalised word takes in all of it ("The Eze-Okafor family"
gives a PERSON "Okafor" only). A URL guess with nothing of a web address in
it (no ".", "/", "@" or "www") that is part of a hyphenated name
("Eze-Okafor" read as "Eze" and a URL "-Okafor") is that whole name, a
PERSON; any other stays masked as a URL, as the model had it (it fails
closed: the model's URL "MVXL JXUT" was the tail of an IBAN no validator
took).

Pure functions: text and spans in, spans out.
"""

from __future__ import annotations

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from stillroom.plugins.scrubbers.casing import lower_case_more_often
from stillroom.plugins.scrubbers.gazetteer import NATIONALITIES, TITLES, Gazetteers
from stillroom.plugins.scrubbers.name_cues import FOREIGN_RUN, NAME_PART, PARTICLE_WORDS

Found = tuple[str, int, int, float]

LANGUAGES = frozenset("""arabic swahili hindi urdu bengali punjabi tamil telugu mandarin cantonese hebrew latin
    yoruba igbo hausa amharic zulu xhosa tagalog farsi persian pashto kurdish creole english french spanish
    portuguese german italian dutch russian greek""".split())
DEMONYM_SUFFIXES = ("ian", "ean", "an", "ese", "ish", "ine", "i")
# What a demonym's stem lacks of its place's name: Kenya-n, Nigeria-n, Belgi-um, Swed-en, Argent-ina.
NAME_ENDINGS = ("", "a", "ia", "e", "o", "y", "um", "ium", "en", "ina", "i", "ea", "land")
WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’-]*")
# The shorthand of chat and posts, never a person's name; matched with drawn-out letters cut to one ("lmaooo").
# Lower case only, and none a name part: "Tho", "JK" and "ASAP" open or end real names ("Le Duc Tho", "JK Rowling").
CHAT = frozenset("""lol lolz lmao lmfao rofl omg omfg smh tbh ngl idk idc imho btw fyi brb ttyl wtf irl ikr
    fomo yolo bday hbd thx pls plz rn lmk nvm ily istg fml xoxo haha hahaha hehe ugh""".split())
DRAWN_OUT = regex.compile(r"(\p{L})\1{2,}")
# "hahaha", "jajaja", "lolol"; not the names "Jaja" and "Lolo"
LAUGHTER = regex.compile(r"(?:h+a+){2,}h*|(?:h+e+){2,}h*|(?:j+a+){3,}j*|(?:l+o+){2,}l+")
CLOCK_TIME = regex.compile(r"(?i)\d{1,2}(?:[:.]\d\d)?[ \t]?[ap]\.?m\.?")
# "in 2012", "since 1998": a year, not a four-digit postcode ("NSW 2012", "in 8001 Zürich").
YEAR = regex.compile(r"(?:19|20)\d\d")
TIME_BEFORE = regex.compile(r"(?i)\b(?:in|since|until|till|by|from|before|after|during|of|to)[ \t]+$")
CAPITALISED_AFTER = regex.compile(r"[ \t]+\p{Lu}")
# "a fisherman", "the applicant": a lower-case word after a determiner is a noun, not a name.
DETERMINER_BEFORE = regex.compile(r"(?i)\b(?:a|an|the|this|that|these|those|every|each|his|her|their|our|my)[ \t]+$")
# "uncle femi", "ms adebayo": after a title or a family word, a lower-case word is a name however common it is.
TITLE_OR_KIN_BEFORE = regex.compile(r"(?i)\b(?:" + "|".join(sorted(TITLES | set("""
    uncle aunt auntie aunty cousin grandma grandpa granny nana gran brother sister bro sis mum mom mama dad papa
    father mother son daughter wife husband friend professor officer sergeant captain coach mayor president senator
    governor judge pastor reverend rev imam rabbi nurse doctor""".split()))) + r")\.?[ \t]+$")
# spaCy's English stop words, less those that are also given names in the US census lists ("will kowalczyk",
# "may chen" written in lower case stay names).
FUNCTION_WORDS = frozenset(STOP_WORDS) - {"an", "else", "in", "many", "may", "my", "see", "so", "will"}
LOWER_LATIN = regex.compile(r"[\p{Ll}&&\p{Script=Latin}][\p{Ll}\p{M}'’-]*", regex.V1)
LOWER_LATIN_TEXT = regex.compile(r"[\p{Ll}\p{M}\s'’-]+", regex.V1)
LATIN_LETTERS = regex.compile(r"[\p{L}&&\p{Script=Latin}]", regex.V1)
# Two or more set or game scores at a span's end ("21-17, 21-19", "6-3, 4-6, 7-5").
SCORES = regex.compile(r"(?:^|(?<=[ \t]))\d{1,2}[-–]\d{1,2}(?:,[ \t]*\d{1,2}[-–]\d{1,2})+$")
# An age at a span's end, and the clause that goes on after it ("Park Ji-hoon, 31, was arrested").
AGE = regex.compile(r",[ \t]+\d{1,3}$")
CLAUSE_AFTER = regex.compile(r",[ \t]+\p{Ll}")
# What every web address has and no name does ("://" holds a "/").
URL_MARK = regex.compile(r"[./@]|www", regex.IGNORECASE)
# Capitalised parts joined by hyphens ("Eze-Okafor", "D'Souza-Bello", "McAteer-Hill"), a possessive outside.
_PART = r"\p{Lu}[\p{Ll}\p{M}]*(?:['’]?\p{Lu}[\p{Ll}\p{M}]+)*"  # each repeat opens on a capital: linear
HYPHENATED_NAME = regex.compile(rf"(?<![\p{{L}}\p{{M}}'’-]){_PART}(?:-{_PART})+(?![\p{{L}}\p{{M}}-])")


# A business reference, not a person's: the number right after "order", "invoice", "tracking", "serial", "receipt",
# "ref", "transaction id" and the like ("Order 114-2290331-8812201", "your reference is CMP-2026-118402"). An
# account, customer, policy, member, claim or patient number identifies its holder and is not among them, nor is a
# reference named for its holder ("tax ref", "patient reference", "NHS ref").
HOLDER = r"(?:tax|taxpayer|patient|customer|client|member|account|policy|claim|nhs|ni|passport|licen[cs]e|" \
         r"national|student|employee|staff|case\ holder)"
REFERENCE_BEFORE = regex.compile(r"""(?ix)(?<!\b""" + HOLDER + r"""[ \t]+)\b(?:order|invoice|inv|tracking|serial|s/n|model|receipt|ref|reference|
    booking|confirmation|transaction|txn|ticket|case|rma|commande|pedido|bestellung|bestellnummer|factura|fattura|
    ordine|rechnung|rechnungsnummer)
    (?:[ \t]+(?:no|nr|n[ºo°]|number|num|id|code|ref|reference))?\.?(?:[ \t]+(?:is|was))?[ \t]*[:#]?[ \t]*$""")
REFERENCE_TYPES = frozenset({"NATIONAL_ID", "BANK_ACCOUNT", "POSTAL_CODE", "PHONE_NUMBER", "STREET_ADDRESS"})
TOKEN_EDGE = ".,;:!?)(\"'"


def clean(text: str, spans: list[Found], lists: Gazetteers) -> list[Found]:
    """``spans`` without the ones that are ordinary words, and PERSON spans trimmed of lower-case edge words;
    see the module's docstring."""
    out: list[Found] = []
    for span in spans:
        entity, start, end, score = span
        if entity == "STREET_ADDRESS" and (scores := SCORES.search(text, start, end)) is not None:
            player = text[start:scores.start()].split()
            if not player:
                continue
            if len(player) <= 4 and all(NAME_PART.fullmatch(w) for w in player):
                entity, span = "PERSON", ("PERSON", start, start + len(text[start:scores.start()].rstrip()), score)
                end = span[2]
        elif entity == "STREET_ADDRESS" and (age := AGE.search(text, start, end)) and CLAUSE_AFTER.match(text, end):
            person = text[start:age.start()].split()
            if 1 <= len(person) <= 4 and all(NAME_PART.fullmatch(w) for w in person):
                entity, span = "PERSON", ("PERSON", start, age.start(), score)
                end = age.start()
        if entity == "STREET_ADDRESS" and _foreign_name(text[start:end]):
            entity, span = "PERSON", ("PERSON", start, end, score)
        if entity in REFERENCE_TYPES and _a_reference(text, start, end, letters=entity == "PHONE_NUMBER"):
            continue
        if entity == "STREET_ADDRESS" and (_not_an_address(text[start:end])
                                           or CLOCK_TIME.fullmatch(text, start, end) is not None) \
                or entity == "POSTAL_CODE" and (_a_year(text, start, end)
                                                or not any(ch.isdigit() for ch in text[start:end])):
            continue
        if entity not in ("PERSON", "LOCATION"):
            out.append(span)
            continue
        words = list(WORD.finditer(text, start, end))
        if entity == "PERSON":
            words = _stripped(_trimmed(words), _chat)
        if not words:
            continue
        lowered = [w.group().lower().rstrip("'’") for w in words]
        if all(is_demonym(w, lists) for w in lowered if w not in PARTICLE_WORDS):
            continue
        if entity == "PERSON" and all(LOWER_LATIN.fullmatch(w.group()) for w in words) \
                and not any(w in lists.first_names or w in lists.common_given_names for w in lowered) \
                and (DETERMINER_BEFORE.search(text, max(0, start - 8), start)
                     or all(lower_case_more_often(w) for w in lowered)
                     and not TITLE_OR_KIN_BEFORE.search(text, max(0, start - 12), start)
                     or any(w in FUNCTION_WORDS and w not in PARTICLE_WORDS for w in lowered)
                     and not any(w in lists.surnames for w in lowered)):
            continue
        out.append((entity, words[0].start(), words[-1].end(), score) if entity == "PERSON" else span)
    return out


def hyphenated_names(text: str, spans: list[Found]) -> list[Found]:
    """``spans`` with each PERSON that takes in part of a hyphenated name widened to all of it, and each URL
    that has no dot, slash, "@" or "www" and lies inside a hyphenated name made a PERSON over that whole name;
    see the module's docstring.

    The model reads one part of a hyphenated name it does not know as the name ("The Eze-Okafor family left"
    gives a PERSON "Okafor") or the hyphen and second part as a web address ("Eze-Okafor named ..." gives a
    URL "-Okafor", score 0.56), and "Eze" would stay in the text. No web address is written without one of
    those marks, so such a guess is no URL; run before ``detect.combine``, so that a PERSON the model found
    beside it ("Ngozi Eze") is united with it.
    """
    names = [m.span() for m in HYPHENATED_NAME.finditer(text)]
    out: list[Found] = []
    for entity, start, end, score in spans:
        if entity == "URL" and not URL_MARK.search(text, start, end):
            name = next(((a, b) for a, b in names if a <= start and end <= b), None)
            if name is not None:
                entity, (start, end) = "PERSON", name
        if entity == "PERSON":
            for a, b in names:
                if a < end and start < b:
                    start, end = min(start, a), max(end, b)
        out.append((entity, start, end, score))
    return out


def is_demonym(word: str, lists: Gazetteers) -> bool:
    """Whether ``word`` (lower case) names a nationality, a people or a language rather than someone or
    somewhere."""
    if word in NATIONALITIES or word in LANGUAGES:
        return True
    if (word,) in lists.places or word in lists.first_names or word in lists.surnames:
        return False  # "Jordan"; "Albanese", "Irani": a demonym's shape is a surname too
    names = _large_place_names(lists)
    return any(word.endswith(suffix) and len(word) - len(suffix) >= 4
               and any(word[: -len(suffix)] + ending in names for ending in NAME_ENDINGS)
               for suffix in DEMONYM_SUFFIXES)


def _chat(word: regex.Match) -> bool:
    written = word.group()
    return written.islower() and (DRAWN_OUT.sub(r"\1", written) in CHAT or LAUGHTER.fullmatch(written) is not None)


def _a_reference(text: str, start: int, end: int, letters: bool) -> bool:
    """Whether the span lies inside one word with a digit that a reference's name stands before ("Order
    88340127", "tracking 1Z999AA10123456784"). A word of digits alone has fewer than nine of them: a longer one
    may be a phone number written without spaces ("Order 07700900123") and stays masked. With ``letters``, only a
    word that has a letter ("reference CMP-2026-118402"), which no phone number has. "+44 ..." never is one."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    word = text[start:end].strip(TOKEN_EDGE)
    digits, alpha = sum(ch.isdigit() for ch in word), any(ch.isalpha() for ch in word)
    return bool(word) and not word.startswith("+") and digits > 0 and (alpha or not letters and digits < 9) \
        and REFERENCE_BEFORE.search(text, max(0, start - 40), start) is not None


def _a_year(text: str, start: int, end: int) -> bool:
    return YEAR.fullmatch(text, start, end) is not None and TIME_BEFORE.search(text, max(0, start - 12), start) \
        is not None and not CAPITALISED_AFTER.match(text, end)


def _foreign_name(value: str) -> bool:
    """Words all in lower case or all capitalised: a kind of place before its name is in lower case ("хутір
    Могилів-Подільський", "ул. Ленина")."""
    words = value.split()
    return FOREIGN_RUN.fullmatch(value) is not None and len(words) > 1 \
        and len({word[0].isupper() for word in words}) == 1


def _not_an_address(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    if any(ch.isalpha() for ch in value):
        letters = [ch for ch in value if ch.isalpha()]
        return digits == 0 and LOWER_LATIN_TEXT.fullmatch(value) is not None \
            and all(LATIN_LETTERS.match(ch) for ch in letters)
    return digits < 3


def _trimmed(words: list) -> list:
    def lower(m) -> bool:
        return not m.group()[0].isupper() and m.group().lower() not in PARTICLE_WORDS

    if not any(m.group()[0].isupper() for m in words):
        return words
    return _stripped(words, lower)


def _stripped(words: list, edge) -> list:
    """``words`` without the ones at either end that ``edge`` takes."""
    while words and edge(words[0]):
        words = words[1:]
    while words and edge(words[-1]):
        words = words[:-1]
    return words


def _large_place_names(lists: Gazetteers) -> frozenset[str]:
    """One-word countries, US states and continents (the lists' highest prior); once per list."""
    names = _LARGE_PLACES.get(id(lists.places))
    if names is None:
        names = frozenset(key[0] for key, score in lists.places.items() if len(key) == 1 and score >= 0.7)
        _LARGE_PLACES[id(lists.places)] = names
    return names


_LARGE_PLACES: dict[int, frozenset[str]] = {}
