"""Text augmentation for classifier teachers (TinyBERT-style): word replacement and span operations.

Two kinds of generator live here. ``augmenter`` makes label-keeping variants
for rebalancing (the record's label is copied: use it only where that is the
intent). ``transferer`` makes the *transfer set* (``curate.transfer``): new
inputs whose label is removed, so the teacher labels every one of them
(``stillroom.curate`` does that, through the label cache); its edits are
nearest-neighbour word swaps in the teacher's own embedding table and span
masking and replacement, or a generative teacher's rewrite (``paraphraser``).
``writer`` has a generative teacher write new inputs from seed records
(``curate.write``), sampled, never greedy, so several variants of one seed
differ; the task teacher labels them too.

``augmenter(...)`` returns a ``generate`` callable for ``stillroom.curate.curate``:
given seed records and a count, it makes that many variants of each, keeping
the label and slices. Replacement words come from the training vocabulary of
the same label, so a variant stays on topic; placeholders such as
``<PERSON>`` are never touched. The same seed gives the same variants.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stillroom.components import Record
from stillroom.errors import ConfigError

TOKEN = re.compile(r"<[A-Z_]+(?:_[a-z]+)?>|\w+|[^\w\s]")
PROTECTED = re.compile(r"<[A-Z_]+(?:_[a-z]+)?>|[^\w\s]")
METHODS = ("replace", "delete", "swap")


def augmenter(
    records: Sequence[Record], *, text_field: str, label_field: str | None, methods: Sequence[str] = METHODS, seed: int = 0
) -> Callable[[list[Record], int], list[Record]]:
    vocab: dict[object, list[str]] = {}
    for record in records:
        words = [w for w in TOKEN.findall(str(record[text_field])) if not PROTECTED.fullmatch(w) and len(w) > 2]
        vocab.setdefault(record.get(label_field) if label_field else None, []).extend(w.lower() for w in words)

    def generate(seeds: list[Record], per_record: int) -> list[Record]:
        out = []
        for seed_record in seeds:
            rng = random.Random(f"{seed}:{seed_record[text_field]}")
            pool = vocab.get(seed_record.get(label_field) if label_field else None) or [w for ws in vocab.values() for w in ws]
            for _ in range(per_record):
                tokens = TOKEN.findall(str(seed_record[text_field]))
                tokens = _apply(rng.choice(list(methods)), tokens, pool, rng)
                out.append({**seed_record, text_field: _join(tokens)})
        return out

    return generate


def _apply(method: str, tokens: list[str], pool: list[str], rng: random.Random) -> list[str]:
    editable = [i for i, t in enumerate(tokens) if not PROTECTED.fullmatch(t)]
    if len(editable) < 2:
        return tokens
    if method == "replace" and pool:
        for i in rng.sample(editable, max(1, len(editable) // 5)):
            tokens[i] = rng.choice(pool)
    elif method == "delete":
        start = rng.randrange(len(editable) - 1)
        gone = set(editable[start : start + rng.randint(1, 2)])
        tokens = [t for i, t in enumerate(tokens) if i not in gone]
    elif method == "swap":
        a, b = rng.sample(editable, 2)
        tokens[a], tokens[b] = tokens[b], tokens[a]
    return tokens


def _join(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        text += token if not text or re.fullmatch(r"[^\w\s<]", token) else " " + token
    return text


# -- the transfer set: new inputs for the teacher to label ----------------------------------------------

TRANSFER_METHODS = ("neighbours", "span", "paraphrase")
WORD = re.compile(r"[a-z]{3,}")  # whole-word entries of a subword vocabulary worth swapping
Rewrite = Callable[[list[str]], list[str]]  # texts -> a rewrite of each, in order ("" where none was written)


def transferer(teacher: Any, records: Sequence[Record], *, text_field: str, label_field: str | None,
               methods: Sequence[str], neighbours: int = 8, seed: int = 0,
               paraphrase: Rewrite | None = None) -> Callable[[list[Record], int], list[Record]]:
    """The transfer-set generator for ``teacher``: word swaps come from its embedding table.

    ``paraphrase`` rewrites, for ``methods: [paraphrase]``; a generative teacher's
    ``paraphraser`` makes one, and without it the method is refused.
    """
    table = None
    if "neighbours" in methods:
        words, vectors = teacher_word_table(teacher)
        corpus = sorted({w.lower() for r in records for w in TOKEN.findall(str(r[text_field])) if WORD.fullmatch(w.lower())})
        table = word_neighbours(corpus, words, vectors, neighbours)
    pool = sorted({w.lower() for r in records for w in TOKEN.findall(str(r[text_field])) if WORD.fullmatch(w.lower())})
    return transfer_generator(text_field=text_field, label_field=label_field, methods=methods,
                              neighbours=table or {}, pool=pool, seed=seed, paraphrase=paraphrase)


def teacher_word_table(teacher: Any):
    """The whole-word entries of a local teacher's vocabulary and their rows of its input embedding table."""
    import numpy as np

    model: Any = getattr(teacher, "model", None)
    tokenizer: Any = getattr(teacher, "tokenizer", None)
    if not hasattr(model, "get_input_embeddings") or not hasattr(tokenizer, "get_vocab"):
        where = teacher.location() if hasattr(teacher, "location") else "elsewhere"
        raise ConfigError(f"curate.transfer method neighbours needs a local teacher's embedding table, and teacher "
                          f"{getattr(teacher, 'name', '?')!r} at {where} is not a model in this process; use span")
    vocab = tokenizer.get_vocab()
    words = sorted(w for w in vocab if WORD.fullmatch(w))
    weights = model.get_input_embeddings().weight.detach().float().cpu().numpy()
    return words, weights[np.asarray([vocab[w] for w in words], dtype=int)]


