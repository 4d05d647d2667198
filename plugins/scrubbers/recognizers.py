"""The recognizers a Presidio scrubber runs, and what each entity type is covered by.

Pattern entities use Presidio's own recognizers, with two changes: e-mail
validation uses tldextract's bundled suffix snapshot instead of fetching the
public suffix list, and dates also match written-out months ("4 March 2021"),
which Presidio's date patterns do not. Custom recognizers come from the
policy: a regex with an optional checksum, or a deny list.

``PREFILTERS`` are cheap character tests that a text must pass for a
built-in recognizer to have any chance of matching (every e-mail pattern
needs an '@'); skipping recognizers that cannot match is where batching gains
most, and tests check that no text a prefilter rejects holds a finding.
``JOINABLE``, ``WORDWISE`` and ``PER_TEXT`` say how ``batch.BatchAnalyzer``
may run each recognizer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    DateRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from stillroom.errors import ConfigError
from stillroom.plugins.scrubbers import phones
from stillroom.plugins.scrubbers.name_cues import CueNameRecognizer
from stillroom.plugins.scrubbers.offline_ner import NameRecognizer, OrganizationRecognizer, PlaceRecognizer
from stillroom.plugins.scrubbers.phones import find_phones
from stillroom.plugins.scrubbers.precedence import PHONE_WORDS, phone_word_before
from stillroom.plugins.scrubbers.scan import budget, fail_closed, scan
from stillroom.plugins.scrubbers.unscannable import PatternTimeout

MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# Month names in Spanish, Portuguese, French, German, Italian and Dutch, each written out in full, for dates written
# day first: "14 de mayo de 1990", "3. Februar 1967", "8 novembre 1978", "1er janvier 1990", "14 mei 1990".
FOREIGN_MONTH = r"""(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre|
    janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|
    janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|
    januar|jänner|februar|märz|juni|juli|oktober|dezember|
    gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|
    januari|februari|maart|mei|augustus)""".replace("\n", "").replace(" ", "")
WRITTEN_DATES = [
    # one pattern for both (each pattern costs Presidio a pass of its own)
    Pattern("d Month yyyy", rf"\b{DAY}(?:\.|er|º)?(?: of| de)? (?:{MONTH}\.?,?|{FOREIGN_MONTH}(?: de)?) \d{{4}}\b",
            0.6),
    Pattern("Month d, yyyy", rf"\b{MONTH}\.? {DAY},? \d{{4}}\b", 0.6),
    Pattern("Month yyyy", rf"\b{MONTH} \d{{4}}\b", 0.5),
]


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        return _tld_extract()(pattern_text).fqdn != ""


class HandleRecognizer(PatternRecognizer):
    """An account's @handle in a post or a chat ("@kofi_tweets", "RT @CityAlerts:", "@ana.silva"): USERNAME.

    A handle names its account's owner as surely as their name does, and the NER model reads it as an e-mail
    address or a person, or not at all. An e-mail address's "@" has its local part before it, so no address is
    a handle; the handle ends on a letter, digit or "_", never on a sentence's full stop, and holds a letter or "_".
    """

    # Not after a word character, "@", "+" or "-" (an e-mail address, "@@"), nor after a word and a dot; a reply's
    # ".@name" is a handle. At least one letter or "_", and no time of day: "rate @5%", "@4.50", "@10am" are none.
    PATTERN = Pattern("@handle", r"(?<![\w@+-])(?<!\w\.)@(?!\d{1,2}(?:[:.]\d\d)?[ap]m\b)(?=[\w.]*[^\W\d])"
                                 r"\w(?:[\w.]*\w)?(?![\w@])", 0.6)

    def __init__(self) -> None:
        super().__init__(supported_entity="USERNAME", name="HandleRecognizer", patterns=[self.PATTERN])


class WrittenDateRecognizer(DateRecognizer):
    PATTERNS = DateRecognizer.PATTERNS + WRITTEN_DATES


class CardRecognizer(CreditCardRecognizer):
    # Mastercard's 2221-2720 range (issued since 2017) is missing from Presidio's pattern.
    PATTERNS = CreditCardRecognizer.PATTERNS + [
        Pattern("Mastercard 2-series", r"\b2(?:2[2-9]\d|[3-6]\d\d|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b", 0.3),
    ]


class FailClosedIbanRecognizer(IbanRecognizer):
    """Presidio's IBAN recognizer, raising ``PatternTimeout`` where Presidio's would log a
    timeout and skip the rest of the pattern (its loop calls ``regex.finditer`` itself,
    so ``scan.fail_closed`` cannot reach it); ``scan.scan`` does what its loop does."""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results, complete_before, timed_out = scan(self, text)
        if complete_before is not None:
            assert timed_out is not None  # scan names the pattern whenever it stopped short
            raise PatternTimeout(self.name, timed_out, budget())
        return results


class ConfidentPhoneRecognizer(PhoneRecognizer):
    # libphonenumber's "possible number" match is real evidence; Presidio's 0.4
    # would need a context word to pass a 0.5 threshold, and most phone numbers
    # in free text come without one.
    SCORE = 0.6
    SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")

    def analyze(self, text, entities, nlp_artifacts=None):
        return self._not_ssn(text, super().analyze(text, entities, nlp_artifacts))

    def analyze_shared(self, text, verdicts=None):
        """What ``analyze`` returns, with libphonenumber's work shared across regions (see ``phones.py``).

        ``verdicts``: a ``phones.Verdicts`` shared by the texts of one batch. Presidio's own ``analyze``
        where this phonenumbers failed the import-time self-check (``phones.SHARED``).
        """
        if not phones.SHARED:
            return self.analyze(text, self.supported_entities)
        return self._not_ssn(text, find_phones(self, text, verdicts))

    def _not_ssn(self, text, results):
        # 3-2-4 digit groups are the US SSN layout, never a phone layout.
        return [r for r in results if not self.SSN_SHAPE.fullmatch(text[r.start : r.end])]


class ContextPhoneRecognizer(ConfidentPhoneRecognizer):
    """National formats of the regions not in ``phone_regions``, kept only with a phone word at most
    three words before the number ("tel", "mobile", "call me on"; ``precedence.phone_word_before``,
    whole words: Presidio's context matching takes "call" inside "Calle")."""

    def __init__(self, regions: list[str]) -> None:
        super().__init__(supported_regions=regions, name="ContextPhoneRecognizer")

    WINDOW = 80  # characters after a phone word's start that a number it introduces can reach

    def analyze(self, text, entities, nlp_artifacts=None):
        near = self._near_phone_words(text)
        return super().analyze(near, entities, nlp_artifacts) if near else []

    def analyze_shared(self, text, verdicts=None):
        near = self._near_phone_words(text)
        return super().analyze_shared(near, verdicts) if near else []

    def _near_phone_words(self, text: str) -> str:
        """``text`` with all but the stretch after each phone word blanked (offsets kept); "" with no phone word.

        Parsing for some fifty regions is the costly part; only numbers a phone word introduces can count.
        """
        keep = [(m.start(), min(len(text), m.start() + self.WINDOW)) for m in PHONE_WORDS.finditer(text)]
        if not keep:
            return ""
        parts: list[str] = []
        last = 0
        for start, end in keep:
            start = max(start, last)
            parts += (" " * (start - last), text[start:end])
            last = max(last, end)
        return "".join(parts) + " " * (len(text) - last)

    def _not_ssn(self, text, results):
        return [r for r in super()._not_ssn(text, results) if phone_word_before(text, r.start)]


class PhonePatternRecognizer(PatternRecognizer):
    """Layouts libphonenumber leaves out: North American numbers with an
    extension or a 001 prefix, and UK numbers written +44 (0)."""

    PATTERNS = [
        Pattern("NANP", r"(?<![\w+])(?:\+1[-. ]?|001[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,6})?\b", 0.6),
        Pattern("UK", r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}\b", 0.6),
    ]

    def __init__(self) -> None:
        super().__init__("PHONE_NUMBER", name="PhonePatternRecognizer", patterns=self.PATTERNS,
                         context=PhoneRecognizer.CONTEXT)


class AddressPatternRecognizer(PatternRecognizer):
    """Post-office boxes and postal codes whose layout alone is strong evidence (UK, Canada, the
    Netherlands, Poland, Brazil, Japan, US ZIP+4); other postal codes come from the NER model inside addresses."""

    PATTERNS = [
        Pattern("PO box", r"(?i)\b(?:p\.?\s?o\.?\s?box|post\s+office\s+box|postfach|apartado(?:\s+postal)?|"
                r"boîte\s+postale|bp|caixa\s+postal|casilla)\s*(?:no\.?\s*)?\d{1,6}\b", 0.85),
        Pattern("UK postcode", r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", 0.6),
        Pattern("Canadian postal code", r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b", 0.6),
        Pattern("Dutch postcode", r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b(?= [A-Z][a-z])", 0.6),
        Pattern("US ZIP+4 / PL / BR / JP codes", r"\b(?:\d{5}-\d{4}|\d{2}-\d{3}|\d{5}-\d{3}|\d{3}-\d{4})\b(?= [A-ZÀ-Ý][a-zà-ÿ])", 0.55),
    ]
    ENTITY = {"PO box": "STREET_ADDRESS"}

    def __init__(self) -> None:
        super().__init__("POSTAL_CODE", name="AddressPatternRecognizer", patterns=self.PATTERNS,
                         context=["address", "postcode", "zip", "postal", "box", "mail", "send", "ship"],
                         global_regex_flags=re.MULTILINE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, ["POSTAL_CODE"], nlp_artifacts, regex_flags)
        for result in results:
            name = (result.analysis_explanation.pattern_name if result.analysis_explanation else "") or ""
            result.entity_type = self.ENTITY.get(name, "POSTAL_CODE")
        return results


class CardShapedNumberRecognizer(PatternRecognizer):
    """Card-length digit groups that fail the Luhn check ("The card is 4183 3919 1477 9066 975"):
    a mistyped or partial card number is still one. Weak alone; a context word (card, account)
    lifts it over the threshold. Accurate profile only."""

    PATTERNS = [Pattern("card-shaped digits", r"(?<![\w+])\d{4}(?:[ -]\d{3,4}){2,3}(?:[ -]\d{1,4})?(?![\w])", 0.3)]

    def __init__(self) -> None:
        super().__init__("CREDIT_CARD", name="CardShapedNumberRecognizer", patterns=self.PATTERNS,
                         context=["card", "account", "debit", "credit", "visa", "mastercard", "amex", "number"])


class StrongNameRecognizer(NameRecognizer):
    """The name gazetteer's strongest evidence only (a listed given name with a listed surname, or a
    title before a capitalised name: score 0.85), beside the NER model in the accurate profile."""

    STRONG = 0.85

    def spans(self, doc):
        return [span for span in super().spans(doc) if span[2] >= self.STRONG]


# National identifiers a policy can name in ``entities``: Presidio's recognizers, checksums where they have one.
NATIONAL_IDS: dict[str, str] = {
    "UK_NHS": "NhsRecognizer", "UK_NINO": "UkNinoRecognizer", "ES_NIF": "EsNifRecognizer",
    "ES_NIE": "EsNieRecognizer", "IT_FISCAL_CODE": "ItFiscalCodeRecognizer", "IN_PAN": "InPanRecognizer",
    "IN_AADHAAR": "InAadhaarRecognizer", "SG_NRIC_FIN": "SgFinRecognizer", "AU_TFN": "AuTfnRecognizer",
    "PL_PESEL": "PlPeselRecognizer", "FI_PERSONAL_IDENTITY_CODE": "FiPersonalIdentityCodeRecognizer",
    "KR_RRN": "KrRrnRecognizer", "SE_PERSONNUMMER": "SePersonnummerRecognizer", "CA_SIN": "CaSinRecognizer",
    "TR_NATIONAL_ID": "TrNationalIdRecognizer", "TH_TNIN": "ThTninRecognizer", "ZA_ID_NUMBER": "ZaIdNumberRecognizer",
    "DE_TAX_ID": "DeTaxIdRecognizer", "US_PASSPORT": "UsPassportRecognizer", "US_DRIVER_LICENSE": "UsLicenseRecognizer",
    "US_ITIN": "UsItinRecognizer", "UK_PASSPORT": "UkPassportRecognizer",
}


def national_id_recognizer(entity: str) -> EntityRecognizer:
    """Presidio's recognizer for a national identifier, run on English-language records."""
    import presidio_analyzer.predefined_recognizers as predefined

    cls = getattr(predefined, NATIONAL_IDS[entity])
    recognizer = cls(supported_language="en")
    if recognizer.supported_entities != [entity]:
        raise ConfigError(f"scrubber presidio: Presidio's {cls.__name__} reports {recognizer.supported_entities}, "
                          f"not {entity}; this Presidio version is not the one Stillroom was tested with")
    PER_TEXT_NATIONAL.add(type(recognizer))
    return recognizer


PER_TEXT_NATIONAL: set[type[EntityRecognizer]] = set()


@cache
def _tld_extract():
    import tldextract

    # No suffix-list URLs and no cache directory: the bundled snapshot, no network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


BUILTIN: dict[str, tuple[type[EntityRecognizer], str]] = {
    "EMAIL_ADDRESS": (OfflineEmailRecognizer, "pattern+tld"),
    "PHONE_NUMBER": (ConfidentPhoneRecognizer, "phonenumbers+pattern"),
    "CREDIT_CARD": (CardRecognizer, "pattern+luhn"),
    "IBAN_CODE": (FailClosedIbanRecognizer, "pattern+mod97"),
    "IP_ADDRESS": (IpRecognizer, "pattern"),
    "US_SSN": (UsSsnRecognizer, "pattern"),
    "DATE_TIME": (WrittenDateRecognizer, "pattern"),
    "URL": (UrlRecognizer, "pattern"),
    "USERNAME": (HandleRecognizer, "pattern"),
    "PERSON": (NameRecognizer, "gazetteer"),
    "LOCATION": (PlaceRecognizer, "gazetteer"),
    "ORGANIZATION": (OrganizationRecognizer, "pattern+gazetteer"),
}
NER_ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION")
# Regions whose national phone formats count alone (the scrubber's ``phone_regions`` option; Presidio's
# default). Every other region of ``CONTEXT_PHONE_REGIONS`` is tried too, but a number that parses only
# there needs a phone word beside it: libphonenumber accepts most digit runs of some length for one
# region or another, and without that word postal codes, IDs and amounts would read as phones.
PHONE_REGIONS = PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS
CONTEXT_PHONE_REGIONS = tuple("""MX AR CL CO PE IE AT CH BE NL LU ES PT IT PL CZ SK HU RO BG GR HR SI SE NO DK FI IS
    EE LV LT TR RU UA AE SA EG NG KE ZA PK BD CN HK TW JP KR SG MY TH VN ID PH AU NZ""".split())
# Recognizers that back up a built-in one for the same entity type.
SUPPLEMENTS: dict[str, type[EntityRecognizer]] = {"PHONE_NUMBER": PhonePatternRecognizer}


# Every IPv4 pattern has a digit, a dot and a digit; every IPv6 pattern a colon.
IP_SHAPE = re.compile(r"\d\.\d|:")
# Every URL pattern needs "." right before a top-level domain, and every domain in
# Presidio's list starts with an ASCII letter, which under any case folding matches
# only letters: a word character that is neither a digit nor "_". Amounts and dates
# ("1,234.56", "12.03.1990") have no such dot.
DOMAIN_DOT = re.compile(r"\.[^\W\d_]")


def _digits(n: int) -> Callable[[str], bool]:
    at_least = re.compile(rf"\d(?:\D*\d){{{n - 1}}}")
    return lambda text: at_least.search(text) is not None


PREFILTERS: dict[str, Callable[[str], bool]] = {
    "EMAIL_ADDRESS": lambda text: "@" in text,
    "PHONE_NUMBER": _digits(5),
    "CREDIT_CARD": _digits(13),
    "IBAN_CODE": _digits(2),
    "IP_ADDRESS": lambda text: IP_SHAPE.search(text) is not None,
    "US_SSN": _digits(9),
    "DATE_TIME": _digits(1),
    "URL": lambda text: DOMAIN_DOT.search(text) is not None,
    "USERNAME": lambda text: "@" in text,
    "PERSON": lambda text: not text.islower(),
    "LOCATION": lambda text: not text.islower(),
    "ORGANIZATION": lambda text: not text.islower(),
}


def _luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return bool(digits) and total % 10 == 0


def _mod97(value: str) -> bool:
    """ISO 7064 MOD 97-10, as IBANs use: the first four characters move to the end."""
    text = "".join(c for c in value if c.isalnum()).upper()
    if len(text) < 5:
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


CHECKSUMS: dict[str, Callable[[str], bool]] = {"luhn": _luhn, "mod97": _mod97}


class _ValidatedPatternRecognizer(PatternRecognizer):
    checksum: Callable[[str], bool] | None = None

    def validate_result(self, pattern_text: str) -> bool | None:
        # None leaves the score as it is; False drops the match.
        return None if self.checksum is None else self.checksum(pattern_text)


# The recognizers PREFILTERS were written for: a custom recognizer may declare
# a built-in entity type and match anything, so no prefilter applies to it.
PREFILTERED: frozenset[type[EntityRecognizer]] = frozenset(
    {cls for cls, _ in BUILTIN.values()} | set(SUPPLEMENTS.values()) | {ContextPhoneRecognizer}
)
# Pattern recognizers whose regexes find in each record what they find in it
# alone when records are joined with batch.SEPARATOR: no \A, \Z or positive
# lookaround, and none can match across a newline and the separator's letters.
# test_scrub_batch.py checks the patterns for these constructs and runs
# adversarial joins; a recognizer belongs here only with those tests passing.
JOINABLE: frozenset[type[EntityRecognizer]] = frozenset({
    OfflineEmailRecognizer, CardRecognizer, FailClosedIbanRecognizer, IpRecognizer, UsSsnRecognizer,
    WrittenDateRecognizer, UrlRecognizer, PhonePatternRecognizer,
})
# Joinable recognizers whose matches never hold a space or line break and whose
# patterns have no lookaround, anchor or \b: they need to see only the words
# (runs of characters between ASCII white space) that pass their prefilter.
# The URL patterns scan every position of a text, so this is most of their cost.
WORDWISE: frozenset[type[EntityRecognizer]] = frozenset({UrlRecognizer})
# Recognizers that read only the text (never the NLP artifacts) but run per record.
PER_TEXT: frozenset[type[EntityRecognizer]] = frozenset({ConfidentPhoneRecognizer, ContextPhoneRecognizer,
                                                        HandleRecognizer, _ValidatedPatternRecognizer,
                                                        AddressPatternRecognizer, CardShapedNumberRecognizer,
                                                        CueNameRecognizer})


def build_recognizers(
    entities: list[str] | None, custom: list[Mapping[str, Any]], *, ner: bool,
    model: str | None = None, model_entities: tuple[str, ...] = (), phone_regions: tuple[str, ...] = PHONE_REGIONS,
) -> tuple[list[EntityRecognizer], dict[str, str]]:
    """The recognizers to register and, per entity type, the method that covers it.

    Every one fails closed (see ``scan.py``): a regex that runs out of its time
    budget on a text raises ``PatternTimeout`` rather than leave the rest unscanned.

    ``ner`` says the NLP engine has a named-entity model: its entities then
    come from spaCy as well as from the gazetteers. ``model`` names the token
    classifier of the accurate profile (see ``model_ner.py``), which finds
    ``model_entities``: for those the method is the model's, with the patterns,
    checksums and gazetteers that also cover them; the address patterns (PO
    boxes, postal codes) and the national phone formats of ``CONTEXT_PHONE_REGIONS`` then run too.
    ``phone_regions``: the regions whose national phone formats count without a phone word beside them.
    """
    wanted = set(entities) if entities else None
    recognizers: list[EntityRecognizer] = []
    methods: dict[str, str] = {}
    for entity, (cls, method) in BUILTIN.items():
        if wanted is None or entity in wanted:
            recognizers.append(cls(supported_regions=list(phone_regions)) if cls is ConfidentPhoneRecognizer else cls())  # type: ignore[call-arg]  # each class defaults what the base requires
            if entity == "PHONE_NUMBER" and model is not None:  # the fast profile keeps to phone_regions: speed first
                recognizers.append(ContextPhoneRecognizer(
                    [region for region in CONTEXT_PHONE_REGIONS if region not in phone_regions]))
            if entity in SUPPLEMENTS:
                recognizers.append(SUPPLEMENTS[entity]())  # type: ignore[call-arg]  # as above
            methods[entity] = f"ner+{method}" if ner and entity in NER_ENTITIES else method
    if model is not None:
        if wanted is None or "CREDIT_CARD" in wanted:
            recognizers.append(CardShapedNumberRecognizer())
            methods["CREDIT_CARD"] += "+card-shaped digits with context"
        if wanted is None or "PERSON" in wanted:
            recognizers += [StrongNameRecognizer(), CueNameRecognizer()]
        for entity in model_entities:
            if wanted is None or entity in wanted:
                methods[entity] = f"model:{model}" + (f"+{methods[entity]}" if entity in methods else "")
        if wanted is None or wanted & {"POSTAL_CODE", "STREET_ADDRESS"}:
            recognizers.append(AddressPatternRecognizer())
            for entity in ("POSTAL_CODE", "STREET_ADDRESS"):
                if wanted is None or entity in wanted:
                    methods[entity] = methods.get(entity, "") + ("+" if entity in methods else "") + "pattern"
    for entity in sorted((wanted or set()) & set(NATIONAL_IDS)):
        recognizers.append(national_id_recognizer(entity))
        methods[entity] = "pattern+checksum"
    for index, spec in enumerate(custom):
        recognizer, method = _custom(index, spec)
        recognizers.append(recognizer)
        methods[recognizer.supported_entities[0]] = method
    if wanted:
        unknown = sorted(wanted - set(methods))
        if unknown:
            raise ConfigError(
                f"scrubber presidio: no recognizer for entity type {unknown[0]!r}; "
                f"built in are {', '.join(BUILTIN)}, others need a custom recognizer"
            )
    return [fail_closed(recognizer) for recognizer in recognizers], methods


def _custom(index: int, spec: Mapping[str, Any]) -> tuple[EntityRecognizer, str]:
    where = f"scrubber presidio: custom_recognizers[{index}]"
    entity = spec.get("entity")
    if not entity or not str(entity).isupper():
        raise ConfigError(f"{where}: 'entity' must be an upper-case entity type such as ACCOUNT_NUMBER")
    regex, deny_list, validation = spec.get("regex"), spec.get("deny_list"), spec.get("validation")
    if not regex and not deny_list:
        raise ConfigError(f"{where}: give a 'regex' or a 'deny_list'")
    if validation is not None and validation not in CHECKSUMS:
        raise ConfigError(f"{where}: 'validation' must be one of {', '.join(CHECKSUMS)}, got {validation!r}")
    patterns = [Pattern(f"{entity} regex", regex, float(spec.get("score", 0.6)))] if regex else None
    try:
        recognizer = _ValidatedPatternRecognizer(
            supported_entity=entity,
            name=spec.get("name") or f"custom_{entity.lower()}",
            patterns=patterns,
            deny_list=list(deny_list or []) or None,
            context=list(spec.get("context") or []) or None,
        )
    except Exception as exc:  # re.error and Presidio's ValueError both mean a bad spec
        raise ConfigError(f"{where}: {exc}") from None
    recognizer.checksum = CHECKSUMS[validation] if validation is not None else None
    method = " + ".join(m for m in ("pattern" if regex else "", f"checksum:{validation}" if validation else "",
                                     "deny_list" if deny_list else "") if m)
    return recognizer, method
