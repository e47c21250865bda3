"""The vLLM server component without vLLM: absent, closing, hanging and crashing servers give clear, bounded errors.

The servers here are real (loopback sockets, real subprocesses); vLLM itself is exercised by the ``vllm``-marked
tests (tests/agents/test_served_policy.py), which need ``make vllm``.
"""

from __future__ import annotations

import sys
import time

import pytest

from agents.vllm_server import ServerError, VLLMServer, free_port
from tests.misbehaving_server import MisbehavingServer


def test_absent_server_is_a_clear_error():
    server = VLLMServer(f"http://127.0.0.1:{free_port()}", timeout_s=5)
    with pytest.raises(ServerError, match=r"127\.0\.0\.1:\d+/v1/completions failed: .*is it running"):
        server.call("/v1/completions", {"prompt": [1]})


@pytest.mark.parametrize("mode", ["close", "hang"])
def test_server_that_closes_or_hangs_fails_within_the_timeout(mode):
    with MisbehavingServer(mode) as bad:
        server = VLLMServer(bad.url, timeout_s=1.0)
        t0 = time.monotonic()
        with pytest.raises(ServerError, match="/v1/completions failed"):
            server.call("/v1/completions", {"prompt": [1, 2, 3]})
        assert time.monotonic() - t0 < 30  # bounded by the 1 s timeout (generous for a loaded machine)
        with pytest.raises(ServerError, match="/pause"):
            server.reload_weights("/nonexistent")  # weight sync fails the same way, at its first call


def test_launch_without_the_venv_says_make_vllm(tmp_path):
    with pytest.raises(ServerError, match="make vllm"):
        VLLMServer.launch(tmp_path, python=str(tmp_path / "no-such-python"), log_file=tmp_path / "log")


def test_launch_of_a_server_that_exits_reports_status_and_log(tmp_path):
    # a "python" that dies at once, as vllm does with a broken install (the log's tail is in the message)
    fake = tmp_path / "python"
    fake.write_text(f"#!{sys.executable}\nimport sys\nprint('operator torchvision::nms does not exist')\n"
                    "sys.exit(3)\n")
    fake.chmod(0o755)
    log = tmp_path / "server.log"
    with pytest.raises(ServerError, match=r"(?s)exited with status 3 while starting.*torchvision::nms"):
        VLLMServer.launch(tmp_path, python=str(fake), log_file=log, startup_timeout_s=60)
    assert "vllm.entrypoints.openai.api_server" in log.read_text()  # the command line is logged too


def test_launch_that_never_gets_healthy_times_out_and_is_stopped(tmp_path):
    fake = tmp_path / "python"
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    fake.chmod(0o755)
    with pytest.raises(ServerError, match="not healthy after 2 s"):
        VLLMServer.launch(tmp_path, python=str(fake), log_file=tmp_path / "log", startup_timeout_s=2)
