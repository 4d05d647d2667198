"""The egress guard (DESIGN §4): a PEP 578 audit hook armed for a run.

While ``guard()`` is armed, every connection, name look-up, datagram and
program launch that Python's ``socket``, ``os`` and ``subprocess`` modules
attempt is checked against the run's egress allowlist; one it does not permit
is reported to ``on_block`` and refused with ``EgressBlocked`` before the
system call happens.

It is a tripwire, not a sandbox. It sees only what those modules announce:
C extensions that open sockets on their own, ctypes, and the DNS query
CPython sends when a host *name* is passed straight to ``connect`` or
``sendto`` (it resolves the name before raising the audit event) all pass
beneath it. ``stillroom.isolate`` adds a network namespace with no route for
that.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from stillroom.errors import StillroomError
from stillroom.policy import Egress

LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"})
SEND_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
# Where each launch event carries the command line in its audit arguments.
LAUNCH_EVENTS = {"subprocess.Popen": 1, "os.system": 0, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2,
                 "os.startfile": 0}
WATCHED = LOOKUP_EVENTS | SEND_EVENTS | LAUNCH_EVENTS.keys()
STACK_FRAMES = 12


# A firewall refusing a connection gives EACCES, and libraries already treat
# an OSError from the network as "offline" and fall back (socket.getfqdn,
# ctypes.util.find_library, hub clients with a local cache). Being an OSError
# keeps the guard from turning those probes into crashes; the attempt is
# ledgered by on_block either way.
class EgressBlocked(StillroomError, PermissionError):
    """A network or program-launch attempt the run's egress policy does not allow."""

    def __init__(self, event: str, target: str) -> None:
        if event in LAUNCH_EVENTS:
            message = f"egress blocked: launching {target!r} ({event}); the egress policy has subprocess: false"
        else:
            message = f"egress blocked: {target} ({event}) is not in the egress allowlist"
        super().__init__(message)
        self.event = event
        self.target = target


@dataclass(frozen=True)
class Decision:
    """What an audited event would reach, and whether the egress policy lets it."""

    target: str
    allowed: bool


@contextmanager
def guard(
    egress_policy: Egress,
    *,
    on_block: Callable[[dict[str, Any]], None],
    context: Callable[[], dict[str, Any]] = dict,
) -> Iterator[None]:
    """Refuse, for the duration of the block, whatever ``egress_policy`` does not allow.

    ``on_block`` receives ``{"target", "event", "stage", "plugin", "stack"}``
    (``stage``, ``plugin`` and any other keys from ``context()``) on the
    thread that made the attempt, before ``EgressBlocked`` is raised there.
    Audited calls that ``on_block`` itself makes are not checked.

    The guard covers every thread of the process while it is armed. Guards
    nest: an event must pass each armed guard, and each one that refuses it
    is told. Host names in the allowlist are resolved once here, before
    arming, so that connections to their addresses are recognised.
    """
    armed = _Armed(egress_policy, _resolve_names(egress_policy), on_block, context)
    _install_hook()
    global _armed
    with _lock:
        _armed = (*_armed, armed)
    try:
        yield
    finally:
        with _lock:
            _armed = tuple(a for a in _armed if a is not armed)


def permits(
    egress_policy: Egress,
    event: str,
    args: tuple,
    *,
    addresses: Mapping[str, frozenset[str]] = {},
) -> Decision | None:
    """Decide an audit event against the egress policy; ``None`` when nothing leaves the host.

    ``addresses`` maps host names in the allowlist to the addresses they
    resolved to, so that a connection to one of them counts as that name.
    Name look-ups are decided on the host alone: the query is the traffic.
    """
    if event in LAUNCH_EVENTS:
        return Decision(_command_line(args[LAUNCH_EVENTS[event]]), egress_policy.subprocess)
    if event in LOOKUP_EVENTS:
        host = _looked_up(event, args)
        if host is None:
            return None
        return Decision(host, any(_host_matches(rule.host, host, addresses) for rule in egress_policy.allow))
    if event in SEND_EVENTS:
        endpoint = _endpoint(args[0], args[1])
        if endpoint is None:
            return None
        host, port = endpoint
        allowed = port is not None and any(
            rule.port in (None, port) and _host_matches(rule.host, host, addresses) for rule in egress_policy.allow)
        return Decision(_describe(host, port), allowed)
    return None


