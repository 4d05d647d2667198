"""The development set: the only labelled data detection changes may be tuned on.

    .venv/bin/python benchmarks/pii_dev.py [--n 600] [--profile accurate] [--misses PERSON]

Drawn from the same generator as the reported set but apart from it in two
ways: seeds from ``DEV_SEED`` (never ``REPORTED_SEED``), and ``HELD_OUT``
locales left out entirely, so a change fitted to the development set meets
those locales' names, addresses and phones for the first time in the reported
set. Runs the scrubber in process (faster to iterate than the CLI path
``pii.py`` measures) and prints one JSON object of per-entity recall and
precision; ``--misses TYPE`` also prints the missed gold values of that type,
for a person reading them (never written anywhere).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_heldout import metrics, values  # noqa: E402
from pii_heldout.generate import REPORTED_SEED, generate  # noqa: E402

DEV_SEED = 7_000_003
# Never in the development set: the reported set's only view of them is its own.
HELD_OUT = ("de_AT", "pt_PT", "es_MX", "en_IE", "ro_RO", "hu_HU", "cs_CZ", "da_DK", "he_IL", "th_TH", "ko_KR",
            "id_ID")
DEV_LOCALES = [locale for locale in values.LOCALES if locale not in HELD_OUT]
assert DEV_SEED != REPORTED_SEED


def dev_set(n: int) -> list[dict]:
    return generate(n, DEV_SEED, DEV_LOCALES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--profile", default="accurate", choices=("accurate", "fast"))
    parser.add_argument("--misses", default=None, help="print the missed gold values of this type")
    parser.add_argument("--option", action="append", default=[], help="scrubber option KEY=JSON, repeatable")
    args = parser.parse_args(argv)
    from stillroom.cli import plugin_manager
    from stillroom.components import Context

    records = dev_set(args.n)
    options = {"fields": ["text"], "profile": args.profile, "workers": 1}
    for option in args.option:
        key, _, value = option.partition("=")
        options[key] = json.loads(value)
    with tempfile.TemporaryDirectory() as tmp:
        scrubber = plugin_manager(None).component("scrubber", "presidio")(options, Context(workspace=Path(tmp),
                                                                                            artifacts=None))
        found = scrubber.find([r["text"] for r in records])
    detected = [[s.as_dict() for s in spans] for spans in found]
    scored = metrics.score(records, detected)
    out = {"set": f"dev seed {DEV_SEED}, {len(DEV_LOCALES)} locales, n={len(records)}",
           "overall": scored["overall"],
           "per_entity": {k: {"recall": v["recall"], "precision": v["precision"], "support": v["support"]}
                          for k, v in scored["per_entity"].items() if v["support"] or v.get("detected")}}
    print(json.dumps(out, indent=1))
    if args.misses:
        for record, spans in zip(records, detected):
            for gold in record["spans"]:
                if gold["type"] != args.misses:
                    continue
                hit = [s for s in spans if s["start"] < gold["end"] and s["end"] > gold["start"]]
                if not any(s["type"] in metrics.ACCEPT[args.misses] for s in hit):
                    print(repr(record["text"][gold["start"]:gold["end"]]), "|", [(s["type"], record["text"][s["start"]:s["end"]]) for s in hit],
                          "|", record["text"][max(0, gold["start"] - 40):gold["end"] + 20].replace("\n", "⏎"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
