"""A run's scratch holds no training checkpoints once its students are stored: no other run resumes from them."""

from __future__ import annotations

from tinypipeline import PASS, add_people, write_pipeline

from stillroom import api
from stillroom.workspace import init_workspace


def test_a_finished_run_keeps_no_checkpoints_of_its_students_and_a_checkpoint_dir_keeps_its_own(tmp_path, monkeypatch):
    from stillroom.plugins.trainers import loop

    written, real = [], loop.save_state
    monkeypatch.setattr(loop, "save_state", lambda directory, *args: (written.append(directory), real(directory, *args)))
    ws = init_workspace(tmp_path / "ws", name="ws")
    add_people(ws)
    olga = api.sign_in(ws, "olga", PASS)
    spec = write_pipeline(tmp_path / "inputs")
    # the student and its labels-only baseline, each with a checkpoint at every epoch's end; the baseline, which
    # labels alone train, leaves out the student's KD settings (labels alone would refuse them)
    spec.write_text(spec.read_text().replace("baseline: false", "baseline: true")
                    .replace("student: {layers: 1, epochs: 1}", "student: {layers: 1, epochs: 2, alpha: 0.5}"))
    run = api.run(ws, api.load_spec(spec), as_user=olga)
    scratch = ws.root / "runs" / run.run_id
    assert {d.relative_to(scratch).parts[0] for d in written} == {"training-student", "training-baseline"}
    assert not any(d.exists() for d in written) and not list(scratch.glob("training-*"))
    assert run.artifacts["student"] and run.artifacts["baseline"]

    kept = tmp_path / "kept"
    written.clear()
    spec.write_text(spec.read_text().replace("alpha: 0.5}", f"alpha: 0.5, checkpoint_dir: {kept}}}"))
    api.run(ws, api.load_spec(spec), as_user=olga)
    assert written and all(d.is_relative_to(kept) and any(d.iterdir()) for d in written)


def test_a_pipeline_spec_may_search_kd_settings_on_validation_and_the_run_records_the_choice(tmp_path):
    """``student.search`` as the README shows it, through the spec check, the train stage and the ledger."""
    ws = init_workspace(tmp_path / "ws", name="ws")
    add_people(ws)
    spec = write_pipeline(tmp_path / "inputs")
    spec.write_text(spec.read_text().replace(
        "student: {layers: 1, epochs: 1}",
        "student: {layers: 1, epochs: 1, search: {temperature: [1, 4], alpha: [0.5], budget: 2}}"))
    run = api.run(ws, api.load_spec(spec), as_user=api.sign_in(ws, "olga", PASS))
    trained = next(e.payload for e in ws.ledger().entries(run_id=run.run_id, limit=1000) if e.kind == "stage.train")
    search = trained["outputs"]["search"]
    assert search["on"] == "validation" and {t["temperature"] for t in search["trials"]} == {1, 4}
