"""The Presidio scrubber with the real engines: detection, operators, residual scan, accuracy, offline."""

import gc
import json
import pickle
import subprocess
import sys

import pytest
import spacy
from presidio_analyzer import pattern_recognizer

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.errors import ConfigError, DataError
from stillroom.plugins.scrubbers.detect import resolve
from stillroom.plugins.scrubbers.evaluation import PATTERN_ENTITIES, labelled_corpus, score
from stillroom.plugins.scrubbers import presidio
from stillroom.plugins.scrubbers.presidio import PresidioScrubber
from stillroom.scrub import scrub_file

SECRET = b"workspace-secret-for-tests"
TEXT = (
    "My name is John Smith, I live in New York and work for Holland, Smith and Jones. "
    "Email john.smith@example.com or call (212) 555-0199. Card 4111 1111 1111 1111, "
    "IBAN GB82WEST12345698765432, SSN 536-22-8745, login from 192.168.10.7 on 4 March 2021 "
    "at https://bank.example.com/login today."
)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    return Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), secret=SECRET)


@pytest.fixture(scope="module")
def scrubber(ctx):
    # The fast profile: these tests are about the gazetteer and pattern path (the accurate
    # profile, with the NER model, is tested in test_scrub_profiles.py).
    scrubber = PresidioScrubber({"workers": 1, "profile": "fast"}, ctx)
    yield scrubber
    scrubber.close()


def found_types(scrubber, text):
    return {(s.type, text[s.start : s.end]) for s in scrubber.find([text])[0]}


def test_finds_every_builtin_entity_type_with_no_ner_model(scrubber):
    assert not spacy.util.is_package("en_core_web_lg")
    assert found_types(scrubber, TEXT) >= {
        ("PERSON", "John Smith"), ("LOCATION", "New York"), ("ORGANIZATION", "Holland, Smith and Jones"),
        ("EMAIL_ADDRESS", "john.smith@example.com"), ("PHONE_NUMBER", "(212) 555-0199"),
        ("CREDIT_CARD", "4111 1111 1111 1111"), ("IBAN_CODE", "GB82WEST12345698765432"),
        ("US_SSN", "536-22-8745"), ("IP_ADDRESS", "192.168.10.7"), ("DATE_TIME", "4 March 2021"),
        ("URL", "https://bank.example.com/login"),
    }


@pytest.mark.parametrize("date", ["14 de mayo de 1990", "3. Februar 1967", "8 novembre 1978", "1er janvier 1990",
                                  "14 maggio 1985", "2 de março de 1980", "14 mei 1990", "8 NOVEMBRE 1978"])
def test_a_date_written_out_in_another_european_language_is_a_date(scrubber, date):
    assert found_types(scrubber, f"Geburtsdatum / date of birth: {date}. Thanks") == {("DATE_TIME", date)}


def test_a_month_name_without_a_day_and_a_year_is_no_date(scrubber):
    assert found_types(scrubber, "Mai ist schön, and mars is red") == set()


def test_a_small_listed_town_after_in_or_to_is_a_place_but_a_first_name_stays_a_person(scrubber):
    # Towns under 100,000 people score below the threshold alone; "in"/"to" before them decides.
    assert found_types(scrubber, "I withdrew cash in Soest and was charged a fee.") == {("LOCATION", "Soest")}
    assert found_types(scrubber, "I moved to Lemgo last month.") == {("LOCATION", "Lemgo")}
    assert found_types(scrubber, "Soest is lovely.") == set()
    assert found_types(scrubber, "Please send the money to Jackson today.") == {("PERSON", "Jackson")}


def test_entities_say_which_method_covers_each_type(scrubber):
    methods = scrubber.entities()
    assert methods["PERSON"] == "gazetteer" and methods["LOCATION"] == "gazetteer"
    assert methods["CREDIT_CARD"] == "pattern+luhn" and methods["IBAN_CODE"] == "pattern+mod97"


def test_context_words_count_on_a_blank_pipeline(scrubber):
    # A lone surname scores 0.2; only the context word "name" lifts it over the
    # threshold, which needs the lemma fallback (a blank pipeline has no lemmas).
    artifacts = scrubber.detector.nlp.process_text("My surname is Holdaway", "en")
    assert artifacts.lemmas == ["my", "surname", "is", "holdaway"]
    assert found_types(scrubber, "My surname is Holdaway") == {("PERSON", "Holdaway")}
    assert found_types(scrubber, "The Holdaway branch was closed") == set()


def test_placeholder_scrub_replaces_values_and_counts_per_field(ctx):
    scrubber = PresidioScrubber({"fields": ["text", "note"], "workers": 1}, ctx)
    batch = [{"text": "Call Mary Jones on (212) 555-0199", "note": "mail mary@example.org", "label": "x"},
             {"text": "Why is my card declined?", "note": "none", "label": "y"}]
    scrubbed, report = scrubber.scrub(batch)
    assert scrubbed[0] == {"text": "Call <PERSON> on <PHONE_NUMBER>", "note": "mail <EMAIL_ADDRESS>", "label": "x"}
    assert scrubbed[1] == batch[1]
    assert report.records == 2
    assert report.counts == {"PERSON": {"text": 1}, "PHONE_NUMBER": {"text": 1}, "EMAIL_ADDRESS": {"note": 1}}
    assert report.methods["PHONE_NUMBER"] == "phonenumbers+pattern"
    assert batch[0]["text"].startswith("Call Mary"), "the input batch is left untouched"


