"""The student as one GGUF file, for llama.cpp-based runtimes on a device, checked by reading it back.

Written with the ``gguf`` package's own ``GGUFWriter`` and tensor-name map
(the library llama.cpp's converter uses), for Llama-family students only
(``LlamaForCausalLM``: what a pruned SmolLM2 or Llama copy is): ``dtype: f16``
(the default, half the bytes) or ``f32``. The query and key projections are
permuted into llama.cpp's rotary layout as its converter does; norms stay F32;
a tied output layer is left out (llama.cpp reuses the embedding). The
tokenizer goes in as metadata: byte-level BPE (GPT-2 style: SmolLM2, Llama 3)
with its merges, special token ids and chat template, through ``gguf``'s
``BpeVocab`` and ``SpecialVocab``; other tokenizer kinds are refused.

The check: transformers loads the file back (``from_pretrained(dir,
gguf_file=...)``) and scores the check texts (up to 8 of the evaluation texts)
as ``student.predict`` does: the top-k next-token log-probs at every position
must agree with the student's within ``tolerance`` nats (1e-4 for f32, which
reads back exact; 5e-2 for f16, whose weights keep 11 significant bits: a
10-block SmolLM2 student read back within 0.018), the next token at 99.5% of
the positions, and the reloaded vocabulary must be the student's; a file that
fails is deleted. ``export_check.json`` holds the figures, with how many check
texts the reloaded tokenizer splits as the student's does (transformers
rebuilds some pre-tokenizers only approximately: reported, not gated).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stillroom import hookimpl
from stillroom.components import Exporter, Student
from stillroom.errors import ConfigError
from stillroom.plugins.exporters.checks import ExportCheckFailed, agreement, check_texts, require

MODEL = "student.gguf"
REPORT = "export_check.json"
DTYPES = ("f16", "f32")
TOLERANCE = {"f32": 1e-4, "f16": 5e-2}  # nats, on the top-k next-token log-probs
MIN_AGREEMENT = 0.995
CHECK_TEXTS = 8
# llama.cpp's name for how a byte-level BPE splits text before merging, from the tokenizer.json pre-tokenizer
PRE_TOKENIZERS = {("ByteLevel",): "gpt-2", ("Digits", "ByteLevel"): "smollm"}


@hookimpl
def register_exporters(register):
    register(GGUFExporter)


class GGUFExporter(Exporter):
    name = "gguf"
    accepts = frozenset({"dtype", "tolerance"})
    description = "GGUF (f16 or f32) for llama.cpp runtimes, Llama-family students; logits re-checked in transformers."
    tasks = ("causal-lm",)
    default = False  # opt-in: only Llama-family students can be written, and a pipeline asks for it by name

    def export(self, student: Student, dest: Path, texts: Sequence[str] | None = None) -> list[Path]:
        dtype = self.options.get("dtype", "f16")
        if dtype not in DTYPES:
            raise ConfigError(f"exporter gguf: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        tolerance = self.options.get("tolerance", TOLERANCE[dtype])
        if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not 0 < tolerance < 1:
            raise ConfigError(f"exporter gguf: tolerance must be a number between 0 and 1, got {tolerance!r}")
        sample = check_texts(student, texts)[:CHECK_TEXTS]
        check_llama(student.net.backbone.config)  # type: ignore[attr-defined]  # (HFStudent's) refused before anything is written
        pre_tokenizer(student.tokenizer)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / MODEL
        try:
            write_gguf(student.net.backbone, student.tokenizer, path, dtype)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
            report = check_gguf(student, path, texts=sample) | {"dtype": dtype, "tolerance": tolerance,
                                                                 "bytes": path.stat().st_size}
            # the report stays, the evidence of a failed check; the model that failed it does not
            (dest / REPORT).write_text(json.dumps(report, indent=2) + "\n")
            judge(report, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return sorted(p for p in dest.rglob("*") if p.is_file())


def judge(report: dict, path: Path) -> None:
    """Raise ExportCheckFailed unless the reloaded file has the student's vocabulary and, within tolerance, logits."""
    if not report["vocabulary_matches"]:
        raise ExportCheckFailed(f"the GGUF export {path} reads back with another vocabulary than the student's")
    if not report["max_logprob_difference"] <= report["tolerance"]:
        raise ExportCheckFailed(
            f"the GGUF export {path} reads back with next-token log-probs up to {report['max_logprob_difference']:.2e}"
            f" nats from the student's, beyond the tolerance {report['tolerance']:.0e}; do not ship it")
    require(f"the GGUF export {path}", "causal-lm", report["agreement"], MIN_AGREEMENT,
            "the written weights do not compute what the student does; do not ship it")


