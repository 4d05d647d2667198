"""A teacher served inside the boundary behind an OpenAI-compatible HTTP API (vLLM, TGI).

``predict`` scores each text: the completions API with ``echo`` returns the
top-k log-probs at every prompt position, as vLLM does with
``return_tokens_as_token_ids`` so tokens come back as ids rather than
ambiguous strings. ``generate`` continues prompts through the completions or
the chat API (sequence-level KD, synthetic data). The endpoint's host is this
teacher's ``location()``, so the residency and egress policies check it like
any other place data goes.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from stillroom import hookimpl
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Context, Teacher
from stillroom.errors import ConfigError, PluginError

APIS = ("completions", "chat")
# What identifies the served model; vLLM's "created" is the time of the request, so it is left out.
IDENTITY_FIELDS = ("id", "root", "parent", "owned_by", "max_model_len")


@hookimpl
def register_teachers(register):
    register(OpenAITeacher)


class EndpointError(PluginError):
    """The teacher endpoint could not be reached, or answered with something other than what was asked."""


class OpenAITeacher(Teacher):
    name = "openai"
    description = "A causal LM behind an OpenAI-compatible endpoint inside the boundary (vLLM, TGI)."
    task = "causal-lm"

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
        self.task = self.options.get("task", "causal-lm")
        if self.task != "causal-lm":
            raise ConfigError(f"an openai teacher serves causal-lm only, got task {self.task!r}")
        self.top_k = int(self.options.get("top_k", 5))
        self.timeout = float(self.options.get("timeout", 60))
        self._identity: str | None = None

    def location(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def fingerprint(self) -> str:
        if self._identity is None:
            listed = self._request("GET", "/models").get("data", [])
            entry = next((m for m in listed if m.get("id") == self.model), None)
            if entry is None:
                raise EndpointError(f"the endpoint {self.url} does not serve a model named {self.model!r}")
            identity = {k: entry[k] for k in IDENTITY_FIELDS if k in entry}
            self._identity = sha256_bytes(
                canonical_json({"url": self.url, "model": identity, "api": self.api, "top_k": self.top_k})
            )
        return self._identity

    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Top-k next-token log-probs at every position of each text, as a local causal-LM teacher returns them."""
        rows = [self._score(text) for text in texts]
        width = max((len(ids) for ids, _ in rows), default=0)
        n, k = len(texts), self.top_k
        out = {
            "input_ids": np.zeros((n, width), dtype=np.int64),
            "attention_mask": np.zeros((n, width), dtype=np.int8),
            "topk_ids": np.zeros((n, width, k), dtype=np.int64),
            "topk_logprobs": np.full((n, width, k), -np.inf, dtype=np.float32),
        }
        for row, (ids, tops) in enumerate(rows):
            out["input_ids"][row, : len(ids)] = ids
            out["attention_mask"][row, : len(ids)] = 1
            for position, top in enumerate(tops):
                ranked = sorted(top.items(), key=lambda item: -item[1])[:k]
                out["topk_ids"][row, position, : len(ranked)] = [token for token, _ in ranked]
                out["topk_logprobs"][row, position, : len(ranked)] = [value for _, value in ranked]
        return out

    def generate(self, prompts: list[str], **options: Any) -> list[str]:
        max_tokens = int(options.get("max_tokens", options.get("max_new_tokens", 64)))
        if self.api == "chat":
            return [
                self._request(
                    "POST",
                    "/chat/completions",
                    {
                        "model": self.model,
                        "messages": [{"role": "user", "content": prompt}],
                        "max_tokens": max_tokens,
                        "temperature": 0,
                    },
                )["choices"][0]["message"]["content"]
                for prompt in prompts
            ]
        answer = self._request(
            "POST",
            "/completions",
            {
                "model": self.model,
                "prompt": list(prompts),
                "max_tokens": max_tokens,
                "temperature": 0,
            },
        )
        return [choice["text"] for choice in sorted(answer["choices"], key=lambda c: c["index"])]

    def _score(self, text: str) -> tuple[list[int], list[dict[int, float]]]:
        """Prompt token ids, and for each position the top-k log-probs of the token after it."""
        answer = self._request(
            "POST",
            "/completions",
            {
                "model": self.model,
                "prompt": text,
                "max_tokens": 1,
                "temperature": 0,
                "echo": True,
                "logprobs": self.top_k,
                "return_tokens_as_token_ids": True,
            },
        )
        logprobs = answer["choices"][0].get("logprobs") or {}
        tokens, tops = logprobs.get("tokens"), logprobs.get("top_logprobs")
        if not tokens or tops is None or len(tokens) != len(tops) or len(tokens) < 2:
            raise EndpointError(
                f"the endpoint {self.url} returned no prompt log-probs; it must support echo with logprobs (vLLM does)"
            )
        # echo returns the distribution *for* each token; a cached teacher row holds the one *after* it
        ids = [_token_id(t) for t in tokens[:-1]]
        following = [{_token_id(t): float(v) for t, v in top.items()} for top in tops[1:]]
        return ids, following

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:200]
            raise EndpointError(f"the teacher endpoint {self.url}{path} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise EndpointError(f"the teacher endpoint {self.url} cannot be reached: {exc}") from None


def _token_id(token: str) -> int:
    if not token.startswith("token_id:"):
        raise EndpointError(
            f"the endpoint returned token {token!r} as text; it must honour return_tokens_as_token_ids (vLLM does)"
        )
    return int(token.split(":", 1)[1])
