"""The egress guard, offline settings and --isolate, with real sockets on loopback only.

Nothing here may reach a non-loopback address. "Outside" targets are only
ever tried with the guard armed, which refuses them before the system call,
or inside a network namespace that has no interface but loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from stillroom.egress import EgressBlocked, guard, permits
from stillroom.isolate import reexec_isolated
from stillroom.offline import OFFLINE_ENVIRONMENT, offline_environment
from stillroom.policy import Egress

# Audit hooks cannot be removed: one observer for the whole module, recording
# socket events only while a test holds the list.
_observed: list[tuple[str, tuple]] | None = None


def _observer(event: str, args: tuple) -> None:
    if _observed is not None and event.startswith("socket."):
        _observed.append((event, args))


sys.addaudithook(_observer)


@pytest.fixture
def socket_events():
    global _observed
    _observed = []
    try:
        yield _observed
    finally:
        _observed = None


@pytest.fixture
def listeners():
    """Factory for TCP listeners on 127.0.0.1, closed afterwards."""
    opened = []

    def listen(family=socket.AF_INET, host="127.0.0.1"):
        server = socket.create_server((host, 0), family=family)
        server.settimeout(0.3)
        opened.append(server)
        return server

    yield listen
    for server in opened:
        server.close()


def policy(*rules, subprocess=False) -> Egress:
    return Egress.model_validate({"allow": [dict(zip(("host", "port"), rule)) for rule in rules],
                                  "subprocess": subprocess})


def blocked_attempts():
    attempts = []
    return attempts, attempts.append


def connect_and_send(address, payload=b"hello", family=socket.AF_INET):
    with socket.socket(family) as client:
        client.settimeout(2)
        client.connect(address)
        client.sendall(payload)


def received(server) -> bytes:
    connection, _ = server.accept()
    with connection:
        connection.settimeout(2)
        return connection.recv(100)


def nothing_arrives(server) -> bool:
    try:
        connection, _ = server.accept()
    except TimeoutError:
        return True
    connection.close()
    return False


# -- connections ----------------------------------------------------------------


def test_a_listener_on_an_allowlisted_port_is_reachable(listeners):
    server = listeners()
    attempts, on_block = blocked_attempts()
    with guard(policy(("127.0.0.1", server.getsockname()[1])), on_block=on_block):
        connect_and_send(server.getsockname(), b"allowed")
        assert received(server) == b"allowed"
    assert attempts == []


def test_a_port_not_in_the_allowlist_receives_nothing_and_the_attempt_is_reported(listeners):
    allowed, other = listeners(), listeners()
    attempts, on_block = blocked_attempts()
    context = lambda: {"stage": "label", "plugin": "transformers"}
    with guard(policy(("127.0.0.1", allowed.getsockname()[1])), on_block=on_block, context=context), \
            pytest.raises(EgressBlocked) as refused:
        socket.create_connection(other.getsockname(), timeout=2)
    assert nothing_arrives(other)
    target = f"127.0.0.1:{other.getsockname()[1]}"
    assert refused.value.target == target and target in str(refused.value)
    [attempt] = attempts
    assert attempt["target"] == target and attempt["event"] == "socket.connect"
    assert (attempt["stage"], attempt["plugin"]) == ("label", "transformers")
    assert any("test_a_port_not_in_the_allowlist" in frame for frame in attempt["stack"])
    assert any(frame.startswith("socket:") and "create_connection" in frame for frame in attempt["stack"])


def test_a_listener_on_every_interface_is_refused_and_reported_and_loopback_works(listeners):
    """The red-team's attack: a plugin binds 0.0.0.0 and serves training records to any host."""
    attempts, on_block = blocked_attempts()
    with guard(policy(("10.0.0.0/8", 443)), on_block=on_block, context=lambda: {"plugin": "evil"}):
        for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET, ""), (socket.AF_INET6, "::")):
            with socket.socket(family) as server, pytest.raises(EgressBlocked, match="listening on"):
                server.bind((host, 8765))
        with socket.socket() as never_bound, pytest.raises(EgressBlocked):
            never_bound.listen()  # the kernel would bind it to 0.0.0.0 itself
        local = listeners()  # 127.0.0.1
        local6 = listeners(socket.AF_INET6, "::1")
    assert [(a["event"], a["target"], a["plugin"]) for a in attempts] == [
        ("socket.bind", "0.0.0.0:8765", "evil"), ("socket.bind", "0.0.0.0:8765", "evil"),
        ("socket.bind", "[::]:8765", "evil"), ("stillroom.listen", "0.0.0.0:0", "evil")]
    connect_and_send(local.getsockname(), b"local")
    assert received(local) == b"local"
    connect_and_send(local6.getsockname()[:2], b"local6", family=socket.AF_INET6)
    assert received(local6) == b"local6"


