"""The egress guard (DESIGN §4): a PEP 578 audit hook armed for a run.

While ``guard()`` is armed, every connection, name look-up, datagram and
program launch that Python's ``socket``, ``os``, ``subprocess`` and
``_posixsubprocess`` modules attempt is checked against the run's egress
allowlist; one it does not permit is reported to ``on_block`` and refused
with ``EgressBlocked`` before the system call happens. So is a listener other
hosts could reach: a ``bind`` to an address that is not loopback (``0.0.0.0``,
``::``, an interface's address), or a ``listen`` on a socket never bound (the
kernel binds it to every interface), unless the allowlist names that address
and port. Loopback and Unix-socket listeners pass.

The guard follows the run into every Python interpreter the run starts the
way ``multiprocessing`` does (``spawn`` and ``forkserver``, what a PyTorch
DataLoader may use): the child's command line is rewritten to arm the same
guard before anything else runs in it (``-E`` keeps ``PYTHONPATH`` from
substituting another ``stillroom``), and what the child refuses comes back
to the parent's ``on_block``. ``fork`` children inherit it. Any other program
launch is refused unless the policy says ``subprocess: true``.

The armed state lives in the hook's closure, not in a module global, so
rebinding a name in this module changes nothing; a guard is disarmed only
by leaving its ``with`` block, which a run does after ledgering its end.

It is a tripwire, not a sandbox. It sees only what Python announces: C
extensions that open sockets on their own (database drivers, for one), ctypes,
code that rebuilds a C module's functions, and the DNS query CPython sends
when a host *name* is passed straight to ``connect`` or ``sendto`` all pass
beneath it. ``stillroom.isolate`` adds a network namespace with no route for
that. Plugins that open connections in C announce them first with
``announce_connection``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import ipaddress
import json
import os
import shlex
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, FunctionType
from typing import Any

from stillroom.errors import StillroomError
from stillroom.policy import Egress

LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"})
SEND_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
# Raised by announce_connection for connections a C library will open on its own.
CONNECT_EVENT = "stillroom.connect"
# Raised by the wrapper around _posixsubprocess.fork_exec, which CPython does not audit.
FORK_EXEC_EVENT = "stillroom.fork_exec"
# Where each launch event carries the command line in its audit arguments.
LAUNCH_EVENTS = {"subprocess.Popen": 1, "os.system": 0, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2,
                 "os.startfile": 0, FORK_EXEC_EVENT: 0, "os.forkpty": None}
# Raised by the wrapper around socket.listen for a socket never bound, since CPython audits no listen.
LISTEN_EVENT = "stillroom.listen"
LISTEN_EVENTS = frozenset({"socket.bind", LISTEN_EVENT})  # a listener other hosts may reach
# A second copy of _posixsubprocess would carry the unwrapped fork_exec.
REIMPORT_REFUSED = frozenset({"_posixsubprocess"})
WATCHED = LOOKUP_EVENTS | SEND_EVENTS | LISTEN_EVENTS | LAUNCH_EVENTS.keys() | {CONNECT_EVENT, "import"}
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
        elif event == "import":
            message = f"egress blocked: importing a second copy of {target} while the egress guard is armed"
        elif event in LISTEN_EVENTS:
            message = (f"egress blocked: listening on {target} ({event}), which other hosts could reach, and the "
                       "egress allowlist does not name it; bind 127.0.0.1 or allowlist that address and port")
        else:
            message = f"egress blocked: {target} ({event}) is not in the egress allowlist"
        super().__init__(message)
        self.event = event
        self.target = target

    def __reduce__(self):
        # rebuilt from what it was made of where it is unpickled: a Ray worker's refusal reaches the coordinator
        return type(self), (self.event, self.target)


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
    Attempts refused in a child interpreter reach it too, with ``"pid"``,
    when the block ends. Audited calls that ``on_block`` itself makes are not
    checked.

    The guard covers every thread of the process while it is armed. Guards
    nest: an event must pass each armed guard, and the innermost one that
    refuses it is told. Host names in the allowlist are resolved once here,
    before arming, so that connections to their addresses are recognised.
    """
    armed = _new_armed(egress_policy, on_block, context)
    disarm = _STATE.arm(armed)
    try:
        yield
    finally:
        disarm()
        _deliver_child_reports(armed)


