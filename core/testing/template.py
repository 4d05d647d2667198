"""``stillroom plugin new``: an installable plugin project with one working component and its conformance test.

Each kind's component is the smallest one that passes the kit, so a vendor
starts from green and changes it: the kit then says which contract they broke.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from stillroom.errors import UsageError

KINDS = ("source", "scrubber", "teacher", "trainer", "evaluator", "exporter")
HOOKS = {"source": "register_sources", "scrubber": "register_scrubbers", "teacher": "register_teachers",
         "trainer": "register_trainers", "evaluator": "register_evaluators", "exporter": "register_exporters"}


def write_project(name: str, kind: str, out: Path) -> Path:
    """Write the project for plugin ``name`` of ``kind`` into ``out / stillroom-plugin-NAME``; return that folder.

    Refuses a name that is not a lower-case identifier-like word, an unknown kind, or a folder
    that already exists, before writing anything.
    """
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name) or keyword.iskeyword(name.replace("-", "_")):
        raise UsageError(f"plugin name {name!r} must be lower-case letters, digits and dashes, starting with a letter")
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    project = Path(out) / f"stillroom-plugin-{name}"
    if project.exists():
        raise UsageError(f"{project} already exists; choose another --out or remove it")
    module = f"stillroom_plugin_{name.replace('-', '_')}"
    values = {"name": name, "module": module, "kind": kind, "hook": HOOKS[kind], "cls": CLASSES[kind]}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{module}/__init__.py": COMPONENTS[kind],
        "tests/conftest.py": CONFTEST,
        "tests/test_conformance.py": CONFORMANCE,
    }
    for relative, text in files.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**values).lstrip("\n"), encoding="utf-8")
    return project


CLASSES = {"source": "JsonLinesSource", "scrubber": "EmailScrubber", "teacher": "KeywordTeacher",
           "trainer": "CentroidTrainer", "evaluator": "AgreementEvaluator", "exporter": "ArchiveExporter"}

PYPROJECT = '''
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "stillroom-plugin-{name}"
version = "0.1.0"
description = "A Stillroom {kind} plugin"
requires-python = ">=3.11"
dependencies = ["stillroom"]

[project.entry-points.stillroom]
{name} = "{module}"

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''
# stillroom-plugin-{name}

A Stillroom {kind} plugin: `{cls}` in `src/{module}/__init__.py`, registered
through `{hook}` and the `stillroom` entry point `{name}`.

    pip install -e .
    pytest                                 # the conformance kit, from tests/test_conformance.py
    pytest --stillroom-plugin {name}       # the same contracts, by entry-point name

The kit (`stillroom.testing`) runs the contracts of the {kind} family under the
egress guard with nothing allowed; `tests/conftest.py` tells it how to build the
component (`pytest_stillroom_options`).

A workspace loads the plugin only once its policy allows the distribution
(`policies/plugins.yaml`); sign the installed distribution for your customers
with `stillroom plugin sign stillroom-plugin-{name} --key vendor.key` (see
Stillroom's `docs/plugins.md`).
'''

CONFTEST = '''
"""How the Stillroom conformance kit builds this plugin's component."""


def pytest_stillroom_options(component, materials):
    if component.family == "source":
        return {{"path": str(materials.jsonl())}}
    return None
'''

CONFORMANCE = '''
"""The Stillroom conformance contracts, run against this plugin."""

from stillroom.testing.contracts import *  # noqa: F403

STILLROOM_PLUGINS = ["{module}"]
'''

SOURCE = '''
"""A Stillroom source: JSON lines, one record per line."""

import hashlib
import json
from pathlib import Path

from stillroom import hookimpl
from stillroom.components import Source
from stillroom.errors import ConfigError


class {cls}(Source):
    name = "{name}"
    description = "JSON lines, one record per line"
    accepts = frozenset({{"path"}})

    def __init__(self, options, ctx):
        super().__init__(options, ctx)
        if not self.options.get("path"):
            raise ConfigError("source {name}: option 'path' is required")
        self.path = Path(self.options["path"])
        self._digest = hashlib.sha256()

    def location(self):
        return self.path.resolve().as_uri()

    def read(self, batch_size=1000):
        self._digest = hashlib.sha256()
        batch = []
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, 1):
                self._digest.update(raw)
                if raw.strip():
                    try:
                        batch.append(json.loads(raw))
                    except ValueError:
                        raise ConfigError(f"{{self.path}}:{{number}}: not a JSON object") from None
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def fingerprint(self):
        return self._digest.hexdigest()


@hookimpl
def register_sources(register):
    register({cls})
'''

SCRUBBER = '''
"""A Stillroom scrubber: e-mail addresses, by pattern."""

import re

from stillroom import hookimpl
from stillroom.components import Scrubber, ScrubReport, Span

EMAIL = re.compile(r"[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+")


class {cls}(Scrubber):
    name = "{name}"
    description = "E-mail addresses, by pattern"

    def entities(self):
        return {{"EMAIL_ADDRESS": "pattern"}}

    def find(self, texts):
        return [[Span("EMAIL_ADDRESS", m.start(), m.end(), 1.0) for m in EMAIL.finditer(t)] for t in texts]

    def scrub(self, batch):
        fields = self.options.get("fields") or ["text"]
        report = ScrubReport(records=len(batch), methods=self.entities())
        out = []
        for record in batch:
            record = dict(record)
            for field in fields:
                if isinstance(record.get(field), str):
                    record[field], n = EMAIL.subn("<EMAIL_ADDRESS>", record[field])
                    if n:
                        counts = report.counts.setdefault("EMAIL_ADDRESS", {{}})
                        counts[field] = counts.get(field, 0) + n
            out.append(record)
        return out, report


