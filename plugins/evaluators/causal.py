"""How well a causal-LM student stands in for its teacher, on held-out prompts (the test split).

For each of the first ``samples`` test prompts, teacher and student answer
greedily at batch 1, taking turns, each generating the same number of tokens
(:mod:`.generation`). On the prompt followed by the teacher's answer, token
for token:

- ``token_kl``: KL(teacher ‖ student) of the next-token distributions at the
  answer's positions, over the full vocabulary when the teacher runs in this
  process, else over its top-k plus one tail bin (:func:`losses.sparse_log_probs`);
- ``agreement``: how often the student's most likely next token is the teacher's.

Then ``rouge_l``: ROUGE-L F1 of the student's answer against the teacher's, by
words; ``teacher_nll_of_student``: the teacher's mean negative log-likelihood
of the student's answer tokens (how plausible the teacher finds what the
student writes); ``perplexity`` and ``teacher_perplexity`` of the test texts
themselves; ``retained``: teacher perplexity over student perplexity, the share
of the teacher's held-out likelihood the student keeps (the retained-quality
gate reads it, as it reads accuracy retained for classifiers; the fidelity
gate reads ``agreement``); ``tokens_per_s``, ``teacher_tokens_per_s`` and
``speedup`` (student over teacher); ``parameter_bytes`` and
``generation_memory_bytes`` (the peak one answer's generation adds), each
also with a ``teacher_`` prefix when the teacher runs here.
"""

from __future__ import annotations

import math

import numpy as np

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.evaluators.generation import (
    Answers,
    Generator,
    generation_memory,
    parameter_bytes,
    race,
)
from stillroom.plugins.evaluators.metrics import retained


@hookimpl
def register_evaluators(register):
    register(CausalLMEvaluator)


class CausalLMEvaluator(Evaluator):
    name = "causal"
    accepts = frozenset({"samples", "max_new_tokens"})
    description = ("Causal LMs on held-out prompts: token KL and next-token agreement with the teacher, ROUGE-L "
                   "against its answers, perplexity, tokens/s and memory.")
    tasks = ("causal-lm",)

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        from stillroom.plugins.topk import mean_log_likelihood
        from stillroom.plugins.trainers.build import local_model

        samples = _positive_int(self.options, "samples", 32)
        max_new_tokens = _positive_int(self.options, "max_new_tokens", 32)
        prompts = list(data.test.texts[:samples])
        evaluation = Evaluation(self.name)
        if not prompts:
            return evaluation
        net, tokenizer, device = student.net, student.tokenizer, student.device  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        was_training = net.training
        net.eval()
        try:
            model = local_model(teacher)
            own = Generator(net.backbone, tokenizer, device)
            if model is not None:
                reference = Generator(model, teacher.tokenizer, teacher.device)  # type: ignore[attr-defined]  # a local teacher's (HFTeacher)
                answers = race({"student": own, "teacher": reference}, prompts, max_new_tokens)
                theirs = answers["teacher"]
                evaluation.metrics["teacher_tokens_per_s"] = theirs.tokens_per_s
                evaluation.metrics["speedup"] = answers["student"].tokens_per_s / max(theirs.tokens_per_s, 1e-9)
                evaluation.metrics.update(_memory(reference, prompts[0], max_new_tokens, "teacher_"))
            else:
                answers = race({"student": own}, prompts, max_new_tokens)
                texts = teacher.generate(prompts, max_new_tokens=max_new_tokens)
                theirs = Answers([tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts], texts, 0.0)
            evaluation.metrics.update(_memory(own, prompts[0], max_new_tokens, ""))
            mine = answers["student"]
            evaluation.metrics["tokens_per_s"] = mine.tokens_per_s
            evaluation.metrics["rouge_l"] = float(np.mean([rouge_l(a, b) for a, b in
                                                           zip(mine.texts, theirs.texts, strict=True)]))
            prompt_ids = [tokenizer(p)["input_ids"] for p in prompts]
            # token by token only where a token id means the same on both sides (sequence KD may cross tokenizers)
            shared = getattr(teacher, "tokenizer", None) is not None and \
                teacher.tokenizer.get_vocab() == tokenizer.get_vocab()  # type: ignore[attr-defined]  # a local teacher's (HFTeacher)
            if shared:
                kl, agreement = _teacher_forced(net, teacher, model, prompt_ids, theirs.ids, device)
                evaluation.metrics["token_kl"], evaluation.metrics["agreement"] = kl, agreement
            if model is not None and shared:
                evaluation.metrics["teacher_nll_of_student"] = _answer_nll(model, prompt_ids, mine.ids,
                                                                           teacher.device)  # type: ignore[attr-defined]  # a local teacher's (HFTeacher)
            length = getattr(student, "max_length", 128)
            mine_ll = mean_log_likelihood(net, tokenizer, prompts, max_length=length, batch_size=16, device=device)
            if mine_ll is not None:
                evaluation.metrics["perplexity"] = math.exp(-mine_ll)
            if model is not None and mine_ll is not None:
                theirs_ll = mean_log_likelihood(lambda ids, mask: model(input_ids=ids, attention_mask=mask).logits,
                                                tokenizer, prompts, max_length=length, batch_size=16,
                                                device=teacher.device)  # type: ignore[attr-defined]  # a local teacher's (HFTeacher)
                assert theirs_ll is not None  # the student's prompts and tokenizer: mine_ll found tokens in them
                evaluation.metrics["teacher_perplexity"] = math.exp(-theirs_ll)
                evaluation.metrics["retained"] = retained(evaluation.metrics["perplexity"],
                                                          evaluation.metrics["teacher_perplexity"],
                                                          lower_is_better=True)
        finally:
            net.train(was_training)
        return evaluation


