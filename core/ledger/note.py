"""C2SP signed notes (c2sp.org/signed-note): text, a blank line, one signature line per key.

A signature line is ``— <key name> base64(4-byte key hash ‖ Ed25519 signature)``
over the text including its final newline. The rules for reading one follow
the spec and golang.org/x/mod/sumdb/note: unknown keys are ignored, a known key
whose signature fails rejects the whole note, and a note with no verified
signature from a known key is rejected.
"""

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stillroom.ledger.errors import CheckpointError
from stillroom.ledger.nodesigner import NodeSigner
from stillroom.signing import SigningError, check_key_name, key_hash, parse_verifier_key

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks verifiers for a limit of at least 16; Go's note package uses 100

Verifiers = dict[tuple[str, bytes], Ed25519PublicKey]


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_hash: bytes
    signature: bytes


def sign_note(text: str, signers: Sequence[tuple[str, Ed25519PrivateKey | NodeSigner]]) -> str:
    """The signed note: ``text``, a blank line, then one signature line per (key name, key)."""
    _check_text(text)
    if not signers:
        raise CheckpointError("a signed note needs at least one signer")
    lines = []
    for name, key in signers:
        check_key_name(name)
        blob = key_hash(name, key.public_key()) + key.sign(text.encode())
        lines.append(f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


def open_note(note: str, verifiers: Verifiers) -> tuple[str, list[NoteSignature]]:
    """The note's text and the signatures that verified; raises ``CheckpointError`` otherwise."""
    text, signatures = parse_note(note)
    message = text.encode()
    verified = []
    for sig in signatures:
        public_key = verifiers.get((sig.name, sig.key_hash))
        if public_key is None:
            continue
        try:
            public_key.verify(sig.signature, message)
        except InvalidSignature:
            raise CheckpointError(f"the signature by known key {sig.name!r} ({sig.key_hash.hex()}) does not verify") from None
        verified.append(sig)
    if not verified:
        names = ", ".join(sorted({s.name for s in signatures}))
        raise CheckpointError(f"no signature on the note is from a trusted key (signed by: {names})")
    return text, verified


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, checking the format only."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("a signed note must not contain control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("a signed note is text, a blank line, then signature lines, each ending in a newline")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"a signed note may carry at most {MAX_SIGNATURES} signatures, this one has {len(lines)}")
    signatures = [_parse_signature_line(line) for line in lines]
    if len(set(signatures)) != len(signatures):
        raise CheckpointError("a signed note carries the same signature twice")
    return text, signatures


def verifiers_from(verifier_keys: list[str]) -> Verifiers:
    """The lookup ``open_note`` needs, from C2SP verifier key strings."""
    table: Verifiers = {}
    for text in verifier_keys:
        try:
            name, hash_, public_key = parse_verifier_key(text)
        except SigningError as e:
            raise CheckpointError(str(e)) from None
        table[name, hash_] = public_key
    return table


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        check_key_name(name)
        blob = base64.b64decode(encoded, validate=True)
    except (SigningError, ValueError):
        blob = None
    # Only the canonical encoding is accepted, so one note has one spelling.
    if blob is None or base64.b64encode(blob).decode() != encoded:
        raise CheckpointError(f"signature line {line[:40]!r} is not '— <key name> <canonical base64>'")
    if len(blob) < 5:
        raise CheckpointError(f"the signature by {name!r} is too short to hold a key hash and a signature")
    return NoteSignature(name, blob[:4], blob[4:])


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise CheckpointError("note text must end in a newline and must not contain blank lines")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise CheckpointError("note text must not contain control characters other than newline")
