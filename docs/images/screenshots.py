"""Retake the README's dashboard screenshots from a real demo workspace.

    stillroom demo --workspace /tmp/demo          # once: the real run and its pending release request
    python docs/images/screenshots.py /tmp/demo   # serves the dashboard on loopback, writes docs/images/*.png

Signs in as the demo's security reviewer (demo-only passphrase) with Debian's Chromium and captures the
Inbox, then the release request's Summary, What changed and Model card tabs. Nothing is signed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

OUT = Path(__file__).resolve().parent
WAIT_MS = 60_000


def main(workspace: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "dashboard", "--port", str(port),
                               "--workspace", workspace], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 820})
            page.goto(base)
            page.get_by_label("User name").fill("demo-security")
            page.get_by_label("Passphrase").fill("demo-security-passphrase")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT_MS)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(OUT / "inbox.png"))
            page.get_by_text("Open req-").first.click()
            expect(page.get_by_text("ledger verified up to checkpoint")).to_be_visible(timeout=WAIT_MS)
            page.set_viewport_size({"width": 1280, "height": 1250})  # Streamlit scrolls inside: no full_page
            for tab, name in (("Summary", "summary"), ("What changed", "what-changed"), ("Model card", "model-card")):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / f"{name}.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main(sys.argv[1])
