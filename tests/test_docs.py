"""Every hook is documented in docs/plugins.md with its exact signature, and nothing else is."""

from __future__ import annotations

import inspect
import re

from conftest import REPO

from stillroom import hookspecs

DOC = (REPO / "docs" / "plugins.md").read_text()
DOCUMENTED = dict(re.findall(r"^### (\w+)\((.*)\)$", DOC, flags=re.MULTILINE))


def specs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "stillroom_spec")
    }


def test_every_hook_is_documented_with_its_signature():
    for name, signature in specs().items():
        assert name in DOCUMENTED, f"hook {name} is not documented in docs/plugins.md"
        assert DOCUMENTED[name] == ", ".join(signature.parameters), f"docs/plugins.md: {name} signature drifted"


def test_no_documented_hook_is_missing_from_the_specs():
    assert set(DOCUMENTED) == set(specs())


def test_every_hook_has_a_docstring_contract():
    for name, signature in specs().items():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 80, f"{name} has no real docstring"
        for param in signature.parameters:
            assert f":param {param}:" in doc, f"{name} does not document :param {param}:"


def test_the_twelve_hooks_of_the_design_exist():
    assert set(specs()) == {
        "register_sources", "register_scrubbers", "register_teachers", "register_trainers",
        "register_evaluators", "register_exporters", "on_run_start", "on_stage_end", "on_run_end",
        "release_checks", "register_commands", "make_executor",
    }