def test_a_listener_the_allowlist_names_is_allowed():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free a moment ago
    other = port + 1 if port < 65535 else port - 1
    attempts, on_block = blocked_attempts()
    with guard(policy(("0.0.0.0", port)), on_block=on_block):
        with socket.create_server(("0.0.0.0", port)) as server:
            assert server.getsockname() == ("0.0.0.0", port)
        with socket.socket() as elsewhere, pytest.raises(EgressBlocked):
            elsewhere.bind(("0.0.0.0", other))
    assert [a["target"] for a in attempts] == [f"0.0.0.0:{other}"]


def test_the_guard_is_disarmed_after_the_with_block(listeners):
    server = listeners()
    with guard(policy(), on_block=lambda attempt: None), pytest.raises(EgressBlocked):
        connect_and_send(server.getsockname())
    connect_and_send(server.getsockname(), b"later")
    assert received(server) == b"later"


def test_ipv6_loopback_is_judged_by_its_own_rule(listeners):
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6")
    try:
        server = listeners(socket.AF_INET6, "::1")
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    with guard(policy(("127.0.0.1", None)), on_block=lambda attempt: None), \
            pytest.raises(EgressBlocked, match=r"\[::1\]:"):
        connect_and_send(server.getsockname()[:2], family=socket.AF_INET6)
    assert nothing_arrives(server)
    with guard(policy(("::1", server.getsockname()[1])), on_block=lambda attempt: None):
        connect_and_send(server.getsockname()[:2], b"six", family=socket.AF_INET6)
        assert received(server) == b"six"


def test_a_thread_started_inside_the_guard_is_guarded_too(listeners):
    server = listeners()
    attempts, on_block = blocked_attempts()
    outcome = {}

    def attempt():
        try:
            connect_and_send(server.getsockname())
            outcome["result"] = "connected"
        except EgressBlocked:
            outcome["result"] = "blocked"

    with guard(policy(), on_block=on_block):
        worker = threading.Thread(target=attempt)
        worker.start()
        worker.join(5)
    assert outcome == {"result": "blocked"}
    assert nothing_arrives(server)
    assert [a["target"] for a in attempts] == [f"127.0.0.1:{server.getsockname()[1]}"]


def test_nested_guards_must_both_allow_and_only_the_refusing_one_is_told(listeners):
    server = listeners()
    outer, on_outer = blocked_attempts()
    inner, on_inner = blocked_attempts()
    with guard(policy(("127.0.0.1", None)), on_block=on_outer):
        with guard(policy(("127.0.0.1", 1)), on_block=on_inner), pytest.raises(EgressBlocked):
            connect_and_send(server.getsockname())
        connect_and_send(server.getsockname(), b"outer only")
        assert received(server) == b"outer only"
    assert outer == [] and len(inner) == 1


def test_an_allowlisted_host_name_covers_the_addresses_it_resolves_to(listeners):
    name = _loopback_name_from_hosts_file()
    allowed, other = listeners(), listeners()
    with guard(policy((name, allowed.getsockname()[1])), on_block=lambda attempt: None):
        connect_and_send(allowed.getsockname(), b"by name")
        assert received(allowed) == b"by name"
        with pytest.raises(EgressBlocked):
            connect_and_send(other.getsockname())
    assert nothing_arrives(other)


