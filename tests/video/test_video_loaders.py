import json
import shutil
import warnings

import pytest

from pyvision_envs.rewards import grade
from pyvision_envs.tasks.loaders import DatasetError, DatasetWarning
from pyvision_envs.tasks.video.loaders import load_video_dataset, write_demo_dataset


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A PyVision-RL video dataset of 3 rows, with its mp4 files beside it."""
    return write_demo_dataset(tmp_path_factory.mktemp("demo"), rows=3)


def _copy(demo, tmp_path):
    shutil.copytree(demo.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / "data.jsonl"


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_pyvision_records(demo):
    ds = load_video_dataset(demo)
    assert ds.format == "pyvision" and len(ds) == 3 and ds.skipped == 0
    task = ds[0]
    assert task.video is not None and task.video.path.endswith(".mp4") and task.grader == "numeric"
    assert task.family == "video_timing" and grade(task, task.answer) == 1.0


def test_image_rows_are_refused_or_skipped(demo, tmp_path):
    path = _copy(demo, tmp_path)
    rows = _rows(path)
    (tmp_path / "im.png").write_bytes(b"not even an image: never decoded, since the row is refused first")
    rows[1] = {k: v for k, v in rows[1].items() if k != "video_path"} | {"image_path": "im.png"}
    _write(path, rows)
    with pytest.raises(DatasetError, match="video_path.*image_path"):
        load_video_dataset(path)
    with pytest.warns(DatasetWarning, match="skipped 1 bad row"):
        ds = load_video_dataset(path, on_error="skip")
    assert len(ds) == 2 and ds.skipped == 1


@pytest.mark.parametrize("damage, pattern", [
    ("missing", "not found"),
    ("truncated", "truncated|corrupt"),
    ("garbage", "not a readable video"),
])
def test_broken_videos_name_the_file_and_skip_keeps_the_rest(demo, tmp_path, damage, pattern):
    path = _copy(demo, tmp_path)
    video = tmp_path / _rows(path)[1]["video_path"]
    if damage == "missing":
        video.unlink()
    elif damage == "truncated":
        video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    else:
        video.write_bytes(b"\x00" * 4096)
    with pytest.raises(DatasetError, match=pattern) as info:
        load_video_dataset(path)
    assert video.name in str(info.value) and "data.jsonl" in str(info.value)
    with pytest.warns(DatasetWarning):
        ds = load_video_dataset(path, on_error="skip")
    assert len(ds) == 2 and ds.skipped == 1


def test_bad_json_line_names_the_line(demo, tmp_path):
    path = _copy(demo, tmp_path)
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(DatasetError, match="line 4"):
        load_video_dataset(path)


@pytest.fixture()
def vsi(demo, tmp_path):
    """VSI-Bench-style records, with videos at <root>/<dataset>/<scene_name>.mp4."""
    root = tmp_path / "vsi_videos"
    (root / "arkitscenes").mkdir(parents=True)
    for i, row in enumerate(_rows(demo)):
        shutil.copyfile(demo.parent / row["video_path"], root / "arkitscenes" / f"scene{i}.mp4")
    records = [
        {"id": 1, "dataset": "arkitscenes", "scene_name": "scene0", "question_type": "object_counting",
         "question": "How many chair(s) are in this room?", "ground_truth": "4", "options": None},
        {"id": 2, "dataset": "arkitscenes", "scene_name": "scene1", "question_type": "object_rel_distance",
         "question": "Which object is closest to the sofa?", "ground_truth": "B",
         "options": ["A. table", "B. lamp", "C. bed", "D. door"]},
        {"id": 3, "dataset": "arkitscenes", "scene_name": "scene2", "question_type": "room_size_estimation",
         "question": "What is the size of this room in square meters?", "ground_truth": "21.3", "options": None},
    ]
    data = tmp_path / "vsibench.json"
    data.write_text(json.dumps(records))
    return data, root


def test_vsibench_records(vsi):
    data, root = vsi
    ds = load_video_dataset(data, video_root=root)
    assert ds.format == "vsibench" and len(ds) == 3
    count, rel, room = ds.tasks
    assert count.grader == "mra" and grade(count, "4") == 1.0 and grade(count, "5") == 1.0  # MRA: 25% off passes
    assert grade(count, "6") == 0.0
    assert rel.grader == "choice" and list(rel.grader_args["choices"]) == ["table", "lamp", "bed", "door"]
    assert "B. lamp" in rel.question and grade(rel, "B") == 1.0 and grade(rel, "lamp") == 1.0
    assert room.meta["scene_name"] == "scene2" and room.video.path == str(root / "arkitscenes" / "scene2.mp4")


def test_vsibench_errors(vsi):
    data, root = vsi
    with pytest.raises(DatasetError, match="scene0.mp4"):
        load_video_dataset(data)  # videos are not beside the data file
    records = json.loads(data.read_text())
    records[1]["options"] = None
    del records[2]["ground_truth"]
    data.write_text(json.dumps(records))
    with pytest.raises(DatasetError, match="item 1: field 'options'"):
        load_video_dataset(data, video_root=root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_video_dataset(data, video_root=root, on_error="skip")
    assert len(ds) == 1 and ds.skipped == 2
    assert any("item 2" in str(w.message) or "ground_truth" in str(w.message) for w in caught)


def test_arguments_are_checked(demo, tmp_path):
    with pytest.raises(DatasetError, match="no such data file"):
        load_video_dataset(tmp_path / "none.jsonl")
    with pytest.raises(DatasetError, match="unknown format"):
        load_video_dataset(demo, format="hrbench")
    with pytest.raises(ValueError, match="on_error"):
        load_video_dataset(demo, on_error="ignore")


def test_video_paths_outside_the_data_root_are_refused(demo, tmp_path):
    data = _copy(demo, tmp_path / "data")
    rows = _rows(data)
    shutil.copyfile(data.parent / rows[0]["video_path"], tmp_path / "outside.mp4")
    rows[0]["video_path"] = "../outside.mp4"
    _write(data, rows)
    with pytest.raises(DatasetError, match=r"data\.jsonl, line 1: field 'video_path': '\.\./outside\.mp4' resolves "
                                           r"to \S*outside\.mp4, outside the data root"):
        load_video_dataset(data, verify="none")
    assert len(load_video_dataset(data, verify="none", allow_outside_root=True)) == 3


def test_vsibench_videos_outside_the_video_root_are_refused(vsi, tmp_path):
    data, root = vsi
    records = json.loads(data.read_text())
    records[0]["dataset"] = "../.."  # <root>/../../scene0.mp4
    records[1]["video_path"] = str(tmp_path / "elsewhere.mp4")
    data.write_text(json.dumps(records))
    with pytest.raises(DatasetError, match=r"item 0: field 'video_path': .*outside the data root"):
        load_video_dataset(data, video_root=root, verify="none")
    with pytest.warns(DatasetWarning, match="skipped 2 bad row"):
        assert len(load_video_dataset(data, video_root=root, verify="none", on_error="skip")) == 1


def test_non_utf8_video_records_name_the_line(demo, tmp_path):
    path = _copy(demo, tmp_path)
    path.write_bytes(path.read_bytes() + b'{"question": "\xc3("}\n')
    with pytest.raises(DatasetError, match=r"line 4: field '<line>': not UTF-8 text \(byte 0xc3 at column 15\)"):
        load_video_dataset(path)
    vsi_lines = tmp_path / "vsi.jsonl"
    vsi_lines.write_bytes(b'{"scene_name": "s", "ground_truth": "1", "question": "q", "dataset": "d"}\n\xff\n')
    with pytest.raises(DatasetError, match=r"vsi\.jsonl, line 2: field '<line>': not UTF-8 text \(byte 0xff"):
        load_video_dataset(vsi_lines, verify="none")
