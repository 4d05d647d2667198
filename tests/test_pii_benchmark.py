"""The PII benchmark's own parts: gold spans, the scoring rule, the corpus parser, and one real run."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from pii_heldout import corpora, metrics, values  # noqa: E402
from pii_heldout.generate import generate, generate_with_values  # noqa: E402


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("pii_benchmark", BENCHMARKS / "pii.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the generator ---------------------------------------------------------------------------------


def test_the_generated_set_is_the_same_whatever_the_date():
    import time_machine

    benchmark = _load_benchmark()
    records = generate(300, seed=11)
    assert {"DATE_OF_BIRTH", "NATIONAL_ID"} <= {s["type"] for r in records for s in r["spans"]}
    for day in ("2027-02-28", "2031-07-19"):
        with time_machine.travel(day, tick=False):
            assert benchmark.canonical_digest(generate(300, seed=11)) == benchmark.canonical_digest(records), day


@pytest.mark.parametrize("locale", sorted(values.LOCALES))
def test_every_gold_span_is_exactly_an_inserted_value(locale):
    labels = set()
    for record, inserted in generate_with_values(40, seed=7, locales=[locale]):
        text, spans = record["text"], record["spans"]
        assert [text[s["start"]:s["end"]] for s in spans] == [value for _, value in inserted]
        assert [s["type"] for s in spans] == [label for label, _ in inserted]
        for s in spans:
            value = text[s["start"]:s["end"]]
            assert value and value == value.strip(), (locale, value)
            assert s["type"] in metrics.LABELS
        ends = [(s["start"], s["end"]) for s in spans]
        assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:])), "gold spans overlap"
        if record["negative"]:
            assert {s["type"] for s in spans} <= {"ORGANIZATION"}
        labels |= {s["type"] for s in spans}
    assert "PERSON" in labels


def test_the_set_is_seeded_and_covers_every_label_and_negatives():
    first, again, other = generate(600, seed=11), generate(600, seed=11), generate(600, seed=12)
    assert first == again and first != other
    labels = {s["type"] for r in first for s in r["spans"]} | {
        s["type"] for r in generate(60, seed=11, locales=["en_US"]) for s in r["spans"]}
    assert labels == set(metrics.LABELS)
    assert 0.1 < sum(r["negative"] for r in first) / len(first) < 0.3
    assert len({r["locale"] for r in first}) == len(values.LOCALES)
    assert any("\n" in r["text"][s["start"]:s["end"]] or "\n" in r["text"] for r in first
               for s in r["spans"] if s["type"] == "STREET_ADDRESS")


def test_the_reported_set_is_the_same_in_every_process(tmp_path):
    # Python randomises str hashing per process; a provider that draws from a set would change the records.
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"set-{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, str(BENCHMARKS / "pii_heldout" / "generate.py"), "--n", "1500", "--out",
                        str(out)], check=True, env=env, timeout=120)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def _luhn(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def test_ibans_and_cards_are_well_formed_in_every_locale():
    assert values.is_iban("GB82 WEST 1234 5698 7654 32") and not values.is_iban("GB82 WEST 1234 5698 7654 33")
    assert not values.is_iban("GB63YCUC6443648577390")  # one character short: Faker's fallback for some locales
    records = generate(1500, seed=5)
    for r in records:
        for s in r["spans"]:
            value = r["text"][s["start"]:s["end"]]
            if s["type"] == "IBAN_CODE":
                assert values.is_iban(value), (r["locale"], value)
            if s["type"] == "CREDIT_CARD":
                assert _luhn(value) and 14 <= sum(ch.isdigit() for ch in value) <= 19, (r["locale"], value)


# -- the scoring rule -------------------------------------------------------------------------------

TEXT = "Call Anna Berg at 030 1234567 from Barclays, 12 Elm Road, Leeds"
#       0    5         15  18          30   35       44 46        56 58


def _gold(*spans, ignore=()):
    return {"text": TEXT, "spans": [{"type": t, "start": s, "end": e} for t, s, e in spans],
            "ignore": [{"start": s, "end": e} for s, e in ignore]}


def _found(*spans):
    return [{"type": t, "start": s, "end": e} for t, s, e in spans]


def test_exact_detections_score_one_and_half_coverage_is_the_threshold():
    gold = [_gold(("PERSON", 5, 14))]
    assert metrics.score(gold, [_found(("PERSON", 5, 14))])["overall"] == {
        "precision": 1.0, "recall": 1.0, "f2": 1.0, "support": 1, "detected": 1}
    assert metrics.score(gold, [_found(("PERSON", 5, 8))])["overall"]["recall"] == 0.0   # 3 of 9 characters
    assert metrics.score(gold, [_found(("PERSON", 5, 10))])["overall"]["recall"] == 1.0  # 5 of 9
    # two pieces together cover 6 of 9 characters: the union counts
    assert metrics.score(gold, [_found(("PERSON", 5, 8), ("PERSON", 10, 13))])["overall"]["recall"] == 1.0


def test_type_agnostic_and_type_aware_differ_when_the_type_is_wrong():
    gold = [_gold(("PERSON", 5, 14), ("STREET_ADDRESS", 46, 56))]
    result = metrics.score(gold, [_found(("LOCATION", 5, 14), ("LOCATION", 46, 56))])
    assert result["overall"]["recall"] == 1.0 and result["overall"]["precision"] == 1.0
    assert result["overall_type_aware"]["recall"] == 0.5  # the address as LOCATION counts, the person does not
    assert result["per_entity"]["PERSON"]["recall"] == 0.0
    assert result["per_entity"]["STREET_ADDRESS"]["recall"] == 1.0
    assert result["per_entity"]["LOCATION"]["precision"] == 0.5 and result["per_entity"]["LOCATION"]["detected"] == 2


def test_false_positives_lower_precision_and_f2_weighs_recall():
    gold = [_gold(("PHONE_NUMBER", 18, 29)), {"text": "nothing here at all", "spans": []}]
    result = metrics.score(gold, [_found(("PHONE_NUMBER", 18, 29)), _found(("PERSON", 0, 7))])
    assert result["overall"]["precision"] == 0.5 and result["overall"]["recall"] == 1.0
    assert result["overall"]["f2"] == round(5 * 0.5 * 1.0 / (4 * 0.5 + 1.0), 4)
    assert result["false_positives_by_type"] == {"PERSON": 1}
    assert metrics.f_beta(1.0, 0.5) == pytest.approx(5 * 0.5 / (4 + 0.5))


def test_organizations_are_reported_apart_and_not_counted_as_pii():
    gold = [_gold(("PERSON", 5, 14), ("ORGANIZATION", 35, 43))]
    as_org = metrics.score(gold, [_found(("PERSON", 5, 14), ("ORGANIZATION", 35, 43))])
    assert as_org["overall"]["support"] == 1 and as_org["overall"]["detected"] == 1
    assert as_org["per_entity"]["ORGANIZATION"] == {"precision": 1.0, "recall": 1.0, "f2": 1.0, "support": 1,
                                                    "detected": 1}
    as_person = metrics.score(gold, [_found(("PERSON", 5, 14), ("PERSON", 35, 43))])
    assert as_person["overall"]["precision"] == 0.5  # calling the bank a person is a false positive
    assert as_person["per_entity"]["ORGANIZATION"]["recall"] == 0.0


def test_ignored_regions_and_unannotated_types_count_neither_way():
    gold = [_gold(("PERSON", 5, 14), ignore=[(35, 43)])]
    detected = [_found(("PERSON", 5, 14), ("PERSON", 35, 43), ("URL", 46, 56))]
    restricted = metrics.score(gold, detected, scored_types=("PERSON", "LOCATION", "ORGANIZATION"))
    assert restricted["overall"]["precision"] == 1.0 and restricted["overall"]["detected"] == 1
    full = metrics.score(gold, detected)
    assert full["overall"]["detected"] == 2 and full["overall"]["precision"] == 0.5  # the URL is now a miss


def test_a_detection_list_per_record_is_required():
    with pytest.raises(ValueError, match="2 gold records but 1"):
        metrics.score([_gold(), _gold()], [[]])


def test_detected_type_names_map_to_gold_labels():
    assert metrics.primary_label("DATE_TIME") == "DATE_OF_BIRTH"
    assert metrics.primary_label("UK_NHS") == "NATIONAL_ID"
    assert metrics.primary_label("URL") is None


# -- the human-annotated corpus parser and the dataset digest -----------------------------------------


def test_bio_tags_become_character_spans_and_other_types_are_ignored():
    lines = ["Meet\tO", "Jane\tB-person", "Doe\tI-person", "in\tO", "New\tB-geo-loc", "York\tI-geo-loc",
             "at\tO", "MoMA\tB-facility", "\t", "Acme\tB-company", "rocks\tO", "\t"]
    first, second = corpora.parse_bio(lines, corpora.WNUT16_TYPES, "t")
    assert first["text"] == "Meet Jane Doe in New York at MoMA"
    assert [(s["type"], first["text"][s["start"]:s["end"]]) for s in first["spans"]] == [
        ("PERSON", "Jane Doe"), ("LOCATION", "New York")]
    assert [first["text"][s["start"]:s["end"]] for s in first["ignore"]] == ["MoMA"]
    assert [(s["type"], second["text"][s["start"]:s["end"]]) for s in second["spans"]] == [("ORGANIZATION", "Acme")]


def test_the_digest_names_the_labelled_records_not_their_order_of_spans():
    bench = _load_benchmark()
    a = {"text": "Jane at 1 Elm St", "spans": [{"type": "PERSON", "start": 0, "end": 4},
                                              {"type": "STREET_ADDRESS", "start": 8, "end": 16}]}
    b = {"text": a["text"], "spans": list(reversed(a["spans"]))}
    c = {"text": a["text"], "spans": [{"type": "PERSON", "start": 0, "end": 3}, a["spans"][1]]}
    assert bench.canonical_digest([a]) == bench.canonical_digest([b]) != bench.canonical_digest([c])
    assert bench.canonical_digest([a]).startswith("sha256:")


# -- one real run ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_benchmark_runs_against_the_real_scrubber_and_records_the_schema(tmp_path):
    measured = tmp_path / "measured.json"
    env = {k: v for k, v in os.environ.items() if k != "STILLROOM_WORKSPACE"}
    done = subprocess.run([sys.executable, str(BENCHMARKS / "pii.py"), "--quick", "--n", "40", "--wnut-limit", "40",
                           "--speed-n", "40", "--record", "--record-to", str(measured)],
                          capture_output=True, text=True, timeout=600, check=False, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    profiles = report["profiles"]["measured"]
    assert profiles in (["default"], ["accurate", "fast"])
    synthetic = report["results"][profiles[0]]["multilocale-synthetic"]
    assert synthetic["overall"]["support"] > 0 and 0 <= synthetic["overall"]["recall"] <= 1
    assert set(report["speed"]["records_per_s"]) == {*profiles, "naive_presidio"}
    assert all(v > 0 for v in report["speed"]["records_per_s"].values())
    assert set(report["speed"]["records_per_cpu_s"]) == {*profiles, "naive_presidio"}
    assert set(report["speed"]["ratio_per_cpu_s_vs_naive_presidio"]) == set(profiles)

    doc = json.loads(measured.read_text())
    assert set(doc) == {"measured_at", "command", "datasets", "results"}
    assert len(doc["measured_at"]) == 10 and "--quick" in doc["command"] and "--record-to" not in doc["command"]
    kinds = {"synthetic-multilocale", "human-annotated", "hand-annotated", "development"}
    for ds in doc["datasets"]:
        assert set(ds) == {"name", "kind", "size", "digest", "source"}
        assert ds["kind"] in kinds and ds["digest"].startswith("sha256:") and ds["size"] > 0
    assert set(doc["results"]) == set(profiles)
    for by_set in doc["results"].values():
        assert set(by_set) == {ds["name"] for ds in doc["datasets"]}
        for scored in by_set.values():
            assert set(scored) == {"overall", "per_entity"}
            assert set(scored["overall"]) == {"precision", "recall", "f2", "support"}
            assert all(set(v) == {"precision", "recall", "f2", "support"} for v in scored["per_entity"].values())


def test_a_development_set_is_read_and_a_bad_span_is_refused_naming_the_line(tmp_path):
    bench = _load_benchmark()
    good = tmp_path / "dev.jsonl"
    good.write_text(json.dumps({"text": "Jane Doe", "spans": [{"type": "PERSON", "start": 0, "end": 8}]}) + "\n")
    assert bench.load_dev(good) == [{"text": "Jane Doe", "spans": [{"type": "PERSON", "start": 0, "end": 8}],
                                     "ignore": []}]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + json.dumps({"text": "Jo", "spans": [{"type": "PERSON", "start": 0, "end": 9}]}))
    with pytest.raises(bench.BenchmarkError, match="bad.jsonl line 2 is not a labelled record"):
        bench.load_dev(bad)
