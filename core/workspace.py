"""A workspace: one directory holding a deployment's config, keys, policies, store and artifacts.

```
stillroom.toml          name, ledger origin, node key name; [witness] url and key when a witness cosigns;
                        [signer] socket when a `stillroom signer` process holds the node key
policies/*.yaml         the policy files; in force only as the ledger's latest `policy.adopted` entry names them
keys/node.key           the node's Ed25519 signing key (mode 0600)
keys/retired/           the public .vkey of each node key replaced by `stillroom ledger rotate-key` (its private key is destroyed)
keys/secret             the keyed-pseudonym secret (mode 0600)
stillroom.db            the SQLite store (unless STILLROOM_DATABASE_URL is set)
artifacts/sha256/..     the content-addressed artifact store
```
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from stillroom.artifacts import ArtifactStore, atomic_write_bytes
from stillroom.errors import WorkspaceError

CONFIG = "stillroom.toml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def init_workspace(directory: Path, *, name: str | None = None) -> Workspace:
    """Create a workspace: config, default policies, node key, secret, migrated store."""
    from stillroom import signing
    from stillroom.policy import default_policy_files

    root = Path(directory).resolve()
    if (root / CONFIG).exists():
        raise WorkspaceError(f"{root} is already a Stillroom workspace")
    name = name or _safe_name(root.name)
    if not _NAME.match(name):
        raise WorkspaceError(f"workspace name {name!r} must be letters, digits, '.', '_' or '-'")
    (root / "keys").mkdir(parents=True, exist_ok=True)
    (root / "policies").mkdir(exist_ok=True)
    for filename, text in default_policy_files().items():
        atomic_write_bytes(root / "policies" / filename, text.encode())
    signing.save_private_key(root / "keys" / "node.key", signing.generate_key(), passphrase=None)
    _write_secret(root / "keys" / "secret", secrets.token_bytes(32))
    origin = f"stillroom.local/{name}/{secrets.token_hex(4)}"
    config = (
        f'[workspace]\nname = "{name}"\n\n'
        f'[ledger]\n# The log name in every checkpoint (C2SP origin line).\norigin = "{origin}"\n\n'
        f'[node]\nkey_name = "{name}-node"\n'
    )
    atomic_write_bytes(root / CONFIG, config.encode())
    workspace = Workspace.open(root)
    workspace.engine  # noqa: B018 (reading the property creates and migrates the store)
    from stillroom.policy import adopt_policy

    adopt_policy(workspace, actor="stillroom-init")  # node-signed: the chain has no admin yet
    return workspace


def find_workspace(directory: Path | None = None) -> Path:
    """``--workspace DIR``, else ``$STILLROOM_WORKSPACE``, else the current directory."""
    chosen = directory or os.environ.get("STILLROOM_WORKSPACE") or Path.cwd()
    return Path(chosen).resolve()


@dataclass
class Workspace:
    root: Path
    config: dict = field(repr=False)

    @classmethod
    def open(cls, directory: Path | None = None) -> Workspace:
        root = find_workspace(directory)
        path = root / CONFIG
        if not path.exists():
            raise WorkspaceError(f"no Stillroom workspace at {root}; create one with `stillroom init {root}`")
        try:
            config = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise WorkspaceError(f"{path}: not valid TOML ({exc})") from None
        for section, key in (("workspace", "name"), ("ledger", "origin"), ("node", "key_name")):
            if not isinstance(config.get(section, {}).get(key), str):
                raise WorkspaceError(f"{path}: [{section}] {key} is missing; it should be a string")
        workspace = cls(root=root, config=config)
        from stillroom.runlock import reconcile_runs

        reconcile_runs(workspace)  # a run whose process died (SIGKILL) becomes `interrupted` here, ledgered
        return workspace

    @property
    def name(self) -> str:
        return self.config["workspace"]["name"]

    @property
    def origin(self) -> str:
        return self.config["ledger"]["origin"]

    @property
    def node_key_name(self) -> str:
        return self.config["node"]["key_name"]

    @property
    def witness(self) -> tuple[str, str] | None:
        """([witness] url, key): the witness that cosigns this workspace's checkpoints, if one is configured."""
        section = self.config.get("witness")
        if section is None:
            return None
        url, key = (section.get(k) if isinstance(section, dict) else None for k in ("url", "key"))
        if not isinstance(url, str) or not isinstance(key, str) or not url.startswith(("http://", "https://")):
            raise WorkspaceError(f"{self.root / CONFIG}: [witness] needs url (the witness's http:// address) and key "
                                 "(its cosignature verifier key), both strings")
        from stillroom.witness.cosignature import CosignatureError, parse_witness_key

        try:
            parse_witness_key(key)
        except CosignatureError as e:
            raise WorkspaceError(f"{self.root / CONFIG}: [witness] key: {e}") from None
        return url, key

    @property
    def database_url(self) -> str:
        from stillroom.store.db import sqlite_url

        return os.environ.get("STILLROOM_DATABASE_URL") or sqlite_url(self.root / "stillroom.db")

    @cached_property
    def engine(self):
        from stillroom.store import db

        engine = db.make_engine(self.database_url)
        db.migrate(engine)
        return engine

    def session(self):
        """A store session (a context manager) on this workspace's database."""
        from stillroom.store.db import session

        return session(self.engine)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.root / "artifacts")

    @property
    def policy_dir(self) -> Path:
        return self.root / "policies"

    def policy(self):
        """The policy in force: the files in ``policies/``, refused unless they are the ones the ledger adopted."""
        from stillroom.policy import check_adopted, load_policy

        policy = load_policy(self.policy_dir)
        check_adopted(self.policy_dir, self.trust().policy)
        return policy

    def ledger(self):
        """The workspace's signed audit ledger, signing as the node key."""
        if "_ledger" not in self.__dict__:
            from stillroom.ledger.log import Ledger

            self.__dict__["_ledger"] = Ledger.for_workspace(self)
        return self.__dict__["_ledger"]

    def trust(self):
        """The verified chain's trust (``KeyChain``): person keys and their owners, users and roles, the policy
        in force. Read-only, so it works mid-rotation too; raises ``LedgerError`` when the ledger does not verify."""
        if "_reader" not in self.__dict__:
            from stillroom.ledger.log import Ledger

            self.__dict__["_reader"] = Ledger.reader(self.engine, self.origin)
        return self.__dict__["_reader"].trust()

    def node_key(self):
        """The node's private key from ``keys/node.key``; refused where a signer process holds it instead."""
        from stillroom import signing

        if self.signer_socket is not None:
            raise WorkspaceError(f"the node key is held by the signer at {self.signer_socket}, not by this process, "
                                 "and this operation needs the key itself (rotating a signer's key is not supported)")
        return signing.load_private_key(self.root / "keys" / "node.key")

    def node_signer(self):
        """What signs as the node: the signer process when ``[signer] socket`` is set, else ``keys/node.key``."""
        if self.signer_socket is None:
            from stillroom.ledger.nodesigner import KeyFileSigner

            return KeyFileSigner(self.node_key())
        from stillroom.signer.client import SignerClient

        state = self.config["signer"].get("state")  # set: the CLI starts the signer itself when it is not running
        if state is not None and not isinstance(state, str):
            raise WorkspaceError(f"{self.root / CONFIG}: [signer] state must be the signer's state directory")
        return SignerClient(self.signer_socket, name=self.node_key_name, origin=self.origin,
                            start=(Path(state), self.root) if state else None)

    @property
    def signer_socket(self) -> Path | None:
        """``[signer] socket``: the Unix socket of the ``stillroom signer`` that holds the node key, if any."""
        section = self.config.get("signer")
        if section is None:
            return None
        socket = section.get("socket") if isinstance(section, dict) else None
        if not isinstance(socket, str) or not socket:
            raise WorkspaceError(f"{self.root / CONFIG}: [signer] needs socket, the signer's Unix socket path")
        return Path(socket)

    def secret(self) -> bytes:
        path = self.root / "keys" / "secret"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise WorkspaceError(f"{path} is missing; the workspace's pseudonym secret cannot be recovered") from None


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _safe_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return cleaned[:63] or "workspace"
