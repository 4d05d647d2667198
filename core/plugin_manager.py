"""The plugin manager: a typed facade over pluggy, with governance before import.

Built-ins (``DEFAULT_PLUGINS``) load like any plugin and are always allowed.
Third-party plugins come from the ``stillroom`` entry-point group; each one's
distribution is checked against the policy's ``plugins.allow`` list with
``importlib.metadata`` *before* its module is imported, so a refused plugin's
modules never run. Its ``.pth`` files are another matter: Python's ``site``
runs them at every interpreter start, before Stillroom can say anything, so
they are found from the distribution's RECORD, reported (``pth_files``, and in
the provenance every run ledgers) and, with ``strict=True``, refused. An entry
point whose name is a built-in's or another entry point's is refused, so
nothing can relabel a plugin. Allowed plugins are imported under the egress
guard. A plugin that fails to import, breaks a hook's signature or implements
an unknown hook is reported by name and skipped, or is fatal with
``strict=True``.

Set ``STILLROOM_TRACE_PLUGINS=1`` to trace every hook call on stderr.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypedDict, cast

import pluggy
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from stillroom import hookspecs, publisher
from stillroom.components import FAMILIES, Component, Executor, Trainer
from stillroom.egress import guard
from stillroom.errors import ConfigError, PluginError
from stillroom.policy import Egress

ENTRY_POINT_GROUP = "stillroom"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "stillroom.plugins.sources.jsonl",
    "stillroom.plugins.sources.csv",
    "stillroom.plugins.sources.parquet",
    "stillroom.plugins.sources.sql",
    "stillroom.plugins.scrubbers.presidio",
    "stillroom.plugins.teachers.hf",
    "stillroom.plugins.teachers.openai",
    "stillroom.plugins.trainers.kd",
    "stillroom.plugins.trainers.embedding",
    "stillroom.plugins.trainers.tokens",
    "stillroom.plugins.evaluators.task",
    "stillroom.plugins.evaluators.fidelity",
    "stillroom.plugins.evaluators.slices",
    "stillroom.plugins.evaluators.latency",
    "stillroom.plugins.evaluators.canary",
    "stillroom.plugins.evaluators.regression",
    "stillroom.plugins.evaluators.causal",
    "stillroom.plugins.exporters.hf",
    "stillroom.plugins.exporters.onnx",
    "stillroom.plugins.exporters.int8",
    "stillroom.plugins.exporters.gguf",
    "stillroom.run.executors.local",
    "stillroom.run.executors.ray",
    "stillroom.plugins.observers.mlflow",
    "stillroom.plugins.observers.otel",
)

CATALOGUE_HOOKS = {
    "source": "register_sources",
    "scrubber": "register_scrubbers",
    "teacher": "register_teachers",
    "trainer": "register_trainers",
    "evaluator": "register_evaluators",
    "exporter": "register_exporters",
}


@dataclass
class PluginInfo:
    """One plugin as ``stillroom plugins list`` shows it, and the ledger records it."""

    name: str
    origin: str  # "builtin" or "entry-point"
    module: str
    status: str  # "loaded", "refused" or "broken"
    distribution: str | None = None
    version: str | None = None
    record_sha256: str | None = None
    publisher: str | None = None  # the key name of the publisher whose signature the policy required and checked
    reason: str | None = None
    hooks: list[str] = field(default_factory=list)
    components: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PthFile(TypedDict):
    distribution: str
    version: str | None
    path: str
    record_sha256: str | None


@dataclass
class Registered:
    cls: type[Component]
    plugin: str


class PluginManager:
    """Loads plugins under a policy and offers typed calls to their hooks."""

    def __init__(self, allow: Sequence[Any] = (), *, strict: bool = False, egress: Egress | None = None,
                 on_block: Callable[[dict[str, Any]], None] = lambda attempt: None) -> None:
        self.allow = {canonicalize_name(rule.name): rule for rule in allow}
        self.strict = strict
        # Nothing allowed where no policy is given: an import has no business reaching out.
        self.egress = egress if egress is not None else Egress()
        self.on_block = on_block
        self.pm = pluggy.PluginManager("stillroom")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}  # by the name registered with pluggy, unique
        self.refused: list[PluginInfo] = []  # never registered: refused by the policy or for a name collision
        self.pth_files: list[PthFile] = []
        self.catalog: dict[str, dict[str, Registered]] = {family: {} for family in FAMILIES}
        if os.environ.get("STILLROOM_TRACE_PLUGINS"):
            self.pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self.pm.enable_tracing()

    def load(self, builtins: Iterable[str] = DEFAULT_PLUGINS, entry_points: Iterable[Any] | None = None) -> None:
        for module_name in builtins:
            module = importlib.import_module(module_name)
            self.pm.register(module, name=module_name)
            self.infos[module_name] = PluginInfo(module_name, "builtin", module_name, "loaded")
        self.pm.check_pending()
        eps = list(metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points)
        collisions = _name_collisions(eps, set(self.infos))
        loading: list[str | None] = [None]
        with guard(self.egress, on_block=self.on_block,
                   context=lambda: {"stage": "plugin-import", "plugin": loading[0]}):
            for ep in eps:
                loading[0] = ep.module  # named by its module, as a worker's refusals and a stage's are
                self._load_entry_point(ep, collisions.get(ep.name))
            loading[0] = None
            for family in FAMILIES:
                self._collect(family)
        self._find_pth_files()

    def _load_entry_point(self, ep: Any, collision: str | None = None) -> None:
        dist = ep.dist
        info = PluginInfo(
            name=ep.name,
            origin="entry-point",
            module=ep.value,
            status="refused",
            distribution=dist.metadata["Name"] if dist else None,
            version=dist.version if dist else None,
        )
        reason = collision or self.refusal(dist)
        if reason:
            info.reason = reason
            self.refused.append(info)
            return
        self.infos[ep.name] = info
        info.record_sha256 = record_digest(dist)
        rule = self.allow[canonicalize_name(dist.metadata["Name"])]  # refusal() found it allowed
        pinned = bool(rule.sha256 or rule.publisher)
        info.publisher = rule.publisher.split("+", 1)[0] if rule.publisher else None
        try:
            if pinned:
                _check_origin(ep.module, dist)
            with _source_only(pinned):
                module = ep.load()
            self.pm.register(module, name=ep.name)
            self.pm.check_pending()
        except Exception as exc:  # a broken plugin must not take the tool down with it
            if self.pm.get_plugin(ep.name) is not None:
                self.pm.unregister(name=ep.name)
            info.status, info.reason = "broken", f"{type(exc).__name__}: {exc}".strip()
            if self.strict:
                raise PluginError(f"plugin {ep.name!r} ({info.distribution}) is broken: {info.reason}") from exc
            return
        info.status = "loaded"

    def refusal(self, dist: metadata.Distribution | None) -> str | None:
        """Why the policy refuses this distribution, or None when it is allowed."""
        if dist is None:
            return "no installed distribution provides this entry point"
        name = dist.metadata["Name"]
        rule = self.allow.get(canonicalize_name(name))
        if rule is None:
            return f"distribution {name!r} is not in the policy's plugins allowlist"
        try:
            version = Version(dist.version)
        except InvalidVersion:
            return f"distribution {name!r} has an invalid version {dist.version!r}"
        if rule.version and version not in SpecifierSet(rule.version):
            return f"{name} {version} does not satisfy the allowed versions {rule.version!r}"
        if rule.sha256:
            found = record_digest(dist)
            if found != rule.sha256:
                return f"{name}'s RECORD digest is {found}, the policy pins {rule.sha256}"
        if rule.publisher:
            unsigned = publisher.refusal(dist, rule.publisher)
            if unsigned:
                return unsigned
        if rule.sha256 or rule.publisher:
            tampered = modified_files(dist)
            if tampered:
                return f"{name}'s installed file {tampered[0]} no longer matches its RECORD hash"
        return None

    def _find_pth_files(self) -> None:
        """The .pth files of every refused plugin distribution: code that ran anyway, at interpreter start."""
        seen = set()
        for info in self.refused:
            if info.distribution is None or canonicalize_name(info.distribution) in seen:
                continue
            dist = _distribution(info.distribution)
            if dist is None:
                continue
            seen.add(canonicalize_name(info.distribution))
            for path in pth_files(dist):
                self.pth_files.append(PthFile(distribution=info.distribution, version=info.version, path=path,
                                              record_sha256=record_digest(dist)))
        if self.pth_files and self.strict:
            first = self.pth_files[0]
            raise PluginError(f"distribution {first['distribution']!r} is refused by the plugins policy, but its "
                              f"{Path(first['path']).name} runs at every Python start; uninstall it to run with "
                              "strict plugins")

    def pth_warnings(self) -> list[str]:
        """One sentence per refused distribution's .pth file, for ``plugins list`` and a run's start."""
        return [f"distribution {f['distribution']!r} is refused by the plugins policy, but its {f['path']} runs "
                "at every Python start (strict plugins refuse to run beside it)" for f in self.pth_files]

    def _collect(self, family: str) -> None:
        hook = getattr(self.pm.hook, CATALOGUE_HOOKS[family])
        base = FAMILIES[family]
        for impl in hook.get_hookimpls():  # registration order: built-ins first
            plugin = impl.plugin_name
            found: list[type] = []
            try:
                impl.function(register=found.append)
                for cls in found:
                    self._add(family, base, cls, plugin)
            except Exception as exc:
                if plugin in DEFAULT_PLUGINS or self.strict:
                    raise
                self._mark_broken(plugin, f"{CATALOGUE_HOOKS[family]}: {exc}")

    def _add(self, family: str, base: type[Component], cls: type, plugin: str) -> None:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(f"plugin {plugin!r} registered {cls!r} as a {family}, but it is not a {base.__name__}")
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered {cls.__name__} without a `name`")
        if name in self.catalog[family]:
            other = self.catalog[family][name].plugin
            raise PluginError(f"{family} {name!r} is registered by both {other!r} and {plugin!r}")
        self.catalog[family][name] = Registered(cls, plugin)
        self.infos[plugin].components.setdefault(family, []).append(name)

    def _mark_broken(self, plugin: str, reason: str) -> None:
        self.pm.unregister(name=plugin)
        for family in self.catalog:
            self.catalog[family] = {n: r for n, r in self.catalog[family].items() if r.plugin != plugin}
        info = self.infos[plugin]
        info.status, info.reason, info.components = "broken", reason, {}

    # -- the typed facade -------------------------------------------------

    def component(self, family: str, name: str) -> type[Component]:
        try:
            return self.catalog[family][name].cls
        except KeyError:
            known = ", ".join(sorted(self.catalog[family])) or "none"
            raise PluginError(f"no {family} named {name!r} is registered (known: {known})") from None

    def trainer(self, name: str) -> type[Trainer]:
        """``component("trainer", name)`` as its class: registration admits only subclasses of the family's base."""
        return cast("type[Trainer]", self.component("trainer", name))

    def names(self, family: str) -> list[str]:
        return list(self.catalog[family])

    def plugins(self) -> list[PluginInfo]:
        for name, info in self.infos.items():
            plugin = self.pm.get_plugin(name)
            info.hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()) if plugin else []
        return [*self.infos.values(), *self.refused]

    def provenance(self) -> list[dict[str, Any]]:
        """The code that runs in this process from plugins, as each run ledgers it: the loaded plugins with
        versions and digests, and the .pth files of refused distributions (origin ``pth``), which ran anyway."""
        loaded = [
            {k: i.as_dict()[k] for k in ("name", "origin", "module", "distribution", "version", "record_sha256")}
            for i in self.plugins()
            if i.status == "loaded"
        ]
        return loaded + [{"name": Path(f["path"]).name, "origin": "pth", "module": f["path"],
                          "distribution": f["distribution"], "version": f["version"],
                          "record_sha256": f["record_sha256"]} for f in self.pth_files]

    def executor(self, name: str, *, policy: Any, workspace: Path) -> Executor:
        """The executor the spec names; a ConfigError when no plugin provides it, so no run says it ran where it did not.

        Strict plugins here (``--strict-plugins``) are strict in the executor's workers too: they load plugins by
        the policy they are given."""
        if self.strict and not policy.plugins.strict:
            policy = policy.model_copy(update={"plugins": policy.plugins.model_copy(update={"strict": True})})
        found = self.pm.hook.make_executor(name=name, policy=policy, workspace=workspace)
        if found is None:
            raise ConfigError(f"the pipeline names executor {name!r}, which no installed plugin provides; "
                              "use `executor: local` (the default)")
        if not isinstance(found, Executor):
            raise PluginError(f"make_executor({name!r}) returned {type(found).__name__}, not a stillroom Executor")
        return found

    def on_run_start(self, run: Mapping[str, Any], ctx: Any) -> None:
        self.pm.hook.on_run_start(run=run, ctx=ctx)

    def on_stage_end(self, run: Mapping[str, Any], stage: str, result: Mapping[str, Any]) -> None:
        self.pm.hook.on_stage_end(run=run, stage=stage, result=result)

    def on_run_end(self, run: Mapping[str, Any], status: str) -> None:
        self.pm.hook.on_run_end(run=run, status=status)

    def release_checks(self, request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [finding for found in self.pm.hook.release_checks(request=request) if found for finding in found]

    def register_commands(self, cli: Any, *, on_error: Callable[[str, Exception], None]) -> None:
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:
                on_error(impl.plugin_name, exc)


def pth_files(dist: metadata.Distribution) -> list[str]:
    """The .pth files a distribution installed in a site directory, by its RECORD: ``site`` runs their
    ``import`` lines at every interpreter start."""
    root = Path(str(dist.locate_file(""))).resolve()
    return [str(Path(entry.locate()).resolve()) for entry in dist.files or ()
            if entry.suffix == ".pth" and Path(entry.locate()).resolve().parent == root
            and Path(entry.locate()).exists()]


def _name_collisions(eps: Sequence[Any], builtins: set[str]) -> dict[str, str]:
    """Why each entry point whose name is taken is refused: a built-in's name, or one used twice."""
    by_name: dict[str, list[str]] = {}
    for ep in eps:
        by_name.setdefault(ep.name, []).append(ep.dist.metadata["Name"] if ep.dist else "an unknown distribution")
    reasons = {}
    for name, dists in by_name.items():
        if name in builtins:
            reasons[name] = f"entry point name {name!r} is the name of a built-in plugin"
        elif len(dists) > 1:
            reasons[name] = f"entry point name {name!r} is used by {' and '.join(sorted(dists))}; names must be unique"
    return reasons


def _distribution(name: str | None) -> metadata.Distribution | None:
    if not name:
        return None
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def record_digest(dist: metadata.Distribution) -> str | None:
    """sha256 of the distribution's RECORD file: a pin on its exact installed file set."""
    text = dist.read_text("RECORD")
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


def modified_files(dist: metadata.Distribution) -> list[str]:
    """What makes a pinned distribution differ from its RECORD: changed, missing, unhashed or extra files.

    Only RECORD itself and compiled bytecode may go unhashed (pip writes them so); bytecode is
    never trusted instead (pinned plugins import with a private pycache, see ``_source_only``).
    Python imports any .py, .so or .pth it finds beside the listed files, so unlisted ones count too.
    """
    changed, listed, folders = [], set(), set()
    for entry in dist.files or ():
        path = Path(entry.locate()).resolve()
        listed.add(path)
        if entry.hash is None:
            if not (entry.name == "RECORD" or entry.suffix == ".pyc"):
                changed.append(f"{entry} (listed without a hash)")
            continue
        folders.add(path.parent)
        try:
            data = entry.read_binary()
        except FileNotFoundError:
            changed.append(str(entry))
            continue
        if entry.hash.mode != "sha256" or _record_hash(data) != entry.hash.value:
            changed.append(str(entry))
    root = Path(str(dist.locate_file(""))).resolve()
    packages = {folder for folder in folders if folder != root and root in folder.parents
                and not folder.name.endswith(".dist-info")}
    for folder in sorted(packages):
        for path in folder.rglob("*"):
            if path.suffix in IMPORTABLE and "__pycache__" not in path.parts and path.resolve() not in listed:
                changed.append(f"{path.relative_to(root)} (not in RECORD)")
    return changed


IMPORTABLE = {".py", ".so", ".pyd", ".pth"}


def _record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@contextmanager
def _source_only(pinned: bool):
    """Import from verified source only: a private pycache makes Python ignore __pycache__ beside it."""
    if not pinned:
        yield
        return
    previous = sys.pycache_prefix
    with tempfile.TemporaryDirectory(prefix="stillroom-pyc-") as private:
        sys.pycache_prefix = private
        try:
            yield
        finally:
            sys.pycache_prefix = previous


def _check_origin(module: str, dist: metadata.Distribution) -> None:
    """Before importing: the module Python would load must be the pinned distribution's own verified file,
    not a copy earlier on sys.path. ``find_spec`` of a top-level name locates it without running it."""
    top = module.split(".")[0]
    spec = importlib.util.find_spec(top)
    origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
    if origin not in {Path(entry.locate()).resolve() for entry in dist.files or () if entry.hash is not None}:
        raise PluginError(f"module {top} would be imported from {origin}, which is not a verified file of "
                          f"{dist.metadata['Name']}")


def load_plugins(allow: Sequence[Any] = (), *, strict: bool = False, egress: Egress | None = None,
                 on_block: Callable[[dict[str, Any]], None] = lambda attempt: None) -> PluginManager:
    """Built-ins and the allowed third-party plugins; these are imported under ``egress`` (nothing allowed
    when none is given), and ``on_block`` hears of what their import-time code tried."""
    manager = PluginManager(allow, strict=strict, egress=egress, on_block=on_block)
    manager.load()
    return manager
