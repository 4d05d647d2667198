"""Accessibility basics that need no browser: the dashboard's colours pass WCAG 2.1 AA contrast, and every
chart is drawn with its table beside it. (Keyboard-only approval is walked in tests/test_browser_review.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stillroom.dashboard import theme

PAGES = Path(__file__).resolve().parents[1] / "dashboard"


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    def channel(byte: int) -> float:
        c = byte / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcags_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert contrast("#ffffff", "#ffffff") == 1.0


@pytest.mark.parametrize("fore, back, needed", theme.PAIRS)
def test_theme_colours_pass_wcag_aa(fore, back, needed):
    ratio = contrast(theme.THEME[fore], theme.THEME[back])
    assert ratio >= needed, f"{fore} on {back}: {ratio:.2f}:1, AA needs {needed}:1"


@pytest.mark.parametrize("surface", theme.WHITE_ON)
def test_white_labels_on_primary_buttons_pass_wcag_aa(surface):
    assert contrast("#ffffff", theme.THEME[surface]) >= 4.5


@pytest.mark.parametrize("name, colour", [*theme.MODELS.items(), *theme.STATUSES.items()])
def test_chart_marks_stand_out_from_the_background(name, colour):
    # WCAG 1.4.11 (non-text contrast): graphical objects need 3:1 against what they are drawn on.
    assert contrast(colour, theme.BACKGROUND) >= 3.0, name


def test_the_theme_reaches_streamlit(workspace, monkeypatch):
    from stillroom import cli

    seen = {}
    monkeypatch.setattr(cli, "_serve", lambda command: seen.setdefault("command", command) and 0)
    from typer.testing import CliRunner

    CliRunner().invoke(cli.app, ["dashboard", "--workspace", str(workspace.root)])
    command = seen["command"]
    for name, value in theme.THEME.items():
        assert command[command.index(f"--theme.{name}") + 1] == value


def test_every_chart_has_its_table_beside_it():
    """Pages draw charts only through ``ui.chart``, which puts the chart's rows in a table under it."""
    direct = []
    for source in PAGES.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.endswith("_chart") and source.name != "ui.py":
                direct.append(f"{source.relative_to(PAGES)}:{node.lineno} {node.attr}")
    assert direct == []
