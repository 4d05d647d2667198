"""Admins add people, reset passphrases and rotate keys; each action is confirmed with the admin's passphrase."""

import streamlit as st

from stillroom import users
from stillroom.dashboard import actions, ui
from stillroom.errors import StillroomError

who = ui.require_session(role="admin")
ws = ui.workspace()

st.title("Users")
flash = st.session_state.pop("users.flash", None)
if flash:
    st.success(ui.plain(flash))
people = users.list_users(ws)
ui.table([{"user": u.name, "roles": ", ".join(u.roles), "key": u.verifier_key,
           "failed sign-ins": u.failed_logins, "locked until": u.locked_until or "",
           "created": f"{u.created_at:%Y-%m-%d %H:%M}"} for u in people], key="users.table")

add, reset = st.columns(2)
with add, st.form("users.add", clear_on_submit=True):
    st.subheader("Add a user")
    name = st.text_input("Name", key="users.add.name")
    roles = st.multiselect("Roles", list(users.ROLES), key="users.add.roles")
    new = st.text_input("Their first passphrase", type="password", key="users.add.new")
    mine = st.text_input("Your passphrase", type="password", key="users.add.mine")
    if st.form_submit_button("Add user"):
        try:
            added = actions.add_user(ws, who, passphrase=mine, name=name.strip(), roles=roles, new_passphrase=new)
        except StillroomError as e:
            ui.error(e)
        else:
            st.session_state["users.flash"] = f"Added {added.name} ({', '.join(added.roles)})."
            st.rerun()

with reset, st.form("users.reset", clear_on_submit=True):
    st.subheader("Reset a passphrase and rotate the key")
    st.caption("The user gets a new key; what their old key signed keeps verifying.")
    target = st.selectbox("User", [u.name for u in people], key="users.reset.name")
    new = st.text_input("New passphrase", type="password", key="users.reset.new")
    mine = st.text_input("Your passphrase", type="password", key="users.reset.mine")
    if st.form_submit_button("Reset and rotate"):
        try:
            user = actions.reset_user(ws, who, passphrase=mine, name=target, new_passphrase=new)
        except StillroomError as e:
            ui.error(e)
        else:
            st.session_state["users.flash"] = f"{user.name} now signs with key {user.key_name}."
            st.rerun()