@hookimpl
def register_scrubbers(register):
    register({cls})
'''

TEACHER = '''
"""A Stillroom teacher: a keyword classifier, one logit per label, counting each label's words in a text."""

import hashlib
import json

import numpy as np

from stillroom import hookimpl
from stillroom.components import Teacher

KEYWORDS = {{"card": ["card", "visa", "mastercard"], "transfer": ["transfer", "send", "payment"],
            "other": ["help", "please", "app"]}}


class {cls}(Teacher):
    name = "{name}"
    description = "Keyword classifier"
    task = "classification"
    accepts = frozenset({{"keywords"}})

    def __init__(self, options, ctx):
        super().__init__(options, ctx)
        self.keywords = self.options.get("keywords") or KEYWORDS
        self.labels = list(self.keywords)

    def location(self):
        return self.ctx.workspace.resolve().as_uri()

    def fingerprint(self):
        return hashlib.sha256(json.dumps(self.keywords, sort_keys=True).encode()).hexdigest()

    def predict(self, texts):
        words = [text.lower().split() for text in texts]
        logits = [[float(sum(w in ws for w in self.keywords[label])) for label in self.labels] for ws in words]
        return {{"logits": np.asarray(logits, dtype=np.float32).reshape(len(texts), len(self.labels))}}


@hookimpl
def register_teachers(register):
    register({cls})
'''

TRAINER = '''
"""A Stillroom trainer: a bag-of-words student fitted to the teacher's logits by least squares."""

import hashlib
import json
from pathlib import Path

import numpy as np

from stillroom import hookimpl
from stillroom.components import Student, Trainer

WIDTH = 512


def features(texts):
    rows = np.zeros((len(texts), WIDTH), dtype=np.float64)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            rows[i, int(hashlib.sha256(word.encode()).hexdigest(), 16) % WIDTH] += 1.0
    return rows


class BagOfWordsStudent(Student):
    task = "classification"

    def __init__(self, weights):
        self.weights = np.asarray(weights)

    def predict(self, texts):
        return {{"logits": (features(texts) @ self.weights).astype(np.float32)}}

    def save(self, directory):
        Path(directory).mkdir(parents=True, exist_ok=True)
        path = Path(directory) / "weights.json"
        path.write_text(json.dumps(self.weights.tolist()))
        return [path]

    def num_parameters(self):
        return int(self.weights.size)


class {cls}(Trainer):
    name = "{name}"
    description = "Bag-of-words student, least squares on the teacher's logits"
    tasks = ("classification",)

    def train(self, student_spec, data, teacher_outputs, ctx):
        logits = np.asarray(teacher_outputs["train"]["logits"], dtype=np.float64)
        weights, *_ = np.linalg.lstsq(features(data.train.texts), logits, rcond=None)
        return BagOfWordsStudent(weights)

    def load_student(self, directory, student_spec):
        return BagOfWordsStudent(json.loads((Path(directory) / "weights.json").read_text()))


@hookimpl
def register_trainers(register):
    register({cls})
'''

EVALUATOR = '''
"""A Stillroom evaluator: how often the student's top class is the teacher's, on the test split."""

import numpy as np

from stillroom import hookimpl
from stillroom.components import Evaluation, Evaluator


class {cls}(Evaluator):
    name = "{name}"
    description = "Top-1 agreement with the teacher"
    tasks = ("classification",)

    def evaluate(self, student, teacher, data, ctx):
        texts = data.test.texts
        ours = np.argmax(student.predict(texts)["logits"], axis=1)
        theirs = np.argmax(teacher.predict(texts)["logits"], axis=1)
        return Evaluation(self.name, metrics={{"agreement": float(np.mean(ours == theirs))}})


@hookimpl
def register_evaluators(register):
    register({cls})
'''

EXPORTER = '''
"""A Stillroom exporter: the student's Hugging Face files in one zip, re-checked by loading them back."""

import zipfile

import numpy as np

from stillroom import hookimpl
from stillroom.components import Exporter
from stillroom.errors import RunRefused


class {cls}(Exporter):
    name = "{name}"
    description = "Zipped Hugging Face directory, reloaded and compared"
    tasks = ("classification",)
    default = False

    def export(self, student, dest, texts=None):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        files = student.save(dest / "model")
        archive = dest / "model.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for path in files:
                z.write(path, path.relative_to(dest / "model"))
        unpacked = dest / "check"
        zipfile.ZipFile(archive).extractall(unpacked)
        model = AutoModelForSequenceClassification.from_pretrained(unpacked).eval()
        tokenizer = AutoTokenizer.from_pretrained(unpacked)
        sample = list(texts or [])[:16]
        import torch

        with torch.no_grad():
            theirs = model(**tokenizer(sample, padding=True, truncation=True, return_tensors="pt")).logits.numpy()
        ours = np.asarray(student.predict(sample)["logits"])
        if not np.allclose(theirs, ours, atol=1e-3):
            raise RunRefused(f"exporter {name}: the archived model's logits differ from the student's")
        return [archive]


@hookimpl
def register_exporters(register):
    register({cls})
'''

COMPONENTS = {"source": SOURCE, "scrubber": SCRUBBER, "teacher": TEACHER, "trainer": TRAINER,
              "evaluator": EVALUATOR, "exporter": EXPORTER}
