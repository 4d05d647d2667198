"""Character-coverage scoring of detected PII spans against gold spans (pure functions).

The rule, in one place:

- A gold span is **found** when the union of the detected spans covers at
  least half of its characters. Type-agnostic ("all PII", what a scrubber
  needs: the characters were masked) counts detected spans of any type;
  type-aware counts only detected types that ``ACCEPT`` lists for the gold
  type (a street address detected as LOCATION is found, a person detected as
  LOCATION is not).
- A detected span is **correct** when at least half of its characters lie
  inside gold spans: any PII gold span (type-agnostic), or gold spans whose
  type accepts the detected type (type-aware).
- ORGANIZATION is scored on its own and is not PII here: it is not in the
  "all PII" support, and detections typed ORGANIZATION are left out of the
  PII precision. A PII-typed detection on an organisation is a false positive.
- Regions a corpus annotates with types outside this benchmark (``ignore``)
  do not count either way, and on a corpus that annotates only some types
  (``scored_types``), detections of types none of them accepts are left out
  of precision (nobody labelled those).
- Per-entity precision groups detections by the gold label their type stands
  for (``primary_label``); it is null when nothing was detected as that type.
- F2 = 5PR / (4P + R): recall weighs four times precision, as a scrubber should.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LABELS = ("PERSON", "STREET_ADDRESS", "LOCATION", "POSTAL_CODE", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD",
          "IBAN_CODE", "IP_ADDRESS", "US_SSN", "NATIONAL_ID", "DATE_OF_BIRTH", "ORGANIZATION")
PII_LABELS = tuple(label for label in LABELS if label != "ORGANIZATION")

NATIONAL_ID_TYPES = frozenset({
    "NATIONAL_ID", "US_SSN", "SSN", "US_ITIN", "UK_NHS", "UK_NINO", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE",
    "IT_IDENTITY_CARD", "IN_AADHAAR", "IN_PAN", "IN_VOTER", "PL_PESEL", "SG_NRIC_FIN", "AU_TFN", "AU_MEDICARE",
    "FI_PERSONAL_IDENTITY_CODE", "KR_RRN", "TH_TNIN", "BR_CPF", "CPF", "ID_NUMBER", "ID_CARD", "PASSPORT",
    "US_PASSPORT", "TAX_ID",
})
ADDRESS_TYPES = frozenset({"STREET_ADDRESS", "ADDRESS", "LOCATION", "GPE", "LOC"})

ACCEPT: dict[str, frozenset[str]] = {
    "PERSON": frozenset({"PERSON", "PER", "NAME"}),
    "STREET_ADDRESS": ADDRESS_TYPES,
    "LOCATION": ADDRESS_TYPES | {"CITY"},
    "POSTAL_CODE": ADDRESS_TYPES | {"POSTAL_CODE", "ZIP_CODE", "ZIPCODE"},
    "PHONE_NUMBER": frozenset({"PHONE_NUMBER", "PHONE"}),
    "EMAIL_ADDRESS": frozenset({"EMAIL_ADDRESS", "EMAIL"}),
    "CREDIT_CARD": frozenset({"CREDIT_CARD", "CARD_NUMBER"}),
    "IBAN_CODE": frozenset({"IBAN_CODE", "IBAN"}),
    "IP_ADDRESS": frozenset({"IP_ADDRESS"}),
    "US_SSN": frozenset({"US_SSN", "SSN", "NATIONAL_ID"}),
    "NATIONAL_ID": NATIONAL_ID_TYPES,
    "DATE_OF_BIRTH": frozenset({"DATE_OF_BIRTH", "DATE_TIME", "DATE", "DOB"}),
    "ORGANIZATION": frozenset({"ORGANIZATION", "ORG"}),
}

_PRIMARY = {"PER": "PERSON", "NAME": "PERSON", "ADDRESS": "STREET_ADDRESS", "GPE": "LOCATION", "LOC": "LOCATION",
            "CITY": "LOCATION", "ZIP_CODE": "POSTAL_CODE", "ZIPCODE": "POSTAL_CODE", "PHONE": "PHONE_NUMBER",
            "EMAIL": "EMAIL_ADDRESS", "CARD_NUMBER": "CREDIT_CARD", "IBAN": "IBAN_CODE", "SSN": "US_SSN",
            "DATE_TIME": "DATE_OF_BIRTH", "DATE": "DATE_OF_BIRTH", "DOB": "DATE_OF_BIRTH", "ORG": "ORGANIZATION"}


def primary_label(detected_type: str) -> str | None:
    """The gold label a detected type stands for, or None (e.g. URL: no gold label)."""
    if detected_type in LABELS:
        return detected_type
    if detected_type in _PRIMARY:
        return _PRIMARY[detected_type]
    if detected_type in NATIONAL_ID_TYPES:
        return "NATIONAL_ID"
    return None


def f_beta(precision: float | None, recall: float | None, beta: float = 2.0) -> float | None:
    if precision is None or recall is None:
        return None
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _mask(length: int, spans: Iterable[tuple[int, int]]) -> bytearray:
    mask = bytearray(length)
    for start, end in spans:
        start, end = max(0, start), min(length, end)
        if end > start:
            mask[start:end] = b"\x01" * (end - start)
    return mask


def _covered(mask: bytearray, start: int, end: int) -> float:
    if end <= start:
        return 0.0
    return sum(mask[start:end]) / (end - start)


class _Tally:
    def __init__(self) -> None:
        self.support = 0
        self.found = 0
        self.detected = 0
        self.correct = 0

    def as_dict(self) -> dict[str, Any]:
        recall = self.found / self.support if self.support else None
        precision = self.correct / self.detected if self.detected else None
        f2 = f_beta(precision, recall)
        return {"precision": _round(precision), "recall": _round(recall), "f2": _round(f2),
                "support": self.support, "detected": self.detected}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def score(gold: Sequence[Mapping[str, Any]], detected: Sequence[Sequence[Mapping[str, Any]]],
          scored_types: Iterable[str] = LABELS) -> dict[str, Any]:
    """Score detected spans (per record ``[{"type", "start", "end"}]``) against gold records.

    Gold records are ``{"text", "spans": [{"type", "start", "end"}], "ignore": [{"start", "end"}]?}``.
    Returns ``overall`` (type-agnostic, all PII), ``overall_type_aware``,
    ``per_entity`` (type-aware; ORGANIZATION included, reported apart) and
    ``false_positives_by_type`` (type-agnostic misses, by detected type).
    """
    if len(gold) != len(detected):
        raise ValueError(f"{len(gold)} gold records but {len(detected)} detection lists")
    scored = set(scored_types)
    restrict = scored != set(LABELS)
    claimable = set().union(*(ACCEPT[label] for label in scored)) if scored else set()
    per = {label: _Tally() for label in LABELS if label in scored}
    agnostic, typed = _Tally(), _Tally()
    false_positives: dict[str, int] = {}
    for record, found in zip(gold, detected):
        text_len = len(record["text"])
        spans = [s for s in record["spans"] if s["type"] in scored]
        ignore = _mask(text_len, ((s["start"], s["end"]) for s in record.get("ignore", ())))
        any_mask = _mask(text_len, ((d["start"], d["end"]) for d in found))
        pii_mask = _mask(text_len, ((s["start"], s["end"]) for s in spans if s["type"] != "ORGANIZATION"))
        for span in spans:
            accepted = ACCEPT[span["type"]]
            typed_mask = _mask(text_len, ((d["start"], d["end"]) for d in found if d["type"] in accepted))
            hit_typed = _covered(typed_mask, span["start"], span["end"]) >= 0.5
            tally = per[span["type"]]
            tally.support += 1
            tally.found += hit_typed
            if span["type"] != "ORGANIZATION":
                hit_any = _covered(any_mask, span["start"], span["end"]) >= 0.5
                agnostic.support += 1
                agnostic.found += hit_any
                typed.support += 1
                typed.found += hit_typed
        for d in found:
            if (restrict and d["type"] not in claimable) or _covered(ignore, d["start"], d["end"]) >= 0.5:
                continue
            compatible = _mask(text_len, ((s["start"], s["end"]) for s in spans if d["type"] in ACCEPT[s["type"]]))
            right_type = _covered(compatible, d["start"], d["end"]) >= 0.5
            label = primary_label(d["type"])
            if label in per:
                per[label].detected += 1
                per[label].correct += right_type
            if label == "ORGANIZATION" or d["type"] in ACCEPT["ORGANIZATION"]:
                continue
            on_pii = _covered(pii_mask, d["start"], d["end"]) >= 0.5
            agnostic.detected += 1
            agnostic.correct += on_pii
            typed.detected += 1
            typed.correct += right_type
            if not on_pii:
                false_positives[d["type"]] = false_positives.get(d["type"], 0) + 1
    return {
        "overall": agnostic.as_dict(),
        "overall_type_aware": typed.as_dict(),
        "per_entity": {label: tally.as_dict() for label, tally in per.items() if tally.support or tally.detected},
        "false_positives_by_type": dict(sorted(false_positives.items())),
    }
