"""Presidio's context enhancement, one record at a time, without its per-call costs.

``LemmaContextAwareEnhancer`` raises a result's score when one of its
recognizer's context words is part of a keyword lemma among the few keywords
before the result (five by default) or at it. ``AnalyzerEngine`` runs it on
every call: it deep-copies every result, finds the result's token with a scan
from the first token, and tests keywords against a list. ``ContextScorer``
computes the same scores from each record's tokens (a bisect, a set) and
changes the results in place, which is safe because ``BatchAnalyzer`` owns
them. Its parameters are read from the engine's enhancer, so the two cannot
drift apart; a test compares the outcome with the real engine.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from presidio_analyzer import RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer

from stillroom.plugins.scrubbers.tokens import Token


class TokenNotFound(Exception):
    """The result starts after the last token: Presidio's enhancer raises ValueError there."""


class ContextScorer:
    def __init__(self, enhancer: LemmaContextAwareEnhancer, nlp_engine) -> None:
        self.factor = enhancer.context_similarity_factor
        self.floor = enhancer.min_score_with_context_similarity
        self.before = enhancer.context_prefix_count
        self.after = enhancer.context_suffix_count
        self.whole_word = enhancer.context_matching_mode == "whole_word"

        @lru_cache(maxsize=1 << 16)
        def keyword_parts(lemma: str) -> tuple[str, ...]:
            # NlpArtifacts.set_keywords, for one lemma.
            if (nlp_engine.is_stopword(lemma, "en") or nlp_engine.is_punct(lemma, "en")
                    or lemma in ("-PRON-", "be")):
                return ()
            return tuple(lemma.lower().split(":"))

        self.keyword_parts = keyword_parts
        self._patterns: dict[str, tuple] = {}  # recognizer id -> (its context words, their test)

    def enhance(self, results: list[RecognizerResult], tokens: list[Token], recognizers: dict) -> None:
        """Raise, in place, the scores of ``results`` that have a context word nearby.

        ``recognizers``: recognizer id -> recognizer, as the engine's enhancer looks them up.
        """
        keywords = None
        for result in results:
            metadata = result.recognition_metadata or {}
            recognizer = recognizers.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context:
                continue
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            if keywords is None:
                keywords = self._keyword_lemmas(tokens)
            if self._supported(self._surrounding(result.start, tokens, keywords), recognizer):
                score = result.score + self.factor
                score = max(score, self.floor)
                result.score = min(score, ContextAwareEnhancer.MAX_SCORE)

    def _keyword_lemmas(self, tokens: list[Token]) -> list[str | None]:
        """Per token, its lower-cased lemma when that counts as a keyword of this record, else None."""
        parts = {part for token in tokens for part in self.keyword_parts(token.lemma)}
        return [lemma if lemma in parts else None for lemma in (token.lemma.lower() for token in tokens)]

    def _surrounding(self, start: int, tokens: list[Token], keywords: list[str | None]) -> set[str]:
        # The first token that ends after the result's start, as _find_index_of_match_token picks it.
        index = bisect_right(tokens, start, key=lambda token: token.end)
        if index == len(tokens):
            raise TokenNotFound
        words: set[str] = set()
        for step, count in ((-1, self.before + 1), (1, self.after + 1)):
            i = index
            while 0 <= i < len(tokens) and count > 0:
                keyword = keywords[i]
                if keyword is not None:
                    words.add(keyword)
                    count -= 1
                i += step
        return words

    def _supported(self, words: set[str], recognizer) -> bool:
        # Presidio tests each context word against each keyword, both lower-cased; one
        # search of an alternation of the (escaped) context words per keyword is the same test.
        context = tuple(recognizer.context)
        cached = self._patterns.get(recognizer.id)
        if cached is None or cached[0] != context:
            pattern = re.compile("|".join(re.escape(word.lower()) for word in context))
            cached = self._patterns[recognizer.id] = (context, pattern.fullmatch if self.whole_word else pattern.search)
        test = cached[1]
        return any(test(keyword.lower()) for keyword in words)
