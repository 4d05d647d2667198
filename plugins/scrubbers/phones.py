"""Presidio's ``PhoneRecognizer.analyze``, with libphonenumber's work shared across regions.

``PhoneRecognizer`` runs ``phonenumbers.PhoneNumberMatcher`` over the whole
text once per supported region (eight by default). Most of what a matcher
does does not depend on its region: the scan for candidates, the trimming of
candidates and inner groups, the date, time-stamp, bracket and neighbouring
letter checks. Only ``parse(candidate, region)`` and the leniency check of the
parsed number do. ``find_phones`` runs the library's own matcher algorithm
(the order of attempts and the ``max_tries`` budget are the library's) and
does the region-independent steps once per text:

- ``_find``'s candidate scan and trim: the regex search from a given index is
  the same for every region, so each text is scanned once per distinct index;
- ``_extract_match``'s groups: the whole candidate, then the groups its inner
  patterns split it into, each checked against its context (brackets, page
  references, neighbouring letters), are worked out once per candidate
  (``_Attempts``); where the budget could run out inside a candidate, the
  library's ``_extract_match`` runs instead, on the same shared checks;
- the verdict, whether ``parse(candidate, region)`` gives a number that
  passes the leniency, is a pure function of (candidate, region, leniency)
  and is memoised per batch. Three exact shortcuts avoid parsing for every
  region: a candidate with too few digits for a region's shortest number is
  refused without a parse (``too_short``); a candidate that parses with no
  region at all (it starts with '+' and a known country calling code) parses
  to the same number for every region, since ``parse`` then never reads the
  region's metadata; and the verdict is a pure function of the parsed
  number's fields and the candidate, so two regions that parse a candidate
  to equal numbers (US and CA for a North American number written
  nationally) share one validation.

``ConfidentPhoneRecognizer.analyze`` itself still runs Presidio's code, so the
engine (and the benchmark's plain loop) is unchanged; ``BatchAnalyzer`` calls
``ConfidentPhoneRecognizer.analyze_shared``. ``tests/test_scrub_batch.py``
compares the two, finding by finding, on generated, demo and adversarial text.

Private internals of ``phonenumbers.phonenumbermatcher`` are reused, so the
dependency is pinned to a major version, and at import ``SHARED`` records
whether this installation still has them and still gives the stock
recognizer's findings on ``SELF_CHECK``; when it does not, ``analyze_shared``
runs the stock recognizer (slower, the same findings) and a warning says why.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberMatch, PhoneNumberMatcher
from phonenumbers import phonenumbermatcher as _matcher
from phonenumbers.phonenumberutil import (
    NumberParseException,
    country_code_for_region,
    normalize_digits_only,
    parse,
    region_code_for_number,
    region_codes_for_country_code,
)
from presidio_analyzer import EntityRecognizer, RecognizerResult

# Phone numbers in the layouts the shortcuts treat differently: international (region-free), national
# (per region, shared US/CA verdicts), inner groups, a date and a time stamp that must not match.
SELF_CHECK = (
    "Call +1 415-555-2671 or (020) 7946 0958, not on 2024-01-05 10:00:00.",
    "Ring 030 12345678 in Berlin or 07700 900123; fax +44 20 7946 0018 ext. 12.",
    "Order 12345678901234567890 shipped; reach me at 415.555.2671/2672 or +91 98765 43210.",
)

# libphonenumber compiles each region's metadata regexes as it needs them, through re's cache
# of 512 patterns; parsing for the accurate profile's sixty regions needs more than that, and
# re-compiled them over and over (a third of the phone recognizers' time). Kept for good here,
# a few thousand patterns at most, as the library's Java original does.
phonenumbers.enable_pattern_cache()

try:
    _PATTERN = _matcher._PATTERN
    _SECOND_NUMBER_START_PATTERN = _matcher._SECOND_NUMBER_START_PATTERN  # type: ignore[attr-defined]  # private: not in phonenumbers' stubs
    _MATCHING_BRACKETS = _matcher._MATCHING_BRACKETS
    _PUB_PAGES = _matcher._PUB_PAGES
    _LEAD_PATTERN = _matcher._LEAD_PATTERN
    _verify = _matcher._verify
    _fullmatch = _matcher.fullmatch  # type: ignore[attr-defined]  # private: not in phonenumbers' stubs
    _VALID = _matcher.Leniency.VALID
    # _verify reads its matcher argument only for the grouping leniencies, and then
    # only calls _check_number_grouping_is_valid, which reads no matcher state.
    _STATELESS = PhoneNumberMatcher("", None)
    _PLUS_CHARS = frozenset(_matcher._PLUS_CHARS)  # type: ignore[attr-defined]  # private: not in phonenumbers' stubs
    _SLASH_SEPARATED_DATES = _matcher._SLASH_SEPARATED_DATES
    _TIME_STAMPS = _matcher._TIME_STAMPS
    _TIME_STAMPS_SUFFIX = _matcher._TIME_STAMPS_SUFFIX
    _INNER_MATCHES = _matcher._INNER_MATCHES
    _UNWANTED_END_CHAR_PATTERN = _matcher._UNWANTED_END_CHAR_PATTERN  # type: ignore[attr-defined]  # private
    _MISSING = None
except (AttributeError, TypeError) as missing:
    _MISSING = str(missing)


def find_phones(recognizer, text: str, verdicts: Verdicts | None = None) -> list[RecognizerResult]:
    """What ``PhoneRecognizer.analyze(recognizer, text, ...)`` returns (same spans, scores, metadata).

    ``verdicts`` may be shared by the texts of one batch.
    """
    verdicts = verdicts if verdicts is not None else Verdicts()
    scan = _Scan(text)
    results = []
    for region in recognizer.supported_regions:
        for match in _SharedMatcher(scan, region, recognizer.leniency, verdicts):
            # As PhoneRecognizer.analyze: the explanation names the number's own
            # region where a region-less parse works, else the loop's variable.
            found = scan.region_of(match.start, match.end)
            if found is not None:
                region = found
            results.append(recognizer._get_recognizer_result(match, text, region, None))
    return EntityRecognizer.remove_duplicates(results)


class _Scan:
    """One text's region-independent work, shared by its matchers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[int, tuple[int, str] | None] = {}
        self.context: dict[tuple[str, int, int], bool] = {}
        self.tried: dict[tuple[str, int, int], _Attempts] = {}
        self.regions: dict[tuple[int, int], str | None] = {}

    def candidate(self, index: int) -> tuple[int, str] | None:
        """The next candidate at or after ``index``: its start and its text trimmed before a second number."""
        try:
            return self.found[index]
        except KeyError:
            match = _PATTERN.search(self.text, index)
            if match is None:
                found = None
            else:
                candidate = match.group()
                second = _SECOND_NUMBER_START_PATTERN.search(candidate)
                found = (match.start(), candidate if second is None else candidate[:second.start()])
            self.found[index] = found
            return found

    def attempts(self, matcher: _SharedMatcher, candidate: str, offset: int) -> _Attempts:
        key = (candidate, offset, matcher.leniency)
        tried = self.tried.get(key)
        if tried is None:
            tried = self.tried[key] = _Attempts(matcher, candidate, offset)
        return tried

    def region_of(self, start: int, end: int) -> str | None:
        key = (start, end)
        if key not in self.regions:
            try:
                self.regions[key] = region_code_for_number(parse(self.text[start:end]))
            except NumberParseException:
                self.regions[key] = None
        return self.regions[key]


