"""Distillation for causal LMs: token-level on the teacher's top-k log-probs, or sequence-level.

``method: kd`` (token level): ``divergence`` ``forward`` KL, ``reverse`` KL or
``jsd`` (generalised, with ``beta``), on the cached top-k log-probs, or with
``live: true`` on the teacher run over each batch, over its full vocabulary;
with ``curate.answer`` the sequences are each prompt followed by its curated
answer (the label stage scored the prompts alone, so their top-k is taken here). The student reads exactly
the token ids the teacher read, so positions line up; preflight refuses a
student whose vocabulary differs from the teacher's, because then the same id
means different tokens and the loss is silently meaningless.
``on_policy: λ`` (GKD, Agarwal et al. 2024): the training texts are prompts;
on a share λ of the batches the student samples its own continuation of each
prompt and the teacher scores it, on the rest it learns on the teacher's
greedy continuation (generated once, scrubbed and cached, or ``curate.answer``'s); the
loss (``divergence``, usually ``jsd``) is taken on the continuation's tokens
(and with ``prompt_loss`` the prompt's). A local teacher (``live: true``) scores over its full vocabulary. An
endpoint teacher (``openai``, ``live`` off) scores through ``score_ids``, its
prompt log-probs of the student's token ids as sent, and the loss is the sparse
top-k one with both tails (:func:`.losses.token_kd`); each teacher
continuation is scored once per run, each sample as it is drawn. The endpoint's
tokenization of the training texts (the label stage's) must be the student's,
or preflight refuses the run: the samples reach it as the student's ids.
``ce_weight: w`` adds w × the cross-entropy of the sequence's own next tokens
(the teacher's answer, or the text it read) where the divergence is taken, the
classic mix of soft and hard targets; never on the student's own samples, which
are no target.
On prompt + answer sequences (``curate.answer``'s, or the teacher's continuations here) every method's
loss reads the answer's positions alone, as SFT and GKD do: the prompt is given, not a target, and a
prompt the student learns to predict costs capacity the answer needs. ``prompt_loss: true`` has it read
the prompt's positions too. Where each answer starts is the length of the prompt's tokens, as the
tokenizer splits the prompt alone, that are a prefix of the whole sequence's.
``warm_start: N`` trains ``N`` epochs of ``method: sequence`` first, and the method's own ``epochs`` start
from the student they keep, as GKD and MiniLLM start on-policy and reverse-KL training from a student
fine-tuned on the teacher's answers: a mode-seeking loss from an untrained (pruned) student locks onto
whatever that student already prefers. Layers and width are chosen once, for the warm start.
``method: sequence`` (Kim & Rush 2016): the student learns, by cross-entropy,
the teacher's continuations of the training texts: the answers ``curate.answer``
made (scrubbed, filtered, ``Split.answers``) when the spec has it, else greedy
ones generated here once, scrubbed as the run scrubs (``Context.scrub``: a model
can write PII it learned) and cached. ``method: labels``: the same cross-entropy on the texts alone, the
no-teacher baseline.

The epoch kept is the one that does best at what the method trains for: for
``kd``, top-1 agreement with the teacher on the validation texts, or where the
loss reads answers, on the teacher's answers to them as the loss reads them;
for ``sequence``, the likelihood of those answers after their prompts, and for
``labels``, that of the validation texts themselves (``inverse_perplexity``),
so the baseline's choice of epoch never looks at the teacher. The validation
answers are ``curate.answer``'s, or else the teacher's greedy ones, generated
here once, scrubbed and cached.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from stillroom import hookimpl
from stillroom.components import Dataset, Split
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.base import StudentTrainer
from stillroom.plugins.trainers.options import TrainOptions
from stillroom.plugins.trainers.preflight import check_teacher_outputs, check_token_ids, check_vocabularies

if TYPE_CHECKING:
    from stillroom.plugins.trainers.loop import Score
    from stillroom.plugins.trainers.student import HFStudent

CACHED = ("input_ids", "attention_mask", "topk_ids", "topk_logprobs")


@hookimpl
def register_trainers(register):
    register(TokenKDTrainer)


class TokenKDTrainer(StudentTrainer):
    name = "token-kd"
    description = "Causal-LM distillation on cached top-k log-probs: forward KL, reverse KL or generalised JSD."
    tasks = ("causal-lm",)
    task = "causal-lm"
    option_keys = {"divergence", "beta", "method", "live", "max_new_tokens", "on_policy", "ce_weight", "prompt_loss",
                   "warm_start"}
    supports_baseline = True
    chooses_layers = True

    def train(self, student_spec, data, teacher_outputs, ctx):
        """With ``student.layers: {keep: N, by: importance}``, the teacher blocks kept are those whose removal
        costs the validation texts' likelihood most (:mod:`.importance`)."""
        from stillroom.plugins.trainers.importance import choose_layers

        # the job's context from here on: its teacher and how it scrubs what the teacher writes (a worker built
        # this trainer with neither)
        self.ctx = ctx
        if student_spec.get("warm_start"):
            return self._warm_started(student_spec, data, teacher_outputs, ctx)
        self._refuse(student_spec, data, ctx)
        data = self._answer_validation(student_spec, data, ctx)
        data, teacher_outputs = self._with_answers(student_spec, data, teacher_outputs, ctx)
        student_spec, importance = choose_layers(student_spec, ctx.teacher, data)
        student = super().train(student_spec, data, teacher_outputs, ctx)
        if importance is not None:
            student.layer_importance = importance
        return student

    @staticmethod
    def _refuse(student_spec, data: Dataset, ctx) -> None:
        """The spec's options these data and this teacher cannot serve."""
        if data.train.answers is not None and "max_new_tokens" in student_spec and \
                student_spec.get("method") == "sequence":
            raise ConfigError("student.max_new_tokens sets how long the answers generated at train time are, and "
                              "this pipeline's answers come from curate.answer: set curate.answer.max_new_tokens")
        if student_spec.get("prompt_loss") and student_spec.get("method", "kd") == "kd" and \
                not student_spec.get("on_policy"):
            if data.train.answers is None:
                raise ConfigError("student.prompt_loss has the loss read each prompt as well as its answer, and "
                                  "these training texts have no answers (no curate.answer), so it already reads "
                                  "every token: drop prompt_loss")
            if getattr(ctx.teacher, "api", None) == "chat" and not student_spec.get("live"):
                raise ConfigError("student.prompt_loss needs the teacher's log-probs of each prompt, and a chat-API "
                                  "teacher gives them for its answer alone: drop prompt_loss")

    def _warm_started(self, student_spec, data: Dataset, teacher_outputs, ctx) -> HFStudent:
        """``warm_start`` epochs of sequence-level KD, then the spec's own training from the student they kept.

        The warm start takes the spec's student (layers, width, init) and shared options, with the token-KD
        ones dropped; the second part builds from its saved student and carries how its layers and width were
        chosen, and which teacher blocks they are. The kept student is saved where checkpoints go
        (``checkpoint_dir``, else the run's scratch) under a key of the warm start's spec, seed, teacher and
        texts, so a stopped run resumes both parts: the second part's resume key holds that folder. In a process
        group rank 0 writes it and the others wait. With neither (a worker without ``checkpoint_dir``) it goes
        to a temporary folder, and only the warm start resumes. The second part's own refusals come before the
        warm start trains."""
        import contextlib
        import tempfile
        from pathlib import Path

        from stillroom.artifacts import canonical_json, sha256_bytes
        from stillroom.labels import scrubbed_by
        from stillroom.plugins.trainers.checkpoints import save_shared
        from stillroom.plugins.trainers.options import BUILD_KEYS, parse_options

        then = {k: v for k, v in student_spec.items() if k not in BUILD_KEYS and k != "warm_start"}
        self._refuse(then, data, ctx)  # the second part's refusals first
        options = parse_options(student_spec, seed=ctx.seed, device=ctx.device, allowed=self.option_keys)
        self._check_method(options)
        own = {"warm_start", "divergence", "beta", "live", "on_policy", "ce_weight"}
        if data.train.answers is not None:  # curate.answer's answers are sequence KD's: it generates none
            own.add("max_new_tokens")
        first = {k: v for k, v in student_spec.items() if k not in own} | {"method": "sequence",
                                                                          "epochs": student_spec["warm_start"]}
        warm = self.train(first, data, teacher_outputs, ctx)
        ctx.record("train.warm_start", {"method": "sequence", "epochs": first["epochs"], "kept": warm.kept})
        keep = options.checkpoint_path or ctx.scratch
        with contextlib.ExitStack() as stack:
            if keep is not None:
                teacher = ctx.teacher.fingerprint() if ctx.teacher is not None else None
                # what the warm student is trained and chosen on: the same key is the same training
                key = sha256_bytes(canonical_json({"spec": {k: v for k, v in first.items() if k != "resume"},
                                                   "seed": ctx.seed, "teacher": teacher,
                                                   "texts": list(data.train.texts), "scrub": scrubbed_by(ctx.scrub),
                                                   "answers": _listed(data.train.answers),
                                                   "validation": [list(data.validation.texts),
                                                                  _listed(data.validation.answers)]}))
                directory = keep / "warm-start" / key[:16]
                save_shared(warm, directory)
            else:
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stillroom-warm-start-")))
                warm.save(directory)
            student = self.train({**then, "init": "checkpoint", "checkpoint": str(directory)}, data, teacher_outputs,
                                 ctx)
        student.layer_importance, student.width_pruning = warm.layer_importance, warm.width_pruning
        student.teacher_layers = warm.teacher_layers
        return student

    @staticmethod
    def _answer_validation(student_spec, data: Dataset, ctx) -> Dataset:
        """A method that learns the teacher's answers is judged on them. ``curate.answer`` answers the validation
        prompts itself; otherwise (sequence and on-policy KD without it, or a dataset made before validation
        answers were) they are answered here with the teacher's greedy answers, once, cached."""
        from dataclasses import replace

        method = student_spec.get("method", "kd")
        learns_answers = method == "sequence" or student_spec.get("on_policy") or \
            (method == "kd" and data.train.answers is not None and getattr(ctx.teacher, "api", None) != "chat")
        if not learns_answers or data.validation.answers is not None or not len(data.validation):
            return data
        answers = generations(ctx.teacher, list(data.validation.texts),
                              student_spec.get("max_new_tokens", TrainOptions.max_new_tokens), ctx.artifacts, ctx.scrub,
                              ctx.record)
        return replace(data, validation=replace(data.validation, answers=answers))

    @staticmethod
    def _with_answers(student_spec, data: Dataset, teacher_outputs, ctx):
        """Token KD learns, and is judged on, the teacher's distributions along sequences; with ``curate.answer``
        those are each prompt followed by the teacher's answer. The label stage scored the prompts alone, so
        the top-k along the validation prompts and their answers, and for off-policy KD the training ones
        (the training split becoming those sequences), comes from the teacher here, cached like the label
        stage's; a training worker without the artifact store asks the teacher uncached. Each row's
        ``prompt_length`` (its prompt's share of the teacher's tokens, :func:`prompt_lengths`) goes with
        them. (Live and on-policy KD read the training answers themselves, as sequence KD does; a chat-API
        teacher's rows are already the templated prompt and its answer, and a prompt + answer sent to it
        would read as a new question, so they stay.)"""
        from dataclasses import replace

        if student_spec.get("method", "kd") != "kd" or getattr(ctx.teacher, "api", None) == "chat":
            return data, teacher_outputs

        def ask(texts: list[str], name: str | None = None):
            if ctx.artifacts is None:
                return ctx.teacher.predict(texts)
            from stillroom.labels import label_outputs

            labels = label_outputs(ctx.teacher, texts, ctx.artifacts)
            if name is not None:  # what the student learns along, in the ledger as the label stage's outputs are
                ctx.record("train.teacher_outputs", {"split": name, "along": "prompt and answer", "rows": len(texts),
                                                     "digest": labels.digest, "cached": labels.cached})
            return labels.outputs

        def along(name: str):
            split = getattr(data, name)
            texts = answered_texts(split)
            outputs = ask(texts, name)
            # the label stage's rows are the prompts alone, as the teacher split them
            prompts = teacher_outputs.get(name) or ask(list(split.texts))
            starts = prompt_lengths(cached_rows(prompts), cached_rows(outputs))
            return texts, {**outputs, "prompt_length": np.asarray(starts)}

        outputs = dict(teacher_outputs)
        if data.validation.answers is not None and len(data.validation):
            outputs["validation"] = along("validation")[1]
        if data.train.answers is not None and not student_spec.get("on_policy") and not student_spec.get("live"):
            texts, outputs["train"] = along("train")
            data = replace(data, train=replace(data.train, texts=texts, answers=None))
        return data, outputs

    def check_student(self, student_spec, teacher) -> None:
        """Token-level KD compares distributions over token ids, so a student with its own tokenizer
        (``init: checkpoint``, or ``tokenizer:``) must share the teacher's vocabulary; sequence-level KD
        learns from the teacher's text and takes any tokenizer."""
        from transformers import AutoTokenizer

        from stillroom.plugins.trainers.preflight import check_vocabularies

        super().check_student(student_spec, teacher)
        own = student_spec.get("tokenizer") or (student_spec.get("checkpoint")
                                                if student_spec.get("init") == "checkpoint" else None)
        mine = getattr(teacher, "tokenizer", None)
        if student_spec.get("method", "kd") != "kd" or own is None or mine is None:
            return
        check_vocabularies(mine, AutoTokenizer.from_pretrained(own),
                           "; token-level KD (method: kd) cannot cross tokenizers: use method: sequence, which "
                           "learns from the teacher's text, or a student with the teacher's tokenizer")

    def check_inputs(self, data: Dataset, teacher_outputs, options: TrainOptions) -> None:
        super().check_inputs(data, teacher_outputs, options)
        self._check_method(options)
        if options.method != "kd" or options.live:
            return
        cached = teacher_outputs.get("train", {})
        missing = [k for k in CACHED if k not in cached]
        if missing:
            raise ConfigError(
                f"token-kd needs the teacher's top-k log-probs; teacher_outputs['train'] lacks {', '.join(missing)}"
            )
        check_teacher_outputs(cached["topk_logprobs"][scored(cached)], "top-k log-probs")

    def _check_method(self, options: TrainOptions) -> None:
        """What the method needs of the teacher, whatever the data: refused before anything trains."""
        if options.method == "sequence" and self.ctx.teacher is None:
            raise ConfigError("method: sequence needs a teacher that generates text")
        if options.method == "kd" and options.live:
            from stillroom.plugins.trainers.build import require_local

            require_local(self.ctx.teacher, "student.live", "its model run on every training batch",
                          "drop live to distill from the teacher's cached top-k log-probs (or, with on_policy, "
                          "from its scores of the student's samples through score_ids)")
        scores_ids = self.ctx.teacher is not None and self.ctx.teacher.can_score_ids
        if options.on_policy and (options.method != "kd" or not (options.live or scores_ids)):
            raise ConfigError("student.on_policy has the teacher score the student's own samples as it trains: "
                              "it needs method: kd and live: true with a local teacher, or a teacher that scores "
                              "token ids through its endpoint (openai)")

    def input_ids(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> list[list[int]]:
        teacher = getattr(self.ctx.teacher, "tokenizer", None) if self.ctx.teacher is not None else None
        if teacher is not None and options.method == "kd":
            check_vocabularies(teacher, student.tokenizer)
        if options.on_policy and not options.live:
            # the endpoint will read the student's ids as they are: its own split of the prompts must be the same
            check_token_ids(cached_rows(teacher_outputs["train"]), student.tokenizer(list(data.train.texts))["input_ids"],
                            "; on-policy KD sends the student's token ids to the teacher endpoint: use a student "
                            "with the served model's tokenizer")
        if options.method != "kd" or options.live or options.on_policy:
            texts = list(data.train.texts)
            if self.answered(data, options):
                # the answers curate.answer made, scrubbed and filtered, or else the teacher's greedy ones here
                generated = data.train.answers if data.train.answers is not None else \
                    generations(self.ctx.teacher, texts, options.max_new_tokens, self.ctx.artifacts, self.ctx.scrub,
                                self.ctx.record)
                texts = [continued(text, answer) for text, answer in zip(texts, generated, strict=True)]
            return student.tokenizer(texts, truncation=True, max_length=options.max_length)["input_ids"]
        # the teacher's rows, cut to the student's max_length like every text the student tokenizes itself (the
        # loss reads the targets up to each batch's width); a row left with none of its targets is refused
        cached = teacher_outputs["train"]
        _refuse_rows_cut_bare(cached, options.max_length)
        return [row[:options.max_length] for row in cached_rows(cached)]

    @staticmethod
    def answered(data: Dataset, options: TrainOptions) -> bool:
        """Whether the student reads each training text continued by an answer it tokenizes itself: sequence
        KD's and on-policy KD's always, live KD's when ``curate.answer`` made them (cached KD reads the
        teacher's rows: prompt + answer as ``_with_answers`` made them, or a chat-API teacher's own)."""
        return options.method == "sequence" or bool(options.on_policy) or \
            (options.method == "kd" and options.live and data.train.answers is not None)

    def calibration(self, data: Dataset, options: TrainOptions) -> list[str]:
        """Each training prompt followed by its curated answer, where the student reads them so (answers generated
        at train time do not exist yet: the prompts alone then)."""
        if not self.answered(data, options) or data.train.answers is None:
            return super().calibration(data, options)
        return answered_texts(data.train)

    def examples(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions):
        """With answers the student tokenizes itself, each row's ``prompt_length`` too: where its answer starts,
        which the loss reads from and an on-policy sample continues from."""
        import torch

        examples = super().examples(student, data, teacher_outputs, options)
        if self.answered(data, options):
            examples.targets["prompt_length"] = torch.as_tensor(
                answer_starts(student.tokenizer, list(data.train.texts), examples.input_ids, options.max_length))
        return examples

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        if options.method != "kd" or options.live or options.on_policy:
            return {}  # the sequences are the student's own tokenization (``examples`` adds where answers start)
        cached = teacher_outputs["train"]
        answers = {"prompt_length": torch.as_tensor(cached["prompt_length"])} if "prompt_length" in cached else {}
        return {
            "topk_ids": torch.as_tensor(cached["topk_ids"]),
            "topk_logprobs": torch.as_tensor(np.nan_to_num(cached["topk_logprobs"], neginf=-1e4)),
            "target_mask": torch.as_tensor(scored(cached)).long(),
            **answers,
        }

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        import torch

        from stillroom.plugins.trainers.losses import (
            full_token_kd,
            masked_next_token_cross_entropy,
            token_kd,
        )

        def read(mask, batch, sampled=False):
            """The positions the loss reads: from where each answer starts (``prompt_length``) to its last token,
            whose top-k is the teacher's word on where the answer ends (:func:`answer_positions`), unless
            ``prompt_loss`` or the rows have no answer. On the student's own samples, up to the token before
            the last (:func:`continuation_positions`: after a sample's end token comes nothing to learn)."""
            if options.prompt_loss or "prompt_length" not in batch:
                return mask
            if sampled:
                return continuation_positions(mask, batch["prompt_length"])
            return answer_positions(mask, batch["prompt_length"])

        def with_ce(divergence, logits, ids, mask, weights):
            """``divergence`` plus ``ce_weight`` × cross-entropy on the sequence's own next tokens where it is
            taken: the teacher's tokens (its answer, or the text it read), never a sample of the student's."""
            if not options.ce_weight:
                return divergence
            return divergence + options.ce_weight * masked_next_token_cross_entropy(logits, ids, mask, weights)

        if options.method != "kd":

            def next_token(net, batch):  # labels: texts without answers, so every position
                ids, mask = batch["input_ids"], batch["attention_mask"]
                return masked_next_token_cross_entropy(net(ids, mask), ids, mask, read(mask, batch))

            return next_token
        if options.on_policy and not options.live:
            return self._endpoint_on_policy(options, student, ctx.teacher, read, with_ce)
        if options.live:
            teacher = ctx.teacher

            def live(net, batch):
                ids, mask = batch["input_ids"], batch["attention_mask"]
                sampled = _drawn(options.on_policy)
                if sampled:
                    ids, mask = student_samples(net, ids, batch["prompt_length"], options.max_new_tokens,
                                                student.tokenizer.pad_token_id or 0)
                weights = read(mask, batch, sampled)
                with torch.no_grad():
                    target = teacher.model(input_ids=ids.to(teacher.device), attention_mask=mask.to(teacher.device))
                logits = net(ids, mask)
                # the teacher's logits are here: the divergence is exact over the vocabulary, not top-k + tail
                divergence = full_token_kd(logits, target.logits.to(logits.device), weights, options.divergence,
                                           options.beta)
                return divergence if sampled else with_ce(divergence, logits, ids, mask, weights)

            return live

        def loss(net, batch):
            ids, mask = batch["input_ids"], batch["attention_mask"]
            width = ids.shape[1]
            logits = net(ids, mask)
            weights = read(mask, batch) * batch["target_mask"][:, :width]
            divergence = token_kd(logits, batch["topk_ids"][:, :width], batch["topk_logprobs"][:, :width], weights,
                                  options.divergence, options.beta)
            return with_ce(divergence, logits, ids, mask, weights)

        return loss

    def _endpoint_on_policy(self, options: TrainOptions, student: HFStudent, teacher, read, with_ce):
        """GKD with a teacher behind an endpoint: its top-k log-probs of the student's samples, or of its own
        continuations (asked once each), through ``score_ids``; the sparse top-k loss with both tails, plus
        ``with_ce``'s cross-entropy on the teacher's continuations."""
        from stillroom.plugins.trainers.losses import token_kd

        known: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

        def on_policy(net, batch):
            ids, mask = batch["input_ids"], batch["attention_mask"]
            sampled = _drawn(options.on_policy)
            if sampled:
                ids, mask = student_samples(net, ids, batch["prompt_length"], options.max_new_tokens,
                                            student.tokenizer.pad_token_id or 0)
            # a sample is scored as it is drawn and then forgotten: it will hardly be drawn again
            top_ids, top_logprobs = teacher_scores(teacher, ids, mask, {} if sampled else known)
            logits, weights = net(ids, mask), read(mask, batch, sampled)
            divergence = token_kd(logits, top_ids, top_logprobs, weights, options.divergence, options.beta)
            return divergence if sampled else with_ce(divergence, logits, ids, mask, weights)

        return on_policy

    def score(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> Score | None:
        """For ``kd``, top-1 next-token agreement with the teacher; for ``labels`` and ``sequence``, the
        inverse perplexity of the validation texts.

        Agreement stays the choice for ``kd``: there the teacher is the target, so judging by it leaks
        nothing; it is what distillation is for (the student choosing the teacher's next token), and it
        reads the same whichever divergence trained, where the divergences' own values do not compare.
        It is coarse and saturates on a small split, so on ties the later epoch is kept (see
        ``loop._track_best``). ``labels`` never sees the teacher and ``sequence`` learns by
        cross-entropy, so both are judged by that objective on held-out text: inverse perplexity (exp
        of minus the mean next-token cross-entropy) orders epochs as that loss does, higher is better,
        and reads in [0, 1] like agreement.
        """
        import torch

        from stillroom.plugins.trainers.loop import Score

        if len(data.validation) == 0:
            return None
        if options.method != "kd":
            value = inverse_perplexity(student, data.validation, options, answers=options.method == "sequence")
            return None if value is None else Score("inverse_perplexity", value)
        cached = teacher_outputs.get("validation")
        if not cached:
            return None
        ids, mask = torch.as_tensor(cached["input_ids"]), torch.as_tensor(cached["attention_mask"]).long()
        with torch.no_grad():
            logits = student.net(ids.to(student.device), mask.to(student.device)).argmax(-1).cpu().numpy()
        real = scored(cached)
        if "prompt_length" in cached and not options.prompt_loss:  # the answers, as the loss reads them
            real &= answer_positions(mask, torch.as_tensor(cached["prompt_length"])).numpy().astype(bool)
        if not real.any():
            return None
        return Score("teacher_agreement", float((logits[real] == cached["topk_ids"][..., 0][real]).mean()))


def inverse_perplexity(
    student: HFStudent, split: Split, options: TrainOptions, *, answers: bool, batch_size: int = 64
) -> float | None:
    """exp(−mean next-token cross-entropy) of the student over every predicted token of the split's texts, or
    with ``answers`` and a split that has them, over each text followed by its answer, from where the answer
    starts unless ``prompt_loss`` (as the loss reads them); None when there is no token to predict."""
    from stillroom.plugins.topk import mean_log_likelihood

    texts, starts = list(split.texts), None
    if answers and split.answers is not None:
        sequences = answered_texts(split)
        if not options.prompt_loss:
            ids = student.tokenizer(sequences, truncation=True, max_length=options.max_length)["input_ids"]
            starts = answer_starts(student.tokenizer, texts, ids, options.max_length)
        texts = sequences
    value = mean_log_likelihood(student.net, student.tokenizer, texts, max_length=options.max_length,
                                batch_size=batch_size, device=student.device, starts=starts)
    return None if value is None else math.exp(value)


def student_samples(net, ids, prompt_length, max_new_tokens: int, pad_id: int):
    """Each row's prompt continued by the student, sampled at temperature 1, right-padded with its mask."""
    import torch

    rows = []
    with torch.no_grad():
        for row, length in zip(ids, prompt_length.tolist(), strict=True):
            prompt = row[None, :length]
            sampled = net.backbone.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=True,
                                            top_k=0, top_p=1.0, temperature=1.0, max_new_tokens=max_new_tokens,
                                            pad_token_id=pad_id)
            rows.append(sampled[0])
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), pad_id, dtype=ids.dtype, device=ids.device)
    mask = torch.zeros_like(out)
    for i, sampled in enumerate(rows):
        out[i, : len(sampled)], mask[i, : len(sampled)] = sampled, 1
    return out, mask


