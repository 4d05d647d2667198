"""Each dashboard page through Streamlit's AppTest: what a signed-in (or signed-out) person sees and can do."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dashboard_helpers as helpers
from stillroom.approvals import decisions_for, get_request
from stillroom.dashboard import session
from stillroom.users import get_user
from stillroom.workspace import init_workspace

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
HOSTILE = '<b>bold</b> **strong** ![pixel](http://127.0.0.1:9/pixel.png) :red[alarm]'


def shown(value: str) -> str:
    """What a reader sees of a value the app escaped for Markdown."""
    return re.sub(r"\\(.)", r"\1", value)


def open_app(ws, monkeypatch, user: str | None = None, page: str | None = None, **query: str) -> AppTest:
    monkeypatch.setenv("STILLROOM_WORKSPACE", str(ws.root))
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.session_state[session.USER] = user
        at.session_state[session.ROLES] = helpers.PEOPLE[user]
        at.session_state[session.EXPIRES] = time.time() + 600
    at.run()
    if page:
        at.switch_page(page)
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
    assert not at.exception, at.exception
    return at


def widget_states(at: AppTest) -> str:
    """Everything the session holds for its widgets, as the server keeps it between reruns."""
    return repr(at.session_state._state._state.get_widget_states())


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    return at


def table(at: AppTest, column: str):
    """The first table on the page with ``column``."""
    return next(t.value for t in at.dataframe if column in t.value.columns)


def form(request) -> str:
    """The prefix of a request's decision-form keys: its id and subject digest."""
    return f"request.{request.id}.{request.digest[:16]}"


def titles(at: AppTest) -> list[str]:
    return [shown(t.value) for t in at.title]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A workspace for the pages that only read; tests that sign decisions build their own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("STILLROOM_DATABASE_URL", raising=False)
        ws = init_workspace(tmp_path_factory.mktemp("dash") / "ws", name="dash")
        request = helpers.build(ws)
        yield ws, request


@pytest.fixture
def fresh(workspace):
    return workspace, helpers.build(workspace)


def test_signed_out_only_the_sign_in_page_exists(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch)
    assert titles(at) == ["Stillroom review"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/request.py")


def test_sign_in_form_refuses_a_wrong_passphrase_then_opens_the_inbox(shared, monkeypatch):
    ws, request = shared
    at = open_app(ws, monkeypatch)
    at.text_input(key="sign_in.name").input("sam")
    at.text_input(key="sign_in.passphrase").input("not the passphrase")
    submit(at, "Sign in")
    assert [shown(e.value) for e in at.error] == ["wrong user name or passphrase"]
    at.text_input(key="sign_in.name").input("sam")
    at.text_input(key="sign_in.passphrase").input(helpers.passphrase("sam"))
    submit(at, "Sign in")
    assert titles(at) == ["Inbox"]
    assert list(at.dataframe[0].value["request"]) == [request.id]
    assert at.session_state[session.USER] == "sam"
    assert helpers.passphrase("sam") not in repr(at.session_state.to_dict())
    at.run()
    assert helpers.passphrase("sam") not in widget_states(at)
    assert get_user(ws, "sam").failed_logins == 0


def test_inbox_is_empty_for_a_role_nothing_waits_for(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch, user="olga")
    assert titles(at) == ["Inbox"] and "Nothing is waiting" in shown(at.info[0].value)


def test_request_page_shows_the_evidence_and_a_verified_ledger(shared, monkeypatch):
    ws, request = shared
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=request.id)
    assert titles(at) == [f"Request {request.id}"]
    assert [m.value for m in at.metric][:4] == ["pending", "0 / 2", "6 / 6", "just now"]
    assert shown(at.success[0].value).startswith("ledger verified up to checkpoint")
    assert set(table(at, "gate")["passed"]) == {"pass"}
    metrics = max((t.value for t in at.dataframe if "metric" in t.value.columns), key=len)  # the Metrics tab's
    assert list(metrics["metric"])[:2] == ["task.accuracy", "task.macro_f1"]
    assert list(table(at, "slice")["slice"]) == ["top_up_failed", "card_arrival", "lost_or_stolen_card"]
    assert list(table(at, "target")["target"]) == ["cpu-server"]
    assert list(table(at, "step")["out"]) == [100, 93]
    assert set(table(at, "covered")["covered"]) == {True}
    proofs = next(t.value for t in at.dataframe if {"seq", "status"} <= set(t.value.columns))
    assert set(proofs["status"]) == {"verified"}
    assert len(at.get("vega_lite_chart")) == 1


