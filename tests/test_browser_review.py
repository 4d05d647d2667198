"""The reviewer's desk in Chromium: nothing leaves 127.0.0.1, and what a reviewer reads and signs.

Every request the browser makes is routed through a guard that lets only loopback through and records
anything else; each test ends by asserting the record is empty. The served workspace is the demo
workspace of ``dashboard_helpers`` (a release request and its evidence), served by `stillroom dashboard`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

import dashboard_helpers as helpers
from test_dashboard_e2e import WAIT_MS, browser, expect, serve, served, sign_in  # noqa: F401 (fixtures)

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


def test_a_full_review_session_makes_no_request_off_loopback(served, guarded):  # noqa: F811
    ws, request, base = served
    page, outside = guarded
    sign_in(page, base, "sam")
    page.get_by_text(f"Open {request.id}").click()
    expect(page.get_by_role("heading", name=f"Request {request.id}")).to_be_visible(timeout=WAIT_MS)
    for tab in ("Gates", "Metrics", "Slices", "Scrub", "Egress", "Ledger proofs"):
        page.get_by_role("tab", name=tab).click()
    for name in ("Runs", "Ledger", "Policies", "Inbox"):
        page.get_by_role("link", name=name).first.click()
        expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=WAIT_MS)
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Inbox|Stillroom review"))).to_be_visible(timeout=WAIT_MS)
    assert outside == []


@pytest.fixture
def desk(workspace, tmp_path):
    """The demo desk (a release with a previous one, a residency request), served on loopback."""
    release, last, residency = helpers.build_desk(workspace, tmp_path)
    with serve(workspace, tmp_path) as base:
        yield workspace, release, last, residency, base


def test_reviewers_walk_both_request_kinds_without_a_request_off_loopback(desk, guarded, tmp_path):
    ws, release, last, residency, base = desk
    page, outside = guarded

    # A shared link to the residency request survives the sign-in and opens that request.
    page.goto(f"{base}/request?id={residency.id}")
    page.get_by_label("User name").fill("lena")
    page.get_by_label("Passphrase").fill(helpers.passphrase("lena"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Request {residency.id}")).to_be_visible(timeout=WAIT_MS)
    # Table cells are drawn on a canvas; their accessible copies are attached, not "visible".
    expect(page.get_by_text("api.example-llm.com", exact=True)).to_be_attached(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile("no region the residency policy knows")).first).to_be_attached(timeout=WAIT_MS)

    # The release: the summary first, then what changed since the last release.
    page.get_by_role("link", name="Inbox").first.click()
    page.get_by_text(f"Open {release.id}").click()
    expect(page.get_by_text(re.compile(r"bank-intent-teacher \(licence: apache-2.0\)"))).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("tab", name="What changed").click()
    expect(page.get_by_text(f"Against {last.id}", exact=False)).to_be_visible(timeout=WAIT_MS)

    # A choice and a comment on the release are not still there on the residency request.
    page.get_by_text("Reject", exact=True).click()
    page.get_by_role("textbox", name="Comment").fill("not this one")
    page.get_by_role("link", name="Inbox").first.click()
    page.get_by_text(f"Open {residency.id}").click()
    expect(page.get_by_text(f"You are signing for request {residency.id}, subject digest {residency.digest}."
                            )).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Comment")).to_have_value("")
    expect(page.get_by_role("radio", name="Approve")).to_be_checked()

    # The audit record downloads, and its sha256 is the ledger's.
    page.get_by_role("button", name="Prepare the audit record (PDF)").click()
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name=f"Download {residency.id}-audit.pdf").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    from stillroom.artifacts import sha256_bytes
    exported = [e.payload["sha256"] for e in ws.ledger().entries(kind="request.exported", limit=10)]
    assert sha256_bytes(saved.read_bytes()) in exported

    assert outside == []
