"""Which teacher layers a student keeps, by measured importance on the validation split (Minitron-style).

``student.layers: {keep: 3, by: importance}``: each of the teacher's blocks is
removed in turn and the teacher without it is scored on the validation split:
a classifier by accuracy on its labels, a causal LM by the mean log-likelihood
of the validation texts' tokens (no labels needed). A block's importance is
the score lost without it. The ``keep`` most important blocks are kept (ties:
the lower index), in order. Only validation is read, never test; the scores go
with the student (``student.layer_importance``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from stillroom.errors import ConfigError


def parse_request(layers: Any) -> int:
    """The number of layers to keep from ``{keep: N, by: importance}``; a ConfigError for anything else."""
    if set(layers) != {"keep", "by"} or layers.get("by") != "importance":
        raise ConfigError(f"student.layers as a mapping must be {{keep: N, by: importance}}, got {dict(layers)!r}")
    keep = layers["keep"]
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ConfigError(f"student.layers.keep must be a positive number of layers, got {keep!r}")
    return keep


def choose_layers(student_spec: Mapping[str, Any], teacher, data) -> tuple[Mapping[str, Any], dict | None]:
    """``student_spec`` with ``layers: {keep: N, by: importance}`` replaced by the chosen indices, and the
    measurements behind the choice; the spec unchanged and None when it lists its layers itself."""
    if not isinstance(student_spec.get("layers"), Mapping):
        return student_spec, None
    chosen, importance = layers_by_importance(teacher, data, student_spec["layers"],
                                              int(student_spec.get("max_length", 128)))
    return {**student_spec, "layers": chosen}, importance


def layers_by_importance(teacher, data, layers: Mapping[str, Any], max_length: int = 128) -> tuple[list[int], dict]:
    """The indices of the teacher blocks to keep, and each block's measured importance."""
    from stillroom.plugins.topk import mean_log_likelihood
    from stillroom.plugins.trainers.build import keep_layers, require_local

    keep = parse_request(layers)
    model = require_local(teacher, "student.layers: {by: importance}", "each of its blocks removed and scored",
                          "list the layers to keep instead")
    causal = teacher.task == "causal-lm"
    if len(data.validation) == 0 or (data.validation.labels is None and not causal):
        raise ConfigError("student.layers: {by: importance} measures each layer on the "
                          f"{'' if causal else 'labelled '}validation split, and this run has none; "
                          "list the layers to keep instead")
    depth = model.config.num_hidden_layers
    if keep > depth:
        raise ConfigError(f"student.layers.keep must be at most {depth} (the teacher's depth), got {keep}")
    texts = list(data.validation.texts)
    if causal:
        metric = "log_likelihood"

        def quality(net):
            return mean_log_likelihood(lambda ids, mask: net(input_ids=ids, attention_mask=mask).logits,
                                       teacher.tokenizer, texts, max_length=max_length, batch_size=16,
                                       device=next(net.parameters()).device)
    else:
        metric, labels = "accuracy", np.asarray(data.validation.labels)

        def quality(net):
            return _accuracy(net, teacher.tokenizer, texts, labels, max_length)

    full = quality(model)
    if full is None:
        raise ConfigError("student.layers: {by: importance} scores each layer on the validation texts' tokens, and "
                          "every validation text is a single token; list the layers to keep instead")
    lost = []
    for index in range(depth):
        pruned = copy.deepcopy(model)
        keep_layers(pruned, [i for i in range(depth) if i != index])
        lost.append(full - quality(pruned))
        del pruned
    ranked = sorted(range(depth), key=lambda i: (-lost[i], i))
    chosen = sorted(ranked[:keep])
    return chosen, {"on": "validation", metric: full, f"{metric}_lost_without": lost, "kept": chosen}


def _accuracy(model, tokenizer, texts: list[str], labels: np.ndarray, max_length: int) -> float:
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            encoded = tokenizer(texts[start : start + 64], padding=True, truncation=True, max_length=max_length,
                                return_tensors="pt").to(device)
            predicted.append(model(**encoded).logits.argmax(-1).cpu().numpy())
    model.train(was_training)
    return float((np.concatenate(predicted) == labels).mean())
