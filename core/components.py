"""The abstract classes plugins implement, one per catalogue hook.

A plugin registers a *class* (``register(JsonlSource)``); the core builds an
instance per run with the options from the pipeline spec and a ``Context``.
Behaviour lives in these classes, the hooks only announce them (llm's
``register_models`` pattern), so the core can validate, dedupe and govern what
plugins offer before any of it runs.

Nothing here imports torch or numpy: arrays appear only in annotations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from stillroom.artifacts import ArtifactStore
    from stillroom.pii_lists import ListedScrub

Record = dict[str, Any]
Batch = list[Record]

TASKS = ("classification", "embedding", "causal-lm")



@dataclass
class Context:
    """What a component may use from the workspace and the run it is part of.

    ``record`` writes a ledger entry for this run (digests, counts, metrics;
    never raw records). Outside a run it is a no-op.
    """

    workspace: Path
    artifacts: ArtifactStore
    secret: bytes = b""
    policy: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    seed: int = 0
    device: str = "auto"
    progress: bool = True
    teacher: Teacher | None = None
    record: Callable[[str, Mapping[str, Any]], None] = lambda kind, payload: None
    scratch: Path | None = None
    # The executor the run's stages run on: on any but "local", a training job runs as a process group.
    executor: str = "local"
    # The record fields the run treats as text (trained on, scrubbed): a source refuses any other value
    # than one string there, naming the line, so nothing can carry PII past the scrubber in a structure.
    text_fields: tuple[str, ...] = ()
    # How text a teacher writes during training is scrubbed before anything keeps it (the run's scrubber through
    # the policy's term lists), where the run has a scrubber; set for a training job, like ``teacher``.
    scrub: ListedScrub | None = None


class Component(ABC):
    """Common base: a registered ``name`` and the options it was built with.

    Subclasses read what they need from ``options`` in ``__init__`` and raise
    ``stillroom.errors.ConfigError`` naming the option when one is wrong.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    description: ClassVar[str] = ""
    # The options this component reads; the core refuses any other key in its spec section
    # before a run starts (``config.check_options``), so no option is ever accepted and ignored.
    accepts: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, options: Mapping[str, Any], ctx: Context) -> None:
        self.options = dict(options)
        self.ctx = ctx

    def close(self) -> None:
        """Release what the component holds (worker pools, models); called when the run ends."""

    def identity(self) -> str:
        """sha256 hex naming exactly this component, made without reaching its location.

        A residency request binds to it when the policy refuses the location,
        so a refused component is never contacted. Local components hash what
        they hold (the default, ``fingerprint()``); one behind a network
        address (an endpoint, a database) overrides it with a digest of its
        address and the options that shape what it returns.
        """
        return self.fingerprint()  # type: ignore[attr-defined]  # sources and teachers have one


class Source(Component):
    """Reads records, in batches, from one place.

    ``classification`` comes from the pipeline spec: public, internal, confidential or restricted.
    """

    family = "source"

    @property
    def classification(self) -> str:
        return self.options.get("classification", "internal")

    @abstractmethod
    def location(self) -> str:
        """Where the data lives: ``file:///abs/path`` or ``scheme://host:port``.

        The residency policy maps it to a region before anything is read.
        """

    @abstractmethod
    def read(self, batch_size: int = 1000) -> Iterator[Batch]:
        """Yield record batches, streaming; never the whole input at once."""

    @abstractmethod
    def fingerprint(self) -> str:
        """sha256 hex of the bytes read; valid once ``read`` is exhausted."""


@dataclass
class Span:
    """A detected PII span: offsets into the original text."""

    type: str
    start: int
    end: int
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 4)}


