"""C2SP cosignature/v1 (c2sp.org/tlog-cosignature): a witness's timestamped signature on a checkpoint.

The signed message is ``cosignature/v1\\ntime <unix seconds>\\n`` followed by
the checkpoint's note text; the note signature line is
``— <witness name> base64(key ID ‖ 8-byte big-endian time ‖ Ed25519 signature)``
where the key ID is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]: the 0x04
signature type keeps a cosignature from ever passing as a plain note
signature (type 0x01) by the same key, and the other way round. Pure; no I/O.
"""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stillroom.ledger.errors import CheckpointError
from stillroom.ledger.note import SIGNATURE_PREFIX, parse_note
from stillroom.signing import SigningError, check_key_name, public_bytes

COSIGNATURE_V1 = 0x04
_HEADER = "cosignature/v1\ntime {}\n"


class CosignatureError(CheckpointError):
    """A checkpoint without a valid cosignature by the witness asked for."""


@dataclass(frozen=True)
class Cosignature:
    witness: str
    timestamp: int


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    check_key_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_bytes(public_key)).digest()[:4]


def witness_verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<8 hex key ID>+<base64(0x04 ‖ public key)>``: how a witness's key is published and pinned."""
    encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + public_bytes(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_witness_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key ID, public key) of a witness verifier key; ``CosignatureError`` if it is not one."""
    parts = text.strip().split("+", 2)
    try:
        name, hex_id, encoded = parts
        check_key_name(name)
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 33 or raw[0] != COSIGNATURE_V1 or len(hex_id) != 8:
            raise ValueError
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except (ValueError, SigningError):
        raise CosignatureError(f"witness key {text.strip()[:60]!r} is not a cosignature/v1 verifier key "
                               "(name+keyid+base64(0x04 ‖ Ed25519 key))") from None
    if key_id(name, public_key).hex() != hex_id:
        raise CosignatureError(f"witness key {name!r}: its key ID does not match its key")
    return name, bytes.fromhex(hex_id), public_key


def message(checkpoint_text: str, timestamp: int) -> bytes:
    return (_HEADER.format(timestamp) + checkpoint_text).encode()


def cosign(checkpoint_text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The note signature line (ending in a newline) cosigning ``checkpoint_text`` at ``timestamp``."""
    blob = key_id(name, key.public_key()) + struct.pack(">Q", timestamp) + key.sign(message(checkpoint_text, timestamp))
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def verify_cosigned(note: str, witness_key: str) -> Cosignature:
    """The cosignature on ``note`` by the witness ``witness_key``; raises ``CosignatureError`` if there is none
    that verifies (the checkpoint's own signatures are checked elsewhere, against the log's keys)."""
    name, kid, public_key = parse_witness_key(witness_key)
    text, signatures = parse_note(note)
    for sig in signatures:
        if sig.name != name or sig.key_hash != kid:
            continue
        if len(sig.signature) != 8 + 64:
            raise CosignatureError(f"the cosignature by {name!r} is not a timestamp and an Ed25519 signature")
        timestamp = struct.unpack(">Q", sig.signature[:8])[0]
        try:
            public_key.verify(sig.signature[8:], message(text, timestamp))
        except InvalidSignature:
            raise CosignatureError(f"the cosignature by witness {name!r} does not verify") from None
        return Cosignature(name, timestamp)
    raise CosignatureError(f"the checkpoint carries no cosignature by witness {name!r}")