def _drawn(share: float) -> bool:
    """Whether a batch is the student's own samples, with probability ``share``: drawn from torch's generator,
    which the run seeds and each checkpoint keeps, so a resumed run draws as an uninterrupted one would; a share of
    0 or 1 draws nothing."""
    import torch

    return share >= 1 or share > 0 and float(torch.rand(())) < share


def teacher_scores(teacher, ids, mask, known: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]]):
    """The teacher's top-k ids and log-probs after each position of each right-padded row of ``ids``, shaped
    (rows, width, k) on their device, through ``teacher.score_ids``; rows already in ``known`` are not asked
    again, and those asked are added to it."""
    import torch

    rows = [tuple(row[: int(length)].tolist()) for row, length in zip(ids, mask.sum(dim=1), strict=True)]
    asked = [row for row in dict.fromkeys(rows) if row not in known]
    if asked:
        scored = teacher.score_ids([list(row) for row in asked])
        for i, row in enumerate(asked):
            known[row] = scored["topk_ids"][i, : len(row)], scored["topk_logprobs"][i, : len(row)]
    k = known[rows[0]][0].shape[-1]
    top_ids = np.zeros((*ids.shape, k), dtype=np.int64)
    top_logprobs = np.full((*ids.shape, k), -np.inf, dtype=np.float32)
    for i, row in enumerate(rows):
        top_ids[i, : len(row)], top_logprobs[i, : len(row)] = known[row]
    return (torch.as_tensor(top_ids, device=ids.device),
            torch.as_tensor(np.nan_to_num(top_logprobs, neginf=-1e4), device=ids.device))


