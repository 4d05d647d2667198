"""docs/threat-model.md stays true: every test a row names exists."""

from __future__ import annotations

import re

from conftest import REPO

DOC = (REPO / "docs" / "threat-model.md").read_text()


def test_every_test_the_threat_model_names_exists():
    named = re.findall(r"`(tests/\w+\.py)::(\w+)(?:\[[^\]]*\])?`((?:, `::\w+`)*)", DOC)
    assert len(named) >= 10
    for path, first, more in named:
        source = (REPO / path).read_text()
        for name in [first, *re.findall(r"::(\w+)", more)]:
            assert re.search(rf"^def {name}\(", source, re.M), f"docs/threat-model.md names {path}::{name}, which does not exist"
