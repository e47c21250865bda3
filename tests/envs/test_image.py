import json

import gymnasium as gym
import pytest
from PIL import Image

import pyvision_envs  # noqa: F401  (registers the ids)
from pyvision_envs.tasks import base as task_base
from pyvision_envs.tasks import get_family
from pyvision_envs.tasks.base import TaskFamily
from pyvision_envs.tasks.loaders import DatasetError
from pyvision_envs.types import EndReason, Task


def answer(text):
    return f"<answer>\n\\boxed{{{text}}}\n</answer>"


@pytest.fixture
def data_file(tmp_path):
    rows = []
    for i, blue in enumerate((200, 120, 40)):
        Image.new("RGB", (64, 48), (10, 20, blue)).save(tmp_path / f"im{i}.png")
        rows.append({"id": f"r{i}", "question": "What is the blue channel?", "answer": str(blue),
                     "ability": "perception", "data_source": "unit", "image_path": f"im{i}.png"})
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_image_task_env_index_replays_the_family_task():
    env = gym.make("PyVision/Spatial-Easy-v0")
    try:
        obs, info = env.reset(options={"index": 17})
        task = get_family("spatial", "easy").generate(17)
        assert info["task_id"] == task.id and info["question"] == task.question and obs.images == task.images
        assert info["family"] == "spatial" and info["task_public"] == dict(task.public)
        # seeds: the same seed, the same task; the next reset without a seed continues the stream
        first = env.reset(seed=3)[1]["task_id"]
        second = env.reset()[1]["task_id"]
        assert env.reset(seed=3)[1]["task_id"] == first and env.reset()[1]["task_id"] == second != first
    finally:
        env.close()


def test_image_task_env_python_only_variant():
    env = gym.make("PyVision/Chart-Easy-v0", image_in_context=False)
    try:
        obs, info = env.reset(seed=0)
        assert obs.images == () and info["visual_tokens"] == 0 and "not shown here" in obs.text
        obs, *_ = env.step("<code>\n```python\nprint(image_clue_0.mode)\n```\n</code>")
        assert "RGB" in obs.text
    finally:
        env.close()


def test_brief_prompt_plays_the_same_episode():
    """``prompt="brief"`` changes only the first message's wording: same task, same tools, same grading."""
    full, brief = (gym.make("PyVision/VisualSearch-Easy-v0", image_in_context=False, prompt=p) for p in ("full", "brief"))
    try:
        (obs_f, info_f), (obs_b, info_b) = full.reset(seed=4), brief.reset(seed=4)
        assert info_f["task_id"] == info_b["task_id"] and len(obs_b.text) < len(obs_f.text) / 2
        code = "<code>\n```python\nprint(image_clue_0.size)\n```\n</code>"
        seen = [env.step(code)[0].text for env in (full, brief)]
        assert seen[0] == seen[1] and "(1024, 768)" in seen[1]
        wins = []
        for letter in "ABCD":  # the same grading: one episode per option, equal rewards under both wordings
            rewards = [env.reset(seed=4) and env.step(f"<answer>\n\\boxed{{{letter}}}\n</answer>")[1]
                       for env in (full, brief)]
            assert rewards[0] == rewards[1]
            wins.append(rewards[0] > 0)
        assert sum(wins) == 1
    finally:
        full.close()
        brief.close()
    with pytest.raises(ValueError, match=r"prompt='short': use one of \('full', 'brief'\)"):
        gym.make("PyVision/VisualSearch-Easy-v0", prompt="short")


def test_image_task_env_refuses_a_video_family(monkeypatch):
    class _TinyVideo(TaskFamily):
        name = "unit_tiny_video"
        modality = "video"
        chance_accuracy = 0.5

        def generate(self, seed):
            return Task(id=str(seed), question="q", answer="a")

    # registered for this test only, so other tests never meet it
    monkeypatch.setitem(task_base._PLUGINS, _TinyVideo.name, _TinyVideo)
    with pytest.raises(ValueError, match="video family"):
        gym.make("PyVision/Counting-v0", family="unit_tiny_video")


def test_image_qa_walks_rows_and_grades_them(data_file):
    env = gym.make("PyVision/ImageQA-v0", data_path=str(data_file))
    try:
        for i, blue in enumerate((200, 120, 40)):
            obs, info = env.reset(options={"index": i})
            assert info["task_id"] == "r0 r1 r2".split()[i] and obs.images[0].getpixel((0, 0)) == (10, 20, blue)
            *_, info = env.step(answer(blue))
            assert info["correct"] is True and info["end_reason"] is EndReason.ANSWERED
        with pytest.raises(IndexError, match="has 3 rows"):
            env.reset(options={"index": 3})
        seen = {env.reset(seed=s)[1]["task_id"] for s in range(20)}
        assert seen == {"r0", "r1", "r2"}
    finally:
        env.close()


def test_image_qa_bad_data_is_reported(tmp_path, data_file):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "x", "question": "q", "answer": "1", "image_path": "missing.png"}) + "\n")
    with pytest.raises(DatasetError, match="broken.jsonl"):
        gym.make("PyVision/ImageQA-v0", data_path=str(broken))
    with pytest.raises(DatasetError, match="no such file"):
        gym.make("PyVision/ImageQA-v0", data_path=str(tmp_path / "nope.jsonl"))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(data_file.read_text() + broken.read_text())
    with pytest.warns(UserWarning, match="1"):
        env = gym.make("PyVision/ImageQA-v0", data_path=str(mixed), on_bad_row="skip")
    assert len(env.unwrapped.dataset) == 3
    env.close()


def test_image_qa_refuses_files_outside_its_folder_and_bombs_at_reset(tmp_path, data_file):
    from tests.tasks.test_loaders import huge_png

    Image.new("RGB", (8, 8)).save(tmp_path.parent / f"{tmp_path.name}-secret.png")
    escape = tmp_path / "escape.jsonl"
    escape.write_text(json.dumps({"question": "q", "answer": "1", "image_path": f"../{tmp_path.name}-secret.png"}))
    with pytest.raises(DatasetError, match=r"escape\.jsonl, line 1: field 'image_path': .*outside the data root"):
        gym.make("PyVision/ImageQA-v0", data_path=str(escape))
    env = gym.make("PyVision/ImageQA-v0", data_path=str(escape), allow_outside_root=True)
    assert env.reset(seed=0)[0].images[0].size == (8, 8)
    env.close()
    huge_png(tmp_path / "huge.png")
    bomb = tmp_path / "bomb.jsonl"
    bomb.write_text(json.dumps({"id": "b", "question": "q", "answer": "1", "image_path": "huge.png"}))
    env = gym.make("PyVision/ImageQA-v0", data_path=str(bomb))
    with pytest.raises(DatasetError, match=r"bomb\.jsonl, line 1: field 'image_path': \S*huge\.png is too large"):
        env.reset(seed=0)
    env.close()
