"""Student construction: a subset of the teacher's layers, a fresh config, or a local checkpoint.

``init: teacher`` (the default with a local teacher) copies the teacher and
keeps the chosen layers, DistilBERT-style: the copied embeddings and head
start the student close to the teacher, which is why it learns fast. The
head is the teacher's (``head: teacher``) whatever the method, so a KD student
and its labels-only twin (``method: labels``, the same spec without the teacher's signal) start
from the same weights and differ only in the teacher's signal; a fresh head
for one of them only would credit the trained head's head start to
distillation. ``head: fresh`` re-initialises the head, for the twin too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from stillroom.components import Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.student import HFStudent, StudentNet, auto_class

if TYPE_CHECKING:
    from transformers import PreTrainedModel

INITS = ("teacher", "config", "checkpoint")
HEADS = ("teacher", "fresh")
HEAD_MODULES = ("pre_classifier", "classifier", "score")  # a classifier's task head, by architecture family
# Where the stack of transformer blocks lives, by architecture family.
LAYER_PATHS = ("encoder.layer", "transformer.layer", "layers", "h", "transformer.h", "model.layers")


def build_student(
    spec: Mapping[str, Any],
    *,
    teacher: Teacher | None,
    task: str,
    label_names: list[str] | None,
    embedding_dim: int | None = None,
    device: torch.device | str = "cpu",
    calibration: list[str] | None = None,
) -> HFStudent:
    """A student for ``task`` as ``spec`` describes it.

    ``embedding_dim`` is the teacher's embedding width: an embedding student
    of another width gets a learned projection onto it. ``calibration`` is the
    training texts ``width`` pruning measures MLP activations on
    (:mod:`.width`).
    """
    model = local_model(teacher)
    init = checked_init(spec, teacher)
    if init == "config" and "layers" in spec:
        default = "" if "init" in spec else f" (the default here: {_not_local(teacher)})"
        raise ConfigError(
            f"student.layers keeps some of the teacher's layers, but init: config{default} copies none; "
            "size the student with student.config.num_hidden_layers instead"
        )
    if "head" in spec and (init != "teacher" or task != "classification"):
        why = f"init is {init}" if init != "teacher" else f"a {task} student has no task head"
        raise ConfigError(f"student.head chooses between the teacher's classification head and a fresh one, "
                          f"so it needs init: teacher on a classification task, but {why}; remove student.head")
    if init == "teacher":
        model = require_local(teacher, "student.init: teacher", "its layers copied into the student",
                              "use init: config or init: checkpoint")
        backbone = copy.deepcopy(model).float().cpu()
        tokenizer = teacher.tokenizer  # type: ignore[union-attr]  # require_local found a local teacher (HFTeacher)
        chosen = keep_layers(backbone, spec["layers"]) if "layers" in spec else None
        head = spec.get("head", "teacher")
        if head not in HEADS:
            raise ConfigError(f"student.head must be one of {', '.join(HEADS)}, got {head!r}")
        if head == "fresh":
            fresh_head(backbone)
    elif init == "config":
        backbone, tokenizer = _from_config(spec, teacher, task, label_names)
        chosen = None
    else:
        backbone, tokenizer = _from_checkpoint(spec, task, label_names)
        chosen = None
    if task == "classification":
        _check_head(backbone, label_names)
    pruned_width = None
    if "width" in spec:
        from stillroom.plugins.trainers.width import prune_width

        pruned_width = prune_width(backbone, tokenizer, list(calibration or []), spec["width"],
                                   max_length=int(spec.get("max_length", 128)))
    projection = None
    width = backbone.config.hidden_size
    if task == "embedding" and embedding_dim and embedding_dim != width:
        projection = nn.Linear(width, embedding_dim)
    pooling, normalize = (getattr(teacher, "pooling", "mean"), getattr(teacher, "normalize", True))
    net = StudentNet(backbone, task, pooling, normalize, projection).to(device)
    student = HFStudent(
        net, tokenizer, max_length=int(spec.get("max_length", 128)), label_names=label_names, device=device
    )
    student.teacher_layers = chosen
    student.width_pruning = pruned_width
    return student


def checked_init(spec: Mapping[str, Any], teacher: Teacher | None) -> str:
    """How the student starts (``init``, by default ``teacher`` with a local teacher, else ``config``), refused
    with a key only another init reads: it would be accepted and ignored (and a tokenizer named but not used
    would pass the vocabulary check in its place). Cheap: preflight checks it before any data moves."""
    init = spec.get("init", "teacher" if local_model(teacher) is not None and hasattr(teacher, "tokenizer")
                    else "config")
    if init not in INITS:
        raise ConfigError(f"student.init must be one of {', '.join(INITS)}, got {init!r}")
    for key, reader in (("config", "config"), ("tokenizer", "config"), ("checkpoint", "checkpoint")):
        if key in spec and init != reader:
            raise ConfigError(f"student.{key} is read by init: {reader}, and this student's init is {init}; "
                              f"remove student.{key} or set init: {reader}")
    return init


def local_model(teacher: Teacher | None) -> PreTrainedModel | None:
    """The teacher's own torch model when it runs in this process; None for a remote (HTTP) teacher.

    Decided by type, never by attribute name: an HTTP teacher's ``model`` is the served model's name, and
    copying or running it as weights would fail far from the cause.
    """
    model = getattr(teacher, "model", None) if teacher is not None else None
    # a local teacher's model is a transformers model (HFTeacher's): nn.Module tells it from a served model's name
    return model if isinstance(model, nn.Module) else None  # type: ignore[return-value]


def require_local(teacher: Teacher | None, option: str, use: str, instead: str) -> PreTrainedModel:
    """The teacher's torch model, for ``option`` which uses it so; else a ConfigError saying what to do instead."""
    model = local_model(teacher)
    if model is None:
        raise ConfigError(f"{option} needs a local teacher, {use}, but {_not_local(teacher)}; {instead}")
    return model


