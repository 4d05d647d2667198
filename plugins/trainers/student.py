"""The student as a trainer returns it: a Hugging Face backbone, its tokenizer, and the task head.

``StudentNet`` maps ``(input_ids, attention_mask)`` to the task's output
(logits, or pooled embeddings), so training, evaluation and ONNX export all
see the same two-input function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from stillroom.components import Student
from stillroom.errors import ConfigError
from stillroom.plugins.pooling import pool
from stillroom.plugins.topk import topk_outputs

if TYPE_CHECKING:
    from transformers import PreTrainedModel

MANIFEST = "stillroom_student.json"
PROJECTION = "projection.safetensors"


class StudentNet(nn.Module):
    def __init__(
        self,
        backbone: PreTrainedModel,
        task: str,
        pooling: str = "mean",
        normalize: bool = True,
        projection: nn.Linear | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.task = task
        self.pooling = pooling
        self.normalize = normalize
        self.projection = projection

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        output = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        if self.task != "embedding":
            return output.logits
        pooled = pool(output.last_hidden_state, attention_mask, self.pooling, normalize=False)
        if self.projection is not None:
            pooled = self.projection(pooled)
        return nn.functional.normalize(pooled, p=2, dim=-1) if self.normalize else pooled


class HFStudent(Student):
    def __init__(
        self,
        net: StudentNet,
        tokenizer: Any,
        *,
        max_length: int = 128,
        label_names: list[str] | None = None,
        device: torch.device | str = "cpu",
        batch_size: int = 64,
    ) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.task = net.task
        self.max_length = max_length
        self.label_names = label_names
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.history: list[dict[str, Any]] = []  # per-epoch training metrics, set by the trainer
        self.kept: dict[str, Any] = {}  # which epoch's weights these are and by what score, set by the trainer
        self.reference_texts: list[str] = []  # a validation sample exporters can re-check on
        self.teacher_layers: list[int] | None = None  # the teacher block each student block was copied from
        self.width_pruning: dict[str, Any] | None = None  # MLP neurons kept and what measured them (.width)
        self.search: dict[str, Any] | None = None  # the trials and the choice, when student.search tuned it
        self.layer_importance: dict[str, Any] | None = None  # how the teacher's layers were chosen by importance

    @property
    def output_key(self) -> str:
        return "embeddings" if self.task == "embedding" else "logits"

    top_k: int = 20  # causal-LM students report top-k log-probs, as their teacher does

    def encode(self, texts: list[str], return_tensors: str = "pt") -> dict[str, Any]:
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors=return_tensors
        )
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        was_training = self.net.training
        self.net.eval()
        if self.task == "causal-lm":
            try:
                return topk_outputs(
                    self.net,
                    self.tokenizer,
                    texts,
                    max_length=self.max_length,
                    top_k=self.top_k,
                    batch_size=self.batch_size,
                    device=self.device,
                )
            finally:
                self.net.train(was_training)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = []
        try:
            with torch.no_grad():
                for start in range(0, len(order), self.batch_size):
                    batch = order[start : start + self.batch_size]
                    encoded = {k: v.to(self.device) for k, v in self.encode([texts[i] for i in batch]).items()}
                    chunks.append((batch, self.net(**encoded).float().cpu().numpy()))
        finally:
            self.net.train(was_training)
        if not chunks:
            return {self.output_key: np.zeros((0, 0), dtype=np.float32)}
        result = np.empty((len(texts), chunks[0][1].shape[1]), dtype=np.float32)
        for batch, values in chunks:
            result[batch] = values
        return {self.output_key: result}

    def save(self, directory: Path) -> list[Path]:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.net.backbone.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        manifest = {"task": self.task, "max_length": self.max_length, "label_names": self.label_names}
        if self.task == "embedding":
            manifest |= {"pooling": self.net.pooling, "normalize": self.net.normalize}
            if self.net.projection is not None:
                state = {k: v.detach().cpu().contiguous() for k, v in self.net.projection.state_dict().items()}
                save_file(state, directory / PROJECTION)
            _write_sentence_transformers_modules(directory, self.net.pooling, self.net.normalize, self.net.projection)
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        return sorted(p for p in directory.rglob("*") if p.is_file())

    def num_parameters(self) -> int:
        """Parameters the deployed student computes with; training-only heads do not count."""
        modules = [self.net.backbone] + ([self.net.projection] if self.net.projection is not None else [])
        return sum(p.numel() for m in modules for p in m.parameters())


def load_student(directory: Path, device: torch.device | str = "cpu") -> HFStudent:
    """A student written by ``HFStudent.save``, ready to predict."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        raise ConfigError(f"{directory} is not a Stillroom student directory (no {MANIFEST})")
    manifest = json.loads((directory / MANIFEST).read_text())
    task = manifest["task"]
    backbone = auto_class(task).from_pretrained(directory, dtype=torch.float32)
    projection = None
    if (directory / PROJECTION).is_file():
        state = load_file(directory / PROJECTION)
        out_features, in_features = state["weight"].shape
        projection = nn.Linear(in_features, out_features)
        projection.load_state_dict(state)
    net = StudentNet(backbone, task, manifest.get("pooling", "mean"), manifest.get("normalize", True), projection)
    net.to(device).eval()
    return HFStudent(
        net,
        AutoTokenizer.from_pretrained(directory),
        max_length=manifest["max_length"],
        label_names=manifest.get("label_names"),
        device=device,
    )


def auto_class(task: str):
    """The transformers auto class that loads a model for ``task``."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSequenceClassification

    return {"embedding": AutoModel, "causal-lm": AutoModelForCausalLM}.get(task, AutoModelForSequenceClassification)


def _write_sentence_transformers_modules(directory: Path, pooling: str, normalize: bool,
                                        projection: nn.Linear | None) -> None:
    """So the directory also loads as a sentence-transformers model, or as the next round's teacher.

    A projection head becomes its ``Dense`` module (identity activation, as ``StudentNet`` applies it),
    between pooling and normalisation, so both load paths compute the same embedding.
    """
    from safetensors.torch import save_file

    width = json.loads((directory / "config.json").read_text())["hidden_size"]
    (directory / "1_Pooling").mkdir(exist_ok=True)
    (directory / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": width,
                "pooling_mode_cls_token": pooling == "cls",
                "pooling_mode_mean_tokens": pooling == "mean",
            },
            indent=2,
        )
        + "\n"
    )
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if projection is not None:
        dense = directory / "2_Dense"
        dense.mkdir(exist_ok=True)
        (dense / "config.json").write_text(json.dumps(
            {"in_features": projection.in_features, "out_features": projection.out_features,
             "bias": projection.bias is not None, "activation_function": "torch.nn.modules.linear.Identity"},
            indent=2) + "\n")
        save_file({f"linear.{k}": v.detach().cpu().contiguous() for k, v in projection.state_dict().items()},
                  dense / "model.safetensors")
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    if normalize:
        modules.append({"idx": len(modules), "name": str(len(modules)), "path": f"{len(modules)}_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
    (directory / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
