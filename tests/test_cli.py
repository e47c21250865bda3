import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyvision_envs import eval as eval_module
from trainers import cli

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("pyvision-rl")


def run(*args, timeout=240):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "trainers.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def test_doctests():
    assert doctest.testmod(cli).failed == 0
    assert doctest.testmod(eval_module).failed == 0


def test_list_shows_ids_needs_and_agents():
    out = run("list")
    assert out.returncode == 0, out.stderr
    assert "PyVision/Counting-v0" in out.stdout and "PyVision/Maze-Hard-v0" in out.stdout
    assert "[needs data_path]" in out.stdout and "expert" in out.stdout and "guesser" in out.stdout
    data = json.loads(run("list", "--json").stdout)
    assert "PyVision/ImageQA-v0" in [e["id"] for e in data["envs"]] and {"expert", "guesser"} <= set(data["agents"])


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed (pip install -e .)")
def test_console_script():
    out = subprocess.run([str(SCRIPT), "list"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and "PyVision/Spatial-v0" in out.stdout


def test_eval_json_expert_and_guesser():
    out = run("eval", "--env", "PyVision/Counting-Easy-v0", "--agent", "expert", "--episodes", "3", "--seed", "4",
              "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)  # stdout is exactly one JSON object; progress goes to stderr
    assert summary["env_id"] == "PyVision/Counting-Easy-v0" and summary["episodes"] == 3 and summary["seed"] == 4
    assert summary["accuracy"] == 1.0 and summary["mean_tool_calls"] >= 1 and summary["mean_turns"] >= 2
    assert summary["mean_reward"] == pytest.approx(1.0 + 0.1 * summary["mean_tool_calls"])
    assert summary["end_reasons"] == {"answered": 3} and summary["seconds_per_episode"] > 0
    guess = json.loads(run("eval", "--env", "PyVision/Counting-Easy-v0", "--agent", "guesser", "--episodes", "3",
                           "--json", "--no-progress").stdout)
    assert guess["mean_tool_calls"] == 0 and guess["mean_turns"] == 1


def test_eval_table_and_transcripts(tmp_path):
    out = run("eval", "--env", "PyVision/Maze-Easy-v0", "--agent", "expert", "--episodes", "2", "--out",
              str(tmp_path), "--env-kw", "max_turns=4", "image_in_context=true")
    assert out.returncode == 0, out.stderr
    for label in ("accuracy", "mean turns", "tool calls / episode", "tool errors / episode",
                  "visual tokens / episode", "seconds / episode"):
        assert label in out.stdout
    assert "episodes" in out.stderr  # the progress bar
    md = (tmp_path / "episode_0001" / "transcript.md").read_text()
    assert "## assistant (turn 1)" in md and "](image_000.png)" in md and "<interpreter>" in md
    assert (tmp_path / "episode_0001" / "image_000.png").stat().st_size > 0
    assert len((tmp_path / "episodes.jsonl").read_text().splitlines()) == 2
    assert json.loads((tmp_path / "summary.json").read_text())["episodes"] == 2
    assert "episode_0000/transcript.md" in (tmp_path / "index.md").read_text()


@pytest.mark.parametrize("args, message", [
    (("eval", "--env", "PyVision/Countng-v0", "--agent", "expert"), "Counting"),
    (("eval", "--env", "PyVision/Counting-v0", "--agent", "expret"), "Did you mean 'expert'"),
    (("eval", "--env", "PyVision/Counting-v0", "--agent", "expert", "--env-kw", "max_turn=3"), "max_turns"),
    (("eval", "--env", "PyVision/Counting-v0", "--agent", "expert", "--env-kw", "oops"), "key=value"),
    (("eval", "--env", "PyVision/Counting-v0", "--agent", "expert", "--episodes", "0"), "at least 1"),
    (("eval", "--env", "PyVision/ImageQA-v0", "--agent", "expert"), "data_path"),
    (("fly",), "invalid choice"),
])
def test_errors_are_actionable(args, message):
    out = run(*args)
    assert out.returncode != 0 and message in out.stderr, out.stderr


def test_eval_walks_dataset_rows_in_order(tmp_path):
    from PIL import Image

    rows = []
    for i in range(3):
        Image.new("RGB", (40, 30), (i, 0, 0)).save(tmp_path / f"{i}.png")
        rows.append({"id": f"row{i}", "question": "Red channel?", "answer": str(i), "image_path": f"{i}.png"})
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run("eval", "--env", "PyVision/ImageQA-v0", "--agent", "guesser", "--episodes", "4", "--json",
              "--out", str(tmp_path / "run"), "--env-kw", f"data_path={tmp_path / 'd.jsonl'}")
    assert out.returncode == 0, out.stderr
    episodes = [json.loads(line) for line in (tmp_path / "run" / "episodes.jsonl").read_text().splitlines()]
    assert [e["task_id"] for e in episodes] == ["row0", "row1", "row2", "row0"]
    assert [e["expected"] for e in episodes] == ["0", "1", "2", "0"]


def test_missing_command_module_is_reported():
    code = ("import sys; from trainers import cli; "
            "cli.COMMANDS['ghost'] = cli.Command('no_such_module_xyz:main', 'x'); sys.exit(cli.main(['ghost']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 1 and "no_such_module_xyz" in out.stderr and "pip install" in out.stderr


def hello_main(argv):
    print("hello", *argv)
    return 3


def test_extra_commands_hook_loads_lazily():
    code = ("import sys; from trainers import cli; "
            "cli.COMMANDS['hello'] = cli.Command('tests.test_cli:hello_main', 'say hello'); "
            "assert 'tests.test_cli' not in sys.modules; "
            "sys.exit(cli.main(['hello', 'a', 'b']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 3 and out.stdout.strip() == "hello a b", out.stderr
    helptext = subprocess.run(
        [sys.executable, "-c", "from trainers import cli; cli.COMMANDS['hello'] = cli.Command('x:y', 'say hi'); "
                               "cli.main(['--help'])"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "hello (say hi)" in helptext.stdout
