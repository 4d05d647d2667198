"""``stillroom signer init``: the node key and the verified log move into the signer's state directory."""

import os
from dataclasses import dataclass
from pathlib import Path

from stillroom import signing
from stillroom.artifacts import atomic_write_bytes
from stillroom.errors import UsageError
from stillroom.ledger.entry import GENESIS, POLICY_ADOPTED
from stillroom.ledger.log import Ledger
from stillroom.signer.server import KEY, STATE, save_state
from stillroom.signer.state import SignerState
from stillroom.workspace import CONFIG

INIT_ENTRIES = 2  # the genesis and the default policy's adoption, node-signed by `stillroom init`


@dataclass(frozen=True)
class SignerInit:
    size: int
    moved: bool


def init_signer(ws, directory: Path, socket_path: Path, *, pkcs11_module: Path | None = None,
                token: str | None = None) -> SignerInit:
    directory = Path(directory)
    if ws.signer_socket is not None:
        raise UsageError(f"{ws.root / CONFIG} already names a signer ({ws.signer_socket})")
    if (directory / STATE).exists():
        raise UsageError(f"{directory} already holds a signer")
    ledger = Ledger.for_workspace(ws)
    report = ledger.verify() if ledger.size() else None  # an empty log has nothing to verify yet
    if report is not None and not report.ok:
        raise UsageError(f"the ledger does not verify ({report.failure}); a signer adopts only a verified log")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    name = ws.node_key_name
    if pkcs11_module is not None:
        from stillroom.ledger.rotation import _name_new_key, check_node_key_name
        from stillroom.signer.pkcs11 import make_token_key

        kinds = {entry.kind for entry in ledger.entries(limit=INIT_ENTRIES + 1)}
        if ledger.size() > INIT_ENTRIES or not kinds <= {GENESIS, POLICY_ADOPTED}:
            raise UsageError("an HSM key can take over only a new log (what `stillroom init` wrote, before any "
                             f"user, run or other entry); this one has {ledger.size()} entries")
        if ledger.size():  # init's file key signed the genesis: it hands over to the token's key and is destroyed
            name = f"{ws.node_key_name}-hsm"
            check_node_key_name(name, ledger.trust())
        key = make_token_key(directory, pkcs11_module, token, label=name)
        if ledger.size():
            ledger.rotate_key(name, key, actor="stillroom signer init")  # type: ignore[arg-type]  # it signs only the rotation: this command appends nothing after it, and the signer service wraps the token key
            _name_new_key(ws, name)
    else:
        key = ws.node_key()
        signing.save_private_key(directory / KEY, key, passphrase=None)
    state = SignerState(name, ws.origin, signing.verifier_key(name, key.public_key()))
    for _seq, leaf, signature, _ in ledger.rows():
        state.taken(state.observe(leaf, signature, adopting=True))
    save_state(directory, state)
    config = ws.root / CONFIG
    atomic_write_bytes(config, (config.read_text() + f'\n[signer]\nsocket = "{Path(socket_path).resolve()}"\n').encode())
    moved = pkcs11_module is None
    _destroy(ws.root / "keys" / "node.key")
    return SignerInit(state.size, moved)


def _destroy(path: Path) -> None:
    """Overwrite and remove the workspace's copy: from now on only the signer holds the key."""
    if path.exists():
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.write(os.urandom(size))
            f.flush()
            os.fsync(f.fileno())
        path.unlink()
