"""Admins add people, reset passphrases and rotate keys; each action is confirmed with the admin's passphrase."""

import streamlit as st

from stillroom import users
from stillroom.dashboard import actions, ui
from stillroom.errors import StillroomError


def act(form: str) -> None:
    """A form's callback: run the action, then empty every passphrase field of the form (only a callback may)."""
    state = st.session_state
    mine, new = state[f"users.{form}.mine"], state[f"users.{form}.new"]
    state[f"users.{form}.mine"] = state[f"users.{form}.new"] = ""
    who = ui.signed_in()
    try:
        if who is None:
            raise users.AuthError("Your session has ended; sign in again.")
        if form == "add":
            user = actions.add_user(ui.workspace(), who, passphrase=mine, name=state["users.add.name"].strip(),
                                    roles=state["users.add.roles"], new_passphrase=new)
            message = f"Added {user.name} ({', '.join(user.roles)})."
        else:
            user = actions.reset_user(ui.workspace(), who, passphrase=mine, name=state["users.reset.name"],
                                      new_passphrase=new)
            message = f"{user.name} now signs with key {user.key_name}; their old passphrase no longer works."
    except StillroomError as refused:
        state["users.outcome"] = {"refused": True, "message": str(refused)}
    else:
        state["users.outcome"] = {"refused": False, "message": message}


who = ui.require_session(role="admin")
ws = ui.workspace()

st.title("Users")
outcome = st.session_state.pop("users.outcome", None)
if outcome:
    (st.error if outcome["refused"] else st.success)(ui.plain(outcome["message"]))
people = users.list_users(ws)
ui.table([{"user": u.name, "roles": ", ".join(u.roles), "key": u.verifier_key, "failed sign-ins": u.failed_logins,
           "locked until": u.locked_until or "", "created": f"{u.created_at:%Y-%m-%d %H:%M}"} for u in people])

add, reset = st.columns(2)
with add, st.form("users.add"):
    st.subheader("Add a user")
    st.text_input("Name", key="users.add.name")
    st.multiselect("Roles", list(users.ROLES), key="users.add.roles")
    st.text_input("Their first passphrase", type="password", key="users.add.new")
    st.text_input("Your passphrase", type="password", key="users.add.mine")
    st.form_submit_button("Add user", on_click=act, args=("add",))

with reset, st.form("users.reset"):
    st.subheader("Reset a passphrase and rotate the key")
    st.caption("The user gets a new key; what their old key signed keeps verifying.")
    st.selectbox("User", [u.name for u in people], key="users.reset.name")
    st.text_input("New passphrase", type="password", key="users.reset.new")
    st.text_input("Your passphrase", type="password", key="users.reset.mine")
    st.form_submit_button("Reset and rotate", on_click=act, args=("reset",))
