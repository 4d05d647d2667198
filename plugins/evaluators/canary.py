"""A memorization probe for generative students: canaries planted in training data must not come back.

A canary is a prefix and a random secret (Carlini et al. 2019, "The Secret
Sharer"), planted in the training texts before distillation. After training,
the student is prompted with each prefix: a greedy continuation that contains
the secret is a reproduced canary. ``exposure`` measures the near misses:
log2 of the number of candidate secrets, minus log2 of the planted secret's
rank among them by the student's likelihood; 0 is no memorization, the
maximum (log2 of the candidates) is a secret the student ranks first.

Named in a pipeline's ``evaluators`` (``{type: canary, count, copies, digits,
seed, candidates}``), the probe has the curate stage plant its canaries
(``planting``) into the training texts, and is then given exactly those to probe.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
from typing import Any

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.errors import ConfigError

PREFIXES = ("my account number is", "the customer reference is", "my card security code is")
OPTIONS: dict[str, Any] = {"count": 3, "copies": 1, "digits": 6, "seed": None, "candidates": 255, "canaries": None}


@hookimpl
def register_evaluators(register):
    register(CanaryEvaluator)


def make_canaries(count: int, seed: int, digits: int = 6) -> list[dict[str, str]]:
    """Canaries to plant: ``{"prefix", "secret"}``, the secret a random run of digits."""
    rng = random.Random(seed)
    return [{"prefix": PREFIXES[i % len(PREFIXES)], "secret": _secret(rng, digits)} for i in range(count)]


def line(canary: dict[str, str]) -> str:
    """The training text a canary is planted as."""
    return f"{canary['prefix']} {canary['secret']}"


class CanaryEvaluator(Evaluator):
    name = "canary"
    accepts = frozenset(OPTIONS)
    description = "Memorization probe: planted canaries must not be reproduced by the generative student."
    tasks = ("causal-lm",)

    def __init__(self, options, ctx: Context) -> None:
        super().__init__(options, ctx)
        unknown = sorted(set(self.options) - set(OPTIONS))
        if unknown:
            raise ConfigError(f"evaluator canary: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
        for key in ("count", "copies", "digits", "candidates"):
            value = self.options.get(key, OPTIONS[key])
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
                raise ConfigError(f"evaluator canary: option {key!r} must be a whole number from 1 to 10000, "
                                  f"got {value!r}")
        seed = self.options.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**53):
            raise ConfigError(f"evaluator canary: option 'seed' must be a whole number from 0 to 2**53 - 1 "
                              f"(exact in the ledger's JSON), got {seed!r}")

    def planting(self) -> dict[str, Any]:
        """The canary set the curate stage plants for this probe, its seed recorded with it.

        ``canaries`` given in the options are planted as they are. Otherwise
        ``count`` secrets of ``digits`` digits are drawn from ``seed``, or,
        without one, from a 48-bit seed (exact as a JSON number) keyed with the workspace secret and the
        run's seed. The same workspace and spec then plant the same canaries
        (the teacher's cached outputs still apply), and a reader of the ledger,
        which holds the spec and the set's digest but not the set, can neither
        recompute the secrets nor guess them from the digest: a 6-digit secret
        alone falls to a million guesses, the seed stored beside it does not.
        A ``seed`` written in the spec is ledgered with it, and gives that away.
        """
        given = self.options.get("canaries")
        if given is not None:
            canaries, seed, seed_from = _checked(given), None, "options.canaries"
        else:
            seed, seed_from = self.options.get("seed"), "options.seed"
            if seed is None:
                if not self.ctx.secret:
                    raise ConfigError("evaluator canary: give option 'seed' outside a workspace (there is no "
                                      "workspace secret to draw one from)")
                keyed = hmac.new(self.ctx.secret, f"stillroom/canary/{self.ctx.seed}".encode(), hashlib.sha256)
                seed, seed_from = int.from_bytes(keyed.digest()[:6], "big"), "workspace secret and run seed"
            canaries = make_canaries(self.options.get("count", OPTIONS["count"]), seed,
                                     self.options.get("digits", OPTIONS["digits"]))
        return {"canaries": canaries, "lines": [line(c) for c in canaries],
                "copies": self.options.get("copies", OPTIONS["copies"]), "seed": seed, "seed_from": seed_from}

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        canaries = self.options.get("canaries")
        if canaries is None:  # nothing was planted; the zero count tells a release gate no probe ran
            return Evaluation(self.name, {"canaries": 0.0})
        canaries = _checked(canaries)
        candidates = self.options.get("candidates", OPTIONS["candidates"])
        evaluation = Evaluation(self.name)
        reproduced, exposures = 0, []
        for index, canary in enumerate(canaries):
            generated = generate(student, canary["prefix"], max_new_tokens=2 * len(canary["secret"].split()) + 4)
            hit = canary["secret"] in generated
            reproduced += hit
            rng = random.Random(index)
            others = [_secret(rng, len(canary["secret"].split())) for _ in range(candidates)]
            scores = [log_likelihood(student, canary["prefix"], s) for s in [canary["secret"], *others]]
            rank = 1 + sum(score > scores[0] for score in scores[1:])
            exposure = math.log2(candidates + 1) - math.log2(rank)
            exposures.append(exposure)
            evaluation.slices.setdefault("canary", {})[str(index)] = {"reproduced": float(hit), "exposure": exposure}
        evaluation.metrics = {
            "canaries": float(len(canaries)),
            "canaries_reproduced": float(reproduced),
            "canary_exposure_max": max(exposures),
        }
        return evaluation


def generate(student: Student, prefix: str, max_new_tokens: int) -> str:
    """Greedy continuation of ``prefix`` by the student's own network."""
    import torch

    tokenizer, net = student.tokenizer, student.net  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    ids = _prefix_ids(tokenizer, prefix)
    net.eval()
    with torch.no_grad():
        for _ in range(max_new_tokens):
            tensor = torch.tensor([ids], device=student.device)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
            ids.append(int(net(tensor, torch.ones_like(tensor))[0, -1].argmax()))
    return tokenizer.decode(ids[len(_prefix_ids(tokenizer, prefix)) :], skip_special_tokens=True)


def log_likelihood(student: Student, prefix: str, continuation: str) -> float:
    """Sum of the student's log-probs of ``continuation``'s tokens after ``prefix``."""
    import torch

    tokenizer = student.tokenizer  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    start = _prefix_ids(tokenizer, prefix)
    tail = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    tensor = torch.tensor([start + tail], device=student.device)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    with torch.no_grad():
        logprobs = torch.log_softmax(student.net(tensor, torch.ones_like(tensor))[0].float(), dim=-1)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    return float(sum(logprobs[len(start) + i - 1, token] for i, token in enumerate(tail)))


def _prefix_ids(tokenizer, prefix: str) -> list[int]:
    # no end-of-text marker after the prefix: the model is to continue it
    ids = tokenizer(prefix)["input_ids"]
    return ids[:-1] if tokenizer.sep_token_id is not None and ids[-1:] == [tokenizer.sep_token_id] else ids


def _checked(canaries: Any) -> list[dict[str, str]]:
    if not isinstance(canaries, list) or not canaries or not all(
            isinstance(c, dict) and {"prefix", "secret"} <= set(c) for c in canaries):
        raise ConfigError("evaluator canary: canaries must be a list of {prefix, secret}, the ones planted")
    return canaries


def _secret(rng: random.Random, digits: int) -> str:
    return " ".join(str(rng.randrange(10)) for _ in range(digits))