def _memory(generator: Generator, prompt: str, max_new_tokens: int, prefix: str) -> dict[str, float]:
    """A model's parameter bytes and what one answer's generation adds (:func:`generation_memory`)."""
    import torch

    metrics = {f"{prefix}parameter_bytes": float(parameter_bytes(generator.model))}
    ids = torch.as_tensor([generator.tokenizer(prompt)["input_ids"]], device=generator.device)
    grown = generation_memory(generator.fixed_length(max_new_tokens), ids, generator.device)
    if grown is not None:
        metrics[f"{prefix}generation_memory_bytes"] = float(grown)
    return metrics


def _teacher_forced(net, teacher, model, prompt_ids, answer_ids, device) -> tuple[float, float]:
    """Mean KL(teacher ‖ student) and top-1 agreement over the positions that predict each answer token."""
    import torch

    from stillroom.plugins.trainers.losses import sparse_log_probs

    kls, agreements = [], []
    for prompt, answer in zip(prompt_ids, answer_ids, strict=True):
        if not answer:
            continue
        ids = torch.as_tensor([prompt + answer], device=device)
        where = slice(len(prompt) - 1, ids.shape[1] - 1)  # the positions whose next token is an answer token
        with torch.no_grad():
            student = torch.log_softmax(net(ids, torch.ones_like(ids))[0, where].float(), dim=-1)
            if model is not None:
                target = model(input_ids=ids.to(teacher.device)).logits[0, where].float().to(device)
                log_p = torch.log_softmax(target, dim=-1)
                kl = (log_p.exp() * (log_p - student)).sum(-1)
                teacher_top = log_p.argmax(-1)
            else:
                top = teacher.predict([teacher.tokenizer.decode(prompt + answer)])
                k_ids = torch.as_tensor(top["topk_ids"][0, where], device=device)
                k_log = torch.as_tensor(top["topk_logprobs"][0, where], device=device)
                log_p, log_q = sparse_log_probs(student, k_ids, k_log)
                kl = (log_p.exp() * (log_p - log_q)).sum(-1)
                teacher_top = k_ids[:, 0]
        kls.append(kl.cpu().numpy())
        agreements.append((student.argmax(-1) == teacher_top).cpu().numpy())
    if not kls:
        return float("nan"), float("nan")
    return float(np.concatenate(kls).mean()), float(np.concatenate(agreements).mean())


def _answer_nll(model, prompt_ids, answer_ids, device) -> float:
    """The teacher's mean negative log-likelihood of each answer token, given the prompt and the answer before it."""
    import torch

    total, count = 0.0, 0
    for prompt, answer in zip(prompt_ids, answer_ids, strict=True):
        if not answer:
            continue
        ids = torch.as_tensor([prompt + answer], device=device)
        with torch.no_grad():
            log_p = torch.log_softmax(model(input_ids=ids).logits[0, len(prompt) - 1 : -1].float(), dim=-1)
        total -= float(log_p.gather(-1, ids[0, len(prompt):, None]).sum())
        count += len(answer)
    return total / count if count else float("nan")


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased words: the longest common subsequence against both lengths (Lin 2004)."""
    a, b = candidate.lower().split(), reference.lower().split()
    if not a or not b:
        return float(a == b)
    previous = [0] * (len(b) + 1)
    for word in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def _positive_int(options, key: str, default: int) -> int:
    value = options.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"evaluator causal: {key} must be a positive integer, got {value!r}")
    return value