def test_pseudonyms_are_consistent_per_key_and_hide_the_value(ctx):
    options = {"operator": "pseudonym", "workers": 1}
    batch = [{"text": "Card 4111 1111 1111 1111 belongs to Mary Jones"},
             {"text": "Mary Jones reported 4111-1111-1111-1111 stolen"}]
    first, _ = PresidioScrubber(options, ctx).scrub(batch)
    card = [w for w in first[0]["text"].split() if w.startswith("<CREDIT_CARD_")]
    assert card and card[0] in first[1]["text"], "one card, one pseudonym, whatever the separators"
    person = first[0]["text"].split("belongs to ")[1]
    assert person.startswith("<PERSON_") and person in first[1]["text"]
    assert "Mary" not in first[0]["text"] + first[1]["text"]
    other_ctx = Context(workspace=ctx.workspace, artifacts=ctx.artifacts, secret=b"another workspace")
    second, _ = PresidioScrubber(options, other_ctx).scrub(batch)
    assert second[0]["text"] != first[0]["text"]


def test_bad_options_are_refused_with_the_option_named(ctx):
    no_secret = Context(workspace=ctx.workspace, artifacts=ctx.artifacts)
    with pytest.raises(ConfigError, match="needs the workspace secret"):
        PresidioScrubber({"operator": "pseudonym"}, no_secret)
    with pytest.raises(ConfigError, match="'operator' must be"):
        PresidioScrubber({"operator": "redact"}, ctx)
    with pytest.raises(ConfigError, match="no recognizer for entity type 'PASSPORT'"):
        PresidioScrubber({"entities": ["PERSON", "PASSPORT"]}, ctx).entities()
    with pytest.raises(ConfigError, match="spaCy model 'en_core_web_trf' is not installed"):
        PresidioScrubber({"spacy_model": "en_core_web_trf"}, ctx).entities()


def test_custom_recognizers_from_the_policy(ctx):
    custom = [
        {"entity": "ACCOUNT_NUMBER", "regex": r"\bACC-\d{8}\b", "validation": "luhn", "context": ["account"]},
        {"entity": "PROJECT", "deny_list": ["Falcon"]},
    ]
    scrubber = PresidioScrubber({"custom_recognizers": custom, "workers": 1}, ctx)
    found = found_types(scrubber, "Account ACC-79927398 and ACC-79927391 for Falcon")
    assert ("ACCOUNT_NUMBER", "ACC-79927398") in found
    assert ("ACCOUNT_NUMBER", "ACC-79927391") not in found, "fails the Luhn check"
    assert ("PROJECT", "Falcon") in found
    assert scrubber.entities()["ACCOUNT_NUMBER"] == "pattern + checksum:luhn"
    with pytest.raises(ConfigError, match=r"custom_recognizers\[0\]: give a 'regex' or a 'deny_list'"):
        PresidioScrubber({"custom_recognizers": [{"entity": "X"}]}, ctx).entities()


def test_residual_scan_is_clean_after_scrubbing_and_names_place_not_value(scrubber, ctx):
    batch = [{"text": "fine"}, {"text": TEXT}]
    findings = scrubber.residual_scan(batch)
    assert {"record": 1, "field": "text", "type": "EMAIL_ADDRESS"} in [
        {k: f[k] for k in ("record", "field", "type")} for f in findings
    ]
    assert all(set(f) == {"record", "field", "type", "score"} for f in findings)
    for operator in ("placeholder", "pseudonym"):
        scrubbed, _ = PresidioScrubber({"operator": operator, "workers": 1}, ctx).scrub(batch)
        assert scrubber.residual_scan(scrubbed) == [], operator


def test_a_record_it_cannot_scan_within_the_regex_budget_stops_the_scrub_naming_record_field_recognizer(
        ctx, monkeypatch):
    """Uses a small budget: ``presidio_analyzer.pattern_recognizer.REGEX_TIMEOUT_SECONDS`` is
    monkeypatched to 1 s, which Presidio's URL pattern runs out of on the long "a.a.a." run.

    A record that cannot be scanned cannot be vouched for: never scrubbed half way, never
    reported clean by the residual scan, and the error holds no part of the value.
    """
    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", 1)
    value = "a." * 3000 + " reset at alice-reset.example.com/login"
    batch = [{"text": "fine", "title": "hello"}, {"text": "all fine", "title": value}]
    scrubber = PresidioScrubber({"fields": ["text", "title"], "workers": 1}, ctx)
    for call in (scrubber.scrub, scrubber.residual_scan):
        with pytest.raises(DataError) as caught:
            call(batch)
        message = str(caught.value)
        assert message.startswith(
            "scrubber presidio: record 1, field 'title', could not be fully scanned for PII"), message
        assert "recognizer UrlRecognizer (pattern 'Non schema URL')" in message
        assert "alice" not in message and "a.a." not in message and "example" not in message
    assert str(pickle.loads(pickle.dumps(caught.value))) == message  # it crosses from pool workers

    # From the pool, the record is named by its place in the batch, not in a worker's chunk.
    monkeypatch.setattr(presidio, "POOL_MIN_TEXTS", 2)
    pooled = PresidioScrubber({"workers": 2}, ctx)
    try:
        with pytest.raises(DataError, match=r"^scrubber presidio: record 4, field 'text',"):
            pooled.scrub([{"text": "fine"}] * 4 + [{"text": value}, {"text": "also fine"}])
    finally:
        pooled.close()


