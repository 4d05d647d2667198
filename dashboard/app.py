"""The reviewer dashboard: a router. Signed out, the only page is the sign-in; signed in, the pages the
person's roles open. Start it with ``stillroom dashboard``."""

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from stillroom.dashboard import session, ui

# A file, not a ":material/...:" name: Streamlit fetches a named icon's favicon from a public font host.
st.set_page_config(page_title="Stillroom review", page_icon=str(Path(__file__).with_name("static") / "favicon.png"),
                   layout="wide")

who = ui.signed_in()
if who is None:
    # Every page's address shows the sign-in, so a shared link or a reload keeps its address (and its ?id=)
    # through the sign-in and then opens that page, instead of "Page not found" and the Inbox.
    pages: list[StreamlitPage] | dict[str, list[StreamlitPage]] = [st.Page(ui.SIGN_IN, title="Sign in", icon=":material/login:", default=True),
             *[st.Page(ui.SIGN_IN, title="Sign in", url_path=Path(page).stem, visibility="hidden")
               for page in (ui.REQUEST, ui.RUNS, ui.LEDGER, ui.POLICIES, ui.USERS)]]
else:
    sections = {
        "Review": [st.Page(ui.INBOX, title="Inbox", icon=":material/inbox:", default=True),
                   st.Page(ui.REQUEST, title="Request", icon=":material/fact_check:"),
                   st.Page("app_pages/sample_audit.py", title="Sample audit", icon=":material/rule:")],
        "Audit": [st.Page(ui.RUNS, title="Runs", icon=":material/timeline:"),
                  st.Page(ui.LEDGER, title="Ledger", icon=":material/receipt_long:"),
                  st.Page(ui.POLICIES, title="Policies", icon=":material/policy:")],
    }
    if who.has("admin"):
        sections["Admin"] = [st.Page(ui.USERS, title="Users", icon=":material/group:")]
    pages = sections
    with st.sidebar:
        st.caption("Signed in as")
        ui.text(f"{who.name} ({', '.join(who.roles)})")
        if st.button("Sign out", key="app.sign_out"):
            session.sign_out(st.session_state)
            st.rerun()

st.navigation(pages).run()
