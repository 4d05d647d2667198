"""Every third-party module the shipped code imports is declared in pyproject.toml, and the one whose private
internals Stillroom reuses (phonenumbers) is pinned and checked at import, with a fallback that keeps scrubbing."""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
SHIPPED = ("core", "plugins", "dashboard")


def declared(*, extras: bool = True) -> dict[str, Requirement]:
    """The distributions pyproject.toml declares for users: dependencies and every extra but ``dev``."""
    lines = list(PYPROJECT["dependencies"])
    if extras:
        lines += [line for name, group in PYPROJECT["optional-dependencies"].items() if name != "dev" for line in group]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def imported_modules() -> dict[str, str]:
    """Top-level third-party module name -> the first file importing it, from every import statement shipped."""
    found: dict[str, str] = {}
    for root in SHIPPED:
        for path in sorted((REPO / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top != "stillroom":
                        found.setdefault(top, str(path.relative_to(REPO)))
    return found


def test_every_third_party_import_in_the_shipped_code_is_declared():
    distributions = packages_distributions()
    wanted = declared()
    problems = []
    for module, where in sorted(imported_modules().items()):
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers:
            problems.append(f"{module} (imported by {where}) is not installed here, so its distribution is unknown; "
                            "run `make setup`")
        elif not providers & wanted.keys():
            problems.append(f"{module} (imported by {where}) comes from {', '.join(sorted(providers))}, which "
                            "pyproject.toml declares neither as a dependency nor in an extra other than dev")
    assert not problems, "\n".join(problems)


def test_test_only_packages_are_not_installed_for_users():
    users = declared(extras=False)
    for name in ("pytest", "hypothesis", "presidio-anonymizer", "playwright", "pypdf", "scikit-learn"):
        assert canonicalize_name(name) not in users, f"{name} is a runtime dependency; it belongs in dev (or nowhere)"


def test_phonenumbers_is_pinned_below_the_next_major_version():
    specifier = declared(extras=False)["phonenumbers"].specifier
    assert specifier and not specifier.contains("10.0") and specifier.contains("9.0.43")


# -- phonenumbers' private internals: the import-time self-check -----------------------------------------------------

TEXT = "Call +1 415-555-2671 or (020) 7946 0958 from the branch, or 030 12345678 in Berlin."


@pytest.fixture
def reimport():
    """Re-import the phone module under changes to phonenumbers, and import it again unchanged afterwards."""
    from stillroom.plugins.scrubbers import phones

    patch = pytest.MonkeyPatch()
    yield patch, lambda: importlib.reload(phones)
    patch.undo()
    importlib.reload(phones)
    assert phones.SHARED


def findings(results):
    return sorted((r.entity_type, r.start, r.end, r.score) for r in results)


def test_the_shared_phone_matcher_is_used_with_the_installed_phonenumbers():
    from stillroom.plugins.scrubbers import phones
    from stillroom.plugins.scrubbers.recognizers import ConfidentPhoneRecognizer

    assert phones.SHARED
    recognizer = ConfidentPhoneRecognizer()
    assert findings(recognizer.analyze_shared(TEXT)) == findings(recognizer.analyze(TEXT, recognizer.supported_entities))


def test_phonenumbers_without_the_private_internals_falls_back_to_the_stock_recognizer(reimport):
    from phonenumbers import phonenumbermatcher

    from stillroom.plugins.scrubbers.recognizers import ConfidentPhoneRecognizer

    patch, reload = reimport
    patch.delattr(phonenumbermatcher, "_PLUS_CHARS")  # read only at its import: the stock matcher runs without it
    with pytest.warns(RuntimeWarning, match=r"matcher internals changed .*_PLUS_CHARS.*stock phone recognizer"):
        phones = reload()
    assert not phones.SHARED
    recognizer = ConfidentPhoneRecognizer()
    found = findings(recognizer.analyze_shared(TEXT))
    assert found == findings(recognizer.analyze(TEXT, recognizer.supported_entities)) and len(found) >= 2


def test_phonenumbers_whose_matcher_now_behaves_differently_falls_back_to_the_stock_recognizer(reimport):
    from phonenumbers import PhoneNumberMatcher

    patch, reload = reimport
    # A new release that verifies candidates differently: the stock matcher follows it, the shared copy would not.
    patch.setattr(PhoneNumberMatcher, "_parse_and_verify", lambda self, candidate, offset: None)
    with pytest.warns(RuntimeWarning, match="findings differ from the stock recognizer's"):
        phones = reload()
    assert not phones.SHARED
