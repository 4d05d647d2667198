"""Seeded multi-locale labelled PII records (never committed; regenerate them).

    .venv/bin/python benchmarks/pii_heldout/generate.py --n 2000 --seed 20261202 --out /tmp/heldout.jsonl

Each record: ``{"id", "locale", "lang", "genre", "text", "spans": [{"type", "start", "end"}]}``
with gold spans exactly over the inserted values. About one record in five
is a negative sentence with no PII.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from faker import Faker

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pii_heldout import templates, values  # type: ignore[no-redef]
else:
    from . import templates, values

SLOT = re.compile(r"\{([A-Z_]+)\}")
REPORTED_SEED = 20261202
# Faker reads the clock (dates of birth, and the birth dates inside several countries' national IDs), so
# the set would change from day to day; it is generated as of this moment, whatever the date.
AS_OF = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NEGATIVE_SHARE = 0.2
# Records in US and UK English are more common in the data a user scrubs; every other locale weighs 1.
LOCALE_WEIGHT = {"en_US": 4, "en_GB": 2}


def render(template: str, ctx: values.Ctx) -> tuple[str, list[dict], list[tuple[str, str]]]:
    """Fill a template; returns the text, its gold spans and the inserted (label, value) pairs, in order."""
    parts: list[str] = []
    spans: list[dict] = []
    inserted: list[tuple[str, str]] = []
    at = 0
    pos = 0
    for match in SLOT.finditer(template):
        literal = template[pos:match.start()]
        parts.append(literal)
        at += len(literal)
        for text, label in values.MAKERS[match.group(1)](ctx):
            if label is not None and text.strip():
                # Faker values can carry edge whitespace: the gold span is the value without it.
                lead = len(text) - len(text.lstrip())
                value = text.strip()
                spans.append({"type": label, "start": at + lead, "end": at + lead + len(value)})
                inserted.append((label, value))
            parts.append(text)
            at += len(text)
        pos = match.end()
    parts.append(template[pos:])
    return "".join(parts), spans, inserted


def _fakers(locales: list[str], seed: int) -> dict[str, Faker]:
    fakers = {}
    for i, locale in enumerate(locales):
        fake = Faker(locale)
        fake.seed_instance(seed * 1009 + i)
        for provider in fake.get_providers():
            # it_IT builds its city list from a set: sorted, the same seed gives the same records in every process.
            cities = getattr(provider, "cities", None)
            if isinstance(cities, list):
                provider.cities = sorted(cities)
        fakers[locale] = fake
    return fakers


def generate_with_values(n: int, seed: int = REPORTED_SEED,
                         locales: list[str] | None = None) -> Iterator[tuple[dict, list[tuple[str, str]]]]:
    """Records with the (label, value) pairs inserted into each, for checking the gold spans."""
    locales = list(locales or values.LOCALES)
    rng = random.Random(seed)
    fakers = _fakers(locales, seed)
    # Some Faker providers print a notice on stdout; the benchmark's stdout is its JSON.
    with contextlib.redirect_stdout(io.StringIO()), time_machine.travel(AS_OF, tick=False):
        for i in range(n):
            locale = (locales[i] if n >= len(locales) and i < len(locales)
                      else rng.choices(locales, weights=[LOCALE_WEIGHT.get(x, 1) for x in locales])[0])
            lang = values.LOCALES[locale][1]
            ctx = values.Ctx(fakers[locale], locale, lang, rng)
            negative = rng.random() < NEGATIVE_SHARE
            pool = templates.NEGATIVE if negative else templates.TEMPLATES
            for _ in range(20):
                use = lang if lang in pool and rng.random() < 0.5 else "en"
                genre, template = rng.choice(pool[use])
                try:
                    text, spans, inserted = render(template, ctx)
                    break
                except values.Unavailable:
                    continue
            else:  # pragma: no cover - every locale has templates without a national ID
                raise RuntimeError(f"no template could be filled for {locale}")
            record = {"id": f"ml{seed}-{i:05d}", "locale": locale, "lang": use, "genre": genre,
                      "negative": negative, "text": text, "spans": spans}
            yield record, inserted


def generate(n: int, seed: int = REPORTED_SEED, locales: list[str] | None = None) -> list[dict]:
    return [record for record, _ in generate_with_values(n, seed, locales)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=REPORTED_SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as out:
        for record in generate(args.n, args.seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
