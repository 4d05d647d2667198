"""The reviewer's desk through AppTest and the core: what a reviewer reads, and what their form can sign."""

from __future__ import annotations

import json
import re

import pytest

import dashboard_helpers as helpers
from stillroom.approvals import ApprovalRefused, decide, decisions_for, get_request, state_of
from stillroom.dashboard import evidence, review
from stillroom.errors import UsageError
from stillroom.users import unlock
from test_dashboard_app import form, open_app, shown, submit, table


@pytest.fixture
def desk(workspace, tmp_path):
    release, last, residency = helpers.build_desk(workspace, tmp_path)
    return workspace, release, last, residency


def test_a_decision_and_comment_do_not_carry_over_to_another_request(desk, monkeypatch):
    ws, release, _, residency = desk
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=release.id)
    at.radio(key=f"{form(release)}.decision").set_value("reject")
    at.text_area(key=f"{form(release)}.comment").input("not this one")
    at.run()
    at.selectbox(key="request.id").set_value(residency.id).run()
    assert at.radio(key=f"{form(residency)}.decision").value == "approve"
    assert at.text_area(key=f"{form(residency)}.comment").value == ""
    texts = [t.value for t in at.text]
    assert f"You are signing for request {residency.id}, subject digest {residency.digest}." in texts
    assert decisions_for(ws, residency.id) == []


def test_the_signed_confirmation_names_the_request_and_its_digest(desk, monkeypatch):
    ws, release, _, _ = desk
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=release.id)
    at.text_input(key=f"{form(release)}.passphrase").input(helpers.passphrase("sam"))
    submit(at, "Sign decision")
    assert shown(at.success[-1].value) == (f"You signed: approve {release.id} (subject {release.digest[:16]}). "
                                           "The request is pending; still needs legal.")


def test_a_residency_request_says_what_is_excepted_and_claims_no_gates(desk, monkeypatch):
    ws, _, _, residency = desk
    at = open_app(ws, monkeypatch, user="lena", page="app_pages/request.py", id=residency.id)
    answers = dict(zip(*table(at, "question").to_dict("list").values()))
    assert answers["host"] == "api.example-llm.com"
    assert answers["which data"].startswith("jsonl (classification: confidential)")
    assert "no region the residency policy knows" in answers["why the policy refused it"]
    assert answers["asked for by"] == "olga" and answers["for run"].startswith(helpers.REFUSED_RUN)
    assert [m.value for m in at.metric][2] == "none"
    inbox = open_app(ws, monkeypatch, user="lena")
    rows = inbox.dataframe[0].value.set_index("request")
    assert rows.loc[residency.id, "gates"] == "none (not a release)"


def test_a_decided_request_reads_as_decided(desk, monkeypatch):
    ws, _, last, _ = desk
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=last.id)
    assert not [b for b in at.button if b.label == "Sign decision"]
    assert not any("still needs" in t.value for t in at.text)
    assert [m.label for m in at.metric][3] == "Opened"
    assert "This request is approved; it takes no more decisions." in [t.value for t in at.text]


def test_the_summary_reads_every_figure_from_the_evidence(desk):
    ws, release, _, _ = desk
    ev = evidence.gather(ws, release.id)
    text = ev.summary.text
    assert "bank-intent-teacher (licence: apache-2.0)" in text
    assert "routing customer messages to the right banking team" in text
    assert "trained on 100 records of jsonl (classification: confidential)" in text
    assert "measured recall 0.91 on heldout-pii (human-annotated, 512 records, 2025-01-01)" in text
    worst = next(g["value"] for g in ev.gates if g["gate"] == "worst_slice_drop")
    assert f"drops {worst:.4g} against the teacher" in text and "top_up_failed" in text
    retained = next(m["student"] for m in ev.metrics if m["metric"] == "task.retained")
    assert f"keeps {100 * retained:.1f}% of the teacher's accuracy" in text
    assert "0 network or program-launch attempt(s) were blocked" in text
    assert {f["figure"] for f in ev.summary.facts} >= {"records", "recall", "retained", "worst_slice_drop"}
    assert all(f["meaning"] for f in ev.summary.facts if f["figure"] in review.GLOSSARY)


def test_what_changed_compares_with_the_pipelines_last_release(desk, monkeypatch):
    ws, release, last, _ = desk
    ev = evidence.gather(ws, release.id)
    assert ev.previous == last.id
    rows = {r["what"]: r for r in ev.changes}
    assert rows["data records"]["last release"] == "90" and rows["data records"]["this request"] == "100"
    assert rows["data records"]["changed"] and not rows["teacher"]["changed"]
    assert rows["slice label=top_up_failed accuracy"]["delta"] == "+0.03"
    assert [h["request"] for h in ev.history] == [release.id, last.id]
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=release.id)
    changed = table(at, "last release")
    assert list(changed["changed"])[:3] == [True, True, True]


