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
from test_dashboard_e2e import WAIT_MS, browser, expect, served, sign_in  # noqa: F401 (fixtures)

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
