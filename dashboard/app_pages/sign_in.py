"""Sign in with a Stillroom user's name and passphrase (the one that also unlocks their signing key)."""

import streamlit as st

from stillroom.dashboard import session, ui
from stillroom.users import AuthError

st.title("Stillroom review")
st.caption("Sign in as yourself. Failed attempts are slowed, recorded in the ledger, and lock the account "
           "after repeated failures.")

# clear_on_submit: the passphrase must not stay behind in the widget's state once it has been checked.
with st.form("sign_in.form", clear_on_submit=True):
    name = st.text_input("User name", key="sign_in.name")
    passphrase = st.text_input("Passphrase", type="password", key="sign_in.passphrase")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    try:
        session.sign_in(ui.workspace(), name, passphrase, st.session_state)
    except AuthError as refused:
        ui.error(refused)
    else:
        st.rerun()
