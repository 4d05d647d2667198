"""Sample audit: a security reviewer reads a release request's seeded sample of scrubbed records, placeholders
highlighted, marks the PII left, and signs the marks with their own key. The rules are the core's
(``sample_audit.py``); this page only shows the sample and the outcome, and passes the marks on."""

import streamlit as st

from stillroom import approvals, sample_audit
from stillroom.dashboard import session, ui
from stillroom.errors import StillroomError

TYPES = ["PERSON", "USERNAME", "STREET_ADDRESS", "LOCATION", "POSTAL_CODE", "EMAIL_ADDRESS", "PHONE_NUMBER",
         "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "NATIONAL_ID", "BANK_ACCOUNT", "DATE_TIME", "ORGANIZATION"]


def marked(text: str) -> str:
    """``text`` as Markdown that shows every character as typed, with each placeholder on a highlight."""
    return "".join(f":orange-background[{ui.plain(part)}]" if placeholder else ui.plain(part)
                   for part, placeholder in sample_audit.segments(text))


def sign(request_id: str, indices: list[int]) -> None:
    """The form's callback: sign the marks, then empty the passphrase widget whatever happened."""
    form = st.session_state
    passphrase, form["sample_audit.passphrase"] = form["sample_audit.passphrase"], ""
    who = ui.signed_in()
    if who is None:
        form["sample_audit.outcome"] = {"refused": True, "message": "Your session has ended; sign in again."}
        return
    marks = [{"index": i, "verdict": "pii_left" if form.get(f"sample_audit.{i}") else "clean",
              "types": list(form.get(f"sample_audit.{i}") or [])} for i in indices]
    ws = ui.workspace()
    try:
        outcome = sample_audit.sign_audit(ws, request_id, session.confirm(ws, who, passphrase), marks)
    except StillroomError as refused:
        form["sample_audit.outcome"] = {"refused": True, "message": str(refused)}
        return
    form["sample_audit.outcome"] = {"refused": False, "message": f"You signed the audit of {request_id}: "
                                    f"{outcome.misses} of {outcome.size} records with PII left."}


who = ui.require_session()
ws = ui.workspace()
st.title("Sample audit")
open_requests = [r for r in reversed(approvals.list_requests(ws, kind="release"))
                 if r.status in ("pending", "approved") and (r.subject.get("data") or {}).get("scrubbed")]
if not open_requests:
    st.info("No open release request names scrubbed data to audit.")
    st.stop()
request_id = st.selectbox("Release request", [r.id for r in open_requests], key="sample_audit.request")
request = approvals.get_request(ws, request_id)
try:
    drawn = sample_audit.draw_sample(ws, request)
    outcome = sample_audit.outcome_of(ws, request, drawn)
except StillroomError as problem:
    st.error(ui.plain(problem))
    st.stop()

rule = ws.policy().release_gates.sample_audit
ui.text(f"{len(drawn.indices)} of {drawn.population} scrubbed records, drawn with a seed from the request "
        f"(the policy asks for {rule.size}; a release {'needs' if rule.required else 'does not need'} an audit "
        f"with at most {rule.max_misses} record(s) with PII left).")
done, misses, bound = st.columns(3)
done.metric("Audits counted", len(outcome.counted))
misses.metric("Records with PII left", "-" if not outcome.completed else f"{outcome.misses} / {outcome.size}")
bound.metric("Miss rate, 95% upper bound", "-" if outcome.miss_rate_upper is None else f"{outcome.miss_rate_upper:.3f}",
             help="Clopper–Pearson (exact binomial) interval's upper end, for the audit with the most misses.")
if outcome.completed:
    ui.text(f"Decided by {outcome.reviewer}'s audit; types left: {', '.join(outcome.types) or 'none'}.")
for ignored in outcome.ignored:
    st.warning(ui.plain(f"Not counted: {ignored['reason']}"))

result = st.session_state.pop("sample_audit.outcome", None)
if result:
    (st.error if result["refused"] else st.success)(ui.plain(result["message"]))

if not who.has(sample_audit.ROLE):
    st.info("Only a security reviewer signs a sample audit.")
    st.stop()

with st.form("sample_audit.form"):
    for n, (index, record) in enumerate(zip(drawn.indices, drawn.records), 1):
        st.caption(f"Record {index} ({n} of {len(drawn.indices)})")
        for name, value in record.items():
            if isinstance(value, str):
                st.markdown(f"**{ui.plain(name)}**: {marked(value)}")
        st.multiselect("PII left (empty: clean)", TYPES, key=f"sample_audit.{index}", accept_new_options=True)
        st.divider()
    st.text_input("Your passphrase (signs the audit with your own key)", type="password", key="sample_audit.passphrase")
    st.form_submit_button("Sign audit", on_click=sign, args=(request_id, list(drawn.indices)))
