"""What a run may write into the append-only ledger: failures without quoted data, specs without secrets."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from stillroom.artifacts import sha256_bytes
from stillroom.errors import StillroomError


def ledger_message(error: BaseException | None) -> str | None:
    """What the append-only ledger keeps of a failure. Stillroom's own errors are written never to quote
    data (they name file, line and field); anything else may echo a record or a prompt, so only its type
    and a digest go in, and the full text stays in the run's store row for the operator."""
    if error is None:
        return None
    if isinstance(error, StillroomError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__} (text withheld from the ledger; sha256 {sha256_bytes(str(error).encode())[:16]})"


SECRET_KEYS = re.compile(r"pass(word|phrase)?|secret|token|api_?key|credential", re.IGNORECASE)


def redacted(value: Any) -> Any:
    """A spec as the ledger may keep it forever: passwords in URLs and secret-named options masked."""
    if isinstance(value, dict):
        return {k: "***" if SECRET_KEYS.search(str(k)) and v else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
    return value
