"""Replacing a workspace's node key (``stillroom ledger rotate-key``), safe against a crash at any point.

A rotation changes three things no single write covers: the ledger (a
``key.rotated`` entry signed by the old key, after which the ledger accepts
nothing more the old key signs), ``keys/node.key``, and ``[node] key_name`` in
``stillroom.toml``. Whichever of the last two changed first, a crash between the
ledger entry and them would leave a workspace holding a key the ledger has
retired. So the new key is written first, as a record of what is under way, and
every later step can be repeated:

1. ``keys/rotating/<new name>.key``: the new key (0600, synced);
2. the ledger records the rotation: a ``key.rotation_authorised`` entry signed by
   the admin's own key (naming the old and the new verifier key), then the
   ``key.rotated`` entry, signed by the old key, with the admin as its actor;
3. ``keys/retired/<old name>.vkey``: the old key's public half, kept for good;
   ``keys/retired/<old name>.key``: a second name (a hard link) for the old
   private key's file, so that step 5 can overwrite its bytes;
4. ``keys/node.key``: the new key, by one atomic rename;
5. ``keys/retired/*.key``: overwritten, removed, the directory synced. Nothing
   needs the old private key after step 2 (its signature on the rotation entry),
   and a copy left on disk could sign bundles that a verifier pinning the old
   ``.vkey`` offline (a release made before the rotation) would accept;
6. ``stillroom.toml``: the new key's name, by one atomic rename;
7. a checkpoint signed by the new key;
8. the file of step 1 is removed.

Killed before step 2's ``key.rotated`` lands, the old key is still in charge and
the ledger never heard of the new one: the next ``rotate-key`` discards it and
starts afresh (an authorisation entry it may have left names a key that never
took office). Killed after, the ledger has moved on and the workspace may not
have: opening the workspace's ledger is refused with a sentence naming
``rotate-key``, which then finishes steps 3 to 8 from the file of step 1,
skipping what is done; a private key a crash left under ``keys/retired/`` is
destroyed then.

What destroying the file does not do: it cannot recall a copy made earlier (a
backup of ``keys/``), and on copy-on-write or flash storage an overwrite may not
reach every old block. The ledger (live or exported) is what shows the old key
retired at its rotation entry; a verifier that pins only the old ``.vkey`` trusts
whatever that key ever signed.
"""

import fcntl
import os
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
from stillroom.errors import UsageError, WorkspaceError
from stillroom.ledger.entry import KEY_ROTATED, Entry
from stillroom.ledger.entry import KEY_ROTATION_AUTHORISED as AUTHORISED  # admin-signed, before key.rotated
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Draft, Ledger, check_key_name

ROTATING = "rotating"  # keys/rotating/<new name>.key: a rotation under way
RETIRED = "retired"  # keys/retired/<old name>.vkey: the public half of every node key rotated out


@dataclass(frozen=True)
class Rotation:
    old_name: str
    old_verifier_key: str
    new_name: str
    new_verifier_key: str
    seq: int  # the key.rotated entry; the ledger accepts nothing the old key signs after it
    actor: str  # who the key.rotated entry names as having rotated the key
    retired_vkey: str  # the old key's public half, relative to the workspace
    destroyed: list[str]  # private key files this run overwrote and removed from keys/retired/
    checkpoint: str  # signed by the new key
    resumed: bool  # this run finished a rotation an earlier one began

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rotate_node_key(ws, *, admin=None, actor: str | None = None, name: str | None = None) -> Rotation:
    """Replace ``ws``'s node key with a new one named ``name``; or finish the rotation an earlier run began.

    ``admin``: an unlocked :class:`stillroom.users.Person` who holds the ``admin`` role now, with their
    current key (what ``stillroom ledger rotate-key --as ADMIN`` passes); they are the rotation entry's
    actor, and their own key signs a ``key.rotation_authorised`` entry just before it. ``actor`` instead
    is taken on the caller's word, and only while the chain has no admin yet (a bare workspace); once it
    has one, the chain refuses a rotation no admin authorised, whoever holds the node key.

    A rotation the ledger recorded is always finished first, and then nothing
    else is done: running the command again after a crash never rotates twice.
    """
    if admin is not None:
        from stillroom.users import check_admin

        check_admin(ws, admin, only_admins="rotate the node key")
        actor = admin.name
    if not actor:
        raise UsageError("a node-key rotation needs an admin (--as ADMIN, unlocked with their passphrase)")
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
        trust = ledger.trust()
        if admin is None and trust.has_admin():
            raise UsageError("the ledger has an admin, so only an admin may rotate the node key "
                             "(--as ADMIN, unlocked with their passphrase)")
        check_node_key_name(new_name, trust)
        intent = ws.root / "keys" / ROTATING / f"{new_name}.key"
        signing.save_private_key(intent, signing.generate_key(), passphrase=None)
        new_key = signing.load_private_key(intent)
        if admin is not None:
            payload = {"old_verifier_key": known[ws.node_key_name],
                       "new_verifier_key": signing.verifier_key(new_name, new_key.public_key())}
            ledger.govern([Draft(AUTHORISED, payload, admin.name)], signed_by=(admin.key_name, admin.key))
        ledger.rotate_key(new_name, new_key, actor=actor)
        return _finish(ws, ledger, intent, resumed=False)