class _Attempts:
    """The groups ``_extract_match(candidate, offset)`` parses, in its order; none of them depends on the region.

    ``PhoneNumberMatcher._extract_match`` skips dates and time stamps, then
    tries the whole candidate, then the groups ``_INNER_MATCHES`` split it
    into, each costing one of the matcher's tries when it fails. Only the
    parse of each group depends on the region: the groups, and whether each
    fits its context (brackets, page references, neighbouring letters), are
    worked out here once for all regions. ``fitting`` holds (position in the
    order, group, offset) of the groups that fit; the others cannot match.
    """

    def __init__(self, matcher: _SharedMatcher, candidate: str, offset: int) -> None:
        groups: list[tuple[str, int]] = []
        text = matcher.text
        if not _SLASH_SEPARATED_DATES.search(candidate) and not (
                _TIME_STAMPS.search(candidate) and _TIME_STAMPS_SUFFIX.match(text[offset + len(candidate):])):
            groups.append((candidate, offset))
            for inner in _INNER_MATCHES:
                group_match = inner.search(candidate)
                if group_match is not None:
                    groups.append((_trimmed(candidate[:group_match.start()]), offset))
                while group_match is not None:
                    groups.append((_trimmed(group_match.group(1)), offset + group_match.start(1)))
                    group_match = inner.search(candidate, group_match.start() + 1)
        self.count = len(groups)
        self.fitting = [(position, group, at) for position, (group, at) in enumerate(groups)
                        if matcher._fits(group, at)]