def write_gguf(model, tokenizer, path: Path, dtype: str) -> Path:
    """Write a Llama-family ``model`` and its byte-level BPE ``tokenizer`` as one GGUF file."""
    import gguf
    import torch

    config = model.config
    check_llama(config)
    pre = pre_tokenizer(tokenizer)
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    rope = getattr(config, "rope_parameters", None) or {"rope_theta": getattr(config, "rope_theta", 10000.0)}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("stillroom student")
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(rope["rope_theta"]))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32)
    _add_tokenizer(writer, tokenizer, pre, config.vocab_size)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    tied = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    for name, tensor in model.state_dict().items():
        if tied and name == "lm_head.weight" or name.endswith("rotary_emb.inv_freq"):
            continue
        target = names.get_name(name, try_suffixes=(".weight",))
        if target is None:
            raise ConfigError(f"exporter gguf: the student has a tensor {name!r} the llama GGUF layout has no "
                              "place for")
        data = tensor.detach().to(device="cpu", dtype=torch.float32).numpy()
        if name.endswith("self_attn.q_proj.weight"):
            data = rotary_layout(data, heads)
        elif name.endswith("self_attn.k_proj.weight"):
            data = rotary_layout(data, kv_heads)
        keep_f32 = dtype == "f32" or data.ndim == 1  # llama.cpp keeps norm vectors in F32
        writer.add_tensor(target, data if keep_f32 else data.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def check_llama(config) -> None:
    """Refuse, in one sentence, a model this writer cannot express."""
    if getattr(config, "model_type", None) != "llama":
        raise ConfigError(f"exporter gguf writes Llama-family students (LlamaForCausalLM); this student is a "
                          f"{getattr(config, 'model_type', type(config).__name__)!r} model: use the hf or onnx "
                          "exporter")
    extras = [key for key in ("attention_bias", "mlp_bias") if getattr(config, key, False)]
    # transformers 5 names it rope_parameters (rope_scaling is an alias of it); 4.x had rope_scaling alone
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    if rope.get("rope_type", rope.get("type", "default")) != "default":
        extras.append("rope scaling")
    if extras:
        raise ConfigError(f"exporter gguf writes plain Llama blocks; this student has {', '.join(extras)}, which it "
                          "does not carry: use the hf or onnx exporter")


def rotary_layout(weights: np.ndarray, heads: int) -> np.ndarray:
    """Hugging Face's rotary half-split layout of a query or key projection, reordered into llama.cpp's
    interleaved one (``LlamaModel.permute`` in llama.cpp's convert_hf_to_gguf.py; transformers undoes it)."""
    return (weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def pre_tokenizer(tokenizer) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer; a ConfigError for a tokenizer GGUF cannot describe."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    spec = json.loads(backend.to_str()) if backend is not None else {}
    model, pre = spec.get("model") or {}, spec.get("pre_tokenizer") or {}
    steps = tuple(p["type"] for p in pre.get("pretokenizers", [])) if pre.get("type") == "Sequence" else \
        (pre.get("type"),)
    if model.get("type") != "BPE" or steps not in PRE_TOKENIZERS:
        raise ConfigError(f"exporter gguf writes byte-level BPE tokenizers (GPT-2 style, as SmolLM2 and Llama 3 "
                          f"have); this student's is a {model.get('type', type(tokenizer).__name__)} tokenizer with "
                          f"pre-tokenizer {'+'.join(s or 'none' for s in steps)}")
    return PRE_TOKENIZERS[steps]


def _add_tokenizer(writer, tokenizer, pre: str, vocab_size: int) -> None:
    from gguf import TokenType
    from gguf.vocab import BpeVocab, SpecialVocab

    with tempfile.TemporaryDirectory() as directory:
        tokenizer.save_pretrained(directory)
        vocab = BpeVocab(Path(directory))
        tokens, types = [], []
        for text, _score, kind in vocab.all_tokens():
            tokens.append(text)
            types.append(kind)
        if len(tokens) > vocab_size:
            raise ConfigError(f"exporter gguf: the tokenizer has {len(tokens)} tokens, more than the model's "
                              f"{vocab_size} embeddings")
        # ids the tokenizer never assigns still have embedding rows: llama.cpp wants one token per row
        for index in range(len(tokens), vocab_size):
            tokens.append(f"[PAD{index}]".encode())  # the writer encodes every token as UTF-8
            types.append(TokenType.UNUSED)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        SpecialVocab(directory, load_merges=True, n_vocab=vocab_size).add_to_gguf(writer, quiet=True)


def check_gguf(student: Student, path: Path, texts: list[str]) -> dict:
    """Reload ``path`` with transformers and compare its top-k next-token log-probs with ``student.predict``'s."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from stillroom.plugins.topk import topk_outputs

    reloaded = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    expected = student.predict(texts)
    actual = topk_outputs(lambda ids, mask: reloaded(input_ids=ids, attention_mask=mask).logits, student.tokenizer,  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
                          texts, max_length=student.max_length, top_k=expected["topk_ids"].shape[-1], batch_size=8,  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
                          device=torch.device("cpu"))
    report = agreement("causal-lm", expected, actual)
    real = expected["attention_mask"].astype(bool)
    same = expected["topk_ids"][real] == actual["topk_ids"][real]
    gaps = np.abs(expected["topk_logprobs"][real] - actual["topk_logprobs"][real])[same]
    split_alike = sum(tokenizer(t)["input_ids"] == student.tokenizer(t)["input_ids"] for t in texts)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    return report | {
        "texts": len(texts), "max_logprob_difference": float(gaps.max()) if gaps.size else float("inf"),
        "texts_tokenized_alike": int(split_alike),
        # the file pads the vocabulary to the embedding rows; the student's own ids must read back as they were
        "vocabulary_matches": {t: i for t, i in tokenizer.get_vocab().items() if i < len(student.tokenizer)}  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        == student.tokenizer.get_vocab(),  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    }
