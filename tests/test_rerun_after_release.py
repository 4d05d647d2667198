"""Issue 11 item 12: after a pipeline's first release, the next run must still export and open a request.

The regression evaluator compares each slice with the last released student;
its rows (previous, current, drop, n) once reached the model card's slice
table, which read ``row["accuracy"]``: every re-run crashed in export with
``KeyError: 'accuracy'``. Two real runs, a real release in between.
"""

from __future__ import annotations

import json

from stillroom.approvals import decide, get_request
from stillroom.pipeline import run_pipeline
from stillroom.release import build_release
from stillroom.users import unlock
from tests.people import setup_user
from tests.test_pipeline import plugins, spec  # noqa: F401  (the fixture: throwaway teacher, trainer, exporter)

PASS = "correct horse battery"


def release(workspace, run, tmp_path) -> None:
    request = get_request(workspace, run.summaries["request"]["request_id"])
    failing = [g["gate"] for g in request.gates if not g["passed"]]
    for name in ("sam", "lena"):
        decide(workspace, request.id, unlock(workspace, name, PASS), decision="approve", waive=failing)
    build_release(workspace, request.id, tmp_path / f"bundle-{run.run_id}", actor="op")
    assert get_request(workspace, request.id).status == "released"


def test_a_rerun_after_a_release_exports_a_card_with_the_regression_table(workspace, plugins, tmp_path):  # noqa: F811
    for name, roles in (("sam", ["security"]), ("lena", ["legal"])):
        setup_user(workspace, name, roles, PASS, actor="admin")
    rows = [{"text": f"my card {i} is lost", "label": "card", "channel": ["app", "web"][i % 2]} for i in range(120)]
    rows += [{"text": f"refund {i} please", "label": "refund", "channel": ["app", "web"][i % 2]} for i in range(80)]
    data = workspace.root / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pipeline = spec(data, data={"label_field": "label", "slice_fields": ["channel"]},
                    evaluators=["accuracy", "slices", "regression"])

    first = run_pipeline(workspace, pipeline, initiator="op", plugins=plugins, progress=False)
    release(workspace, first, tmp_path)
    second = run_pipeline(workspace, pipeline, initiator="op", plugins=plugins, progress=False)

    assert second.summaries["export"]["status"] == "succeeded"
    regression = next(e for e in second.evaluations["student"] if e.evaluator == "regression")
    assert regression.metrics["regression_slices_compared"] >= 2
    card = workspace.artifacts.read_bytes(second.artifacts["model_card"]).decode()
    assert "## Slices by channel" in card
    assert "## Regression against the last release: channel" not in card  # rows are keyed field=value
    assert "## Regression against the last release" in card
    assert "| channel=app |" in card and "| previous release accuracy | student accuracy | drop |" in card