def word_neighbours(words: Sequence[str], vocab: Sequence[str], vectors, k: int) -> dict[str, list[str]]:
    """For each of ``words`` found in ``vocab``, its ``k`` nearest other vocabulary words by cosine of ``vectors``."""
    import numpy as np

    position = {w: i for i, w in enumerate(vocab)}
    present = [w for w in words if w in position]
    k = min(k, len(vocab) - 1)
    if not present or k < 1:
        return {}
    unit = np.asarray(vectors, dtype=np.float32)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    out: dict[str, list[str]] = {}
    for start in range(0, len(present), 512):
        chunk = present[start : start + 512]
        rows = np.asarray([position[w] for w in chunk])
        sims = unit[rows] @ unit.T
        sims[np.arange(len(chunk)), rows] = -np.inf  # a word is not its own neighbour
        best = np.argpartition(-sims, k, axis=1)[:, :k]
        for word, row, cand in zip(chunk, sims, best, strict=True):
            out[word] = [vocab[j] for j in cand[np.argsort(-row[cand])]]
    return out


def transfer_generator(*, text_field: str, label_field: str | None, methods: Sequence[str],
                       neighbours: Mapping[str, Sequence[str]], pool: Sequence[str], seed: int = 0,
                       swap_rate: float = 0.3, paraphrase: Rewrite | None = None
                       ) -> Callable[[list[Record], int], list[Record]]:
    """``generate(seeds, per_record)``: ``per_record`` edited copies of each seed, each *without* its label.

    Each copy's method is drawn from ``methods``. ``neighbours`` swaps about
    ``swap_rate`` of the words that have neighbours for one of them; ``span``
    masks a span of one to three words and either drops it or replaces it with
    words from ``pool``; ``paraphrase`` has ``paraphrase`` rewrite the seed's text
    (all such copies in one call, so a generative teacher batches them).
    The edits never touch placeholders such as ``<PERSON>`` or punctuation; a
    rewrite may (the curation funnel scrubs it again). The same seed gives the
    same variants.
    """
    unknown = sorted(set(methods) - set(TRANSFER_METHODS))
    if unknown or not methods:
        raise ConfigError(f"curate.transfer.methods must name some of {', '.join(TRANSFER_METHODS)}, got "
                          f"{list(methods)!r}")
    if "paraphrase" in methods and paraphrase is None:
        raise ConfigError("curate.transfer.methods names paraphrase, which needs a generative teacher to rewrite "
                          "each input; name one in curate.transfer.paraphrase.teacher")

    def generate(seeds: list[Record], per_record: int) -> list[Record]:
        out: list[Record] = []
        rewrites: list[int] = []
        for seed_record in seeds:
            rng = random.Random(f"transfer:{seed}:{seed_record[text_field]}")
            base = {k: v for k, v in seed_record.items() if k != label_field}
            for _ in range(per_record):
                tokens = TOKEN.findall(str(seed_record[text_field]))
                method = rng.choice(list(methods))
                if method == "paraphrase":
                    rewrites.append(len(out))
                elif method == "neighbours":
                    tokens = _swap_neighbours(tokens, neighbours, rng, swap_rate)
                else:
                    tokens = _mask_span(tokens, pool, rng)
                out.append({**base, text_field: _join(tokens)})
        if rewrites and paraphrase is not None:
            for row, text in zip(rewrites, paraphrase([str(out[i][text_field]) for i in rewrites]), strict=True):
                out[row] = {**out[row], text_field: text}
        return out

    return generate