def _trimmed(group: str) -> str:
    unwanted = _UNWANTED_END_CHAR_PATTERN.search(group)
    return group if unwanted is None else group[:unwanted.start()]


class _SharedMatcher(PhoneNumberMatcher):
    """``PhoneNumberMatcher`` whose region-independent steps come from a shared ``_Scan``."""

    def __init__(self, scan: _Scan, region: str, leniency: int, verdicts: Verdicts, max_tries: int = 65535) -> None:
        # 65535: PhoneNumberMatcher's default, which PhoneRecognizer keeps.
        super().__init__(scan.text, region, leniency=leniency, max_tries=max_tries)
        self._scan = scan
        self._verdicts = verdicts

    def _find(self, index):
        # PhoneNumberMatcher._find (phonenumbers 9.0), with the search and the trim memoised.
        found = self._scan.candidate(index)
        while self._max_tries > 0 and found is not None:
            start, candidate = found
            candidate_len = len(candidate)
            if candidate_len >= self._min_candidate_length:
                match = self._extract_match(candidate, start)
                if match is not None:
                    return match
                self._max_tries -= 1
            found = self._scan.candidate(start + candidate_len)
        return None

    def _extract_match(self, candidate, offset):
        # PhoneNumberMatcher._extract_match and _extract_inner_match, with the groups from _Attempts: the
        # first group whose number passes wins, and each failed group after the first costs a try. Where
        # the tries could run out inside this candidate, the library's own code runs (the same groups).
        attempts = self._scan.attempts(self, candidate, offset)
        if self._max_tries <= attempts.count:
            return super()._extract_match(candidate, offset)
        for position, group, at in attempts.fitting:
            if self._verdicts(group, self.preferred_region, self.leniency):
                self._max_tries -= max(position - 1, 0)
                return PhoneNumberMatch(at, group, PhoneNumber())
        self._max_tries -= max(attempts.count - 1, 0)
        return None

    def _parse_and_verify(self, candidate, offset):
        # PhoneNumberMatcher._parse_and_verify: the checks before parse() do not
        # depend on the region; parse() and _verify() are _verdict's.
        if self._fits(candidate, offset) and self._verdicts(candidate, self.preferred_region, self.leniency):
            # The recognizer reads only the span; the number object is not used.
            return PhoneNumberMatch(offset, candidate, PhoneNumber())
        return None

    def _fits(self, candidate, offset) -> bool:
        key = (candidate, offset, self.leniency)
        fits = self._scan.context.get(key)
        if fits is None:
            fits = self._scan.context[key] = self._fits_context(candidate, offset)
        return fits

    def _fits_context(self, candidate, offset) -> bool:
        if not _fullmatch(_MATCHING_BRACKETS, candidate) or _PUB_PAGES.search(candidate):
            return False
        if self.leniency >= _VALID:
            if offset > 0 and not _LEAD_PATTERN.match(candidate):
                previous_char = self.text[offset - 1]
                if self._is_invalid_punctuation_symbol(previous_char) or self._is_latin_letter(previous_char):
                    return False
            last_char_index = offset + len(candidate)
            if last_char_index < len(self.text):
                next_char = self.text[last_char_index]
                if self._is_invalid_punctuation_symbol(next_char) or self._is_latin_letter(next_char):
                    return False
        return True


