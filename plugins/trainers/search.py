"""Choosing KD's temperature and alpha on the validation split, within a budget the spec sets.

``student.search: {temperature: [1, 2, 4], alpha: [0.5, 0.9], budget: 4}`` trains
one student per candidate (every pair of the grid, or a seeded sample of
``budget`` of them when the grid is larger) and keeps the one whose kept epoch
scored best on validation; the test split is never read. Ties keep the earlier
candidate. The trials, their scores and the choice go with the student
(``student.search``) into the train stage's record.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from stillroom.errors import ConfigError

SEARCHED = ("temperature", "alpha")


def candidates(search: Any, seed: int) -> list[dict[str, float]]:
    """The (temperature, alpha) pairs to try, at most ``budget`` of them; a ConfigError for a malformed search."""
    if not isinstance(search, Mapping):
        raise ConfigError("student.search must be a mapping of temperature and alpha lists and a budget")
    unknown = sorted(set(search) - {*SEARCHED, "budget"})
    if unknown:
        raise ConfigError(f"student.search has unknown key(s) {', '.join(unknown)}; it searches temperature and "
                          "alpha within a budget")
    budget = search.get("budget")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ConfigError(f"student.search.budget must be a positive number of students to train, got {budget!r}")
    grids = {}
    for name in SEARCHED:
        values = search.get(name)
        if not isinstance(values, list) or not values or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"student.search.{name} must be a non-empty list of numbers, got {values!r}")
        grids[name] = [float(v) for v in values]
    if any(t <= 0 for t in grids["temperature"]):
        raise ConfigError("student.search.temperature values must be positive")
    if any(not 0 <= a <= 1 for a in grids["alpha"]):
        raise ConfigError("student.search.alpha values must be between 0 and 1")
    grid = [dict(zip(SEARCHED, pair, strict=True)) for pair in itertools.product(*(grids[n] for n in SEARCHED))]
    if len(grid) <= budget:
        return grid
    chosen = sorted(random.Random(seed).sample(range(len(grid)), budget))
    return [grid[i] for i in chosen]


def best_on_validation(train_one, trials: list[dict[str, float]]):
    """``train_one(params) -> student`` for each trial; the student whose best validation score is highest."""
    best, best_score, record = None, None, []
    for params in trials:
        student = train_one(params)
        scores = [h["val_score"] for h in student.history if h.get("val_score") is not None]
        if not scores:
            raise ConfigError("student.search chooses on the validation split, and this run scored none; give it "
                              "a validation split (data.split.validation) or remove student.search")
        score = max(scores)
        record.append({**params, "val_score": score, "metric": student.history[-1].get("val_metric")})
        if best_score is None or score > best_score:
            best, best_score = student, score
    assert best is not None  # the grid holds at least one trial
    best.search = {"trials": record, "chosen": {k: record[[r["val_score"] for r in record].index(best_score)][k]
                                                 for k in SEARCHED}, "on": "validation"}
    return best