def arm_for_process(
    egress_policy: Egress,
    *,
    on_block: Callable[[dict[str, Any]], None],
    context: Callable[[], dict[str, Any]] = dict,
) -> None:
    """Arm a guard for the rest of this process; there is no way to disarm it.

    The CLI arms one as soon as it knows the workspace, before any plugin is
    imported, so that a plugin's import-time code, threads and exit handlers
    are held to the egress policy even in commands that are not runs.
    """
    armed = _new_armed(egress_policy, on_block, context)
    _STATE.arm(armed)
    atexit.register(_deliver_child_reports, armed)


def announce_connection(host: str | None, port: int | None) -> None:
    """Check a connection that a C library is about to open against every armed guard.

    Database drivers open their sockets in C, below the audit hook; call this with
    the host and port first. A host that is a path (a Unix socket) or absent is local.
    Raises ``EgressBlocked`` (after ``on_block``) when an armed guard refuses it.
    """
    sys.audit(CONNECT_EVENT, host, port)


def is_armed() -> bool:
    """Whether any egress guard is armed in this process."""
    return _STATE.count() > 0


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
        where = LAUNCH_EVENTS[event]
        # A child on a pseudo-terminal exists to run a program (pty.spawn); a plain fork stays guarded.
        target = "a program on a pseudo-terminal" if where is None else _command_line(args[where])
        return Decision(target, egress_policy.subprocess)
    if event == "import":
        return Decision(str(args[0]), False) if args[0] in REIMPORT_REFUSED else None
    if event in LOOKUP_EVENTS:
        host = _looked_up(event, args)
        if host is None:
            return None
        return Decision(host, any(_host_matches(rule.host, host, addresses) for rule in egress_policy.allow))
    if event in LISTEN_EVENTS:
        return _listening(egress_policy, args[0], args[1], addresses)
    if event in SEND_EVENTS or event == CONNECT_EVENT:
        endpoint = _announced(args) if event == CONNECT_EVENT else _endpoint(args[0], args[1])
        if endpoint is None:
            return None
        host, port = endpoint
        allowed = port is not None and any(
            rule.port in (None, port) and _host_matches(rule.host, host, addresses) for rule in egress_policy.allow)
        return Decision(_describe(host, port), allowed)
    return None


def _listening(egress_policy: Egress, sock: Any, address: Any,
               addresses: Mapping[str, frozenset[str]]) -> Decision | None:
    """A bind (or a listen's implicit one): ``None`` on loopback or a Unix socket, where no other host reaches."""
    endpoint = _endpoint(sock, address)
    if endpoint is None:
        return None
    host, port = endpoint
    if host == "":  # what Python spells INADDR_ANY
        host = "::" if getattr(sock, "family", None) == socket.AF_INET6 else "0.0.0.0"
    ip = _address(host)
    if (ip is not None and ip.is_loopback) or (ip is None and _normalise(host) == "localhost"):
        return None
    allowed = port is not None and any(
        rule.port in (None, port) and _host_matches(rule.host, host, addresses) for rule in egress_policy.allow)
    return Decision(_describe(host, port), allowed)


def arm_inherited(guards: list[dict[str, Any]]) -> None:
    """Arm, in a child interpreter, the guards its parent had armed when it started it.

    The parent's rewritten command line calls this before any other code runs.
    A refusal here is written to stderr and to the parent's report file.
    """
    for spec in guards:
        egress_policy = Egress.model_validate(spec["egress"])
        addresses = {name: frozenset(found) for name, found in spec["addresses"].items()}
        context = dict(spec.get("context") or {})  # the parent's stage and plugin when it started this child
        _STATE.arm(_Armed(egress_policy, addresses, _ChildReport(spec["report"]), functools.partial(dict, context),
                          spec["report"], os.getpid()))


