"""A witness's own directory, and the one rule it enforces: cosign only what extends what it cosigned.

```
DIR/witness.key    the witness's Ed25519 key (mode 0600)
DIR/witness.vkey   its cosignature/v1 verifier key, to publish
DIR/witness.json   {"name": ..., "logs": {origin: {"keys": [log verifier keys], "size": n, "root": base64}}}
```
``witness.json`` is replaced atomically (fsync, rename) before a cosignature
leaves the process, so a crash can lose a cosignature but never let the
witness forget a size it vouched for. ``add_checkpoint`` is the rule of
c2sp.org/tlog-witness, and each refusal carries the HTTP status the spec
gives it: 404 unknown log, 403 not signed by the log, 400 a checkpoint older
than the size it claims to extend, 409 a stale old size or a fork at the
same size, 422 a consistency proof that fails (a fork or a rollback).
"""

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path

from stillroom import signing
from stillroom.artifacts import atomic_write_bytes
from stillroom.errors import StillroomError, UsageError
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint, verify_checkpoint
from stillroom.ledger.errors import CheckpointError, ProofError
from stillroom.ledger.note import verifiers_from
from stillroom.witness.cosignature import cosign, witness_verifier_key

KEY, VKEY, STATE = "witness.key", "witness.vkey", "witness.json"


class WitnessRefused(StillroomError):
    """A checkpoint the witness will not cosign; ``status`` is the HTTP status tlog-witness gives it."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # on 409: the size the witness last cosigned


@dataclass
class LogState:
    keys: list[str]
    size: int = 0
    root: bytes | None = None


def init_witness(directory: Path, *, name: str, origin: str, log_keys: list[str]) -> str:
    """Create a witness's state directory for one log; returns its verifier key."""
    directory = Path(directory)
    if (directory / STATE).exists():
        raise UsageError(f"{directory} already holds a witness")
    signing.check_key_name(name)
    if not log_keys:
        raise UsageError("a witness needs the log's verifier key (--log-key) to know whose checkpoints to cosign")
    verifiers_from(log_keys)  # each must parse
    directory.mkdir(parents=True, exist_ok=True)
    key = signing.generate_key()
    signing.save_private_key(directory / KEY, key, passphrase=None)
    vkey = witness_verifier_key(name, key.public_key())
    atomic_write_bytes(directory / VKEY, (vkey + "\n").encode())
    _save(directory, name, {origin: LogState(list(log_keys))})
    return vkey


class Witness:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            data = json.loads((self.directory / STATE).read_text())
            self.name = data["name"]
            self.logs = {origin: LogState(log["keys"], log["size"],
                                          base64.b64decode(log["root"]) if log["root"] else None)
                         for origin, log in data["logs"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(f"{self.directory} is not a witness state directory; create one with "
                             "`stillroom witness init`") from None
        self.key = signing.load_private_key(self.directory / KEY)
        self.verifier_key = witness_verifier_key(self.name, self.key.public_key())

    def add_checkpoint(self, old_size: int, proof: list[bytes], note: str) -> str:
        """Cosign ``note`` if it extends the last checkpoint cosigned for its log; returns the signature line."""
        checkpoint, log = self._checkpoint(note)
        extend(log, old_size, proof, checkpoint)
        text = checkpoint.text()
        line = cosign(text, self.name, self.key, int(time.time()))
        origin = checkpoint.origin
        _save(self.directory, self.name, {**self.logs, origin: LogState(log.keys, checkpoint.size, checkpoint.root)})
        log.size, log.root = checkpoint.size, checkpoint.root  # only once the new state is durable
        return line

    def _checkpoint(self, note: str) -> tuple[Checkpoint, LogState]:
        origin = note.split("\n", 1)[0]
        log = self.logs.get(origin)
        if log is None:
            raise WitnessRefused(404, f"this witness does not witness log {origin[:80]!r}")
        try:
            return verify_checkpoint(note, verifiers_from(log.keys), origin), log
        except CheckpointError as e:
            raise WitnessRefused(403, f"the checkpoint is not signed by log {origin!r} ({e})") from None


def extend(log: LogState, old_size: int, proof: list[bytes], checkpoint: Checkpoint) -> None:
    """Raise ``WitnessRefused`` unless ``checkpoint`` is consistent with the log's last cosigned one."""
    if old_size > checkpoint.size:
        raise WitnessRefused(400, f"old size {old_size} is larger than the checkpoint's size {checkpoint.size}")
    if old_size != log.size:
        raise WitnessRefused(409, f"this witness last cosigned size {log.size}, not {old_size}", size=log.size)
    if old_size == 0:
        if proof:
            raise WitnessRefused(400, "a first checkpoint comes without a consistency proof")
        return
    if old_size == checkpoint.size and checkpoint.root != log.root:
        raise WitnessRefused(409, f"a different root at size {old_size}, the size this witness cosigned: a fork",
                             size=log.size)
    assert log.root is not None  # a log cosigned at a size above 0 holds that checkpoint's root
    try:
        merkle.verify_consistency(old_size, checkpoint.size, proof, log.root, checkpoint.root)
    except ProofError as e:
        raise WitnessRefused(422, f"the checkpoint of size {checkpoint.size} does not extend the one of size "
                                  f"{old_size} this witness cosigned ({e})") from None


def _save(directory: Path, name: str, logs: dict[str, LogState]) -> None:
    data = {"name": name, "logs": {origin: {"keys": log.keys, "size": log.size,
                                            "root": base64.b64encode(log.root).decode() if log.root else None}
                                   for origin, log in logs.items()}}
    atomic_write_bytes(directory / STATE, json.dumps(data, indent=2).encode())
