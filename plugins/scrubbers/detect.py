"""One process's Presidio engines, and the batched path through them.

``Detector`` builds the real ``AnalyzerEngine`` (explicit offline NLP engine,
explicit recognizer registry). ``detect`` runs a batch through
``BatchAnalyzer`` (see ``batch.py``), which gives each text what the engine
gives it, and resolves overlapping findings of different types to one span
per stretch of text. ``replace`` writes placeholders or pseudonyms straight
into the text, as ``AnonymizerEngine`` would for such spans (a test compares
the two).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult

from stillroom.plugins.scrubbers import lower_case, name_cues, ordinary_words, organisations, places, precedence
from stillroom.plugins.scrubbers.batch import BatchAnalyzer, unscannable
from stillroom.plugins.scrubbers.gazetteer import gazetteers
from stillroom.plugins.scrubbers.model_ner import BUILTIN_MODEL, ModelSpec, TokenModel
from stillroom.plugins.scrubbers.name_cues import PARTICLES
from stillroom.plugins.scrubbers.nlp import OfflineSpacyNlpEngine
from stillroom.plugins.scrubbers.offline_ner import TokenRecognizer
from stillroom.plugins.scrubbers.recognizers import PHONE_REGIONS, StrongNameRecognizer, build_recognizers

# A placeholder or pseudonym this scrubber wrote; never itself a finding.
REPLACEMENT = re.compile(r"<[A-Z][A-Z0-9_]*?(?:_[a-z]{10})?>")
NUMERIC = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"})
# AnonymizerEngine merges two findings of one type with only spaces between
# them ("Mary" "Jones") into one; this is its test, "$" and all.
SPACES_BETWEEN = re.compile(r"^( )+$")

Found = tuple[str, int, int, float]  # entity type, start, end, score: picklable across processes
ADDRESS_PARTS = frozenset({"STREET_ADDRESS", "POSTAL_CODE", "LOCATION"})
ADDRESS_GAP = re.compile(r"[\s,]*")
# An address has a local part before its @; a handle ("@name", a public reply's ".@name") has none.
AT_INSIDE = re.compile(r"(?:[^@.]|[^@]\.)@")
# A word as an address runs: no spaces, no quotes or brackets around it, no sentence punctuation after it.
ADDRESS_WORD = re.compile(r"[^\s\"'()<>\[\]{},;]+?(?=[.!?:]*(?:[\s\"'()<>\[\]{},;]|$))")


PROFILES = ("accurate", "fast")
# What each profile's detector is, in the words reports use.
DESCRIPTIONS = {
    "accurate": "accurate profile: NER model {model} + Presidio patterns, checksums and context",
    "fast": "fast profile (bulk pre-filtering): gazetteers + Presidio patterns, checksums and context, no NER model",
}
# The types the token classifier finds; the gazetteers cover these in the fast profile only.
MODEL_ENTITIES = ("PERSON", "LOCATION", "STREET_ADDRESS", "POSTAL_CODE", "NATIONAL_ID", "BANK_ACCOUNT")
# The model has no organisations, and finds places inside addresses only: the place
# gazetteer (countries, regions, cities) stays, so a place alone is found as before.
GAZETTEER_IN_ACCURATE = ("ORGANIZATION", "LOCATION")


@dataclass(frozen=True)
class DetectorConfig:
    """``profile``: accurate (NER model + patterns) or fast (gazetteers + patterns);
    ``model_path``/``model_kind``: an organisation's own NER model (None: the packaged one)."""

    profile: str = "accurate"
    model_path: str | None = None
    model_kind: str = "onnx"
    entities: tuple[str, ...] | None = None
    custom: tuple[Mapping[str, Any], ...] = ()
    spacy_model: str | None = None
    phone_regions: tuple[str, ...] = PHONE_REGIONS
    threshold: float = 0.5
    operator: str = "placeholder"
    secret: bytes = field(default=b"", repr=False)