def _loopback_name_from_hosts_file() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/hosts").read_text().splitlines():
            fields = line.split("#", 1)[0].split()
            if fields and fields[0] == "127.0.0.1":
                names = [n for n in fields[1:] if n.lower() != "localhost"]
                if names:
                    return names[0]
    pytest.skip("/etc/hosts names no host on 127.0.0.1 besides localhost, and no DNS may be used here")


def test_what_on_block_does_is_not_checked_so_a_ledger_on_loopback_cannot_recurse(listeners):
    blocked, ledger = listeners(), listeners()
    written = []

    def write_to_ledger(attempt):
        connect_and_send(ledger.getsockname(), attempt["target"].encode())  # a port the guard refuses
        written.append(attempt["target"])

    with guard(policy(), on_block=write_to_ledger), pytest.raises(EgressBlocked):
        connect_and_send(blocked.getsockname())
    assert written == [f"127.0.0.1:{blocked.getsockname()[1]}"]
    assert received(ledger) == written[0].encode()
    assert nothing_arrives(blocked)


# -- name look-ups and datagrams ------------------------------------------------


def test_a_dns_look_up_of_an_outside_name_is_blocked_before_any_query(socket_events):
    attempts, on_block = blocked_attempts()
    with guard(policy(("127.0.0.1", None), ("localhost", None)), on_block=on_block):
        with pytest.raises(EgressBlocked, match="huggingface.co"):
            socket.getaddrinfo("huggingface.co", 443)
        with pytest.raises(EgressBlocked, match="example.invalid"):
            socket.gethostbyname("example.invalid")
        # What the allowlist names still resolves, from the hosts file or as a literal.
        assert socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)[0][4][0] == "127.0.0.1"
        assert socket.getaddrinfo("localhost", 80)
    assert [a["target"] for a in attempts] == ["huggingface.co", "example.invalid"]
    # No Python socket was opened or written to afterwards. The C resolver's own
    # sockets are not audited; the next test watches for them from the nameserver's side.
    assert {event for event, _ in socket_events} <= {"socket.getaddrinfo", "socket.gethostbyname"}


DNS_PROBE = """
    import ctypes, json, socket, sys, threading
    from stillroom.egress import EgressBlocked, guard
    from stillroom.policy import Egress

    # A private mount namespace, so that the bind mount never reaches the host,
    # and a resolver that asks a nameserver we hold on this namespace's loopback.
    libc = ctypes.CDLL(None, use_errno=True)
    MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
    if (libc.unshare(0x00020000) or libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
            or libc.mount(sys.argv[1].encode(), b"/etc/resolv.conf", None, MS_BIND, None)):
        print(json.dumps({"skip": "no private mount namespace for a stand-in resolv.conf"}))
        raise SystemExit(0)
    nameserver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    nameserver.bind(("127.0.0.1", 53))
    nameserver.settimeout(1.5)

    def queries():
        count = 0
        try:
            while True:
                nameserver.recvfrom(512)
                count += 1
                nameserver.settimeout(0.2)
        except TimeoutError:
            return count

    with guard(Egress(allow=[{"host": "127.0.0.1"}]), on_block=lambda attempt: None):
        try:
            socket.getaddrinfo("huggingface.co", 443)
            guarded = "resolved"
        except EgressBlocked:
            guarded = "blocked"
    guarded_queries = queries()

    def lookup():
        try:
            socket.getaddrinfo("example.invalid", 80)
        except OSError:
            pass

    nameserver.settimeout(3)
    threading.Thread(target=lookup, daemon=True).start()
    print(json.dumps({"guarded": guarded, "guarded_queries": guarded_queries, "unguarded_queries": queries()}))
"""


def test_a_blocked_look_up_sends_no_query_to_the_nameserver(tmp_path):
    """Proof from the nameserver's side, in a namespace whose only network is its own loopback."""
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    script = tmp_path / "dns_probe.py"
    script.write_text(textwrap.dedent(DNS_PROBE))
    result = _run_isolated([sys.executable, str(script), str(tmp_path / "resolv.conf")])
    if "skip" in result:
        pytest.skip(result["skip"])
    assert result["guarded"] == "blocked"
    assert result["guarded_queries"] == 0
    assert result["unguarded_queries"] >= 1  # the stand-in nameserver does hear a lookup the guard lets through


