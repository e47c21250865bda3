"""Linux namespaces for the fork server and its workers: the same confinement with or without root.

The fork server enters fresh mount, network, IPC, UTS, cgroup and PID namespaces at start. As root it does so
directly; otherwise it first creates a user namespace (``CLONE_NEWUSER``) in which it holds the capabilities
for them, with the caller's uid and gid mapped to ``nobody`` inside. It then becomes PID 1 of its PID
namespace (``become_pid1``), and gives every worker a PID namespace of its own (``next_child_in_new_pid_ns``),
so a worker sees no other process: not the trainer, not the server, not another episode's worker.

Where neither works (no root, user namespaces refused), ``enter`` reports mode ``"none"`` with the reason;
the host refuses to start unless the caller opted out (``isolation="weak"``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import struct

NOBODY = 65534
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_SERVER_NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWPID
_PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _fail(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def enter() -> tuple[str, str]:
    """Enter the server's namespaces. Returns (mode, reason): ``"root"``, ``"userns"`` or ``"none"``.

    Root without the right to unshare (a container without ``CAP_SYS_ADMIN``) tries a user namespace too.
    """
    if os.geteuid() == 0 and _libc.unshare(_SERVER_NAMESPACES) == 0:
        _hide_hostname()
        return "root", "running as root"
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER | _SERVER_NAMESPACES) != 0:
        return "none", f"the kernel refused an unprivileged user namespace ({os.strerror(ctypes.get_errno())})"
    try:  # one identity inside: ours, seen as nobody; no groups can be dropped to bypass a deny
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{NOBODY} {uid} 1")
        _write("/proc/self/gid_map", f"{NOBODY} {gid} 1")
    except OSError as exc:
        return "none", f"could not map ids into the user namespace ({exc})"
    _hide_hostname()
    return "userns", f"unprivileged user namespace (outer uid {uid})"


def _hide_hostname() -> None:
    try:
        socket.sethostname("sandbox")  # the UTS namespace is ours: workers need not learn the machine's name
    except OSError:
        pass  # cosmetic; the other namespaces are what confine


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def become_pid1() -> None:
    """Fork so that the caller continues as PID 1 of the new PID namespace; the original process waits.

    The waiting parent (the process the host started) exits with the server's status. The server dies with
    it (``PR_SET_PDEATHSIG``), and every worker dies with the server, because they live in its namespace.
    """
    pid = os.fork()
    if pid:
        os.closerange(3, 2**31 - 1)  # the channel must reach EOF when the server goes, not stay open here
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
            except InterruptedError:
                continue
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def own_pid_ns() -> int:
    """A descriptor of the caller's PID namespace (the server's), to reset from before each worker."""
    return os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


def next_child_in_new_pid_ns(own_ns_fd: int) -> None:
    """Make the next ``fork`` put the child in a fresh PID namespace, where it is PID 1 and alone."""
    if _libc.setns(own_ns_fd, CLONE_NEWPID) != 0:
        raise _fail("setns(CLONE_NEWPID)")
    if _libc.unshare(CLONE_NEWPID) != 0:
        raise _fail("unshare(CLONE_NEWPID)")


_CAP_V3 = 0x20080522


def drop_capabilities() -> None:
    """Clear every capability set of the calling thread (the worker keeps none in any namespace)."""
    header = struct.pack("Ii", _CAP_V3, 0)
    data = bytes(24)
    if _libc.syscall(126, header, data) != 0:  # capset
        raise _fail("capset")


def capabilities() -> int:
    """The calling thread's effective capability mask (0 once dropped)."""
    header = ctypes.create_string_buffer(struct.pack("Ii", _CAP_V3, 0), 8)
    data = ctypes.create_string_buffer(24)
    if _libc.syscall(125, header, data) != 0:  # capget
        raise _fail("capget")
    eff0, _, _, eff1, _, _ = struct.unpack("6I", data.raw)
    return eff0 | (eff1 << 32)

