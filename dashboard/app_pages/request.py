"""One request's evidence, and the reviewer's decision on it: signed with their own key by the core."""

import altair as alt
import streamlit as st

from stillroom import approvals
from stillroom.dashboard import actions, evidence, ui
from stillroom.errors import StillroomError


def sign(request_id: str) -> None:
    """The form's callback: sign, then empty the passphrase widget (only a callback may) whatever happened."""
    form = st.session_state
    passphrase, form["request.passphrase"] = form["request.passphrase"], ""
    decision, who = form["request.decision"], ui.signed_in()
    if who is None:
        form["request.outcome"] = {"refused": True, "message": "Your session has ended; sign in again."}
        return
    try:
        state = actions.decide(ui.workspace(), who, request_id, passphrase=passphrase, decision=decision,
                               comment=form["request.comment"], role=form.get("request.role"))
    except StillroomError as refused:
        form["request.outcome"] = {"refused": True, "message": str(refused)}
        return
    form["request.comment"] = ""
    still = f"; still needs {', '.join(state.missing_roles)}" if state.status == "pending" else ""
    form["request.outcome"] = {"refused": False,
                               "message": f"You signed: {decision} {request_id}. The request is {state.status}{still}."}


def slice_chart(rows: list[dict]) -> alt.Chart:
    """Student and teacher accuracy side by side for each value of one slice field."""
    bars = [{"slice": r["slice"], "model": model, "accuracy": r[model]}
            for r in rows for model in ("student", "teacher") if r[model] is not None]
    return alt.Chart(alt.Data(values=bars)).mark_bar().encode(
        y=alt.Y("slice:N", title=None, sort=None), yOffset="model:N",
        x=alt.X("accuracy:Q", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", scale=alt.Scale(domain=["student", "teacher"], range=["#1565c0", "#90caf9"])),
        tooltip=["slice:N", "model:N", alt.Tooltip("accuracy:Q", format=".3f")],
    ).properties(height=36 * len(rows) + 30)


who = ui.require_session()
ws = ui.workspace()

ids = [r.id for r in reversed(approvals.list_requests(ws))]
if not ids:
    st.title("Request")
    st.info("There are no requests yet.")
    st.stop()
wanted = st.query_params.get("id")
if wanted in ids and st.session_state.get("request.id") != wanted:
    st.session_state["request.id"] = wanted
request_id = st.sidebar.selectbox("Request", ids, key="request.id",
                                  on_change=lambda: st.query_params.update(id=st.session_state["request.id"]))
ev = evidence.gather(ws, request_id)
badge = evidence.ledger_badge(ws, request_id)
req = ev.request

st.title(f"Request {ui.plain(req['id'])}")
ui.text(f"{req['kind']} request for run {req['run_id'] or '-'} ({req['pipeline'] or 'no pipeline named'}), "
        f"opened by {req['initiator']} {req['opened']}; "
        f"still needs {', '.join(ev.approval['missing_roles']) or 'nobody'}")

passed = sum(g["passed"] for g in ev.gates)
counted, missing = len(ev.approval["counted"]), len(ev.approval["missing_roles"])
status, signed, gates, age = st.columns(4)
status.metric("Status", req["status"])
signed.metric("Approvals", f"{counted} / {counted + missing}")
gates.metric("Gates passed", f"{passed} / {len(ev.gates)}")
age.metric("Waiting", req["age"])

(st.success if badge.healthy else st.error)(ui.plain(badge.summary), icon=":material/verified:")
failing = [g["gate"] for g in ev.gates if not g["passed"]]
if failing:
    st.warning(ui.plain(f"{len(failing)} gate(s) fail ({', '.join(failing)}): a release is refused until they "
                        "pass, whatever the approvals."))
for problem in ev.problems:
    st.warning(ui.plain(problem))
if ev.approval["rejected_by"]:
    rejected = ev.approval["rejected_by"]
    st.error(ui.plain(f"Rejected by {rejected['reviewer']} ({rejected['role']})"))

tabs = st.tabs(["Gates", "Metrics", "Slices", "Size & latency", "Scrub", "Curation", "Egress", "Plugins",
                "Decisions", "Ledger proofs", "Subject"])
with tabs[0]:
    ui.table([{**g, "passed": "pass" if g["passed"] else "FAIL"} for g in ev.gates], empty="No gates were computed.")
with tabs[1]:
    st.caption("Task and fidelity metrics on held-out data: the student, the teacher it learned from, "
               "and the same student trained on labels alone (no distillation).")
    ui.table(ev.metrics, empty="No evaluation report is bound to this request.")
with tabs[2]:
    if not ev.slices:
        st.caption("No per-slice results are bound to this request.")
    for field, rows in ev.slices.items():
        st.subheader(f"Accuracy by {ui.plain(field)}")
        st.altair_chart(slice_chart(rows), width="stretch")
        ui.table(rows)
with tabs[3]:
    ui.table(ev.targets, empty="No deployment targets in the policy's release gates.")
with tabs[4]:
    if ev.scrub is None:
        st.caption("No scrub report is bound to this request.")
    else:
        ui.text(f"{ev.scrub['records']} records scrubbed; {len(ev.scrub['residual'])} residual finding(s).")
        if ev.scrub["uncovered"]:
            st.error(ui.plain("Required entity types no method covers: " + ", ".join(ev.scrub["uncovered"])))
        st.subheader("Replaced entities")
        ui.table(ev.scrub["entities"], empty="No entities were found.")
        st.subheader("Coverage")
        ui.table(ev.scrub["coverage"])
        st.subheader("Residual findings")
        ui.table(ev.scrub["residual"], empty="None: the residual scan came back clean.")
with tabs[5]:
    ui.table(ev.funnel or [], empty="No curation funnel is bound to this request.")
with tabs[6]:
    if ev.egress:
        st.error(f"{len(ev.egress)} blocked egress attempt(s) during this run.")
    ui.table(ev.egress, empty="No network or program-launch attempt was blocked during this run.")
with tabs[7]:
    ui.table(ev.plugins, empty="No plugins are recorded in this request.")
with tabs[8]:
    ui.table(ev.decisions, empty="No decisions yet.")
    if ev.approval["ignored"]:
        st.subheader("Decisions that do not count")
        ui.table(ev.approval["ignored"])
with tabs[9]:
    ui.table(badge.proofs, empty="No ledger entries belong to this request yet.")
with tabs[10]:
    ui.text(f"request digest  {req['digest']}")
    ui.text(f"policy digest   {ev.policy['request']} (when opened)")
    ui.text(f"current policy  {ev.policy['current']}" + ("" if ev.policy["same"] else "  (changed since)"))
    st.json(ev.subject, expanded=False)

st.divider()
st.subheader("Your decision")
outcome = st.session_state.pop("request.outcome", None)
if outcome:
    (st.error if outcome["refused"] else st.success)(ui.plain(outcome["message"]))
roles = evidence.decision_roles(ws, req["kind"], who.roles)
with st.form("request.decide"):
    st.radio("Decision", ["approve", "reject"], horizontal=True, key="request.decision")
    if len(roles) > 1:
        st.selectbox("Decide as", roles, key="request.role")
    st.text_area("Comment", key="request.comment")
    st.text_input("Your passphrase (it unlocks your signing key for this decision only)", type="password",
                  key="request.passphrase")
    st.form_submit_button("Sign decision", type="primary", on_click=sign, args=(request_id,))
