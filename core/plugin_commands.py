"""``stillroom plugin``: what a vendor runs to start a plugin and to sign the distribution they ship."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

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


PassphraseEnv = "STILLROOM_PUBLISHER_PASSPHRASE"


@app.command("keygen")
def keygen(
    name: Annotated[str, typer.Option("--name", help="The publisher's key name, as customers will see it.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM, mode 0600).")],
) -> None:
    """Make a publisher key; prints the verifier key customers pin as ``publisher:`` in policies/plugins.yaml."""
    from stillroom import signing

    signing.check_key_name(name)
    key = signing.generate_key()
    signing.save_private_key(out, key, os.environ.get(PassphraseEnv))
    typer.echo(signing.verifier_key(name, key.public_key()))


@app.command("sign")
def sign(
    distribution: Annotated[str, typer.Argument(help="The installed distribution to sign (its name).")],
    key: Annotated[Path, typer.Option("--key", help=f"The publisher's private key (passphrase from ${PassphraseEnv}).")],
    name: Annotated[str, typer.Option("--name", help="The publisher's key name.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the envelope here instead of beside RECORD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sign an installed distribution's RECORD digest (a DSSE in-toto statement) as its publisher."""
    from importlib import metadata

    from stillroom import publisher, signing
    from stillroom.errors import UsageError

    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise UsageError(f"no installed distribution is named {distribution!r}") from None
    private = signing.load_private_key(key, os.environ.get(PassphraseEnv))
    envelope = publisher.sign(dist, private, name)
    path = out or publisher.signature_path(dist)
    path.write_text(json.dumps(envelope, indent=2) + "\n")
    result = {"distribution": dist.metadata["Name"], "version": dist.version, "signature": str(path),
              "record_sha256": publisher.statement(dist, name)["subject"][0]["digest"]["sha256"],
              "verifier_key": signing.verifier_key(name, private.public_key())}
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(f"signed {result['distribution']} {result['version']} (RECORD {result['record_sha256'][:12]}…) "
                   f"as {name}: {path}")
