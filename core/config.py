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

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.curate import CurateOptions
from stillroom.errors import ConfigError
from stillroom.policy import describe_error


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


class TeacherSpec(ComponentSpec):
    type: str = "hf"
    task: Literal["classification", "embedding", "causal-lm"] = "classification"

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

    @model_validator(mode="after")
    def _slices_are_fields(self) -> PipelineSpec:
        if self.data.text_field in self.data.slice_fields:
            raise ValueError(f"data.slice_fields must not include the text field {self.data.text_field!r}")
        return self

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
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected YAML)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: expected a mapping with at least `source` and `teacher`, found {found}")
    data.setdefault("name", path.stem)
    return parse_spec(data, where=str(path))


def parse_spec(data: dict[str, Any], *, where: str = "pipeline") -> PipelineSpec:
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {describe_error(exc.errors()[0])}") from None