def check_node_key_name(name: str, trust) -> None:
    """A node key never takes a name of the form of a user's person keys (``<user>-k<N>``): the chain would
    refuse it, and a decision it signed must never look like that person's."""
    m = re.fullmatch(r"(.+)-k\d+", name)
    if m and (m.group(1) in trust.users or any(k.owner == m.group(1) for k in trust.keys.values())):
        raise UsageError(f"node key name {name!r} has the form of {m.group(1)}'s person keys ({m.group(1)}-k<N>); "
                         "choose another with --name")


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
    vkey = _keep_old_key(ws, old_name, old_verifier)
    _install_new_key(ws, key)
    destroyed = _destroy_old_keys(ws)
    _name_new_key(ws, new_name)
    checkpoint = Ledger(ws.engine, new_name, key, ws.origin).checkpoint()
    _drop_intent(intent)
    ws.__dict__.pop("_ledger", None)  # the workspace's cached ledger signed with the old key
    return Rotation(old_name, old_verifier, new_name, new_verifier, rotation.seq, rotation.actor,
                    str(vkey.relative_to(ws.root)), [str(p.relative_to(ws.root)) for p in destroyed],
                    checkpoint, resumed)


def _keep_old_key(ws, old_name: str, old_verifier: str) -> Path:
    """Step 3: the old key's public half under keys/retired/; and, while keys/node.key is still the old key,
    a hard link to that file, so step 5 overwrites the very bytes a rename alone would leave on disk."""
    kept = ws.root / "keys" / RETIRED / f"{old_name}.key"
    vkey = kept.with_suffix(".vkey")
    kept.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(vkey, (old_verifier + "\n").encode())
    node_key = ws.root / "keys" / "node.key"
    if kept.exists() or signing.verifier_key(old_name, ws.node_key().public_key()) != old_verifier:
        return vkey  # linked already, or keys/node.key holds the new key: nothing left to link
    try:
        os.link(node_key, kept)
    except OSError:
        pass  # no hard links here: the rename of step 4 frees the old file without overwriting it
    signing.fsync_dir(kept.parent)
    return vkey


def _install_new_key(ws, key: Ed25519PrivateKey) -> None:
    """Step 4: keys/node.key becomes the new key (one rename), unless it is already."""
    if signing.public_bytes(ws.node_key()) != signing.public_bytes(key):
        signing.replace_private_key(ws.root / "keys" / "node.key", key)


def _destroy_old_keys(ws) -> list[Path]:
    """Step 5: every private key under keys/retired/ overwritten and removed (a crashed run's, or one an
    earlier version kept), never the file that is still keys/node.key."""
    directory = ws.root / "keys" / RETIRED
    node_key = ws.root / "keys" / "node.key"
    live = node_key.stat()
    destroyed = []
    for path in sorted(directory.glob("*.key")) if directory.is_dir() else []:
        st = path.lstat()
        if (st.st_dev, st.st_ino) == (live.st_dev, live.st_ino):
            continue  # keys/node.key still is this file (step 4 has not run): never overwrite the live key
        _shred(path, st)
        destroyed.append(path)
    if destroyed:
        signing.fsync_dir(directory)
    return destroyed


def _shred(path: Path, st: os.stat_result) -> None:
    """Overwrite a regular file's bytes in place (synced), then unlink it; a link or a file with other names
    is only unlinked, since its bytes are not only this name's."""
    import stat as stat_module

    if stat_module.S_ISREG(st.st_mode) and st.st_nlink == 1:
        with open(path, "r+b", buffering=0) as handle:
            handle.write(os.urandom(max(st.st_size, 1)))
            os.fsync(handle.fileno())
    path.unlink()


def _name_new_key(ws, new_name: str) -> None:
    """Step 6: ``[node] key_name`` in stillroom.toml names the new key; the rest of the file is kept as it is."""
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
    """Step 8: the rotation is over."""
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
