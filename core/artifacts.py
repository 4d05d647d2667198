"""The workspace's content-addressed artifact store.

Files live at ``artifacts/sha256/<2 hex>/<64 hex>``. A write goes to a temp
file in the same directory, is fsynced, then renamed into place, so a crash
never leaves a half-written artifact under a digest name. A read re-hashes
the bytes and refuses any that no longer match their name.

``remember(key, digest)`` / ``recall(key)`` name an artifact by a cache key
(e.g. teacher digest + input digest), so work done once is found again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import rfc8785

from stillroom.errors import ArtifactError

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(value: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """The RFC 8785 (JCS) bytes of ``value``: what every digest of a JSON value in the ledger hashes.

    JCS, not ``json.dumps(sort_keys=True)``, so that an auditor recomputes a spec
    digest or a label-cache key with any JCS tool: the two differ on floats
    (JCS writes ``1e-7`` and ``5``, Python ``1e-07`` and ``5.0``) and on key order
    beyond U+FFFF (JCS sorts UTF-16 code units). ``default`` turns a value JCS
    cannot hold (another type, an integer beyond ±(2**53 - 1), NaN or infinity)
    into one it can, as ``json.dumps``'s does; without it such a value is an error.
    """
    try:
        return rfc8785.dumps(value if default is None else _representable(value, default))
    except rfc8785.CanonicalizationError as e:
        raise ArtifactError(f"cannot write canonical JSON (RFC 8785): {e}") from None


def _representable(value: Any, default: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        return {key: _representable(item, default) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_representable(item, default) for item in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and abs(value) <= JCS_MAX_INT:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return default(value)


JCS_MAX_INT = 2**53 - 1  # RFC 8785 §3.2.2.3: the integers an IEEE 754 double holds exactly


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_bytes(self, data: bytes) -> str:
        digest = sha256_bytes(data)
        target = self.path(digest)
        if not target.exists():
            atomic_write_bytes(target, data)
        return digest

    def put_file(self, source: Path) -> str:
        digest = sha256_file(source)
        target = self.path(digest)
        if not target.exists():
            atomic_write_bytes(target, Path(source).read_bytes())
        return digest

    def put_json(self, value: Any) -> str:
        return self.put_bytes(canonical_json(value))

    def read_bytes(self, digest: str) -> bytes:
        target = self.path(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise ArtifactError(f"artifact {digest[:12]} is missing from {self.root}") from None
        if sha256_bytes(data) != digest:
            raise ArtifactError(
                f"artifact {digest[:12]} is corrupt: its bytes no longer match its digest ({target}); "
                "delete it and re-run to recreate it"
            )
        return data

    def iter_lines(self, digest: str) -> Iterator[bytes]:
        """Stream an artifact line by line; raises at the end if its bytes do not match the digest."""
        hasher = hashlib.sha256()
        try:
            handle = open(self.path(digest), "rb")
        except FileNotFoundError:
            raise ArtifactError(f"artifact {digest[:12]} is missing from {self.root}") from None
        with handle:
            for line in handle:
                hasher.update(line)
                yield line
        if hasher.hexdigest() != digest:
            raise ArtifactError(f"artifact {digest[:12]} is corrupt: its bytes no longer match its digest")

    def read_json(self, digest: str) -> Any:
        return json.loads(self.read_bytes(digest))

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ArtifactError(f"not a sha256 digest: {digest!r}")
        return self.root / "sha256" / digest[:2] / digest

    def remember(self, key: str, digest: str) -> None:
        atomic_write_bytes(self._key_path(key), digest.encode())

    def recall(self, key: str) -> str | None:
        try:
            digest = self._key_path(key).read_text().strip()
        except FileNotFoundError:
            return None
        return digest if self.exists(digest) else None

    def _key_path(self, key: str) -> Path:
        return self.root / "keys" / sha256_bytes(key.encode())


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write a file all-or-nothing: temp file in the same directory, fsync, rename."""
    with atomic_file(target) as f:
        f.write(data)


@contextmanager
def atomic_file(target: Path, mode: str = "wb") -> Iterator[IO]:
    """A file that replaces ``target`` only if the block completes (temp, fsync, rename)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
