"""OS-level confinement of a sandbox worker: the layers that must hold even if the restricted compiler is bypassed.

Applied in the forked worker, in two phases:

* ``confine_process`` (right after fork, before any agent input): closes inherited descriptors, detaches
  from the host's session, and, when running as root, enters an empty read-only chroot (``build_jail``) and
  drops to ``nobody``. Resource limits that are the same for every worker are set here.
* ``apply_limits`` + ``install_seccomp`` (at episode start): address-space and CPU-time caps from the episode's
  settings, then a seccomp filter that refuses process creation, sockets, file writes, executable memory,
  signals to other processes and changes to the limits themselves.

The network: the fork server enters a fresh, empty network namespace at start when it is allowed to (root),
so workers inherit a namespace with no interfaces; seccomp also refuses ``socket`` everywhere.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import struct

NOBODY = 65534
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
_MS_REC, _MS_PRIVATE = 1 << 14, 1 << 18
CLONE_NEWNS = 0x00020000


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [None if v is None else v.encode() for v in (source, target, fstype)]
    if _libc.mount(*args, flags, None if data is None else data.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def enter_empty_netns() -> bool:
    """Move the calling process into a new network namespace (no interfaces). Returns success."""
    return _libc.unshare(CLONE_NEWNET) == 0


_JAIL_BASES = ("/mnt", "/srv", "/media", "/tmp", "/var/tmp", "/opt")


def jail_base(read_only_dirs: list[str]) -> str | None:
    """An existing directory to mount the jail's tmpfs on that hides none of ``read_only_dirs``.

    The tmpfs covers the directory (in our mount namespace only), so it must not be an ancestor of a
    directory that still has to be bind-mounted into the jail: a checkout under ``/tmp``, for example.
    """
    sources = [os.path.realpath(p) for p in read_only_dirs]
    for base in _JAIL_BASES:
        if os.path.isdir(base) and not any(src == base or src.startswith(base + os.sep) for src in sources):
            return base
    return None


def build_jail(read_only_dirs: list[str]) -> str | None:
    """Make an empty, read-only root for workers, in a private mount namespace of the calling process.

    Only ``read_only_dirs`` (matplotlib's fonts, which it reads lazily) are visible inside, bind-mounted
    read-only at their own paths. Everything lives in this process's mount namespace, so nothing is left
    on the host when it exits. Returns the jail path, or None where namespaces are not permitted.
    """
    if _libc.unshare(CLONE_NEWNS) != 0:
        return None
    try:
        _mount("none", "/", None, _MS_REC | _MS_PRIVATE)  # our mounts must not propagate to the host
        base = jail_base(read_only_dirs)
        if base is None:
            return None
        _mount("tmpfs", base, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
        jail = os.path.join(base, "jail")
        for path in read_only_dirs:
            inside = jail + os.path.realpath(path)
            os.makedirs(inside, exist_ok=True)
            _mount(path, inside, None, _MS_BIND | _MS_REC)
            _mount(None, inside, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        os.makedirs(jail, exist_ok=True)
        _mount(None, base, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "mode=0755")
        return jail
    except OSError:
        return None


def confine_process(keep_fd: int, jail_dir: str | None, devnull_fd: int) -> None:
    """First phase, right after fork: descriptors, session, filesystem view and user (root drops to nobody)."""
    os.dup2(devnull_fd, 0)
    os.dup2(devnull_fd, 1)
    os.dup2(devnull_fd, 2)
    # Close everything inherited from the fork server except our channel.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 65536)
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails with EFBIG instead
    if jail_dir is not None:
        os.chroot(jail_dir)
        os.chdir("/")
    else:
        os.chdir("/")
    if os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
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


# --- seccomp -----------------------------------------------------------------------------------------

_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_JSET_K = 0x45
_BPF_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL = 0x80000000
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000


def _errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


# x86_64 numbers, from asm/unistd_64.h. Refused with EPERM unless listed in _ENOSYS.
_DENY_X86_64 = {
    "socket": 41, "connect": 42, "accept": 43, "sendmsg": 46, "bind": 49, "listen": 50, "socketpair": 53,
    "accept4": 288, "sendmmsg": 307,
    "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "clone3": 435,
    "kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "setrlimit": 160, "prlimit64": 302, "prctl": 157, "seccomp": 317, "personality": 135,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "chroot": 161, "pivot_root": 155,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsmount": 432,
    "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114, "setgroups": 116, "setresuid": 117,
    "setresgid": 119, "capset": 126,
    "creat": 85, "truncate": 76, "rename": 82, "renameat": 264, "renameat2": 316, "mkdir": 83, "mkdirat": 258,
    "rmdir": 84, "link": 86, "linkat": 265, "unlink": 87, "unlinkat": 263, "symlink": 88, "symlinkat": 266,
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260,
    "utimensat": 280, "mknod": 133, "mknodat": 259, "memfd_create": 319,
    "name_to_handle_at": 303, "open_by_handle_at": 304,
    "shmget": 29, "shmat": 30, "semget": 64, "msgget": 68,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 300,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
    "reboot": 169, "swapon": 167, "swapoff": 168, "sethostname": 170, "setdomainname": 171, "iopl": 172,
    "ioperm": 173, "acct": 163, "settimeofday": 164, "clock_settime": 227, "adjtimex": 159, "syslog": 103,
    "quotactl": 179, "openat2": 437,
}
# glibc falls back from these when told they do not exist; the fallback is then refused above.
_ENOSYS = {"clone3", "openat2"}
_WRITE_OPEN_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PROT_EXEC = 0x4
# (syscall number, byte offset of the flags argument's low word, forbidden bits, errno)
_ARG_CHECKS_X86_64 = [
    (2, 16 + 8 * 1, _WRITE_OPEN_FLAGS, errno.EACCES),  # open(path, flags)
    (257, 16 + 8 * 2, _WRITE_OPEN_FLAGS, errno.EACCES),  # openat(dirfd, path, flags)
    (9, 16 + 8 * 2, _PROT_EXEC, errno.EPERM),  # mmap(addr, len, prot)
    (10, 16 + 8 * 2, _PROT_EXEC, errno.EPERM),  # mprotect(addr, len, prot)
    (329, 16 + 8 * 2, _PROT_EXEC, errno.EPERM),  # pkey_mprotect(addr, len, prot)
]


def seccomp_supported() -> bool:
    """Whether this module has a syscall table for the running architecture."""
    return platform.machine() in ("x86_64", "AMD64") and platform.system() == "Linux"


def _filter_program() -> list[tuple[int, int, int, int]]:
    prog = [
        (_BPF_LD_W_ABS, 0, 0, 4),  # A = arch
        (_BPF_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        (_BPF_RET_K, 0, 0, _RET_KILL),
        (_BPF_LD_W_ABS, 0, 0, 0),  # A = syscall number
        (_BPF_JGE_K, 0, 1, _X32_BIT),  # the x32 ABI reaches the same calls under other numbers
        (_BPF_RET_K, 0, 0, _errno(errno.EPERM)),
    ]
    for name, nr in _DENY_X86_64.items():
        code = errno.ENOSYS if name in _ENOSYS else errno.EPERM
        prog += [(_BPF_JEQ_K, 0, 1, nr), (_BPF_RET_K, 0, 0, _errno(code))]
    for nr, offset, bits, code in _ARG_CHECKS_X86_64:
        prog += [
            (_BPF_JEQ_K, 0, 4, nr),
            (_BPF_LD_W_ABS, 0, 0, offset),
            (_BPF_JSET_K, 0, 1, bits),
            (_BPF_RET_K, 0, 0, _errno(code)),
            (_BPF_RET_K, 0, 0, _RET_ALLOW),
        ]
    prog.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp() -> bool:
    """Install the worker's syscall filter. Returns False where unsupported (the other layers still hold)."""
    if not seccomp_supported():
        return False
    prog = _filter_program()
    raw = b"".join(struct.pack("HBBI", code, jt, jf, k) for code, jt, jf, k in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(prog), ctypes.addressof(buf))
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if _libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True
