"""The built-in PII scrubber: Microsoft Presidio, fully offline, batched over a process pool."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from stillroom import hookimpl
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Batch, Scrubber, ScrubReport, Span
from stillroom.errors import ConfigError
from stillroom.plugins.scrubbers.unscannable import UnscannableText

if TYPE_CHECKING:  # the engines import presidio and spaCy: seconds, paid only when a scrubber is built
    from stillroom.plugins.scrubbers.detect import Detector, DetectorConfig, Found
    from stillroom.plugins.scrubbers.residual import ResidualDetector

OPERATORS = ("placeholder", "pseudonym")
PROFILES = ("accurate", "fast")
# Below this many texts a batch is cheaper in-process than shipped to workers.
POOL_MIN_TEXTS = 256


class PresidioScrubber(Scrubber):
    """Options: ``profile`` (``accurate``, the default: an NER model with Presidio's patterns,
    checksums and context; ``fast``: gazetteers and patterns, no model, for bulk pre-filtering),
    ``ner`` (``{path, kind}``: an organisation's own model instead of the packaged one; kind
    ``onnx``, ``hf-token-classification`` or ``spacy``; its digest is recorded and its location
    residency-checked), ``fields`` (default ["text"]), ``operator`` (placeholder | pseudonym),
    ``entities`` (a subset of types; default all), ``threshold`` (default 0.5),
    ``spacy_model`` (an installed spaCy package; default a blank pipeline),
    ``custom_recognizers`` (see ``recognizers.py``), ``phone_regions`` (ISO region codes whose national
    phone formats count without a phone word beside them; default Presidio's eight; in the accurate profile
    52 more regions' count after a phone word) and ``workers``
    (default: the CPU count, at most 8).

    Pseudonyms are keyed with the workspace secret (``ctx.secret``). A record
    that a recognizer cannot scan within Presidio's regex time budget
    (``REGEX_TIMEOUT_SECONDS``) stops ``scrub`` and ``residual_scan`` with
    ``UnscannableText``, naming the record, field and recognizer, never the value.
    """

    name = "presidio"
    description = ("Microsoft Presidio, offline: an NER model (accurate profile) or gazetteers (fast), with patterns, "
                   "checksums and context; placeholders or keyed pseudonyms; an independent residual scan")
    accepts = frozenset({"fields", "operator", "entities", "threshold", "spacy_model", "custom_recognizers", "workers",
                         "profile", "ner", "phone_regions"})

    def __init__(self, options, ctx) -> None:
        super().__init__(options, ctx)
        self.fields = _string_list(self.options.setdefault("fields", ["text"]), "fields")
        operator = self.options.get("operator", "placeholder")
        if operator not in OPERATORS:
            raise ConfigError(f"scrubber presidio: option 'operator' must be placeholder or pseudonym, got {operator!r}")
        if operator == "pseudonym" and not ctx.secret:
            raise ConfigError("scrubber presidio: operator 'pseudonym' needs the workspace secret, and none is set")
        threshold = self.options.get("threshold", 0.5)
        if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ConfigError(f"scrubber presidio: option 'threshold' must be a number between 0 and 1, got {threshold!r}")
        entities = self.options.get("entities")
        workers = self.options.get("workers") or min(os.cpu_count() or 1, 8)
        if not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"scrubber presidio: option 'workers' must be a positive integer, got {workers!r}")
        self.workers = workers
        profile = self.options.setdefault("profile", "accurate")
        if profile not in PROFILES:
            raise ConfigError(f"scrubber presidio: option 'profile' must be accurate or fast, got {profile!r}")
        self.profile = profile
        model_path, model_kind = _ner_option(self.options.get("ner"))
        from stillroom.plugins.scrubbers.detect import DetectorConfig

        self.config = DetectorConfig(
            profile=profile,
            model_path=model_path,
            model_kind=model_kind,
            entities=tuple(_string_list(entities, "entities")) if entities else None,
            custom=tuple(self.options.get("custom_recognizers") or ()),
            spacy_model=self.options.get("spacy_model"),
            phone_regions=_phone_regions(self.options.get("phone_regions")),
            threshold=float(threshold),
            operator=operator,
            secret=ctx.secret,
        )
        self._detector: Detector | None = None
        self._residual: ResidualDetector | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._model_digest: str | None = None
        if model_path is not None:
            from stillroom.plugins.scrubbers.model_ner import ModelSpec, check_model

            check_model(ModelSpec(model_path, model_kind))  # refused here, before any data moves
        if profile == "accurate":
            from stillroom.plugins.scrubbers.casing import check_installed

            check_installed()

    @property
    def own_model(self) -> bool:
        """Whether the spec names an organisation's own NER model (``ner.path``): its location is residency-checked."""
        return self.config.model_path is not None

    def location(self) -> str:
        """Where the NER model is read from (``file:///abs/path``): the organisation's own, or the packaged one."""
        from stillroom.plugins.scrubbers.model_ner import ModelSpec, model_dir

        return model_dir(ModelSpec(self.config.model_path, self.config.model_kind)).resolve().as_uri()

    def fingerprint(self) -> str:
        """sha256 hex over the NER model's files (the profile's name for the fast profile, which has none)."""
        if self.profile == "fast" and self.config.model_path is None:
            return sha256_bytes(b"stillroom presidio fast profile: no model")
        return self.model_digest().removeprefix("sha256:")

    def model_digest(self) -> str:
        if self._model_digest is None:
            from stillroom.plugins.scrubbers.model_ner import ModelSpec, model_digest, model_dir

            self._model_digest = model_digest(model_dir(ModelSpec(self.config.model_path, self.config.model_kind)))
        return self._model_digest

    def detector_description(self) -> str:
        from stillroom.plugins.scrubbers.detect import DESCRIPTIONS
        from stillroom.plugins.scrubbers.model_ner import BUILTIN_MODEL

        name = BUILTIN_MODEL if self.config.model_path is None else f"{self.config.model_kind}:{self.config.model_path}"
        return DESCRIPTIONS[self.profile].format(model=name)

    @property
    def residual_detector(self) -> ResidualDetector:
        if self._residual is None:
            from stillroom.plugins.scrubbers.residual import ResidualDetector

            self._residual = ResidualDetector(self.config)
        return self._residual

    def evidence(self, residual: int | None = None) -> dict[str, Any]:
        """What reports and the ledger say about detection: the profile, both detectors, the model's
        digest, and the measured recall (from ``measured.json``) with the dataset it was measured on."""
        from stillroom.plugins.scrubbers.measured import NOT_MEASURED, measured_recall, recall_lines

        measured = measured_recall(self.profile)
        model = None
        if self.profile == "accurate" or self.config.model_path is not None:
            model = {"kind": self.config.model_kind, "location": self.location(), "digest": self.model_digest(),
                     "own": self.own_model}
        return {
            "profile": self.profile,
            "detector": self.detector_description(),
            "residual_detector": self.residual_detector.description,
            "model": model,
            "measured": measured if measured else NOT_MEASURED,
            "summary": recall_lines(measured, residual),
        }

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = _local_detector(self.config)
        return self._detector

    def entities(self) -> dict[str, str]:
        return dict(self.detector.methods)

    def find(self, texts: list[str]) -> list[list[Span]]:
        return [[Span(*found) for found in spans] for _, spans in self._run(texts, replace=False)]

    def scrub(self, batch: Batch) -> tuple[Batch, ScrubReport]:
        report = ScrubReport(records=len(batch), methods=self.entities())
        where = [(i, name) for i, record in enumerate(batch) for name in self.fields if isinstance(record.get(name), str)]
        outcome = self._run_at(where, [batch[i][name] for i, name in where], replace=True)
        scrubbed = [dict(record) for record in batch]
        for (i, name), (text, spans) in zip(where, outcome):
            scrubbed[i][name] = text
            for entity, *_ in spans:
                per_field = report.counts.setdefault(entity, {})
                per_field[name] = per_field.get(name, 0) + 1
        return scrubbed, report

    def replace(self, text: str, spans: list[Span]) -> str:
        """Placeholders as every scrubber writes them; with ``operator: pseudonym``, each value's keyed
        pseudonym (``detect.pseudonym``: one value, one pseudonym per workspace secret), as ``scrub`` writes them."""
        if self.config.operator == "placeholder":
            return super().replace(text, spans)
        from stillroom.plugins.scrubbers.detect import replace

        return replace(text, [(s.type, s.start, s.end, s.score) for s in spans], self.config.operator,
                       self.config.secret)

    def residual_scan(self, batch: Batch, fields: list[str] | None = None, threshold: float | None = None) -> list[dict[str, Any]]:
        """Findings left in already-scrubbed records: record index, field, type and score, never the value.

        Run by ``residual_detector``, a different method from the one that scrubbed.
        Spans inside this scrubber's own placeholders and pseudonyms do not count.
        """
        from stillroom.plugins.scrubbers.detect import REPLACEMENT as replacement

        fields = fields or self.fields
        limit = self.config.threshold if threshold is None else threshold
        where = [(i, name) for i, record in enumerate(batch) for name in fields if isinstance(record.get(name), str)]
        texts = [batch[i][name] for i, name in where]
        findings = []
        # A detector independent of the one that scrubbed (see residual.py): the scrubber's own would only confirm itself.
        try:
            found = self.residual_detector.find(texts)
        except UnscannableText as error:
            record, field = where[error.index]
            raise error.in_record(record, field) from None
        for (i, name), text, spans in zip(where, texts, found):
            masked = [(m.start(), m.end()) for m in replacement.finditer(text)]
            for entity, start, end, score in spans:
                if score >= limit and not any(start < m_end and end > m_start for m_start, m_end in masked):
                    findings.append({"record": i, "field": name, "type": entity, "score": round(score, 4)})
        return findings

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _run_at(self, where: list[tuple[int, str]], texts: list[str], *,
                replace: bool) -> list[tuple[str, list[Found]]]:
        """``_run``, with a text that could not be fully scanned named by its record and field."""
        try:
            return self._run(texts, replace=replace)
        except UnscannableText as error:
            record, field = where[error.index]
            raise error.in_record(record, field) from None

    def _run(self, texts: list[str], *, replace: bool) -> list[tuple[str, list[Found]]]:
        """Per text, the text (replaced or not) and its spans; ``UnscannableText`` names a text by its index here."""
        if self.workers == 1 or len(texts) < POOL_MIN_TEXTS:
            return _process(self.detector, texts, replace)
        if self._pool is None:
            self._pool = _pool(self.workers, self.config)
        # Two chunks per worker: fewer, larger chunks share more of each batch's work (phone verdicts, one
        # spaCy pipe, one joined scan per pattern); 4 per worker ran 1,000 records 4-7% slower, 1 no faster.
        size = -(-len(texts) // (self.workers * 2))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        results: list[tuple[str, list[Found]]] = []
        try:
            for part in self._pool.map(_work, chunks, [replace] * len(chunks)):
                results.extend(part)
        except UnscannableText as error:  # its index is within the chunk that raised it, the next one to come
            raise error.shifted(len(results)) from None
        return results


def _process(detector: Detector, texts: list[str], replace: bool) -> list[tuple[str, list[Found]]]:
    with collection_paused():
        found = detector.detect(texts)
        return [(detector.replace(text, spans) if replace else text, spans) for text, spans in zip(texts, found)]


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is scanned.

    Scanning allocates many small objects (tokens, regex matches, results),
    and each allocation threshold crossed starts a collection that walks the
    young objects, and now and then every object the detector holds (spaCy's
    vocabulary, the gazetteers): 13% of the fast profile's CPU time on 1,000
    short records. What a batch leaves in cycles is collected after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# One detector per process and configuration: building one loads spaCy and the
# gazetteers (seconds), so workers build theirs once, and forked workers
# inherit the parent's.
_DETECTORS: dict[str, Detector] = {}
_WORKER_CONFIG: DetectorConfig | None = None


def _local_detector(config: DetectorConfig) -> Detector:
    key = sha256_bytes(canonical_json(asdict(config), default=str))
    if key not in _DETECTORS:
        from stillroom.plugins.scrubbers.detect import Detector

        _DETECTORS[key] = Detector(config)
    return _DETECTORS[key]


def _pool(workers: int, config: DetectorConfig) -> ProcessPoolExecutor:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(config,))


def _init_worker(config: DetectorConfig) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config
    _local_detector(config)
    # The detector lives as long as the worker: what loading it left in cycles is collected, and the rest leaves
    # the collector's generations for good.
    gc.collect()
    gc.freeze()


def _work(texts: list[str], replace: bool) -> list[tuple[str, list[Found]]]:
    assert _WORKER_CONFIG is not None  # the pool's initializer, _init_worker, set it
    return _process(_local_detector(_WORKER_CONFIG), texts, replace)


def _ner_option(value: Any) -> tuple[str | None, str]:
    """``ner: {path, kind}`` -> (path, kind); (None, "onnx") for the packaged model."""
    if value is None:
        return None, "onnx"
    from stillroom.plugins.scrubbers.model_ner import KINDS

    if not isinstance(value, dict) or set(value) - {"path", "kind"} or not isinstance(value.get("path"), str):
        raise ConfigError("scrubber presidio: option 'ner' must be {path: /abs/model/dir, kind: "
                          f"{' | '.join(KINDS)}}}, got {value!r}")
    kind = value.get("kind", "onnx")
    if kind not in KINDS:
        raise ConfigError(f"scrubber presidio: ner.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return value["path"], kind


def _phone_regions(value: Any) -> tuple[str, ...]:
    from phonenumbers import SUPPORTED_REGIONS

    from stillroom.plugins.scrubbers.recognizers import PHONE_REGIONS

    if value is None:
        return PHONE_REGIONS
    regions = _string_list(value, "phone_regions")
    unknown = [region for region in regions if region not in SUPPORTED_REGIONS]
    if unknown:
        raise ConfigError(f"scrubber presidio: option 'phone_regions' holds {unknown[0]!r}, which is not a region "
                          "libphonenumber knows (use ISO 3166 codes such as GB, DE, JP)")
    return tuple(regions)


def _string_list(value: Any, option: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"scrubber presidio: option {option!r} must be a non-empty list of names, got {value!r}")
    return value


@hookimpl
def register_scrubbers(register) -> None:
    register(PresidioScrubber)
