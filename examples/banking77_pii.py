"""Build the demo's PII-bearing sample from Banking77: real queries, synthetic personal data.

About a third of the queries get a Faker name, e-mail address, phone number or
card number woven in, the way customers write them. Records keep only
``text`` and ``label``: nothing marks which ones were changed.

    .venv/bin/python examples/banking77_pii.py [--n 2000] [--out examples/data/banking77_pii_sample.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
SHARE = 0.35
WRAPPERS = [
    "Hi, this is {name}. {query}",
    "{query} My name is {name}.",
    "{query} Please email me at {email}.",
    "{query} You can call me on {phone}.",
    "{query} The card is {card}.",
    "{name} here. {query} My number is {phone}.",
    "{query} Thanks, {name} ({email})",
]


def build(n: int, seed: int = 77, source: Path = BANKING77) -> list[dict[str, str]]:
    with open(source, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(seed)
    fake = Faker(["en_GB", "en_US"])
    fake.seed_instance(seed)
    sample = rng.sample(rows, n)
    out = []
    for row in sample:
        text = row["text"].strip()
        if rng.random() < SHARE:
            card = fake.credit_card_number()
            text = rng.choice(WRAPPERS).format(
                query=text, name=fake.name(), email=fake.email(), phone=fake.phone_number(),
                card=" ".join(card[i : i + 4] for i in range(0, len(card), 4)),
            )
        out.append({"text": text, "label": row["category"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "data" / "banking77_pii_sample.jsonl")
    args = parser.parse_args()
    records = build(args.n)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} records to {args.out}")


if __name__ == "__main__":
    main()
