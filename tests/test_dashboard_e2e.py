"""The dashboard end to end: `stillroom dashboard` served on loopback, driven by headless Chromium.

The security and legal reviewers approve a release from the browser; the store says approved and the
ledger verifies; the initiator's own attempt is refused with the policy's message. Screenshots of the
Inbox and the Request page are written to the test's temporary directory, or to the directory
$STILLROOM_SCREENSHOTS names (the README's come from a real demo workspace: docs/images/screenshots.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import dashboard_helpers as helpers
from stillroom.approvals import decisions_for, get_request

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 30_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (`apt-get install -y chromium`; .ci/run does it)",
                allow_module_level=True)
expect = playwright_api.expect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(workspace, tmp_path):
    """The request's workspace, served by `stillroom dashboard` on a free loopback port."""
    request = helpers.build(workspace)
    with serve(workspace, tmp_path) as base:
        yield workspace, request, base


@contextlib.contextmanager
def serve(workspace, tmp_path):
    """`stillroom dashboard` for ``workspace`` on a free loopback port; yields its base URL."""
    port, log_path = free_port(), tmp_path / "dashboard.log"
    with open(log_path, "wb") as log:
        # Its own session (process group), so the streamlit server it starts is stopped with it.
        server = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "dashboard", "--port", str(port),
                                   "--workspace", str(workspace.root)],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, server, log_path)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def wait_until_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the dashboard did not answer within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page, base: str, name: str) -> None:
    page.goto(base)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Passphrase").fill(helpers.passphrase(name))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT_MS)


def open_request(page, request_id: str) -> None:
    page.get_by_role("link", name="Request").first.click()
    expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("ledger verified up to checkpoint")).to_be_visible(timeout=WAIT_MS)


def decide(page, name: str, comment: str) -> None:
    page.get_by_label("Comment").fill(comment)
    page.get_by_label(re.compile("Your passphrase")).fill(helpers.passphrase(name))
    page.get_by_role("button", name="Sign decision").click()


def test_reviewers_approve_a_release_in_the_browser_and_the_initiator_cannot(served, browser, tmp_path):
    ws, request, base = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    sign_in(page, base, "olga")
    open_request(page, request.id)
    decide(page, "olga", "my own release")
    expect(page.get_by_text(f"olga initiated {request.id} and cannot approve it: the policy excludes the "
                            "initiator from deciding their own request")).to_be_visible(timeout=WAIT_MS)
    assert decisions_for(ws, request.id) == []

    sign_in(page, base, "sam")
    expect(page.get_by_text(f"Open {request.id}")).to_be_visible(timeout=WAIT_MS)
    screenshots = Path(os.environ.get("STILLROOM_SCREENSHOTS") or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "inbox.png"))
    page.get_by_text(f"Open {request.id}").click()
    expect(page.get_by_text("ledger verified up to checkpoint")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Gates passed")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Sign decision")).to_be_visible(timeout=WAIT_MS)
    page.set_viewport_size({"width": 1280, "height": 1350})  # Streamlit scrolls inside the page: no full_page
    page.screenshot(path=str(screenshots / "request.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    decide(page, "sam", "scrub report clean; no egress")
    expect(page.get_by_text(f"You signed: approve {request.id} (subject {request.digest[:16]}). The request is "
                            "pending; still needs legal.")
           ).to_be_visible(timeout=WAIT_MS)

    sign_in(page, base, "lena")
    page.get_by_text(f"Open {request.id}").click()
    decide(page, "lena", "licence and residency ok")
    expect(page.get_by_text(f"You signed: approve {request.id} (subject {request.digest[:16]}). The request is "
                            "approved.")).to_be_visible(
        timeout=WAIT_MS)

    assert get_request(ws, request.id).status == "approved"
    assert [(d.user, d.decision) for d in decisions_for(ws, request.id)] == [("sam", "approve"), ("lena", "approve")]
    assert ws.ledger().verify().ok
    for shot in ("inbox.png", "request.png"):
        assert 0 < (screenshots / shot).stat().st_size < 300_000
