"""Issue 11 item 12: stopping ``stillroom dashboard`` by its PID stops the Streamlit server it started.

Real processes: the CLI serves on a free loopback port; the test waits until the
port answers, signals the CLI (SIGTERM, SIGINT, or SIGKILL, which no handler
sees), and asserts the Streamlit child is gone and the port is closed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited; only its (re-parented) zombie entry is left


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the Streamlit child")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_signalling_the_dashboard_cli_stops_its_streamlit_server(workspace, sig):
    port = free_port()
    cli = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "dashboard", "--port", str(port),
                            "--address", "127.0.0.1", "--workspace", str(workspace.root)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    server = None
    try:
        assert wait_for(lambda: answers(port), 90), "the dashboard never served"
        (server,) = children(cli.pid)
        cli.send_signal(sig)
        code = cli.wait(timeout=30)
        assert code == (-sig if sig == signal.SIGKILL else 128 + sig)
        assert wait_for(lambda: gone(server), 20), "Streamlit outlived the CLI"
        assert wait_for(lambda: not answers(port), 10)
    finally:
        for pid in (cli.pid, server):
            if pid and not gone(pid):
                os.kill(pid, signal.SIGKILL)
        cli.wait()
