"""YAML as Stillroom reads it: plain data, bounded, with no aliases.

``yaml.safe_load`` builds no objects, but it still expands aliases: a
688-byte "billion laughs" file of nested ``&a [*b, *b, ...]`` lists makes
it build a graph that JSON serialisation (a spec digest, a ledger entry)
expands into gigabytes. Specs and policies are short hand-written files, so
anchors and aliases are refused outright, and the file's size and node count
are capped before anything is built from it.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_NODES = 100_000


class YamlRefused(ValueError):
    """A YAML text Stillroom will not read; ``line`` is 1-based where known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def load_yaml(text: str) -> Any:
    """The data in ``text``; raises YamlRefused for aliases, oversized input and invalid YAML."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlRefused(f"the file is larger than {MAX_BYTES // 1000} kB, the most a spec or policy may be")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlRefused(f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
                          mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused("YAML aliases (*name) are not allowed; write the value out", line)
        if getattr(event, "anchor", None) is not None:
            raise YamlRefused(f"YAML anchors (&{event.anchor}) are not allowed; write the value out", line)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlRefused(f"more than {MAX_NODES} values, the most a spec or policy may hold", line)
        return super().compose_node(parent, index)
