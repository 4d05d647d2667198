"""Width pruning of a decoder's MLPs by activation importance, Minitron-style (Muralidharan et al. 2024).

``student.width: {intermediate: N, by: activation}`` keeps N of each block's
MLP neurons. A neuron's importance is the mean magnitude of its activation,
``act(gate(x)) * up(x)`` (what ``down_proj`` reads), over every real token of
a calibration set: the first ``CALIBRATION`` training texts, never validation
or test. Each block keeps its own N most important neurons (so the config
keeps one ``intermediate_size``), and the result is an ordinary smaller
Llama-family model that ``AutoModelForCausalLM`` saves and loads. Attention
heads are not pruned: with grouped-query attention a head can only go with
its whole key/value group, and SmolLM2's 3 groups leave no room.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from stillroom.errors import ConfigError

if TYPE_CHECKING:
    from transformers import PreTrainedModel

CALIBRATION = 64  # training texts the activations are averaged over
MLP_PARTS = ("gate_proj", "up_proj", "down_proj")


def parse_request(width: Any) -> int:
    """The MLP width to keep from ``{intermediate: N, by: activation}``; a ConfigError for anything else."""
    if not isinstance(width, Mapping) or set(width) != {"intermediate", "by"} or width.get("by") != "activation":
        raise ConfigError(f"student.width must be {{intermediate: N, by: activation}}, got {width!r}")
    keep = width["intermediate"]
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ConfigError(f"student.width.intermediate must be a positive number of MLP neurons, got {keep!r}")
    return keep


def prune_width(model: PreTrainedModel, tokenizer, texts: list[str], width: Any, *, max_length: int) -> dict:
    """Prune ``model``'s MLPs in place to ``width``'s size, measured on ``texts``; what was measured and kept."""
    keep = parse_request(width)
    blocks = _mlps(model)
    current = model.config.intermediate_size
    if keep > current:
        raise ConfigError(f"student.width.intermediate must be at most {current} (the model's MLP width), got {keep}")
    calibration = [t for t in texts if t.strip()][:CALIBRATION]
    if not calibration:
        raise ConfigError("student.width measures MLP activations on the training texts, and this run has none")
    importance = neuron_importance(model, blocks, tokenizer, calibration, max_length=max_length)
    kept = [sorted(scores.topk(keep).indices.tolist()) for scores in importance]
    keep_neurons(model, blocks, kept)
    return {"on": "train", "texts": len(calibration), "intermediate": keep, "from": current,
            "importance_kept_share": [float(s[k].sum() / s.sum()) for s, k in zip(importance, kept, strict=True)]}


def neuron_importance(model: nn.Module, blocks: list[nn.Module], tokenizer, texts: list[str], *,
                      max_length: int, batch_size: int = 16) -> list[torch.Tensor]:
    """Each block's mean |activation| per MLP neuron over the real (unpadded) tokens of ``texts``."""
    totals = [torch.zeros(_part(block, "down_proj").in_features, dtype=torch.float64) for block in blocks]
    mask_now: dict[str, torch.Tensor] = {}

    def recorder(index: int):
        def hook(_module, inputs):
            weights = mask_now["mask"].to(inputs[0].dtype).unsqueeze(-1)
            totals[index] += (inputs[0].abs() * weights).sum(dim=(0, 1)).double().cpu()
        return hook

    handles = [_part(block, "down_proj").register_forward_pre_hook(recorder(i)) for i, block in enumerate(blocks)]
    device = next(model.parameters()).device
    was_training, count = model.training, 0
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                encoded = tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                    max_length=max_length, return_tensors="pt").to(device)
                mask_now["mask"] = encoded["attention_mask"]
                model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"])
                count += int(encoded["attention_mask"].sum())
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return [total / max(count, 1) for total in totals]


def keep_neurons(model: PreTrainedModel, blocks: list[nn.Module], kept: list[list[int]]) -> None:
    """Slice each block's MLP to its ``kept`` neurons (rows of gate and up, columns of down), in place."""
    widths = {len(k) for k in kept}
    if len(widths) != 1 or len(kept) != len(blocks):
        raise ValueError("every block keeps the same number of MLP neurons (the config has one intermediate_size)")
    for block, neurons in zip(blocks, kept, strict=True):
        index = torch.as_tensor(neurons, device=_part(block, "down_proj").weight.device)
        block.gate_proj = _rows(_part(block, "gate_proj"), index)
        block.up_proj = _rows(_part(block, "up_proj"), index)
        block.down_proj = _columns(_part(block, "down_proj"), index)
        if hasattr(block, "intermediate_size"):
            block.intermediate_size = len(neurons)  # type: ignore[assignment]  # torch types Module.__setattr__ for tensors and modules; an int is a plain attribute
    model.config.intermediate_size = widths.pop()


def _mlps(model: PreTrainedModel) -> list[nn.Module]:
    from stillroom.plugins.trainers.build import layer_stack

    parent, attr = layer_stack(model)
    blocks = [getattr(block, "mlp", None) for block in getattr(parent, attr)]
    gated = [b for b in blocks if isinstance(b, nn.Module) and
             all(isinstance(getattr(b, p, None), nn.Linear) for p in MLP_PARTS)]
    if not blocks or len(gated) != len(blocks) or not hasattr(model.config, "intermediate_size"):
        raise ConfigError(f"student.width prunes gated MLPs (gate_proj, up_proj, down_proj, as Llama-family models "
                          f"have); {type(model).__name__} has none")
    return gated


def _part(block: nn.Module, name: str) -> nn.Linear:
    """One of a gated MLP's projections (``MLP_PARTS``), as the ``nn.Linear`` that :func:`_mlps` found it is."""
    linear = getattr(block, name)
    assert isinstance(linear, nn.Linear)  # _mlps refuses a block whose projections are not
    return linear


def _rows(linear: nn.Linear, index: torch.Tensor) -> nn.Linear:
    new = nn.Linear(linear.in_features, len(index), bias=linear.bias is not None,
                    device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(linear.weight[index])
        if linear.bias is not None:
            new.bias.copy_(linear.bias[index])
    return new


def _columns(linear: nn.Linear, index: torch.Tensor) -> nn.Linear:
    new = nn.Linear(len(index), linear.out_features, bias=linear.bias is not None,
                    device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(linear.weight[:, index])
        if linear.bias is not None:
            new.bias.copy_(linear.bias)
    return new
