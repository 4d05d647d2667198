"""A real OpenAI-compatible HTTP server on loopback, serving a real (tiny) causal LM, as vLLM would.

It implements what the ``openai`` teacher uses: ``GET /v1/models``,
``POST /v1/completions`` (with ``echo``, ``logprobs`` and vLLM's
``return_tokens_as_token_ids``) and ``POST /v1/chat/completions``; greedy decoding.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import torch


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model_dir: Path, name: str) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__(("127.0.0.1", 0), Handler)
        self.name = name
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def complete(self, prompt: str, max_tokens: int, top_k: int | None, echo: bool, as_ids: bool) -> dict:
        ids = self.tokenizer(prompt)["input_ids"]
        with self.lock, torch.no_grad():
            generated: list[int] = []
            for _ in range(max_tokens):
                logits = self.model(input_ids=torch.tensor([ids + generated])).logits[0]
                generated.append(int(logits[-1].argmax()))
            logprobs = torch.log_softmax(self.model(input_ids=torch.tensor([ids + generated])).logits[0], dim=-1)
        choice = {"text": self.tokenizer.decode(generated, skip_special_tokens=True), "finish_reason": "length"}
        if top_k:
            name = (lambda i: f"token_id:{i}") if as_ids else (lambda i: self.tokenizer.convert_ids_to_tokens(i))
            shown = (ids if echo else []) + generated
            first = 0 if echo else len(ids)
            tops = [
                None
                if first + p == 0
                else {name(int(i)): float(v) for v, i in zip(*logprobs[first + p - 1].topk(top_k), strict=True)}
                for p in range(len(shown))
            ]
            choice["logprobs"] = {"tokens": [name(i) for i in shown], "top_logprobs": tops}
        return choice


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
        if body.get("model") != self.server.name:
            return self._send(404, {"error": f"model {body.get('model')!r} not served"})
        if self.path == "/v1/completions":
            prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
            choices = [
                {
                    "index": i,
                    **self.server.complete(
                        p,
                        body.get("max_tokens", 16),
                        body.get("logprobs"),
                        body.get("echo", False),
                        body.get("return_tokens_as_token_ids", False),
                    ),
                }
                for i, p in enumerate(prompts)
            ]
            return self._send(200, {"object": "text_completion", "model": self.server.name, "choices": choices})
        if self.path == "/v1/chat/completions":
            prompt = "\n".join(m["content"] for m in body["messages"])
            text = self.server.complete(prompt, body.get("max_tokens", 16), None, False, False)["text"]
            return self._send(
                200,
                {
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
                    ],
                },
            )
        self._send(404, {"error": "not found"})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(model_dir: Path, name: str = "tiny-llama") -> ModelServer:
    server = ModelServer(model_dir, name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
