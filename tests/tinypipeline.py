"""A whole governed run in seconds: a tiny random BERT teacher, the toy intents, and the people it needs.

Shared by the tests that drive a run from the outside (``--json`` on the CLI, the ``stillroom.api`` page).
"""

from __future__ import annotations

import json
from pathlib import Path

import tinymodels as tm
from people import setup_user

PASS = "correct horse battery staple"
PEOPLE = {"olga": ["operator"], "sam": ["security"], "lee": ["legal"]}


def write_pipeline(root: Path, name: str = "intents") -> Path:
    """A teacher directory, 60 labelled public records and the spec that distils them; returns the spec."""
    root.mkdir(parents=True, exist_ok=True)
    teacher = tm.classifier_dir(root / "teacher")
    texts, labels = tm.toy_split(60, seed=1)
    names = list(tm.INTENTS)
    data = root / "queries.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": names[i]}) + "\n" for t, i in zip(texts, labels)))
    spec = root / "pipeline.yaml"
    spec.write_text(f"name: {name}\nsource: {{type: jsonl, path: {data}, classification: public}}\n"
                    f"teacher: {{path: {teacher}}}\ndata: {{label_field: label}}\ncurate: false\nbaseline: false\n"
                    "student: {layers: 1, epochs: 1}\ntrainer: {type: logit-kd}\nevaluators: [task, fidelity]\n"
                    "exporters: [hf]\n")
    return spec


def add_people(ws) -> None:
    """An operator who runs and two reviewers who decide, all with passphrase ``PASS``."""
    for name, roles in PEOPLE.items():
        setup_user(ws, name, roles, PASS)
