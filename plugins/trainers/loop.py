"""The training loop every trainer shares: the engineering a user expects, written once.

Seeds, gradient accumulation, bf16 autocast on CUDA, a warm-up/linear-decay
schedule, early stopping on a validation score, checkpoints (every N steps and
at each epoch end) with resume, a progress bar, one ledger entry per epoch and
one saying which epoch's weights the student keeps and why. A trainer supplies
only its loss and its validation score.

Written against ``torch.distributed``: inside a process group (Ray Train's
``TorchTrainer``, or ``torchrun`` through ``stillroom.run.torchrun``) every rank
cuts the same seeded batches, takes its share of each one, and DDP averages
the gradients (or, with ``student.parallel: fsdp``, FSDP's reduce-scatter
averages each rank's shard of them), each rank's loss weighted by its share, so
every optimizer step is the one a single process takes on the whole batch.
What differs is float summation order and the dropout masks each rank draws.
Only rank 0 writes checkpoints.

A trainer's loss reaches every module it trains through its ``net`` argument,
never through a closure: under FSDP that argument is a sharded copy of the
student, not the student itself.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from stillroom.components import Context
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.checkpoints import BEST, load_state, restore_rng, rng_state, save_state
from stillroom.plugins.trainers.options import FSDP_ALONE, TrainOptions


class Score(NamedTuple):
    """A validation score, higher is better, and the name of what it measures (for the ledger)."""

    metric: str
    value: float


LossFn = Callable[[nn.Module, dict[str, torch.Tensor]], torch.Tensor]
ScoreFn = Callable[[], Score | None]
# the dtypes torch's fused AdamW kernel takes on CPU and CUDA
FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


@dataclass
class Examples:
    """Tokenized training examples and the per-example targets the loss reads."""

    input_ids: list[list[int]]
    targets: dict[str, torch.Tensor]
    pad_id: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)

    def batch(self, indices: list[int], device: torch.device) -> dict[str, torch.Tensor]:
        width = max(len(self.input_ids[i]) for i in indices)
        ids = torch.full((len(indices), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(indices), width), dtype=torch.long)
        for row, i in enumerate(indices):
            ids[row, : len(self.input_ids[i])] = torch.tensor(self.input_ids[i])
            mask[row, : len(self.input_ids[i])] = 1
        index = torch.tensor(indices)
        targets = {k: v[index] for k, v in self.targets.items()}
        return {k: v.to(device) for k, v in {"input_ids": ids, "attention_mask": mask, **targets}.items()}


@dataclass
class FitResult:
    history: list[dict[str, Any]] = field(default_factory=list)
    resumed_from_step: int = 0
    best_epoch: int | None = None
    # the best epoch so far, this process: {"epoch", "metric", "score", "weights"}; also saved as BEST
    best: dict[str, Any] | None = field(default=None, repr=False)
    kept: dict[str, Any] = field(default_factory=dict)  # the epoch the student keeps, and by what


def fit(
    net: nn.Module,
    examples: Examples,
    loss_fn: LossFn,
    *,
    options: TrainOptions,
    ctx: Context,
    device: torch.device,
    score_fn: ScoreFn,
    state_dir: Path | None,
    label: str,
) -> FitResult:
    """Train ``net`` in place; on return it holds the best-scoring epoch's weights, or with no
    validation score at all (no validation data) the last epoch's, after every epoch has run."""
    torch.manual_seed(options.seed)
    saved = load_state(state_dir) if options.resume else None
    if saved is not None:
        net.load_state_dict(saved["model"])
    net.train()
    rank, world = _group()
    trainee = _trainee(net, loss_fn, options.parallel, device)
    writes = state_dir if rank == 0 else None
    batches_per_epoch = math.ceil(len(examples) / options.batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / options.grad_accum)
    total_steps = steps_per_epoch * options.epochs
    optimizer = _adamw([p for p in trainee.step.parameters() if p.requires_grad], options,
                       sharded=isinstance(trainee, _FSDP))
    warmup = max(1, int(options.warmup * total_steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    result = FitResult()
    position: dict[str, Any] = {"epoch": 0, "batch": 0, "step": 0, "best": None, "bad_epochs": 0}
    if saved is not None:
        trainee.load_optimizer(optimizer, kernel_as_built(saved["optimizer"], optimizer))
        schedule.load_state_dict(saved["schedule"])
        position = saved["position"]
        result.history = saved["history"]
        result.best_epoch = saved.get("best_epoch")
        result.resumed_from_step = position["step"]
        restore_rng(saved["rng"])
        ctx.record("train.resumed", {"trainer": label, "step": position["step"], "epoch": position["epoch"]})

    def checkpoint() -> None:
        if state_dir is None:  # the same on every rank: nowhere to write, so nothing to gather
            return
        trainee.sync(position["step"])  # on every rank: under FSDP, gathering weights and optimizer state is collective
        optimizer_state = trainee.optimizer_state(optimizer)
        if writes is not None:
            save_state(
                writes,
                {
                    "model": net.state_dict(),
                    "optimizer": optimizer_state,
                    "schedule": schedule.state_dict(),
                    "position": dict(position),
                    "history": result.history,
                    "best_epoch": result.best_epoch,
                    "rng": rng_state(),
                },
            )

    autocast = (
        (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else contextlib.nullcontext
    )
    with _progress(ctx.progress) as progress:
        bar = progress.add_task(label, total=total_steps, completed=position["step"], loss=0.0, rate=0.0)
        while position["epoch"] < options.epochs:
            epoch = position["epoch"]
            batches = length_grouped_batches(examples, options.batch_size, seed=options.seed * 7919 + epoch)
            started, seen, loss_sum, loss_count = time.perf_counter(), 0, 0.0, 0
            trainee.release()
            for b in range(position["batch"], len(batches)):
                mine, share = shard(batches[b], rank, world)
                batch = examples.batch(mine, device)
                stepping = (b + 1) % options.grad_accum == 0 or b + 1 == len(batches)
                with contextlib.nullcontext() if stepping else trainee.no_sync():
                    with autocast():
                        loss = trainee.step(batch)
                    (loss * (share * world) / options.grad_accum).backward()
                loss_sum, loss_count = loss_sum + loss.item() * share, loss_count + 1
                seen += len(mine) if share else 0
                if stepping:
                    torch.nn.utils.clip_grad_norm_(trainee.step.parameters(), 1.0)
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    position["step"] += 1
                    position["batch"] = b + 1
                    rate = seen / max(time.perf_counter() - started, 1e-9)
                    progress.update(bar, advance=1, loss=loss_sum / loss_count, rate=rate)
                    if options.checkpoint_every and position["step"] % options.checkpoint_every == 0:
                        checkpoint()
                        trainee.release()
            seconds = time.perf_counter() - started
            loss_sum, seen = _summed(loss_sum, seen, world)
            trainee.sync(position["step"])
            net.eval()
            score = score_fn()
            net.train()
            entry = {
                "epoch": epoch + 1,
                "loss": loss_sum / max(loss_count, 1),
                "val_score": None if score is None else score.value,
                "val_metric": None if score is None else score.metric,
                "seconds": round(seconds, 4),
                "examples_per_s": round(seen / max(seconds, 1e-9), 2),
                "steps": position["step"],
            }
            result.history.append(entry)
            ctx.record("train.epoch", {"trainer": label, **entry})
            position["epoch"], position["batch"] = epoch + 1, 0
            stop = _track_best(net, position, result, score, writes, options.patience)
            checkpoint()
            if stop:
                break
    trainee.sync(position["step"])
    if result.best_epoch is None:
        # nothing to choose by: early stopping never fired, every epoch ran, and the last one stands
        result.kept = {
            "epoch": position["epoch"],
            "by": None,
            "reason": "no epoch had a validation score (no validation data, or nothing to score it against): "
            "trained every epoch and kept the last",
        }
    else:
        # a resumed run may have found its best epoch before the crash: then only the disk copy has it, and
        # the copy names its own epoch and score (a crash can fall between writing it and the checkpoint)
        best = result.best if result.best is not None else load_state(state_dir, BEST)
        assert best is not None  # _track_best wrote the best epoch to disk when it found it
        net.load_state_dict(best["weights"])
        result.best_epoch = best["epoch"]
        result.kept = {"epoch": best["epoch"], "by": best["metric"], "val_score": best["score"]}
    ctx.record("train.kept", {"trainer": label, "epochs_run": position["epoch"], **result.kept,
                              "ranks": world, "parallel": trainee.parallel})
    net.eval()
    return result


def shard(indices: list[int], rank: int, world: int) -> tuple[list[int], float]:
    """This rank's examples of a batch, and its share of the batch (what its mean loss is weighted by).

    A rank left without an example (a batch smaller than the group) still takes the step, on the batch's
    first example with weight 0: every rank must join every gradient exchange.
    """
    mine = indices[rank::world]
    return (mine, len(mine) / len(indices)) if mine else (indices[:1], 0.0)


def length_grouped_batches(examples: Examples, batch_size: int, seed: int, group: int = 50) -> list[list[int]]:
    """Shuffled batches of similar-length examples; the same seed gives the same batches, so resume can skip them.

    Random batches of short queries pad to their longest member and waste
    about half the compute; sorting within windows of ``group`` batches keeps
    the order random while padding stays small (the ``group_by_length`` idea).
    """
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(examples), generator=generator).tolist()
    window = batch_size * group
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(examples.input_ids[i]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


class _Step(nn.Module):
    """The loss of a batch as a module, so DDP and FSDP see every parameter the loss reaches, not only
    ``forward``'s."""

    def __init__(self, net: nn.Module, loss_fn: LossFn) -> None:
        super().__init__()
        self.net, self.loss_fn = net, loss_fn

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.loss_fn(self.net, batch)


class _Trainee:
    """What the optimizer steps, and how: ``net`` itself in one process; in a process group, ``net`` wrapped
    in DDP (``_DDP``) or a sharded copy of it (``_FSDP``).

    ``step`` is the module to call on a batch and to take parameters from; ``sync`` makes ``net`` hold the
    weights being trained (scoring, best-epoch copies and checkpoints read ``net``).
    """

    parallel = "none"

    def __init__(self, net: nn.Module, loss_fn: LossFn, device: torch.device) -> None:
        self.net: nn.Module = net.to(device)
        self.step: nn.Module = _Step(net, loss_fn)

    def no_sync(self) -> contextlib.AbstractContextManager[Any]:
        """Skip the gradient exchange on a backward that does not end an accumulation."""
        return contextlib.nullcontext()

    def sync(self, step: int) -> None:
        """Make ``net`` hold the weights as they are after optimizer step ``step``."""

    def release(self) -> None:
        pass

    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        return optimizer.state_dict()

    def load_optimizer(self, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
        optimizer.load_state_dict(state)


class _DDP(_Trainee):
    parallel = "ddp"

    def __init__(self, net: nn.Module, loss_fn: LossFn, device: torch.device) -> None:
        from torch.nn.parallel import DistributedDataParallel

        super().__init__(net, loss_fn, device)
        # a trainer's loss may reach past forward (hidden states, a label head) or leave a parameter out
        # of a step: DDP wraps the loss, and looks for parameters that got no gradient
        self.step = DistributedDataParallel(self.step, find_unused_parameters=True)

    def no_sync(self) -> contextlib.AbstractContextManager[Any]:
        return self.step.no_sync()  # type: ignore[operator]  # DDP's own context manager


class _FSDP(_Trainee):
    """FSDP2 over the group: a copy of ``net`` is sharded, each of its blocks (the items of every
    ``nn.ModuleList``: transformer layers) a unit of its own and the rest (embeddings, heads) the root
    unit, so between steps a rank holds 1/N of the weights, gradients and AdamW moments, and in a step
    the root unit and a block or two at a time whole. ``net`` waits on the host while an epoch trains
    and is filled with the weights, one parameter gathered at a time, for scoring and checkpoints: a
    student too big to train on one device needs to fit it only for inference. The loss reaches the
    copy through its ``net`` argument, as every trainer's loss must."""

    parallel = "fsdp"

    def __init__(self, net: nn.Module, loss_fn: LossFn, device: torch.device, world: int) -> None:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        self.net, self.device = net, device
        self.synced: int | None = None  # the optimizer step whose weights ``net`` holds, on the device
        self.release()  # copied on the host: fully_shard moves one unit at a time to the device, then shards it
        self.copy = copy.deepcopy(net)
        self.step = _Step(self.copy, loss_fn)
        mesh = init_device_mesh(device.type, (world,))
        for module in reversed(list(self.copy.modules())):  # inner blocks before the blocks that hold them
            if isinstance(module, nn.ModuleList):
                for block in module:
                    if next(block.parameters(), None) is not None:
                        fully_shard(block, mesh=mesh)
        fully_shard(self.step, mesh=mesh)

    def no_sync(self) -> contextlib.AbstractContextManager[Any]:
        @contextlib.contextmanager
        def accumulating():
            self.step.set_requires_gradient_sync(False)  # type: ignore[operator]  # fully_shard adds it
            try:
                yield
            finally:
                self.step.set_requires_gradient_sync(True)  # type: ignore[operator]

        return accumulating()

    def sync(self, step: int) -> None:
        from torch.distributed.tensor import DTensor

        if self.synced == step:
            return
        mine = dict(self.net.named_parameters(remove_duplicate=False))  # a tied weight under each of its names
        with torch.no_grad():
            for name, param in self.copy.named_parameters():  # a collective per parameter, in the same order
                mine[name].copy_(param.full_tensor() if isinstance(param, DTensor) else param)
        self.net.to(self.device)
        self.synced = step

    def release(self) -> None:
        """Send ``net`` to the host: the device keeps only the shards while an epoch trains."""
        self.net.to("cpu")
        self.synced = None

    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

        # the whole state on rank 0 (the rank that writes checkpoints), gathered from every rank's shard
        return get_optimizer_state_dict(self.step, optimizer,
                                        options=StateDictOptions(full_state_dict=True, cpu_offload=True))

    def load_optimizer(self, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        set_optimizer_state_dict(self.step, optimizer, state, options=StateDictOptions(full_state_dict=True))


def _trainee(net: nn.Module, loss_fn: LossFn, parallel: str, device: torch.device) -> _Trainee:
    """``net`` as ``student.parallel`` trains it: DDP (the default in a process group) or FSDP."""
    from torch import distributed

    grouped = distributed.is_available() and distributed.is_initialized()
    if parallel == "fsdp":
        if not grouped:
            raise ConfigError(FSDP_ALONE)
        return _FSDP(net, loss_fn, device, distributed.get_world_size())
    if grouped and distributed.get_world_size() > 1:
        return _DDP(net, loss_fn, device)
    return _Trainee(net, loss_fn, device)


def _adamw(params: list[nn.Parameter], options: TrainOptions, *, sharded: bool) -> torch.optim.AdamW:
    """AdamW, fused into one kernel over every parameter wherever torch has that kernel (CPU and CUDA,
    unsharded): torch's default on CPU updates one tensor at a time, which took 0.12 s of a demo step's
    0.25 s on two cores, and the fused kernel computes the same update up to float rounding
    (``benchmarks/optimizer.py``). FSDP's sharded parameters (DTensor) use the multi-tensor (foreach) path."""
    fusable = not sharded and all(p.device.type in ("cpu", "cuda") and p.dtype in FUSED_DTYPES for p in params)
    return torch.optim.AdamW(params, lr=options.lr, weight_decay=options.weight_decay,
                             fused=True if fusable else None, foreach=True if sharded else None)


def kernel_as_built(state: dict[str, Any], optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """A saved optimizer state with ``optimizer``'s own kernel (``fused``, ``foreach``): loading takes the saved
    groups whole, so a checkpoint written before the fused kernel, or by another build, would otherwise choose it."""
    kernel = {key: optimizer.defaults.get(key) for key in ("fused", "foreach")}
    return {**state, "param_groups": [{**group, **kernel} for group in state["param_groups"]]}


def _group() -> tuple[int, int]:
    """This process's rank and the group's size: (0, 1) outside a process group."""
    from torch import distributed

    if distributed.is_available() and distributed.is_initialized():
        return distributed.get_rank(), distributed.get_world_size()
    return 0, 1


def _summed(loss_sum: float, seen: int, world: int) -> tuple[float, int]:
    """An epoch's loss (the sum of each batch's mean) and examples seen, over every rank of the group."""
    if world == 1:
        return loss_sum, seen
    from torch import distributed

    totals = torch.tensor([loss_sum, float(seen)], dtype=torch.float64)
    distributed.all_reduce(totals)
    return float(totals[0]), int(totals[1])


def _track_best(net, position, result, score: Score | None, state_dir, patience) -> bool:
    """Keep the best epoch's weights; True when ``patience`` epochs passed without improving.

    Of two epochs with the same score the later is kept: scores such as
    accuracy or agreement saturate (often at 1.0 on a small validation split)
    while the loss still falls, and the earlier epoch would then stand only
    because it got there first. A tie is still no improvement, so it counts
    towards ``patience``: a run that plateaus stops.
    """
    if score is None:
        return False
    best = position["best"]
    if best is None or score.value >= best:
        result.best_epoch = position["epoch"]
        weights = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        result.best = {"epoch": position["epoch"], "metric": score.metric, "score": score.value, "weights": weights}
        if state_dir is not None:
            save_state(state_dir, result.best, BEST)
    if best is None or score.value > best:
        position["best"], position["bad_epochs"] = score.value, 0
        return False
    position["bad_epochs"] += 1
    return bool(patience) and position["bad_epochs"] >= patience


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("{task.fields[rate]:.0f} ex/s"),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
