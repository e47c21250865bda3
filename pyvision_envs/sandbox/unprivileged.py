"""Start a command as an unprivileged user, for the tests and benchmarks of the sandbox's non-root path.

Only root can call it. The child gets a private mount namespace in which the interpreter stays reachable
(a Python installed under a ``0700`` home such as ``/root/.pyenv`` is re-exposed at the same path, alone),
then drops to ``uid``/``gid`` with no groups. With ``deny_userns`` the child also carries a seccomp filter
that refuses ``unshare``, so the kernel refuses user namespaces to it and everything it starts: the
"no user namespaces" host, for real.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import subprocess
import sys
from typing import Any

from pyvision_envs.sandbox import isolation, namespaces, seccomp

_UNSHARE_NR = 272


def _blocking_ancestor(path: str, uid: int) -> tuple[str, str] | None:
    """The first directory on ``path`` that ``uid`` cannot traverse, and its child on the path."""
    parts = os.path.realpath(path).split(os.sep)[1:]
    cur = "/"
    for name in parts[:-1]:
        st = os.stat(cur)
        if st.st_uid != uid and not st.st_mode & stat.S_IXOTH:
            return cur, name
        cur = os.path.join(cur, name)
    return None


def _expose(path: str, uid: int) -> None:
    # Runs in the child, still root, in its own mount namespace: cover the blocking directory with an empty
    # tmpfs and bind the one subtree we need back at its old path.
    blocked = _blocking_ancestor(path, uid)
    if blocked is None:
        return
    parent, child = blocked
    fd = os.open(os.path.join(parent, child), os.O_PATH)
    isolation._mount("tmpfs", parent, "tmpfs", 0, "mode=0755,size=64k")
    os.mkdir(os.path.join(parent, child))
    isolation._mount(f"/proc/self/fd/{fd}", os.path.join(parent, child), None, isolation._MS_BIND | isolation._MS_REC)
    os.close(fd)


def _drop(uid: int, deny_userns: bool) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(namespaces.CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    isolation._mount("none", "/", None, isolation._MS_REC | isolation._MS_PRIVATE)
    _expose(sys.executable, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if deny_userns:
        seccomp.install(seccomp.deny_program({_UNSHARE_NR: errno.EPERM}))


def popen_unprivileged(argv: list[str], uid: int = namespaces.NOBODY, deny_userns: bool = False,
                       **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(argv)`` running as ``uid`` (root only)."""
    if os.geteuid() != 0:
        raise PermissionError("only root can start a process as another user")
    return subprocess.Popen(argv, preexec_fn=lambda: _drop(uid, deny_userns), **kwargs)
