"""The policy's never-PII and always-PII term lists, applied by the core to any scrubber's spans,
and the replaced values' shapes in the scrub report (never the values)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context, Scrubber, Span
from stillroom.errors import ConfigError
from stillroom.pii_lists import DENIED, TermLists, scrub_batch, shape
from stillroom.policy import load_policy

POLICIES = Path(__file__).resolve().parents[1] / "policies"
STILLROOM = str(Path(sys.executable).parent / "stillroom")


class Capitals(Scrubber):
    """A scrubber as crude as some are: every capitalised word is a PERSON. Enough to show the post-filter
    applies to any plugin's spans, not only Presidio's."""

    name = "capitals"

    def entities(self):
        return {"PERSON": "pattern"}

    def find(self, texts):
        import re

        return [[Span("PERSON", m.start(), m.end(), 0.9) for m in re.finditer(r"\b[A-Z][a-z]+\b", t)] for t in texts]

    def scrub(self, batch):
        raise AssertionError("the core replaces through find and replace, never the plugin's own scrub")


@pytest.fixture
def capitals(tmp_path):
    return Capitals({"fields": ["text"]}, Context(workspace=tmp_path, artifacts=ArtifactStore(tmp_path / "a")))


def test_a_span_wholly_inside_a_never_pii_term_is_kept_in_the_text(capitals):
    lists = TermLists(never=("Apple Pay", "Google Pay"))
    clean, report = scrub_batch(capitals, lists, [{"text": "Can Maria use apple  pay or Google Pay here?"}], ["text"])
    assert clean[0]["text"] == "<PERSON> use apple  pay or Google Pay here?"  # "Can" "Maria": one placeholder
    assert (report.allowed, report.denied, report.counts) == (2, 0, {"PERSON": {"text": 2}})


def test_a_span_reaching_beyond_a_never_pii_term_is_replaced_whole():
    text = "Tim Apple Pay"
    spans, dropped, _ = TermLists(never=("Apple Pay",)).filter(text, [Span("PERSON", 0, 9, 0.8)])
    assert spans == [Span("PERSON", 0, 9, 0.8)] and dropped == 0


def test_terms_match_whole_words_only():
    lists = TermLists(never=("Pay",), always=("Falcon",))
    spans, dropped, added = lists.filter("Payment for Falconer", [Span("PERSON", 0, 7, 0.7)])
    assert (spans, dropped, added) == ([Span("PERSON", 0, 7, 0.7)], 0, 0)


def test_an_always_pii_term_is_replaced_and_swallows_what_it_overlaps(capitals):
    lists = TermLists(always=("project falcon",))
    clean, report = scrub_batch(capitals, lists, [{"text": "status of Project Falcon today", "n": 1}], ["text"])
    # "Project" and "Falcon" found by the scrubber, and the listed term over both: one span, nothing leaks
    assert clean[0] == {"text": "status of <DENY_LISTED> today", "n": 1}
    assert report.denied == 1 and report.methods[DENIED] == "policy"
    spans, _, _ = lists.filter("about project falcon.", [])
    assert spans == [Span(DENIED, 6, 20, 1.0)]


def test_the_report_holds_shapes_of_replaced_values_never_the_values(capitals):
    batch = [{"text": "Maria Lopez paid"}, {"text": "Ann sent it"}, {"text": "Maria asked"}]
    _, report = scrub_batch(capitals, TermLists(), batch, ["text"])
    assert report.shapes == {"PERSON": {"Xxxxx": 3, "Xxx": 1}}
    merged = report.merge(report).as_dict()
    assert merged["shapes"] == {"PERSON": [["Xxxxx", 6], ["Xxx", 2]]} and merged["lists"] == {"allowed": 0, "denied": 0}
    assert "Maria" not in json.dumps(merged) and "Lopez" not in json.dumps(merged)


@pytest.mark.parametrize("value, expected", [("John Smith", "Xxxx Xxxxx"), ("4111-1111", "dddd-dddd"),
                                             ("Bartholomew", "Xxxxx"), ("jo@x.io", "xx@x.xx"),
                                             ("1" * 40, "dddd")])
def test_shapes_cut_each_run_at_four(value, expected):
    assert shape(value) == expected


def test_an_operator_the_default_replace_would_ignore_is_refused(tmp_path):
    pseudonymising = Capitals({"fields": ["text"], "operator": "pseudonym"}, Context(workspace=tmp_path, artifacts=None))
    with pytest.raises(ConfigError, match="operator 'pseudonym' needs the plugin to implement Scrubber.replace"):
        scrub_batch(pseudonymising, TermLists(), [{"text": "Hi Ann"}], ["text"])


@pytest.mark.parametrize("lines, message", [
    ('  never_pii: ["Apple Pay"]\n  always_pii: ["apple pay"]\n', "'apple pay' is in both never_pii and always_pii"),
    ('  never_pii: ["  "]\n', "item 0 is blank"),
])
def test_a_bad_list_in_the_policy_is_refused_naming_the_file(tmp_path, lines, message):
    shutil.copytree(POLICIES, tmp_path / "policies")
    with open(tmp_path / "policies" / "residency.yaml", "a") as f:
        f.write(lines)
    with pytest.raises(ConfigError, match=message) as refused:
        load_policy(tmp_path / "policies")
    assert "residency.yaml" in str(refused.value)


def test_stillroom_scrub_applies_the_lists_of_the_policy_it_is_given(tmp_path):
    """Through the CLI with the real Presidio scrubber (fast profile): a name the policy lists as never PII
    stays, a code word it lists as always PII goes, and the output says how many of each and which shapes."""
    shutil.copytree(POLICIES, tmp_path / "policies")
    with open(tmp_path / "policies" / "residency.yaml", "a") as f:
        f.write('  never_pii: ["John Smith"]\n  always_pii: ["Bluebird"]\n')
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "John Smith asked about Bluebird; call Mary Jones on 212-555-0199."}) + "\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STILLROOM_")}, "HF_HUB_OFFLINE": "1"}
    base = [STILLROOM, "scrub", str(source), "--profile", "fast", "--out"]
    plain = subprocess.run([*base, str(tmp_path / "plain.jsonl")], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=300)
    listed = subprocess.run([*base, str(tmp_path / "out.jsonl"), "--policy", str(tmp_path / "policies")],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert plain.returncode == 0 and listed.returncode == 0, listed.stderr
    assert "John Smith" not in (tmp_path / "plain.jsonl").read_text()
    text = json.loads((tmp_path / "out.jsonl").read_text())["text"]
    assert text.startswith("John Smith asked about <DENY_LISTED>;") and "Mary" not in text and "0199" not in text
    assert "1 span(s) kept as never PII, 1 added as always PII" in listed.stdout
    assert "PERSON shapes: Xxxx Xxxxx (1)" in listed.stdout and "Jones" not in listed.stdout


def test_a_policy_without_lists_keeps_its_digest_and_one_with_them_gets_another(tmp_path):
    shutil.copytree(POLICIES, tmp_path / "policies")
    plain = load_policy(tmp_path / "policies")
    assert "never_pii" not in plain.model_dump(mode="json")["residency"]  # requests opened before stay valid
    with open(tmp_path / "policies" / "residency.yaml", "a") as f:
        f.write('  never_pii: ["Apple Pay"]\n')
    listed = load_policy(tmp_path / "policies")
    assert listed.model_dump(mode="json")["residency"]["never_pii"] == ["Apple Pay"]
    assert listed.digest != plain.digest
