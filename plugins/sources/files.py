"""What the file-based sources share: resolving the path, hashing what was read."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stillroom.components import Context
from stillroom.errors import ConfigError


def source_path(kind: str, options: dict, ctx: Context) -> Path:
    """``options["path"]``, absolute or relative to the workspace."""
    if not options.get("path"):
        raise ConfigError(f"source {kind}: option 'path' is required")
    path = Path(options["path"]).expanduser()
    return path if path.is_absolute() else ctx.workspace / path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
