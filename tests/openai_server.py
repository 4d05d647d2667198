"""A real OpenAI-compatible HTTP server on loopback, serving a real (tiny) causal LM, as vLLM would.

It implements what the ``openai`` teacher uses: ``GET /v1/models``,
``POST /v1/completions`` (a prompt of text or of token ids, with ``echo``,
``logprobs`` and vLLM's ``return_tokens_as_token_ids``) and ``POST /v1/chat/completions`` (with
``logprobs``, ``top_logprobs`` and ``return_tokens_as_token_ids``, rendering
the messages with the tokenizer's chat template when it has one); greedy
decoding at temperature 0, else sampling with ``top_p`` and the request's
``seed``; the chosen tokens' own log-probs (``token_logprobs``, chat
``logprob``) are the model's, before temperature and top-p, as vLLM reports
them by default. ``requests`` keeps each POST's path and body, for tests that check what
the teacher sent. ``faults`` makes it answer the ways broken or differently built
servers do, so the teacher's errors are tested against real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import torch

# Words of the toy vocabulary and its special tokens, so a templated prompt has no unknown tokens.
CHAT_TEMPLATE = (
    "{% for message in messages %}[CLS] {{ message['content'] }} [SEP] {% endfor %}"
    "{% if add_generation_prompt %}[MASK]{% endif %}"
)
FAULTS = {
    "http-500": "every POST answers 500, as a server out of memory does",
    "not-json": "every POST answers 200 with an HTML page",
    "echo-422": "every POST answers 422 quoting the request's input, as FastAPI's validation errors do",
    "no-logprobs": "answers carry no logprobs, as a server that ignores the parameter",
    "legacy-top-logprobs": "chat top_logprobs as the completions API's {token: logprob} object, not a list",
    "text-tokens": "tokens as text, ignoring return_tokens_as_token_ids, as TGI does",
    "positive-logprobs": "chat log-probs above zero",
}


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model_dir: Path, name: str) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__(("127.0.0.1", 0), Handler)
        self.name = name
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.lock = threading.Lock()
        self.faults: set[str] = set()
        self.requests: list[tuple[str, dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def greedy(self, ids: list[int], max_tokens: int, sampling: dict | None = None) -> tuple[list[int], torch.Tensor]:
        """The continuation, greedy or sampled as ``sampling`` (the request) asks, and the model's log-probs
        after every position of prompt + continuation."""
        sampling = sampling or {}
        temperature = float(sampling.get("temperature") or 0)
        generator = torch.Generator().manual_seed(int(sampling.get("seed") or 0))
        with self.lock, torch.no_grad():
            generated: list[int] = []
            for _ in range(max_tokens):
                logits = self.model(input_ids=torch.tensor([ids + generated])).logits[0, -1]
                if temperature > 0:
                    generated.append(_sample(logits / temperature, float(sampling.get("top_p", 1.0)), generator))
                else:
                    generated.append(int(logits.argmax()))
            logprobs = torch.log_softmax(self.model(input_ids=torch.tensor([ids + generated])).logits[0], dim=-1)
        return generated, logprobs

    def token(self, token_id: int, as_ids: bool) -> str:
        return f"token_id:{token_id}" if as_ids else self.tokenizer.convert_ids_to_tokens(token_id)

    def complete(self, prompt: str | list[int], max_tokens: int, top_k: int | None, echo: bool, as_ids: bool,
                 sampling: dict | None = None) -> dict:
        ids = self.tokenizer(prompt)["input_ids"] if isinstance(prompt, str) else list(prompt)
        generated, logprobs = self.greedy(ids, max_tokens, sampling)
        choice = {"text": self.tokenizer.decode(generated, skip_special_tokens=True), "finish_reason": "length"}
        if top_k:
            shown = (ids if echo else []) + generated
            first = 0 if echo else len(ids)
            tops = [
                None
                if first + p == 0
                else {
                    self.token(int(i), as_ids): float(v)
                    for v, i in zip(*logprobs[first + p - 1].topk(top_k), strict=True)
                }
                for p in range(len(shown))
            ]
            chosen = [None if first + p == 0 else float(logprobs[first + p - 1, token]) for p, token in enumerate(shown)]
            choice["logprobs"] = {"tokens": [self.token(i, as_ids) for i in shown], "token_logprobs": chosen,
                                  "top_logprobs": tops}
        return choice

    def chat(self, messages: list[dict], max_tokens: int, top_k: int | None, as_ids: bool,
             sampling: dict | None = None) -> dict:
        if self.tokenizer.chat_template:
            ids = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=False
            )
        else:  # as servers without a template did: the contents, one per line
            ids = self.tokenizer("\n".join(m["content"] for m in messages))["input_ids"]
        generated, logprobs = self.greedy(ids, max_tokens, sampling)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": self.tokenizer.decode(generated, skip_special_tokens=True)},
            "logprobs": None,
            "finish_reason": "length",
        }
        if top_k is not None:
            content = []
            for p, token in enumerate(generated):
                after = logprobs[len(ids) + p - 1]
                values, indices = after.topk(top_k)
                content.append(
                    {
                        "token": self.token(token, as_ids),
                        "logprob": float(after[token]),
                        "bytes": None,
                        "top_logprobs": [
                            {"token": self.token(int(i), as_ids), "logprob": float(v), "bytes": None}
                            for v, i in zip(values, indices, strict=True)
                        ],
                    }
                )
            choice["logprobs"] = {"content": content}
        usage = {"prompt_tokens": len(ids), "completion_tokens": len(generated)}
        usage["total_tokens"] = len(ids) + len(generated)
        return {"object": "chat.completion", "model": self.name, "choices": [choice], "usage": usage}


class Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            return self._send(404, {"error": "not found"})
        self._send(
            200,
            {
                "object": "list",
                "data": [
                    {
                        "id": self.server.name,
                        "object": "model",
                        "created": int(time.time()),
                        "owned_by": "tests",
                        "root": self.server.name,
                        "max_model_len": 64,
                    }
                ],
            },
        )

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        faults = self.server.faults
        if "http-500" in faults:
            return self._send(500, {"object": "error", "message": "CUDA out of memory", "code": 500})
        if "not-json" in faults:
            return self._send_bytes(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if "echo-422" in faults:
            echoed = body.get("messages") or body.get("prompt")
            return self._send(422, {"detail": [{"type": "value_error", "loc": ["body"], "input": echoed}]})
        if body.get("model") != self.server.name:
            return self._send(404, {"error": f"model {body.get('model')!r} not served"})
        as_ids = body.get("return_tokens_as_token_ids", False) and "text-tokens" not in faults
        if self.path == "/v1/completions":
            prompt = body["prompt"]
            # one text, one row of token ids, or a list of either (the OpenAI API's four prompt forms)
            one = isinstance(prompt, str) or (isinstance(prompt, list) and prompt and isinstance(prompt[0], int))
            prompts = [prompt] if one else prompt
            choices = [
                {
                    "index": i,
                    **self.server.complete(
                        p, body.get("max_tokens", 16), body.get("logprobs"), body.get("echo", False), as_ids, body
                    ),
                }
                for i, p in enumerate(prompts)
            ]
            if "no-logprobs" in faults:
                for choice in choices:
                    choice.pop("logprobs", None)
            return self._send(200, {"object": "text_completion", "model": self.server.name, "choices": choices})
        if self.path == "/v1/chat/completions":
            top_k = body.get("top_logprobs", 0) if body.get("logprobs") else None
            answer = self.server.chat(body["messages"], body.get("max_tokens", 16), top_k, as_ids, body)
            return self._send(200, _break(answer, faults))
        self._send(404, {"error": "not found"})

    def _send(self, status: int, payload: dict) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _sample(logits: torch.Tensor, top_p: float, generator: torch.Generator) -> int:
    """A token drawn from the smallest set of the most likely ones holding ``top_p`` of the mass."""
    probs = torch.softmax(logits.float(), dim=-1)
    ordered, order = probs.sort(descending=True)
    keep = (ordered.cumsum(0) - ordered) < top_p  # the first token is always kept
    ordered = ordered * keep
    return int(order[torch.multinomial(ordered / ordered.sum(), 1, generator=generator)])


def _break(answer: dict, faults: set[str]) -> dict:
    """A chat answer as a server with ``faults`` would give it."""
    content = (answer["choices"][0]["logprobs"] or {}).get("content") or []
    if "no-logprobs" in faults:
        answer["choices"][0]["logprobs"] = None
    if "legacy-top-logprobs" in faults:
        for entry in content:
            entry["top_logprobs"] = {t["token"]: t["logprob"] for t in entry["top_logprobs"]}
    if "positive-logprobs" in faults:
        for entry in content:
            entry["logprob"] = abs(entry["logprob"]) + 1.0
            for top in entry["top_logprobs"]:
                top["logprob"] = abs(top["logprob"]) + 1.0
    return answer


def serve(model_dir: Path, name: str = "tiny-llama") -> ModelServer:
    server = ModelServer(model_dir, name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def add_chat_template(model_dir: Path, template: str = CHAT_TEMPLATE) -> Path:
    """Give the model directory's tokenizer a chat template, as a chat model ships with one."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = template
    tokenizer.save_pretrained(model_dir)
    return Path(model_dir)