def test_a_datagram_to_a_port_not_allowed_is_blocked_and_never_arrives():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as allowed, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for receiver in (allowed, other):
            receiver.bind(("127.0.0.1", 0))
            receiver.settimeout(0.3)
        attempts, on_block = blocked_attempts()
        with guard(policy(("127.0.0.1", allowed.getsockname()[1])), on_block=on_block):
            sender.sendto(b"ok", allowed.getsockname())
            with pytest.raises(EgressBlocked):
                sender.sendto(b"leak", other.getsockname())
            with pytest.raises(EgressBlocked):
                sender.sendmsg([b"leak"], [], 0, other.getsockname())
        assert allowed.recv(10) == b"ok"
        with pytest.raises(TimeoutError):
            other.recv(10)
        assert [a["event"] for a in attempts] == ["socket.sendto", "socket.sendmsg"]


# -- program launches -----------------------------------------------------------


def test_launching_a_program_is_blocked_unless_the_policy_allows_subprocesses():
    attempts, on_block = blocked_attempts()
    with guard(policy(subprocess=False), on_block=on_block):
        with pytest.raises(EgressBlocked, match="subprocess: false"):
            subprocess.run([sys.executable, "-c", "pass"], check=False)
        with pytest.raises(EgressBlocked):
            os.system("true")
    assert [a["event"] for a in attempts] == ["subprocess.Popen", "os.system"]
    assert attempts[0]["target"] == f"{sys.executable} -c pass"
    with guard(policy(subprocess=True), on_block=on_block):
        assert subprocess.run([sys.executable, "-c", "raise SystemExit(7)"], check=False).returncode == 7
    assert len(attempts) == 2


# -- the rules ------------------------------------------------------------------

INET = SimpleNamespace(family=socket.AF_INET)
INET6 = SimpleNamespace(family=socket.AF_INET6)
UNIX = SimpleNamespace(family=socket.AF_UNIX)
LOOPBACK = policy(("127.0.0.1", None), ("::1", 8000), ("localhost", 5432))


