"""Every video test writes its generated videos into one temporary cache, never the user's."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def video_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("video-cache")
        mp.setenv("PYVISION_RL_CACHE", str(path))
        yield path
