import pytest
import torch

from tests.trainers.grpo_fixtures import protocol_policy


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """torch on one thread: on a shared 2-core machine, two threads made generation about 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def player():
    """The tiny preset fitted to play the protocol (answers, code turns, malformed turns)."""
    return protocol_policy("tiny")
