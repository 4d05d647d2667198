"""One process's Presidio engines, and the batched path through them.

``Detector`` builds the real ``AnalyzerEngine`` (explicit offline NLP engine,
explicit recognizer registry) and ``AnonymizerEngine``. ``detect`` runs a
batch: spaCy tokenises the texts in one ``nlp.pipe`` pass, each text is
analysed only for the entity types whose prefilter it passes, and overlapping
findings of different types are resolved to one span per stretch of text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from stillroom.plugins.scrubbers.nlp import OfflineSpacyNlpEngine
from stillroom.plugins.scrubbers.recognizers import PREFILTERS, build_recognizers

# A placeholder or pseudonym this scrubber wrote; never itself a finding.
REPLACEMENT = re.compile(r"<[A-Z][A-Z0-9_]*?(?:_[a-z]{10})?>")
NUMERIC = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"})

Found = tuple[str, int, int, float]  # entity type, start, end, score: picklable across processes


@dataclass(frozen=True)
class DetectorConfig:
    entities: tuple[str, ...] | None = None
    custom: tuple[Mapping[str, Any], ...] = ()
    spacy_model: str | None = None
    threshold: float = 0.5
    operator: str = "placeholder"
    secret: bytes = field(default=b"", repr=False)


class Detector:
    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.nlp = OfflineSpacyNlpEngine(config.spacy_model)
        self.nlp.load()
        recognizers, self.methods = build_recognizers(
            list(config.entities) if config.entities else None, list(config.custom), ner=self.nlp.has_ner
        )
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in recognizers:
            registry.add_recognizer(recognizer)
        if self.nlp.has_ner:
            registry.add_nlp_recognizer(nlp_engine=self.nlp)
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self.nlp, supported_languages=["en"],
            default_score_threshold=config.threshold,
        )
        self.anonymizer = AnonymizerEngine()
        self.entity_types = tuple(self.methods)
        self.operators = {entity: self._operator(entity) for entity in self.entity_types}

    def detect(self, texts: list[str]) -> list[list[Found]]:
        """Spans per text, non-overlapping and sorted by start."""
        out = []
        for text, artifacts in self.nlp.process_batch(texts, "en", batch_size=256):
            wanted = [e for e in self.entity_types if e not in PREFILTERS or PREFILTERS[e](text)]
            if not wanted or not text.strip():
                out.append([])
                continue
            results = self.analyzer.analyze(text, "en", entities=wanted, nlp_artifacts=artifacts)
            out.append(resolve([(r.entity_type, r.start, r.end, r.score) for r in results]))
        return out

    def replace(self, text: str, spans: list[Found]) -> str:
        if not spans:
            return text
        results = [RecognizerResult(entity, start, end, score) for entity, start, end, score in spans]
        return self.anonymizer.anonymize(text, results, operators=self.operators).text

    def _operator(self, entity: str) -> OperatorConfig:
        if self.config.operator == "placeholder":
            return OperatorConfig("replace", {"new_value": f"<{entity}>"})
        secret = self.config.secret
        return OperatorConfig("custom", {"lambda": lambda value: pseudonym(secret, entity, value)})


def resolve(found: list[Found]) -> list[Found]:
    """One span per stretch of text, in text order.

    A span inside a longer one gives way to it whatever the scores (the URL
    inside an e-mail address, the person inside "John Smith Ltd"); of spans
    that only partly overlap, the stronger wins.
    """
    outer = [s for s in found if not any(o[1] <= s[1] and s[2] <= o[2] and o[2] - o[1] > s[2] - s[1] for o in found)]
    kept: list[Found] = []
    for span in sorted(outer, key=lambda s: (-s[3], -(s[2] - s[1]), s[1])):
        if all(span[2] <= k[1] or span[1] >= k[2] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s[1])


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

