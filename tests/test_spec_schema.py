"""The spec reference (issue 18): ``stillroom spec schema`` is the models' JSON Schema, and ``docs/spec.md``
describes every key the models define, generated, so neither can drift from what a run accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from stillroom import spec_reference
from stillroom.config import PipelineSpec

DOCS = Path(__file__).resolve().parents[1] / "docs" / "spec.md"


def test_every_key_of_the_spec_models_is_described_with_an_example():
    keys = [key for key, _ in spec_reference.keys()]
    assert sorted(set(keys) - set(spec_reference.KEYS)) == []  # a new key needs a line in KEYS
    assert sorted(set(spec_reference.KEYS) - set(keys)) == []  # and a removed one loses it
    assert {"teacher.base", "teacher.fine_tune.min_accuracy", "target.max_mb", "data.limit"} <= set(keys)


def test_docs_spec_md_is_what_the_models_generate():
    assert DOCS.read_text() == spec_reference.render(), \
        "docs/spec.md is stale: python -m stillroom.spec_reference > docs/spec.md"


def test_spec_schema_prints_the_models_json_schema():
    result = subprocess.run([sys.executable, "-m", "stillroom.cli", "spec", "schema"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema == PipelineSpec.model_json_schema()
    assert {"source", "teacher"} <= set(schema["required"]) and "target" in schema["properties"]
