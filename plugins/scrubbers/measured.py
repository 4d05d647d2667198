"""The scrubber's measured recall, read from ``measured.json`` as ``benchmarks/pii.py --record`` writes it.

The file ships inside the package (next to this module). Its figures come from
labelled sets the detector never shaped; this module only reads them and
never makes one up: with no file, or no entry for a profile, the answer is
``None`` and reports say "recall not measured". A file that does not follow
the schema is an error, not an empty answer.

Schema::

    {"measured_at": "YYYY-MM-DD", "command": "...",
     "datasets": [{"name", "kind", "size", "digest", "source"}],
     "results": {"<profile>": {"<dataset name>": {"overall": {"precision", "recall", "f2", "support"},
                                                  "per_entity": {"PERSON": {...}, ...}}}}}

A rate is null where it is undefined (precision of a type the detector never
reported, recall of a type with no labels): "n/a" in reports, never 0 or 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from stillroom.errors import DataError

MEASURED = Path(__file__).with_name("measured.json")
NOT_MEASURED = "recall not measured"
KINDS = ("synthetic-multilocale", "human-annotated", "hand-annotated", "development")
RATES = ("precision", "recall", "f2")  # null where undefined: nothing of the type detected, or labelled
SCORES = (*RATES, "support")


class MeasuredFileError(DataError):
    """``measured.json`` exists but does not follow its schema."""


def measured_recall(profile: str, path: Path | None = None) -> list[dict[str, Any]] | None:
    """Per dataset measured for ``profile``: its name, kind, size, date, digest, source,
    overall scores and recall per entity type; None when nothing was measured for it."""
    path = MEASURED if path is None else path
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MeasuredFileError(f"{path}: not readable JSON ({error})") from None
    _check(data, path)
    per_dataset = data["results"].get(profile)
    if not per_dataset:
        return None
    datasets = {d["name"]: d for d in data["datasets"]}
    out = []
    for name, result in per_dataset.items():
        if name not in datasets:
            raise MeasuredFileError(f"{path}: results for profile {profile!r} name dataset {name!r}, "
                                    "which 'datasets' does not describe")
        out.append({
            **{k: datasets[name][k] for k in ("name", "kind", "size", "digest", "source")},
            "measured_at": data["measured_at"], "command": data["command"],
            "overall": {k: result["overall"][k] for k in SCORES},
            "recall": {entity: scores["recall"] for entity, scores in sorted(result["per_entity"].items())},
            "support": {entity: scores["support"] for entity, scores in sorted(result["per_entity"].items())},
        })
    return out


def recall_lines(measured: list[dict[str, Any]] | None, residual: int | None = None) -> list[str]:
    """Human lines for reports: recall per entity type and the dataset, with the residual count beside it."""
    tail = "" if residual is None else f"; {residual} residual finding(s) by the independent scan"
    if not measured:
        return [f"{NOT_MEASURED}{tail}"]
    lines = []
    for m in measured:
        per_entity = ", ".join(f"{entity} {_rate(recall)}" for entity, recall in m["recall"].items())
        lines.append(
            f"measured recall {_rate(m['overall']['recall'])} (precision {_rate(m['overall']['precision'])}) on "
            f"{m['name']} ({m['kind']}, {m['size']} records, {m['measured_at']}, {m['digest']}): {per_entity}{tail}"
        )
    return lines


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _check(data: Any, path: Path) -> None:
    def fail(what: str) -> NoReturn:
        raise MeasuredFileError(f"{path}: {what}")

    if not isinstance(data, dict):
        fail("the top level must be an object")
    for key, kind in (("measured_at", str), ("command", str), ("datasets", list), ("results", dict)):
        if not isinstance(data.get(key), kind):
            fail(f"{key!r} must be a {kind.__name__}")
    for i, d in enumerate(data["datasets"]):
        if not isinstance(d, dict):
            fail(f"datasets[{i}] must be an object")
        for key, expected in (("name", str), ("kind", str), ("size", int), ("digest", str), ("source", str)):
            if not isinstance(d.get(key), expected):
                fail(f"datasets[{i}].{key} must be a {expected.__name__}")
        if d["kind"] not in KINDS:
            fail(f"datasets[{i}].kind must be one of {', '.join(KINDS)}, got {d['kind']!r}")
        if not d["digest"].startswith("sha256:"):
            fail(f"datasets[{i}].digest must start with 'sha256:'")
    for profile, per_dataset in data["results"].items():
        if not isinstance(per_dataset, dict):
            fail(f"results[{profile!r}] must be an object")
        for name, result in per_dataset.items():
            where = f"results[{profile!r}][{name!r}]"
            if not isinstance(result, dict) or not isinstance(result.get("per_entity"), dict):
                fail(f"{where} must hold 'overall' and 'per_entity'")
            for scores_where, scores in [("overall", result.get("overall")),
                                         *((f"per_entity[{e!r}]", s) for e, s in result["per_entity"].items())]:
                if not isinstance(scores, dict) or not isinstance(scores.get("support"), int) or not all(
                        k in scores and (scores[k] is None or isinstance(scores[k], (int, float))) for k in RATES):
                    fail(f"{where}.{scores_where} must hold a support count and {', '.join(RATES)} "
                         "(each a number, or null where nothing was detected or labelled)")
