"""Sign in with a Stillroom user's name and passphrase (the one that also unlocks their signing key)."""

import streamlit as st

from stillroom.dashboard import session, ui
from stillroom.users import AuthError


def attempt() -> None:
    # A callback runs before the page does, the one moment the passphrase widget may be emptied:
    # the passphrase is checked and then gone from the session, whatever the outcome.
    name, passphrase = st.session_state["sign_in.name"], st.session_state["sign_in.passphrase"]
    st.session_state["sign_in.passphrase"] = ""
    try:
        session.sign_in(ui.workspace(), name, passphrase, st.session_state,
                        client=session.client_of(st.context.ip_address))
    except AuthError as refused:
        st.session_state["sign_in.refused"] = str(refused)


st.title("Stillroom review")
st.caption("Sign in as yourself. Failed attempts are slowed, recorded in the ledger, and lock sign-in as that "
           "name from this address after repeated failures; an admin can lift the lock.")
with st.form("sign_in.form"):
    st.text_input("User name", key="sign_in.name")
    st.text_input("Passphrase", type="password", key="sign_in.passphrase")
    st.form_submit_button("Sign in", type="primary", on_click=attempt)
refused = st.session_state.pop("sign_in.refused", None)
if refused:
    st.error(ui.plain(refused), icon=":material/block:")
