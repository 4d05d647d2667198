"""Logit distillation for classifiers: KL at temperature T, plus cross-entropy on labels.

``loss = alpha · T² · KL(teacher_T ‖ student_T) + (1 − alpha) · CE(student, label)``;
without labels, the KL term alone. ``hidden_weight`` > 0 adds hidden-state
matching: each student block's output, through a learned projection, is
pulled towards the teacher block it came from, with the teacher run live
because hidden states are too large to cache. The projection starts as the
identity when student and teacher are as wide (a block copied from the teacher
then starts with no error), and each layer's squared error is divided by the
spread of that teacher layer's states (:func:`losses.normalised_hidden_mse`),
so every layer weighs the same in the mean whatever its activations' scale. ``relation_weight`` > 0 adds
MiniLMv2's self-attention relation distillation (:func:`losses.relation_kd`): the student's last block's
query-query, key-key and value-value relations are pulled towards the teacher's last block's, also with the
teacher run live. ``mixup_weight`` > 0 adds MixKD (Liang et al., 2021; :func:`_mixed_kd`): each batch is
paired with itself shuffled, the two rows' input embeddings are mixed with a share drawn from Beta(0.4, 0.4),
and the student's logits on the mix are pulled towards the teacher's on its own embeddings mixed the same way:
new inputs between the training texts, labelled by the teacher, at the cost of a live teacher pass.
``method: labels`` trains the same student
on labels alone: the baseline a report sets beside every KD result, so a
reviewer sees what distillation added.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from stillroom import hookimpl
from stillroom.components import Dataset
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.base import StudentTrainer
from stillroom.plugins.trainers.options import TrainOptions
from stillroom.plugins.trainers.preflight import PreflightFailed, check_teacher_outputs

if TYPE_CHECKING:
    from stillroom.plugins.trainers.loop import Score
    from stillroom.plugins.trainers.student import HFStudent


@hookimpl
def register_trainers(register):
    register(LogitKDTrainer)


class LogitKDTrainer(StudentTrainer):
    name = "logit-kd"
    description = "Classifier distillation: KL at temperature T plus cross-entropy with weight 1 - alpha."
    tasks = ("classification",)
    task = "classification"
    option_keys = {"temperature", "alpha", "method", "hidden_weight", "relation_weight", "mixup_weight", "search"}
    supports_baseline = True
    chooses_layers = True

    def train(self, student_spec, data, teacher_outputs, ctx):
        """With ``student.search``, temperature and alpha are chosen on validation (:mod:`.search`); with
        ``student.layers: {keep: N, by: importance}``, which teacher layers to keep (:mod:`.importance`)."""
        from stillroom.plugins.trainers.importance import choose_layers

        student_spec, importance = choose_layers(student_spec, ctx.teacher, data)
        student = self._train_or_search(student_spec, data, teacher_outputs, ctx)
        if importance is not None:
            student.layer_importance = importance
        return student

    def _train_or_search(self, student_spec, data, teacher_outputs, ctx):
        if "search" not in student_spec:
            return super().train(student_spec, data, teacher_outputs, ctx)
        from stillroom.plugins.trainers.search import SEARCHED, best_on_validation, candidates

        base = {k: v for k, v in student_spec.items() if k != "search"}
        if base.get("method", "kd") != "kd":
            raise ConfigError(f"student.search tunes KD's temperature and alpha, and method: {base['method']} uses "
                              "neither; remove student.search")
        fixed = sorted(set(SEARCHED) & set(base))
        if fixed:
            raise ConfigError(f"student.{fixed[0]} is both fixed and searched; remove it or student.search")
        if len(data.validation) == 0:
            raise ConfigError("student.search chooses on the validation split, and this run has none; give it one "
                              "(data.split.validation) or remove student.search")
        trials = candidates(student_spec["search"], seed=int(base.get("seed", ctx.seed)))
        return best_on_validation(lambda params: super(LogitKDTrainer, self).train({**base, **params}, data,
                                                                                    teacher_outputs, ctx), trials)

    def check_inputs(
        self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> None:
        super().check_inputs(data, teacher_outputs, options)
        if options.method == "sequence":
            raise ConfigError("method: sequence is for causal-LM students (token-kd); use kd or labels here")
        if options.method == "labels":
            if data.train.labels is None:
                raise ConfigError("the labels baseline needs labelled training data, and this training split has none")
            return
        logits = teacher_outputs.get("train", {}).get("logits")
        if logits is None or len(logits) != len(data.train):
            raise ConfigError(
                "logit-kd needs the teacher's logits for every training text (teacher_outputs['train']['logits'])"
            )
        if data.label_names and logits.shape[1] != len(data.label_names):
            raise PreflightFailed(
                f"the teacher predicts {logits.shape[1]} classes but the data has {len(data.label_names)} labels"
            )
        check_teacher_outputs(logits, "logits")

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        if options.method == "labels":
            return {"labels": torch.as_tensor(data.train.labels, dtype=torch.long)}
        targets = {"teacher_logits": torch.as_tensor(np.asarray(teacher_outputs["train"]["logits"], dtype=np.float32))}
        if data.train.labels is not None:
            targets["labels"] = torch.as_tensor(data.train.labels, dtype=torch.long)
        return targets

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        from torch.nn import functional as F

        from stillroom.plugins.trainers.losses import logit_kd

        if options.method == "labels":
            options = replace(options, alpha=0.0)  # the rest of the teacher's signal is refused (TEACHER_SIGNAL)
        live = options.hidden_weight or options.relation_weight
        match = _teacher_matcher(student, ctx, options) if live else None
        mixed = _mixed_kd(student, ctx, options) if options.mixup_weight else None

        def loss(net, batch):
            if match is None:
                logits, matched = net(batch["input_ids"], batch["attention_mask"]), 0.0
            else:
                logits, matched = match(net, batch)
            if mixed is not None:
                matched = matched + mixed(net, batch)
            if "labels" not in batch:
                return logit_kd(logits, batch["teacher_logits"], options.temperature) + matched
            distill = logit_kd(logits, batch["teacher_logits"], options.temperature) if options.alpha else 0.0
            ce = F.cross_entropy(logits.float(), batch["labels"])
            return options.alpha * distill + (1 - options.alpha) * ce + matched

        return loss

    def score(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> Score | None:
        """Validation accuracy on labels; without them, top-1 agreement with the teacher, except for the
        labels baseline, which never reads the teacher."""
        from stillroom.plugins.trainers.loop import Score

        if len(data.validation) == 0:
            return None
        teacher = teacher_outputs.get("validation", {}).get("logits") if options.method != "labels" else None
        if data.validation.labels is not None:
            metric, reference = "accuracy", np.asarray(data.validation.labels)
        elif teacher is not None:
            metric, reference = "teacher_agreement", np.asarray(teacher).argmax(axis=1)
        else:
            return None
        predicted = student.predict(list(data.validation.texts))["logits"].argmax(axis=1)
        return Score(metric, float((predicted == reference).mean()))


def _teacher_matcher(student: HFStudent, ctx, options: TrainOptions):
    """``(net, batch) -> (logits, loss)``: the student's logits, and the weighted losses of matching the
    teacher run live on the batch (its hidden states, its last block's self-relations)."""
    import torch

    from stillroom.plugins.trainers.build import require_local
    from stillroom.plugins.trainers.losses import normalised_hidden_mse, relation_kd
    from stillroom.plugins.trainers.preflight import check_vocabularies

    named = [key for key in ("hidden_weight", "relation_weight") if getattr(options, key)]
    teacher = require_local(ctx.teacher, f"student.{named[0]}" + "".join(f" (like student.{key})" for key in named[1:]),
                            "its model run on every training batch",
                            f"set {' and '.join(f'{key}: 0' for key in named)} to distill from the cached logits alone")
    check_vocabularies(ctx.teacher.tokenizer, student.tokenizer)
    layers = _hidden_layers(student, teacher) if options.hidden_weight else []
    theirs, heads = _relation_projections(student, teacher) if options.relation_weight else ([], 0)

    def match(net, batch):
        ids, mask = batch["input_ids"], batch["attention_mask"]
        # the student's projections are found through ``net``: under FSDP it is a sharded copy (see loop.py)
        mine = _last_block_qkv(net.backbone, "student") if heads else []
        with _outputs_of(mine) as queries_keys_values:
            output = net.backbone(input_ids=ids, attention_mask=mask, output_hidden_states=bool(layers))
        with torch.no_grad(), _outputs_of(theirs) as targets:
            target = teacher(
                input_ids=ids.to(ctx.teacher.device),
                attention_mask=mask.to(ctx.teacher.device),
                output_hidden_states=bool(layers),
            ).hidden_states
        loss = output.logits.new_zeros(())
        if layers:
            loss = loss + options.hidden_weight * torch.stack([
                normalised_hidden_mse(net.hidden_projection(states), target[index + 1].to(states.device), mask)
                for states, index in zip(output.hidden_states[1:], layers, strict=True)
            ]).mean()
        if heads:
            loss = loss + options.relation_weight * relation_kd(queries_keys_values, targets, heads, mask)
        return output.logits, loss

    return match


MIXUP_BETA = 0.4  # the share of the first row in a mix is drawn from Beta(0.4, 0.4): mostly near 0 or 1


def _mixed_kd(student: HFStudent, ctx, options: TrainOptions):
    """``(net, batch) -> loss``: MixKD's term, ``mixup_weight`` times the temperature-scaled KL from the teacher's
    to the student's logits on the batch's rows mixed with the same rows shuffled, in embedding space.

    Each model mixes its own input embeddings (the student's have moved from the teacher's as it trained), with
    one share and one pairing per batch, drawn from torch's generator, which the run seeds and each checkpoint
    keeps (a resumed run draws what an uninterrupted one would); the mix attends wherever either row has a token.
    The teacher runs without gradients."""
    import torch

    from stillroom.plugins.trainers.build import require_local
    from stillroom.plugins.trainers.losses import logit_kd
    from stillroom.plugins.trainers.preflight import check_vocabularies

    teacher = require_local(ctx.teacher, "student.mixup_weight", "its model run on every training batch's mixes",
                            "set mixup_weight: 0 to distill from the cached logits alone")
    check_vocabularies(ctx.teacher.tokenizer, student.tokenizer)
    beta = torch.distributions.Beta(torch.tensor(MIXUP_BETA), torch.tensor(MIXUP_BETA))

    def mix(model, ids, pairs, share):
        embedded = model.get_input_embeddings()(ids)
        return share * embedded + (1 - share) * embedded[pairs.to(embedded.device)]

    checked = False

    def loss(net, batch):
        nonlocal checked
        ids, mask = batch["input_ids"], batch["attention_mask"]
        if not checked:  # once: a model that reads embeddings otherwise than ids would learn from wrong targets
            models = (("student", net.backbone, ids.device), ("teacher", teacher, ctx.teacher.device))
            for name, model, device in models:
                if not reads_embeddings(model, ids.to(device), mask.to(device)):
                    raise ConfigError(f"student.mixup_weight mixes input embeddings, and the {name} does not read its "
                                      "embeddings as it reads their token ids (a decoder that finds each row's last "
                                      "token by its padding, or no sentence classifier); set mixup_weight: 0")
            checked = True
        share, pairs = float(beta.sample()), torch.randperm(len(ids))
        either = torch.maximum(mask, mask[pairs.to(mask.device)])
        logits = net.backbone(inputs_embeds=mix(net.backbone, ids, pairs, share), attention_mask=either).logits
        with torch.no_grad():
            device = ctx.teacher.device
            target = teacher(inputs_embeds=mix(teacher, ids.to(device), pairs, share),
                             attention_mask=either.to(device)).logits
        return options.mixup_weight * logit_kd(logits, target.to(logits.device), options.temperature)

    return loss


def reads_embeddings(model, ids, mask) -> bool:
    """Whether ``model`` (in eval mode, for this check) gives one logit row per text, the same from the token ids as
    from their embeddings: an encoder classifier does; a decoder classifier that finds each row's last token by
    its padding, or a language model's logit per position, does not."""
    import torch

    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            by_ids = model(input_ids=ids, attention_mask=mask).logits
            by_embeddings = model(inputs_embeds=model.get_input_embeddings()(ids), attention_mask=mask).logits
    finally:
        model.train(training)
    return by_ids.dim() == 2 and by_ids.shape == by_embeddings.shape and torch.allclose(by_ids, by_embeddings,
                                                                                          atol=1e-4, rtol=1e-4)


def _hidden_layers(student: HFStudent, teacher) -> list[int]:
    """The teacher block each student block is matched to; registers the projection on the student's net."""
    depth = teacher.config.num_hidden_layers
    layers = student.teacher_layers or [
        int(round(x)) for x in np.linspace(0, depth - 1, student.net.backbone.config.num_hidden_layers)
    ]
    student.net.hidden_projection = hidden_projection(
        student.net.backbone.config.hidden_size, teacher.config.hidden_size
    ).to(student.device)
    return layers


# a block's separate query, key and value projections, by the names transformers' models give them
QKV_NAMES = (("query", "key", "value"), ("q_proj", "k_proj", "v_proj"), ("q_lin", "k_lin", "v_lin"))


def _relation_projections(student: HFStudent, teacher) -> tuple[list, int]:
    """The query, key and value projections of the teacher's last block (MiniLM distils the last), and the
    relation heads: the student's attention heads, which must divide the widths of both sides' projections."""
    mine, theirs = _last_block_qkv(student.net.backbone, "student"), _last_block_qkv(teacher, "teacher")
    heads = student.net.backbone.config.num_attention_heads
    widths = {module.out_features for module in mine + theirs}
    if any(width % heads for width in widths):
        raise ConfigError(f"student.relation_weight splits queries, keys and values into the student's {heads} "
                          f"attention heads, which do not divide their widths {sorted(widths)}: give the student "
                          "a head count that does, or set relation_weight: 0")
    return theirs, heads


def _last_block_qkv(model, which: str) -> list:
    """The last block's query, key and value projections, by the names transformers' models give them; refused
    where a name is ambiguous (a block with cross-attention has two ``query``) or missing."""
    from stillroom.plugins.trainers.build import layer_stack

    stack, attr = layer_stack(model)
    found: dict[str, list] = {}
    for name, module in getattr(stack, attr)[-1].named_modules():
        found.setdefault(name.rsplit(".", 1)[-1], []).append(module)
    for names in QKV_NAMES:
        if all(len(found.get(name, [])) == 1 for name in names):
            return [found[name][0] for name in names]
    raise ConfigError(f"student.relation_weight distils a block's self-attention queries, keys and values, and the "
                      f"{which} ({type(model).__name__}) has no single query, key and value projection in its last "
                      "block: set relation_weight: 0")


@contextmanager
def _outputs_of(modules):
    """The outputs of ``modules`` in a forward pass run inside the block, in the order ``modules`` are given."""
    outputs: dict[int, Any] = {}
    handles = [
        module.register_forward_hook(lambda _module, _inputs, out, i=i: outputs.__setitem__(i, out))
        for i, module in enumerate(modules)
    ]
    captured: list = []
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()
    if len(outputs) != len(modules):
        raise RuntimeError(f"{len(modules) - len(outputs)} of the {len(modules)} hooked projections did not run in "
                           "the forward pass: the hooked modules are not the ones the model ran")
    captured.extend(outputs[i] for i in range(len(modules)))


def hidden_projection(student_width: int, teacher_width: int):
    """The linear map from student to teacher hidden states: the identity when the widths match, else learned."""
    import torch
    from torch import nn

    projection = nn.Linear(student_width, teacher_width)
    if student_width == teacher_width:
        with torch.no_grad():
            projection.weight.copy_(torch.eye(teacher_width))
            projection.bias.zero_()
    return projection