# -- the process-wide hook ------------------------------------------------------


@dataclass(frozen=True)
class _Armed:
    egress: Egress
    addresses: Mapping[str, frozenset[str]]
    on_block: Callable[[dict[str, Any]], None]
    context: Callable[[], dict[str, Any]]


# Audit hooks cannot be removed, so one hook is installed on first use and
# reads the armed guards from this tuple; a disarmed hook costs one load.
_armed: tuple[_Armed, ...] = ()
_lock = threading.Lock()
_installed = False
_local = threading.local()


def _install_hook() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def _hook(event: str, args: tuple) -> None:
    armed = _armed
    if not armed or event not in WATCHED or getattr(_local, "busy", False):
        return
    # on_block writes the ledger, which may reach a database over loopback;
    # its audited calls must not recurse into the guard.
    _local.busy = True
    try:
        refusals = []
        for entry in armed:
            decision = permits(entry.egress, event, args, addresses=entry.addresses)
            if decision is None:
                return
            if not decision.allowed:
                refusals.append((entry, decision))
        if not refusals:
            return
        stack = _stack(sys._getframe(1))
        for entry, decision in refusals:
            entry.on_block({"target": decision.target, "event": event, "stage": None, "plugin": None,
                             **entry.context(), "stack": stack})
        raise EgressBlocked(event, refusals[0][1].target)
    finally:
        _local.busy = False


def _resolve_names(egress_policy: Egress) -> dict[str, frozenset[str]]:
    addresses = {}
    for rule in egress_policy.allow:
        name = _normalise(rule.host)
        if name == "localhost" or _network(name) is not None or name in addresses:
            continue
        try:
            infos = socket.getaddrinfo(name, rule.port, type=socket.SOCK_STREAM)
        except OSError:
            # An allowlisted name that does not resolve: look-ups of it are still
            # allowed, and connections to it fail on their own.
            infos = []
        addresses[name] = frozenset(str(_address(info[4][0])) for info in infos)
    return addresses


def _stack(frame: FrameType | None) -> list[str]:
    frames = []
    while frame is not None and len(frames) < STACK_FRAMES:
        frames.append(f"{frame.f_globals.get('__name__', '?')}:{frame.f_lineno} in {frame.f_code.co_name}")
        frame = frame.f_back
    return frames


# -- reading audit arguments ----------------------------------------------------


def _looked_up(event: str, args: tuple) -> str | None:
    host = args[0][0] if event == "socket.getnameinfo" else args[0]
    if host is None or host in ("", b""):
        return None  # a passive or wildcard look-up answers from the host itself
    return os.fsdecode(host) if isinstance(host, bytes) else str(host)


def _endpoint(sock: Any, address: Any) -> tuple[str, int | None] | None:
    if address is None:
        return None  # a send on a connected socket; its connect was checked
    family = getattr(sock, "family", None)
    if family == getattr(socket, "AF_UNIX", None):
        return None
    if family in (socket.AF_INET, socket.AF_INET6):
        return str(address[0]), int(address[1])
    # Other families (packet, netlink, bluetooth...) are refused outright.
    return f"{getattr(family, 'name', family)} {address!r}", None


def _command_line(value: Any) -> str:
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    return shlex.join(os.fsdecode(part) for part in value)


def _describe(host: str, port: int | None) -> str:
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- matching hosts -------------------------------------------------------------


def _host_matches(rule_host: str, host: str, addresses: Mapping[str, frozenset[str]]) -> bool:
    rule = _normalise(rule_host)
    address = _address(host)
    if address is None:
        return _normalise(host) == rule
    if rule == "localhost":
        return address.is_loopback
    network = _network(rule)
    if network is not None:
        return address in network
    return str(address) in addresses.get(rule, frozenset())


def _normalise(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    # ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d, and must be judged as it.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _network(rule: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(rule, strict=False)
    except ValueError:
        return None
