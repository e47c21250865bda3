"""Defence in depth: plain, unrestricted Python inside the worker must still be confined by the OS layers.

The restricted compiler is bypassed (``restricted=False``) and every test runs twice: with this process as
the trainer (root here), and with a trainer that dropped to uid 65534 (the user-namespace path). Files, the
network, processes, signals, scheduling, IPC, other episodes, memory and limits stay out of reach.
"""

import os
import socket
import threading

import pytest

from pyvision_envs.sandbox.isolation import jail_base
from pyvision_envs.sandbox.seccomp import seccomp_supported

from .conftest import SECRET

needs_seccomp = pytest.mark.skipif(not seccomp_supported(), reason="seccomp filter is x86_64 Linux only")

# Calls a syscall by number through libc and prints name=errno (0 when it succeeded).
SYSCALLS = """
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return 0 if ret != -1 else ctypes.get_errno()
"""


def raw(host, code, **kw):
    """Run ``code`` as plain Python in a worker of ``host``; the episode must still answer afterwards."""
    results = host.call("run_codes", [code], {"restricted": False, "timeout_s": kw.pop("timeout_s", 5), **kw})
    assert results[-1]["stdout"] == "alive\n", results
    return results[0]


def errnos(host, calls: dict) -> dict:
    body = "".join(f"out[{name!r}] = call({args})\n" for name, args in calls.items())
    r = raw(host, SYSCALLS + "out = {}\n" + body + "print(json.dumps(out))")
    assert r["error"] is None, r["error"]
    import json

    return json.loads(r["stdout"])


def test_worker_is_nobody_without_capabilities_in_a_pid_namespace_of_its_own(host):
    r = raw(host, "import os\nprint(os.getuid(), os.getgid(), os.getpid(), os.getppid())")
    assert r["stdout"] == "65534 65534 1 0\n"
    assert r["info"]["capabilities"] == 0 and r["info"]["seccomp"] is True
    assert r["mode"] == host.name


def test_host_files_are_invisible(host, open_canary):
    assert host.call("read", open_canary["file"]) == SECRET  # the trainer can read it; the worker must not
    r = raw(host, f"print(open({open_canary['file']!r}).read())")
    assert "FileNotFoundError" in r["error"]
    r = raw(host, "import os\nprint(sorted(os.listdir('/')))\nprint(os.listdir('/proc'))")
    assert "etc" not in r["stdout"] and "FileNotFoundError" in r["error"]


@needs_seccomp
def test_no_file_writes(host, open_canary):
    r = raw(host, f"open({open_canary['marker']!r}, 'w').write('x')")
    assert r["error"] is not None and not os.path.exists(open_canary["marker"])
    r = raw(host, "open('/x', 'w')")
    assert r["error"] is not None


def test_host_environment_is_not_inherited(host):
    r = raw(host, "import os\nprint(dict(os.environ))")
    assert SECRET not in r["stdout"] and "PYVISION_CANARY" not in r["stdout"]


@needs_seccomp
def test_no_new_processes_threads_or_programs(host, open_canary):
    r = raw(host, "import os\nos.fork()")
    assert "PermissionError" in r["error"] or "BlockingIOError" in r["error"]
    r = raw(host, "import threading\nthreading.Thread(target=print).start()")
    assert "can't start new thread" in r["error"] or "RuntimeError" in r["error"]
    raw(host, f"import ctypes\nctypes.CDLL(None).system(b'touch {open_canary['marker']}')")
    raw(host, f"import subprocess\nsubprocess.run(['touch', {open_canary['marker']!r}])")
    assert not os.path.exists(open_canary["marker"])


@needs_seccomp
def test_cannot_signal_or_probe_the_trainer(host):
    pid = host.call("pid")
    r = raw(host, f"import os, signal\nos.kill({pid}, signal.SIGKILL)")
    assert "PermissionError" in r["error"]
    # Probes that tell whether a pid exists: in the worker's own PID namespace the trainer does not.
    probes = {"getpriority": f"140, 0, {pid}", "sched_getparam": f"143, {pid}, ctypes.create_string_buffer(8)",
              "getpgid": f"121, {pid}", "getsid": f"124, {pid}", "kill0": f"62, {pid}, 0"}
    out = errnos(host, probes)
    assert out.pop("kill0") == 1  # EPERM from seccomp, whether or not the pid exists
    assert set(out.values()) == {3}, out  # ESRCH: no such process in the worker's namespace
    assert host.call("pid") == pid