@pytest.mark.parametrize(("egress", "event", "args", "expected"), [
    (LOOPBACK, "socket.connect", (INET, ("127.0.0.1", 9)), ("127.0.0.1:9", True)),
    (LOOPBACK, "socket.connect", (INET, ("127.0.0.2", 9)), ("127.0.0.2:9", False)),
    (LOOPBACK, "socket.connect", (INET6, ("::1", 8000, 0, 0)), ("[::1]:8000", True)),
    (LOOPBACK, "socket.connect", (INET6, ("::1", 8001, 0, 0)), ("[::1]:8001", False)),
    (LOOPBACK, "socket.connect", (INET6, ("::ffff:127.0.0.1", 9, 0, 0)), ("[::ffff:127.0.0.1]:9", True)),
    (LOOPBACK, "socket.connect", (INET, ("127.0.0.5", 5432)), ("127.0.0.5:5432", True)),
    (LOOPBACK, "socket.connect", (INET, ("127.0.0.5", 5433)), ("127.0.0.5:5433", False)),
    (LOOPBACK, "socket.connect", (INET, ("10.0.0.1", 443)), ("10.0.0.1:443", False)),
    (LOOPBACK, "socket.sendto", (INET, ("8.8.8.8", 53)), ("8.8.8.8:53", False)),
    (LOOPBACK, "socket.sendmsg", (INET, None), None),
    (LOOPBACK, "socket.connect", (UNIX, "/run/postgresql/.s.PGSQL.5432"), None),
    (LOOPBACK, "socket.connect", (SimpleNamespace(family=socket.AF_PACKET), ("eth0", 0)), (None, False)),
    (LOOPBACK, "socket.getaddrinfo", ("LocalHost.", 80, 0, 0, 0), ("LocalHost.", True)),
    (LOOPBACK, "socket.getaddrinfo", ("127.0.0.1", "http", 0, 0, 0), ("127.0.0.1", True)),
    (LOOPBACK, "socket.getaddrinfo", (b"huggingface.co", 443, 0, 0, 0), ("huggingface.co", False)),
    (LOOPBACK, "socket.getaddrinfo", (None, 80, 0, 0, 0), None),
    (LOOPBACK, "socket.gethostbyaddr", ("192.0.2.1",), ("192.0.2.1", False)),
    (LOOPBACK, "socket.getnameinfo", (("127.0.0.1", 80),), ("127.0.0.1", True)),
    (policy(("10.0.0.0/8", 443)), "socket.connect", (INET, ("10.1.2.3", 443)), ("10.1.2.3:443", True)),
    (policy(("2001:db8::/32", None)), "socket.connect", (INET6, ("2001:db8::7", 1, 0, 0)), ("[2001:db8::7]:1", True)),
    (policy(("2001:db8::/32", None)), "socket.connect", (INET6, ("2001:db9::7", 1, 0, 0)), ("[2001:db9::7]:1", False)),
    (policy(("teacher.internal", 8080)), "socket.getaddrinfo", ("teacher.internal", None, 0, 0, 0),
     ("teacher.internal", True)),
    (policy(("teacher.internal", 8080)), "socket.connect", (INET, ("teacher.internal", 8080)),
     ("teacher.internal:8080", True)),
    (policy(subprocess=False), "subprocess.Popen", ("git", ["git", "ls-remote", "a b"], None, None),
     ("git ls-remote 'a b'", False)),
    (policy(subprocess=True), "os.exec", ("/bin/ls", ["ls", "-l"], None), ("ls -l", True)),
    (policy(subprocess=False), "os.system", (b"curl x",), ("curl x", False)),
    (policy(subprocess=False), "os.posix_spawn", ("/bin/true", ["true"], {}), ("true", False)),
    (LOOPBACK, "open", ("/etc/passwd", "r", 0), None),
    (LOOPBACK, "socket.bind", (INET, ("127.0.0.1", 8080)), None),
    (LOOPBACK, "socket.bind", (INET6, ("::ffff:127.0.0.1", 8080, 0, 0)), None),
    (LOOPBACK, "socket.bind", (INET, ("localhost", 8080)), None),
    (LOOPBACK, "socket.bind", (UNIX, "/tmp/plugin.sock"), None),
    (LOOPBACK, "socket.bind", (INET, ("0.0.0.0", 8080)), ("0.0.0.0:8080", False)),
    (LOOPBACK, "socket.bind", (INET, ("10.0.0.5", 8080)), ("10.0.0.5:8080", False)),
    (LOOPBACK, "socket.bind", (SimpleNamespace(family=socket.AF_PACKET), ("eth0", 0)), (None, False)),
    (policy(("10.0.0.5", 8080)), "socket.bind", (INET, ("10.0.0.5", 8080)), ("10.0.0.5:8080", True)),
    (policy(("10.0.0.5", 8080)), "socket.bind", (INET, ("10.0.0.5", 8081)), ("10.0.0.5:8081", False)),
    (policy(("10.0.0.5", 8080)), "socket.bind", (INET6, ("", 8080, 0, 0)), ("[::]:8080", False)),
])
def test_permits(egress, event, args, expected):
    decision = permits(egress, event, args)
    if expected is None:
        assert decision is None
    else:
        target, allowed = expected
        assert decision.allowed is allowed
        assert target is None or decision.target == target


def test_permits_counts_the_resolved_addresses_of_an_allowlisted_name():
    egress = policy(("Teacher.Internal.", 8080))
    addresses = {"teacher.internal": frozenset({"10.9.8.7"})}
    assert permits(egress, "socket.connect", (INET, ("10.9.8.7", 8080)), addresses=addresses).allowed
    assert not permits(egress, "socket.connect", (INET, ("10.9.8.7", 8081)), addresses=addresses).allowed
    assert not permits(egress, "socket.connect", (INET, ("10.9.8.6", 8080)), addresses=addresses).allowed
    assert not permits(egress, "socket.connect", (INET, ("10.9.8.7", 8080))).allowed


