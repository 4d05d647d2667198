"""The Streamlit side every page shares: the workspace, the session guard, and showing what people typed.

Anything a person or a plugin supplied (comments, names, gate messages,
record fields) goes through ``text`` or a table, never through Markdown or
HTML: a comment such as ``![](http://tracker/pixel)`` must reach the reviewer
as those characters, not as a request their browser makes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import streamlit as st

from stillroom.dashboard import session
from stillroom.errors import StillroomError
from stillroom.workspace import Workspace, find_workspace

SIGN_IN = "app_pages/sign_in.py"
INBOX = "app_pages/inbox.py"
REQUEST = "app_pages/request.py"
RUNS = "app_pages/runs.py"
LEDGER = "app_pages/ledger.py"
POLICIES = "app_pages/policies.py"
USERS = "app_pages/users.py"
_ROW_PX = 35  # st.dataframe's row height
# A cell of prose longer than _PROSE characters wraps instead of clipping: st.dataframe wraps text only in
# rows taller than 4rem, so such a table gets rows tall enough for its longest cell at _LINE_CHARS a line.
_PROSE, _LINE_CHARS, _LINE_PX, _WRAP_MIN_PX = 60, 55, 21, 66
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def workspace() -> Workspace:
    """``-- --workspace DIR`` after ``streamlit run app.py``, else ``$STILLROOM_WORKSPACE``, else the cwd."""
    return _open(str(find_workspace(workspace_argument(sys.argv[1:]))))


@st.cache_resource(show_spinner=False)
def _open(root: str) -> Workspace:
    return Workspace.open(Path(root))


def workspace_argument(args: list[str]) -> Path | None:
    for i, arg in enumerate(args):
        if arg == "--workspace" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--workspace="):
            return Path(arg.split("=", 1)[1])
    return None


def signed_in() -> session.SignedIn | None:
    return session.current(workspace(), st.session_state)


def require_session(role: str | None = None) -> session.SignedIn:
    """Every page's first line: stop unless someone is signed in (and holds ``role``, when given)."""
    who = signed_in()
    if who is None:
        st.warning("Your session has ended. Sign in again.")
        st.stop()
    if role is not None and not who.has(role):
        st.error(f"This page needs the {role} role.")
        st.stop()
    return who


def text(value: Any) -> None:
    """Show ``value`` exactly as its characters."""
    st.text("" if value is None else str(value))


def plain(value: Any) -> str:
    """``value`` escaped for the places Streamlit reads Markdown (alerts, labels): every ASCII punctuation
    mark gets a backslash (CommonMark §2.4), so nothing in it can become a link, an image or a directive."""
    return _PUNCTUATION.sub(r"\\\g<0>", str(value))


def table(rows: list[dict[str, Any]], *, empty: str = "None.", help: dict[str, str] | None = None) -> None:
    """Rows as a table tall enough for every row (no inner scroll hides one), with long text wrapped, not
    clipped; ``help``: column -> tooltip."""
    if not rows:
        st.caption(empty)
        return
    help = help or {}
    longest: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if isinstance(value, str) and value.count(" ") >= 3:  # prose, not a digest or a name
                longest[name] = max(longest.get(name, 0), len(value))
    wide = {name for name, length in longest.items() if length > _PROSE}
    lines = max((-(-longest[name] // _LINE_CHARS) for name in wide), default=1)
    row_px = max(_WRAP_MIN_PX, _LINE_PX * lines + 12) if wide else _ROW_PX
    st.dataframe(rows, hide_index=True, row_height=row_px, height=row_px * len(rows) + _ROW_PX + 3,
                 column_config={name: st.column_config.Column(help=help.get(name), width="large" if name in wide
                                                              else None) for name in set(help) | wide})


def chart(figure, rows: list[dict[str, Any]], *, help: dict[str, str] | None = None) -> None:
    """A chart and, under it, the rows it draws as a table: what a screen reader or a keyboard reads."""
    st.altair_chart(figure, width="stretch")
    table(rows, help=help)


def error(exc: StillroomError) -> None:
    """A refusal or failure as the core worded it, as text."""
    st.error(plain(exc), icon=":material/block:")
