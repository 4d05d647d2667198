"""``stillroom audit sample|status``: a security reviewer's sample audit of a release request's scrubbed records."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from stillroom.cli import AsOption, JsonOption, WorkspaceOption, open_workspace, unlock_user
from stillroom.errors import UsageError

app = typer.Typer(help="Sample audits: a person reads scrubbed records drawn at random and marks PII left.",
                  no_args_is_help=True)
RequestArgument = Annotated[str, typer.Argument(help="The release request.")]


@app.command()
def sample(
    request_id: RequestArgument,
    as_user: AsOption = None,
    marks: Annotated[Optional[Path], typer.Option(
        "--marks", help='A JSON file: [{"index": N, "verdict": "clean" | "pii_left", "types": ["PERSON", ...]}], '
                        "one per sampled record. Without it, each record is asked for in turn.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the sample (scrubbed records only) and sign nothing.")] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read the request's sample of scrubbed records and sign your marks on it with your own key.

    The sample is seeded by the request (the policy's ``release_gates.sample_audit.size`` records), so
    every reviewer of one request reads the same records. ``--show`` prints them as JSON Lines
    (``{"index", "record"}``) to mark offline; ``--marks FILE`` signs those marks.
    """
    from stillroom.approvals import get_request
    from stillroom.sample_audit import draw_sample, sign_audit

    ws = open_workspace(workspace)
    drawn = draw_sample(ws, get_request(ws, request_id))
    if show:
        for index, record in zip(drawn.indices, drawn.records):
            typer.echo(json.dumps({"index": index, "record": record}, ensure_ascii=False))
        return
    given = _read_marks(marks) if marks is not None else None
    person = unlock_user(ws, as_user)
    if given is None:
        given = _ask(drawn)
    outcome = sign_audit(ws, request_id, person, given)
    _print(outcome.as_dict(), request_id, as_json)


@app.command()
def status(request_id: RequestArgument, workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """The audits that count for a request, the misses, and the miss rate's 95% upper bound."""
    from stillroom.approvals import get_request
    from stillroom.sample_audit import outcome_of

    ws = open_workspace(workspace)
    _print(outcome_of(ws, get_request(ws, request_id)).as_dict(), request_id, as_json)


def _read_marks(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read the marks file ({error.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: the marks file is not JSON ({error})") from None


def _ask(drawn) -> list[dict[str, Any]]:
    """Each sampled record in turn: Enter (or c) for clean, else the entity types left, comma-separated."""
    if not sys.stdin.isatty():
        raise UsageError("no marks: pass --marks FILE, or run in a terminal to mark each record in turn")
    marks = []
    for n, (index, record) in enumerate(zip(drawn.indices, drawn.records), 1):
        typer.echo(f"\n[{n}/{len(drawn.indices)}] record {index}")
        for name, value in record.items():
            if isinstance(value, str):
                typer.echo(f"  {name}: {value}")
        answer = typer.prompt("clean [Enter], or the PII types left (PERSON,PHONE_NUMBER)", default="",
                              show_default=False).strip()
        types = [t for t in answer.replace(" ", ",").split(",") if t and t.lower() not in ("c", "clean")]
        marks.append({"index": index, "verdict": "pii_left" if types else "clean", "types": types})
    return marks


def _print(outcome: dict[str, Any], request_id: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"request_id": request_id, **outcome}, indent=2))
        return
    if not outcome["completed"]:
        typer.echo(f"{request_id}: no sample audit counts yet")
    else:
        typer.echo(f"{request_id}: {outcome['misses']} of {outcome['size']} sampled records with PII left "
                   f"(by {outcome['reviewer']}; types: {', '.join(outcome['types']) or 'none'}); "
                   f"miss rate 95% upper bound {outcome['miss_rate_upper_95']:.3f} (Clopper–Pearson)")
    for ignored in outcome["ignored"]:
        typer.echo(f"  not counted: {ignored['reason']}")
