"""The ``stillroom`` command line (typer).

Exit codes: 0 success, 1 a refused or failed check, 2 bad usage or input.
Errors are one sentence on stderr; ``--debug`` shows the traceback. Every
listing takes ``--json``. Nothing heavy is imported here: torch,
transformers and presidio load only inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from stillroom.errors import StillroomError, UsageError

app = typer.Typer(
    name="stillroom",
    help="Governed, on-premise model distillation with a signed audit ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
runs_app = typer.Typer(help="Runs and their stages.", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins and their governance.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(plugins_app, name="plugins")

STATE: dict[str, Any] = {"workspace": None, "debug": False, "strict_plugins": False}

WorkspaceOption = Annotated[
    Optional[Path],
    typer.Option("--workspace", "-w", help="Workspace directory (default: $STILLROOM_WORKSPACE, else the current directory)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def _root(
    workspace: WorkspaceOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    strict_plugins: Annotated[bool, typer.Option("--strict-plugins", help="A broken plugin is fatal.")] = False,
) -> None:
    STATE.update(workspace=workspace, debug=debug, strict_plugins=strict_plugins)


def open_workspace(workspace: Path | None = None):
    """The workspace named by a command's own ``--workspace``, the global one, the env, or the cwd."""
    from stillroom.workspace import Workspace

    return Workspace.open(workspace or STATE["workspace"])


def plugin_manager(workspace=None):
    """Plugins loaded under the workspace's allowlist (no workspace: built-ins only)."""
    from stillroom.plugin_manager import load_plugins

    allow = workspace.policy().plugins.allow if workspace is not None else ()
    return load_plugins(allow, strict=STATE["strict_plugins"])


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def console():
    from rich.console import Console

    return Console(highlight=False)


# -- init / run / demo ---------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Optional[Path], typer.Argument(help="Where to create the workspace (default: current directory).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Workspace name (default: the directory's name).")] = None,
) -> None:
    """Create a workspace: config, default policies, node key and store."""
    from stillroom.workspace import init_workspace

    ws = init_workspace(directory or STATE["workspace"] or Path.cwd(), name=name)
    typer.echo(f"Initialised workspace {ws.name!r} at {ws.root}")
    typer.echo(f"  ledger origin: {ws.origin}")
    typer.echo(f"  policies:      {ws.policy_dir}")


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="The pipeline spec (YAML).")],
    workspace: WorkspaceOption = None,
    as_user: Annotated[Optional[str], typer.Option("--as", help="The user who runs it (default: $STILLROOM_USER).")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
) -> None:
    """Run a pipeline under the workspace's policies; prints the run id."""
    from stillroom.config import load_spec

    ws = open_workspace(workspace)
    spec = load_spec(pipeline)
    run_id = execute(ws, spec, initiator=_initiator(as_user), progress=not no_progress)
    typer.echo(f"run {run_id} succeeded")


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N records.")] = None,
) -> None:
    """The main job on bundled data, end to end: a fresh workspace, PII-bearing sample, distilled student."""
    from stillroom.demo import prepare_demo

    root = (workspace or STATE["workspace"] or Path("demo-workspace")).resolve()
    ws, spec = prepare_demo(root, limit=limit)
    typer.echo(f"Demo workspace: {ws.root}\nPipeline: {ws.root / 'pipelines' / 'demo.yaml'}\n")
    run_id = execute(ws, spec, initiator=_initiator(None, default="demo-operator"), progress=True)
    typer.echo(f"\nrun {run_id} succeeded. Next:")
    typer.echo(f"  stillroom runs show {run_id} --workspace {ws.root}")
    typer.echo(f"  stillroom plugins list --workspace {ws.root}")


def execute(ws, spec, *, initiator: str, progress: bool) -> str:
    from stillroom.pipeline import run_pipeline

    out = console()
    marks = {"succeeded": "[green]✓[/]", "skipped": "[yellow]–[/]", "failed": "[red]✗[/]"}

    def show(report) -> None:
        detail = report.message if report.status != "succeeded" else _stage_detail(report.outputs)
        out.print(f" {marks[report.status]} {report.name:<10} {report.seconds:>7.1f}s  {detail or ''}")

    run = run_pipeline(ws, spec, initiator=initiator, plugins=plugin_manager(ws), progress=progress, on_stage=show)
    return run.run_id


