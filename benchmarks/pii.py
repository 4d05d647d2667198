"""PII scrubbing: accuracy on generated labelled text, and throughput against the plain Presidio loop.

Prints one JSON object. Accuracy is character-level (see
``stillroom.plugins.scrubbers.evaluation``): per entity type, precision, recall
and F2, type-aware; overall, also "masked_recall", the share of PII characters
covered by any span. Throughput compares, in the same run and with the same
recognizers, Stillroom's path (batched spaCy, prefilters, a process pool) with
the loop a user would write: ``AnalyzerEngine.analyze`` then
``AnonymizerEngine.anonymize`` per record. Two workloads: the PII-dense labelled
set, and the demo's Banking77 sample (about a third of records carry PII).

    .venv/bin/python benchmarks/pii.py [--n 1500] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from presidio_anonymizer.entities import OperatorConfig

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context, Span
from stillroom.plugins.scrubbers.detect import resolve
from stillroom.plugins.scrubbers.evaluation import PATTERN_ENTITIES, labelled_corpus, score
from stillroom.plugins.scrubbers.presidio import PresidioScrubber

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "data" / "banking77_pii_sample.jsonl"
TARGETS = {"pattern_recall": 0.98, "person_recall": 0.85, "overall_recall": 0.90, "throughput_ratio": 5.0}


def main() -> None:
    parser = argparse.ArgumentParser(description="PII scrubbing accuracy and throughput")
    parser.add_argument("--n", type=int, default=1500, help="labelled sentences to generate")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    workspace = Path(os.environ.get("TMPDIR", "/tmp"))
    ctx = Context(workspace=workspace, artifacts=ArtifactStore(workspace / "artifacts"))
    scrubber = PresidioScrubber({"workers": args.workers}, ctx)
    detector = scrubber.detector
    corpus = labelled_corpus(args.n, seed=args.seed)
    texts = [item.text for item in corpus]
    demo = [json.loads(line)["text"] for line in DEMO.read_text(encoding="utf-8").splitlines()]

    ours = score(corpus, scrubber.find(texts))
    naive_spans = [[Span(*s) for s in resolve([(r.entity_type, r.start, r.end, r.score) for r in
                                               detector.analyzer.analyze(t, "en")])] for t in texts]
    naive = score(corpus, naive_spans)

    operators = {e: OperatorConfig("replace", {"new_value": f"<{e}>"}) for e in detector.entity_types}

    def naive_loop(batch: list[str]) -> None:
        for text in batch:
            results = detector.analyzer.analyze(text, "en")
            detector.anonymizer.anonymize(text, results, operators=operators)

    def stillroom_path(batch: list[str]) -> None:
        for start in range(0, len(batch), 1000):
            scrubber.scrub([{"text": t} for t in batch[start : start + 1000]])

    stillroom_path(texts[:600])  # starts the worker pool outside the timed runs
    throughput = {}
    for name, workload in (("labelled_set", texts), ("demo_banking77", demo)):
        naive_s = _timed(naive_loop, workload)
        ours_s = _timed(stillroom_path, workload)
        throughput[name] = {"records": len(workload), "naive_records_per_s": round(len(workload) / naive_s, 1),
                            "stillroom_records_per_s": round(len(workload) / ours_s, 1),
                            "ratio": round(naive_s / ours_s, 2)}
    scrubber.close()

    pattern_recall = min(ours["per_entity"][e]["recall"] for e in PATTERN_ENTITIES)
    print(json.dumps({
        "benchmark": "pii",
        "unit": "character",
        "records": args.n,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "methods": scrubber.entities(),
        "per_entity": ours["per_entity"],
        "overall": ours["overall"],
        "naive_overall": naive["overall"],
        "min_pattern_recall": pattern_recall,
        "throughput": throughput,
        "targets": TARGETS,
        "targets_met": {
            "pattern_recall": pattern_recall >= TARGETS["pattern_recall"],
            "person_recall": ours["per_entity"]["PERSON"]["recall"] >= TARGETS["person_recall"],
            "overall_recall": ours["overall"]["masked_recall"] >= TARGETS["overall_recall"],
            "recall_not_below_naive": ours["overall"]["recall"] >= naive["overall"]["recall"],
            "throughput_ratio": {k: v["ratio"] >= TARGETS["throughput_ratio"] for k, v in throughput.items()},
        },
    }, indent=2))


def _timed(fn, workload) -> float:
    start = time.perf_counter()
    fn(workload)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
