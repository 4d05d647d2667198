"""The scrubber-distillation benchmark end to end in its quick mode: a student is distilled, exported, scored
beside the teacher on development sets, timed, and loads in the scrubber as an organisation's own ONNX model."""

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_run_scores_teacher_and_student_on_the_same_sets_and_keeps_a_loadable_student(tmp_path):
    spec = importlib.util.spec_from_file_location("scrubber_distil", ROOT / "benchmarks" / "scrubber_distil.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    if not bench.BANKING77.is_file():
        pytest.skip(f"the shared Banking77 sample is not at {bench.BANKING77}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench.main(["--quick", "--out", str(tmp_path / "student")]) == 0
    result = json.loads(out.getvalue())
    sets = result["development_sets"]
    assert set(sets["teacher"]) == set(sets["student"]) == {"people", "articles"}
    for name in sets["teacher"]:
        assert sets["teacher"][name]["records"] == sets["student"][name]["records"] > 100
        gap = round((sets["student"][name]["recall"] - sets["teacher"][name]["recall"]) * 100, 1)
        assert result["recall_gap_points"][name] == gap
    assert result["student"]["layers_from_teacher"] == [0, 5] and len(result["student"]["loss_per_epoch"]) == 1
    speed = result["model_records_per_cpu_s"]
    assert speed["teacher_4bit"] > 0 and speed["student_fp32"] > 0
    assert result["meets_stretch"]["speed_at_least_3x"] == (speed["student_fp32"] >= 3 * speed["teacher_4bit"])

    from stillroom.components import Context
    from stillroom.plugins.scrubbers.presidio import PresidioScrubber

    scrubber = PresidioScrubber({"workers": 1, "ner": {"path": str(tmp_path / "student"), "kind": "onnx"}},
                                Context(workspace=tmp_path, artifacts=None))
    text = "Please call Maria Gonzalez on +44 20 7946 0958."
    assert ("PHONE_NUMBER", "+44 20 7946 0958") in {(s.type, text[s.start:s.end]) for s in scrubber.find([text])[0]}
    assert scrubber.model_digest().startswith("sha256:")
