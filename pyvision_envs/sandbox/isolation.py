"""OS-level confinement of a sandbox worker: the layers that must hold even if the restricted compiler is bypassed.

Applied in the forked worker, in two phases:

* ``confine_process`` (right after fork, before any agent input): closes inherited descriptors, detaches
  from the host's session, enters the empty read-only jail (``build_jail``, made once by the fork server),
  becomes ``nobody`` with no capabilities, and sets the resource limits every worker shares.
* ``apply_limits`` + ``seccomp.install`` (at episode start): address-space and CPU-time caps from the episode's
  settings, then the syscall filter.

The namespaces (mount, network, IPC, PID, and a user namespace without root) come from ``namespaces``.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal

from pyvision_envs.sandbox import namespaces

_libc = ctypes.CDLL(None, use_errno=True)
MAX_FD = 2**31 - 1

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
_MS_REC, _MS_PRIVATE = 1 << 14, 1 << 18
_ST_ATIME_FLAGS = {1024: _MS_NOATIME, 2048: _MS_NODIRATIME, 4096: _MS_RELATIME}  # statvfs f_flag -> mount flag


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [None if v is None else v.encode() for v in (source, target, fstype)]
    if _libc.mount(*args, flags, None if data is None else data.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


_JAIL_BASES = ("/mnt", "/srv", "/media", "/tmp", "/var/tmp", "/opt")


def jail_base(read_only_dirs: list[str]) -> str | None:
    """An existing directory to mount the jail's tmpfs on that hides none of ``read_only_dirs``.

    The tmpfs covers the directory (in our mount namespace only), so it must not be an ancestor of a
    directory that still has to be bind-mounted into the jail: a checkout under ``/tmp``, for example.
    """
    sources = [f(p) for p in read_only_dirs for f in (os.path.realpath, os.path.abspath)]
    for base in _JAIL_BASES:
        if os.path.isdir(base) and not any(src == base or src.startswith(base + os.sep) for src in sources):
            return base
    return None


def _atime_flags(path: str) -> int:
    # In a user namespace the atime flags of a mount we did not make are locked: a remount must repeat them.
    f_flag = os.statvfs(path).f_flag
    return sum(flag for st, flag in _ST_ATIME_FLAGS.items() if f_flag & st)


def build_jail(read_only_dirs: list[str]) -> str:
    """Make an empty, read-only root for workers in the calling process's (private) mount namespace.

    Only ``read_only_dirs`` (matplotlib's fonts, which it reads lazily) are visible inside, bind-mounted
    read-only at their own paths. The caller must already be in a mount namespace of its own
    (``namespaces.enter``), so nothing is left on the host when it exits.
    """
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)  # our mounts must not propagate to the host
    base = jail_base(read_only_dirs)
    if base is None:
        raise OSError(f"no directory to build the jail on among {_JAIL_BASES}")
    _mount("tmpfs", base, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    jail = os.path.join(base, "jail")
    # Each directory at its real path and at the path it was named by (a symlinked venv): libraries
    # remember file paths in either form (matplotlib's font list).
    for path in dict.fromkeys(p for d in read_only_dirs for p in (os.path.realpath(d), os.path.abspath(d))):
        inside = jail + path
        os.makedirs(inside, exist_ok=True)
        _mount(path, inside, None, _MS_BIND | _MS_REC)
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _atime_flags(inside)
        _mount(None, inside, None, flags)
    os.makedirs(jail, exist_ok=True)
    _mount(None, base, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "mode=0755")
    return jail


def confine_process(keep_fd: int, jail_dir: str | None, devnull_fd: int) -> None:
    """First phase, right after fork: descriptors, session, filesystem view, user and capabilities."""
    os.dup2(devnull_fd, 0)
    os.dup2(devnull_fd, 1)
    os.dup2(devnull_fd, 2)
    # Close everything inherited from the fork server except our channel: all the way up (close_range),
    # since the server's request socket keeps the host's number, which can be above any fixed bound.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, MAX_FD)
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails with EFBIG instead
    if jail_dir is not None:
        os.chroot(jail_dir)
    os.chdir("/")
    if jail_dir is not None:  # root, or root of our user namespace: become nobody, keep no capability
        if os.geteuid() == 0:  # a user namespace has no groups to drop (setgroups is denied there)
            os.setgroups([])
        os.setresgid(namespaces.NOBODY, namespaces.NOBODY, namespaces.NOBODY)
        os.setresuid(namespaces.NOBODY, namespaces.NOBODY, namespaces.NOBODY)
        namespaces.drop_capabilities()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    # Effective for any non-root uid (including nobody): no new processes or threads at all.
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def apply_limits(memory_mb: int, cpu_s: int) -> None:
    """Second phase: the episode's address-space and CPU-time caps (lowering only)."""
    limit = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s), int(cpu_s) + 1))