@dataclass
class ScrubReport:
    """What a scrubber found and replaced. Never holds a detected value.

    ``counts[entity][field]`` is the number of replaced spans; ``methods``
    says which method covers each entity type (pattern, gazetteer, ner, ...);
    ``residual`` lists findings left after scrubbing as
    ``{"record": index, "field": name, "type": entity, "score": s}``.
    ``allowed`` and ``denied`` count the spans the policy's term lists dropped
    and added (``pii_lists``); ``shapes[entity][shape]`` counts replaced values
    by shape (``Xxxxx Xxx``), so over-scrubbing shows without showing a value.
    """

    records: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    residual: list[dict[str, Any]] = field(default_factory=list)
    allowed: int = 0
    denied: int = 0
    shapes: dict[str, dict[str, int]] = field(default_factory=dict)

    def merge(self, other: ScrubReport) -> ScrubReport:
        residual = self.residual + [{**r, "record": r["record"] + self.records} for r in other.residual]
        return ScrubReport(self.records + other.records, _added(self.counts, other.counts),
                           {**self.methods, **other.methods}, residual, self.allowed + other.allowed,
                           self.denied + other.denied, _added(self.shapes, other.shapes))

    def top_shapes(self, n: int = 10) -> dict[str, list[list[Any]]]:
        """Per entity type, its ``n`` most frequent replaced shapes as ``[shape, count]``."""
        return {entity: [[shape, count] for shape, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))[:n]]
                for entity, counts in sorted(self.shapes.items())}

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "counts": self.counts, "methods": self.methods, "residual": self.residual,
                "lists": {"allowed": self.allowed, "denied": self.denied}, "shapes": self.top_shapes()}


