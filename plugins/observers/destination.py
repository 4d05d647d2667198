"""What an observer is configured to do, and whether the policy in force lets it send there.

An observer's settings are the ``[observers.NAME]`` table of the workspace's
``stillroom.toml``; without one the observer does nothing. Where it sends what
it observes must pass the same rules as any component: the residency policy
(its region inside the boundary and allowed for every data classification,
since the observer sees runs of every class) and, for a network address, the
egress allowlist. The egress guard is armed while observers run as well; this
check exists so a wrong address refuses the run in one sentence, before any
data moves, rather than as blocked connections later.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from stillroom.egress import CONNECT_EVENT, permits
from stillroom.errors import ConfigError, RunRefused
from stillroom.policy import Policy
from stillroom.residency import check_location
from stillroom.workspace import CONFIG

DEFAULT_PORTS = {"http": 80, "https": 443}


def settings(ctx: Any, name: str) -> dict[str, Any] | None:
    """The ``[observers.NAME]`` table of the workspace's ``stillroom.toml``; None when there is none."""
    path = Path(ctx.workspace) / CONFIG
    config = tomllib.loads(path.read_text()) if path.is_file() else {}
    section = config.get("observers", {}).get(name)
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{path}: [observers.{name}] must be a table")
    return section


def text_option(section: dict[str, Any], key: str, observer: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{CONFIG}: [observers.{observer}] {key} must be a non-empty string, got {value!r}")
    return value


def check_destination(role: str, uri: str, ctx: Any) -> str:
    """Where ``uri`` sends data (a ``file://`` path or ``scheme://host:port``, never credentials), once the
    residency and egress policies allow it; ``RunRefused`` naming the rule otherwise."""
    policy = Policy.model_validate(ctx.policy)
    parts = urlsplit(uri)
    if parts.scheme in DEFAULT_PORTS:
        host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]
        location = f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:{port}"
        _within_boundary(role, location, policy)
        decision = permits(policy.egress, CONNECT_EVENT, (host, port))  # None: nothing leaves the host
        if decision is not None and not decision.allowed:
            raise RunRefused(f"the {role} at {location} is not in the egress allowlist; add it to "
                             "policies/egress.yaml (and adopt the policy) or use a store inside the workspace")
        return location
    if parts.scheme == "file":
        location = Path(unquote(parts.path)).resolve().as_uri()
        _within_boundary(role, location, policy)
        return location
    raise RunRefused(f"the {role} {parts.scheme}:... is not a place Stillroom can check against the residency "
                     "policy; use a path inside the workspace or an http(s) address")


def _within_boundary(role: str, location: str, policy: Policy) -> None:
    for classification in policy.residency.classifications:
        check_location(role, location, classification, policy.residency)
