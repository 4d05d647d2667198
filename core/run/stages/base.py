"""What a stage is: a function of the run that returns a summary, and the artifacts it reads and writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Skip(Exception):
    """A stage with nothing to do; the message says why."""


@dataclass(frozen=True)
class Stage:
    """One stage of a run.

    ``run(run)`` returns a summary (digests, counts, metrics; never records) or
    raises ``Skip``. ``reads`` and ``writes`` name the artifact roles (keys of
    ``RunState.artifacts``) the stage takes and makes; a role ending in ``.*``
    stands for every role with that prefix, ``*`` for every role. The runner ledgers the digests of
    both with the stage, and refuses a stage that writes a role it did not
    declare, so the declarations stay true.
    """

    name: str
    run: Callable[[Any], dict[str, Any]]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()

    def declares(self, role: str) -> bool:
        return any(_matches(w, role) for w in self.writes)

    def read_digests(self, artifacts: dict[str, str]) -> dict[str, str]:
        return {role: digest for role, digest in artifacts.items() if any(_matches(r, role) for r in self.reads)}


def _matches(pattern: str, role: str) -> bool:
    return pattern in ("*", role) or (pattern.endswith(".*") and role.startswith(pattern[:-1]))