# -- offline settings -----------------------------------------------------------


@pytest.fixture
def restored_environment(monkeypatch):
    """Let offline_environment() change the process, and put everything back afterwards."""
    for name in OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    import huggingface_hub.constants
    import tldextract.tldextract

    for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        monkeypatch.setattr(huggingface_hub.constants, name, False)
    monkeypatch.setattr(tldextract.tldextract.TLD_EXTRACTOR, "suffix_list_urls",
                        tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls)


def test_offline_environment_sets_the_variables_and_reports_them(restored_environment):
    settings = offline_environment()
    assert {name: os.environ[name] for name in OFFLINE_ENVIRONMENT} == settings["environment"]
    assert settings["environment"]["HF_HUB_OFFLINE"] == "1"
    assert settings["environment"]["TOKENIZERS_PARALLELISM"] == "false"
    assert {"huggingface_hub.constants", "tldextract.tldextract"} <= set(settings["adjusted"])


def test_offline_tldextract_and_hub_make_no_network_attempt(restored_environment, socket_events, tmp_path):
    import huggingface_hub
    import tldextract
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    offline_environment()
    attempts, on_block = blocked_attempts()
    with guard(policy(), on_block=on_block):
        parts = tldextract.TLDExtract(cache_dir=str(tmp_path / "tld"))("https://forums.bbc.co.uk/x")
        with pytest.raises(LocalEntryNotFoundError) as hub_error:
            huggingface_hub.hf_hub_download("acme/model", "config.json", cache_dir=str(tmp_path / "hub"))
    assert (parts.domain, parts.suffix) == ("bbc", "co.uk")
    assert isinstance(hub_error.value.__cause__, OfflineModeIsEnabled)
    assert attempts == [] and socket_events == []


TLDEXTRACT_PROBE = """
    import json, sys
    import tldextract  # imported, and its module-level extractor built, before the run configures it
    from stillroom.egress import guard
    from stillroom.offline import offline_environment
    from stillroom.policy import Egress

    events = []
    sys.addaudithook(lambda event, args: events.append(event) if event.startswith("socket.") else None)
    offline_environment()
    attempts = []
    with guard(Egress(), on_block=attempts.append):
        parts = tldextract.extract("mail.example.co.uk")
    print(json.dumps({"suffix": parts.suffix, "attempts": attempts, "socket_events": events}))
"""


def test_tldextract_imported_before_the_run_uses_its_snapshot(tmp_path):
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "tld-cache")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent(TLDEXTRACT_PROBE))
    done = subprocess.run([sys.executable, str(script)], check=False, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"suffix": "co.uk", "attempts": [], "socket_events": []}


# -- --isolate ------------------------------------------------------------------

ISOLATED_PROBE = """
    import errno, json, socket
    names = [name for _, name in socket.if_nameindex()]
    result = {"interfaces": names}
    # Only ever try an outside address where there is nowhere for it to go.
    if names == ["lo"]:
        with socket.socket() as outside:
            try:
                outside.connect(("192.0.2.1", 9))  # TEST-NET-1, RFC 5737
                result["outside"] = "connected"
            except OSError as exc:
                result["outside"] = errno.errorcode.get(exc.errno, str(exc.errno))
        server = socket.create_server(("127.0.0.1", 0))
        with socket.create_connection(server.getsockname(), timeout=2) as client:
            client.sendall(b"ping")
            result["loopback"] = server.accept()[0].recv(4).decode()
    print(json.dumps(result))
    raise SystemExit(3)
"""


def _run_isolated(command: list[str], preamble: str = "") -> dict:
    """Run ``command`` through reexec_isolated in a fresh interpreter; its last line of output, as JSON."""
    launcher = f"import json, sys\nfrom stillroom.isolate import reexec_isolated\n{preamble}\n" \
               "print(json.dumps({'skip': reexec_isolated(sys.argv[1:])}))"
    done = subprocess.run([sys.executable, "-c", launcher, *command], check=False, capture_output=True, text=True,
                          timeout=60)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    result = json.loads(lines[-1])
    if "skip" not in result:
        result["status"] = done.returncode
    return result


