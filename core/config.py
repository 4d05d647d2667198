"""The pipeline spec: YAML validated with pydantic.

A minimal spec is a source and a teacher::

    name: intents
    source: {type: jsonl, path: data/queries.jsonl}
    teacher: {path: models/teacher, task: classification}

Everything else has defaults: the trainer, evaluators and exporters follow
the teacher's task; scrubbing follows the policy (``must_scrub`` for the
source's classification). Component sections name a registered ``type`` and
carry that component's own options, which the component validates.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.curate import CurateOptions
from stillroom.errors import ConfigError
from stillroom.policy import describe_error
from stillroom.yamlsafe import YamlRefused, load_yaml

if TYPE_CHECKING:
    from stillroom.plugin_manager import PluginManager

# What a run writes into the append-only ledger for good (``run.start`` keeps the spec): a spec
# is a few hundred bytes; anything near this cap is an attack or an accident, never a pipeline.
MAX_SPEC_BYTES = 64_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentSpec(BaseModel):
    """``type`` names a registered component; every other key is its option."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(min_length=1)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SourceSpec(ComponentSpec):
    classification: Literal["public", "internal", "confidential", "restricted"] = "internal"

    @property
    def options(self) -> dict[str, Any]:
        return {**(self.model_extra or {}), "classification": self.classification}


class FineTuneSpec(Strict):
    """How ``teacher.base`` becomes a classifier teacher: trained on the run's own labelled training split."""

    epochs: int = Field(default=3, ge=1)
    lr: float = Field(default=2e-4, gt=0)
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=64, ge=8)
    # the prepared teacher's accuracy on the run's validation split must reach this, or the run stops:
    # a teacher that learned nothing would be distilled into a student that knows nothing
    min_accuracy: float = Field(default=0.5, ge=0, le=1)


class TeacherSpec(ComponentSpec):
    type: str = "hf"
    task: Literal["classification", "embedding", "causal-lm"] = "classification"
    base: str | None = Field(default=None, min_length=1)
    fine_tune: FineTuneSpec | None = None

    @model_validator(mode="after")
    def _base_is_fine_tuned(self) -> TeacherSpec:
        if self.fine_tune is not None and self.base is None:
            raise ValueError("teacher.fine_tune needs teacher.base, the model to fine-tune")
        if self.base is not None:
            if "path" in (self.model_extra or {}):
                raise ValueError("teacher.base and teacher.path exclude each other: the teacher is the base "
                                 "fine-tuned by the run (teacher prepare), so it has no path of its own")
            if self.task != "classification":
                raise ValueError(f"teacher.base is fine-tuned into a classifier, so teacher.task must be "
                                 f"classification, got {self.task}")
            self.fine_tune = self.fine_tune or FineTuneSpec()
        return self

    @property
    def options(self) -> dict[str, Any]:
        return {**(self.model_extra or {}), "task": self.task}


class SplitSpec(Strict):
    validation: float = Field(default=0.1, ge=0, lt=0.5)
    test: float = Field(default=0.1, gt=0, lt=0.5)
    seed: int = 0


class DataSpec(Strict):
    text_field: str = "text"
    label_field: str | None = None
    slice_fields: list[str] = []
    split: SplitSpec = SplitSpec()
    limit: int | None = Field(default=None, gt=0)


class TargetSpec(Strict):
    """Where the student will run, and what it must fit there; gated beside the policy's own targets."""

    name: str = Field(default="target", min_length=1)
    max_mb: float = Field(gt=0)
    p95_ms: float = Field(gt=0)


