"""Draw the example's labelled CSV from Banking77's training file: 8 intents, 40 queries each, seeded.

    python examples/own-data/make_subset.py /work/shared/data/banking77/train.csv > examples/own-data/queries.csv

Banking77 (PolyAI) is CC BY 4.0, which permits redistribution with attribution: see README.md here.
"""

from __future__ import annotations

import csv
import random
import sys

INTENTS = ["card_arrival", "lost_or_stolen_card", "pin_blocked", "exchange_rate", "top_up_failed",
           "transfer_not_received_by_recipient", "cash_withdrawal_charge", "apple_pay_or_google_pay"]
PER_INTENT = 40


def main(path: str) -> None:
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["category"] in INTENTS]
    rng = random.Random(0)
    chosen = [r for intent in INTENTS for r in rng.sample([r for r in rows if r["category"] == intent], PER_INTENT)]
    rng.shuffle(chosen)
    writer = csv.DictWriter(sys.stdout, fieldnames=["text", "category"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({"text": r["text"], "category": r["category"]} for r in chosen)


if __name__ == "__main__":
    main(sys.argv[1])
