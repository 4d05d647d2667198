"""Every hook Stillroom calls, and nothing else: the whole plugin contract.

Catalogue hooks (``register_*``) announce component classes through a
``register`` callback; the behaviour lives in the abstract classes of
``stillroom.components``. Lifecycle hooks (``on_*``) observe a run; they
cannot change it. ``make_executor`` answers who runs a run's work. ``docs/plugins.md`` documents each hook with the same
signature; ``tests/test_docs.py`` fails when the two drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("stillroom")


@hookspec
def register_sources(register: Callable[[type], None]) -> None:
    """Register data source classes (subclasses of ``stillroom.components.Source``).

    Called once when the plugin manager loads. Call ``register(cls)`` for each
    class; ``cls.name`` is the name a pipeline spec uses (``source: {type: jsonl}``).
    A name registered twice is an error that names both plugins.

    :param register: callback taking one ``Source`` subclass.
    """


@hookspec
def register_scrubbers(register: Callable[[type], None]) -> None:
    """Register PII scrubber classes (subclasses of ``stillroom.components.Scrubber``).

    A scrubber must report, through ``entities()``, which entity types it
    covers and by what method; preflight refuses a run whose policy requires
    an entity type no configured scrubber covers.

    :param register: callback taking one ``Scrubber`` subclass.
    """


@hookspec
def register_teachers(register: Callable[[type], None]) -> None:
    """Register teacher backend classes (subclasses of ``stillroom.components.Teacher``).

    A teacher declares its ``location()`` so the residency policy can check it
    before the first prediction, and a ``fingerprint()`` that changes when its
    weights or configuration do. A causal LM served outside the trainer's
    process sets ``can_score_ids`` and implements ``score_ids(rows)``: the top-k
    next-token log-probs of token-id rows read as given, which on-policy
    distillation uses to score the student's own samples.

    :param register: callback taking one ``Teacher`` subclass.
    """


@hookspec
def register_trainers(register: Callable[[type], None]) -> None:
    """Register distillation trainer classes (subclasses of ``stillroom.components.Trainer``).

    ``cls.tasks`` lists the teacher tasks a trainer distills; the first
    registered trainer for a task is the default when a spec names none.

    :param register: callback taking one ``Trainer`` subclass.
    """


@hookspec
def register_evaluators(register: Callable[[type], None]) -> None:
    """Register evaluator classes (subclasses of ``stillroom.components.Evaluator``).

    Every evaluator whose ``tasks`` include the teacher's task runs by
    default; a spec may name a subset.

    :param register: callback taking one ``Evaluator`` subclass.
    """


@hookspec
def register_exporters(register: Callable[[type], None]) -> None:
    """Register exporter classes (subclasses of ``stillroom.components.Exporter``).

    An exporter must re-check what it wrote against the in-memory student and
    raise when they disagree.

    :param register: callback taking one ``Exporter`` subclass.
    """


@hookspec(firstresult=True)
def make_executor(name: str, policy: Any, workspace: Path) -> Any | None:
    """Who runs the stages' work: return a ``stillroom.components.Executor`` for ``name``, or ``None``.

    Called once when a run starts, before anything is recorded, with the
    spec's ``executor`` (``local`` unless it names another). Stops at the first
    non-``None`` result; the built-in ``local`` executor answers last
    (``trylast``), so a plugin can take ``local`` over as pytest-xdist takes
    over pytest's main loop. When no plugin answers, the run is refused with a
    ``ConfigError`` before any data moves. Stages hand the executor their
    map-shaped work (``MapWork``: a function over record batches the core
    cut) and their training (``TrainWork``: a function over a dataset digest,
    and for a student a ``job`` any process or process group can run); what
    comes back is evidence the coordinator checks and ledgers.

    :param name: the executor the pipeline spec names.
    :param policy: the run's ``stillroom.policy.Policy``; workers must be governed by its egress rules
        and plugin allowlist.
    :param workspace: the workspace root directory.
    :return: an ``Executor``, or ``None`` when this plugin does not provide ``name``.
    """


@hookspec
def on_run_start(run: Mapping[str, Any], ctx: Any) -> None:
    """Called after preflight passes, before the first data is read.

    An observer: the return value is ignored and the run cannot be changed,
    but an observer that cannot do what its configuration asks (a tracking
    server outside the egress policy, say) raises, and the run stops before
    any data moves. The egress guard is armed from here to ``on_run_end``.

    :param run: ``{"run_id", "pipeline", "spec_digest", "initiator"}``.
    :param ctx: the run's ``stillroom.components.Context``: the workspace (where an observer's
        ``[observers.NAME]`` section of ``stillroom.toml`` lives), the policy in force, the artifact
        store, and ``record`` for a ledger entry.
    """


@hookspec
def on_stage_end(run: Mapping[str, Any], stage: str, result: Mapping[str, Any]) -> None:
    """Called after each stage finishes, was skipped, or failed.

    An observer: the return value is ignored.

    :param run: as for ``on_run_start``.
    :param stage: the stage name (``ingest``, ``scrub``, ...).
    :param result: ``{"status", "seconds", "outputs"}``, the same summary the ledger records.
    """


@hookspec
def on_run_end(run: Mapping[str, Any], status: str) -> None:
    """Called once when a run ends, whatever the outcome.

    :param run: as for ``on_run_start``.
    :param status: ``succeeded``, ``failed`` or ``refused``.
    """


@hookspec
def release_checks(request: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """Add findings to a release request's gate results.

    Return a list of ``{"gate", "passed", "value", "threshold", "message"}``
    findings. A plugin can add findings; it cannot remove or override the
    core's own gates. A failing finding blocks the release like a core gate.

    :param request: ``{"request_id", "run_id", "metrics", "artifacts"}``.
    :return: findings, or ``None`` for none.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``stillroom`` command line.

    :param cli: the root ``typer.Typer`` application; add commands or sub-apps to it.
    """