def _stage_detail(outputs: dict[str, Any]) -> str:
    keys = ("records", "kept", "residual", "trainer", "evaluators", "exporters")
    return "  ".join(f"{k}={outputs[k]}" for k in keys if k in outputs)


def _initiator(as_user: str | None, default: str | None = None) -> str:
    user = as_user or os.environ.get("STILLROOM_USER") or default
    if not user:
        raise UsageError("say who runs this with --as NAME or $STILLROOM_USER")
    return user


# -- runs ------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Runs, newest first."""
    from stillroom.store import crud

    ws = open_workspace(workspace)
    with ws.session() as s:
        rows = [r.model_dump(mode="json", exclude={"summary"}) for r in crud.list_runs(s)]
    if as_json:
        return emit_json(rows)
    from rich.table import Table

    table = Table("run", "pipeline", "status", "initiator", "started", "finished")
    for r in rows:
        table.add_row(r["id"], r["pipeline"], r["status"], r["initiator"], r["created_at"][:19], (r["finished_at"] or "")[:19])
    console().print(table)


@runs_app.command("show")
def runs_show(run_id: Annotated[str, typer.Argument(help="The run id.")], workspace: WorkspaceOption = None,
              as_json: JsonOption = False) -> None:
    """One run: its stages with status, durations and outputs."""
    from stillroom.store import crud

    ws = open_workspace(workspace)
    with ws.session() as s:
        found = crud.get_run(s, run_id)
        if found is None:
            raise UsageError(f"no run {run_id!r} in {ws.root}; `stillroom runs list` shows the runs")
        stages = [st.model_dump(mode="json") for st in crud.list_stages(s, run_id=run_id)]
        data = {**found.model_dump(mode="json", exclude={"summary"}), "stages": stages}
    if as_json:
        return emit_json(data)
    out = console()
    out.print(f"[bold]{data['id']}[/]  {data['pipeline']}  {data['status']}  by {data['initiator']}")
    if data["message"]:
        out.print(f"  {data['message']}", markup=False)
    from rich.table import Table

    table = Table("stage", "status", "seconds", "detail")
    for st in stages:
        detail = st["message"] or _stage_detail(st["outputs"])
        table.add_row(st["name"], st["status"], f"{st['seconds']:.1f}", detail)
    out.print(table)


# -- plugins ---------------------------------------------------------------------


@plugins_app.command("list")
def plugins_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Plugins with origin, version, status, hooks and what they register."""
    ws = _maybe_workspace(workspace)
    manager = plugin_manager(ws)
    rows = [info.as_dict() for info in manager.plugins()]
    if as_json:
        return emit_json({"plugins": rows, "components": {f: manager.names(f) for f in manager.catalog}})
    from rich.table import Table

    table = Table("plugin", "origin", "version", "status", "registers", "reason")
    for r in rows:
        registers = "; ".join(f"{family}: {', '.join(names)}" for family, names in r["components"].items())
        table.add_row(r["name"], r["origin"], r["version"] or "", r["status"], registers, r["reason"] or "")
    console().print(table)


def _maybe_workspace(workspace: Path | None):
    from stillroom.workspace import CONFIG, find_workspace

    root = find_workspace(workspace or STATE["workspace"])
    return open_workspace(root) if (root / CONFIG).exists() else None


# -- entry point -----------------------------------------------------------------


def _register_plugin_commands() -> None:
    """Let allowed plugins add commands; a broken one is reported, not fatal."""
    try:
        ws = _maybe_workspace(_argv_workspace())
        manager = plugin_manager(ws)
    except StillroomError:
        return  # the command itself will report the broken workspace or policy
    manager.register_commands(app, on_error=lambda name, exc: typer.echo(
        f"warning: plugin {name!r} failed to add commands: {exc}", err=True))


def _argv_workspace() -> Path | None:
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg in ("--workspace", "-w") and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--workspace="):
            return Path(arg.split("=", 1)[1])
    return None


def main() -> None:
    """Typer handles usage errors (exit 2) and help; Stillroom's own errors become one line here."""
    try:
        _register_plugin_commands()
        app(prog_name="stillroom")
    except StillroomError as exc:
        if STATE["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if STATE["debug"]:
            raise
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