def test_a_reviewer_approves_and_their_comment_is_shown_as_text(fresh, monkeypatch):
    ws, request = fresh
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=request.id)
    at.text_area(key=f"{form(request)}.comment").input(HOSTILE)
    at.text_input(key=f"{form(request)}.passphrase").input(helpers.passphrase("sam"))
    submit(at, "Sign decision")
    assert not at.exception, at.exception
    assert shown(at.success[-1].value) == (
        f"You signed: approve {request.id} (subject {request.digest[:16]}). The request is pending; still needs legal.")
    assert [m.value for m in at.metric][:2] == ["pending", "1 / 2"]
    assert [(d.user, d.decision, d.comment) for d in decisions_for(ws, request.id)] == [("sam", "approve", HOSTILE)]
    decisions = table(at, "comment")
    assert list(decisions["comment"]) == [HOSTILE]
    markdown = [e.value for kind in ("markdown", "caption", "success", "error", "info", "warning", "title",
                                     "subheader") for e in at.get(kind)]
    assert not any("pixel.png" in value for value in markdown)
    assert at.session_state[f"{form(request)}.passphrase"] == ""
    at.run()  # the browser's next message replaces the widget values the server kept from the submit
    assert helpers.passphrase("sam") not in widget_states(at)


def test_the_initiator_is_refused_with_the_policys_message(fresh, monkeypatch):
    ws, request = fresh
    at = open_app(ws, monkeypatch, user="olga", page="app_pages/request.py", id=request.id)
    at.text_input(key=f"{form(request)}.passphrase").input(helpers.passphrase("olga"))
    submit(at, "Sign decision")
    assert [shown(e.value) for e in at.error] == [(
        f"olga initiated {request.id} and cannot approve it: the policy excludes the initiator from deciding "
        "their own request")]
    assert decisions_for(ws, request.id) == [] and get_request(ws, request.id).status == "pending"


def test_runs_page_shows_the_stage_timeline(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/runs.py")
    stages = table(at, "stage")
    assert list(stages["stage"]) == ["ingest", "scrub", "curate", "evaluate"]
    assert list(stages["seconds"]) == [1.5, 2.5, 3.5, 4.5]
    assert len(at.get("vega_lite_chart")) == 1


def test_ledger_page_verifies_searches_and_proves(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch, user="lena", page="app_pages/ledger.py")
    assert shown(at.success[0].value).startswith("OK ")
    at.selectbox(key="ledger.kind").set_value("request.opened").run()
    found = table(at, "kind")
    assert list(found["kind"]) == ["request.opened"]
    at.number_input(key="ledger.seq").set_value(int(found["seq"][0]))
    at.button(key="ledger.prove").click().run()
    assert any("is included in checkpoint" in shown(s.value) for s in at.success)
    at.button(key="ledger.export").click().run()
    assert at.get("download_button")[0].label == "Download ledger-export.zip"


def test_policies_page_shows_the_digest_and_rules(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/policies.py")
    assert at.text[0].value == f"active policy digest  {ws.policy().digest}"
    approvals = table(at, "required roles")
    assert list(approvals["required roles"]) == ["security, legal", "security, legal"]
    history = table(at, "active")
    assert list(history["active"]) == [True]


def test_users_page_is_for_admins_only(shared, monkeypatch):
    ws, _ = shared
    at = open_app(ws, monkeypatch, user="sam")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/users.py")
    at = open_app(ws, monkeypatch, user="ada", page="app_pages/users.py")
    assert titles(at) == ["Users"]
    assert set(table(at, "user")["user"]) == set(helpers.PEOPLE)


def test_an_admin_adds_a_user_confirming_with_their_passphrase(fresh, monkeypatch):
    ws, _ = fresh
    at = open_app(ws, monkeypatch, user="ada", page="app_pages/users.py")
    at.text_input(key="users.add.name").input("nina")
    at.multiselect(key="users.add.roles").set_value(["legal"])
    at.text_input(key="users.add.new").input("nina-first-passphrase")
    at.text_input(key="users.add.mine").input(helpers.passphrase("ada"))
    submit(at, "Add user")
    assert shown(at.success[0].value) == "Added nina (legal)."
    assert get_user(ws, "nina").roles == ["legal"]


def test_an_expired_session_goes_back_to_sign_in(shared, monkeypatch):
    ws, request = shared
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=request.id)
    at.session_state[session.EXPIRES] = time.time() - 1
    at.run()
    assert titles(at) == ["Stillroom review"]
    assert session.USER not in at.session_state


def test_stillroom_dashboard_serves_the_packaged_app_on_loopback_without_telemetry(workspace, monkeypatch):
    """The exact `streamlit run` the command starts (served for real in test_dashboard_e2e.py)."""
    from typer.testing import CliRunner

    from stillroom import cli

    launched = []
    monkeypatch.setattr(cli, "_serve", lambda command: launched.append(command) or 0)
    result = CliRunner().invoke(cli.app, ["dashboard", "--port", "8599", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    command = launched[0]
    assert command[1:4] == ["-m", "streamlit", "run"] and Path(command[4]).samefile(APP)
    separator = command.index("--")
    options = dict(zip(command[5:separator:2], command[6:separator:2]))
    assert options["--server.address"] == "127.0.0.1" and options["--server.port"] == "8599"
    assert options["--browser.gatherUsageStats"] == "false" and options["--server.headless"] == "true"
    assert options["--client.toolbarMode"] == "viewer"
    assert command[separator + 1:] == ["--workspace", str(workspace.root)]