def cached_rows(cached) -> list[list[int]]:
    """Each cached teacher row's real token ids."""
    return [ids[mask.astype(bool)].tolist() for ids, mask in zip(cached["input_ids"], cached["attention_mask"],
                                                                   strict=True)]


def answered_texts(split: Split) -> list[str]:
    """Each text of ``split`` followed by its answer."""
    return [continued(text, answer) for text, answer in zip(split.texts, split.answers or [], strict=True)]


def answer_starts(tokenizer, prompts: list[str], sequences: list[list[int]], max_length: int) -> list[int]:
    """:func:`prompt_lengths` of ``prompts`` as ``tokenizer`` splits them, in the token ids of ``sequences``."""
    return prompt_lengths(tokenizer(prompts, truncation=True, max_length=max_length)["input_ids"], sequences)


def prompt_lengths(prompts: list[list[int]], sequences: list[list[int]]) -> list[int]:
    """Where each sequence's answer starts: how many of its prompt's tokens (split alone) begin it. A prompt
    whose last token merges with the answer's first when split together counts up to that token."""
    lengths = []
    for prompt, sequence in zip(prompts, sequences, strict=True):
        length = 0
        for mine, theirs in zip(prompt, sequence, strict=False):
            if mine != theirs:
                break
            length += 1
        lengths.append(length)
    return lengths


