"""``AnalyzerEngine.analyze`` for a whole batch at once, with the results it gives each record.

Calling the engine once per record costs more than most records' recognizers
do: every pattern recognizer is called per record (and times and logs each
pattern), every result is deep-copied for context enhancement, and spaCy's
tokens are rebuilt as Python objects several times. ``BatchAnalyzer`` runs
the same recognizers, with the same scores, thresholds and de-duplication,
in three ways:

- *joined*: the pattern recognizers in ``JOINABLE`` run once over the records
  that pass their prefilter (for ``WORDWISE`` ones, only those records' words
  that pass it), joined with ``SEPARATOR``, and each finding is mapped back to
  its record by offset. A finding that reaches into a separator means the join
  changed what a regex sees; the records on both sides are then analysed
  alone by the engine itself.
- *per record, on the text*: recognizers whose matching is not safe to join
  (libphonenumber, whose matcher has a per-text budget of attempts; custom
  regexes from the policy, which may use anchors or lookarounds).
- *per record, on the tokens*: the gazetteer recognizers, reading each
  record's tokens from one ``nlp.pipe`` pass.

No time budget is ever spent silently. Presidio gives each regex a budget
(``REGEX_TIMEOUT_SECONDS``) per search of one text and, when it runs out, keeps
what it found and skips the rest; a joined text shares one budget among all its
records, so a few costly records could hide the findings of every record after
them. The joined scans therefore go through ``scan.scan``, which says where a
timeout cut a search short, and every record that does not end before that
point is analysed alone by the engine. The engine's pattern recognizers fail
closed (``scan.fail_closed``): a record that exhausts a budget on its own
stops the batch with ``UnscannableText``, naming the record and recognizer,
never the text.

Context enhancement is ``ContextScorer`` (see ``context.py``), per record. A
registry holding any other kind of recognizer (a spaCy NER model's) gets no
``BatchAnalyzer``, and the caller uses the engine per record.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from stillroom.plugins.scrubbers.context import ContextScorer, TokenNotFound
from stillroom.plugins.scrubbers.nlp import OfflineSpacyNlpEngine
from stillroom.plugins.scrubbers.offline_ner import TokenRecognizer
from stillroom.plugins.scrubbers.phones import Verdicts
from stillroom.plugins.scrubbers.recognizers import (
    JOINABLE,
    PER_TEXT,
    PER_TEXT_NATIONAL,
    PREFILTERED,
    PREFILTERS,
    WORDWISE,
    ConfidentPhoneRecognizer,
)
from stillroom.plugins.scrubbers.scan import fail_closed, scan
from stillroom.plugins.scrubbers.tokens import Token, doc_tokens
from stillroom.plugins.scrubbers.unscannable import PatternTimeout, UnscannableText

# Starts and ends with a newline, so ``^``, ``$`` (multi-line, as Presidio
# compiles patterns), ``\b`` and negative lookarounds for word characters see
# a record's edges as they see the start and end of a text; the letters stop
# runs of ``\s`` (a phone pattern's optional extension, ``\s*ext``) from
# bridging two records. No digits, no '@', '.', ':' or upper case, so no
# built-in pattern can match inside it.
SEPARATOR = "\nqjzqjz\n"
ALWAYS: Callable[[str], bool] = lambda text: True  # noqa: E731
# Characters every regex engine counts as white space: no WORDWISE match holds one.
WORD = re.compile(r"[^ \t\n\r\f\v]+")

Segment = tuple[int, int, str]  # record index, offset in the record, text


class BatchAnalyzer:
    def __init__(self, analyzer: AnalyzerEngine, nlp: OfflineSpacyNlpEngine) -> None:
        self.analyzer = analyzer
        self.nlp = nlp
        self.recognizers = analyzer.registry.get_recognizers(language="en", all_fields=True)
        for recognizer in self.recognizers:
            # The records this class hands to the engine, or to a recognizer alone, must never come back half scanned.
            fail_closed(recognizer)
        self.by_id = {recognizer.id: recognizer for recognizer in self.recognizers}
        self.entities = analyzer.get_supported_entities("en")
        self.scorer = ContextScorer(analyzer.context_aware_enhancer, nlp)  # type: ignore[arg-type]  # the engine's default: the lemma enhancer
        self.lemma_fallback = "stillroom_lemma_fallback" in nlp.nlp["en"].pipe_names  # type: ignore[index]  # loaded: a dict
        self.default_threshold = analyzer.default_score_threshold
        self.thresholds = {recognizer.id: recognizer.score_thresholds for recognizer in self.recognizers}

    @classmethod
    def supports(cls, analyzer: AnalyzerEngine) -> bool:
        """Whether every recognizer and the enhancer are ones this class reproduces exactly."""
        recognizers = analyzer.registry.get_recognizers(language="en", all_fields=True)
        return type(analyzer.context_aware_enhancer) is LemmaContextAwareEnhancer and all(
            type(r) in JOINABLE or type(r) in PER_TEXT or type(r) in PER_TEXT_NATIONAL or isinstance(r, TokenRecognizer) for r in recognizers
        )

    def analyze(self, texts: list[str]) -> list[list[RecognizerResult]]:
        """Per text, what ``analyzer.analyze(text, "en")`` returns (texts of only whitespace: nothing)."""
        live = [k for k, text in enumerate(texts) if text.strip()]
        found: dict[int, list[RecognizerResult]] = {k: [] for k in live}
        alone: set[int] = set()
        tokens = self._tokens(texts, live)
        passing: dict[Callable[[str], bool], list[int]] = {}  # prefilter -> the records that pass it
        for recognizer in self.recognizers:
            passes = ALWAYS
            if type(recognizer) in PREFILTERED:
                passes = PREFILTERS.get(recognizer.supported_entities[0], ALWAYS)
            if passes not in passing:
                passing[passes] = [k for k in live if passes(texts[k])]
            chosen = passing[passes]
            if not chosen:
                continue
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            if type(recognizer) in WORDWISE:
                words = [(k, m.start(), m.group()) for k in chosen for m in WORD.finditer(texts[k])]
                alone |= self._joined(recognizer, [word for word in words if passes(word[2])], found)
            elif type(recognizer) in JOINABLE:
                alone |= self._joined(recognizer, [(k, 0, texts[k]) for k in chosen], found)
            elif isinstance(recognizer, TokenRecognizer):
                for k in chosen:
                    found[k].extend(recognizer.results(tokens[k]))
            elif isinstance(recognizer, ConfidentPhoneRecognizer):
                # Presidio's PhoneRecognizer.analyze, with libphonenumber's work shared across regions and records.
                verdicts = Verdicts()
                for k in chosen:
                    found[k].extend(recognizer.analyze_shared(texts[k], verdicts))
            else:
                for k in chosen:
                    with unscannable(k):
                        found[k].extend(recognizer.analyze(texts[k], self.entities, None))  # type: ignore[arg-type]  # as Presidio's engine calls them without NLP
        out: list[list[RecognizerResult]] = [[] for _ in texts]
        for k in live:
            try:
                if k not in alone:
                    out[k] = self._finish(found[k], tokens[k])
                    continue
            except TokenNotFound:
                pass
            with unscannable(k):
                out[k] = self.analyzer.analyze(texts[k], "en")
        return out

    def _tokens(self, texts: list[str], live: list[int]) -> dict[int, list[Token]]:
        # The lemma fallback component only fills empty lemmas; doc_tokens does the same, without a pass over each Doc.
        disable = ["stillroom_lemma_fallback"] if self.lemma_fallback else []
        docs = self.nlp.nlp["en"].pipe((texts[k] for k in live), batch_size=256, disable=disable)  # type: ignore[index]  # loaded: a dict
        return {k: doc_tokens(doc, self.lemma_fallback) for k, doc in zip(live, docs)}

    def _joined(self, recognizer: EntityRecognizer, segments: list[Segment],
                found: dict[int, list[RecognizerResult]]) -> set[int]:
        """Run ``recognizer`` once over the segments joined; the records to analyse alone.

        Those are the records on both sides of a finding that reaches into a
        separator, and, when a pattern ran out of its time budget, every record
        with a segment that does not end before the point the search reached.
        """
        starts, offset = [], 0
        for _, _, text in segments:
            starts.append(offset)
            offset += len(text) + len(SEPARATOR)
        alone: set[int] = set()
        results, complete_before, _ = scan(recognizer, SEPARATOR.join(text for _, _, text in segments))  # type: ignore[arg-type]  # JOINABLE and WORDWISE hold pattern recognizers
        if complete_before is not None:
            # Segments end in the order they start: the first that does not end by complete_before, and all after it.
            first = bisect_right(starts, complete_before) - 1  # the last to start at or before it (starts[0] == 0)
            if starts[first] + len(segments[first][2]) <= complete_before:
                first += 1
            alone.update(k for k, _, _ in segments[first:])
        for result in results:
            first = bisect_right(starts, result.start) - 1
            last = bisect_right(starts, result.end - 1) - 1
            k, shift, text = segments[first]
            if first == last and result.end <= starts[first] + len(text):
                result.start += shift - starts[first]
                result.end += shift - starts[first]
                found[k].append(result)
            else:
                alone.update(k for k, _, _ in segments[first : last + 2])
        return alone

    def _finish(self, results: list[RecognizerResult], tokens: list[Token]) -> list[RecognizerResult]:
        # What AnalyzerEngine.analyze does after its recognizers: context, thresholds, duplicates.
        if not results:
            return []
        self.scorer.enhance(results, tokens, self.by_id)
        kept = [r for r in results if r.score >= self._threshold(r)]
        return EntityRecognizer.remove_duplicates(kept)

    def _threshold(self, result: RecognizerResult) -> float:
        recognizer_id = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)
        thresholds = self.thresholds.get(recognizer_id)
        if thresholds is None:
            return self.default_threshold
        for key in (result.entity_type, "default"):
            if thresholds.get(key) is not None:
                return thresholds[key]
        return self.default_threshold


@contextmanager
def unscannable(index: int) -> Iterator[None]:
    """Turns a ``PatternTimeout`` on text ``index`` into ``UnscannableText`` for it."""
    try:
        yield
    except PatternTimeout as error:
        raise UnscannableText.at(index, error) from None