@needs_seccomp
def test_fcntl_and_ioctl_cannot_make_the_kernel_signal_another_process(host):
    pid = host.call("pid")
    code = (
        "import os, fcntl, signal\nr, w = os.pipe()\nout = []\n"
        f"for args in [(fcntl.F_SETOWN, {pid}), (15, 0), (10, int(signal.SIGKILL)),"
        " (fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)]:\n"
        "    try:\n        fcntl.fcntl(w, *args)\n        out.append('ok')\n"
        "    except PermissionError:\n        out.append('EPERM')\n"
        "for req in (0x8901, 0x8902, 0x5452):\n"
        "    try:\n        fcntl.ioctl(w, req, b'\\0' * 8)\n        out.append('ok')\n"
        "    except PermissionError:\n        out.append('EPERM')\n"
        "fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)\nos.write(w, b'x')\nprint(out)"
    )
    r = raw(host, code)
    assert r["stdout"] == str(["EPERM"] * 7) + "\n", r
    assert host.call("pid") == pid


@needs_seccomp
def test_scheduling_ipc_and_process_handles_are_refused(host):
    calls = {
        "setpriority": "141, 0, 0, 19", "sched_setaffinity": "203, 0, 8, ctypes.create_string_buffer(8)",
        "sched_setscheduler": "144, 0, 5, ctypes.create_string_buffer(8)",
        "sched_setparam": "142, 0, ctypes.create_string_buffer(8)", "sched_setattr": "314, 0, 0, 0",
        "ioprio_set": "251, 1, 0, 0", "mq_open": "240, b'q', 0o102, 0o600, 0", "mq_unlink": "241, b'q'",
        "shmget": "29, 0, 4096, 0o1600", "semget": "64, 0, 1, 0o1600", "msgget": "68, 0, 0o1600",
        "kcmp": "312, 1, 1, 0, 0, 0", "migrate_pages": "256, 0, 8, 0, 0", "move_pages": "279, 0, 0, 0, 0, 0, 0",
        "process_madvise": "440, 0, 0, 0, 0, 0", "pidfd_open": "434, 1, 0", "pidfd_send_signal": "424, 0, 9, 0, 0",
        "unshare": "272, 0x40000000", "mount": "165, b'none', b'/', 0, 0, 0", "chroot": "161, b'/'",
        "listmount": "458, 0, 0, 0, 0", "statmount": "457, 0, 0, 0, 0", "ptrace": "101, 16, 1, 0, 0",
        "capset": "126, 0, 0", "setuid": "105, 0",
    }
    out = errnos(host, calls)
    assert out == dict.fromkeys(calls, 1), {k: v for k, v in out.items() if v != 1}
    assert errnos(host, {"newest": "470"}) == {"newest": 38}  # ENOSYS: calls newer than the review


@needs_seccomp
def test_no_sockets_and_no_connection_to_the_host(host):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(1.0)
    port = server.getsockname()[1]
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(_try_accept(server)))
    t.start()
    r = raw(host, f"import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {port}))")
    t.join()
    server.close()
    assert "PermissionError" in r["error"] and accepted == [None]


def _try_accept(server):
    try:
        return server.accept()
    except OSError:
        return None


@needs_seccomp
def test_limits_cannot_be_raised_and_no_executable_memory(host):
    r = raw(host, "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))")
    assert r["error"] is not None
    r = raw(host, "import mmap\nmmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)")
    assert "PermissionError" in r["error"]


def test_memory_cap_holds_without_the_compiler(host):
    r = raw(host, "x = bytearray(3 * 1024 ** 3)", memory_mb=1024)
    assert "MemoryError" in r["error"]


