"""A spaCy ``Doc``'s tokens as plain Python objects, read once per record.

spaCy builds a new ``Token`` object on every ``doc[i]`` and every iteration,
and the gazetteer recognizers and the context enhancement together look at
each token many times: that was the largest cost of scrubbing a batch. Here
the offsets come out of the ``Doc`` in one ``to_array`` call, and the word
shapes are computed from the token's text with the same ``str`` methods
spaCy's lexical attributes use (``lower_`` is ``str.lower``, ``is_title`` is
``str.istitle``, and so on); a test checks them against spaCy's own.
"""

from __future__ import annotations

from spacy.attrs import IDX, LEMMA, LENGTH


class Token:
    __slots__ = ("text", "lower_", "idx", "end", "lemma", "is_title", "is_alpha", "is_upper")

    def __init__(self, text: str, idx: int, lemma: str) -> None:
        self.text, self.idx, self.end, self.lemma = text, idx, idx + len(text), lemma
        self.lower_ = text.lower()
        self.is_title, self.is_alpha, self.is_upper = text.istitle(), text.isalpha(), text.isupper()

    def __len__(self) -> int:
        return len(self.text)


def doc_tokens(doc, lemma_fallback: bool) -> list[Token]:
    """``lemma_fallback``: an empty lemma reads as the lower-cased token, as the
    pipeline's ``stillroom_lemma_fallback`` component would have set it (see ``nlp.py``)."""
    text, strings = doc.text, doc.vocab.strings
    tokens = []
    for idx, length, lemma in doc.to_array([IDX, LENGTH, LEMMA]).tolist():
        word = text[idx : idx + length]
        tokens.append(Token(word, idx, strings[lemma] if lemma else word.lower() if lemma_fallback else ""))
    return tokens
