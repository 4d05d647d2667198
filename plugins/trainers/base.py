"""What every Stillroom trainer does around its loss: options, student, preflight, checkpoints, loop."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Context, Dataset, Student, Trainer
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.options import BUILD_KEYS, COMMON_KEYS, FSDP_ALONE, TrainOptions, parse_options

if TYPE_CHECKING:
    import torch

    from stillroom.plugins.trainers.loop import Examples, Score
    from stillroom.plugins.trainers.student import HFStudent


class StudentTrainer(Trainer):
    """A trainer is its loss, its targets and its validation score; the rest is shared."""

    task: ClassVar[str]
    option_keys: ClassVar[set[str]] = set()
    supports_baseline: ClassVar[bool] = False
    chooses_layers: ClassVar[bool] = False  # whether train() reads student.layers: {keep: N, by: importance}

    @classmethod
    def student_keys(cls) -> frozenset[str]:
        return frozenset(COMMON_KEYS | BUILD_KEYS | cls.option_keys)

    def check_student(self, student_spec: Mapping[str, Any], teacher) -> None:
        """What can be refused before any data moves: the options, how the student starts, where it trains."""
        from stillroom.plugins.trainers.build import checked_init

        parse_options(student_spec, seed=self.ctx.seed, device=self.ctx.device, allowed=self.option_keys)
        checked_init(student_spec, teacher)
        if isinstance(student_spec.get("layers"), Mapping):
            from stillroom.plugins.trainers.importance import parse_request

            parse_request(student_spec["layers"])
            if not self.chooses_layers:
                raise ConfigError(f"student.layers: {{by: importance}} is chosen on a task's validation score, which "
                                  f"trainer {self.name} does not train for; list the layers to keep instead")
        if student_spec.get("parallel") == "fsdp" and self.ctx.executor == "local":
            raise ConfigError(FSDP_ALONE)

    def train(
        self,
        student_spec: Mapping[str, Any],
        data: Dataset,
        teacher_outputs: Mapping[str, Mapping[str, np.ndarray]],
        ctx: Context,
    ) -> HFStudent:
        # torch loads here, not at import: registering trainers must stay cheap for every command
        from stillroom.plugins.devices import pick_device
        from stillroom.plugins.trainers.build import build_student
        from stillroom.plugins.trainers.loop import fit
        from stillroom.plugins.trainers.preflight import check_first_step
        from stillroom.plugins.trainers.vocab import prune_vocabulary

        options = parse_options(student_spec, seed=ctx.seed, device=ctx.device, allowed=self.option_keys)
        device = pick_device(options.device)
        self.check_inputs(data, teacher_outputs, options)
        import torch

        torch.manual_seed(options.seed)  # a fresh head, or a student built from a config, is the seed's own
        student = build_student(
            {**student_spec, "max_length": options.max_length},
            teacher=ctx.teacher,
            task=self.task,
            # unlabelled data learns the teacher's classes (a causal LM's label set, a classifier's head)
            label_names=data.label_names or getattr(ctx.teacher, "labels", None),
            embedding_dim=self.embedding_dim(teacher_outputs, options),
            device=device,
            calibration=self.calibration(data, options),
        )
        if options.prune_vocab:
            prune_vocabulary(student, list(data.train.texts) + list(data.validation.texts))
        examples = self.examples(student, data, teacher_outputs, options)
        loss_fn = self.loss_fn(options, student, ctx)
        check_first_step(student.net, loss_fn(student.net, examples.batch(list(range(min(8, len(examples)))), device)))
        state_dir = self._state_dir(options, student_spec, data, ctx)
        result = fit(
            student.net,
            examples,
            loss_fn,
            options=options,
            ctx=ctx,
            device=device,
            score_fn=lambda: self.score(student, data, teacher_outputs, options),
            state_dir=state_dir,
            label=self.name if options.method == "kd" else f"{self.name} ({options.method})",
        )
        student.history = result.history
        student.kept = result.kept
        # exporters re-check their output on these when the caller passes no evaluation texts
        student.reference_texts = list((data.validation.texts or data.train.texts)[:256])
        return student

    def load_student(self, directory: Path, student_spec: Mapping[str, Any]) -> Student:
        """The student ``HFStudent.save`` wrote, on the device its spec trained it on."""
        from stillroom.plugins.devices import pick_device
        from stillroom.plugins.trainers.student import load_student

        options = parse_options(student_spec, seed=self.ctx.seed, device=self.ctx.device, allowed=self.option_keys)
        return load_student(directory, device=pick_device(options.device))

    def check_inputs(
        self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> None:
        if len(data.train) == 0:
            raise ConfigError("the training split is empty: there is nothing to distill on")

    def calibration(self, data: Dataset, options: TrainOptions) -> list[str]:
        """The texts width pruning measures activations on: the training texts the student will read."""
        return list(data.train.texts)

    def examples(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> Examples:
        """The training split as the loop reads it: each text's token ids and the targets the loss reads."""
        from stillroom.plugins.trainers.loop import Examples

        return Examples(self.input_ids(student, data, teacher_outputs, options),
                        self.targets(data, teacher_outputs, options), student.tokenizer.pad_token_id or 0)

    def input_ids(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> list[list[int]]:
        """Token ids of each training text, as the student reads them."""
        return student.tokenizer(list(data.train.texts), truncation=True, max_length=options.max_length)["input_ids"]

    def embedding_dim(
        self, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> int | None:
        """The teacher's embedding width an embedding student must reach (through a projection); None: no target."""
        return None

    @abstractmethod
    def targets(
        self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> dict[str, torch.Tensor]:
        """Per-example tensors the loss reads, aligned with ``data.train``."""

    @abstractmethod
    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx: Context):
        """``loss(net, batch) -> scalar tensor``; ``batch`` has input_ids, attention_mask and the targets."""

    @abstractmethod
    def score(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> Score | None:
        """The validation score the best epoch is chosen by, higher is better; None when there is nothing
        to validate on.

        It measures what ``options.method`` trains for: a method that does not learn from the teacher
        must not be judged by agreement with it, or the teacher leaks into the baseline through the
        choice of epoch.
        """

    def _state_dir(self, options: TrainOptions, spec: Mapping[str, Any], data: Dataset, ctx: Context):
        base = options.checkpoint_path or (ctx.scratch / "checkpoints" if ctx.scratch else None)
        if base is None:
            return None
        # the same trainer, spec, teacher and data resume each other; anything else starts fresh
        teacher = ctx.teacher.fingerprint() if ctx.teacher is not None else None
        key = sha256_bytes(
            canonical_json(
                {
                    "trainer": self.name,
                    "spec": {k: v for k, v in spec.items() if k not in ("resume", "checkpoint_dir")},
                    "seed": options.seed,  # the run's seed where the spec names none: another seed is another run
                    "teacher": teacher,
                    "texts": list(data.train.texts),
                    "labels": data.train.labels,
                    # the kept epoch is chosen on these: another validation split must not resume a finished run
                    "validation": {"texts": list(data.validation.texts), "labels": data.validation.labels},
                    # the teacher's answers (curate.answer) are trained and chosen on; a key without them is the
                    # one runs without answers always had
                    **{f"{name}_answers": list(split.answers) for name, split in
                       (("train", data.train), ("validation", data.validation)) if split.answers is not None},
                    # answers a trainer has the teacher write are scrubbed so (Context.scrub): a student that
                    # learned them scrubbed otherwise, or not at all, must not resume
                    **({"scrub": ctx.scrub.identity()} if ctx.scrub is not None else {}),
                }
            )
        )
        directory = base / f"{self.name}-{key[:16]}"
        directory.mkdir(parents=True, exist_ok=True)
        return directory
