"""The worker's seccomp filter: the system calls plain Python in a worker must not make, refused by the kernel.

A deny list over x86_64 numbers with default allow, plus argument checks where only some uses are dangerous
(writable ``open``, executable ``mmap``, ``fcntl``/``ioctl`` that make the kernel signal another process).
Anything newer than the table's newest entry is refused with ``ENOSYS`` unless listed as harmless, so a new
kernel's new calls are off until reviewed.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import struct

_libc = ctypes.CDLL(None, use_errno=True)

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
DENY_X86_64 = {
    # network and processes
    "socket": 41, "connect": 42, "accept": 43, "sendmsg": 46, "bind": 49, "listen": 50, "socketpair": 53,
    "accept4": 288, "sendmmsg": 307,
    "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "clone3": 435,
    # signals and handles on other processes
    "kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "process_mrelease": 448,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "process_madvise": 440,
    "migrate_pages": 256, "move_pages": 279,
    # scheduling of any process (another worker's priority is a cross-episode effect)
    "setpriority": 141, "sched_setparam": 142, "sched_setscheduler": 144, "sched_setaffinity": 203,
    "sched_setattr": 314, "ioprio_set": 251,
    # IPC that outlives a cell or reaches another process
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    # limits, privileges, namespaces, mounts
    "setrlimit": 160, "prlimit64": 302, "prctl": 157, "seccomp": 317, "personality": 135,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "chroot": 161, "pivot_root": 155,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "statmount": 457, "listmount": 458,
    "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114, "setgroups": 116, "setresuid": 117,
    "setresgid": 119, "setfsuid": 122, "setfsgid": 123, "capset": 126,
    # file system writes
    "creat": 85, "truncate": 76, "rename": 82, "renameat": 264, "renameat2": 316, "mkdir": 83, "mkdirat": 258,
    "rmdir": 84, "link": 86, "linkat": 265, "unlink": 87, "unlinkat": 263, "symlink": 88, "symlinkat": 266,
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260,
    "utimensat": 280, "mknod": 133, "mknodat": 259, "memfd_create": 319, "memfd_secret": 447,
    "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197, "lremovexattr": 198,
    "fremovexattr": 199, "name_to_handle_at": 303, "open_by_handle_at": 304, "fanotify_init": 300,
    # kernel surfaces
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
    "reboot": 169, "swapon": 167, "swapoff": 168, "sethostname": 170, "setdomainname": 171, "iopl": 172,
    "ioperm": 173, "acct": 163, "settimeofday": 164, "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305,
    "syslog": 103, "quotactl": 179, "openat2": 437, "uselib": 134, "vhangup": 153, "lookup_dcookie": 212,
}
# glibc falls back from these when told they do not exist; the fallback is then refused above.
_ENOSYS = {"clone3", "openat2"}
# Calls numbered above _NEWEST_REVIEWED are refused with ENOSYS except these, which Python and glibc use.
_NEWEST_REVIEWED = 440
_NEW_BUT_HARMLESS = (441, 449)  # epoll_pwait2, futex_waitv

_WRITE_OPEN_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PROT_EXEC = 0x4
_ARG = 16  # offset of args[0] in struct seccomp_data; each argument is 8 bytes, low word first
_F_SETFL, _F_SETOWN, _F_SETSIG, _F_SETOWN_EX, _O_ASYNC = 4, 8, 10, 15, 0o20000
_FIOSETOWN, _SIOCSPGRP, _FIOASYNC, _TIOCSPGRP = 0x8901, 0x8902, 0x5452, 0x5410
# (syscall, argument index, forbidden bits, errno): refused when any of the bits is set.
_BIT_CHECKS_X86_64 = [
    (2, 1, _WRITE_OPEN_FLAGS, errno.EACCES),  # open(path, flags)
    (257, 2, _WRITE_OPEN_FLAGS, errno.EACCES),  # openat(dirfd, path, flags)
    (9, 2, _PROT_EXEC, errno.EPERM),  # mmap(addr, len, prot)
    (10, 2, _PROT_EXEC, errno.EPERM),  # mprotect(addr, len, prot)
    (329, 2, _PROT_EXEC, errno.EPERM),  # pkey_mprotect(addr, len, prot)
]
# (syscall, argument index, forbidden values): the kernel would signal a process the caller names (F_SETOWN,
# FIOSETOWN), choose the signal (F_SETSIG), or start signalling the owner (O_ASYNC, FIOASYNC).
_VALUE_CHECKS_X86_64 = [
    (72, 1, (_F_SETOWN, _F_SETOWN_EX, _F_SETSIG)),  # fcntl(fd, cmd, arg)
    (16, 1, (_FIOSETOWN, _SIOCSPGRP, _FIOASYNC, _TIOCSPGRP)),  # ioctl(fd, request, arg)
]
_FCNTL = 72


def seccomp_supported() -> bool:
    """Whether this module has a syscall table for the running architecture."""
    return platform.machine() in ("x86_64", "AMD64") and platform.system() == "Linux"


def _ld_arg(index: int) -> tuple[int, int, int, int]:
    return (_BPF_LD_W_ABS, 0, 0, _ARG + 8 * index)  # low 32 bits: cmd/flags/prot are 32-bit in the kernel


def _arg_rules() -> list[tuple[int, int, int, int]]:
    prog: list[tuple[int, int, int, int]] = []
    for nr, arg, bits, code in _BIT_CHECKS_X86_64:
        prog += [(_BPF_JEQ_K, 0, 4, nr), _ld_arg(arg), (_BPF_JSET_K, 0, 1, bits),
                 (_BPF_RET_K, 0, 0, _errno(code)), (_BPF_RET_K, 0, 0, _RET_ALLOW)]
    for nr, arg, values in _VALUE_CHECKS_X86_64:
        extra = 4 if nr == _FCNTL else 0  # fcntl also checks F_SETFL's O_ASYNC below
        prog += [(_BPF_JEQ_K, 0, 2 + 2 * len(values) + extra, nr), _ld_arg(arg)]
        for v in values:
            prog += [(_BPF_JEQ_K, 0, 1, v), (_BPF_RET_K, 0, 0, _errno(errno.EPERM))]
        if nr == _FCNTL:
            prog += [(_BPF_JEQ_K, 0, 3, _F_SETFL), _ld_arg(2), (_BPF_JSET_K, 0, 1, _O_ASYNC),
                     (_BPF_RET_K, 0, 0, _errno(errno.EPERM))]
        prog.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    return prog


def filter_program() -> list[tuple[int, int, int, int]]:
    """The worker's classic-BPF program, as (code, jt, jf, k) rows."""
    prog = [
        (_BPF_LD_W_ABS, 0, 0, 4),  # A = arch
        (_BPF_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        (_BPF_RET_K, 0, 0, _RET_KILL),
        (_BPF_LD_W_ABS, 0, 0, 0),  # A = syscall number
        (_BPF_JGE_K, 0, 1, _X32_BIT),  # the x32 ABI reaches the same calls under other numbers
        (_BPF_RET_K, 0, 0, _errno(errno.EPERM)),
    ]
    for name, nr in DENY_X86_64.items():
        code = errno.ENOSYS if name in _ENOSYS else errno.EPERM
        prog += [(_BPF_JEQ_K, 0, 1, nr), (_BPF_RET_K, 0, 0, _errno(code))]
    for nr in _NEW_BUT_HARMLESS:
        prog += [(_BPF_JEQ_K, 0, 1, nr), (_BPF_RET_K, 0, 0, _RET_ALLOW)]
    prog += [(_BPF_JGE_K, 0, 1, _NEWEST_REVIEWED + 1), (_BPF_RET_K, 0, 0, _errno(errno.ENOSYS))]
    prog += _arg_rules()
    prog.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    return prog


def deny_program(numbers: dict[int, int]) -> list[tuple[int, int, int, int]]:
    """A program that refuses each syscall number with its errno and allows the rest (test harnesses)."""
    prog = [(_BPF_LD_W_ABS, 0, 0, 0)]
    for nr, code in numbers.items():
        prog += [(_BPF_JEQ_K, 0, 1, nr), (_BPF_RET_K, 0, 0, _errno(code))]
    return [*prog, (_BPF_RET_K, 0, 0, _RET_ALLOW)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@functools.lru_cache(maxsize=1)
def worker_filter() -> bytes:
    """The worker's filter, packed (cached: the fork server builds it once and workers inherit it)."""
    return _pack(filter_program())


def _pack(prog: list[tuple[int, int, int, int]]) -> bytes:
    return b"".join(struct.pack("HBBI", code, jt, jf, k) for code, jt, jf, k in prog)


def install(prog: list[tuple[int, int, int, int]] | None = None) -> bool:
    """Install ``prog`` (default: the worker's filter). Returns False where unsupported."""
    if not seccomp_supported():
        return False
    raw = worker_filter() if prog is None else _pack(prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(raw) // 8, ctypes.addressof(buf))
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if _libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True
