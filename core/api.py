"""The documented Python surface of Stillroom, for platform teams who call it from their own code.

Each function is the one the ``stillroom`` command line calls for the same act,
so a run started here is governed exactly as ``stillroom run`` is: the same
policy in force, plugin allowlist, egress guard, signatures and ledger entries.
Errors are the same too: a :class:`stillroom.errors.StillroomError` whose
message is the sentence the CLI prints (``exit_code`` says which code it uses).

A session, from a workspace to a verified bundle::

    from stillroom import api

    ws = api.open_workspace("/srv/stillroom")
    operator = api.sign_in(ws, "olga", passphrase)
    run = api.run(ws, api.load_spec("pipeline.yaml"), as_user=operator)
    request_id = run.summaries["request"]["request_id"]
    api.decide(ws, request_id, api.sign_in(ws, "sam", other), approve=True, comment="gates pass")
    api.release(ws, request_id, out=Path("bundle"), actor="release-bot")
    report = api.verify_release(Path("bundle"), workspace=ws)

``docs/api.md`` walks through it; a test runs that page's example. Heavy
libraries (torch, transformers, presidio) load only inside the calls that need
them, so importing this module is cheap.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stillroom.errors import RunRefused

if TYPE_CHECKING:
    from stillroom.approvals import ApprovalState, Request
    from stillroom.config import PipelineSpec
    from stillroom.plugin_manager import PluginManager
    from stillroom.run.live import Run
    from stillroom.run.runner import StageReport
    from stillroom.run.stages import Stage
    from stillroom.users import Person
    from stillroom.workspace import Workspace

__all__ = [
    "decide", "get_request", "init_workspace", "list_requests", "load_plugins", "load_spec", "open_workspace",
    "parse_spec", "release", "run", "sign_in", "verify_release",
]


def open_workspace(directory: str | Path | None = None) -> Workspace:
    """The workspace at ``directory`` (default: ``$STILLROOM_WORKSPACE``, else the current directory).

    Raises ``WorkspaceError`` (exit code 2) when there is none: create it with :func:`init_workspace`.
    """
    from stillroom.workspace import Workspace

    return Workspace.open(Path(directory) if directory is not None else None)


def init_workspace(directory: str | Path, *, name: str | None = None) -> Workspace:
    """Create a workspace: config, default policies (adopted), node key and store; refuses an existing one."""
    from stillroom.workspace import init_workspace as create

    return create(Path(directory), name=name)


def sign_in(workspace: Workspace, name: str, passphrase: str) -> Person:
    """Unlock ``name``'s key with their passphrase: the person every signed act below is taken as.

    Failed attempts count towards the same sign-in lock as the CLI's and the dashboard's.
    """
    from stillroom.users import unlock

    return unlock(workspace, name, passphrase)


def load_spec(path: str | Path) -> PipelineSpec:
    """Read and validate a pipeline spec (YAML); a ``ConfigError`` names the file, the field and what was expected."""
    from stillroom.config import load_spec as load

    return load(Path(path))


def parse_spec(data: dict[str, Any], *, where: str = "pipeline") -> PipelineSpec:
    """Validate a pipeline spec given as a mapping (as the YAML would hold it); ``where`` names it in errors."""
    from stillroom.config import parse_spec as parse

    return parse(data, where=where)


def load_plugins(workspace: Workspace | None = None, *, strict: bool = False) -> PluginManager:
    """The plugins a run may use: built-ins and the distributions the workspace's policy allows.

    Third-party code is imported under an egress guard that allows nothing, loopback included (an import
    has no business reaching out; a Ray worker's imports are held to the same), and what it tries is
    ledgered (``egress.blocked``, stage ``plugin-import``); with no workspace, built-ins only. ``strict``: a
    broken plugin, or a refused distribution's ``.pth`` file, raises instead of being reported in
    ``pth_warnings()``.
    """
    from stillroom.plugin_manager import load_plugins as load

    if workspace is None:
        return load((), strict=strict)
    policy = workspace.policy()
    return load(policy.plugins.allow, strict=strict or policy.plugins.strict, on_block=egress_ledger(workspace))


def run(workspace: Workspace, spec: PipelineSpec, *, as_user: Person, plugins: PluginManager | None = None,
        progress: bool = False, on_stage: Callable[[StageReport], None] = lambda report: None,
        stages: tuple[Stage, ...] | None = None) -> Run:
    """Run ``spec`` under the workspace's policies as ``as_user``, who needs the operator role and signs its start.

    Returns the finished run: ``run_id``, ``artifacts`` (role to digest) and ``summaries`` (each stage's
    outputs; ``summaries["request"]["request_id"]`` is the release request it opened). A refused or failed
    stage raises its error after the run's end is ledgered. ``on_stage`` hears each stage's report as it ends.
    ``stages``: only the first stages of the pipeline (``stillroom teacher prepare`` runs up to ``teacher``).
    """
    from stillroom.run.runner import run_as

    extra = {} if stages is None else {"stages": stages}
    return run_as(as_user, workspace, spec, plugins=plugins or load_plugins(workspace), progress=progress,
                  on_stage=on_stage, **extra)


def list_requests(workspace: Workspace, *, status: str | None = None, kind: str | None = None) -> list[Request]:
    """Release and residency requests, oldest first, filtered by their stored ``status`` and ``kind``."""
    from stillroom.approvals import list_requests as listed

    return listed(workspace, status=status, kind=kind)


def get_request(workspace: Workspace, request_id: str) -> Request:
    """One request: its gates, the digest it is bound to, its initiator; ``UsageError`` if there is none."""
    from stillroom.approvals import get_request as get

    return get(workspace, request_id)


def decide(workspace: Workspace, request_id: str, person: Person, *, approve: bool, comment: str = "",
           role: str | None = None, waive: Sequence[str] = ()) -> ApprovalState:
    """Sign ``person``'s decision on a request with their own key; returns what the decisions now amount to.

    The policy's rules are enforced here, not by the caller: the initiator cannot approve, one person counts
    once, ``role`` must be one they hold. ``waive`` names failing gates; a gate is waived only when every
    required approver waives it.
    """
    from stillroom.approvals import decide as sign

    return sign(workspace, request_id, person, decision="approve" if approve else "reject", comment=comment,
                role=role, waive=list(waive))


def release(workspace: Workspace, request_id: str, out: Path, *, actor: str | None = None) -> dict[str, Any]:
    """Write the signed bundle of an approved request into the new directory ``out``; returns its manifest.

    Refused (``ReleaseRefused``) unless the policy's approvals hold now. ``actor`` names who released it in
    the ledger (default: ``$STILLROOM_USER``, else the operating-system user).
    """
    from stillroom.release import build_release

    return build_release(workspace, request_id, Path(out), actor=actor or os.environ.get("STILLROOM_USER") or os_actor())


def verify_release(bundle: Path, *, node_key: str | None = None, workspace: Workspace | None = None,
                   trust_bundle_key: bool = False, accept_policy: str | None = None,
                   witness: str | None = None) -> dict[str, Any]:
    """Check a release bundle offline; returns the report (``request_id``, the ``checks`` passed).

    The bundle's origin is pinned to ``node_key`` (a verifier key, or a ``.vkey`` file), else to
    ``workspace``'s node key (or one it rotated out, for a bundle whose checkpoint its ledger holds).
    Only ``trust_bundle_key=True`` accepts the key the bundle carries, which proves integrity, not origin.
    ``accept_policy`` accepts a bundle whose policy (that digest) is below the floor; ``witness`` (a
    verifier key) requires the checkpoint to carry that witness's cosignature. Raises ``BundleInvalid``
    naming the first failure.
    """
    from stillroom.release import verify_release as verify

    pinned = _pinned_node_key(Path(bundle), node_key, workspace, trust_bundle_key)
    return verify(Path(bundle), node_key=pinned, accept_policy=accept_policy, witness=_key_text(witness))


def os_actor() -> str:
    """Who acts when no Stillroom user does: the operating-system user, as ``os:NAME``."""
    return f"os:{getpass.getuser()}"


def egress_ledger(workspace: Workspace, stage: str = "cli") -> Callable[[dict[str, Any]], None]:
    """An egress guard's ``on_block`` outside a run: the attempt goes into the workspace's ledger."""
    def record(attempt: dict[str, Any]) -> None:
        workspace.ledger().record("egress.blocked", {"stage": stage, **attempt}, actor=os_actor())
    return record


def _key_text(value: str | None) -> str | None:
    """A verifier key given as itself or as the path of a ``.vkey`` file."""
    if value is not None and Path(value).is_file():
        return Path(value).read_text().strip()
    return value


def _pinned_node_key(bundle: Path, node_key: str | None, workspace: Workspace | None,
                     trust_bundle_key: bool) -> str | None:
    if node_key:
        return _key_text(node_key)
    if workspace is not None:
        ledger = workspace.ledger()
        # A bundle released before a rotation is signed by the node key of its day: pinned to it only when
        # this ledger stored the very checkpoint the bundle carries, so it is part of this node's own log.
        signer, checkpoint = _bundle_origin(bundle)
        retired = ledger.retired_node_keys()
        if signer in retired and checkpoint is not None and ledger.holds_checkpoint(checkpoint):
            return retired[signer]
        return ledger.verifier_keys()[workspace.node_key_name]
    if trust_bundle_key:
        return None
    raise RunRefused("no trusted node key to verify the bundle's origin against: pass --node-key (the issuing "
                     "node's verifier key, obtained out of band), run inside its workspace, or accept the "
                     "bundle's own key with --trust-bundle-key")


def _bundle_origin(bundle: Path) -> tuple[str | None, str | None]:
    """The key name on the bundle's provenance and its ledger checkpoint; None where unreadable (verify says why)."""
    try:
        envelope = json.loads((bundle / "provenance.dsse.json").read_text())
        signer = envelope["signatures"][0]["keyid"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        signer = None
    try:
        checkpoint = (bundle / "ledger" / "checkpoint").read_text()
    except (OSError, UnicodeDecodeError):
        checkpoint = None
    return signer, checkpoint
