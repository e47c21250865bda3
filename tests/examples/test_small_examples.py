"""Smoke tests of the other examples, run as users run them: a real subprocess with a tiny budget."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name, *args, cwd, timeout=600):
    return subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_sb3_baseline_trains_and_prints_the_held_out_table(tmp_path):
    run = run_example("sb3_baseline.py", "--steps", "128", "--episodes", "3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "PPO: 128 steps" in run.stdout and "held-out: 3 episodes of PyVision/Maze-Easy-v0" in run.stdout
    rows = dict(re.findall(r"^\| (PPO|random menu|scripted menu) \| ([0-9.]+) \+-", run.stdout, re.MULTILINE))
    assert set(rows) == {"PPO", "random menu", "scripted menu"}
    assert float(rows["scripted menu"]) == 1.0  # the expert's program, then what it printed: right every time


@pytest.mark.slow
def test_gpu_smoke_cpu_path_runs_a_grpo_step(tmp_path):
    run = run_example("gpu_smoke.py", "--cpu", "--preset", "tiny", "--steps", "1", "--prompts", "2", "--group", "2",
                      "--max-new", "16", "--max-turns", "2", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "CPU, float32; tiny" in run.stdout
    assert re.search(r"^step 1: rollout [0-9.]+ s, update [0-9.]+ s, sampled \d+ tok", run.stdout, re.MULTILINE)
    assert re.search(r"^total: 1 steps in .* peak memory [0-9.]+ GiB \(peak resident set size\)$", run.stdout,
                     re.MULTILINE)


def test_gpu_smoke_without_cuda_says_what_to_do(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "gpu_smoke.py")], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 2 and "CUDA is not available" in run.stderr and "--cpu" in run.stderr
