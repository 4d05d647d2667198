"""Replacing a workspace's node key (``stillroom ledger rotate-key``), safe against a crash at any point.

A rotation changes three things no single write covers: the ledger (a
``key.rotated`` entry signed by the old key, after which the old key may sign
nothing), ``keys/node.key``, and ``[node] key_name`` in ``stillroom.toml``.
Whichever of the last two changed first, a crash between the ledger entry and
them would leave a workspace holding a key the ledger has retired. So the new
key is written first, as a record of what is under way, and every later step
can be repeated:

1. ``keys/rotating/<new name>.key``: the new key (0600, synced);
2. the ledger records the rotation, signed by the old key;
3. ``keys/retired/<old name>.key`` (and ``.vkey``): the old key, kept;
4. ``keys/node.key``: the new key, by one atomic rename;
5. ``stillroom.toml``: the new key's name, by one atomic rename;
6. a checkpoint signed by the new key;
7. the file of step 1 is removed.

Killed before step 2 lands, the old key is still in charge and the ledger never
heard of the new one: the next ``rotate-key`` discards it and starts afresh.
Killed after, the ledger has moved on and the workspace may not have: opening
the workspace's ledger is refused with a sentence naming ``rotate-key``, which
then finishes steps 3 to 7 from the file of step 1, skipping what is done.
"""

import fcntl
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stillroom import signing
from stillroom.artifacts import atomic_write_bytes
from stillroom.errors import WorkspaceError
from stillroom.ledger.entry import KEY_ROTATED, Entry
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Ledger, check_key_name

ROTATING = "rotating"  # keys/rotating/<new name>.key: a rotation under way
RETIRED = "retired"  # keys/retired/<old name>.key and .vkey: every node key rotated out


@dataclass(frozen=True)
class Rotation:
    old_name: str
    old_verifier_key: str
    new_name: str
    new_verifier_key: str
    seq: int  # the key.rotated entry; the old key signs nothing after it
    retired_key: str | None  # where the old private key is kept, relative to the workspace
    checkpoint: str  # signed by the new key
    resumed: bool  # this run finished a rotation an earlier one began

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rotate_node_key(ws, *, actor: str, name: str | None = None) -> Rotation:
    """Replace ``ws``'s node key with a new one named ``name``; or finish the rotation an earlier run began.

    A rotation the ledger recorded is always finished first, and then nothing
    else is done: running the command again after a crash never rotates twice.
    """
    with _only_rotation(ws):
        ledger = Ledger(ws.engine, ws.node_key_name, ws.node_key(), ws.origin)
        known = ledger.verifier_keys()
        for path in _intents(ws):
            if path.stem in known:
                return _finish(ws, ledger, path, resumed=True)
            path.unlink()  # written before a crash, never recorded: the old key is still in charge
            signing.fsync_dir(path.parent)
        new_name = name or _next_name(ws.name, known)
        check_key_name(new_name)
        if new_name in known:
            raise LedgerError(f"the ledger already has a key named {new_name!r} and key names are never reused; "
                              "choose another with --name")
        intent = ws.root / "keys" / ROTATING / f"{new_name}.key"
        signing.save_private_key(intent, signing.generate_key(), passphrase=None)
        ledger.rotate_key(new_name, signing.load_private_key(intent), actor=actor)
        return _finish(ws, ledger, intent, resumed=False)


def refuse_if_interrupted(ws, ledger: Ledger) -> None:
    """Raise if a rotation reached the ledger but not the workspace: its node key may be the retired one."""
    intents = _intents(ws)
    if not intents:
        return
    known = ledger.verifier_keys()
    for path in intents:
        if path.stem in known:
            raise WorkspaceError(f"the node key's rotation to {path.stem!r} is in the ledger but was not finished in "
                                 f"{ws.root}; run `stillroom ledger rotate-key` to finish it")


