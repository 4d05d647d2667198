"""A component named so that another process can build it again: family, registered name, options.

Work shipped to an executor's workers carries a ``ComponentRef`` instead of
the live component. In the coordinator the ref hands back the component the
run already built; in a worker, the first use builds it once from the
worker's own plugins, loaded under the same policy allowlist
(``use_worker_plugins``), so a worker runs only plugins the policy admits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stillroom.errors import PluginError

_worker: dict[str, Any] = {}


@dataclass
class ComponentRef:
    family: str
    name: str
    options: dict[str, Any]
    live: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "live": None}  # the live component never leaves its process

    def get(self) -> Any:
        if self.live is None:
            self.live = _built(self.family, self.name, self.options)
        return self.live


def use_worker_plugins(plugins, policy: dict[str, Any], workspace: Path) -> None:
    """Make this process a worker: components are built from ``plugins`` with a context holding no secret."""
    _worker.update(plugins=plugins, policy=policy, workspace=workspace, built={})


def worker_plugins():
    """The plugins this worker loaded under the run's policy allowlist."""
    if "plugins" not in _worker:
        raise PluginError("this process is not a worker: no plugins were loaded for a run's work")
    return _worker["plugins"]


def _built(family: str, name: str, options: dict[str, Any]) -> Any:
    if "plugins" not in _worker:
        raise PluginError(f"{family} {name!r} was sent without its live component to a process that is not a worker")
    key = json.dumps([family, name, options], sort_keys=True, default=str)
    if key not in _worker["built"]:
        _worker["built"][key] = _worker["plugins"].component(family, name)(options, worker_context())
    return _worker["built"][key]


def worker_context(**fields: Any):
    """A context for work in this worker: the run's policy and workspace path; no secret, no artifact store,
    no scratch directory (a worker's disk is its own), and ``record`` a no-op unless ``fields`` give one."""
    from stillroom.components import Context

    worker_plugins()
    return Context(workspace=_worker["workspace"], artifacts=None, policy=_worker["policy"], progress=False,  # type: ignore[arg-type]  # a worker's components store nothing: the coordinator stores what they return
                   **fields)