def test_slices_lead_with_the_largest_drop_and_say_which_are_gated(desk):
    ws, release, _, _ = desk
    rows = evidence.gather(ws, release.id).slices["label"]
    assert [r["slice"] for r in rows][0] == "top_up_failed"
    assert [r["drop"] for r in rows] == sorted((r["drop"] for r in rows), reverse=True)
    assert all(r["gated"] for r in rows)
    buckets = evidence.slice_tables({"student": [{"evaluator": "slices", "slices": {"length": {
        b: {"n": 30, "accuracy": 0.9, "drop": d} for b, d in [("1-5", 0.1), ("11-20", 0.3), ("21+", 0.0),
                                                              ("6-10", 0.2)]}}}]})
    assert [r["slice"] for r in buckets["length"]] == ["1-5", "6-10", "11-20", "21+"]


def test_request_changes_is_signed_not_a_rejection_and_blocks_approval_until_withdrawn(desk):
    ws, release, _, _ = desk
    sam, lena = (unlock(ws, n, helpers.passphrase(n)) for n in ("sam", "lena"))
    with pytest.raises(UsageError, match="needs a comment"):
        decide(ws, release.id, sam, decision="changes")
    state = decide(ws, release.id, sam, decision="changes", comment="retrain without the 2019 records")
    assert state.status == "pending" and state.rejected_by is None
    assert state.changes_requested[0]["comment"] == "retrain without the 2019 records"
    state = decide(ws, release.id, lena, decision="approve")
    assert state.status == "pending" and state.missing_roles == ["security"]
    assert get_request(ws, release.id).status == "pending"
    state = decide(ws, release.id, sam, decision="approve", comment="done")
    assert state.status == "approved" and state.changes_requested == []
    olga = unlock(ws, "olga", helpers.passphrase("olga"))
    with pytest.raises(ApprovalRefused):
        decide(ws, release.id, olga, decision="changes", comment="x")


def test_the_operator_sees_a_request_for_changes_in_the_cli_and_the_dashboard(desk, monkeypatch):
    from typer.testing import CliRunner

    from stillroom import cli

    ws, release, _, _ = desk
    monkeypatch.setenv("STILLROOM_PASSPHRASE", helpers.passphrase("sam"))
    runner = CliRunner()
    done = runner.invoke(cli.app, ["requests", "changes", release.id, "--comment", "name the licence",
                                   "--as", "sam", "--workspace", str(ws.root)])
    assert done.exit_code == 0, done.output
    assert state_of(ws, get_request(ws, release.id)).changes_requested[0]["reviewer"] == "sam"
    shown_ = runner.invoke(cli.app, ["requests", "show", release.id, "--workspace", str(ws.root)])
    assert "changes requested by sam (security)" in shown_.output and "name the licence" in shown_.output
    at = open_app(ws, monkeypatch, user="olga", page="app_pages/request.py", id=release.id)
    assert any("Changes requested by sam" in shown(w.value) and "name the licence" in shown(w.value)
               for w in at.warning)


def test_the_model_card_is_rendered_as_text(desk, monkeypatch):
    ws, release, _, _ = desk
    at = open_app(ws, monkeypatch, user="lena", page="app_pages/request.py", id=release.id)
    texts = [t.value for t in at.text]
    assert "licence: apache-2.0" in texts
    assert "- English messages only." in texts
    assert any(t.startswith("teacher: bank-intent-teacher") for t in texts)


def test_every_summary_figure_links_to_its_evidence_with_a_glossary_tooltip(desk, monkeypatch):
    ws, release, _, _ = desk
    facts = evidence.gather(ws, release.id).summary.facts
    assert {f["figure"] for f in facts} >= {"size_mb", "records", "recall", "recall data set", "residual_pii",
                                            "retained", "slice examples", "worst_slice_drop",
                                            "size_mb[cpu-server]", "latency_ms_p95[cpu-server]",
                                            "blocked network attempts"}
    assert [f["figure"] for f in facts if not f["meaning"]] == []
    at = open_app(ws, monkeypatch, user="lena", page="app_pages/request.py", id=release.id)
    paragraph = next(m.value for m in at.markdown if "distilled from" in m.value)
    anchors = {h.proto.anchor for h in at.subheader}
    for fact in facts:
        link = f"](#{review.anchor(fact)} \""
        assert link in paragraph, fact["figure"]
        assert review.anchor(fact) in anchors, fact["figure"]
    # Every figure of the paragraph is a link: outside the links, digits are only in names (apache-2.0, p95).
    unlinked = shown(re.sub(r'\[[^\]]*\]\(#\S+ "[^"]*"\)', "", paragraph))
    assert not re.search(r"(?<![\w.-])\d", unlinked), unlinked
    worst = next(h for h in at.subheader if h.proto.anchor == "evidence-worst-slice-drop")
    assert worst.proto.help == review.GLOSSARY["worst_slice_drop"]


def test_long_messages_wrap_in_tall_rows_and_short_tables_stay_compact(desk, monkeypatch):
    ws, _, _, residency = desk
    at = open_app(ws, monkeypatch, user="lena", page="app_pages/request.py", id=residency.id)
    answers = next(t for t in at.dataframe if "question" in t.value.columns)
    why = dict(zip(*answers.value.to_dict("list").values()))["why the policy refused it"]
    assert len(why) > 60 and answers.proto.row_height > 64  # Streamlit wraps only rows taller than 4rem
    assert json.loads(answers.proto.columns)["answer"]["width"] == "large"
    inbox = open_app(ws, monkeypatch, user="lena")
    assert inbox.dataframe[0].proto.row_height == 35
