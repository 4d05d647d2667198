"""The scrub stage through the real pipeline: every named field scrubbed, the detectors and
their measured recall in the ledger, and an organisation's own NER model residency-checked."""

from __future__ import annotations

import json
import shutil

import pytest

from stillroom.errors import RunRefused
from stillroom.pipeline import run_pipeline
from stillroom.plugins.scrubbers.detect import pseudonym
from stillroom.plugins.scrubbers.model_ner import builtin_model_dir, model_digest
from stillroom.store import crud
from tests.people import adopt_policy
from tests.test_pipeline import TestPlugin, entries, plugins, spec  # noqa: F401  (plugins is a fixture)


@pytest.fixture
def data_file(workspace):
    # 120, not fewer: a record's split follows its scrubbed text, and with a pseudonym operator that holds a
    # per-workspace key, so a handful of records could leave the test split empty (the evaluate stage refuses).
    rows = [{"text": f"my card {i} is lost, José Álvarez", "label": "card", "owner": "Anna Schmidt"} for i in range(120)]
    rows += [{"text": f"refund {i} please", "label": "refund", "owner": "branch"} for i in range(10)]
    path = workspace.root / "data.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def confidential(data_file, **scrub):
    return spec(data_file, source={"type": "jsonl", "path": str(data_file), "classification": "confidential"},
                data={"label_field": "label", "slice_fields": ["owner"]}, evaluators=["accuracy"], scrub={"type": "presidio", "workers": 1, **scrub})


@pytest.mark.slow
def test_every_named_field_is_scrubbed_and_the_ledger_names_both_detectors_and_the_recall(workspace, plugins, data_file):
    run = run_pipeline(workspace, confidential(data_file, fields=["text"]), initiator="op", plugins=plugins,
                       progress=False)
    report = workspace.artifacts.read_json(run.artifacts["scrub_report"])
    # The slice field was left out of `fields`, and is scrubbed all the same: the spec names it.
    assert report["counts"]["PERSON"] == {"text": 120, "owner": 120}
    (scrub,) = [e for e in entries(workspace) if e["kind"] == "stage.scrub"]
    detection = scrub["payload"]["outputs"]["detection"] if "payload" in scrub else scrub["outputs"]["detection"]
    assert detection["profile"] == "accurate" and "NER model rampart" in detection["detector"]
    assert "spaCy NER model en_core_web_sm" in detection["residual_detector"]
    assert detection["model"]["digest"] == model_digest(builtin_model_dir())
    # The shipped measurement (plugins/scrubbers/measured.json), per labelled set, beside the residual count.
    synthetic, tweets, news = detection["summary"]
    assert synthetic.startswith("measured recall") and "multilocale-synthetic (synthetic-multilocale, 2000 records" in synthetic
    assert "PERSON" in synthetic and "sha256:" in synthetic and "wnut16-tweets (human-annotated" in tweets
    assert all(line.endswith("0 residual finding(s) by the independent scan") for line in detection["summary"])
    assert {m["name"] for m in detection["measured"]} == {"multilocale-synthetic", "wnut16-tweets", "news-handwritten"}
    assert report["detection"] == detection
    everything = " ".join(json.dumps(e, ensure_ascii=False) for e in entries(workspace))
    assert "Schmidt" not in everything and "Álvarez" not in everything


@pytest.mark.slow
def test_a_spec_with_operator_pseudonym_writes_one_keyed_pseudonym_per_value(workspace, plugins, data_file):
    run = run_pipeline(workspace, confidential(data_file, fields=["text"], operator="pseudonym"),
                       initiator="op", plugins=plugins, progress=False)
    rows = [json.loads(line) for line in workspace.artifacts.read_bytes(run.artifacts["scrubbed"]).decode().splitlines()]
    owners = {row["owner"] for row in rows if row["label"] == "card"}
    # One name, one pseudonym in every record: the workspace secret's HMAC of the value, never the value.
    assert owners == {pseudonym(workspace.secret(), "PERSON", "Anna Schmidt")}
    assert all(pseudonym(workspace.secret(), "PERSON", "José Álvarez") in row["text"] for row in rows[:120])
    scrubbed = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    assert "Schmidt" not in scrubbed and "Álvarez" not in scrubbed and "<PERSON>" not in scrubbed


@pytest.mark.slow
def test_an_own_ner_model_outside_the_boundary_refuses_the_run_before_any_data_moves(workspace, plugins, data_file,
                                                                                      tmp_path):
    own = tmp_path / "elsewhere" / "ner"
    shutil.copytree(builtin_model_dir(), own)
    policy = workspace.policy_dir / "residency.yaml"
    policy.write_text(policy.read_text().replace('paths: ["/"]', f'paths: ["{workspace.root}"]'))
    adopt_policy(workspace)
    with pytest.raises(RunRefused, match=f"the scrubber model at {own.as_uri()} is in no region the residency policy knows"):
        run_pipeline(workspace, confidential(data_file, ner={"path": str(own), "kind": "onnx"}), initiator="op",
                     plugins=plugins, progress=False)
    with workspace.session() as s:
        run = crud.list_runs(s)[0]
        assert run.status == "refused"
        assert [st.status for st in crud.list_stages(s, run_id=run.id)] == ["failed"]  # preflight only: no ingest
