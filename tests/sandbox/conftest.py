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
