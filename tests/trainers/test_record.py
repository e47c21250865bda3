import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from PIL import Image

import pyvision_envs  # noqa: F401
from trainers.record import RecordFormatError, read_records, record_episodes

ROOT = Path(__file__).resolve().parents[2]
ENV = "PyVision/VisualSearch-Easy-v0"


def cli(*args, timeout=240):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "trainers.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "vs.jsonl"
    summary = record_episodes(ENV, out, agent="expert", episodes=2, seed=5, progress=False)
    return out, summary


def test_record_writes_chat_jsonl_with_png_images(recorded):
    out, summary = recorded
    assert summary.episodes == 2 and summary.kept == 2 and summary.successes == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    env = gym.make(ENV)
    for k, row in enumerate(rows):
        prompt, _ = env.reset(seed=5 + k)
        with Image.open(out.parent / row["messages"][0]["images"][0]) as saved:  # PNG is lossless: same pixels
            assert saved.convert("RGB").tobytes() == prompt.images[0].tobytes()
        msgs = row["messages"]
        assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
        assert msgs[0]["content"] == prompt.text  # the first user message is the env's prompt, verbatim
        assert row["seed"] == 5 + k and row["env_id"] == ENV and row["agent"] == "expert"
        assert row["correct"] is True and row["end_reason"] == "answered" and row["tool_calls"] == 1
        assert row["reward_terms"] == {"accuracy": 1.0, "tool": pytest.approx(0.1), "format": 0.0}
        assert row["reward"] == pytest.approx(1.1) and row["answer"] == row["expected"]
        # The prompt shows the input image and the tool's figure comes back: both saved as PNG, relative paths.
        for m in (msgs[0], msgs[2]):
            assert len(m["images"]) == 1 and not Path(m["images"][0]).is_absolute()
            with Image.open(out.parent / m["images"][0]) as im:
                assert im.format == "PNG"
        assert "images" not in msgs[1]
    env.close()


def test_read_records_loads_images_back(recorded):
    out, _ = recorded
    convs = read_records(out)
    assert len(convs) == 2 and convs[0].source == f"{out}:1"
    msg = convs[0].messages[0]
    assert isinstance(msg["images"][0], Image.Image) and msg["images"][0].size == (1024, 768)


def test_keep_all_keeps_failures_and_default_drops_them(tmp_path):
    everything = record_episodes(ENV, tmp_path / "all.jsonl", agent="guesser", episodes=12, seed=0, keep_all=True,
                                 progress=False)
    kept = record_episodes(ENV, tmp_path / "ok.jsonl", agent="guesser", episodes=12, seed=0, progress=False)
    assert everything.kept == 12 and 0 < everything.successes < 12  # a blind guesser fails some
    assert kept.kept == kept.successes == everything.successes
    rows = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert sum(not r["correct"] for r in rows) == 12 - everything.successes
    assert all(r["tool_calls"] == 0 and r["end_reason"] == "answered" for r in rows)


def test_cli_record_text_only_variant(tmp_path):
    out = tmp_path / "c.jsonl"
    run = cli("record", "--env", "PyVision/Counting-Easy-v0", "--agent", "expert", "--episodes", "2", "--seed", "3",
              "--out", str(out), "--env-kw", "image_in_context=false", "--no-progress")
    assert run.returncode == 0, run.stderr
    assert "wrote 2 of 2 episodes" in run.stdout
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["seed"] for r in rows] == [3, 4]
    assert all(m.get("images", []) == [] for r in rows for m in r["messages"])  # nothing shown in context
    assert "not shown here" in rows[0]["messages"][0]["content"]


def test_cli_record_bad_env_id_is_a_clear_error(tmp_path):
    run = cli("record", "--env", "PyVision/Countin-v0", "--episodes", "1", "--out", str(tmp_path / "x.jsonl"))
    assert run.returncode == 2 and "Countin" in run.stderr


def test_list_stays_torch_free():
    code = ("import sys; from trainers import cli; cli.main(['list']); "
            "assert 'torch' not in sys.modules and 'trainers.record' not in sys.modules, 'list imported torch'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr


def _write(tmp_path, rows):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


GOOD = {"messages": [{"role": "user", "content": "q", "images": []}, {"role": "assistant", "content": "a"}]}


@pytest.mark.parametrize("bad, field", [
    ({"id": "x"}, "'messages'"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant"}]}, "'messages[1].content'"),
    ({"messages": [{"role": "bot", "content": "q"}]}, "'messages[0].role'"),
    ({"messages": [{"role": "user", "content": "q", "images": ["missing.png"]},
                   {"role": "assistant", "content": "a"}]}, "'messages[0].images[0]'"),
    ({"messages": [{"role": "assistant", "content": "a"}]}, "'messages[0].role'"),
    ({"messages": [{"role": "user", "content": "q"}]}, "'messages'"),
])
def test_bad_records_name_file_line_and_field(tmp_path, bad, field):
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(RecordFormatError) as err:
        read_records(path)
    assert f"{path}:2" in str(err.value) and field in str(err.value)


def test_broken_json_and_empty_file(tmp_path):
    path = _write(tmp_path, [GOOD, "", "{not json"])
    with pytest.raises(RecordFormatError, match=r"bad\.jsonl:3: not valid JSON"):
        read_records(path)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(RecordFormatError, match="no records"):
        read_records(tmp_path / "empty.jsonl")
    with pytest.raises(FileNotFoundError, match="pyvision-rl record"):
        read_records(tmp_path / "nope.jsonl")


def test_unreadable_image_file_is_named(tmp_path):
    (tmp_path / "img.png").write_bytes(b"not a png")
    row = {"messages": [{"role": "user", "content": "q", "images": ["img.png"]},
                        {"role": "assistant", "content": "a"}]}
    with pytest.raises(RecordFormatError, match=r"bad\.jsonl:1: field 'messages\[0\]\.images\[0\]'.*img\.png"):
        read_records(_write(tmp_path, [row]))
