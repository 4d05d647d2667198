"""Export: exporters write the student (loaded by digest) in deployable formats; a model card beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stillroom import residency
from stillroom.run.stages.base import Skip, Stage
from stillroom.run.stages.choose import chosen as _chosen


def export(run) -> dict[str, Any]:
    task = run.components["teacher"].task
    chosen = _chosen(run, "exporter", task)
    if not chosen:
        raise Skip("no exporter configured")
    exported: dict[str, dict[str, str]] = {}
    student = run.students["student"]
    root = run.workspace.root / "exports" / run.run_id
    for name, options in chosen:
        exporter = run.plugins.component("exporter", name)(options, run.ctx)
        residency.check_location("exporter", exporter.location(), run.spec.source.classification,
                                 run.policy.residency)
        dest = root / name
        files = exporter.export(student, dest, texts=run.dataset.test.texts)
        exported[name] = {str(Path(f).relative_to(dest)): run.workspace.artifacts.put_file(Path(f)) for f in files}
    run.artifacts["exports"] = run.workspace.artifacts.put_json(exported)
    card = _model_card(run, root / "card")
    if card is not None:
        run.artifacts["model_card"] = run.workspace.artifacts.put_file(card)
    return {"exporters": [name for name, _ in chosen], "files": exported,
            "model_card": run.artifacts.get("model_card")}


def _model_card(run, directory: Path) -> Path | None:
    try:
        from stillroom.plugins.exporters.card import write_model_card
    except ImportError:
        return None
    teacher = run.components["teacher"]
    return write_model_card(
        directory,
        name=run.spec.name,
        task=teacher.task,
        teacher={"name": teacher.name, "location": teacher.location(), "fingerprint": teacher.fingerprint()},
        data={k.removeprefix("split."): v for k, v in run.artifacts.items() if k.startswith("split.")},
        evaluations=run.evaluations.get("student", []),
        baseline=run.evaluations.get("baseline", []),
        pii_detection=run.summaries.get("scrub", {}).get("detection"),
        intended_use=f"{teacher.task} for the {run.spec.name} pipeline, inside the organisation's boundary",
        limitations=["Measured only on the held-out split of the source named above.",
                     "Inherits the teacher's biases; slices below the reporting threshold are not gated."],
    )


STAGE = Stage("export", export, reads=("student", "dataset", "split.*", "evaluation"),
              writes=("exports", "model_card"))
