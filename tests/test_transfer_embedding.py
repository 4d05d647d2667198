"""Embedding students get a transfer set too: new inputs the teacher embeds (and, with labels, labels by the vote
of its nearest labelled records); the labels-only twin trains without it. Tiny real encoders (tests/tinymodels.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tinymodels as tm

from stillroom.curate import neighbour_vote


def test_an_embedding_teacher_labels_by_the_vote_of_its_nearest_labelled_records():
    index = np.array([[1.0, 0.0], [0.9, 0.1], [0.8, 0.3], [0.0, 1.0], [0.1, 0.9]])
    votes = neighbour_vote(index, [0, 0, 1, 2, 2], np.array([[1.0, 0.05], [0.05, 1.0]]), classes=3, k=3)
    assert votes.tolist() == [[2 / 3, 1 / 3, 0.0], [0.0, 1 / 3, 2 / 3]]
    assert neighbour_vote(index, [0, 0, 1, 2, 2], index[:1], classes=3, k=50).sum() == pytest.approx(1.0)


def spec(workspace, *, labelled: bool, per_record: int):
    from stillroom.config import parse_spec

    texts, labels = tm.toy_split(240, 5)
    rows = [{"text": t, **({"label": list(tm.INTENTS)[y]} if labelled else {})} for t, y in zip(texts, labels)]
    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    encoder = workspace.root / "encoder"
    if not encoder.is_dir():
        tm.encoder_dir(encoder)
    return parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(encoder), "task": "embedding"},
        "data": {"label_field": "label" if labelled else None},
        "curate": {"transfer": {"per_record": per_record, "min_confidence": 0.5 if labelled else 0.0}},
        "student": {"layers": 2, "epochs": 1, "lr": 3e-3, "batch_size": 16}, "evaluators": ["task"],
        "exporters": []})


def test_a_labelled_embedding_run_distils_on_a_transfer_set_its_labels_only_twin_never_sees(workspace):
    from stillroom.pipeline import run_pipeline
    from stillroom.run.datasets import load_dataset

    run = run_pipeline(workspace, spec(workspace, labelled=True, per_record=2), initiator="op", progress=False)
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    transfer = next(s for s in funnel["funnel"] if s["step"] == "transfer")
    assert transfer["labelled_by"] == "teacher" and transfer["added"] == 2 * transfer["seeds"]
    kd_rows, twin_rows = len(run.dataset.train), run.summaries["train"]["baseline_train_rows"]
    baseline = load_dataset(workspace.artifacts, run.artifacts["baseline_dataset"])
    assert twin_rows == len(baseline.train) < kd_rows  # the inputs dedupe kept, without the transfer set
    assert len(run.live.teacher_outputs["train"]["embeddings"]) == kd_rows  # the teacher embedded every input
    made = set(run.dataset.train.texts) - set(baseline.train.texts)
    assert made and not made & set(run.dataset.test.texts)
    metrics = run.summaries["evaluate"]["metrics"]
    assert {"student", "baseline"} <= set(metrics)


def test_an_unlabelled_embedding_run_gets_a_transfer_set_the_teacher_only_embeds(workspace):
    from stillroom.pipeline import run_pipeline

    run = run_pipeline(workspace, spec(workspace, labelled=False, per_record=1), initiator="op", progress=False)
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    transfer = next(s for s in funnel["funnel"] if s["step"] == "transfer")
    assert transfer["added"] == transfer["seeds"] and run.dataset.train.labels is None
    assert len(run.dataset.train) > transfer["seeds"]