def test_the_garbage_collector_paused_for_a_batch_comes_back_as_it_was_even_when_a_record_fails(
        ctx, scrubber, monkeypatch):
    monkeypatch.setattr(pattern_recognizer, "REGEX_TIMEOUT_SECONDS", 1)
    unscannable = [{"text": "a." * 3000 + " reset at alice-reset.example.com/login"}]
    seen = []
    detect = scrubber.detector.detect
    monkeypatch.setattr(scrubber.detector, "detect", lambda texts: seen.append(gc.isenabled()) or detect(texts))
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            scrubber.scrub([{"text": "call Ada Lovelace on 020 7946 0958"}])
            with pytest.raises(DataError):
                scrubber.scrub(unscannable)
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False] * 4  # paused while the batches were scanned


def test_accuracy_on_generated_labelled_text(scrubber):
    corpus = labelled_corpus(200, seed=7)
    result = score(corpus, scrubber.find([item.text for item in corpus]))
    per_entity = result["per_entity"]
    for entity in PATTERN_ENTITIES:
        assert per_entity[entity]["recall"] >= 0.95, (entity, per_entity[entity])
    assert per_entity["PERSON"]["recall"] >= 0.85
    assert result["overall"]["recall"] >= 0.9 and result["overall"]["precision"] >= 0.9


def test_batched_path_finds_exactly_what_the_plain_engine_finds(scrubber):
    texts = [item.text for item in labelled_corpus(120, seed=3)] + ["why is my card declined?", "", "Hi"]
    detector = scrubber.detector
    plain = [resolve(t, [(r.entity_type, r.start, r.end, r.score) for r in detector.analyzer.analyze(t, "en")])
             for t in texts]
    assert detector.detect(texts) == plain


def test_process_pool_gives_the_same_result_as_one_process(ctx, scrubber):
    texts = [item.text for item in labelled_corpus(300, seed=5)]
    pooled = PresidioScrubber({"workers": 2, "profile": "fast"}, ctx)
    try:
        assert pooled.find(texts) == scrubber.find(texts)
    finally:
        pooled.close()


def test_nothing_is_fetched_from_the_network(tmp_path):
    # A fresh interpreter with every socket connection and DNS lookup refused:
    # building the engines (the accurate profile's NER model too), scrubbing an e-mail
    # (tldextract) and the independent residual scan must not try.
    script = """
import sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        raise RuntimeError(f"network attempt: {event}")
sys.addaudithook(refuse)
from pathlib import Path
from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.plugins.scrubbers import presidio
from stillroom.plugins.scrubbers.presidio import PresidioScrubber
root = Path(sys.argv[1])
s = PresidioScrubber({"workers": 1}, Context(workspace=root, artifacts=ArtifactStore(root)))
print(s.scrub([{"text": "mail jane@example.co.uk from Anna Schmidt"}])[0][0]["text"])
print(s.residual_scan([{"text": "nothing here"}]), s.evidence(0)["profile"])
"""
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == ["mail <EMAIL_ADDRESS> from <PERSON>", "[] accurate"]


def test_scrub_file_writes_scrubbed_records_or_spans(tmp_path, scrubber):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Email jane@example.com now", "label": "a"}) + "\n"
                   + json.dumps({"text": "no pii here", "label": "b"}) + "\n")
    report = scrub_file(src, tmp_path / "out.jsonl", field="text", spans=False, scrubber=scrubber)
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert lines == [{"text": "Email <EMAIL_ADDRESS> now", "label": "a"}, {"text": "no pii here", "label": "b"}]
    assert report.records == 2 and report.counts == {"EMAIL_ADDRESS": {"text": 1}}

    scrub_file(src, tmp_path / "spans.jsonl", field="text", spans=True, scrubber=scrubber)
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    assert spans[1] == {"spans": []}
    (span,) = spans[0]["spans"]
    assert set(span) == {"type", "start", "end", "score"}
    assert "Email jane@example.com now"[span["start"] : span["end"]] == "jane@example.com"


def test_scrub_file_on_malformed_input_names_the_line_and_writes_nothing(tmp_path, scrubber):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": "broken\n')
    out = tmp_path / "out.jsonl"
    out.write_text("previous output\n")
    with pytest.raises(DataError, match=r"in\.jsonl, line 2: is not valid JSON"):
        scrub_file(src, out, field="text", spans=False, scrubber=scrubber)
    assert out.read_text() == "previous output\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