def test_isolate_runs_the_command_with_only_loopback_and_passes_its_exit_status(tmp_path):
    script = tmp_path / "isolated_probe.py"
    script.write_text(textwrap.dedent(ISOLATED_PROBE))
    result = _run_isolated([sys.executable, str(script)])
    if "skip" in result:
        pytest.skip(result["skip"])
    assert result == {"interfaces": ["lo"], "outside": "ENETUNREACH", "loopback": "ping", "status": 3}


SHELL_PROBE = """
    printf '{"devices": "%s"}\\n' "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ' | sed 's/ $//')"
    exit 4
"""


def test_isolate_without_root_uses_a_user_namespace_or_says_why_not():
    if os.geteuid() != 0:
        pytest.skip("the test above already runs without root here")
    # As nobody, with a shell for the probe (the interpreter may be unreadable to
    # that user); PR_SET_DUMPABLE undoes what setuid did to /proc/self's owner.
    preamble = ("import ctypes, os; os.setgroups([]); os.setgid(65534); os.setuid(65534); "
                "ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)")
    result = _run_isolated(["/bin/sh", "-c", textwrap.dedent(SHELL_PROBE)], preamble)
    if "skip" in result:
        assert result["skip"].startswith("network isolation")
        pytest.skip(result["skip"])
    assert result == {"devices": "lo", "status": 4}


