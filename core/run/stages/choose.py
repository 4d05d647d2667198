"""Which registered components serve a run when its spec names none."""

from __future__ import annotations

from typing import Any

from stillroom.errors import ConfigError


def chosen(run, family: str, task: str) -> list[tuple[str, dict[str, Any]]]:
    """What the spec names, else every registered component of the family that serves the task by default."""
    named = run.spec.chosen(family)
    if named is not None:
        return named
    return [(name, {}) for name in run.plugins.names(family)
            if task in getattr(run.plugins.component(family, name), "tasks", (task,))
            and getattr(run.plugins.component(family, name), "default", True)]


def default_for(plugins, family: str, task: str) -> str:
    for name in plugins.names(family):
        if task in plugins.component(family, name).tasks:
            return name
    raise ConfigError(f"no {family} is registered for {task} teachers; install one or name it in the pipeline")