def test_cpu_time_cap_kills_a_worker_the_host_stopped_watching(host):
    r = raw(host, "while True:\n    pass", timeout_s=30, cpu_s=1)
    assert "SandboxCrash" in r["error"] and not r["timed_out"]


def test_module_poisoning_does_not_reach_the_next_episode(host):
    raw(host, "import numpy\nnumpy.pi = 3\nimport PIL.Image\nPIL.Image.new = None")
    r = raw(host, "import numpy, PIL.Image\nprint(numpy.pi, PIL.Image.new is None)")
    assert r["stdout"] == "3.141592653589793 False\n"


TWO_EPISODE_ATTACK = """
import ctypes, fcntl, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
hits = []
targets = [A_PID, HOST_PID] + list(range(1, 64))
for pid in targets:
    for name, fn in [("kill", lambda: os.kill(pid, signal.SIGKILL)), ("probe", lambda: os.kill(pid, 0)),
                     ("renice", lambda: os.setpriority(os.PRIO_PROCESS, pid, 19)),
                     ("affinity", lambda: os.sched_setaffinity(pid, {0}))]:
        try:
            fn()
            hits.append((name, pid))
        except OSError:
            pass
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETOWN, pid)
        fcntl.fcntl(w, 10, int(signal.SIGKILL))
        fcntl.fcntl(w, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)
        os.write(w, b'x')
        hits.append(("setown", pid))
    except OSError:
        pass
    os.close(r)
    os.close(w)
for nr, args in [(240, (b"q", 0o102, 0o600, 0)), (29, (0, 4096, 0o1600)), (68, (0, 0o1600))]:
    if libc.syscall(nr, *args) != -1:
        hits.append(("ipc", nr))
try:
    hits.append(("proc", os.listdir("/proc")))
except OSError:
    pass
print(hits)
"""


@needs_seccomp
def test_one_episode_cannot_touch_another_or_the_trainer(host):
    out = host.call("two_sandboxes", TWO_EPISODE_ATTACK)
    assert out["b"]["stdout"] == "[]\n", out["b"]
    assert out["a"]["stdout"] == "42\n" and not out["a"]["state_lost"]
    assert out["priority"][0] == out["priority"][1]
    assert len(out["a_affinity"]) == os.cpu_count() or len(out["a_affinity"]) > 1
    assert host.call("pid")


def test_where_user_namespaces_are_refused_the_sandbox_refuses_to_start():
    if os.geteuid() != 0:
        pytest.skip("needs root to start a trainer that the kernel refuses user namespaces")
    from .hosts import UnprivilegedHost

    host = UnprivilegedHost(deny_userns=True)
    try:
        out = host.call("refusal")
    finally:
        host.close()
    assert 'isolation="weak"' in out["strict_error"] and "PYVISION_SANDBOX_ISOLATION" in out["strict_error"]
    assert [r["mode"] for r in out["weak"]] == ["none", "none"]
    assert [r["stdout"] for r in out["weak"]] == ["65534\n", "65534\n"]
    assert len(out["warnings"]) == 2 and all("WEAK" in w for w in out["warnings"])


def test_jail_tmpfs_never_hides_the_directories_it_binds(tmp_path):
    for src in ("/tmp/checkout/.venv/lib/mpl-data", "/mnt/x/mpl-data", "/srv/a", str(tmp_path)):
        base = jail_base([src])
        assert base is not None
        assert not (src == base or src.startswith(base + "/")), (src, base)


def test_worker_holds_no_descriptor_but_its_channel(host):
    code = ("import os\nopen_fds = []\nfor fd in range(1 << 17):\n    try:\n        os.fstat(fd)\n"
            "        open_fds.append(fd)\n    except OSError:\n        pass\nprint(len(open_fds), open_fds[:3])")
    r = raw(host, code)
    assert r["stdout"] == "4 [0, 1, 2]\n", r  # stdin/stdout/stderr on /dev/null, and the channel


def test_worker_does_not_learn_the_machine_name(host):
    r = raw(host, "import os\nprint(os.uname().nodename)")
    assert r["stdout"] == "sandbox\n"
