"""Ed25519 keys, signatures, C2SP verifier keys and DSSE envelopes.

Private keys live in PEM (PKCS#8) files: a person's is encrypted with their
passphrase, the node key is not (the pipeline must run unattended) but is
readable by its owner only. Public keys travel as C2SP signed-note verifier
keys (``name+hash+base64``) so that standard transparency-log tools read them.
"""

import base64
import binascii
import hashlib
import json
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stillroom.errors import StillroomError

# C2SP signed-note signature type for Ed25519 (signed-note.md, "Signature types").
ED25519_ALG = 0x01


class SigningError(StillroomError):
    """A key that cannot be read, written or parsed, or a signature that does not verify."""


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_private_key(path: str | os.PathLike, key: Ed25519PrivateKey, passphrase: str | None) -> None:
    """Write ``key`` as PEM, encrypted when a passphrase is given, mode 0600, never over an existing key.

    The file appears whole or not at all: it is written and synced under a
    temporary name (created 0600, so the key is never world-readable, not even
    for a moment) and then hard-linked into place, which fails rather than
    replacing a key that already exists: losing a key would orphan everything
    it signed.
    """
    _write_key(Path(path), key, passphrase, replace=False)


def replace_private_key(path: str | os.PathLike, key: Ed25519PrivateKey) -> None:
    """Put unencrypted ``key`` at ``path`` in one atomic rename, over whatever key was there (mode 0600).

    For a node-key rotation only, which keeps the old key elsewhere first.
    """
    _write_key(Path(path), key, None, replace=True)


def _write_key(path: Path, key: Ed25519PrivateKey, passphrase: str | None, *, replace: bool) -> None:
    if passphrase:
        pem = _seal(key, passphrase)
    else:
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise SigningError(f"{path}: a key already exists there; refusing to overwrite it") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    fsync_dir(path.parent)


def load_private_key(path: str | os.PathLike, passphrase: str | None = None) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        pem = path.read_bytes()
    except OSError as e:
        raise SigningError(f"{path}: cannot read the key file ({e.strerror})") from None
    if pem.startswith(SEALED_BEGIN):
        if not passphrase:
            raise SigningError(f"{path}: the key is encrypted and needs a passphrase")
        return _open_sealed(pem, passphrase, path)
    try:
        key = serialization.load_pem_private_key(pem, passphrase.encode() if passphrase else None)
    except TypeError:
        wanted = "is not encrypted, but a passphrase was given" if passphrase else "is encrypted and needs a passphrase"
        raise SigningError(f"{path}: the key {wanted}") from None
    except ValueError:
        reason = "the passphrase is wrong or the file is damaged" if passphrase else "the file is not a readable PEM key"
        raise SigningError(f"{path}: cannot load the key: {reason}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: expected an Ed25519 key, found {type(key).__name__}")
    return key


# A person's key at rest: the raw Ed25519 key under AES-256-GCM, keyed by argon2id from their
# passphrase. PKCS#8's best available encryption here is PBKDF2 at 2,048 rounds, which a GPU
# guesses through quickly; a reviewer's key signs approvals, so it gets a memory-hard KDF.
SEALED_BEGIN = b"-----BEGIN STILLROOM ENCRYPTED PRIVATE KEY-----\n"
SEALED_END = b"-----END STILLROOM ENCRYPTED PRIVATE KEY-----\n"
ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 1}


def _seal(key: Ed25519PrivateKey, passphrase: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    body = {"kdf": "argon2id", **ARGON2, "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(AESGCM(_derive(passphrase, salt, ARGON2)).encrypt(nonce, raw, SEALED_BEGIN)).decode()}
    return SEALED_BEGIN + base64.encodebytes(json.dumps(body).encode()) + SEALED_END


def _open_sealed(pem: bytes, passphrase: str, path: Path) -> Ed25519PrivateKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        body = json.loads(base64.decodebytes(pem[len(SEALED_BEGIN):].split(SEALED_END)[0]))
        params = {k: int(body[k]) for k in ARGON2}
        salt, nonce, ciphertext = (base64.b64decode(body[k]) for k in ("salt", "nonce", "ciphertext"))
        raw = AESGCM(_derive(passphrase, salt, params)).decrypt(nonce, ciphertext, SEALED_BEGIN)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (InvalidTag, KeyError, ValueError, TypeError, binascii.Error):
        raise SigningError(f"{path}: cannot load the key: the passphrase is wrong or the file is damaged") from None


def _derive(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(passphrase.encode(), salt, hash_len=32, type=Type.ID, **params)


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise SigningError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> None:
    """Raise ``SigningError`` unless ``signature`` is ``public_key``'s signature of ``message``."""
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        raise SigningError("the signature does not verify with the given key") from None


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte C2SP key hash: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    check_key_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519_ALG]) + public_bytes(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<8 hex key hash>+<base64(0x01 ‖ public key)>``, the C2SP verifier key string."""
    encoded = base64.b64encode(bytes([ED25519_ALG]) + public_bytes(public_key)).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Split and check a verifier key string; returns (name, key hash, public key)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise SigningError(f"verifier key {text[:60]!r} is not of the form name+hash+key")
    name, hash_hex, encoded = parts
    try:
        claimed = bytes.fromhex(hash_hex)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise SigningError(f"verifier key for {name!r} has a malformed hash or key encoding") from None
    if len(hash_hex) != 8 or hash_hex != hash_hex.lower() or len(raw) != 33 or raw[0] != ED25519_ALG:
        raise SigningError(f"verifier key for {name!r} is not an Ed25519 key in C2SP form")
    public_key = public_key_from_bytes(raw[1:])
    if key_hash(name, public_key) != claimed:
        raise SigningError(f"verifier key for {name!r} has key hash {hash_hex}, which does not match its key")
    return name, claimed, public_key


def check_key_name(name: str) -> None:
    """C2SP key names are non-empty, contain no whitespace and no '+'."""
    if not name or "+" in name or any(c.isspace() for c in name):
        raise SigningError(f"key name {name!r} must be non-empty, without spaces or '+'")


def dsse_sign(payload: bytes, payload_type: str, key: Ed25519PrivateKey, keyid: str) -> dict:
    """A DSSE v1 envelope over ``payload`` with one signature."""
    signature = key.sign(pae(payload_type, payload))
    return {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}],
    }


def dsse_verify(envelope: dict, trusted: dict[str, Ed25519PublicKey]) -> bytes:
    """The payload, once at least one signature by a ``trusted`` key verifies.

    Signatures by keys not in ``trusted`` are ignored rather than fatal, as the
    DSSE protocol says: an envelope may carry signatures for other verifiers.
    """
    try:
        payload = _b64decode(envelope["payload"])
        payload_type = envelope["payloadType"]
        signatures = envelope["signatures"]
        message = pae(payload_type, payload)
        for entry in signatures:
            public_key = trusted.get(entry.get("keyid", ""))
            if public_key is None:
                continue
            try:
                public_key.verify(_b64decode(entry["sig"]), message)
            except InvalidSignature:
                continue
            return payload
    except (KeyError, TypeError, AttributeError, ValueError, binascii.Error):
        raise SigningError("the DSSE envelope is malformed") from None
    raise SigningError(f"no signature in the DSSE envelope verifies with a trusted key ({', '.join(sorted(trusted)) or 'none'})")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    type_bytes = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def _b64decode(text: str) -> bytes:
    # DSSE allows standard or URL-safe base64; accept both, strictly.
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return base64.b64decode(text, validate=True)


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
