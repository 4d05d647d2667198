"""The Sample audit page through Streamlit's AppTest: a security reviewer marks and signs; others only see."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from stillroom import sample_audit
from stillroom.dashboard import session
from tests.people import setup_user
from tests.test_sample_audit import PASS, release_request

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "app_pages/sample_audit.py"
ROLES = {"olga": ["operator"], "sam": ["security"], "lena": ["legal"]}


def open_page(ws, monkeypatch, user: str) -> AppTest:
    monkeypatch.setenv("STILLROOM_WORKSPACE", str(ws.root))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[session.USER] = user
    at.session_state[session.ROLES] = ROLES[user]
    at.session_state[session.EXPIRES] = time.time() + 600
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_security_reviewer_marks_pii_left_and_signs_and_the_bound_is_shown(workspace, monkeypatch):
    for name, roles in ROLES.items():
        setup_user(workspace, name, roles, PASS, actor="admin")
    request = release_request(workspace, records=30)
    at = open_page(workspace, monkeypatch, "sam")
    drawn = sample_audit.draw_sample(workspace, request)
    assert len(drawn.indices) == 30
    assert any(":orange-background[\\<PERSON\\>]" in m.value for m in at.markdown)  # the placeholder, highlighted
    at.multiselect(key=f"sample_audit.{drawn.indices[4]}").select("PHONE_NUMBER")
    at.text_input(key="sample_audit.passphrase").input(PASS)
    next(b for b in at.button if b.label == "Sign audit").click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value.replace("\\", "") == f"You signed the audit of {request.id}: 1 of 30 records with PII left."
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Records with PII left"] == "1 / 30"
    assert metrics["Miss rate, 95% upper bound"] == f"{sample_audit.clopper_pearson_upper(1, 30):.3f}"
    assert at.session_state["sample_audit.passphrase"] == ""
    outcome = sample_audit.outcome_of(workspace, request)
    assert outcome.reviewer == "sam" and outcome.types == ["PHONE_NUMBER"]


def test_a_reviewer_without_the_security_role_sees_no_form(workspace, monkeypatch):
    for name, roles in ROLES.items():
        setup_user(workspace, name, roles, PASS, actor="admin")
    release_request(workspace, records=10)
    at = open_page(workspace, monkeypatch, "lena")
    assert [i.value for i in at.info] == ["Only a security reviewer signs a sample audit."]
    assert not [b for b in at.button if b.label == "Sign audit"]
