"""The active policies, readably, with their digest and the digests the ledger shows in force before."""

import streamlit as st

from stillroom.dashboard import audit, ui

ui.require_session()
ws = ui.workspace()

st.title("Policies")
view = audit.policy_view(ws)
sections = view["sections"]
ui.text(f"active policy digest  {view['digest']}")

st.subheader("Approvals")
ui.table([{"request kind": kind, "required roles": ", ".join(rule["required_roles"]),
           "distinct people": rule["distinct_people"], "initiator excluded": rule["initiator_excluded"],
           "valid for (days)": rule["valid_days"]} for kind, rule in sections["approvals"].items()])

st.subheader("Release gates")
gates = sections["release_gates"]
ui.table([{"gate": name, "threshold": value} for name, value in gates.items() if name != "deployment_targets"])
ui.table([{"deployment target": name, **limits} for name, limits in gates["deployment_targets"].items()],
         empty="No deployment targets.")

st.subheader("Residency")
residency = sections["residency"]
ui.text(f"boundary: {', '.join(residency['boundary'])}")
ui.table([{"region": name, "paths": ", ".join(r["paths"]), "hosts": ", ".join(r["hosts"]),
           "cidrs": ", ".join(r["cidrs"])} for name, r in residency["regions"].items()])
ui.table([{"classification": name, "allowed regions": ", ".join(rule["allowed_regions"]),
           "must scrub": rule["must_scrub"]} for name, rule in residency["classifications"].items()])
ui.text(f"entities that must be scrubbed: {', '.join(residency['required_entities']) or 'none'}; "
        f"residual findings allowed: {residency['residual_threshold']}")

st.subheader("Egress")
ui.table([{"host": rule["host"], "port": rule["port"] or "any"} for rule in sections["egress"]["allow"]],
         empty="Nothing may be reached.")
ui.text(f"launching programs during a run: {'allowed' if sections['egress']['subprocess'] else 'blocked'}")

st.subheader("Plugins allowed")
ui.table(sections["plugins"]["allow"], empty="Only the built-in plugins.")

st.subheader("History")
st.caption("Each policy digest the ledger records as in force (runs started, requests opened, decisions "
           "signed under it), first seen to last seen.")
ui.table(audit.policy_history(ws), empty="No entry names a policy yet.")

st.subheader("Files")
for name, text in view["files"].items():
    with st.expander(ui.plain(name)):
        st.code(text, language="yaml")
