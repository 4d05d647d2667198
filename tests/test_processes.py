"""No worker outlives its command: ``stillroom scrub`` stopped by SIGTERM (a timeout, a service manager)
or SIGINT (Ctrl-C) while its process pool works leaves no child process behind."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stillroom.processes import stop_children

STILLROOM = str(Path(sys.executable).parent / "stillroom")
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid``, from /proc (a zombie is dead: it only waits to be reaped)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_scrub_leaves_no_worker_behind(tmp_path, signum):
    source = tmp_path / "big.jsonl"
    line = "My name is John Smith, call me on 212-555-0199 about card 4111 1111 1111 1111 in New York."
    source.write_text("".join(json.dumps({"text": f"{i}: {line}"}) + "\n" for i in range(40_000)))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STILLROOM_")}, "HF_HUB_OFFLINE": "1"}
    command = [STILLROOM, "scrub", str(source), "--out", str(tmp_path / "out.jsonl"), "--profile", "fast"]
    cli = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           start_new_session=True)  # its own group: SIGINT here reaches only what we send it to
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while len(workers) < 2 and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.5)
            workers = children_of(cli.pid)
        assert len(workers) >= 2, f"the scrub never started its pool: {cli.stderr.read().decode()[-2000:]}"
        time.sleep(2)  # the pool at work
        cli.send_signal(signum)
        code = cli.wait(timeout=120)
        time.sleep(0.5)
        assert alive(workers) == set(), "worker processes outlived the stopped command"
        assert code == (128 + signum if signum == signal.SIGTERM else 130)
        assert not (tmp_path / "out.jsonl").exists()  # all or nothing: no half-written output
    finally:  # orphans are init's children, no longer the CLI's: the workers seen at work are killed by PID
        if cli.poll() is None:
            cli.kill()
        for pid in alive(workers | children_of(cli.pid)):
            os.kill(pid, signal.SIGKILL)


def test_stop_children_terminates_what_multiprocessing_started():
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    child.start()
    assert stop_children(grace=5) == [child.pid]
    assert not child.is_alive()


HUNG_EXIT = """
import threading, time
from stillroom import processes
processes.DEADLINE_SECONDS = 2.0
processes.exit_on_signals()
stuck = threading.Lock()
try:
    print("ready", flush=True)
    time.sleep(60)
finally:  # as a pool's shutdown waits on a lock the interrupted main thread held
    stuck.acquire()
    stuck.acquire()
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_command_whose_exit_path_hangs_still_exits_with_its_status(signum):
    child = subprocess.Popen([sys.executable, "-c", HUNG_EXIT], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"ready\n"
        started = time.monotonic()
        child.send_signal(signum)
        code = child.wait(timeout=60)
        assert code == (128 + signum if signum == signal.SIGTERM else 130)
        assert 2.0 <= time.monotonic() - started < 60
        assert b"did not finish within 2 s" in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.parametrize(("stopped", "code", "said"), [
    ([130], 130, "error: interrupted"),
    ([143], 143, "error: stopped by signal 15"),
    ([], 1, "error: unexpected RuntimeError: the queue broke"),
])
def test_a_stop_signal_that_surfaces_as_another_exception_still_ends_the_command_as_stopped(
        monkeypatch, capsys, stopped, code, said):
    # Ctrl-C can land inside a pool's queue and come out as that library's own error: the status stays the signal's
    from stillroom import cli, processes

    def broken_queue(prog_name):
        raise RuntimeError("the queue broke")

    # the deadline a stop signal arms (never started here) holds the status it asked for
    monkeypatch.setattr(processes, "_DEADLINE", [threading.Timer(60, lambda status: None, (s,)) for s in stopped])
    monkeypatch.setattr(processes, "exit_on_signals", lambda: None)
    monkeypatch.setattr(cli, "_mount_subcommands", lambda: None)
    monkeypatch.setattr(cli, "_arm_egress_guard", lambda: False)
    monkeypatch.setattr(cli, "app", broken_queue)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == code
    assert said in capsys.readouterr().err


def test_a_command_starts_from_default_state_whatever_an_earlier_one_in_this_process_left(monkeypatch, capsys):
    # an earlier in-process command's --json (CliRunner, the API) must not turn this one's error into JSON
    from stillroom import cli

    def failing(prog_name):
        raise cli.StillroomError("the spec is missing")

    monkeypatch.setitem(cli.STATE, "json", True)
    monkeypatch.setitem(cli.STATE, "debug", True)
    monkeypatch.setattr(cli, "_mount_subcommands", lambda: None)
    monkeypatch.setattr(cli, "_arm_egress_guard", lambda: False)
    monkeypatch.setattr(cli, "app", failing)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == cli.StillroomError.exit_code
    captured = capsys.readouterr()
    assert "error: the spec is missing" in captured.err and not captured.out
