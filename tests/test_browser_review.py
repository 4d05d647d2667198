"""The reviewer's desk in Chromium: nothing leaves 127.0.0.1, and what a reviewer reads and signs.

Every request the browser makes is routed through a guard that lets only loopback through and records
anything else; each test ends by asserting the record is empty. One server, one workspace: the desk of
``dashboard_helpers.build_desk`` (a release with a previous release, a residency request from a refused run),
served by `stillroom dashboard`, walked by security, legal and the initiator in turn.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

import dashboard_helpers as helpers
from stillroom.approvals import decisions_for
from stillroom.artifacts import sha256_bytes
from test_audit_export import pdf_text
from test_dashboard_e2e import WAIT_MS, browser, expect, serve  # noqa: F401 (fixtures)

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def guarded(browser):  # noqa: F811
    """A page whose every request off loopback is refused and recorded (data: and blob: URLs stay local)."""
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page, outside
    context.close()


@pytest.fixture
def desk(workspace, tmp_path):
    """The demo desk (a release with a previous one, a residency request), served on loopback."""
    release, last, residency = helpers.build_desk(workspace, tmp_path)
    with serve(workspace, tmp_path) as base:
        yield workspace, release, last, residency, base


def test_reviewers_walk_both_request_kinds_without_a_request_off_loopback(desk, guarded, tmp_path):
    """Security, then legal, then the initiator, on a release (with a previous release) and a residency request."""
    ws, release, last, residency, base = desk
    page, outside = guarded

    # Security, signing in with the keyboard alone: a shared link to the release survives the sign-in and
    # opens on the summary.
    sign_in_by_keyboard(page, f"{base}/request?id={release.id}", "sam")
    expect(page.get_by_role("heading", name=f"Request {release.id}")).to_be_visible(timeout=WAIT_MS)
    summary = page.get_by_text(re.compile(r"distilled from bank-intent-teacher \(licence: apache-2\.0\) for: routing"))
    expect(summary).to_be_visible(timeout=WAIT_MS)
    expect(summary).to_contain_text("trained on 100 records of jsonl (classification: confidential)")
    expect(summary).to_contain_text("measured recall 0.91 on heldout-pii")
    # Each figure is a link to the evidence it was read from.
    page.get_by_role("link", name="0.91", exact=True).click()
    expect(page.locator("#evidence-recall")).to_be_in_viewport(timeout=WAIT_MS)
    for tab in ("Model card", "Gates", "Metrics", "Slices", "Size & latency", "Scrub", "Curation", "Egress",
                "Plugins", "Decisions", "Ledger proofs", "Subject", "What changed"):
        page.get_by_role("tab", name=tab).click()
    # The diff: against the last approved release, what changed first (canvas cells have attached copies).
    expect(page.get_by_text(f"Against {last.id}", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("data records", exact=True).first).to_be_attached(timeout=WAIT_MS)
    expect(page.get_by_text("slice label=top_up_failed accuracy", exact=True).first).to_be_attached()

    # A choice and a comment on the release are not still there on the residency request.
    page.get_by_text("Reject", exact=True).click()
    page.get_by_role("textbox", name="Comment").fill("not this one")
    open_from_inbox(page, residency.id)
    expect(page.get_by_text(f"You are signing for request {residency.id}, subject digest {residency.digest}."
                            )).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Comment")).to_have_value("")
    expect(page.get_by_role("radio", name="Approve")).to_be_checked()
    expect(page.get_by_text("api.example-llm.com", exact=True)).to_be_attached(timeout=WAIT_MS)
    sign(page, "sam", "approve", "the endpoint is the vendor's EU tenant")
    expect_signed(page, f"approve {residency.id} (subject {residency.digest[:16]}). The request is pending; "
                        "still needs legal.")
    open_from_inbox(page, release.id)
    approve_by_keyboard(page, "sam", "scrub report clean; no egress")
    expect_signed(page, f"approve {release.id} (subject {release.digest[:16]}). The request is pending; "
                        "still needs legal.")

    # Legal: approves the release, which then reads as decided; returns the residency request for changes.
    sign_in_at(page, base, "lena")
    open_from_inbox(page, release.id)
    sign(page, "lena", "approve", "licence permits distillation")
    expect_signed(page, f"approve {release.id} (subject {release.digest[:16]}). The request is approved.")
    expect(page.get_by_text("This request is approved; it takes no more decisions.")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Sign decision")).to_have_count(0)
    open_from_inbox(page, residency.id)
    expect(page.get_by_text(re.compile("no region the residency policy knows")).first).to_be_attached(timeout=WAIT_MS)
    sign(page, "lena", "changes", "name the data processing agreement")
    expect_signed(page, f"changes {residency.id} (subject {residency.digest[:16]}). The request is pending")

    # The audit record of the release downloads; the ledger holds its sha256, and it says what was decided.
    sign_in_at(page, f"{base}/request?id={release.id}", "lena")
    page.get_by_text("Audit record (PDF)", exact=True).click()
    page.get_by_label("Passphrase to sign the export").fill(helpers.passphrase("lena"))
    page.get_by_role("button", name="Prepare the audit record (PDF)").click()
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name=f"Download {release.id}-audit.pdf").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    [exported] = ws.ledger().entries(kind="request.exported", limit=10)
    assert exported.payload["sha256"] == sha256_bytes(saved.read_bytes()) and exported.actor == "lena"
    text = " ".join(pdf_text(saved).split())
    for expected in (f"Audit record: request {release.id}", release.digest, "status approved",
                     "bank-intent-teacher (licence: apache-2.0)", f"What changed since {last.id}",
                     "licence permits distillation", "scrub report clean; no egress", "Ledger proofs"):
        assert expected in text, expected

    # The initiator sees the request for changes and is refused in the rule's words.
    sign_in_at(page, f"{base}/request?id={residency.id}", "olga")
    expect(page.get_by_text(re.compile("Changes requested by lena")).first).to_be_visible(timeout=WAIT_MS)
    sign(page, "olga", "approve", "my own exception")
    expect(page.get_by_text(f"olga initiated {residency.id} and cannot approve it: the policy excludes the "
                            "initiator from deciding their own request")).to_be_visible(timeout=WAIT_MS)
    for name in ("Runs", "Ledger", "Policies"):
        page.get_by_role("link", name=name).first.click()
        expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=WAIT_MS)

    assert [(d.user, d.decision) for d in decisions_for(ws, release.id)] == [("sam", "approve"), ("lena", "approve")]
    assert [(d.user, d.decision) for d in decisions_for(ws, residency.id)] == [("sam", "approve"), ("lena", "changes")]
    assert ws.ledger().verify().ok
    assert outside == []


def sign_in_at(page, url: str, name: str) -> None:
    """Open ``url`` in a fresh session (signed out) and sign in there as ``name``."""
    page.goto(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Passphrase").fill(helpers.passphrase(name))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^(Inbox|Request )"))).to_be_visible(timeout=WAIT_MS)


def sign_in_by_keyboard(page, url: str, name: str) -> None:
    """``sign_in_at`` with Tab and typing only: no click."""
    page.goto(url)
    expect(page.get_by_label("User name")).to_be_visible(timeout=WAIT_MS)
    tab_to(page, page.get_by_label("User name"))
    page.keyboard.type(name)
    tab_to(page, page.get_by_label("Passphrase"))
    page.keyboard.type(helpers.passphrase(name))
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^(Inbox|Request )"))).to_be_visible(timeout=WAIT_MS)


def approve_by_keyboard(page, name: str, comment: str) -> None:
    """Choose Approve (Space), comment, passphrase and sign (Enter), moving between them with Tab only."""
    expect(page.get_by_role("button", name="Sign decision")).to_be_attached(timeout=WAIT_MS)
    tab_to(page, page.get_by_role("radio", name="Approve"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("textbox", name="Comment"))
    page.keyboard.type(comment)
    tab_to(page, page.get_by_label(re.compile("Your passphrase")))
    page.keyboard.type(helpers.passphrase(name))
    tab_to(page, page.get_by_role("button", name="Sign decision"))
    page.keyboard.press("Enter")


def tab_to(page, target, presses: int = 250) -> None:
    """Press Tab until ``target`` has the focus; fail if the keyboard cannot reach it."""
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} is not reachable with Tab ({presses} presses)")


def open_from_inbox(page, request_id: str) -> None:
    page.get_by_role("link", name="Inbox").first.click()
    page.get_by_text(f"Open {request_id}").click()
    expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible(timeout=WAIT_MS)


def sign(page, name: str, decision: str, comment: str) -> None:
    page.get_by_text({"approve": "Approve", "changes": "Request changes", "reject": "Reject"}[decision],
                     exact=True).click()
    page.get_by_role("textbox", name="Comment").fill(comment)
    page.get_by_label(re.compile("Your passphrase")).fill(helpers.passphrase(name))
    page.get_by_role("button", name="Sign decision").click()


def expect_signed(page, what: str) -> None:
    expect(page.get_by_text(f"You signed: {what}", exact=False)).to_be_visible(timeout=WAIT_MS)
