"""examples/ablation.py: its YAML through the settings machinery, the grid it builds, and a minimal real grid."""

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "ablation.py"


def read_csv(path):
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def load_module():
    spec = importlib.util.spec_from_file_location("ablation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ablation"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_header_gives_the_exact_commands():
    doc = load_module().__doc__
    assert ".venv/bin/python examples/ablation.py" in doc and "--quick" in doc and "--preset smollm2-135m" in doc


def test_grid_of_variants_and_seeds_from_one_sft_start(tmp_path):
    ab = load_module()
    abl = ab.load_ablation(ab.DEFAULT_CONFIG, ["seeds=2", "grpo.monitor.window=4"])
    sft, runs = ab.build_configs(abl, tmp_path)
    assert len(runs) == 2 * 3 * 2 and sft.model == "tiny" and sft.seed == abl.seed
    assert {cfg.model for cfg in runs.values()} == {str(tmp_path / "sft" / "final")}  # one SFT start
    on, off = runs["tool-on/ofr", 1], runs["tool-off/none", 0]
    assert on.batch.train_on_tool_reward and on.batch.mode == "ofr" and on.seed == 1
    assert not off.batch.train_on_tool_reward and off.batch.mode == "none" and off.seed == 0
    assert on.monitor.window == 4 and on.env_kwargs["tool_failure_rate"] == 0.2
    assert len({cfg.output_dir for cfg in runs.values()}) == len(runs)
    quick = ab.load_ablation(ab.DEFAULT_CONFIG, [], quick=True)
    assert quick.variants() == [("tool-on/ofr", True, "ofr"), ("tool-off/ofr", False, "ofr")] and quick.seeds == 1


def test_bad_grid_settings_are_errors_that_say_what_to_change():
    ab = load_module()
    with pytest.raises(ab.ConfigError, match="Ablation.modes='ofr,rank': must list some of ofr, filter, none"):
        ab.load_ablation(ab.DEFAULT_CONFIG, ["modes=ofr,rank"])
    with pytest.raises(ab.ConfigError, match="Ablation.tool_reward='maybe'"):
        ab.load_ablation(ab.DEFAULT_CONFIG, ["tool_reward=maybe"])
    with pytest.raises(ab.ConfigError, match="Ablation.jobs=0"):
        ab.load_ablation(ab.DEFAULT_CONFIG, ["jobs=0"])
    with pytest.raises(ab.ConfigError, match="Did you mean 'seeds'"):
        ab.load_ablation(ab.DEFAULT_CONFIG, ["sedes=2"])
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", "x", "grpo.monitor.drop=2"], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and "MonitorSettings.drop=2.0" in run.stderr


@pytest.mark.slow
def test_quick_grid_runs_end_to_end(tmp_path):
    out = tmp_path / "abl"
    # jobs=2: the two runs train in two spawned processes at once
    run = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out), "jobs=2"], capture_output=True,
                         text=True, timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[tool-on/ofr seed 0] end accuracy" in run.stdout and "[tool-off/ofr seed 0] end accuracy" in run.stdout
    rows = read_csv(out / "ablation.csv")
    assert [(r["variant"], r["phase"]) for r in rows] == [(v, p) for v in ("tool-on/ofr", "tool-off/ofr")
                                                          for p in ("start", "mid", "end")]
    assert all(int(r["episodes"]) == 4 and 0 <= float(r["ci_low"]) <= float(r["ci_high"]) <= 1 for r in rows)
    assert "| tool-on/ofr | end |" in (out / "ablation.md").read_text() and (out / "curves.png").stat().st_size
    for name in ("tool-on_ofr", "tool-off_ofr"):
        run_dir = out / "runs" / name / "seed0"
        first = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
        assert "tools/calls_per_episode" in first and (run_dir / "plots" / "tool_use.png").exists()
    # --resume (serially) reuses the SFT start and the finished runs: nothing trains again, the table is the same
    again = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--resume", "--out", str(out)],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert again.returncode == 0 and "seed 0 end" not in again.stderr and "record" not in again.stderr, again.stderr[-2000:]
    assert read_csv(out / "ablation.csv") == rows
    changed = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--resume", "--out", str(out), "grpo.lr=1e-3"],
                             capture_output=True, text=True, timeout=300, cwd=tmp_path,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert changed.returncode == 2 and "written with other settings for tool-on/ofr seed 0" in changed.stderr


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _alive(pid):
    try:  # a zombie nobody reaps (no init in a container) has stopped running: it counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.slow
def test_killed_grid_takes_its_parallel_runs_with_it(tmp_path):
    """jobs=2 runs live in pool processes, which would otherwise train on after their grid was killed."""
    import signal
    import time

    grid = subprocess.Popen([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path / "abl"), "jobs=2",
                             "grpo.steps=200"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline, workers = time.monotonic() + 300, []
        while len(workers) < 2 and time.monotonic() < deadline and grid.poll() is None:
            time.sleep(0.5)
            workers = [c for c in _children(grid.pid)
                       if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
        assert len(workers) == 2, f"the grid (exit {grid.poll()}) never started its two run processes"
        time.sleep(3)  # the runs are training now
        os.kill(grid.pid, signal.SIGKILL)
        grid.wait()
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "run processes outlived their killed grid"
    finally:
        grid.kill()