# -- the process-wide hook ------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Armed:
    egress: Egress
    addresses: Mapping[str, frozenset[str]]
    on_block: Callable[[dict[str, Any]], None]
    context: Callable[[], dict[str, Any]]
    report: str  # a file that child interpreters append their refusals to
    pid: int = 0  # the process that armed it; a forked child reports through the file instead

    def told(self) -> Callable[[dict[str, Any]], None]:
        return self.on_block if os.getpid() == self.pid else _ChildReport(self.report)


def _new_armed(egress_policy: Egress, on_block, context) -> _Armed:
    handle, report = tempfile.mkstemp(prefix="stillroom-egress-", suffix=".jsonl")
    os.close(handle)
    return _Armed(egress_policy, _resolve_names(egress_policy), on_block, context, report, os.getpid())


class _GuardState:
    """The one audit hook and what it reads, held in closures rather than module globals.

    Audit hooks cannot be removed, so one hook is installed on first use; a
    disarmed hook costs one load. Rebinding anything in this module leaves the
    installed hook, the armed guards and the wrapped launch functions as they are.
    """

    def __init__(self) -> None:
        private = _private_namespace()
        permits, stack, watched, blocked = (private[name] for name in ("permits", "_stack", "WATCHED", "EgressBlocked"))
        armed: list[tuple[_Armed, ...]] = [()]
        lock = threading.Lock()
        local = threading.local()
        installed = [False]

        def hook(event: str, args: tuple) -> None:
            current = armed[0]
            if not current or event not in watched or getattr(local, "busy", False):
                return
            # on_block writes the ledger, which may reach a database over loopback;
            # its audited calls must not recurse into the guard.
            local.busy = True
            try:
                refusals = []
                for entry in current:
                    decision = permits(entry.egress, event, args, addresses=entry.addresses)
                    if decision is None:
                        return
                    if not decision.allowed:
                        refusals.append((entry, decision))
                if not refusals:
                    return
                entry, decision = refusals[-1]
                entry.told()({"target": decision.target, "event": event, "stage": None, "plugin": None,
                                **entry.context(), "stack": stack(sys._getframe(1))})
                raise blocked(event, decision.target)
            finally:
                local.busy = False

        def install() -> None:
            with lock:
                if installed[0]:
                    return
                sys.addaudithook(hook)
                _wrap_launchers(local, lambda: armed[0])
                _audit_listen(lambda: armed[0])
                installed[0] = True

        def arm(entry: _Armed) -> Callable[[], None]:
            """Arm ``entry``; the function returned, held only by whoever armed it, disarms it."""
            install()
            with lock:
                armed[0] = (*armed[0], entry)

            def disarm() -> None:
                with lock:
                    armed[0] = tuple(a for a in armed[0] if a is not entry)
            return disarm

        def deliver(entry: _Armed, attempt: dict[str, Any]) -> None:
            local.busy = True
            try:
                entry.on_block(attempt)
            finally:
                local.busy = False

        # No accessor hands out the armed entries: they are reachable from the hook and the guard only.
        self.arm, self.deliver = arm, deliver
        self.count = lambda: len(armed[0])

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__:
            raise AttributeError("the egress guard's state cannot be replaced")
        super().__setattr__(name, value)


def _private_namespace() -> dict[str, Any]:
    """This module's functions bound to a private copy of its globals, for the installed hook to call."""
    private = dict(globals())
    for name, value in list(private.items()):
        if isinstance(value, FunctionType) and value.__module__ == __name__:
            private[name] = FunctionType(value.__code__, private, name, value.__defaults__, value.__closure__)
            private[name].__kwdefaults__ = value.__kwdefaults__
    return private