class Verdicts:
    """Memoised verdicts: whether ``parse(candidate, region, keep_raw_input=True)`` passes ``_verify``.

    Each is a pure function of its key. Meant for one batch: a later batch
    starts with an empty one.
    """

    def __init__(self) -> None:
        self.by_region: dict[tuple[str, str | None, int], bool] = {}
        self.region_free: dict[tuple[str, int], bool | None] = {}
        self.by_number: dict[tuple, bool] = {}
        self.shapes: dict[str, tuple[int, bool, str]] = {}

    def __call__(self, candidate: str, region: str | None, leniency: int) -> bool:
        key = (candidate, region, leniency)
        verdict = self.by_region.get(key)
        if verdict is None:
            verdict = self.by_region[key] = self._verdict(candidate, region, leniency)
        return verdict

    def _verdict(self, candidate: str, region: str | None, leniency: int) -> bool:
        free = self._region_free(candidate, leniency)
        if free is not None:
            return free
        if leniency >= _VALID and region is not None and too_short(candidate, region, self._shape(candidate)):
            return False
        try:
            number = parse(candidate, region, keep_raw_input=True)
        except NumberParseException:
            return False
        return self._number_verdict(number, candidate, leniency)

    def _shape(self, candidate: str) -> tuple[int, bool, str]:
        shape = self.shapes.get(candidate)
        if shape is None:
            shape = self.shapes[candidate] = _shape(candidate)
        return shape

    def _region_free(self, candidate: str, leniency: int) -> bool | None:
        """The verdict for every region, where it does not depend on the region; else None.

        ``parse(candidate, None)`` succeeds only for a number in international
        format with a known country calling code; ``parse`` then takes the
        metadata from that code, whatever region it is given, and builds the
        same number. Only candidates whose first possible start character is a
        plus sign try (a shortcut for speed: None always falls back to parsing
        per region, which is exact).
        """
        key = (candidate, leniency)
        if key in self.region_free:
            return self.region_free[key]
        free = None
        for char in candidate:
            if char in _PLUS_CHARS:
                try:
                    number = parse(candidate, None, keep_raw_input=True)
                except NumberParseException:
                    break
                free = self._number_verdict(number, candidate, leniency)
                break
            if char.isdigit():
                break
        self.region_free[key] = free
        return free

    def _number_verdict(self, number: PhoneNumber, candidate: str, leniency: int) -> bool:
        # _verify reads the number's fields (all of which PhoneNumber.__eq__
        # compares) and the candidate, nothing else.
        key = (number.country_code, number.national_number, number.extension, number.italian_leading_zero,
               number.number_of_leading_zeros, number.raw_input, number.country_code_source,
               number.preferred_domestic_carrier_code, candidate, leniency)
        verdict = self.by_number.get(key)
        if verdict is None:
            try:
                verdict = bool(_verify(leniency, number, candidate, _STATELESS))
            except NumberParseException:
                verdict = False
            self.by_number[key] = verdict
        return verdict


