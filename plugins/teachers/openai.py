"""A teacher served inside the boundary behind an OpenAI-compatible HTTP API (vLLM, TGI).

``api: completions`` (the default): ``predict`` scores each text as it is;
the completions API with ``echo`` returns the top-k log-probs at every prompt
position, as vLLM does with ``return_tokens_as_token_ids`` so tokens come back
as ids rather than ambiguous strings.

``api: chat``: each text is a user message. The endpoint answers it greedily,
``max_tokens`` long (32 by default), with ``logprobs`` and ``top_logprobs``,
which the chat API gives for the answer's tokens only (as ids, again through
``return_tokens_as_token_ids``); a row is the chat-templated prompt followed
by the answer, and ``target_mask`` marks the positions that carry the
teacher's next-token log-probs (the last prompt position and the answer's),
which is all the token-KD loss reads. The prompt's
token ids are rendered here, with ``teacher.tokenizer`` (the served model's
tokenizer directory) and its chat template or ``teacher.chat_template``; the
endpoint's own count of prompt tokens must agree, or the rows would be shifted.

``score_ids`` scores rows of token ids exactly as given, never re-tokenised,
through the completions API's prompt log-probs (``echo`` with ``logprobs``,
token ids as the prompt, as vLLM takes them) whichever ``api`` is set, since
the chat API scores only the teacher's own answer: on-policy distillation sends
it the student's samples. An endpoint that returns no prompt log-probs is a
ConfigError: the spec asks for what that server cannot give.

``generate`` continues prompts through either API (sequence-level KD,
synthetic data), and ``answer`` (``curate.answer``) also returns each answer's
mean token log-prob, from the log-probs the endpoint reports for the tokens it
chose (vLLM's default reports the model's own distribution, before temperature
and top-p, as the local teacher scores its answers), or None where it reports
none. Both decode greedily at ``temperature`` 0, and above it sample with
``top_p`` and a ``seed`` per request: the n-th copy of a prompt gets the n-th
seed drawn from ``seed``, so copies sampled for variety differ, and a run repeats.
The endpoint's host is this teacher's ``location()``, so the
residency and egress policies check it like any other place data goes.
"""

from __future__ import annotations

import hashlib
import json
import math
import urllib.error
import urllib.request
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import numpy as np

from stillroom import hookimpl
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Context, Teacher
from stillroom.egress import EgressBlocked
from stillroom.errors import ConfigError, PluginError
from stillroom.progress import track

APIS = ("completions", "chat")
# Options only the chat path reads: its answer's length, and the tokenizer and template that render its prompts.
CHAT_ONLY = ("max_tokens", "chat_template", "tokenizer")
# What identifies the served model; vLLM's "created" is the time of the request, so it is left out.
IDENTITY_FIELDS = ("id", "root", "parent", "owned_by", "max_model_len")
# A log-prob a hair above zero is float rounding of a probability of one; anything more is not a log-prob.
LOGPROB_SLACK = 1e-4


@hookimpl
def register_teachers(register):
    register(OpenAITeacher)


class EndpointError(PluginError):
    """The teacher endpoint could not be reached, or answered with something other than what was asked."""


class Scored(NamedTuple):
    """One text as scored: its token ids, the top-k log-probs of the token after each scored position, the first one."""

    ids: list[int]
    following: list[dict[int, float]]
    first: int