def test_isolate_on_a_system_without_network_namespaces_says_so(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert reexec_isolated(["true"]) == "network isolation needs Linux network namespaces; this system is darwin"


def test_egress_blocked_is_an_os_error_naming_the_target():
    error = EgressBlocked("socket.connect", "203.0.113.9:443")
    assert isinstance(error, PermissionError)
    assert str(error) == "egress blocked: 203.0.113.9:443 (socket.connect) is not in the egress allowlist"


# -- the guard in child interpreters, and against being switched off ---------------------------


def _connect_from_child(port, results):
    try:
        with socket.socket() as client:
            client.settimeout(2)
            client.connect(("127.0.0.1", port))
        results.put("connected")
    except EgressBlocked as exc:
        results.put(f"refused: {exc}")


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_a_multiprocessing_child_is_guarded_and_its_refusal_reported_to_the_parent(listeners, method):
    import multiprocessing

    server = listeners()
    port = server.getsockname()[1]
    attempts, on_block = blocked_attempts()
    context = multiprocessing.get_context(method)
    with guard(policy(("127.0.0.1", 1)), on_block=on_block):
        results = context.Queue()
        child = context.Process(target=_connect_from_child, args=(port, results))
        child.start()
        outcome = results.get(timeout=60)
        child.join(60)
    assert outcome == f"refused: egress blocked: 127.0.0.1:{port} (socket.connect) is not in the egress allowlist"
    assert nothing_arrives(server)
    assert [(a["event"], a["target"]) for a in attempts] == [("socket.connect", f"127.0.0.1:{port}")]
    assert attempts[0]["pid"] == child.pid


def test_a_multiprocessing_child_under_a_policy_that_allows_the_port_connects(listeners):
    import multiprocessing

    server = listeners()
    port = server.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    with guard(policy(("127.0.0.1", port)), on_block=lambda attempt: None):
        results = context.Queue()
        child = context.Process(target=_connect_from_child, args=(port, results))
        child.start()
        assert results.get(timeout=60) == "connected"
        child.join(60)


def test_fork_exec_called_directly_is_refused_when_subprocesses_are_not_allowed(tmp_path):
    import _posixsubprocess

    marker = tmp_path / "ran"
    argv = ["/bin/sh", "-c", f"touch {marker}"]
    attempts, on_block = blocked_attempts()
    read, write = os.pipe()
    try:
        with guard(policy(subprocess=False), on_block=on_block), pytest.raises(EgressBlocked, match="subprocess: false"):
            _posixsubprocess.fork_exec(argv, [b"/bin/sh"], True, (), None, None, -1, -1, -1, -1, -1, -1, read, write,
                                       False, False, -1, None, None, None, -1, None, False)
    finally:
        os.close(read)
        os.close(write)
    assert [(a["event"], a["target"]) for a in attempts] == [("stillroom.fork_exec", f"/bin/sh -c 'touch {marker}'")]
    assert not marker.exists()


@pytest.mark.parametrize("launch", [
    lambda argv: os.posix_spawn(argv[0], argv, os.environ),
    lambda argv: os.execv(argv[0], argv),
    lambda argv: __import__("multiprocessing.util").util.spawnv_passfds(argv[0], argv, ()),
    lambda argv: os.forkpty(),
], ids=["posix_spawn", "execv", "spawnv_passfds", "forkpty"])
def test_every_way_to_launch_a_program_is_refused_when_subprocesses_are_not_allowed(tmp_path, launch):
    marker = tmp_path / "ran"
    attempts, on_block = blocked_attempts()
    pid = os.getpid()
    with guard(policy(subprocess=False), on_block=on_block), pytest.raises(EgressBlocked, match="subprocess: false"):
        launch(["/bin/sh", "-c", f"touch {marker}"])
    assert os.getpid() == pid and not marker.exists()
    assert len(attempts) == 1


def test_a_python_interpreter_started_outside_multiprocessing_is_a_launch_and_is_refused(tmp_path):
    marker = tmp_path / "ran"
    with guard(policy(subprocess=False), on_block=lambda attempt: None), pytest.raises(EgressBlocked):
        subprocess.run([sys.executable, "-c", f"open({str(marker)!r}, 'w')"], check=False)
    assert not marker.exists()


def test_rebinding_the_modules_globals_does_not_disarm_the_guard(listeners, monkeypatch):
    import stillroom.egress as egress

    server = listeners()
    attempts, on_block = blocked_attempts()
    with guard(policy(), on_block=on_block):
        for name, value in {"_armed": (), "_local": SimpleNamespace(busy=True), "_hook": lambda event, args: None,
                            "permits": lambda *args, **kwargs: None, "_host_matches": lambda *args: True,
                            "WATCHED": frozenset()}.items():
            monkeypatch.setattr(egress, name, value, raising=False)
        with pytest.raises(AttributeError, match="cannot be replaced"):
            egress._STATE.count = lambda: 0
        with pytest.raises(EgressBlocked):
            connect_and_send(server.getsockname())
        assert not hasattr(egress._STATE, "disarm") and not hasattr(egress._STATE, "snapshot")
    assert len(attempts) == 1
    assert nothing_arrives(server)


def test_a_second_copy_of_posixsubprocess_cannot_be_imported_while_armed():
    import _posixsubprocess

    try:
        with guard(policy(subprocess=False), on_block=lambda attempt: None):
            del sys.modules["_posixsubprocess"]
            with pytest.raises(EgressBlocked, match="second copy of _posixsubprocess"):
                import _posixsubprocess as fresh  # noqa: F401
    finally:
        sys.modules["_posixsubprocess"] = _posixsubprocess


def test_announce_connection_refuses_a_port_the_policy_does_not_allow_and_passes_unix_sockets():
    from stillroom.egress import announce_connection

    attempts, on_block = blocked_attempts()
    with guard(policy(("127.0.0.1", 6000)), on_block=on_block):
        announce_connection("127.0.0.1", 6000)
        announce_connection("/var/run/postgresql", 5432)
        announce_connection(None, None)
        with pytest.raises(EgressBlocked, match=r"127\.0\.0\.1:5432 \(stillroom.connect\)"):
            announce_connection("127.0.0.1", 5432)
    assert [a["target"] for a in attempts] == ["127.0.0.1:5432"]


def test_a_refusal_survives_pickling_so_a_ray_worker_can_send_it_to_the_coordinator():
    import pickle

    from stillroom.egress import EgressBlocked

    refused = pickle.loads(pickle.dumps(EgressBlocked("socket.bind", "0.0.0.0:0")))
    assert isinstance(refused, EgressBlocked) and (refused.event, refused.target) == ("socket.bind", "0.0.0.0:0")
    assert str(refused).startswith("egress blocked: listening on 0.0.0.0:0 (socket.bind), which other hosts")
