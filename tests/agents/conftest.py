import pytest


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """torch on one thread: two on a shared 2-core machine thrash (10x slower); one is fastest for tiny models."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
