"""``stillroom spec ...`` and ``stillroom teacher ...``: what a pipeline spec may say, and getting its teacher.

Mounted by the core CLI beside ``ledger``. ``spec schema`` prints the JSON
Schema made from the same pydantic models that validate a spec (``docs/spec.md``
is generated from them too, and a test keeps it in step); ``teacher prepare``
runs a pipeline up to its teacher stage, so a team can fine-tune and check its
teacher before committing to a distillation run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stillroom.cli import AsOption, JsonOption, WorkspaceOption, emit_json, execute, open_workspace, unlock_user
from stillroom.errors import UsageError

spec_app = typer.Typer(help="The pipeline spec: its schema and reference.", no_args_is_help=True)
teacher_app = typer.Typer(help="The pipeline's teacher: fine-tune it from a base model.", no_args_is_help=True)


@spec_app.command()
def schema() -> None:
    """Print the pipeline spec's JSON Schema (every key, its type, default and an example)."""
    from stillroom.config import PipelineSpec

    typer.echo(json.dumps(PipelineSpec.model_json_schema(), indent=2))


@teacher_app.command()
def prepare(
    pipeline: Annotated[Path, typer.Argument(help="The pipeline spec (YAML) whose teacher.base to fine-tune.")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune teacher.base on the pipeline's labelled training split, as an operator: ledgered, gated on
    validation accuracy and cached, so the run that follows reuses it. Trains no student."""
    from stillroom.config import load_spec
    from stillroom.run.stages import PIPELINE, STAGES

    ws = open_workspace(workspace)
    spec = load_spec(pipeline)
    if spec.teacher.base is None:
        raise UsageError(f"{pipeline}: the pipeline names no teacher.base to fine-tune "
                         "(add `teacher: {base: PATH, fine_tune: {epochs: 3}}`)")
    person = unlock_user(ws, as_user)
    run = execute(ws, spec, person=person, progress=not no_progress,
                  stages=PIPELINE[: STAGES.index("teacher") + 1])
    prepared = {"run_id": run.run_id, **run.summaries["teacher"]}
    if as_json:
        emit_json(prepared)
        return
    typer.echo(f"\nteacher {prepared['teacher'][:12]} ({'from cache' if prepared['cached'] else 'fine-tuned'}): "
               f"validation accuracy {prepared['validation_accuracy']:.3f} over {prepared['labels']} labels "
               f"(gate ≥ {prepared['min_accuracy']:g}); run {run.run_id}")

