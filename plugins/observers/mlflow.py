"""MLflow: each run's stage timings and evaluation metrics, and the exported student as an MLflow model.

Off until the workspace's ``stillroom.toml`` has::

    [observers.mlflow]
    tracking_uri = "sqlite:///mlflow/mlflow.db"   # a path relative to the workspace, or http(s)://host:port
    experiment = "stillroom"                      # optional

A local store keeps its artifacts beside it, inside the workspace. The
student is logged from the ``hf`` exporter's files, read back by their digests
from the artifact store: a classifier or causal LM with the ``transformers``
flavour, an embedding model with the ``sentence_transformers`` one. What was
logged where is ledgered (``observer.mlflow``, ``observer.mlflow.model``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillroom import hookimpl
from stillroom.errors import ConfigError, RunRefused
from stillroom.plugins.observers.destination import check_destination, settings, text_option

NAME = "mlflow"
STATUS = {"succeeded": "FINISHED", "failed": "FAILED", "refused": "FAILED"}
PIPELINE_TASKS = {"classification": "text-classification", "causal-lm": "text-generation"}
_RUNS: dict[str, Tracked] = {}


@dataclass
class Tracked:
    """One Stillroom run's MLflow run, and what the observer needs to write to it."""

    client: Any
    mlflow_run_id: str
    ctx: Any


@hookimpl
def on_run_start(run: Mapping[str, Any], ctx: Any) -> None:
    section = settings(ctx, NAME)
    if section is None:
        return
    tracking_uri, local, artifacts = _tracking_uri(text_option(section, "tracking_uri", NAME), Path(ctx.workspace))
    tracking = check_destination("MLflow tracking store", local.as_uri() if local else tracking_uri, ctx)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise ConfigError("[observers.mlflow] is configured and MLflow is not installed; "
                          "pip install 'stillroom[mlflow]'") from None
    client = MlflowClient(tracking_uri=tracking_uri)
    name = text_option(section, "experiment", NAME, "stillroom")
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        experiment = client.get_experiment(client.create_experiment(name, artifact_location=artifacts))
    _check_artifacts(experiment.artifact_location, tracking_uri, ctx)
    created = client.create_run(experiment.experiment_id, run_name=run["run_id"],
                                tags={f"stillroom.{key}": str(value) for key, value in run.items()})
    _RUNS[run["run_id"]] = Tracked(client, created.info.run_id, ctx)
    ctx.record("observer.mlflow", {"tracking": tracking, "experiment": name, "mlflow_run_id": created.info.run_id})


@hookimpl
def on_stage_end(run: Mapping[str, Any], stage: str, result: Mapping[str, Any]) -> None:
    tracked = _RUNS.get(run["run_id"])
    if tracked is None:
        return
    metrics = {f"stage.{stage}.seconds": result["seconds"]}
    if stage == "evaluate" and result["status"] == "succeeded":
        metrics |= dict(_numbers(result["outputs"]["metrics"]))
    for key, value in metrics.items():
        tracked.client.log_metric(tracked.mlflow_run_id, key, float(value))
    hf = result["outputs"].get("files", {}).get("hf") if stage == "export" else None
    if hf:
        _log_student(tracked, hf)


@hookimpl
def on_run_end(run: Mapping[str, Any], status: str) -> None:
    tracked = _RUNS.pop(run["run_id"], None)
    if tracked is not None:
        tracked.client.set_tag(tracked.mlflow_run_id, "stillroom.status", status)
        tracked.client.set_terminated(tracked.mlflow_run_id, STATUS[status])


def _tracking_uri(uri: str, workspace: Path) -> tuple[str, Path | None, str | None]:
    """MLflow's tracking URI with local paths resolved against the workspace; for a local store also its
    path, and where a new experiment's artifacts go (None: MLflow's default for the store)."""
    if uri.startswith(("http://", "https://")):
        return uri, None, None
    if uri.startswith("sqlite:///"):
        path = (workspace / uri.removeprefix("sqlite:///")).resolve()  # sqlite:////abs stays absolute
        return f"sqlite:///{path}", path, (path.parent / "artifacts").as_uri()
    if "://" in uri and not uri.startswith("file://"):
        raise RunRefused(f"[observers.mlflow] tracking_uri {uri.split('://')[0]}://... is not a store Stillroom can "
                         "check against the residency policy; use sqlite:///PATH, a path, or http(s)://host:port")
    path = (workspace / uri.removeprefix("file://")).resolve()
    return path.as_uri(), path, None


def _check_artifacts(location: str, tracking_uri: str, ctx: Any) -> None:
    """An experiment's artifacts go where its creator said; that place must pass the policy too."""
    if location.startswith("mlflow-artifacts:") and tracking_uri.startswith(("http://", "https://")):
        return  # proxied by the tracking server, already checked
    check_destination("MLflow artifact store", location, ctx)


def _numbers(metrics: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every number in the evaluate stage's nested metrics, keyed by its path (``student.task.accuracy``)."""
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            yield from _numbers(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield f"{prefix}{key}", value


def _log_student(tracked: Tracked, files: Mapping[str, str]) -> None:
    """The ``hf`` export, read back from the artifact store by digest, saved with the flavour for its task
    and logged as the run's ``student`` artifact.

    ``save_model`` then ``log_artifacts`` rather than the fluent ``log_model``: that one also collects the
    run's git context by launching ``git``, which the run's egress guard refuses (and ledgers).
    """
    import mlflow
    import torch
    import transformers

    from stillroom.plugins.trainers.student import MANIFEST, auto_class

    requirements = [f"torch=={torch.__version__}", f"transformers=={transformers.__version__}"]
    with tempfile.TemporaryDirectory(dir=tracked.ctx.scratch) as scratch:
        exported, saved = Path(scratch) / "export", Path(scratch) / "student"
        for relative, digest in files.items():
            (exported / relative).parent.mkdir(parents=True, exist_ok=True)
            (exported / relative).write_bytes(tracked.ctx.artifacts.read_bytes(digest))
        task = json.loads((exported / MANIFEST).read_text())["task"]
        if task == "embedding":
            from sentence_transformers import SentenceTransformer, __version__

            mlflow.sentence_transformers.save_model(
                SentenceTransformer(str(exported), device="cpu"), saved,
                pip_requirements=[*requirements, f"sentence-transformers=={__version__}"])
            flavour = "sentence_transformers"
        else:
            components = {"model": auto_class(task).from_pretrained(exported),
                          "tokenizer": transformers.AutoTokenizer.from_pretrained(exported)}
            mlflow.transformers.save_model(components, saved, task=PIPELINE_TASKS[task], pip_requirements=requirements)
            flavour = "transformers"
        tracked.client.log_artifacts(tracked.mlflow_run_id, str(saved), "student")
    tracked.ctx.record("observer.mlflow.model", {"mlflow_run_id": tracked.mlflow_run_id, "flavour": flavour,
                                                 "model_uri": f"runs:/{tracked.mlflow_run_id}/student",
                                                 "files": dict(files)})
