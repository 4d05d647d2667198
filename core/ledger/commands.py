"""``stillroom ledger ...``: verify, export, prove, consistency, checkpoint, rotate-key.

Mounted by the core CLI with ``app.add_typer(ledger_app, name="ledger")``.
A failed verification prints its first failure and exits 1; Stillroom errors
propagate to the CLI's entry point, which prints one sentence and picks the
exit code.
"""

import base64
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from stillroom.cli import AsOption, JsonOption, WorkspaceOption, emit_json, open_workspace, unlock_user

app = typer.Typer(help="The signed audit ledger: verify, export, prove, rotate the node key.", no_args_is_help=True)


@app.command()
def verify(
    offline: Annotated[Optional[Path], typer.Option("--offline", help="Verify an export directory instead of the live store.")] = None,
    trust: Annotated[Optional[list[str]], typer.Option("--trust", help="A verifier key (or .vkey file) the genesis key must match; repeatable.")] = None,
    checkpoint: Annotated[Optional[list[Path]], typer.Option("--checkpoint", help="A checkpoint you kept (as `ledger checkpoint` printed it): the log must cover it with the same root; repeatable.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every entry, the hash chain, every signature and every checkpoint's root.

    Each --checkpoint FILE is a checkpoint held outside the store (an auditor's copy): verification fails
    when the log is shorter than it (truncated) or has another root at its size (rewritten, a fork)."""
    from stillroom.ledger.verify import verify_offline

    held = [(str(path), _read_held(path)) for path in checkpoint or []]
    if offline is not None:
        report = verify_offline(offline, anchors=[_key_text(t) for t in trust] if trust else None, held=held)
    else:
        report = _ledger(workspace).verify(held=held)
    typer.echo(json.dumps(report.as_dict(), indent=2) if as_json else str(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def export(directory: Annotated[Path, typer.Argument(help="A new or empty directory.")], workspace: WorkspaceOption = None,
           as_json: JsonOption = False) -> None:
    """Write entries.jsonl, the latest checkpoint and keys/*.vkey for offline verification."""
    ledger = _ledger(workspace)
    ledger.export(directory)
    if as_json:
        return emit_json({"ok": True, "directory": directory, "checkpoint": (directory / "checkpoint").read_text()})
    typer.echo(f"exported the ledger to {directory}; check it anywhere with `stillroom ledger verify --offline {directory}`")


@app.command()
def prove(seq: Annotated[int, typer.Argument(help="The entry's seq.")], workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """An inclusion proof for one entry against the latest checkpoint."""
    bundle = _ledger(workspace).prove(seq)
    if as_json:
        return typer.echo(json.dumps(bundle, indent=2))
    typer.echo(f"entry {seq} is in {bundle['origin']} at tree size {bundle['tree_size']}, root {bundle['root']}")
    typer.echo(f"leaf hash {bundle['leaf_hash']}; audit path ({len(bundle['proof'])} hashes):")
    for h in bundle["proof"]:
        typer.echo(f"  {h}")


@app.command()
def consistency(
    old: Annotated[int, typer.Argument(help="Tree size of the older checkpoint.")],
    new: Annotated[int, typer.Argument(help="Tree size of the newer checkpoint.")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prove that the checkpoint of size NEW extends the checkpoint of size OLD."""
    bundle = _ledger(workspace).consistency(old, new)
    if as_json:
        return typer.echo(json.dumps(bundle, indent=2))
    typer.echo(f"checkpoint {new} (root {bundle['new_root']}) extends checkpoint {old} (root {bundle['old_root']})")
    typer.echo(f"consistency proof ({len(bundle['proof'])} hashes):")
    for h in bundle["proof"]:
        typer.echo(f"  {h}")


@app.command()
def checkpoint(
    witness: Annotated[Optional[str], typer.Option("--witness", help="A witness's URL to cosign the checkpoint (default: the workspace's [witness] url).")] = None,
    witness_key: Annotated[Optional[str], typer.Option("--witness-key", help="The witness's verifier key (or .vkey file) its cosignature must verify with (default: [witness] key).")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a checkpoint of the whole log now and print it; with a witness (given or configured), cosigned by it.

    Keep the printed note: `stillroom ledger verify --checkpoint FILE` later proves the log still holds it."""
    from stillroom.errors import UsageError
    from stillroom.witness.client import witness_checkpoint

    ws = open_workspace(workspace)
    configured = ws.witness
    url = witness or (configured[0] if configured else None)
    key = _key_text(witness_key) if witness_key else (configured[1] if configured else None)
    if url is None and witness_key is None:
        note = ws.ledger().checkpoint()
    elif url is None or key is None:
        raise UsageError("a cosigned checkpoint needs the witness's URL (--witness) and its verifier key "
                         "(--witness-key, or [witness] key in stillroom.toml)")
    else:
        note = witness_checkpoint(ws.ledger(), url, key)
    if as_json:
        origin, size, root = note.splitlines()[:3]
        return emit_json({"ok": True, "origin": origin, "tree_size": int(size), "root": base64.b64decode(root).hex(),
                          "cosigned_by": url, "note": note})
    typer.echo(note, nl=False)


@app.command("rotate-key")
def rotate_key(
    name: Annotated[Optional[str], typer.Option("--name", help="The new key's name (default: <workspace>-node-2, -3, ...).")] = None,
    workspace: WorkspaceOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace the node key (admins only): the ledger records the new key, signed by the old one, and from then on
    accepts nothing the old key signs.

    Acts as --as ADMIN (or $STILLROOM_USER), unlocked with their passphrase ($STILLROOM_PASSPHRASE or a prompt);
    the admin's own key signs the authorisation and they are the rotation entry's actor. The old private key is
    then overwritten and removed; only its public key stays, in keys/retired/<old name>.vkey. If a rotation was
    interrupted (the workspace then refuses to sign and says so), running this again finishes that one instead
    of starting another.
    """
    from stillroom.ledger.rotation import rotate_node_key

    ws = open_workspace(workspace)
    admin = unlock_user(ws, as_user)
    done = rotate_node_key(ws, admin=admin, name=name)
    if as_json:
        return typer.echo(json.dumps(done.as_dict(), indent=2))
    verb = "finished the interrupted rotation of" if done.resumed else "rotated"
    typer.echo(f"{verb} the node key: {done.old_name} -> {done.new_name} (ledger entry {done.seq}, "
               f"signed by {done.old_name}, actor {done.actor})")
    typer.echo(f"  new key: keys/node.key  {done.new_verifier_key}")
    typer.echo(f"  old key: private key destroyed; public key kept in {done.retired_vkey}")
    for path in done.destroyed:
        typer.echo(f"    overwritten and removed: {path}")
    typer.echo(f"  checkpoint of size {done.checkpoint.splitlines()[1]} signed by {done.new_name}")
    typer.echo(f"this ledger (and any export of it) rejects whatever {done.old_name} signs after entry {done.seq}; "
               f"a verifier that pins only {done.retired_vkey} does not know that, so a copy of the old private "
               "key made before now (a backup) could still sign bundles it accepts: destroy such copies too")
    typer.echo("publish the new verifier key; a release made before this rotation verifies as it is inside this "
               f"workspace, and elsewhere with `stillroom release verify DIR --node-key {ws.root / done.retired_vkey}`")


def _ledger(workspace: Path | None):
    return open_workspace(workspace).ledger()


def _read_held(path: Path) -> str:
    from stillroom.errors import UsageError

    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--checkpoint {path}: cannot be read as a signed note ({e.__class__.__name__})") from None


def _key_text(value: str) -> str:
    path = Path(value)
    return path.read_text().strip() if path.is_file() else value