def _finish(ws, ledger: Ledger, intent: Path, *, resumed: bool) -> Rotation:
    new_name, key = intent.stem, signing.load_private_key(intent)
    new_verifier = signing.verifier_key(new_name, key.public_key())
    if ledger.verifier_keys()[new_name] != new_verifier:
        raise LedgerError(f"{intent} is not the key the ledger introduced as {new_name!r}; "
                          "the rotation cannot be finished with it")
    rotation = _rotation_entry(ledger, new_name)
    old_name = rotation.signer
    old_verifier = ledger.verifier_keys()[old_name]
    retired = _keep_old_key(ws, old_name, old_verifier)
    _install_new_key(ws, key)
    _name_new_key(ws, new_name)
    checkpoint = Ledger(ws.engine, new_name, key, ws.origin).checkpoint()
    _drop_intent(intent)
    ws.__dict__.pop("_ledger", None)  # the workspace's cached ledger signed with the old key
    return Rotation(old_name, old_verifier, new_name, new_verifier, rotation.seq,
                    str(retired.relative_to(ws.root)) if retired else None, checkpoint, resumed)


def _keep_old_key(ws, old_name: str, old_verifier: str) -> Path | None:
    """Step 3: the old key under keys/retired/, unless it is there already; None if it is gone for good."""
    kept = ws.root / "keys" / RETIRED / f"{old_name}.key"
    atomic_write_bytes(kept.with_suffix(".vkey"), (old_verifier + "\n").encode())
    if kept.exists():
        return kept
    current = ws.node_key()
    if signing.verifier_key(old_name, current.public_key()) != old_verifier:
        return None  # keys/node.key already holds another key and no copy of the old one was kept
    signing.save_private_key(kept, current, passphrase=None)
    return kept


def _install_new_key(ws, key: Ed25519PrivateKey) -> None:
    """Step 4: keys/node.key becomes the new key (one rename), unless it is already."""
    if signing.public_bytes(ws.node_key()) != signing.public_bytes(key):
        signing.replace_private_key(ws.root / "keys" / "node.key", key)


def _name_new_key(ws, new_name: str) -> None:
    """Step 5: ``[node] key_name`` in stillroom.toml names the new key; the rest of the file is kept as it is."""
    from stillroom.workspace import CONFIG

    if ws.node_key_name == new_name:
        return
    path = ws.root / CONFIG
    text = path.read_text()
    section = re.search(r"^\[node\][^\n]*\n(?:(?!\[)[^\n]*\n?)*", text, re.M)
    line = re.compile(r'^(\s*key_name\s*=\s*)"[^"\n]*"', re.M)
    changed = None
    if section and len(line.findall(section.group())) == 1:
        changed = text[:section.start()] + line.sub(rf'\g<1>"{new_name}"', section.group()) + text[section.end():]
    expected = {**ws.config, "node": {**ws.config["node"], "key_name": new_name}}
    if changed is None or tomllib.loads(changed) != expected:
        raise WorkspaceError(f'{path}: cannot set [node] key_name to "{new_name}" automatically; set it by hand, '
                             "then run `stillroom ledger rotate-key` again to finish the rotation")
    atomic_write_bytes(path, changed.encode())
    signing.fsync_dir(path.parent)
    ws.config = expected


def _drop_intent(intent: Path) -> None:
    """Step 7: the rotation is over."""
    intent.unlink()
    signing.fsync_dir(intent.parent)


def _rotation_entry(ledger: Ledger, new_name: str) -> Entry:
    for entry in ledger.entries(kind=KEY_ROTATED, limit=1_000_000):
        if entry.payload["verifier_key"].split("+", 1)[0] == new_name:
            return entry
    raise LedgerError(f"the ledger's key {new_name!r} was not introduced by a node-key rotation")


def _next_name(workspace_name: str, taken: dict[str, str]) -> str:
    """``<workspace>-node-2``, ``-3``, ...: the first the ledger has not used (``init`` names the first ``<workspace>-node``)."""
    n = 2
    while f"{workspace_name}-node-{n}" in taken:
        n += 1
    return f"{workspace_name}-node-{n}"


def _intents(ws) -> list[Path]:
    directory = ws.root / "keys" / ROTATING
    return sorted(directory.glob("*.key")) if directory.is_dir() else []


@contextmanager
def _only_rotation(ws) -> Iterator[None]:
    """One rotation at a time per workspace (an advisory lock on keys/.rotate.lock)."""
    path = ws.root / "keys" / ".rotate.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkspaceError(f"another `stillroom ledger rotate-key` is running in {ws.root}; let it finish") from None
        yield
