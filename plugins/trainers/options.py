"""The student spec's training options, validated once, with the defaults a user can rely on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from stillroom.errors import ConfigError

# One process has no group to shard over: the option would otherwise be accepted and ignored.
FSDP_ALONE = ("student.parallel: fsdp shards the student over a process group, and this training runs in one "
              "process: run it with --executor ray (or under torchrun), or drop the option")

# Options that shape what the student learns from the teacher: labels alone (a baseline) set to anything but
# their default is refused rather than ignored, and the train stage leaves them out of the baseline it derives.
TEACHER_SIGNAL = ("temperature", "alpha", "hidden_weight", "relation_weight", "mixup_weight", "loss", "live",
                  "divergence", "beta", "on_policy", "ce_weight", "prompt_loss", "warm_start", "max_new_tokens")

# Keys the student builder reads; accepted here so a typo anywhere else is caught.
BUILD_KEYS = {"init", "layers", "config", "checkpoint", "tokenizer", "head", "width"}
COMMON_KEYS = {"epochs", "lr", "batch_size", "seed", "grad_accum", "patience", "checkpoint_every", "checkpoint_dir",
               "resume", "max_length", "weight_decay", "warmup", "device", "prune_vocab", "parallel"}


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 3
    lr: float = 1e-4
    batch_size: int = 32
    seed: int = 0
    grad_accum: int = 1
    patience: int = 0  # epochs without a better validation score before stopping; 0: never stop early
    checkpoint_every: int = 0  # optimizer steps between mid-epoch checkpoints; every epoch end always saves
    checkpoint_dir: str | None = None
    resume: bool = True
    max_length: int = 128
    weight_decay: float = 0.01
    warmup: float = 0.06  # share of all steps spent warming the learning rate up
    device: str = "auto"
    parallel: str = "ddp"  # in a process group: "ddp" replicates the student on every rank, "fsdp" shards it
    temperature: float = 2.0
    alpha: float = 0.7  # weight of the distillation term; cross-entropy on labels gets 1 - alpha
    loss: str = "mse"
    method: str = "kd"  # "labels": the same student without the teacher; "sequence": on teacher generations
    live: bool = False  # token-level KD against the teacher run on each batch instead of cached log-probs
    max_new_tokens: int = 32  # sequence-level KD: length of each teacher generation
    prune_vocab: bool = False  # keep only the tokens the training and validation texts use
    hidden_weight: float = 0.0  # logit KD: weight of hidden-state matching (needs a local teacher); 0 turns it off
    relation_weight: float = 0.0  # logit KD: weight of MiniLMv2 self-relation matching (a local teacher); 0: off
    mixup_weight: float = 0.0  # logit KD: weight of MixKD, KD on two rows' mixed embeddings (a local teacher); 0: off
    divergence: str = "forward"  # token-level KD: forward, reverse or jsd
    beta: float = 0.5  # the generalised JSD's mixture weight
    on_policy: float = 0.0  # token KD: share of batches on the student's own samples (GKD); 0 turns it off
    ce_weight: float = 0.0  # token KD: weight of cross-entropy on the sequence's own tokens, added to the divergence
    prompt_loss: bool = False  # causal LM on prompt + answer: the loss reads the prompt's tokens too, not the answer's alone
    warm_start: int = 0  # token KD: epochs of sequence-level KD before the method's own, which start from their student

    @property
    def checkpoint_path(self) -> Path | None:
        return Path(self.checkpoint_dir) if self.checkpoint_dir else None


def parse_options(spec: Mapping[str, Any], *, seed: int, device: str, allowed: set[str]) -> TrainOptions:
    """Options from ``spec``; ``allowed`` names the trainer-specific keys it understands."""
    unknown = set(spec) - COMMON_KEYS - allowed - BUILD_KEYS
    if unknown:
        raise ConfigError(f"student spec has unknown option(s) {', '.join(sorted(unknown))} for this trainer")
    if "width" in spec:
        from stillroom.plugins.trainers.width import parse_request

        parse_request(spec["width"])  # a bad width fails here, before a teacher is copied or a batch is read
    types = {f.name: f.type for f in fields(TrainOptions)}
    # an allowed key that is no training option (logit-kd's ``search``) is its trainer's to read and check
    values: dict[str, Any] = {"seed": seed, "device": device} | {k: v for k, v in spec.items() if k in types}
    for key, value in values.items():
        kind = types[key]
        if kind == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ConfigError(f"student.{key} must be a non-negative integer, got {value!r}")
        if kind == "float" and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
            raise ConfigError(f"student.{key} must be a non-negative number, got {value!r}")
        if kind == "bool" and not isinstance(value, bool):
            raise ConfigError(f"student.{key} must be true or false, got {value!r}")
    options = TrainOptions(**values)
    for key in ("epochs", "batch_size", "grad_accum", "max_length"):
        if getattr(options, key) < 1:
            raise ConfigError(f"student.{key} must be at least 1")
    if not 0 <= options.alpha <= 1:
        raise ConfigError(f"student.alpha must be between 0 and 1, got {options.alpha}")
    if options.temperature <= 0:
        raise ConfigError(f"student.temperature must be positive, got {options.temperature}")
    if options.method not in ("kd", "labels", "sequence"):
        raise ConfigError(f"student.method must be kd, labels or sequence, got {options.method!r}")
    if options.divergence not in ("forward", "reverse", "jsd"):
        raise ConfigError(f"student.divergence must be forward, reverse or jsd, got {options.divergence!r}")
    if not 0 < options.beta < 1:
        raise ConfigError(f"student.beta must be strictly between 0 and 1, got {options.beta}")
    if not 0 <= options.on_policy <= 1:
        raise ConfigError(f"student.on_policy must be between 0 and 1, got {options.on_policy}")
    if options.ce_weight and options.method != "kd":
        raise ConfigError(f"student.ce_weight adds cross-entropy to token-level KD's divergence, and method "
                          f"{options.method} is cross-entropy alone: drop ce_weight or use method: kd")
    if options.ce_weight and options.on_policy == 1:
        raise ConfigError("student.ce_weight adds cross-entropy on the teacher's tokens, and on_policy: 1 trains on "
                          "the student's own samples alone: lower on_policy or drop ce_weight")
    if options.prompt_loss and options.method == "labels":
        raise ConfigError("student.prompt_loss has the loss read a prompt's tokens as well as its answer's, and "
                          "method: labels learns the texts alone, with no answer: drop prompt_loss")
    if options.warm_start and options.method != "kd":
        raise ConfigError(f"student.warm_start trains sequence-level KD first and then token-level KD from its "
                          f"student, and method {options.method} is no token-level KD: drop warm_start")
    if options.parallel not in ("ddp", "fsdp"):
        raise ConfigError(f"student.parallel must be ddp or fsdp, got {options.parallel!r}")
    if options.parallel == "fsdp" and options.on_policy:
        # each rank samples its own rows to its own lengths, so the sharded blocks' gathers would not pair up
        raise ConfigError("student.on_policy samples from the student on each rank, which student.parallel: fsdp "
                          "cannot do (each generated token is a gather every rank must join): use parallel: ddp")
    if options.mixup_weight and options.parallel == "fsdp":
        raise ConfigError("student.mixup_weight mixes the student's input embeddings outside its forward pass, which "
                          "student.parallel: fsdp shards: use parallel: ddp")
    if options.loss not in ("mse", "cosine"):
        raise ConfigError(f"student.loss must be mse or cosine, got {options.loss!r}")
    if options.method == "labels":
        default = TrainOptions()
        shaped = next((key for key in TEACHER_SIGNAL if key in spec and getattr(options, key) != getattr(default, key)),
                      None)
        if shaped is not None:
            raise ConfigError(f"student.{shaped} shapes what the student learns from the teacher, and method: labels "
                              f"trains without the teacher; drop {shaped}")
    return options