class Detector:
    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.nlp = OfflineSpacyNlpEngine(config.spacy_model)
        self.nlp.load()
        self.model: TokenModel | None = None
        model_name = None
        entities = list(config.entities) if config.entities else None
        if config.profile == "accurate":
            spec = ModelSpec(config.model_path, config.model_kind)
            self.model = TokenModel(spec)
            model_name = BUILTIN_MODEL if config.model_path is None else f"{config.model_kind}:{config.model_path}"
        recognizers, self.methods = build_recognizers(
            entities, list(config.custom), ner=self.nlp.has_ner, model=model_name, model_entities=MODEL_ENTITIES,
            phone_regions=config.phone_regions,
        )
        if self.model is not None:
            # The model replaces the name gazetteer: that is the residual scan's (independent) detector.
            recognizers = [r for r in recognizers if type(r) is StrongNameRecognizer
                           or not (isinstance(r, TokenRecognizer) and r.ENTITY not in GAZETTEER_IN_ACCURATE)]
            self.methods = {entity: method.replace("+gazetteer", "") if entity not in GAZETTEER_IN_ACCURATE else method
                            for entity, method in self.methods.items()}
            if "PERSON" in self.methods:
                self.methods["PERSON"] += "+strong gazetteer names+name cues+lower-case names"
            if "LOCATION" in self.methods:
                self.methods["LOCATION"] += "+lower-case places"
        self.wanted = frozenset(self.methods)
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in recognizers:
            registry.add_recognizer(recognizer)
        if self.nlp.has_ner:
            registry.add_nlp_recognizer(nlp_engine=self.nlp)
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self.nlp, supported_languages=["en"],
            default_score_threshold=config.threshold,
        )
        self.entity_types = tuple(self.methods)
        # None when a recognizer (a spaCy NER model's) needs the engine per record.
        self.batch = BatchAnalyzer(self.analyzer, self.nlp) if BatchAnalyzer.supports(self.analyzer) else None

    def detect(self, texts: list[str]) -> list[list[Found]]:
        """Spans per text, non-overlapping and sorted by start; a validated pattern span wins
        the text it covers from any other type's (``precedence.py``).

        Raises ``UnscannableText`` for a text a recognizer's regex could not scan in its time budget.
        """
        if self.batch is not None:
            found = self.batch.analyze(texts)
        else:
            found = []
            for index, (text, artifacts) in enumerate(self.nlp.process_batch(texts, "en", batch_size=256)):  # type: ignore[misc]  # pairs: as_tuples is off
                with unscannable(index):  # the recognizers fail closed: no text comes back half scanned
                    found.append(self.analyzer.analyze(text, "en", nlp_artifacts=artifacts) if text.strip() else [])
        validated: list[list[Found]] = [[] for _ in texts]
        guesses: list[list[Found]] = [[] for _ in texts]
        for k, results in enumerate(found):
            for r in results:
                name = (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY)
                (validated if name in precedence.VALIDATING else guesses)[k].append(
                    (r.entity_type, r.start, r.end, r.score))
        lists = gazetteers() if "LOCATION" in self.wanted else None
        if self.model is not None:
            for k, (text, model_spans) in enumerate(zip(texts, self.model.find(texts))):
                model_spans = ordinary_words.hyphenated_names(text, model_spans)
                if lists is not None:  # the model reads many places in prose as names (places.py)
                    model_spans, guesses[k] = places.people_who_are_places(text, model_spans, guesses[k], lists)
                guesses[k].extend(s for s in model_spans if s[0] in self.wanted and s[3] >= self.config.threshold)
        spans = [precedence.apply(text, v, g) for text, v, g in zip(texts, validated, guesses)]
        if lists is not None:
            spans = [places.tidy_places(text, text_spans, lists) for text, text_spans in zip(texts, spans)]
        if self.model is not None:
            names = lists if lists is not None else gazetteers()
            # The model sees few names and places in lower case ("paris hilton in lagos"): names first (lower_case.py).
            if "PERSON" in self.wanted:
                spans = [lower_case.lower_case_names(text, text_spans, names) for text, text_spans in zip(texts, spans)]
            if lists is not None:
                spans = [lower_case.lower_case_places(text, text_spans, lists) for text, text_spans in zip(texts, spans)]
            # The model has no organisation label and reads some prose words as names: the words around each
            # span settle it, after the spans are one per stretch of text (organisations.py, ordinary_words.py).
            organisations_wanted = "ORGANIZATION" in self.wanted
            spans = [organisations.settle(text, ordinary_words.clean(text, combine(text, text_spans), names), names,
                                          organisations_wanted)
                     for text, text_spans in zip(texts, spans)]
            if "PERSON" in self.wanted:  # names in a sentence's first words, which the model misses most
                spans = [name_cues.repeated_names(text, name_cues.coordinated_names(
                    text, name_cues.opening_names(text, text_spans, names), names), names)
                    for text, text_spans in zip(texts, spans)]
        else:
            spans = [resolve(text, text_spans) for text, text_spans in zip(texts, spans)]
        return [whole_addresses(text, text_spans) for text, text_spans in zip(texts, spans)]

    def replace(self, text: str, spans: list[Found]) -> str:
        """The text with each span replaced, as ``AnonymizerEngine.anonymize`` writes it for these spans."""
        return replace(text, spans, self.config.operator, self.config.secret)


def replace(text: str, spans: list[Found], operator: str, secret: bytes) -> str:
    """``text`` with each span (non-overlapping, in text order) replaced by ``<TYPE>`` (``operator``
    placeholder) or its keyed pseudonym (``pseudonym``); spans of one type with only spaces between
    them become one, as ``AnonymizerEngine`` merges them."""
    merged: list[list] = []
    for entity, start, end, _ in spans:
        if merged and merged[-1][0] == entity and SPACES_BETWEEN.search(text[merged[-1][2] : start]):
            merged[-1][2] = end
        else:
            merged.append([entity, start, end])
    parts: list[str] = []
    last = 0
    for entity, start, end in merged:
        value = f"<{entity}>" if operator == "placeholder" else pseudonym(secret, entity, text[start:end])
        parts += (text[last:start], value)
        last = end
    return "".join(parts) + text[last:]


