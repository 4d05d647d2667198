"""The requests waiting for the signed-in reviewer's roles, oldest first."""

import streamlit as st

from stillroom.dashboard import evidence, ui

who = ui.require_session()
ws = ui.workspace()

st.title("Inbox")
items = evidence.inbox(ws, who.roles)
if not items:
    st.info(f"Nothing is waiting for your roles ({', '.join(who.roles)}).")
    st.stop()

st.caption(f"{len(items)} request(s) waiting for {', '.join(who.roles)}, oldest first.")
ui.table([item.row() for item in items])
for item in items:
    st.page_link(ui.REQUEST, label=f"Open {item.id} ({item.kind}, {evidence.age_text(item.age)})",
                 icon=":material/arrow_forward:", query_params={"id": item.id})
