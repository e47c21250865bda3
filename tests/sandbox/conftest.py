import os

import pytest
from PIL import Image

from pyvision_envs.sandbox import Sandbox

SECRET = "canary-7f3a9c-not-for-agents"


@pytest.fixture
def image():
    img = Image.new("RGB", (120, 80), (10, 20, 30))
    img.putpixel((5, 5), (250, 0, 0))
    return img


@pytest.fixture
def sandbox(image):
    with Sandbox(images=[image], timeout_s=5) as sb:
        yield sb


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A secret file, a secret environment variable and a marker path that must never be created."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    os.chmod(tmp_path, 0o755)
    monkeypatch.setenv("PYVISION_CANARY", SECRET)
    return {"file": path, "marker": tmp_path / "marker.txt", "dir": tmp_path}


@pytest.fixture(scope="session")
def unprivileged_host():
    """A trainer process running as nobody (the user-namespace path); root is needed to start it."""
    if os.geteuid() != 0:
        pytest.skip("this process is already unprivileged: the in-process host covers the user-namespace path")
    from .hosts import UnprivilegedHost

    host = UnprivilegedHost(env={"PYVISION_CANARY": SECRET})
    yield host
    host.close()


@pytest.fixture(params=["in_process", "unprivileged"])
def host(request):
    """The trainer, in both modes: this process, and a process that dropped to uid 65534."""
    from .hosts import InProcessHost

    if request.param == "in_process":
        return InProcessHost()
    return request.getfixturevalue("unprivileged_host")


@pytest.fixture(scope="session")
def open_canary():
    """A secret file every user on the machine may read: only the sandbox's confinement keeps it from agents."""
    import tempfile

    d = tempfile.mkdtemp(prefix="pyvision-canary-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "answers.txt")
    with open(path, "w") as f:
        f.write(SECRET)
    os.chmod(path, 0o644)
    yield {"file": path, "marker": os.path.join(d, "marker.txt"), "dir": d}
