"""The reviewer dashboard: a router. Signed out, the only page is the sign-in; signed in, the pages the
person's roles open. Start it with ``stillroom dashboard``."""

import streamlit as st

from stillroom.dashboard import session, ui

st.set_page_config(page_title="Stillroom review", page_icon=":material/verified_user:", layout="wide")

who = ui.signed_in()
if who is None:
    pages = [st.Page(ui.SIGN_IN, title="Sign in", icon=":material/login:", default=True)]
else:
    pages = {
        "Review": [st.Page(ui.INBOX, title="Inbox", icon=":material/inbox:", default=True),
                   st.Page(ui.REQUEST, title="Request", icon=":material/fact_check:"),
                   st.Page("app_pages/sample_audit.py", title="Sample audit", icon=":material/rule:")],
        "Audit": [st.Page(ui.RUNS, title="Runs", icon=":material/timeline:"),
                  st.Page(ui.LEDGER, title="Ledger", icon=":material/receipt_long:"),
                  st.Page(ui.POLICIES, title="Policies", icon=":material/policy:")],
    }
    if who.has("admin"):
        pages["Admin"] = [st.Page(ui.USERS, title="Users", icon=":material/group:")]
    with st.sidebar:
        st.caption("Signed in as")
        ui.text(f"{who.name} ({', '.join(who.roles)})")
        if st.button("Sign out", key="app.sign_out"):
            session.sign_out(st.session_state)
            st.rerun()

st.navigation(pages).run()
