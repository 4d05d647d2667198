"""The model card: a README.md in the Hugging Face format, from what the run measured.

The YAML header is what the Hub and ``huggingface_hub.ModelCard`` read
(``pipeline_tag``, ``tags``, ``model-index`` with the test metrics); the body
says what a reviewer needs: the teacher, the data digests, the metrics beside
the teacher's, the slice tables and charts, intended use and limitations.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stillroom.components import Evaluation

PIPELINE_TAGS = {
    "classification": "text-classification",
    "embedding": "sentence-similarity",
    "causal-lm": "text-generation",
}
CARD_METRICS = (
    "accuracy",
    "macro_f1",
    "ece",
    "agreement",
    "mean_kl",
    "cosine",
    "worst_slice_drop",
    "p50_ms",
    "p95_ms",
    "size_mb",
)


def write_model_card(
    directory: Path,
    *,
    name: str,
    task: str,
    teacher: Mapping[str, str],
    data: Mapping[str, str],
    evaluations: Sequence[Evaluation],
    intended_use: str,
    limitations: Sequence[str],
    license: str = "other",
    baseline: Sequence[Evaluation] = (),
    pii_detection: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``README.md`` (and the slice charts it shows) into ``directory``; return the card's path.

    ``teacher`` holds ``name``, ``location`` and ``fingerprint``; ``data`` maps
    each split (or source) to its sha256 digest. ``baseline`` holds the
    evaluations of the same student trained on labels alone, shown beside the
    student's metrics so a reader sees what distillation added. ``pii_detection``
    is the scrub stage's ``detection`` (see ``PresidioScrubber.evidence``): the
    detectors and their measured recall, shown beside the residual findings.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    metrics = {k: v for e in evaluations for k, v in e.metrics.items()}
    baseline_metrics = {k: v for e in baseline for k, v in e.metrics.items()}
    header = {
        "license": license,
        "library_name": "transformers",
        "pipeline_tag": PIPELINE_TAGS.get(task, task),
        "tags": ["stillroom", "distillation", task],
        "model-index": [
            {
                "name": name,
                "results": [
                    {
                        "task": {"type": PIPELINE_TAGS.get(task, task)},
                        "dataset": {"name": "held-out test split", "type": "private", "revision": data.get("test", "")},
                        "metrics": [
                            {"type": k, "value": round(float(metrics[k]), 6)} for k in CARD_METRICS if k in metrics
                        ],
                    }
                ],
            }
        ],
    }
    body = [
        f"# {name}",
        "",
        f"A {task} student distilled by Stillroom from the teacher below, inside the organisation's boundary. "
        "Every number here was measured on a held-out test split the student never trained on.",
        "",
        "## Teacher",
        "",
        f"- name: `{teacher.get('name', '')}`",
        f"- location: `{teacher.get('location', '')}`",
        f"- fingerprint (sha256 of weights and config): `{teacher.get('fingerprint', '')}`",
        "",
        "## Data",
        "",
        "| split | sha256 |",
        "| --- | --- |",
        *[f"| {split} | `{digest}` |" for split, digest in data.items()],
        "",
        "## Metrics",
        "",
        *(["The labels-only baseline is the same student trained on the labels alone, without the teacher: "
           "the gap between it and the student is what distillation added.", ""] if baseline_metrics else []),
        *_metrics_table(metrics, baseline_metrics),
        *_slice_sections(evaluations, directory),
        *_pii_section(pii_detection),
        "## Intended use",
        "",
        intended_use,
        "",
        "## Limitations",
        "",
        *[f"- {item}" for item in limitations],
        "",
    ]
    card = directory / "README.md"
    card.write_text("---\n" + yaml.safe_dump(header, sort_keys=False) + "---\n\n" + "\n".join(body))
    return card


def _pii_section(detection: Mapping[str, Any] | None) -> list[str]:
    """The training data's PII scrubbing: both detectors, and measured recall beside the residual findings."""
    if not detection:
        return []
    return ["## PII scrubbing of the training data", "",
            f"- scrubbed by: {detection['detector']}",
            f"- residual scan by: {detection['residual_detector']}",
            *[f"- {line}" for line in detection["summary"]], ""]


def _metrics_table(metrics: Mapping[str, float], baseline: Mapping[str, float]) -> list[str]:
    columns = ["student", *(["labels-only baseline"] if baseline else []), "teacher"]
    rows = ["| metric | " + " | ".join(columns) + " |", "| --- " * (len(columns) + 1) + "|"]
    for key in sorted(k for k in metrics if not k.startswith("teacher_")):
        values = [metrics[key], *([baseline.get(key)] if baseline else []), metrics.get(f"teacher_{key}")]
        rows.append(f"| {key} | " + " | ".join("" if v is None else _number(v) for v in values) + " |")
    return rows + [""]


# How each evaluator's per-slice rows read in the card: a title, the row label, then (key, column) pairs.
# The regression evaluator's rows compare with the last release and carry no teacher accuracy.
SLICE_TABLES = {
    "slices": ("Slices by {field}", "value", (("n", "n"), ("accuracy", "student accuracy"),
                                              ("teacher_accuracy", "teacher accuracy"), ("drop", "drop"))),
    "regression": ("Regression against the last release", "slice", (("n", "n"),
                   ("previous", "previous release accuracy"), ("current", "student accuracy"), ("drop", "drop"))),
}


def _slice_sections(evaluations: Sequence[Evaluation], directory: Path) -> list[str]:
    lines: list[str] = []
    for evaluation in evaluations:
        for field, table in evaluation.slices.items():
            title, label, columns = SLICE_TABLES.get(evaluation.evaluator) or _columns_of(evaluation.evaluator, table)
            lines += [
                f"## {title.format(field=field)}",
                "",
                f"| {label} | " + " | ".join(name for _, name in columns) + " |",
                "| --- " * (len(columns) + 1) + "|",
            ]
            lines += [f"| {value} | " + " | ".join(_cell(key, row.get(key)) for key, _ in columns) + " |"
                      for value, row in table.items()]
            chart = evaluation.artifacts.get(f"slices-{field}.png")
            if chart is not None and Path(chart).is_file():
                shutil.copy2(chart, directory / Path(chart).name)
                lines += ["", f"![accuracy by {field}]({Path(chart).name})"]
            lines.append("")
    return lines


def _columns_of(evaluator: str, table: Mapping[str, Mapping[str, Any]]):
    """A third-party evaluator's slice rows, shown as they are: one column per key its rows hold."""
    keys = list(dict.fromkeys(key for row in table.values() for key in row))
    return f"{evaluator}: {{field}}", "value", tuple((key, key) for key in keys)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if key == "n" else _number(value)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
