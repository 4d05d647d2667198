"""``stillroom witness init|serve``: run a C2SP witness for a Stillroom log, with its own key and state."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="A witness: cosigns a log's checkpoints only if each extends the last it cosigned.",
                  no_args_is_help=True)
StateOption = Annotated[Path, typer.Option("--state", help="The witness's own state directory.")]


@app.command()
def init(
    state: StateOption,
    origin: Annotated[str, typer.Option("--origin", help="The log to witness (its checkpoints' origin line).")],
    log_key: Annotated[list[str], typer.Option("--log-key", help="The log's node verifier key (or .vkey file); repeatable.")],
    name: Annotated[str, typer.Option("--name", help="The witness's key name.")] = "stillroom-witness",
) -> None:
    """Create the witness's key and state for one log, and print its verifier key (pin it in the workspace)."""
    from stillroom.witness.state import init_witness

    keys = [Path(k).read_text().strip() if Path(k).is_file() else k for k in log_key]
    vkey = init_witness(state, name=name, origin=origin, log_keys=keys)
    typer.echo(vkey)


@app.command()
def serve(
    state: StateOption,
    port: Annotated[int, typer.Option("--port", help="The TCP port on 127.0.0.1 (0 picks a free one).")] = 0,
) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) on 127.0.0.1 until interrupted."""
    from stillroom.witness.server import serve as serve_forever
    from stillroom.witness.state import Witness

    witness = Witness(state)
    def ready(bound: int) -> None:
        typer.echo(f"witness {witness.name} listening on http://127.0.0.1:{bound}", color=False)
        _flush()

    serve_forever(witness, port, on_ready=ready)


def _flush() -> None:
    import sys

    sys.stdout.flush()
