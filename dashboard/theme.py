"""The dashboard's own colours, in one place: Streamlit's theme and the charts' palette.

Each is chosen to pass WCAG 2.1 AA on the background it is drawn on (text 4.5:1, chart marks and focus
outlines 3:1); ``tests/test_dashboard_accessibility.py`` computes every ratio. ``stillroom dashboard``
passes the theme to Streamlit as ``--theme.*`` options.
"""

from __future__ import annotations

BACKGROUND = "#ffffff"
THEME = {
    "base": "light",
    "primaryColor": "#0d47a1",  # buttons (white text on it), focus outlines, the selected tab
    "backgroundColor": BACKGROUND,
    "secondaryBackgroundColor": "#f0f2f6",  # the sidebar and widgets
    "textColor": "#1f2330",
    "grayTextColor": "#555a63",  # captions and help text
    "linkColor": "#0d47a1",
    "codeTextColor": "#1b5e20",
    "codeBackgroundColor": "#f0f2f6",
    # Alerts: text on its tinted box (st.error, st.success, st.warning, st.info).
    "redTextColor": "#a11616", "redBackgroundColor": "#fdecea",
    "greenTextColor": "#1b5e20", "greenBackgroundColor": "#e8f5e9",
    "orangeTextColor": "#7a3e00", "orangeBackgroundColor": "#fff4e5",
    "yellowTextColor": "#6b4f00", "yellowBackgroundColor": "#fff8e1",
    "blueTextColor": "#0d3c78", "blueBackgroundColor": "#e3f2fd",
}
# Text on a coloured surface, and what each pair must reach (4.5 for text, 3 for marks and outlines).
PAIRS = [
    ("textColor", "backgroundColor", 4.5), ("textColor", "secondaryBackgroundColor", 4.5),
    ("grayTextColor", "backgroundColor", 4.5), ("grayTextColor", "secondaryBackgroundColor", 4.5),
    ("linkColor", "backgroundColor", 4.5), ("codeTextColor", "codeBackgroundColor", 4.5),
    ("primaryColor", "backgroundColor", 3.0), ("primaryColor", "secondaryBackgroundColor", 3.0),
    *[(f"{c}TextColor", f"{c}BackgroundColor", 4.5) for c in ("red", "green", "orange", "yellow", "blue")],
]
WHITE_ON = ["primaryColor"]  # a primary button's label is white

# Chart marks, all on BACKGROUND: blue and orange stay apart for the common colour-vision deficiencies.
MODELS = {"student": "#0d47a1", "teacher": "#b35000"}
STATUSES = {"succeeded": "#2e7d32", "skipped": "#6b6b6b", "failed": "#c62828"}


def streamlit_options() -> list[str]:
    """The theme as ``streamlit run`` options."""
    return [part for name, value in THEME.items() for part in (f"--theme.{name}", value)]
