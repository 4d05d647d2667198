"""``stillroom run --isolate``: the command again, in a network namespace with no route (DESIGN §4).

Where the egress guard is a tripwire for what Python announces, a network
namespace holding only a loopback interface stops everything, C extensions
included. Services on the host's loopback (a PostgreSQL store over TCP, a
teacher endpoint on localhost) are out of reach too: the namespace has its
own loopback. SQLite, and PostgreSQL over a Unix socket, still work.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import signal
import socket
import struct
import sys
from collections.abc import Sequence

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sh22x"  # struct ifreq on Linux: the name, then ifr_flags in a 24-byte union


def reexec_isolated(argv: Sequence[str]) -> str:
    """Run ``argv`` in a new network namespace with only loopback up, and exit with its status.

    Pass ``sys.orig_argv`` to re-run the current command exactly. The process
    forks; the child enters the namespace and executes ``argv`` (found on
    ``PATH``), and this process waits for it and raises ``SystemExit`` with its
    exit status. Call it from the main thread (it relays SIGTERM), before the
    run starts threads of its own.

    :returns: only where isolation is not possible here, one sentence saying why.
    """
    if not sys.platform.startswith("linux"):
        return f"network isolation needs Linux network namespaces; this system is {sys.platform}"
    unshare = getattr(ctypes.CDLL(None, use_errno=True), "unshare", None)
    if unshare is None:
        return "network isolation needs unshare(2), which this C library does not provide"
    sys.stdout.flush()
    sys.stderr.flush()
    # A close-on-exec pipe: it closes empty when the exec succeeds, and
    # carries the reason when the child fails before it.
    reason_read, reason_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reason_read)
        _child(unshare, list(argv), reason_write)
    os.close(reason_write)
    with os.fdopen(reason_read, "rb") as pipe:
        reason = pipe.read().decode()
    status = _wait(pid)
    if reason:
        return reason
    raise SystemExit(status)


def network_isolated() -> bool:
    """Whether this process sees no network interface but loopback, as inside ``--isolate``."""
    return all(name == "lo" for _, name in socket.if_nameindex())


def _child(unshare, argv: list[str], reason_write: int) -> None:
    try:
        try:
            _enter_namespace(unshare)
        except OSError as exc:
            os.write(reason_write, _explain(exc).encode())
            return
        try:
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(reason_write, f"the isolated command could not start: {argv[0]}: {exc.strerror}".encode())
    finally:
        os._exit(127)


def _enter_namespace(unshare) -> None:
    uid, gid = os.geteuid(), os.getegid()
    # Without root, a user namespace lends the capabilities a network
    # namespace needs; the same user id inside keeps file ownership unchanged.
    flags = CLONE_NEWNET if uid == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if unshare(flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), "unshare")
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _bring_up_loopback()


def _bring_up_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(IFREQ, b"lo", 0)
        flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _wait(pid: int) -> int:
    # The terminal sends Ctrl-C to the child too; this process only relays a
    # supervisor's SIGTERM and reports the child's status.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, lambda signum, frame: _relay(pid, signum))
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _relay(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _explain(exc: OSError) -> str:
    if exc.filename == "unshare" and exc.errno in (errno.EPERM, errno.EACCES, errno.ENOSPC):
        return ("network isolation was refused: a network namespace needs root or unprivileged user "
                f"namespaces (sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces): {exc.strerror}")
    if exc.filename == "unshare":
        return f"network isolation is unavailable: this kernel offers no network namespaces ({exc.strerror})"
    if exc.filename:
        return f"network isolation failed: could not map the user into the namespace ({exc.filename}: {exc.strerror})"
    return f"network isolation failed: could not bring up the loopback interface ({exc.strerror})"