def _wrap_launchers(local: threading.local, current: Callable[[], tuple[_Armed, ...]]) -> None:
    """Audit ``_posixsubprocess.fork_exec`` and carry the guard into multiprocessing's children.

    Installed with the hook, before any plugin is imported, so code that imports
    these modules later finds the wrapped functions.
    """
    import _posixsubprocess
    import multiprocessing.util as mp_util
    import subprocess

    fork_exec = _posixsubprocess.fork_exec
    spawnv_passfds = mp_util.spawnv_passfds

    def audited_fork_exec(args, *rest):
        if current() and not getattr(local, "launching_guarded_child", False):
            sys.audit(FORK_EXEC_EVENT, args)
        return fork_exec(args, *rest)

    def guarded_spawnv_passfds(path, args, passfds):
        guards = current()
        if not guards:
            return spawnv_passfds(path, args, passfds)
        args = list(args)
        flags = subprocess._args_from_interpreter_flags()  # type: ignore[attr-defined]  # private, how multiprocessing passes -X/-W flags on
        code_at = len(flags) + 2
        is_python = os.path.realpath(os.fsdecode(path)) == os.path.realpath(sys.executable)
        if not (is_python and len(args) > code_at and args[1:code_at - 1] == flags and args[code_at - 1] == "-c"):
            sys.audit(FORK_EXEC_EVENT, args)  # not multiprocessing's own interpreter: an ordinary launch
            return spawnv_passfds(path, args, passfds)
        args = [args[0], "-E", *flags, "-c", _bootstrap(guards) + args[code_at], *args[code_at + 1:]]
        local.launching_guarded_child = True
        try:
            return spawnv_passfds(path, args, passfds)
        finally:
            local.launching_guarded_child = False

    _posixsubprocess.fork_exec = audited_fork_exec
    mp_util.spawnv_passfds = guarded_spawnv_passfds


def _audit_listen(current: Callable[[], tuple[_Armed, ...]]) -> None:
    """Audit ``listen`` on an internet socket never bound: the kernel binds it to every interface, and CPython
    raises no audit event for that (``socket.bind`` covers the explicit bind)."""
    listen = socket.socket.listen

    def audited_listen(self, *backlog):
        if current() and self.family in (socket.AF_INET, socket.AF_INET6):
            bound = self.getsockname()
            if bound[1] == 0:
                sys.audit(LISTEN_EVENT, self, bound)
        return listen(self, *backlog)

    socket.socket.listen = audited_listen  # type: ignore[method-assign]  # the audit hook is this patch


def _bootstrap(guards: tuple[_Armed, ...]) -> str:
    specs = [{"egress": g.egress.model_dump(mode="json"),
              "addresses": {name: sorted(found) for name, found in g.addresses.items()},
              "report": g.report, "context": g.context()} for g in guards]
    return f"import json as _j, stillroom.egress as _e; _e.arm_inherited(_j.loads({json.dumps(specs, default=str)!r})); del _j, _e; "


class _ChildReport:
    """A child's on_block: one line on stderr, and one JSON line for the parent's on_block."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, attempt: dict[str, Any]) -> None:
        attempt = {**attempt, "pid": os.getpid()}
        sys.stderr.write(f"stillroom: egress blocked in child process {os.getpid()}: {attempt['target']} "
                         f"({attempt['event']})\n")
        with contextlib.suppress(OSError), open(self.path, "a", encoding="utf-8") as report:
            report.write(json.dumps(attempt, default=str) + "\n")


def _deliver_child_reports(armed: _Armed) -> None:
    try:
        with open(armed.report, encoding="utf-8") as report:
            lines = report.read().splitlines()
        os.unlink(armed.report)
    except OSError:
        return
    for line in lines:
        with contextlib.suppress(ValueError):
            _STATE.deliver(armed, json.loads(line))


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
        addresses[name] = frozenset(str(_address(str(info[4][0]))) for info in infos)
    return addresses


def _stack(frame: FrameType | None) -> list[str]:
    frames: list[str] = []
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


def _announced(args: tuple) -> tuple[str, int | None] | None:
    host, port = args
    if not host or str(host).startswith("/") or str(host).startswith("@"):
        return None  # a Unix socket (a directory, or an abstract name): nothing leaves the host
    return str(host), None if port is None else int(port)


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


_STATE = _GuardState()