def too_short(candidate: str, region: str, shape: tuple[int, bool, str] | None = None) -> bool:
    """Whether ``candidate`` has too few digits to parse, with ``region``, into a valid number.

    Most candidates in free text are short digit runs (house numbers, years,
    amounts), and parsing each for every region was most of the phone
    recognizers' time. This answers without parsing, and only where the
    answer is certain: a valid number's national significant number has a
    length its country's metadata lists as possible (``_is_number_matching_desc``
    on the general description), and parsing only removes digits from a
    candidate (country code, national prefix, extension) or adds the literal
    digits of ``region``'s national-prefix transform rule. A candidate with a
    plus sign, a letter, or digits that start with ``region``'s international
    prefix may belong to another country, and is always parsed.
    """
    shortest = _shortest_national_number(region)
    if shortest is None:
        return False
    count, foreign, digits = shape or _shape(candidate)
    return count < shortest and not foreign and _international_prefix(region).match(digits) is None


def _shape(candidate: str) -> tuple[int, bool, str]:
    """What ``too_short`` reads of a candidate, the same for every region: how many digits (``str.isdigit``
    counts at least every digit libphonenumber counts), whether it has a plus sign or a letter, its digits."""
    count = sum(char.isdigit() for char in candidate)
    foreign = any(char in _PLUS_CHARS or char.isalpha() for char in candidate)
    # normalize_digits_only reads each character's Unicode digit value; ASCII needs no such care.
    digits = _NON_DIGITS.sub("", candidate) if candidate.isascii() else normalize_digits_only(candidate)
    return count, foreign, digits


_NON_DIGITS = re.compile(r"[^0-9]")


@cache
def _shortest_national_number(region: str) -> int | None:
    """Fewest digits a candidate needs, parsed with ``region`` and no international prefix, to be valid;
    None where the metadata sets no bound (an unknown region, a country without possible lengths)."""
    code = country_code_for_region(region)
    if not code:
        return None
    lengths = []
    for sharing in region_codes_for_country_code(code):
        general = _metadata(sharing).general_desc
        assert general is not None  # every region's metadata describes its numbers in general
        possible = [n for n in general.possible_length if n > 0]
        if not possible:
            return None
        lengths.append(min(possible))
    rule = _metadata(region).national_prefix_transform_rule or ""
    added = sum(char.isdigit() for char in re.sub(r"\\\d", "", rule))  # its literal digits, not its \1 groups
    return min(lengths) - added


@cache
def _international_prefix(region: str) -> re.Pattern[str]:
    return re.compile(_metadata(region).international_prefix or "(?!)")


def _metadata(region: str) -> PhoneMetadata:
    """``region``'s metadata; only for a region with a country calling code, which always has some."""
    metadata = PhoneMetadata.metadata_for_region(region)
    assert metadata is not None  # the callers pass regions _shortest_national_number found a country code for
    return metadata


def _self_check() -> str | None:
    """Why the shared matcher cannot be used with this phonenumbers, or None when it gives the stock findings."""
    if _MISSING is not None:
        return f"its matcher internals changed ({_MISSING})"
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    stock = PhoneRecognizer()
    for text in SELF_CHECK:
        try:
            shared = find_phones(stock, text)
        except Exception as exc:  # noqa: BLE001 - any failure of the private path means: do not use it
            return f"the shared matcher fails on a sample ({type(exc).__name__})"
        if _findings(shared) != _findings(stock.analyze(text, stock.supported_entities)):
            return "the shared matcher's findings differ from the stock recognizer's on a sample"
    return None


def _findings(results: list[RecognizerResult]) -> list[tuple]:
    """What a caller reads of each finding: type, span, score and the region its explanation names."""
    return [(r.entity_type, r.start, r.end, r.score, getattr(r.analysis_explanation, "textual_explanation", None))
            for r in results]


def _shared() -> bool:
    reason = _self_check()
    if reason is not None:
        warnings.warn(f"phonenumbers {phonenumbers.__version__}: {reason}; the scrubber uses Presidio's stock phone "
                      "recognizer instead (the same findings, slower)", RuntimeWarning, stacklevel=2)
    return reason is None


SHARED = _shared()
