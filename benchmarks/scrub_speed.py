"""Records per second of the scrubber's profiles against Presidio's plain per-record loop.

Not the official PII benchmark (``benchmarks/pii.py``): a quick check of speed only, on
short (~20-word) records generated here with Faker across locales from templates that
the detector was never tuned on. It prints wall-clock rates with the process pool, and
records per CPU second in one process (``time.process_time``, ONNX Runtime on one
thread), because on a shared machine the wall clock measures the neighbours as much as
the scrubber; N cores give at most N times the per-CPU-second rate.

    python benchmarks/scrub_speed.py --records 2000 --workers 2
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from faker import Faker

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.plugins.scrubbers.presidio import PresidioScrubber

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "nl_NL", "pt_BR", "en_IN", "sv_SE", "tr_TR"]


def records(n: int, seed: int) -> list[dict[str, str]]:
    fake, rng = Faker(LOCALES), random.Random(seed)
    Faker.seed(seed)
    shapes = [
        lambda: f"{fake.name()} asked about {fake.sentence(nb_words=12).lower()}",
        lambda: f"{fake.sentence(nb_words=12)} Call me on {fake.phone_number()}.",
        lambda: f"Please send it to {fake.street_address()}, {fake.city()}. {fake.sentence(nb_words=8)}",
        lambda: f"{fake.sentence(nb_words=10)} My email is {fake.email()} and card {fake.credit_card_number()}.",
        lambda: fake.sentence(nb_words=20),
    ]
    return [{"text": rng.choice(shapes)()} for _ in range(n)]


def naive_loop(texts: list[str]) -> float:
    """Records per CPU second of Presidio's AnalyzerEngine + AnonymizerEngine, one record at a time
    (the fast profile's engines)."""
    from presidio_anonymizer import AnonymizerEngine

    from stillroom.plugins.scrubbers.detect import Detector, DetectorConfig

    detector = Detector(DetectorConfig(profile="fast"))
    anonymizer = AnonymizerEngine()
    start = time.process_time()
    for text in texts:
        results = detector.analyzer.analyze(text, "en")
        anonymizer.anonymize(text, results)
    return len(texts) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    batch = records(args.records, args.seed)
    words = sum(len(r["text"].split()) for r in batch) / len(batch)
    root = Path("/tmp/stillroom-scrub-speed")
    ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"))
    print(f"{len(batch)} generated records, {words:.1f} words on average, {args.workers} workers")
    for profile in ("accurate", "fast"):
        alone = PresidioScrubber({"workers": 1, "profile": profile}, ctx)
        alone.scrub(batch[:20])  # loads the engines and the model
        cpu = time.process_time()
        alone.scrub(batch)
        cpu = time.process_time() - cpu
        pooled = PresidioScrubber({"workers": args.workers, "profile": profile}, ctx)
        pooled.scrub(batch[:300])  # builds the detector in every worker
        wall = time.perf_counter()
        pooled.scrub(batch)
        wall = time.perf_counter() - wall
        pooled.close()
        print(f"{profile:9s} {len(batch) / wall:7.0f} records/s wall ({args.workers} workers), "
              f"{len(batch) / cpu:7.0f} records per CPU second (one process)")
    sample = batch[: min(len(batch), 500)]
    print(f"naive     {naive_loop([r['text'] for r in sample]):7.0f} records per CPU second (Presidio per record, one process)")


if __name__ == "__main__":
    main()
