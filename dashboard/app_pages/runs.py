"""Each run's stages as a timeline: when each ran, for how long, its status and the digests it wrote."""

import altair as alt
import streamlit as st

from stillroom.dashboard import audit, theme, ui

ui.require_session()
ws = ui.workspace()

st.title("Runs")
runs = audit.runs(ws)
if not runs:
    st.info("No runs yet.")
    st.stop()
ui.table(runs)

run_id = st.selectbox("Run", [r["run"] for r in runs], key="runs.run")
stages = audit.timeline(ws, run_id)
if not stages:
    st.caption("This run recorded no stages.")
    st.stop()
chart = alt.Chart(alt.Data(values=[{k: s[k] for k in ("stage", "status", "from_s", "to_s", "seconds")}
                                   for s in stages])).mark_bar().encode(
    y=alt.Y("stage:N", sort=[s["stage"] for s in stages], title=None),
    # The axis spans the whole run from 0, so a run of one short stage is a full bar, not a hairline.
    x=alt.X("from_s:Q", title="seconds since the run started",
            scale=alt.Scale(domain=[0, max(max(s["to_s"] for s in stages), 0.001)])),
    x2="to_s:Q",
    color=alt.Color("status:N", scale=alt.Scale(domain=list(theme.STATUSES), range=list(theme.STATUSES.values()))),
    tooltip=["stage:N", "status:N", "seconds:Q"],
).properties(height=32 * len(stages) + 40)
ui.chart(chart, [{k: s[k] for k in ("position", "stage", "status", "seconds", "digests", "message")} for s in stages])
