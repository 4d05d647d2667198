"""What the file-based sources share: the path, the required fields, the fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stillroom.components import Context, Source
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


class FileSource(Source):
    """A source reading one local file: options ``path`` (absolute or workspace-relative) and ``fields``."""

    accepts = frozenset({"path", "fields"})

    def __init__(self, options, ctx) -> None:
        super().__init__(options, ctx)
        self.path = source_path(self.name, self.options, ctx)
        self.fields: list[str] = list(self.options.get("fields") or [])
        self._digest: str | None = None

    def location(self) -> str:
        return self.path.resolve().as_uri()

    def fingerprint(self) -> str:
        return self._digest or file_sha256(self.path)
