"""``stillroom signer init|serve``: move the node key into a signer process with its own state."""

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from stillroom.cli import WorkspaceOption, open_workspace

app = typer.Typer(help="The node key behind a process boundary: signs only what extends the log it holds.",
                  no_args_is_help=True)
StateOption = Annotated[Path, typer.Option("--state", help="The signer's own state directory (mode 0700).")]
SocketOption = Annotated[Path, typer.Option("--socket", help="The signer's Unix socket.")]


@app.command()
def init(
    state: StateOption,
    socket: SocketOption,
    pkcs11_module: Annotated[Optional[Path], typer.Option("--pkcs11-module", help="A PKCS#11 module: the node key is made inside its token (a new workspace only).")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help="With --pkcs11-module: the token's label.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Take the workspace's node key (or make one in an HSM) into DIR, adopt its verified log, and point the
    workspace at the socket ([signer] socket in stillroom.toml). keys/node.key is then overwritten and removed."""
    from stillroom.signer.setup import init_signer

    ws = open_workspace(workspace)
    done = init_signer(ws, state, socket, pkcs11_module=pkcs11_module, token=token)
    typer.echo(f"the signer state for {ws.node_key_name} is in {state} (log size {done.size}); "
               f"keys/node.key was overwritten and removed{'' if done.moved else ' (unused: the key was made in the token)'}")
    typer.echo(f"start it with: stillroom signer serve --workspace {ws.root} --state {state} --socket {socket}")


@app.command()
def serve(
    state: StateOption,
    socket: SocketOption,
    allow_uid: Annotated[Optional[list[int]], typer.Option("--allow-uid", help="A uid that may connect (default: this process's own); repeatable.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the signer on SOCKET until interrupted."""
    from stillroom.errors import UsageError
    from stillroom.signer.server import Signer
    from stillroom.signer.server import serve as serve_forever

    ws = open_workspace(workspace)
    signer = Signer(state)
    if (signer.state.name, signer.state.origin) != (ws.node_key_name, ws.origin):
        raise UsageError(f"{state} holds the signer of {signer.state.origin!r}, not of this workspace's log")
    allowed = frozenset(allow_uid or [os.getuid()])
    def ready() -> None:
        typer.echo(f"signer {signer.state.name} listening on {socket} (log size {signer.state.size}; uids "
                   f"{', '.join(map(str, sorted(allowed)))})")
        _flush()

    serve_forever(signer, socket, allowed, on_ready=ready)


def _flush() -> None:
    import sys

    sys.stdout.flush()
