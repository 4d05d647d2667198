"""Tiny real transformers, built from configs, and a toy intent task they can learn in seconds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import torch

# One thread: the test machines share two cores, and torch's thread pool spinning against
# other processes made tiny models 25x slower; one thread is also bit-for-bit repeatable.
torch.set_num_threads(1)

INTENTS = {
    "card_arrival": [
        "my card has not arrived",
        "where is my new card",
        "card still not here",
        "when will the card arrive",
    ],
    "transfer": [
        "send money to my friend",
        "the transfer failed",
        "how long does a transfer take",
        "move money abroad",
    ],
    "pin": ["i forgot my pin", "change my pin please", "my pin is blocked", "reset the pin code"],
}
FILLER = ["please", "help", "today", "now", "again", "urgently", "quickly", "thanks"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# In the vocabulary, never in the toy texts: what vocabulary pruning should drop.
UNUSED = ["loan", "mortgage", "crypto", "exchange", "rate", "fee", "statement", "overdraft"]
# What canaries are made of (their prefixes and digit secrets).
CANARY_WORDS = ["account", "number", "is", "customer", "reference", "security", "code"] + list("0123456789")


def vocabulary() -> list[str]:
    words = (
        {w for phrases in INTENTS.values() for p in phrases for w in p.split()}
        | set(FILLER)
        | set(UNUSED)
        | set(CANARY_WORDS)
    )
    return SPECIAL + sorted(words)


def toy_split(n: int, seed: int) -> tuple[list[str], list[int]]:
    """Texts whose intent is in their words, with filler so no two are alike."""
    rng = random.Random(seed)
    names = list(INTENTS)
    texts, labels = [], []
    for i in range(n):
        label = i % len(names)
        words = rng.choice(INTENTS[names[label]]).split()
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(FILLER))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def tokenizer():
    from transformers import BertTokenizer

    return BertTokenizer(vocab={w: i for i, w in enumerate(vocabulary())})


def bert_config(**overrides):
    from transformers import BertConfig

    settings = dict(
        vocab_size=len(vocabulary()),
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return BertConfig(**(settings | overrides))


def classifier_dir(directory: Path, seed: int = 0) -> Path:
    """A randomly initialised BERT classifier over the toy intents, saved as a Hugging Face directory."""
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    names = list(INTENTS)
    config = bert_config(
        num_labels=len(names), id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)}
    )
    model = BertForSequenceClassification(config)
    model.config.architectures = ["BertForSequenceClassification"]
    model.save_pretrained(directory)
    tokenizer().save_pretrained(directory)
    return Path(directory)


def encoder_dir(directory: Path, seed: int = 0, hidden_size: int = 32) -> Path:
    """A bare BERT encoder with sentence-transformers pooling files (mean, normalised)."""
    from transformers import BertModel

    torch.manual_seed(seed)
    model = BertModel(bert_config(hidden_size=hidden_size))
    model.config.architectures = ["BertModel"]
    model.save_pretrained(directory)
    tokenizer().save_pretrained(directory)
    (Path(directory) / "1_Pooling").mkdir(exist_ok=True)
    (Path(directory) / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": hidden_size, "pooling_mode_mean_tokens": True})
    )
    (Path(directory) / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ]
        )
    )
    return Path(directory)


def causal_dir(directory: Path, seed: int = 0) -> Path:
    """A tiny Llama-style decoder over the toy vocabulary."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    tok = tokenizer()
    config = LlamaConfig(
        vocab_size=len(vocabulary()),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.cls_token_id,
        eos_token_id=tok.sep_token_id,
    )
    model = LlamaForCausalLM(config)
    model.config.architectures = ["LlamaForCausalLM"]
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return Path(directory)


def byte_level_causal_dir(directory: Path, seed: int = 0, tied: bool = True) -> Path:
    """A tiny Llama with a byte-level BPE tokenizer (GPT-2 style, as SmolLM2's), trained here on the toy texts."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(toy_split(200, seed)[0] + vocabulary(), trainers.BpeTrainer(
        vocab_size=320, special_tokens=["<|endoftext|>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                  pad_token="<pad>")
    config = LlamaConfig(vocab_size=len(tok) + 3, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         tie_word_embeddings=tied)
    model = LlamaForCausalLM(config)
    model.config.architectures = ["LlamaForCausalLM"]
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return Path(directory)


def context(root: Path, **overrides):
    """A real workspace context on disk: an artifact store and a scratch directory, progress bars off."""
    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context

    settings = dict(
        workspace=Path(root),
        artifacts=ArtifactStore(Path(root) / "artifacts"),
        progress=False,
        scratch=Path(root) / "scratch",
        device="cpu",
    )
    return Context(**(settings | overrides))


def toy_dataset(n_train: int = 240, n_val: int = 45, n_test: int = 60):
    from stillroom.components import Dataset, Split

    train, validation, test = toy_split(n_train, 1), toy_split(n_val, 2), toy_split(n_test, 3)
    return Dataset(Split(*train), Split(*validation), Split(*test), list(INTENTS))


def trained_teacher(root: Path, data, ctx):
    """A tiny classifier fine-tuned on the toy intents (labels only), saved and loaded as an ``hf`` teacher."""
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    ctx.teacher = HFTeacher({"path": str(classifier_dir(Path(root) / "random-teacher"))}, ctx)
    spec = {"method": "labels", "epochs": 10, "lr": 5e-3, "batch_size": 16}
    student = LogitKDTrainer({}, ctx).train(spec, data, {}, ctx)
    student.save(Path(root) / "teacher")
    teacher = HFTeacher({"path": str(Path(root) / "teacher"), "task": "classification"}, ctx)
    ctx.teacher = teacher
    return teacher


def embedding_kd_setup(root: Path, **context_overrides):
    """A 48-wide encoder teacher with its cached outputs, and a 32-wide student spec: embedding KD through a projection."""
    from stillroom.labels import label_outputs
    from stillroom.plugins.teachers.hf import HFTeacher

    ctx = context(root, **context_overrides)
    data = toy_dataset()
    ctx.teacher = HFTeacher({"path": str(encoder_dir(Path(root) / "enc", hidden_size=48)), "task": "embedding"}, ctx)
    outputs = {s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")}
    spec = {
        "init": "config",
        "config": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
        "lr": 3e-3,
        "batch_size": 16,
    }
    return ctx, data, outputs, spec