def _added(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Two ``{outer: {inner: count}}`` tables summed."""
    total = {outer: dict(inner) for outer, inner in a.items()}
    for outer, inner in b.items():
        for key, n in inner.items():
            total.setdefault(outer, {})[key] = total.get(outer, {}).get(key, 0) + n
    return total


class Scrubber(Component):
    """Finds PII and replaces it before anything else sees the data.

    Options include ``fields`` (the record fields to scrub).
    """

    family = "scrubber"
    accepts: ClassVar[frozenset[str]] = frozenset({"fields"})

    @abstractmethod
    def entities(self) -> dict[str, str]:
        """The entity types this scrubber covers, each with the method that covers it."""

    @abstractmethod
    def find(self, texts: list[str]) -> list[list[Span]]:
        """Detect spans in each text (no replacement): ``--spans`` and residual scans."""

    @abstractmethod
    def scrub(self, batch: Batch) -> tuple[Batch, ScrubReport]:
        """Return the batch with PII replaced in the configured fields, and a report.

        Runs and ``stillroom scrub`` call ``find`` and ``replace`` instead, so that the policy's
        term lists (``pii_lists``) apply to every scrubber's spans; this stays for direct use."""

    def replace(self, text: str, spans: list[Span]) -> str:
        """``text`` with each span (non-overlapping, in text order) replaced, as ``scrub`` would write it.

        The default writes ``<TYPE>`` placeholders, one for spans of one type with only spaces between
        them; a scrubber with other replacements (keyed pseudonyms) overrides this."""
        parts: list[str] = []
        last, previous = 0, None
        for span in spans:
            # "Mary" "Jones" -> one <PERSON>: the space between two parts of one name goes with them
            if not (previous and previous.type == span.type and not text[previous.end:span.start].strip()):
                parts += (text[last:span.start], f"<{span.type}>")
            last, previous = span.end, span
        return "".join(parts) + text[last:]

    def residual_scan(self, batch: Batch, fields: list[str], threshold: float = 0.5) -> list[dict[str, Any]]:
        """Findings left in already-scrubbed records: ``{"record", "field", "type", "score"}``, never the value.

        Scrubbers whose replacements could look like PII override this to skip them.
        """
        where = [(i, name) for i, record in enumerate(batch) for name in fields if isinstance(record.get(name), str)]
        found = self.find([batch[i][name] for i, name in where])
        return [{"record": i, "field": name, "type": span.type, "score": round(span.score, 4)}
                for (i, name), spans in zip(where, found) for span in spans if span.score >= threshold]


class Teacher(Component):
    """A model whose outputs train the student.

    ``task`` is one of TASKS; ``labels`` names the classes of a classifier.
    ``predict`` returns arrays aligned with its input: ``{"logits": (n, C)}``
    for classification, ``{"embeddings": (n, d)}`` for embedding, top-k token
    log-probs for causal LMs. A causal LM that cannot run in the trainer's
    process (an endpoint) implements ``score_ids`` for on-policy distillation.
    """

    family = "teacher"
    task: str = "classification"
    labels: list[str] | None = None
    can_fine_tune: ClassVar[bool] = False  # ``fine_tune`` is implemented: the plugin can be a ``teacher.base``
    can_score_ids: ClassVar[bool] = False  # ``score_ids`` is implemented: it scores the student's own samples

    @abstractmethod
    def location(self) -> str:
        """Where the model runs: ``file:///abs/path`` or ``http://host:port``."""

    @abstractmethod
    def fingerprint(self) -> str:
        """sha256 hex over the weight and config files (or the endpoint's identity)."""

    @abstractmethod
    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The teacher's outputs for each text, computed in batches."""

    def generate(self, prompts: list[str], **options: Any) -> list[str]:
        """Text continuations, for causal-LM teachers and synthetic data."""
        from stillroom.errors import PluginError

        raise PluginError(f"teacher {self.name!r} ({self.task}) cannot generate text")

    def answer(self, prompts: list[str], **options: Any) -> list[tuple[str, float | None]]:
        """Each prompt's answer (``generate``'s options) with the mean log-prob, in nats, of its tokens under
        this teacher, or None where it cannot tell (an endpoint that returns no log-probs): what
        ``curate.answer`` filters on."""
        from stillroom.errors import PluginError

        raise PluginError(f"teacher {self.name!r} ({self.task}) cannot score its own answers; curate.answer "
                          "needs a causal-LM teacher")

    def score_ids(self, rows: list[list[int]]) -> dict[str, np.ndarray]:
        """For each row of token ids, read exactly as given (never re-tokenised), the causal LM's top-k
        log-probs of the token after each position: ``predict``'s arrays (``input_ids``,
        ``attention_mask``, ``topk_ids``, ``topk_logprobs``, right-padded to the longest row) for those
        ids. On-policy distillation (``student.on_policy``) sends the student's own samples here, so the
        ids are the student's tokenizer's: a teacher whose tokenizer differs is refused before training."""
        from stillroom.errors import PluginError

        raise PluginError(f"teacher {self.name!r} ({self.task}) cannot score token ids")

    def fine_tune(self, data: Dataset, settings: Mapping[str, Any], directory: Path) -> None:
        """Train a classifier from this model on ``data`` (its train split; validation for the trainer's
        own checks) and save it into ``directory``, where this plugin can load it as a classification
        teacher. ``settings``: ``epochs``, ``lr``, ``batch_size``, ``max_length`` (``teacher.fine_tune``)."""
        from stillroom.errors import PluginError

        raise PluginError(f"teacher {self.name!r} cannot fine-tune a base model")


@dataclass
class Split:
    """One split of the task data: texts, optional integer labels, slice values."""

    texts: list[str]
    labels: list[int] | None = None
    slices: dict[str, list[str]] = field(default_factory=dict)
    answers: list[str] | None = None  # a causal-LM teacher's curated answer to each text (``curate.answer``)

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Dataset:
    """The data a trainer and evaluators see: scrubbed, curated, split."""

    train: Split
    validation: Split
    test: Split
    label_names: list[str] | None = None


class Student(ABC):
    """A trained student, as a trainer returns it."""

    task: str

    @abstractmethod
    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Outputs with the same keys and shapes as the teacher's ``predict``."""

    @abstractmethod
    def save(self, directory: Path) -> list[Path]:
        """Write a Hugging Face directory (safetensors, config, tokenizer)."""

    @abstractmethod
    def num_parameters(self) -> int:
        """Parameter count."""


class Trainer(Component):
    """Distills a student from the teacher's cached outputs.

    ``tasks`` names the teacher tasks it can distill; the core picks the
    trainer by the teacher's task when the spec does not name one. When
    training ends the core saves the student (``Student.save``) into the
    artifact store; ``load_student`` rebuilds it from those files, so
    evaluation and export load it by digest, in any process.
    """

    family = "trainer"
    tasks: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def student_keys(cls) -> frozenset[str]:
        """The keys this trainer reads from the spec's ``student:`` section; the core refuses others."""
        return frozenset()

    @abstractmethod
    def train(
        self,
        student_spec: Mapping[str, Any],
        data: Dataset,
        teacher_outputs: Mapping[str, Mapping[str, np.ndarray]],
        ctx: Context,
    ) -> Student:
        """Train and return the student. ``teacher_outputs`` is keyed by split name."""

    def check_student(self, student_spec: Mapping[str, Any], teacher: Teacher) -> None:
        """Refuse, before any data moves, a student this trainer cannot distill ``teacher`` into (the
        preflight stage calls it); cheap checks only, no training."""

    def load_student(self, directory: Path, student_spec: Mapping[str, Any]) -> Student:
        """The student this trainer trained, from the files its ``save`` wrote into ``directory``."""
        from stillroom.errors import PluginError

        raise PluginError(f"trainer {self.name!r} cannot load a student it trained (it has no load_student), "
                          "so the core cannot keep its students as artifacts")


@dataclass
class Evaluation:
    """Metrics from one evaluator: overall, per slice, and any artifacts (charts, tables)."""

    evaluator: str
    metrics: dict[str, float] = field(default_factory=dict)
    slices: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"evaluator": self.evaluator, "metrics": self.metrics, "slices": self.slices}