class OpenAITeacher(Teacher):
    name = "openai"
    description = "A causal LM behind an OpenAI-compatible endpoint inside the boundary (vLLM, TGI)."
    accepts = frozenset({"url", "model", "api", "top_k", "timeout", "max_tokens", "chat_template", "tokenizer"})
    task = "causal-lm"
    can_score_ids = True

    def __init__(self, options: Mapping[str, Any], ctx: Context) -> None:
        super().__init__(options, ctx)
        for key in ("url", "model"):
            if not isinstance(self.options.get(key), str) or not self.options[key]:
                raise ConfigError(f"teacher.{key} is required for an openai teacher")
        self.url = self.options["url"].rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"teacher.url must be an http(s) URL such as http://10.0.0.5:8000/v1, got {self.url!r}")
        self.model = self.options["model"]
        self.api = self.options.get("api", "completions")
        if self.api not in APIS:
            raise ConfigError(f"teacher.api must be one of {', '.join(APIS)}, got {self.api!r}")
        chat_only = next((key for key in CHAT_ONLY if key in self.options), None)
        if self.api != "chat" and chat_only is not None:
            raise ConfigError(f"teacher.{chat_only} is read by api: chat alone (the answer it scores per text), and "
                              f"this teacher uses api: {self.api}, which scores each text itself; set api: chat, or "
                              f"remove {chat_only}")
        self.task = self.options.get("task", "causal-lm")
        if self.task != "causal-lm":
            raise ConfigError(f"an openai teacher serves causal-lm only, got task {self.task!r}")
        self.top_k = int(self.options.get("top_k", 5))
        self.timeout = float(self.options.get("timeout", 60))
        # how long an answer the chat API scores per text; the completions API scores the text itself
        self.max_tokens = self.options.get("max_tokens", 32)
        if not isinstance(self.max_tokens, int) or isinstance(self.max_tokens, bool) or self.max_tokens < 1:
            raise ConfigError(f"teacher.max_tokens must be a positive integer, got {self.max_tokens!r}")
        self.chat_template = self.options.get("chat_template")
        if self.chat_template is not None and not isinstance(self.chat_template, str):
            raise ConfigError("teacher.chat_template must be a Jinja template string, as in tokenizer_config.json")
        self._fingerprint: str | None = None

    def location(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def identity(self) -> str:
        """This endpoint named without contacting it: its URL, the model name asked for, and the options
        that change what it returns.

        A residency request for an endpoint outside the boundary binds to this, not to ``fingerprint()``:
        an endpoint the policy refuses must not be reached, not even to ask what it serves.
        """
        return sha256_bytes(canonical_json(self._settings(self.model)))

    def fingerprint(self) -> str:
        """``identity()`` with what the endpoint says it serves under that name (GET /models)."""
        if self._fingerprint is None:
            listed = self._request("GET", "/models").get("data", [])
            entry = next((m for m in listed if isinstance(m, dict) and m.get("id") == self.model), None)
            if entry is None:
                raise EndpointError(f"the endpoint {self.url} does not serve a model named {self.model!r}")
            served = {k: entry[k] for k in IDENTITY_FIELDS if k in entry}
            self._fingerprint = sha256_bytes(canonical_json(self._settings(served)))
        return self._fingerprint

    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Top-k next-token log-probs per position of each row, as a local causal-LM teacher returns them.

        With ``api: chat`` a row is the templated prompt and the teacher's answer, and
        ``target_mask`` (n, width) marks the positions whose top-k is the teacher's.
        """
        score = self._score_chat if self.api == "chat" else self._score
        out = self._arrays([score(index, text) for index, text in self._each(texts, "scoring")])
        if self.api != "chat":
            del out["target_mask"]  # every real position is scored
        return out

    def score_ids(self, rows: list[list[int]]) -> dict[str, np.ndarray]:
        """The top-k log-probs of the token after each position of each row of token ids, through the
        completions API's prompt log-probs whatever ``api`` says; ``predict``'s arrays for those ids."""
        out = self._arrays([self._score(index, list(row)) for index, row in self._each(rows, "scoring")])
        del out["target_mask"]
        return out

    def _arrays(self, rows: list[Scored]) -> dict[str, np.ndarray]:
        """Scored rows as right-padded arrays, with ``target_mask`` marking the positions that carry a top-k."""
        width = max((len(row.ids) for row in rows), default=0)
        n, k = len(rows), self.top_k
        out: dict[str, np.ndarray] = {
            "input_ids": np.zeros((n, width), dtype=np.int64),
            "attention_mask": np.zeros((n, width), dtype=np.int8),
            "topk_ids": np.zeros((n, width, k), dtype=np.int64),
            "topk_logprobs": np.full((n, width, k), -np.inf, dtype=np.float32),
        }
        target_mask = np.zeros((n, width), dtype=np.int8)
        for row, scored in enumerate(rows):
            out["input_ids"][row, : len(scored.ids)] = scored.ids
            out["attention_mask"][row, : len(scored.ids)] = 1
            target_mask[row, scored.first : scored.first + len(scored.following)] = 1
            for offset, top in enumerate(scored.following):
                position = scored.first + offset
                ranked = sorted(top.items(), key=lambda item: -item[1])[:k]
                out["topk_ids"][row, position, : len(ranked)] = [token for token, _ in ranked]
                out["topk_logprobs"][row, position, : len(ranked)] = [value for _, value in ranked]
        out["target_mask"] = target_mask
        return out

    def generate(self, prompts: list[str], **options: Any) -> list[str]:
        return [text for text, _ in self._decode(prompts, options, score=False)]

    def answer(self, prompts: list[str], **options: Any) -> list[tuple[str, float | None]]:
        """``generate``'s answers, each with the mean of the log-probs the endpoint reports for its tokens; None
        where the endpoint reports none (``curate.answer`` refuses to filter on those)."""
        return self._decode(prompts, options, score=True)

    def _decode(self, prompts: list[str], options: Mapping[str, Any], *, score: bool) -> list[tuple[str, float | None]]:
        """Each prompt answered, with ``options`` as the local teacher reads them (``max_new_tokens``,
        ``temperature``, ``top_p``, ``seed``), and its mean token log-prob when ``score``."""
        if not prompts:
            return []  # the completions API would be asked for nothing, and may refuse an empty prompt list
        max_tokens = int(options.get("max_tokens", options.get("max_new_tokens", 64)))
        temperature = float(options.get("temperature", 0.0))
        sampling: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        out: list[tuple[str, float | None]] = [("", None)] * len(prompts)
        for copy, indices in enumerate(_copies(prompts)):
            if temperature > 0:
                # one seed per request: an endpoint seeds every prompt of a request alike, so a prompt asked twice
                # in one request would be sampled twice the same
                sampling |= {"top_p": float(options.get("top_p", 1.0)), "seed": _seed(int(options.get("seed", 0)), copy)}
            if self.api == "chat":
                for _, index in self._each(indices, "answering" if score else "writing"):
                    out[index] = self._chat_answer(index, prompts[index], sampling, score)
            else:
                for index, answered in zip(indices, self._completions([prompts[i] for i in indices], sampling, score),
                                           strict=True):
                    out[index] = answered
        return out

    def _each(self, items: list, doing: str):
        """``enumerate(items)``, with a bar while the run shows progress: these are one request each."""
        return track(enumerate(items), f"teacher {self.name}: {doing}", total=len(items),
                     enabled=self.ctx.progress and len(items) > 1)

    def _completions(self, prompts: list[str], sampling: Mapping[str, Any],
                     score: bool) -> list[tuple[str, float | None]]:
        # logprobs: 1 is the least that reports the chosen tokens' own log-probs (token_logprobs)
        answer = self._request("POST", "/completions", {"model": self.model, "prompt": list(prompts), **sampling,
                                                        **({"logprobs": 1} if score else {})})
        choices = answer.get("choices")
        if not isinstance(choices, list) or len(choices) != len(prompts) or not all(
            isinstance(c, dict) and isinstance(c.get("text"), str) and isinstance(c.get("index"), int) for c in choices
        ):
            raise EndpointError(
                f"{self.url}/completions answered {len(prompts)} prompts with something other than "
                f"{len(prompts)} choices of {{index, text}}: {_preview(answer)}"
            )
        out = []
        for choice in sorted(choices, key=lambda c: c["index"]):
            where = f"the completion from {self.url}/completions for prompt {choice['index']}"
            chosen = (choice.get("logprobs") or {}).get("token_logprobs") if score else None
            out.append((choice["text"], _mean_logprob(chosen, where)))
        return out

    def _chat_answer(self, index: int, prompt: str, sampling: Mapping[str, Any],
                     score: bool) -> tuple[str, float | None]:
        body = self._chat_body(prompt, sampling) | ({"logprobs": True} if score else {})
        answer = self._request("POST", "/chat/completions", body)
        where = f"the chat answer from {self.url}/chat/completions to prompt {index}"
        choice = _first_choice(answer, where)
        content = (choice.get("message") or {}).get("content")
        if not isinstance(content, str):
            raise EndpointError(f"{where} has no message.content text: {_preview(answer)}")
        entries = (choice.get("logprobs") or {}).get("content") if score else None
        if entries is not None and (not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries)):
            raise EndpointError(f"{where} has a logprobs.content that is not a list of {{token, logprob}}: "
                                f"{_preview(entries)}")
        return content, _mean_logprob(None if entries is None else [e.get("logprob") for e in entries], where)

    @cached_property
    def chat_tokenizer(self):
        """The served model's tokenizer, read from a local directory: it renders chat prompts into token ids."""
        # not ``tokenizer``: token-KD reads that name as a teacher's own tokenizer, always there to check the
        # student's vocabulary against, and this one is there only when teacher.tokenizer is set
        from transformers import AutoTokenizer

        if not isinstance(self.options.get("tokenizer"), str):
            raise ConfigError(
                "teacher.tokenizer is required for api: chat log-probs: the local directory of the served "
                "model's tokenizer, to render each prompt into the token ids the endpoint reads"
            )
        path = Path(self.options["tokenizer"]).expanduser().resolve()
        if not path.is_dir():
            raise ConfigError(f"teacher.tokenizer {path} is not a directory holding the served model's tokenizer")
        return AutoTokenizer.from_pretrained(path)

    def _settings(self, model: str | dict[str, Any]) -> dict[str, Any]:
        settings = {"url": self.url, "model": model, "api": self.api, "top_k": self.top_k}
        if self.api == "chat":
            # the answer's length, the template and the vocabulary all change the rows predict returns
            settings["max_tokens"] = self.max_tokens
            if "tokenizer" in self.options:
                settings["chat_template"] = self._template()
                settings["vocabulary"] = sha256_bytes(canonical_json(self.chat_tokenizer.get_vocab()))
        return settings

    def _template(self) -> str:
        template = self.chat_template or getattr(self.chat_tokenizer, "chat_template", None)
        if not isinstance(template, str) or not template:
            raise ConfigError(
                f"the tokenizer at {self.options['tokenizer']} has no chat template; set teacher.chat_template "
                "to the template the endpoint applies"
            )
        return template

    def _score(self, index: int, prompt: str | list[int]) -> Scored:
        """Prompt token ids, and for each position the top-k log-probs of the token after it.

        ``prompt`` is a text, which the endpoint tokenizes, or token ids, which it must read as they are.
        """
        answer = self._request(
            "POST",
            "/completions",
            {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": 1,
                "temperature": 0,
                "echo": True,
                "logprobs": self.top_k,
                "return_tokens_as_token_ids": True,
            },
        )
        what = "text" if isinstance(prompt, str) else "token-id row"
        choice = _first_choice(answer, f"the completion from {self.url}/completions for {what} {index}")
        logprobs = choice.get("logprobs") or {}
        tokens, tops = logprobs.get("tokens"), logprobs.get("top_logprobs")
        if not tokens or tops is None or len(tokens) != len(tops) or len(tokens) < 2:
            raise ConfigError(
                f"the teacher endpoint {self.url} returned no prompt log-probs for {what} {index}, and scoring "
                "with an openai teacher reads them from /completions with echo and logprobs: serve the model "
                "with an engine that supports both (vLLM does)"
            )
        # echo returns the distribution *for* each token; a cached teacher row holds the one *after* it
        ids = [_token_id(t) for t in tokens[:-1]]
        if not isinstance(prompt, str) and ids != prompt:
            raise EndpointError(
                f"the completion from {self.url}/completions for token-id row {index} echoes {len(ids)} token ids "
                f"that are not the {len(prompt)} it was sent: the endpoint must read a prompt of token ids as given"
            )
        following = [{_token_id(t): float(v) for t, v in top.items()} for top in tops[1:]]
        return Scored(ids, following, 0)

    def _score_chat(self, index: int, text: str) -> Scored:
        """The templated prompt and the teacher's answer, with the answer's top-k log-probs from the chat API."""
        prompt = self._prompt_ids(text)
        body = self._chat_body(text, {"max_tokens": self.max_tokens, "temperature": 0}) | {
            "logprobs": True, "top_logprobs": self.top_k, "return_tokens_as_token_ids": True}
        answer = self._request("POST", "/chat/completions", body)
        where = f"the chat answer from {self.url}/chat/completions to text {index}"
        counted = (answer.get("usage") or {}).get("prompt_tokens")
        if counted is not None and counted != len(prompt):
            raise EndpointError(
                f"{where} counts {counted} prompt tokens where the local chat template renders {len(prompt)}: "
                "teacher.tokenizer and teacher.chat_template must be the ones the endpoint serves with"
            )
        content = (_first_choice(answer, where).get("logprobs") or {}).get("content")
        if not isinstance(content, list):
            raise EndpointError(
                f"{where} carries no logprobs.content; the endpoint must support logprobs: true with "
                "top_logprobs on the chat API (vLLM does)"
            )
        answered, following = [], []
        for position, entry in enumerate(content):
            token, top = _chat_logprobs(entry, f"{where}, answer token {position}")
            answered.append(token)
            following.append(top)
        generated = (answer.get("usage") or {}).get("completion_tokens")
        if generated is not None and generated != len(content):
            raise EndpointError(f"{where} has log-probs for {len(content)} tokens of an answer {generated} long")
        vocabulary = len(self.chat_tokenizer)
        beyond = [t for t in answered + [t for top in following for t in top] if not 0 <= t < vocabulary]
        if beyond:
            raise EndpointError(
                f"{where} names token id {beyond[0]}, outside the {vocabulary} tokens of teacher.tokenizer: "
                "it is not the served model's tokenizer"
            )
        # the last answer token's successor is unknown, as the completions path's generated token is
        return Scored(prompt + answered[:-1], following, len(prompt) - 1)

    def _prompt_ids(self, text: str) -> list[int]:
        ids = self.chat_tokenizer.apply_chat_template(
            [{"role": "user", "content": text}],
            chat_template=self._template(),
            add_generation_prompt=True,
            tokenize=True,
            return_dict=False,
        )
        if not ids:
            raise ConfigError("the chat template renders a prompt into no tokens; check teacher.chat_template")
        return [int(i) for i in ids]

    def _chat_body(self, text: str, sampling: Mapping[str, Any]) -> dict[str, Any]:
        return {"model": self.model, "messages": [{"role": "user", "content": text}], **sampling}

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            # Servers echo the request in error bodies (FastAPI's 422 quotes the input): describe, never quote.
            raise EndpointError(f"the teacher endpoint {self.url}{path} answered {exc.code}: "
                                f"{_describe(exc.read())}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, EgressBlocked):
                raise exc.reason from None  # the egress policy's refusal, not an unreachable host
            raise EndpointError(f"the teacher endpoint {self.url} cannot be reached: {exc}") from None
        except (TimeoutError, ConnectionError) as exc:
            raise EndpointError(f"the teacher endpoint {self.url} cannot be reached: {exc}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise EndpointError(
                f"the teacher endpoint {self.url}{path} answered with {_describe(raw)}; "
                "is the URL the API's /v1 root?"
            ) from None
        if not isinstance(answer, dict):
            raise EndpointError(f"the teacher endpoint {self.url}{path} answered with a JSON {type(answer).__name__}, "
                                "not an object")
        return answer


def _copies(prompts: list[str]) -> list[list[int]]:
    """The prompts' positions grouped by copy: the first of each distinct prompt, then each second, and so on."""
    seen: dict[str, int] = {}
    groups: list[list[int]] = []
    for index, prompt in enumerate(prompts):
        copy = seen[prompt] = seen.get(prompt, -1) + 1
        if copy == len(groups):
            groups.append([])
        groups[copy].append(index)
    return groups


def _seed(seed: int, copy: int) -> int:
    """The sampling seed of a prompt's ``copy``-th request, drawn from the run's ``seed`` (within int32, which
    every server takes)."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{copy}".encode()).digest()[:4], "big") >> 1


def _mean_logprob(values: Any, where: str) -> float | None:
    """The mean of an answer's token log-probs as the endpoint reported them; None when it reported none."""
    if values is None:
        return None
    if not isinstance(values, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) and v <= LOGPROB_SLACK
        for v in values
    ):
        raise EndpointError(f"{where} has token log-probs that are not numbers <= 0: {_preview(values)}")
    return sum(values) / len(values) if values else None


def _first_choice(answer: Mapping[str, Any], where: str) -> dict[str, Any]:
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EndpointError(f"{where} has no choices: {_preview(answer)}")
    return choices[0]


def _chat_logprobs(entry: Any, where: str) -> tuple[int, dict[int, float]]:
    """One ``logprobs.content`` entry: the answered token's id and its top-k alternatives' log-probs."""
    shape = "{token, logprob, top_logprobs: [{token, logprob}, ...]}"
    top = entry.get("top_logprobs") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str) or not isinstance(top, list):
        raise EndpointError(f"{where} is not {shape}: {_preview(entry)}")
    if not top:
        raise EndpointError(f"{where} has no top_logprobs; the endpoint must honour top_logprobs (vLLM does)")
    scores = {}
    for candidate in top:
        value = candidate.get("logprob") if isinstance(candidate, dict) else None
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not value <= LOGPROB_SLACK
                or math.isnan(value) or not isinstance(candidate.get("token"), str)):
            raise EndpointError(f"{where} has a top_logprobs entry that is not {{token, logprob <= 0}}: "
                                f"{_preview(candidate)}")
        scores[_token_id(candidate["token"])] = float(value)
    return _token_id(entry["token"]), scores


def _token_id(token: str) -> int:
    prefix, _, number = token.partition(":")
    if prefix != "token_id" or not number.isdigit():
        raise EndpointError(  # the token is the data's text: never quoted
            f"the endpoint returned a token as text ({len(token)} characters), not as token_id:N; "
            "it must honour return_tokens_as_token_ids (vLLM does)"
        )
    return int(number)


def _describe(body: bytes) -> str:
    """An answer body by its size, digest and, for JSON, its shape: never its bytes, which may echo the data."""
    described = f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:12]}"
    try:
        return f"{described}, JSON {_preview(json.loads(body))}"
    except ValueError:
        return f"{described}, not JSON"


def _preview(value: Any) -> str:
    """The JSON's shape (keys and value types), never its values: an answer may echo the data."""
    text = json.dumps(_shape(value))
    return text if len(text) <= 200 else text[:197] + "..."


def _shape(value: Any, depth: int = 4) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v, depth - 1) for k, v in value.items()} if depth else "object"
    if isinstance(value, list):
        return ([_shape(value[0], depth - 1)] if value and depth else []) + ([f"{len(value)} items"] if value else [])
    return "null" if value is None else type(value).__name__
