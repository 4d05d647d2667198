"""The hand-annotated news set: its markup parser, the set's shape, and its place in the PII benchmark."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from pii_heldout import metrics, news  # noqa: E402

# Pinned: a change to any sentence or span changes the digest the benchmark reports; update both on purpose.
SIZE = 344
DIGEST = "sha256:65eae13b53baef7660acbeb855e736fa207871b9e64a3fb7dc28aa52a93b505f"
TITLES = ("Dr", "Mr", "Mrs", "Ms", "Judge", "Justice", "Sen", "Rep", "Sir", "Fr", "Father", "Prof", "Sheikh",
          "Alhaji", "Me", "Magistrate", "Coroner", "Captain", "President", "Senator")


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("pii_benchmark", BENCHMARKS / "pii.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _markup(record: dict) -> str:
    """The record written back as markup, to compare with the line it came from."""
    text, out, at = record["text"], [], 0
    short = {label: tag for tag, label in news.TAGS.items()}
    for span in record["spans"]:
        out.append(text[at:span["start"]])
        out.append(f"[[{short[span['type']]}|{text[span['start']:span['end']]}]]")
        at = span["end"]
    out.append(text[at:])
    return "".join(out)


# -- the parser ------------------------------------------------------------------------------------


def test_markup_becomes_text_and_exact_character_spans():
    records = news.parse("# sport\n[[PER|Chidi Okafor]]'s goal for [[ORG|Manchester City]] in [[LOC|Lagos]].\n"
                         "\n# local\nCall [[PHONE|+44 20 7946 0321]].\n")
    assert [r["section"] for r in records] == ["sport", "local"]
    assert [r["id"] for r in records] == ["news-0001", "news-0002"]
    first = records[0]
    assert first["text"] == "Chidi Okafor's goal for Manchester City in Lagos."
    assert [(s["type"], first["text"][s["start"]:s["end"]]) for s in first["spans"]] == [
        ("PERSON", "Chidi Okafor"), ("ORGANIZATION", "Manchester City"), ("LOCATION", "Lagos")]
    assert first["spans"][0] == {"type": "PERSON", "start": 0, "end": 12}
    assert records[1]["text"] == "Call +44 20 7946 0321."
    assert records[1]["spans"] == [{"type": "PHONE_NUMBER", "start": 5, "end": 21}]


@pytest.mark.parametrize(("markup", "fault"), [
    ("# s\n[[NAME|Ada]] spoke.", "line 2: unknown tag 'NAME'"),
    ("# s\n[[PER| Ada]] spoke.", "line 2: the PER span ' Ada' is empty or has outer spaces"),
    ("# s\n[[PER|]] spoke.", "line 2: the PER span '' is empty"),
    ("# s\n[[PER|Ada spoke.", "line 2: stray '[['"),
    ("# s\nAda]] spoke.", "line 2: stray ']]'"),
    ("# s\n[PER|Ada] spoke.", "line 2: stray '|'"),
    ("[[PER|Ada]] spoke.", "line 1: a record comes before any '# section' line"),
])
def test_malformed_markup_is_refused_naming_the_line(markup, fault):
    with pytest.raises(news.NewsMarkupError, match="^" + fault.replace("[", r"\[").replace("|", r"\|")):
        news.parse(markup)


# -- the set ---------------------------------------------------------------------------------------


def test_every_span_is_exact_non_overlapping_and_a_known_label():
    records = news.load()
    lines = [line.strip() for line in news.MARKUP.splitlines() if line.strip() and not line.startswith("#")]
    assert [_markup(r) for r in records] == lines
    for record in records:
        text, spans = record["text"], record["spans"]
        assert "[[" not in text and "]]" not in text
        for span in spans:
            assert span["type"] in metrics.LABELS
            value = text[span["start"]:span["end"]]
            assert value and value == value.strip(), (record["id"], value)
        assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:])), (record["id"], "spans overlap")


def test_person_spans_leave_titles_and_possessives_outside():
    for record in news.load():
        for span in record["spans"]:
            if span["type"] != "PERSON":
                continue
            value = record["text"][span["start"]:span["end"]]
            assert value.split()[0].rstrip(".") not in TITLES or len(value.split()) == 1, (record["id"], value)
            assert not value.endswith(("'s", "’s")), (record["id"], value)


def test_the_set_covers_every_label_it_claims_and_many_people():
    records = news.load()
    counts: dict[str, int] = {}
    for record in records:
        for span in record["spans"]:
            counts[span["type"]] = counts.get(span["type"], 0) + 1
    assert set(counts) == set(news.TAGS.values())
    assert counts["PERSON"] >= 250 and counts["LOCATION"] >= 250 and counts["ORGANIZATION"] >= 150
    assert len({r["text"] for r in records}) == len(records)
    assert sum(not any(s["type"] == "PERSON" for s in r["spans"]) for r in records) >= 50


def test_the_size_and_digest_are_stable():
    records = news.load()
    assert len(records) == SIZE
    assert _load_benchmark().canonical_digest(records) == DIGEST


# -- registration in the benchmark -----------------------------------------------------------------


def test_the_benchmark_reports_the_news_set_as_hand_annotated():
    bench = _load_benchmark()
    args = argparse.Namespace(n=5, seed=1, wnut_limit=3, dev=None)
    found, _ = bench.datasets(args)
    ds = next(d for d in found if d["name"] == "news-handwritten")
    assert ds["kind"] == "hand-annotated" and ds["size"] == SIZE and ds["digest"] == DIGEST
    assert ds["source"].startswith("hand-written news-style sentences annotated by a Stillroom engineer who did not "
                                   "read the detector, 2026-12-03")


def test_every_target_is_checked_on_every_independent_set_and_never_on_the_dev_set():
    bench = _load_benchmark()

    def scored(person, overall, precision):
        return {"per_entity": {"PERSON": {"recall": person}},
                "overall": {"recall": overall, "precision": precision}}

    kinds = {"news-handwritten": "hand-annotated", "wnut16-tweets": "human-annotated", "mine": "development"}
    results = {"accurate": {"news-handwritten": scored(0.93, 0.80, 0.90), "wnut16-tweets": scored(0.70, 0.90, 0.40),
                            "mine": scored(0.10, 0.10, 0.10)}}
    checks = bench.targets(results, None, kinds)["accurate"]
    assert checks == {
        "person_recall>=0.90@news-handwritten": True, "all_pii_recall>=0.85@news-handwritten": False,
        "precision>=0.85@news-handwritten": True,
        "person_recall>=0.90@wnut16-tweets": False, "all_pii_recall>=0.85@wnut16-tweets": True,
        "precision>=0.85@wnut16-tweets": False,
    }
