"""``stillroom plugin``: what a vendor runs to start a plugin and to sign the distribution they ship."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Write and sign third-party plugins (for vendors).", no_args_is_help=True)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="The plugin's name: its entry point, component and package suffix.")],
    kind: Annotated[str, typer.Option("--kind", help="source, scrubber, teacher, trainer, evaluator or exporter.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the project in.")] = Path("."),
) -> None:
    """Write an installable plugin project: pyproject with the entry point, one component, its conformance test."""
    from stillroom.testing.template import write_project

    project = write_project(name, kind, out)
    typer.echo(f"wrote {project}; `pip install -e {project}` then `pytest` there runs the conformance kit")