def resolve(text: str, found: list[Found]) -> list[Found]:
    """One span per stretch of text, in text order.

    A span inside a longer one gives way to it whatever the scores (the URL
    inside an e-mail address, the person inside "John Smith Ltd"); of spans
    that only partly overlap, the stronger wins the text they share, and the
    weaker keeps what lies outside it (a name that overlaps an address's first
    word leaves the rest of the address masked: "Park Ji-won" and "-won
    301-1204" give a PERSON and the STREET_ADDRESS "301-1204"). Fails closed:
    no text any detector found is left unmasked because another found more.
    """
    outer = [s for s in found if not any(o[1] <= s[1] and s[2] <= o[2] and o[2] - o[1] > s[2] - s[1] for o in found)]
    kept: list[Found] = []
    for span in sorted(outer, key=lambda s: (-s[3], -(s[2] - s[1]), s[1])):
        blocking = sorted((k[1], k[2]) for k in kept if k[1] < span[2] and span[1] < k[2])
        kept.extend(precedence.remainders(text, span, blocking) if blocking else [span])
    return sorted(kept, key=lambda s: s[1])


def whole_addresses(text: str, found: list[Found]) -> list[Found]:
    """Spans where a word holding an ``@`` that any span touches is masked whole, as one EMAIL_ADDRESS.

    Fails closed: a malformed or run-together address ("maria.lopez@bankmail.commaria.lopez@...") fails the
    e-mail pattern's domain check, and the pieces other detectors cover would leave the rest of it in the
    text ("<PERSON><EMAIL_ADDRESS>lopez@bankmail"). A word whose ``@`` has nothing before it (a handle,
    "@helpdesk") is no address and is left as the detectors found it, and so is one no span touches.
    """
    if "@" not in text:
        return found
    for word in ADDRESS_WORD.finditer(text):
        if not AT_INSIDE.search(word.group()):
            continue
        start, end = word.span()
        touched = [s for s in found if s[1] < end and s[2] > start]
        if not touched or any(s[1] <= start and end <= s[2] for s in touched):
            continue
        start, end = min(start, *(s[1] for s in touched)), max(end, *(s[2] for s in touched))
        found = sorted([s for s in found if s not in touched] + [("EMAIL_ADDRESS", start, end,
                                                                   max(s[3] for s in touched))],
                       key=lambda s: s[1])
    return found


def combine(text: str, found: list[Found]) -> list[Found]:
    """The accurate profile's spans: the model's and the recognizers' together, one per stretch of text.

    Before ``resolve``, spans of one type that overlap become one (the model's
    "Box 4471, Dublin 2" and the PO-box pattern's "PO Box 4471"); after it, an
    address's parts that follow one another with only spaces, commas or line
    breaks between them become one STREET_ADDRESS, and two parts of a name with
    a surname particle between them ("Siobhán" "Ní" "Bhriain") one PERSON.
    """
    by_start = sorted(found, key=lambda s: (s[0], s[1]))
    united: list[list] = []
    for entity, start, end, score in by_start:
        last = united[-1] if united else None
        if last is not None and last[0] == entity and start < last[2]:
            last[2], last[3] = max(last[2], end), max(last[3], score)
        else:
            united.append([entity, start, end, score])
    merged: list[list] = []
    for entity, start, end, score in resolve(text, [tuple(u) for u in united]):
        last = merged[-1] if merged else None
        gap = text[last[2]:start] if last is not None else ""
        if last is not None and {last[0], entity} <= ADDRESS_PARTS and "STREET_ADDRESS" in (last[0], entity) \
                and ADDRESS_GAP.fullmatch(gap):
            last[0], last[2], last[3] = "STREET_ADDRESS", end, max(last[3], score)
        elif last is not None and last[0] == entity == "PERSON" and gap.strip().lower() in PARTICLES \
                and gap[:1].isspace() and gap[-1:].isspace():
            last[2], last[3] = end, max(last[3], score)
        else:
            merged.append([entity, start, end, score])
    return [tuple(m) for m in merged]


def pseudonym(secret: bytes, entity: str, value: str) -> str:
    """``<PERSON_kqzmxvbtda>``: one value, one pseudonym per workspace key; irreversible without it.

    The value is normalised first (case, spacing, separators in numbers) so
    "4111 1111 1111 1111" and "4111-1111-1111-1111" are the same card. Letters
    only, so a pseudonym never looks like a number to a later scan.
    """
    normal = "".join(ch for ch in value if ch.isalnum()) if entity in NUMERIC else " ".join(value.split())
    digest = hmac.new(secret, f"{entity}\x00{normal.casefold()}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(10):
        number, index = divmod(number, 26)
        letters.append(chr(ord("a") + index))
    return f"<{entity}_{''.join(letters)}>"