class PipelineSpec(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    source: SourceSpec
    teacher: TeacherSpec
    data: DataSpec = DataSpec()
    scrub: ComponentSpec | Literal[False] | None = None
    curate: CurateOptions | Literal[False] | None = None
    student: dict[str, Any] = {}
    trainer: ComponentSpec | None = None
    baseline: bool = True
    evaluators: list[str | ComponentSpec] | None = None
    exporters: list[str | ComponentSpec] | None = None
    seed: int = 0
    executor: Literal["local", "ray"] = "local"
    # a target of its own, or the name of one in the release-gates policy
    target: TargetSpec | str | None = None

    @model_validator(mode="after")
    def _slices_are_fields(self) -> PipelineSpec:
        if self.data.text_field in self.data.slice_fields:
            raise ValueError(f"data.slice_fields must not include the text field {self.data.text_field!r}")
        if self.teacher.base is not None and self.data.label_field is None:
            raise ValueError("teacher.base is fine-tuned on labelled data, so data.label_field must name "
                             "the label column")
        return self

    @property
    def text_fields(self) -> tuple[str, ...]:
        """The fields the run treats as text: the training text and every field the scrubber scrubs."""
        fields = [self.data.text_field]
        if isinstance(self.scrub, ComponentSpec) and isinstance(self.scrub.options.get("fields"), list):
            fields += [f for f in self.scrub.options["fields"] if isinstance(f, str)]
        return tuple(dict.fromkeys(fields))

    @property
    def digest(self) -> str:
        return sha256_bytes(canonical_json(self.model_dump(mode="json")))

    def chosen(self, family: str) -> list[tuple[str, dict[str, Any]]] | None:
        """The evaluators or exporters the spec names, as (name, options); None when it names none."""
        items = self.evaluators if family == "evaluator" else self.exporters
        if items is None:
            return None
        return [(item, {}) if isinstance(item, str) else (item.type, item.options) for item in items]


def load_spec(path: Path) -> PipelineSpec:
    """Read and validate a pipeline spec; a ConfigError names file, field and expectation."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such pipeline file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a pipeline file") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected YAML)") from None
    try:
        data = load_yaml(text)
    except YamlRefused as exc:
        where = f" line {exc.line}:" if exc.line else ""
        raise ConfigError(f"{path}:{where} {exc.reason}") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: expected a mapping with at least `source` and `teacher`, found {found}")
    data.setdefault("name", path.stem)
    return parse_spec(data, where=str(path))


def parse_spec(data: dict[str, Any], *, where: str = "pipeline") -> PipelineSpec:
    """Validate ``data``: unknown keys first (a typo must never fall back to a default), then types."""
    unknown = unknown_key(PipelineSpec, data)
    if unknown:
        raise ConfigError(f"{where}: {unknown}")
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {describe_error(exc.errors()[0], union_members(PipelineSpec))}") from None
    size = len(canonical_json(spec.model_dump(mode="json")))
    if size > MAX_SPEC_BYTES:
        raise ConfigError(f"{where}: the spec is {size // 1000} kB, more than the {MAX_SPEC_BYTES // 1000} kB "
                          "a run may write into the ledger")
    return spec


def unknown_key(model: type[BaseModel], data: Any, path: str = "") -> str | None:
    """The first key in ``data`` that ``model`` (or a model nested in it) does not define, as one sentence.

    In component sections (``type`` plus options) only the core's own keys (``teacher.fine_tune``) are
    checked here; the rest are the options of whichever plugin ``type`` names, left to ``check_options``.
    """
    if not isinstance(data, Mapping):
        return None
    strict = model.model_config.get("extra") == "forbid"
    for key, value in data.items():
        where = f"{path}{key}"
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            if strict:
                return _unknown(where, key, model.model_fields)
            continue  # a component's own option, checked against its plugin by ``check_options``
        for nested in _models_in(field.annotation):
            if isinstance(value, list):
                found = next((f for i, item in enumerate(value) if (f := unknown_key(nested, item, f"{where}.{i}."))),
                             None)
            else:
                found = unknown_key(nested, value, f"{where}.")
            if found:
                return found
    return None


def check_options(spec: PipelineSpec, plugins: PluginManager) -> None:
    """Refuse any option a component section gives that its plugin does not declare (``accepts``).

    Called before a run starts, so a typo such as ``source.clasification`` stops it before
    anything is read or ledgered, instead of being passed along and ignored.
    """
    sections: list[tuple[str, str, str, Mapping[str, Any], set[str]]] = [
        ("source", "source", spec.source.type, spec.source.model_extra or {}, {"classification"}),
        ("teacher", "teacher", spec.teacher.type, spec.teacher.model_extra or {}, {"task"}),  # base: a field
    ]
    if isinstance(spec.scrub, ComponentSpec):
        sections.append(("scrub", "scrubber", spec.scrub.type, spec.scrub.options, set()))
    trainer = spec.trainer.type if spec.trainer else _default_trainer(plugins, spec.teacher.task)
    if spec.trainer:
        sections.append(("trainer", "trainer", spec.trainer.type, spec.trainer.options, set()))
    for family, items in (("evaluator", spec.evaluators), ("exporter", spec.exporters)):
        for i, item in enumerate(items or []):
            if isinstance(item, ComponentSpec):
                sections.append((f"{family}s.{i}", family, item.type, item.options, set()))
    for _role, where, writer in spec.curate.generative_teachers() if spec.curate else []:
        sections.append((where, "teacher", writer.get("type", "hf"), {k: v for k, v in writer.items() if k != "type"},
                         {"task"}))
    for section, family, name, options, core_keys in sections:
        accepted = set(plugins.component(family, name).accepts) | core_keys
        extra = next((key for key in options if key not in accepted), None)
        if extra is not None:
            raise ConfigError(f"{_unknown(f'{section}.{extra}', extra, accepted)} "
                              f"({family} {name!r} accepts {', '.join(sorted(accepted)) or 'no options'})")
    if spec.student and trainer is not None:
        accepted = set(plugins.trainer(trainer).student_keys())
        extra = next((key for key in spec.student if key not in accepted), None)
        if extra is not None:
            raise ConfigError(f"{_unknown(f'student.{extra}', extra, accepted)} (for trainer {trainer!r})")


def _default_trainer(plugins: PluginManager, task: str) -> str | None:
    return next((n for n in plugins.names("trainer") if task in plugins.trainer(n).tasks), None)


def _unknown(where: str, key: Any, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return f"{where}: unknown key{hint}"


@functools.cache
def union_members(model: type[BaseModel]) -> frozenset[str]:
    """The names of the models that a union in ``model``'s fields (at any depth) holds beside another type:
    pydantic names the member it tried in an error's path (``scrub.ComponentSpec.type``)."""
    names: set[str] = set()
    for field in model.model_fields.values():
        nested = _models_in(field.annotation)
        if typing.get_origin(field.annotation) in (typing.Union, types.UnionType) and len(
                [a for a in typing.get_args(field.annotation) if a is not type(None)]) > 1:
            names |= {m.__name__ for m in nested}
        for inner in nested:
            names |= union_members(inner)
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold: ``X``, ``X | None``, ``list[X]``, ``list[str | X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []
