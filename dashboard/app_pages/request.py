"""One request's evidence, and the reviewer's decision on it: signed with their own key by the core.

Every field of the decision form is keyed by the request id and its subject digest, so nothing chosen or
typed on one request is still filled in on another (or on the same request once its subject changed).
"""

import altair as alt
import streamlit as st

from stillroom import approvals
from stillroom.dashboard import actions, evidence, review, theme, ui
from stillroom.errors import StillroomError

CHOICES = {"approve": "Approve", "changes": "Request changes", "reject": "Reject"}


def form_key(request_id: str, digest: str) -> str:
    return f"request.{request_id}.{digest[:16]}"


def sign(request_id: str, digest: str) -> None:
    """The form's callback: sign, then empty the passphrase widget (only a callback may) whatever happened."""
    form, key = st.session_state, form_key(request_id, digest)
    passphrase, form[f"{key}.passphrase"] = form[f"{key}.passphrase"], ""
    decision, who = form[f"{key}.decision"], ui.signed_in()
    if who is None:
        form["request.outcome"] = {"refused": True, "message": "Your session has ended; sign in again."}
        return
    try:
        state = actions.decide(ui.workspace(), who, request_id, passphrase=passphrase, decision=decision,
                               comment=form[f"{key}.comment"], role=form.get(f"{key}.role"))
    except StillroomError as refused:
        form["request.outcome"] = {"refused": True, "message": str(refused)}
        return
    form[f"{key}.comment"] = ""
    still = f"; still needs {', '.join(state.missing_roles)}" if state.status == "pending" and state.missing_roles else ""
    form["request.outcome"] = {"refused": False, "message": f"You signed: {decision} {request_id} (subject "
                                                            f"{digest[:16]}). The request is {state.status}{still}."}


def export(request_id: str) -> None:
    """The export form's callback: build and ledger the PDF under the reviewer's signature, then empty the
    passphrase widget (only a callback may)."""
    key = f"request.{request_id}.export"
    passphrase, st.session_state[f"{key}.passphrase"] = st.session_state[f"{key}.passphrase"], ""
    who = ui.signed_in()
    if who is None:
        st.session_state[f"{key}.refused"] = "Your session has ended; sign in again."
        return
    try:
        st.session_state[f"{key}.pdf"] = actions.export(ui.workspace(), who, request_id, passphrase=passphrase)
    except StillroomError as refused:
        st.session_state[f"{key}.refused"] = str(refused)