def answer_positions(mask, prompt_length):
    """1 at each real position from the one that predicts the answer's first token (``prompt_length`` − 1) to its
    last token, whose next-token distribution is where the answer ends; else 0."""
    import torch

    positions = torch.arange(mask.shape[1], device=mask.device)[None, :]
    return ((positions >= prompt_length[:, None] - 1) & mask.bool()).long()


def continuation_positions(mask, prompt_length):
    """1 at each position whose next token belongs to the continuation after the prompt, else 0."""
    import torch

    positions = torch.arange(mask.shape[1], device=mask.device)[None, :]
    last = mask.sum(dim=1, keepdim=True) - 1
    return ((positions >= prompt_length[:, None] - 1) & (positions < last)).long()


def continued(text: str, continuation: str) -> str:
    """``text`` followed by the teacher's ``continuation``, with a space between unless ``text`` ends in
    whitespace (a chat prompt ends in a newline, and the teacher continued straight after it)."""
    if not text or not continuation or text[-1].isspace():
        return text + continuation
    return f"{text} {continuation}"


def _refuse_rows_cut_bare(cached, max_length: int) -> None:
    """A ConfigError where ``student.max_length`` cuts away every position a cached row's loss reads (an answer
    that starts past it): the row would train nothing, silently."""
    read = scored(cached)
    if "prompt_length" in cached:  # the loss reads from the position that predicts the answer's first token
        read = read & (np.arange(read.shape[1])[None, :] >= np.asarray(cached["prompt_length"])[:, None] - 1)
    first = np.where(read.any(axis=1), read.argmax(axis=1), -1)  # the first position read; -1: none, cut or not
    bare = first >= max_length
    if bare.any():
        raise ConfigError(f"student.max_length {max_length} cuts every token the loss reads from {int(bare.sum())} "
                          f"of {len(first)} cached teacher rows (their answers start past it); raise "
                          f"student.max_length to at least {int(first.max()) + 2}")