def _swap_neighbours(tokens: list[str], neighbours: Mapping[str, Sequence[str]], rng: random.Random,
                     rate: float) -> list[str]:
    swappable = [i for i, t in enumerate(tokens) if not PROTECTED.fullmatch(t) and neighbours.get(t.lower())]
    if not swappable:
        return tokens
    out = list(tokens)
    for i in rng.sample(swappable, max(1, round(rate * len(swappable)))):
        word = rng.choice(list(neighbours[tokens[i].lower()]))
        out[i] = word.capitalize() if tokens[i][:1].isupper() else word
    return out


def _mask_span(tokens: list[str], pool: Sequence[str], rng: random.Random) -> list[str]:
    editable = [i for i, t in enumerate(tokens) if not PROTECTED.fullmatch(t)]
    if len(editable) < 2:
        return tokens
    start = rng.randrange(len(editable))
    span = editable[start : start + rng.randint(1, 3)]
    if not pool or rng.random() < 0.5:  # masked out
        return [t for i, t in enumerate(tokens) if i not in set(span)]
    out = list(tokens)
    for i in span:  # masked and filled with words of the domain
        out[i] = rng.choice(list(pool))
    return out


# -- written by a generative teacher ---------------------------------------------------------------------

def writer(teacher: Any, *, text_field: str, label_field: str | None, options: Any,
           seed: int = 0) -> Callable[[list[Record], int], list[Record]]:
    """``generate(seeds, per_record)``: ``per_record`` texts the generative ``teacher`` samples from each seed's prompt.

    ``options`` is ``curate.write`` (prompt, temperature, top_p, max_new_tokens).
    Each written record keeps its seed's other fields (its slices) but not its
    label, which the task teacher gives it; its text is the first line written,
    possibly empty (the curation funnel drops those as ``empty_text``).
    """
    _require_causal_lm(teacher, "curate.write", "write")

    def generate(seeds: list[Record], per_record: int) -> list[Record]:
        prompts = [options.prompt.format(text=s[text_field]) for s in seeds for _ in range(per_record)]
        texts = teacher.generate(prompts, temperature=options.temperature, top_p=options.top_p,
                                 max_new_tokens=options.max_new_tokens, seed=seed) if prompts else []
        out = []
        for k, text in enumerate(texts):
            base = {f: v for f, v in seeds[k // per_record].items() if f != label_field}
            out.append({**base, text_field: first_line(text)})
        return out

    return generate


def paraphraser(teacher: Any, options: Any, seed: int = 0) -> Rewrite:
    """Rewrites by the generative ``teacher`` through ``options.prompts`` in turn (``curate.transfer.paraphrase``).

    Each prompt gets the first line the previous one wrote, so two prompts make a
    round trip; a text any prompt left empty stays empty (the funnel drops it as
    ``empty_text``). Sampled, so copies of one text differ; the same seed repeats.
    """
    _require_causal_lm(teacher, "curate.transfer.paraphrase", "rewrite")

    def rewrite(texts: list[str]) -> list[str]:
        texts = list(texts)
        for turn, prompt in enumerate(options.prompts):
            live = [i for i, text in enumerate(texts) if text]
            written = teacher.generate([prompt.format(text=texts[i]) for i in live], temperature=options.temperature,
                                       top_p=options.top_p, max_new_tokens=options.max_new_tokens,
                                       seed=seed + turn) if live else []
            for i, text in zip(live, written, strict=True):
                texts[i] = first_line(text)
        return texts

    return rewrite


def _require_causal_lm(teacher: Any, section: str, verb: str) -> None:
    if getattr(teacher, "task", None) != "causal-lm":
        raise ConfigError(f"{section} needs a generative (causal-LM) teacher to {verb} with, and teacher "
                          f"{getattr(teacher, 'name', '?')!r} is {getattr(teacher, 'task', 'not one')}")


def first_line(text: str) -> str:
    """The first non-blank line a writer produced, stripped: a sampled continuation runs on past one message."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
