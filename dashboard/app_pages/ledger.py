"""The audit ledger: verification, the latest checkpoint, search, inclusion proofs, and an export."""

import streamlit as st

from stillroom.dashboard import audit, ui
from stillroom.errors import StillroomError

ui.require_session()
ws = ui.workspace()

st.title("Ledger")
status = audit.ledger_status(ws)
(st.success if status["ok"] else st.error)(ui.plain(status["summary"]), icon=":material/verified:")
with st.expander("Latest checkpoint (C2SP signed note)"):
    ui.text(status["checkpoint"] or "No checkpoint yet.")

st.subheader("Search")
kind_column, run_column = st.columns(2)
kind = kind_column.selectbox("Kind", ["(any)", *status["kinds"]], key="ledger.kind")
run_id = run_column.text_input("Run id", key="ledger.run").strip()
rows = audit.search(ws, kind=None if kind == "(any)" else kind, run_id=run_id or None)
st.caption(f"{len(rows)} entries, newest first (at most 200).")
ui.table(rows, empty="No entries match.")

st.subheader("Inclusion proof")
seq = st.number_input("Entry seq", min_value=0, max_value=max(status["entries"] - 1, 0), step=1, key="ledger.seq")
if st.button("Prove inclusion", key="ledger.prove"):
    try:
        proven = audit.proof(ws, int(seq))
    except StillroomError as e:
        ui.error(e)
    else:
        if proven["verified"]:
            st.success(f"Entry {int(seq)} is included in checkpoint {proven['bundle']['tree_size']}; "
                       "its signature, the checkpoint's signature and the proof all verify.")
        else:
            st.error(ui.plain(proven["error"]))
        st.json(proven["bundle"], expanded=False)

st.subheader("Export")
st.caption("A self-contained directory (entries, checkpoint, public keys) for `stillroom ledger verify --offline`.")
if st.button("Prepare export", key="ledger.export"):
    st.download_button("Download ledger-export.zip", audit.export_zip(ws), file_name="ledger-export.zip",
                       mime="application/zip", key="ledger.download", on_click="ignore")
