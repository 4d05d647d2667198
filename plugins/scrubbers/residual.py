"""The residual scan's detector: independent of the one that scrubbed, so it cannot only confirm itself.

Re-running the scrubbing detector over its own output finds nothing by
construction. The residual scan therefore uses a different method for each
profile:

- after the ``accurate`` profile (NER model + patterns): the name gazetteer
  (no model) and ``shapes``. Places and organisations are found by the same
  gazetteers in both (the model finds places only inside addresses), so for
  those two types this scan is not independent, and the report says so;
- after the ``fast`` profile (gazetteers + patterns): the NER model and ``shapes``.

Both also run the Presidio pattern recognizers again: they cannot find what
they replaced, but they keep the scan failing closed (a text a regex cannot
finish scanning stops it with ``UnscannableText``) and catch what another
field or operator left. ``shapes`` is the independent check for pattern
entities and needs no pattern recognizer: runs of nine or more digits (with
spaces, dots, dashes or slashes between them: card, phone, account and ID
numbers), anything shaped like an e-mail address, and dotted IPv4 quads.
"""

from __future__ import annotations

import re

from stillroom.plugins.scrubbers.detect import MODEL_ENTITIES, Detector, DetectorConfig, Found, resolve
from stillroom.plugins.scrubbers.model_ner import BUILTIN_MODEL, ModelSpec, TokenModel

# Entity types the pattern recognizers (not the gazetteers) cover.
PATTERN_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "DATE_TIME", "URL")

DIGIT_RUN = re.compile(r"(?<![\w.])\+?\d(?:[ .\-/]?\d){8,}(?!\w)")
EMAIL_SHAPE = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
IPV4_SHAPE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
SHAPES = (("NUMBER", DIGIT_RUN, 0.6), ("EMAIL_ADDRESS", EMAIL_SHAPE, 0.8), ("IP_ADDRESS", IPV4_SHAPE, 0.6))


def shapes(text: str) -> list[Found]:
    """Digit runs, e-mail shapes and IPv4 quads in ``text``: a scan that shares no code with the recognizers."""
    return [(entity, m.start(), m.end(), score) for entity, pattern, score in SHAPES for m in pattern.finditer(text)]


class ResidualDetector:
    """The detector a profile's residual scan runs; ``description`` names it in reports."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        common = {"custom": config.custom, "threshold": config.threshold, "spacy_model": config.spacy_model}
        if config.profile == "accurate":
            # The fast profile's detector: the name gazetteer where the scrub used the model.
            wanted = tuple(e for e in (config.entities or (*PATTERN_TYPES, "PERSON")) if e in (*PATTERN_TYPES, "PERSON"))
            self._detector = Detector(DetectorConfig(profile="fast", entities=wanted, **common)) if wanted else None
            self._model = None
            self.description = ("independent residual scan: name gazetteer (no NER model) + digit/e-mail/IP shapes "
                                "+ the pattern recognizers; places and organisations: the same gazetteers as the scrub")
        else:
            patterns = tuple(e for e in (config.entities or PATTERN_TYPES) if e in PATTERN_TYPES)
            self._detector = Detector(DetectorConfig(profile="fast", entities=patterns, **common)) if patterns else None
            self._model = TokenModel(ModelSpec(config.model_path, config.model_kind))
            name = BUILTIN_MODEL if config.model_path is None else f"{config.model_kind}:{config.model_path}"
            self.description = (f"independent residual scan: NER model {name} "
                                "+ digit/e-mail/IP shapes + the pattern recognizers")

    def find(self, texts: list[str]) -> list[list[Found]]:
        """Spans per text; ``UnscannableText`` (by text index) where a pattern could not finish a text."""
        found: list[list[Found]] = [[] for _ in texts]
        if self._detector is not None:
            found = [list(spans) for spans in self._detector.detect(texts)]
        if self._model is not None:
            for spans, model_spans in zip(found, self._model.find(texts)):
                spans.extend(s for s in model_spans if s[0] in MODEL_ENTITIES and s[3] >= self.config.threshold)
        return [resolve(spans + shapes(text)) for text, spans in zip(texts, found)]
