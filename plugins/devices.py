"""Where torch work runs, and in which precision: one rule for teachers and students."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillroom.errors import ConfigError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def pick_device(requested: str = "auto") -> torch.device:
    """The device a spec asked for, or the best one present for ``auto``."""
    import torch

    requested = check_device(requested)
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {requested!r} was requested but no CUDA device is available")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' was requested but no Apple GPU is available")
    return torch.device(requested)


def check_device(requested: str) -> str:
    """A device name a spec may use, checked without importing torch."""
    if requested not in DEVICES and not str(requested).startswith("cuda:"):
        raise ConfigError(f"device must be one of {', '.join(DEVICES)} (or cuda:N), got {requested!r}")
    return requested


def inference_dtype(device: torch.device) -> torch.dtype:
    """bf16 on CUDA halves memory at no cost to ranking; MPS bf16 depends on the macOS release, so fp32 there."""
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32
