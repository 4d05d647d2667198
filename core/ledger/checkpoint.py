"""Ledger checkpoints in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint).

The note text is ``<origin>\\n<tree size>\\n<base64 root>\\n``; Stillroom writes no
extension lines and refuses notes that carry them, so that everything signed
is something a monitor can audit.
"""

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stillroom.ledger.errors import CheckpointError
from stillroom.ledger.merkle import HASH_SIZE
from stillroom.ledger.nodesigner import NodeSigner
from stillroom.ledger.note import Verifiers, open_note, parse_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[tuple[str, Ed25519PrivateKey | NodeSigner]]) -> str:
    """The signed note for ``checkpoint``, one signature line per (key name, key)."""
    _check_origin(checkpoint.origin)
    if checkpoint.size < 0 or len(checkpoint.root) != HASH_SIZE:
        raise CheckpointError(f"a checkpoint needs a size of at least 0 and a {HASH_SIZE}-byte root")
    return sign_note(checkpoint.text(), signers)


def verify_checkpoint(note: str, verifiers: Verifiers, origin: str) -> Checkpoint:
    """The checkpoint, once a trusted key's signature verifies and its origin is ``origin``."""
    text, _ = open_note(note, verifiers)
    checkpoint = parse_checkpoint_text(text)
    if checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def read_checkpoint(note: str) -> Checkpoint:
    """The checkpoint a note claims, without checking any signature: for display, never for trust."""
    text, _ = parse_note(note)
    return parse_checkpoint_text(text)


def parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) != 4 or lines[3] != "":
        raise CheckpointError("a checkpoint's text is exactly three lines: origin, tree size, root hash")
    origin, size, root = lines[:3]
    _check_origin(origin)
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"checkpoint tree size {size[:30]!r} is not a decimal number without leading zeros")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        root_hash = None
    if root_hash is None or base64.b64encode(root_hash).decode() != root:
        raise CheckpointError("checkpoint root hash is not canonical base64")
    if len(root_hash) != HASH_SIZE:
        raise CheckpointError(f"checkpoint root hash is {len(root_hash)} bytes, expected {HASH_SIZE}")
    return Checkpoint(origin, int(size), root_hash)


def _check_origin(origin: str) -> None:
    if not origin or "+" in origin or any(c.isspace() for c in origin):
        raise CheckpointError(f"log origin {origin!r} must be non-empty, without spaces or '+'")
