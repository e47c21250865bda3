import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pyvision_envs.media import open_video
from pyvision_envs.rewards import grade
from pyvision_envs.tasks.base import DIFFICULTIES, family_names, get_family
from pyvision_envs.tasks.video import cache_dir
from pyvision_envs.tasks.video.counting import flash_schedule
from pyvision_envs.tasks.video.spatial import LEVELS as SPATIAL_LEVELS
from pyvision_envs.tasks.video.spatial import Thing, quadrant, sample_layout

FAMILIES = ["video_counting", "video_motion", "video_order", "video_spatial", "video_timing"]
REPO = Path(__file__).resolve().parents[2]


def test_families_are_registered_as_video():
    assert set(FAMILIES) <= set(family_names())
    assert all(get_family(f).modality == "video" for f in FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_task_shape(family, difficulty, video_cache):
    fam = get_family(family, difficulty)
    task = fam.generate(4)
    assert task.id == f"{family}-{difficulty}-4" and task.family == family and task.images == ()
    assert Path(task.video.path).parent == video_cache / "videos"
    assert grade(task, task.answer) == 1.0  # the answer passes its own grader
    assert task.answer not in {str(v) for v in task.public.values()} or task.public.get("choices")
    assert 0 < fam.chance_accuracy < 0.5
    with open_video(task.video.path) as v:
        assert 160 <= v.width <= 320 and 120 <= v.height <= 240
        assert 8 <= v.fps <= 15 and 5 <= v.duration_s <= 20
        assert v.num_frames == task.meta["frames"] and v.fps == task.meta["fps"]
    if task.grader == "choice":
        assert task.public["choices"] == list(task.grader_args["choices"])


@pytest.mark.parametrize("family", FAMILIES)
def test_answers_vary_with_the_seed(family):
    fam = get_family(family, "easy")
    answers = {fam.generate(s).answer for s in range(12)}
    assert len(answers) >= 3


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_deterministic_across_processes_and_cached(video_cache):
    fam = get_family("video_order", "medium")
    task = fam.generate(11)
    first = _digest(task.video.path)
    mtime = Path(task.video.path).stat().st_mtime_ns
    assert fam.generate(11) == task and Path(task.video.path).stat().st_mtime_ns == mtime  # served from cache
    Path(task.video.path).unlink()
    code = ("import pyvision_envs.tasks.video; from pyvision_envs.tasks import get_family; "
            "print(get_family('video_order', 'medium').generate(11).video.path)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYVISION_RL_CACHE": str(video_cache), "PATH": ""})
    assert out.stdout.strip() == task.video.path
    assert _digest(task.video.path) == first  # same bytes from a fresh process
    assert not [p for p in cache_dir().iterdir() if p.name.startswith(".tmp")]


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("PYVISION_RL_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "pyvision-rl" / "videos"


def test_timing_answer_is_the_first_frame_showing_the_target():
    task = get_family("video_timing", "medium").generate(2)
    onset, color = task.meta["onset_frame"], np.array(task.public["target_color"])
    with open_video(task.video.path, "pyav") as v:
        before, at = v.get_batch([onset - 1, onset]).astype(int)
    assert (np.abs(before - color).sum(-1) < 60).sum() == 0
    assert (np.abs(at - color).sum(-1) < 60).sum() > 50
    assert float(task.answer) == pytest.approx(onset / v.fps, abs=0.01)


@pytest.mark.parametrize("count", [1, 4, 8])
def test_flash_schedule_respects_the_stated_minimums(count):
    rng = np.random.default_rng(count)
    for _ in range(50):
        flashes = flash_schedule(rng, 200, count, 10)
        assert len(flashes) == count and flashes[0].start >= 0 and flashes[-1].stop <= 200
        assert all(len(r) >= 10 for r in flashes)
        assert all(b.start - a.stop >= 10 for a, b in zip(flashes, flashes[1:]))
    with pytest.raises(ValueError, match="do not fit"):
        flash_schedule(rng, 50, 4, 10)


def test_quadrant_convention():
    at, facing = Thing("red", "circle", 100, 100, 20), Thing("blue", "square", 200, 100, 20)  # facing right
    assert quadrant(at, facing, Thing("g", "circle", 150, 140, 20))[0] == "front-right"  # below = south = right
    assert quadrant(at, facing, Thing("g", "circle", 150, 60, 20))[0] == "front-left"
    assert quadrant(at, facing, Thing("g", "circle", 40, 60, 20))[0] == "back-left"


def test_spatial_layout_keeps_same_colour_objects_apart():
    lv = SPATIAL_LEVELS["hard"]
    rng = np.random.default_rng(0)
    for _ in range(30):
        lay = sample_layout(rng, lv)
        same = sorted(t.x for t in lay.things if t.color == lay.count_color)
        assert len(same) == lay.count
        assert all(b - a >= 26 for a, b in zip(same, same[1:]))