def scored(cached) -> np.ndarray:
    """Positions whose top-k is the teacher's: every real token, unless the teacher marks fewer.

    A chat-API teacher gives log-probs for its answer only, not for the prompt before it (``target_mask``).
    """
    return np.asarray(cached.get("target_mask", cached["attention_mask"])).astype(bool)


def generations(teacher, texts: list[str], max_new_tokens: int, artifacts, scrub=None, record=None) -> list[str]:
    """The teacher's greedy continuation of each text, scrubbed by ``scrub`` (``Context.scrub``: the run's
    scrubber through the policy's term lists) before anything keeps it, since a model can write PII it learned:
    one the residual scan still finds PII in is left empty, so nothing learns it. Made once per (teacher, texts,
    length, scrubbing) and cached, scrubbed; uncached in a training worker without the artifact store. With
    ``scrub``, ``record`` (``Context.record``) is told what scrubbing replaced and emptied, never a value."""
    from stillroom.curate import answered, answers_kept
    from stillroom.labels import inputs_digest, scrubbed_by

    def greedy(prompts: list[str]) -> list[tuple[str, float | None]]:
        return [(text, None) for text in teacher.generate(prompts, max_new_tokens=max_new_tokens)]

    def made() -> dict:
        return answered(texts, greedy, scrub, scrub.fields[0] if scrub is not None else "text")

    if artifacts is None:
        result = made()
    else:
        key = f"generations/{teacher.fingerprint()}/{inputs_digest(texts)}/{max_new_tokens}/{scrubbed_by(scrub)}"
        digest = artifacts.recall(key)
        if digest is None:
            result = made()
            artifacts.remember(key, artifacts.put_json(result))
        else:
            result = artifacts.read_json(digest)
    if scrub is not None and record is not None:
        counts = {entity: sum(by_field.values())
                  for entity, by_field in (result["scrub"] or {}).get("counts", {}).items()}
        record("train.answers_scrubbed", {"answers": len(texts), "replaced": counts,
                                          "emptied": len(result["residual"])})
    return answers_kept(result)


def _listed(answers) -> list | None:
    return None if answers is None else list(answers)