class Evaluator(Component):
    """Scores the student (and the teacher) on held-out data."""

    family = "evaluator"
    tasks: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        """Metrics with slices, on ``data.test``."""


class Exporter(Component):
    """Writes the student in a deployable format and checks the result."""

    family = "exporter"
    # Run when a pipeline names no exporters; an opt-in exporter sets False.
    default: ClassVar[bool] = True

    def location(self) -> str:
        """Where exported files go; the residency policy checks it."""
        return self.ctx.workspace.resolve().as_uri()

    @abstractmethod
    def export(self, student: Student, dest: Path, texts: list[str] | None = None) -> list[Path]:
        """Write files under ``dest`` and return their paths.

        ``texts`` (the evaluation split) is what the exported files are re-checked on
        against the in-memory student; the export fails when they disagree.
        """


@dataclass
class MapWork:
    """A stage's map-shaped work: ``fn`` applied to each record batch, results in batch order.

    The core cuts ``batches`` (a fixed size, never the executor's choice), so
    what a stage writes, and its digest, does not depend on how many workers
    ran it. ``fn`` returns evidence (records, counts, reports), never writes
    the ledger: the coordinator checks what comes back and records it.
    """

    stage: str
    fn: Callable[[Batch], Any]
    batches: Iterable[Batch]
    # True when ``fn`` pickles without live objects (components travel as ``stillroom.run.portable.ComponentRef``),
    # so an executor may ship it to other processes; otherwise it runs in the coordinator
    portable: bool = False
    # True when ``fn`` runs a model an accelerator speeds up (teacher labelling): an executor may give each
    # worker a GPU when it has them
    accelerated: bool = False


@dataclass
class TrainWork:
    """A stage's training work: ``fn`` maps a dataset artifact digest to the trained model's digest, here.

    ``job``, when the stage offers one, is the same training as data another
    process can run: ``job(ctx, directory)`` trains in the calling process,
    alone or as one rank of a ``torch.distributed`` group; rank 0 writes the
    model's files into ``directory`` and returns what ``keep`` needs (other
    ranks return None). ``keep(directory, facts, records)`` runs in the
    coordinator: it stores the files, ledgers the ``(kind, payload)`` records
    the job made through ``ctx.record`` (workers write no ledger), and returns
    the model's digest.
    """

    stage: str
    fn: Callable[[str], str]
    dataset: str
    job: Callable[[Context, Path], dict[str, Any] | None] | None = None
    keep: Callable[[Path, dict[str, Any], list[tuple[str, dict[str, Any]]]], str] | None = None


class Executor(ABC):
    """Who runs a stage's work. ``local`` (built in, the default) runs it in the coordinator's process.

    An executor plugin answers ``make_executor(name)`` for its ``name``.
    """

    name: ClassVar[str]

    @abstractmethod
    def map(self, work: MapWork) -> Iterator[Any]:
        """``work.fn`` of each batch, in the order of ``work.batches``."""

    @abstractmethod
    def train(self, work: TrainWork) -> str:
        """``work.fn(work.dataset)``: the trained student's artifact digest."""

    def preflight(self, classification: str) -> dict[str, Any]:
        """Check where the work will run against the policy before any data moves (raise ``RunRefused``), for
        data of ``classification``; what comes back goes into the preflight stage's ledger entry."""
        return {"name": self.name}

    def evidence(self, stage: str) -> dict[str, Any]:
        """What this executor did for ``stage``, for its ledger entry: where the work ran (``ran_on``), and
        ``blocked``, egress attempts its workers refused (``{"target", "event", "node", ...}``, never data)."""
        return {"name": self.name, "ran_on": "coordinator", "blocked": []}

    def close(self) -> None:
        """Release workers; called when the run ends."""


FAMILIES: dict[str, type[Component]] = {
    "source": Source,
    "scrubber": Scrubber,
    "teacher": Teacher,
    "trainer": Trainer,
    "evaluator": Evaluator,
    "exporter": Exporter,
}