def slice_chart(rows: list[dict]) -> alt.Chart:
    """Student and teacher accuracy side by side per slice value, in the table's order (largest gap first),
    each labelled with its example count; a value that was not measured has no bar, a measured 0 has one."""
    order = [f"{r['slice']} (n={r['n']})" for r in rows]
    bars = [{"slice": label, "model": model, "accuracy": r[model]}
            for label, r in zip(order, rows) for model in ("student", "teacher") if r[model] is not None]
    return alt.Chart(alt.Data(values=bars)).mark_bar().encode(
        y=alt.Y("slice:N", title=None, sort=order, axis=alt.Axis(labelLimit=400)), yOffset="model:N",
        x=alt.X("accuracy:Q", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", scale=alt.Scale(domain=list(theme.MODELS), range=list(theme.MODELS.values()))),
        tooltip=["slice:N", "model:N", alt.Tooltip("accuracy:Q", format=".3f")],
    ).properties(height=36 * len(rows) + 30)


def linked(summary) -> str:
    """The summary as Markdown: the text escaped, each figure a link to its evidence, its glossary sentence
    as the link's tooltip."""
    out = []
    for piece, fact in summary.pieces():
        if fact is None:
            out.append(ui.plain(piece))
        else:
            tip = f"{fact['meaning']} Read from {fact['from']}.".strip().replace('"', "'")
            out.append(f'[{ui.plain(piece)}](#{review.anchor(fact)} "{tip}")')
    return "".join(out)


def gate_rows(gates: list[dict]) -> list[dict]:
    return [{**g, "passed": "pass" if g["passed"] else "FAIL", "meaning": review.meaning(g["gate"])} for g in gates]


def figure_evidence(ev, figure: str) -> list[dict]:
    """The rows a summary figure was read from, as the tabs show them."""
    name, _, target = figure.partition("[")
    if target:
        return [row for row in ev.targets if row["target"] == target.rstrip("]")]
    if name in ("recall", "recall data set"):
        measured = ((ev.scrub or {}).get("detection") or {}).get("measured") or []
        return [{"data set": m["name"], "kind": m["kind"], "records": m["size"], "measured": m["measured_at"],
                 **{k: m["overall"].get(k) for k in ("precision", "recall", "support")}, "digest": m["digest"]}
                for m in measured]
    rows = {
        "size_mb": [m for m in ev.metrics if m["metric"].startswith("latency.")],
        "retained": [m for m in ev.metrics if m["metric"].startswith("task.")],
        "records": [{k: ev.run.get(k) for k in ("source", "source_location", "classification", "records",
                                                  "data_digest")}],
        "residual_pii": (ev.scrub or {}).get("residual", []),
        "worst_slice_drop": gate_rows([g for g in ev.gates if g["gate"] == "worst_slice_drop"]),
        "slice examples": [row for table in ev.slices.values() for row in table if row["gated"]][:5],
        "blocked network attempts": ev.egress,
    }
    return rows.get(name, [])


def show_summary(ev) -> None:
    summary = ev.summary
    st.subheader("In plain words")
    st.markdown(linked(summary))
    st.caption("Every figure links to the evidence it was read from, below; hover it for what it means.")
    metric = {row["metric"]: row["student"] for row in ev.metrics}
    gate = {g["gate"]: g.get("value") for g in ev.gates}
    cells = st.columns(4)
    for cell, (label, name, value) in zip(cells, [
            ("Retained accuracy", "retained", metric.get("task.retained")),
            ("Agreement with teacher", "agreement", metric.get("fidelity.agreement")),
            ("Worst slice drop", "worst_slice_drop", gate.get("worst_slice_drop")),
            ("Residual PII", "residual_pii", gate.get("residual_pii"))]):
        cell.metric(label, "not recorded" if value is None else f"{value:.4g}", help=review.GLOSSARY[name])
    st.subheader("What a reviewer should check")
    for check in summary.checks:
        ui.text(f"- {check}")
    st.subheader("Where each figure comes from")
    ui.table(summary.facts)
    for fact in summary.facts:
        st.subheader(f"{ui.plain(fact['figure'])}: {ui.plain(fact['value'])}", anchor=review.anchor(fact),
                     help=fact["meaning"] or None)
        ui.text(f"Read from {fact['from']}.")
        ui.table(figure_evidence(ev, fact["figure"]), empty="Nothing recorded: the figure is the evidence's absence.")


def show_card(card, run: dict) -> None:
    if card is None:
        st.caption("No model card is bound to this request.")
        return
    ui.text(f"teacher: {card['teacher'] or 'not named'}  ({card['teacher_location']})")
    ui.text(f"licence: {card['licence']}")
    ui.text(f"task: {card['task']}")
    ui.text(f"data: {run.get('source') or 'not recorded'}, classification "
            f"{run.get('classification') or 'not recorded'}, {run.get('records') or 'unknown'} records")
    st.subheader("Intended use")
    ui.text(card["intended_use"])
    st.subheader("Limitations")
    for item in card["limitations"] or ["none stated"]:
        ui.text(f"- {item}")
    if card["pii"]:
        st.subheader("PII scrubbing")
        ui.text(card["pii"])
    st.caption(f"model card sha256 {card['digest']}")


def show_residency(view) -> None:
    st.subheader("What this exception would allow")
    data, where = view["data"], view["where"]
    records = "none read yet: the run was refused before any data moved" if data["records"] is None \
        else data["records"]
    ui.table([
        {"question": "which data", "answer": f"{data['source']} (classification: {data['classification']}); "
                                             f"records: {records}"},
        {"question": "sent to", "answer": f"the {view['component']} at {where['location']}"},
        {"question": "host", "answer": where["host"]},
        {"question": "region", "answer": where["region"]},
        {"question": "why the policy refused it", "answer": where["why_refused"]},
        {"question": "asked for by", "answer": view["by"]},
        {"question": "for run", "answer": f"{view['run'] or '-'} (pipeline {view['pipeline'] or 'not recorded'})"},
        {"question": "bound to fingerprint", "answer": view["fingerprint"]},
    ])
    st.caption("Approving admits exactly this component, by this fingerprint, for runs by the same initiator; "
               "anything else about it changed is a new request.")


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
st.query_params["id"] = request_id  # the address always names the request shown: a link or a reload finds it
ev = evidence.gather(ws, request_id)
badge = evidence.ledger_badge(ws, request_id)
req = ev.request
pending = req["status"] == "pending"

st.title(f"Request {ui.plain(req['id'])}")
if ev.residency:
    headline = (f"residency exception for run {req['run_id'] or '-'}: {ev.residency['component']} at "
                f"{ev.residency['where']['location']} for {ev.residency['data']['classification']} data")
else:
    headline = f"{req['kind']} request for run {req['run_id'] or '-'} ({req['pipeline'] or 'no pipeline named'})"
tail = f"; still needs {', '.join(ev.approval['missing_roles']) or 'nobody'}" if pending else f"; {req['status']}"
ui.text(f"{headline}, opened by {req['initiator']} {req['opened']}{tail}")
ui.text(f"subject digest {req['digest']}")

counted, missing = len(ev.approval["counted"]), len(ev.approval["missing_roles"])
status, signed, gates, age = st.columns(4)
status.metric("Status", req["status"])
signed.metric("Approvals", f"{counted} / {counted + missing}")
if ev.residency:
    gates.metric("Gates", "none", help="A residency exception is not a release: no release gates apply.")
else:
    gates.metric("Gates passed", f"{sum(g['passed'] for g in ev.gates)} / {len(ev.gates)}")
age.metric("Waiting" if pending else "Opened", req["age"] if pending else req["opened"])

(st.success if badge.healthy else st.error)(ui.plain(badge.summary), icon=":material/verified:")
failing = [g["gate"] for g in ev.gates if not g["passed"]]
if failing:
    st.warning(ui.plain(f"{len(failing)} gate(s) fail ({', '.join(failing)}): a release is refused until they "
                        "pass, whatever the approvals."))
for problem in ev.problems:
    st.warning(ui.plain(problem))
for change in ev.approval["changes_requested"]:
    st.warning(ui.plain(f"Changes requested by {change['reviewer']} ({change['role']}) at {change['time']}: "
                        f"{change['comment']}"), icon=":material/undo:")
if ev.approval["rejected_by"]:
    rejected = ev.approval["rejected_by"]
    st.error(ui.plain(f"Rejected by {rejected['reviewer']} ({rejected['role']})"))

with st.expander("Audit record (PDF)"):
    export_key = f"request.{request_id}.export"
    with st.form(f"{export_key}.form"):
        st.caption("A printable report of everything on this page. Its sha256 goes into the ledger, signed with "
                   "your key, so the filed copy can be checked and the ledger says who filed it.")
        st.text_input("Passphrase to sign the export", type="password", key=f"{export_key}.passphrase")
        st.form_submit_button("Prepare the audit record (PDF)", on_click=export, args=(request_id,))
    made = st.session_state.pop(f"{export_key}.pdf", None)
    if made:
        st.download_button(f"Download {request_id}-audit.pdf", made, file_name=f"{request_id}-audit.pdf",
                           mime="application/pdf", key=f"{export_key}.download", on_click="ignore")
    refused = st.session_state.pop(f"{export_key}.refused", None)
    if refused:
        st.error(ui.plain(refused), icon=":material/block:")

if ev.residency:
    show_residency(ev.residency)
    names = ["Egress", "Plugins", "Decisions", "Ledger proofs", "Subject"]
else:
    names = ["Summary", "Model card", "What changed", "Gates", "Metrics", "Slices", "Size & latency", "Scrub",
             "Curation", "Egress", "Plugins", "Decisions", "Ledger proofs", "Subject"]
tab = dict(zip(names, st.tabs(names)))
if "Summary" in tab:
    with tab["Summary"]:
        show_summary(ev)
    with tab["Model card"]:
        show_card(ev.card, ev.run)
    with tab["What changed"]:
        if ev.previous is None:
            st.caption("This is the first release request of this pipeline: there is nothing to compare with.")
        else:
            changed = [row for row in ev.changes if row["changed"]]
            st.caption(f"Against {ev.previous}, this pipeline's last approved or released request: "
                       f"{len(changed)} of {len(ev.changes)} items changed (listed first).")
            ui.table(changed + [row for row in ev.changes if not row["changed"]])
        st.subheader(f"Release history of {ui.plain(req['pipeline'] or 'this pipeline')}")
        ui.table(ev.history, help={"worst_slice_drop": review.GLOSSARY["worst_slice_drop"],
                                   "retained_quality": review.GLOSSARY["retained_quality"],
                                   "fidelity": review.GLOSSARY["fidelity"]})
    with tab["Gates"]:
        ui.table(gate_rows(ev.gates), empty="No gates were computed.")
    with tab["Metrics"]:
        st.caption("Task and fidelity metrics on held-out data: the student, the teacher it learned from, "
                   "and the same student trained on labels alone (no distillation).")
        ui.table(ev.metrics, empty="No evaluation report is bound to this request.")
    with tab["Slices"]:
        if not ev.slices:
            st.caption("No per-slice results are bound to this request.")
        st.caption(f"Largest drop first. The gate counts slices of {ev.min_slice_size}+ examples (gated); a blank "
                   "cell was not measured, a 0 was measured as 0.")
        for field, rows in ev.slices.items():
            st.subheader(f"Accuracy by {ui.plain(field)}")
            ui.chart(slice_chart(rows), rows, help={"drop": review.GLOSSARY["drop"]})
    with tab["Size & latency"]:
        ui.table(ev.targets, empty="No deployment targets in the policy's release gates.")
    with tab["Scrub"]:
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
    with tab["Curation"]:
        ui.table(ev.funnel or [], empty="No curation funnel is bound to this request.")
with tab["Egress"]:
    if ev.egress:
        st.warning(f"{len(ev.egress)} network or program-launch attempt(s) were blocked during this run: nothing "
                   "left the machine. Check each target below is one you expect (a library looking for updates "
                   "is common and harmless; a data host is not).")
    ui.table(ev.egress, empty="No network or program-launch attempt was blocked during this run.")
with tab["Plugins"]:
    ui.table(ev.plugins, empty="No plugins are recorded in this request.")
with tab["Decisions"]:
    ui.table(ev.decisions, empty="No decisions yet.")
    if ev.approval["ignored"]:
        st.subheader("Decisions that do not count")
        ui.table(ev.approval["ignored"])
with tab["Ledger proofs"]:
    ui.table(badge.proofs, empty="No ledger entries belong to this request yet.")
with tab["Subject"]:
    ui.text(f"request digest  {req['digest']}")
    ui.text(f"policy digest   {ev.policy['request']} (when opened)")
    ui.text(f"current policy  {ev.policy['current']}" + ("" if ev.policy["same"] else "  (changed since)"))
    st.json(ev.subject, expanded=False)

st.divider()
outcome = st.session_state.pop("request.outcome", None)
if outcome:
    (st.error if outcome["refused"] else st.success)(ui.plain(outcome["message"]))
if not pending:
    st.subheader("Decided")
    ui.text(f"This request is {req['status']}; it takes no more decisions.")
    st.stop()
st.subheader("Your decision")
roles = evidence.decision_roles(ws, req["kind"], who.roles)
key = form_key(req["id"], req["digest"])
with st.form(f"{key}.form"):
    ui.text(f"You are signing for request {req['id']}, subject digest {req['digest']}.")
    st.radio("Decision", list(CHOICES), format_func=CHOICES.get, horizontal=True, key=f"{key}.decision")
    if len(roles) > 1:
        st.selectbox("Decide as", roles, key=f"{key}.role")
    st.text_area("Comment", key=f"{key}.comment")
    st.text_input("Your passphrase (it unlocks your signing key for this decision only)", type="password",
                  key=f"{key}.passphrase")
    st.form_submit_button("Sign decision", type="primary", on_click=sign, args=(req["id"], req["digest"]))
