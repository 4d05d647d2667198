"""Greedy generation at batch 1, timed fairly between two models, and the memory it takes.

Speed: every model generates exactly ``max_new_tokens`` for every prompt (the
end-of-text token does not stop it), so each does the same work whatever it
writes; the models take turns prompt by prompt, the first alternating, so load
from other processes falls on both alike. :func:`best_of_rounds` repeats that
race and keeps each model's fastest round, for a ratio that load on a shared
machine moves as little as it can. The answer is what came before the
first end-of-text token: the greedy answer a normal call gives, as greedy
decoding does not depend on what follows.

Memory: the bytes of a model's parameters and buffers (each tensor once, so
tied embeddings count once), and the peak growth over one generation call of
CUDA's allocated bytes, or of the process's resident set on CPU (sampled every
millisecond or two; heap the allocator already holds is reused unseen, so on CPU
it is a lower bound).
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class Answers:
    """Greedy answers to some prompts: their token ids, their text, and how fast they came."""

    ids: list[list[int]]
    texts: list[str]
    tokens_per_s: float


@dataclass
class Generator:
    """A local causal LM with its tokenizer and device: what :func:`race` times."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    device: torch.device | str

    def stops(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [] if ids is None else [ids])
        return ids | ({self.tokenizer.eos_token_id} if self.tokenizer.eos_token_id is not None else set())

    def fixed_length(self, max_new_tokens: int) -> Callable:
        """Greedy generation of exactly ``max_new_tokens`` tokens, with the KV cache, as one function of ids.

        ``eos_token_id: []`` is what turns stopping off: None falls back to the model's own end-of-text token.
        """
        import torch

        config = copy.deepcopy(self.model.generation_config)
        config.update(max_new_tokens=max_new_tokens, min_new_tokens=None, do_sample=False, num_beams=1,
                      use_cache=True, eos_token_id=[], pad_token_id=self.tokenizer.pad_token_id,
                      temperature=None, top_p=None, top_k=None)

        def generate(ids):
            with torch.no_grad():
                return self.model.generate(ids, attention_mask=torch.ones_like(ids),  # type: ignore[operator]  # typed through Module.__getattr__
                                           generation_config=config)
        return generate


def race(generators: dict[str, Generator], prompts: list[str], max_new_tokens: int) -> dict[str, Answers]:
    """Each generator's greedy answers to ``prompts`` and its tokens/s, timed in turns on the same work."""
    import torch

    names = list(generators)
    calls = {name: generators[name].fixed_length(max_new_tokens) for name in names}
    ids: dict[str, list[list[int]]] = {name: [] for name in names}
    seconds = dict.fromkeys(names, 0.0)
    for index, prompt in enumerate(prompts):
        for name in names if index % 2 == 0 else names[::-1]:
            generator = generators[name]
            encoded = torch.as_tensor([generator.tokenizer(prompt)["input_ids"]], device=generator.device)
            started = time.perf_counter()
            output = calls[name](encoded)
            seconds[name] += time.perf_counter() - started
            ids[name].append(until_stop([int(t) for t in output[0, encoded.shape[1]:]], generator.stops()))
    produced = len(prompts) * max_new_tokens
    return {name: Answers(ids[name], [generators[name].tokenizer.decode(a, skip_special_tokens=True)  # type: ignore[misc]  # one sequence of ids decodes to one str
                                      for a in ids[name]], produced / max(seconds[name], 1e-9))
            for name in names}


def best_of_rounds(generators: dict[str, Generator], prompts: list[str], max_new_tokens: int,
                   rounds: int) -> dict[str, Any]:
    """Each generator's tokens/s in ``rounds`` races (:func:`race`) over the same prompts, one after the other in
    one window, who goes first alternating between rounds, and its best round.

    The best round, not the mean: another process's load only ever slows a round down, so the fastest one is the
    nearest to what the model does alone, and both models' best come from the same window.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    names = list(generators)
    measured = []
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        answers = race({name: generators[name] for name in order}, prompts, max_new_tokens)
        measured.append({name: answers[name].tokens_per_s for name in names})
    return {"tokens_per_s": {name: max(r[name] for r in measured) for name in names}, "rounds": measured}


def until_stop(tokens: list[int], stops: set[int]) -> list[int]:
    """The tokens before the first stop token (all of them when none occurs)."""
    for index, token in enumerate(tokens):
        if token in stops:
            return tokens[:index]
    return tokens


def parameter_bytes(model) -> int:
    """Bytes of the model's parameters and buffers, each storage once (tied weights are one tensor)."""
    seen, total = set(), 0
    for tensor in [*model.parameters(), *model.buffers()]:
        key = tensor.untyped_storage().data_ptr()
        if key not in seen:
            seen.add(key)
            total += tensor.untyped_storage().nbytes()
    return total


def generation_memory(generate: Callable, ids, device) -> int | None:
    """Peak bytes one ``generate(ids)`` call adds: CUDA allocated, or resident set on Linux; None elsewhere."""
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        generate(ids)
        torch.cuda.synchronize(device)
        return max(torch.cuda.max_memory_allocated(device) - before, 0)
    statm = Path("/proc/self/statm")
    if not statm.is_file():
        return None
    page = os.sysconf("SC_PAGE_SIZE")

    def resident() -> int:
        return int(statm.read_text().split()[1]) * page

    before, peak, done = resident(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], resident())
            done.wait(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        generate(ids)
    finally:
        done.set()
        sampler.join()
    return max(peak[0], resident(), before) - before
