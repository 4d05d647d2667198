"""An NLP engine for Presidio that never downloads anything.

Presidio's ``SpacyNlpEngine.load`` calls ``spacy.cli.download`` for a model
that is not installed. This engine loads only an installed model, or a blank
English pipeline. A blank pipeline leaves every ``token.lemma_`` empty, which
silently disables Presidio's context enhancement (it compares context words
with lemmas); the ``stillroom_lemma_fallback`` component fills each empty
lemma with the lower-cased token so context words still count.
"""

from __future__ import annotations

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from spacy.language import Language

from stillroom.errors import ConfigError

BLANK = "blank:en"


@Language.component("stillroom_lemma_fallback")
def lemma_fallback(doc):
    for token in doc:
        if not token.lemma_:
            token.lemma_ = token.lower_
    return doc


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """``model``: the name of an installed spaCy package, or None for a blank English pipeline."""

    def __init__(self, model: str | None = None) -> None:
        super().__init__(
            models=[{"lang_code": "en", "model_name": model or BLANK}],
            ner_model_configuration=NerModelConfiguration(),
        )
        self.model = model

    @property
    def has_ner(self) -> bool:
        return self.nlp is not None and "ner" in self.nlp["en"].pipe_names

    def load(self) -> None:
        if self.model is None:
            nlp = spacy.blank("en")
        elif spacy.util.is_package(self.model):
            nlp = spacy.load(self.model)
        else:
            raise ConfigError(
                f"scrubber presidio: spaCy model {self.model!r} is not installed, and Stillroom never downloads one; "
                "install its package or leave spacy_model unset"
            )
        if "lemmatizer" not in nlp.pipe_names:
            nlp.add_pipe("stillroom_lemma_fallback", last=True)
        self.nlp = {"en": nlp}  # type: ignore[assignment]  # Presidio declares nlp None until load() fills it
