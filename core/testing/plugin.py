"""The kit's pytest plugin (the ``pytest11`` entry point ``stillroom``): the option, the fixtures, the parametrisation.

Inert unless asked: a test gets components only by requesting
``stillroom_component`` (the contracts do), and the contracts are collected
only with ``--stillroom-plugin`` or when a test module imports them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import pytest

from stillroom.components import Component, Context, Teacher, Trainer
from stillroom.testing.materials import Materials, sample_records, task_dataset, tiny_classifier


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("stillroom").addoption(
        "--stillroom-plugin", action="append", default=[], metavar="NAME",
        help="run the Stillroom conformance contracts against plugin NAME (entry-point name or module); repeatable",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from stillroom.testing import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stillroom_contract(family): a Stillroom conformance contract for one family")
    if config.getoption("stillroom_plugin"):
        from stillroom.testing import contracts

        for name in config.getoption("stillroom_plugin"):
            catalogue((name,))  # an unknown name is a usage error now, not an empty test run
        config.args.append(contracts.__file__)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "stillroom_component" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("stillroom_contract")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid} takes stillroom_component without a "
                                "stillroom_contract marker naming its family")
    family = marker.args[0]
    plugins = getattr(metafunc.module, "STILLROOM_PLUGINS", None) or metafunc.config.getoption("stillroom_plugin")
    found = catalogue(tuple(plugins)).get(family, {})
    metafunc.parametrize("stillroom_component", list(found.values()), ids=[f"{family}:{n}" for n in found])


@cache
def catalogue(plugins: tuple[str, ...]) -> dict[str, dict[str, type[Component]]]:
    """The components the named plugins register, by family and name, loaded as a workspace would load them.

    A name is an entry point of the ``stillroom`` group (its distribution is allowed for the kit's run)
    or an importable module, which loads like a built-in.
    """
    from stillroom.plugin_manager import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PluginManager
    from stillroom.policy import AllowedPlugin

    points = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    chosen = [points[name] for name in plugins if name in points]
    modules = tuple(name for name in plugins if name not in points and name not in DEFAULT_PLUGINS)
    for name in modules:
        try:
            __import__(name)
        except ImportError as exc:
            raise pytest.UsageError(f"--stillroom-plugin {name}: no entry point of the stillroom group has this "
                                    f"name and it is not an importable module ({exc})") from None
    allow = [AllowedPlugin(name=ep.dist.metadata["Name"]) for ep in chosen if ep.dist is not None]
    manager = PluginManager(allow, strict=True)
    manager.load(builtins=DEFAULT_PLUGINS + modules, entry_points=chosen)
    found: dict[str, dict[str, type[Component]]] = {}
    for family, registered in manager.catalog.items():
        for name, entry in registered.items():
            if entry.plugin in plugins:
                found.setdefault(family, {})[name] = entry.cls
    return found


# One epoch of a student that keeps one of the teacher's layers: it has something to learn, in seconds.
STUDENT_SPEC = {"epochs": 1, "batch_size": 16, "layers": 1}


def student_spec(trainer: type[Trainer]) -> dict[str, Any]:
    """The kit's student spec, less the keys ``trainer`` does not read."""
    return {k: v for k, v in STUDENT_SPEC.items() if k in trainer.student_keys()}


def builtin(family: str, name: str) -> type:
    """A built-in component class, through the plugin manager as any run gets it."""
    from stillroom.plugin_manager import DEFAULT_PLUGINS

    return catalogue(DEFAULT_PLUGINS)[family][name]


# -- fixtures a vendor's own tests may use too ----------------------------------------------------------


@pytest.fixture
def stillroom_workspace(tmp_path: Path):
    """A throwaway workspace (fresh SQLite store, default policies) under the test's temporary directory."""
    from stillroom.workspace import init_workspace

    return init_workspace(tmp_path / "stillroom-ws", name="conformance")


@pytest.fixture
def stillroom_context(stillroom_workspace) -> Context:
    """A ``Context`` in the throwaway workspace: CPU, no progress bars, a scratch directory."""
    return Context(stillroom_workspace.root, stillroom_workspace.artifacts, progress=False, device="cpu",
                   scratch=stillroom_workspace.root / "scratch")


@pytest.fixture
def stillroom_records() -> list[dict[str, Any]]:
    """Real records: the Banking77 sample, with the PII planted in it (card numbers, phones, e-mails, names)."""
    return sample_records(64)


@pytest.fixture(scope="session")
def stillroom_session_context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    from stillroom.artifacts import ArtifactStore

    root = tmp_path_factory.mktemp("stillroom-kit")
    return Context(root, ArtifactStore(root / "artifacts"), progress=False, device="cpu", scratch=root / "scratch")


@pytest.fixture(scope="session")
def stillroom_teachers(stillroom_session_context: Context) -> dict[str, Teacher]:
    """A teacher per task for trainers, evaluators and exporters: by default a tiny random BERT classifier
    (the built-in ``hf`` teacher). Override it to add ``embedding`` or ``causal-lm`` teachers."""
    root = stillroom_session_context.workspace
    teacher = builtin("teacher", "hf")({"path": str(tiny_classifier(root / "tiny-classifier"))},
                                       stillroom_session_context)
    return {"classification": teacher}


@pytest.fixture(scope="session")
def stillroom_dataset():
    """Train, validation and test splits of the Banking77 sample's four most frequent intents."""
    return task_dataset()


@pytest.fixture(scope="session")
def stillroom_students(stillroom_teachers, stillroom_dataset, stillroom_session_context) -> Callable[[str], Any]:
    """``students(task)``: a student distilled for one epoch from ``stillroom_teachers[task]`` by the first
    built-in trainer of that task, made once per session."""
    from stillroom.labels import label_outputs
    from stillroom.plugin_manager import DEFAULT_PLUGINS

    made: dict[str, Any] = {}

    def students(task: str) -> Any:
        if task not in made:
            teacher = stillroom_teachers[task]
            trainers = cast("dict[str, type[Trainer]]", catalogue(DEFAULT_PLUGINS)["trainer"])  # a family's base
            trainer = next(cls for cls in trainers.values() if task in cls.tasks)
            made[task] = train(trainer, teacher, stillroom_dataset, stillroom_session_context)
        return made[task]

    def train(trainer: type[Trainer], teacher: Teacher, data, ctx: Context) -> Any:
        ctx.teacher = teacher
        outputs = {split: label_outputs(teacher, getattr(data, split).texts, ctx.artifacts).outputs
                   for split in ("train", "validation")}
        return trainer({}, ctx).train(student_spec(trainer), data, outputs, ctx)

    return students


@pytest.fixture
def stillroom_options(request: pytest.FixtureRequest) -> Callable[[type, Materials], Mapping[str, Any]]:
    """``options(component, materials)``: what the ``pytest_stillroom_options`` hooks answer, else none."""
    def options(component: type, materials: Materials) -> Mapping[str, Any]:
        return request.config.hook.pytest_stillroom_options(component=component, materials=materials) or {}

    return options


@pytest.fixture
def stillroom_build(stillroom_component, stillroom_options, stillroom_context, tmp_path) -> Callable[..., Any]:
    """``build(records=None)``: a fresh instance of the component under test, its options from
    ``stillroom_options`` over ``records`` (by default the first 64 sample records) in a new directory."""
    def build(records: list[dict[str, Any]] | None = None) -> Any:
        directory = Path(tempfile.mkdtemp(dir=tmp_path))
        materials = Materials(directory, sample_records(64) if records is None else records, stillroom_context)
        return stillroom_component(dict(stillroom_options(stillroom_component, materials)), stillroom_context)

    return build


@pytest.fixture
def stillroom_egress(request: pytest.FixtureRequest) -> Callable[[type], Any]:
    """``egress(component)``: where it may connect, as the ``pytest_stillroom_egress`` hooks answer (else nowhere)."""
    def egress(component: type) -> Any:
        from stillroom.policy import Egress

        return request.config.hook.pytest_stillroom_egress(component=component) or Egress()

    return egress


@pytest.fixture
def stillroom_no_egress(request: pytest.FixtureRequest, stillroom_egress) -> Iterator[list[dict[str, Any]]]:
    """The egress guard, armed for the whole test with nothing allowed (or what ``stillroom_egress`` allows the
    component under test); the test fails on any attempt, even one the component caught and hid."""
    from stillroom.egress import guard
    from stillroom.policy import Egress

    callspec = getattr(request.node, "callspec", None)
    component = callspec.params.get("stillroom_component") if callspec else None
    attempts: list[dict[str, Any]] = []
    with guard(stillroom_egress(component) if component else Egress(), on_block=attempts.append,
               context=lambda: {"stage": "conformance"}):
        yield attempts
    name = getattr(component, "name", "the code under test")
    assert not attempts, (f"{name} tried to reach {', '.join(a['target'] for a in attempts)} during its contracts, "
                          "from:\n" + "\n".join(attempts[0].get("stack", [])))
