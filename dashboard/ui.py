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
    """Rows as a table tall enough for every row (no inner scroll hides one); ``help``: column -> tooltip."""
    if rows:
        st.dataframe(rows, hide_index=True, height=_ROW_PX * (len(rows) + 1) + 3,
                     column_config={name: st.column_config.Column(help=text) for name, text in (help or {}).items()})
    else:
        st.caption(empty)


def chart(figure, rows: list[dict[str, Any]], *, help: dict[str, str] | None = None) -> None:
    """A chart and, under it, the rows it draws as a table: what a screen reader or a keyboard reads."""
    st.altair_chart(figure, width="stretch")
    table(rows, help=help)


def error(exc: StillroomError) -> None:
    """A refusal or failure as the core worded it, as text."""
    st.error(plain(exc), icon=":material/block:")