def _not_local(teacher: Teacher | None) -> str:
    if teacher is None:
        return "the run has no teacher"
    return f"teacher {teacher.name!r} at {teacher.location()} is not a model in this process"


def fresh_head(model: nn.Module) -> None:
    """Re-initialise a classifier's task head (normal(0, initializer_range) weights, zero biases) in place."""
    std = float(getattr(model.config, "initializer_range", 0.02) or 0.02)
    found = False
    for name in HEAD_MODULES:
        module = getattr(model, name, None)
        for layer in module.modules() if isinstance(module, nn.Module) else ():
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, std=std)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
                found = True
    if not found:
        raise ConfigError(f"cannot find the classification head of {type(model).__name__}; set student.head: teacher")


def keep_layers(model: PreTrainedModel, layers: int | list[int]) -> list[int]:
    """Keep only the given blocks (indices, or a count spread evenly from first to last)."""
    parent, attr = layer_stack(model)
    stack: nn.ModuleList = getattr(parent, attr)
    total = len(stack)
    if isinstance(layers, int) and not isinstance(layers, bool):
        if not 1 <= layers <= total:
            raise ConfigError(f"student.layers must be between 1 and {total} (the teacher's depth), got {layers}")
        # first and last kept: the bottom holds lexical features, the top the task-shaped ones
        chosen = sorted({int(round(x)) for x in np.linspace(0, total - 1, layers)})
    elif isinstance(layers, list) and layers and all(isinstance(i, int) and 0 <= i < total for i in layers):
        chosen = sorted(set(layers))
    else:
        raise ConfigError(f"student.layers must be a count or a list of layer indices below {total}, got {layers!r}")
    setattr(parent, attr, nn.ModuleList(stack[i] for i in chosen))
    for index, block in enumerate(getattr(parent, attr)):
        # decoder blocks index their KV cache by position in the stack
        for module in block.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = index
    config = model.config
    config.num_hidden_layers = len(chosen)
    if isinstance(getattr(config, "layer_types", None), list):
        config.layer_types = [config.layer_types[i] for i in chosen]
    return chosen


def layer_stack(model: nn.Module) -> tuple[nn.Module, str]:
    """The module holding the stack of transformer blocks, and the attribute it is under."""
    base = getattr(model, "base_model", model)
    for root in (base, model):
        for path in LAYER_PATHS:
            *parents, attr = path.split(".")
            node = root
            for name in parents:
                node = getattr(node, name, None)
            if node is not None and isinstance(getattr(node, attr, None), nn.ModuleList):
                return node, attr
    raise ConfigError(f"cannot find the layer stack of {type(model).__name__}; choose init: config instead")


def _label_config(label_names: list[str] | None) -> dict[str, Any]:
    if not label_names:
        return {}
    return {
        "num_labels": len(label_names),
        "id2label": dict(enumerate(label_names)),
        "label2id": {name: i for i, name in enumerate(label_names)},
    }


def _from_config(spec, teacher, task, label_names):
    from transformers import AutoConfig, AutoTokenizer

    overrides = spec.get("config", {})
    if isinstance(overrides, str):
        overrides = json.loads(Path(overrides).read_text())
    if not isinstance(overrides, Mapping):
        raise ConfigError("student.config must be a mapping of config fields or the path of a config.json")
    if hasattr(teacher, "path"):
        base = AutoConfig.from_pretrained(teacher.path).to_dict() | dict(overrides)
    elif "model_type" in overrides:
        base = dict(overrides)
    else:
        raise ConfigError("student.config needs a model_type when the teacher is not a local model")
    base.pop("architectures", None)
    config = AutoConfig.for_model(**(base | _label_config(label_names)))
    tokenizer_path = spec.get("tokenizer", getattr(teacher, "path", None))
    if tokenizer_path is None:
        raise ConfigError("student.tokenizer is required when the teacher is not a local model")
    return auto_class(task).from_config(config, dtype=torch.float32), AutoTokenizer.from_pretrained(tokenizer_path)


def _from_checkpoint(spec, task, label_names):
    from transformers import AutoTokenizer

    if "checkpoint" not in spec:
        raise ConfigError("student.checkpoint is required with init: checkpoint (a Hugging Face model directory)")
    path = Path(spec["checkpoint"]).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(f"student.checkpoint {path} is not a Hugging Face model directory (no config.json)")
    # transformers 5 loads a checkpoint in its stored dtype: a half-precision one would train into NaN
    model = auto_class(task).from_pretrained(path, dtype=torch.float32, **_label_config(label_names))
    if "layers" in spec:
        keep_layers(model, spec["layers"])
    return model, AutoTokenizer.from_pretrained(path)


def _check_head(backbone: PreTrainedModel, label_names: list[str] | None) -> None:
    if label_names and backbone.config.num_labels != len(label_names):
        raise ConfigError(
            f"the student's classification head has {backbone.config.num_labels} classes "
            f"but the data has {len(label_names)}"
        )
