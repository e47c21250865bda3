import base64
import io
import json
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from pyvision_envs.rewards import grade
from pyvision_envs.tasks.loaders import DatasetError, DatasetWarning, TaskDataset, grading_for, load_dataset

HEADER = ["index", "question", "answer", "A", "B", "C", "D", "image", "category", "cycle_category"]


def picture(seed, size=(48, 32)):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def b64(img, fmt="JPEG"):
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def pyvision_dir(tmp_path):
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        picture(i).save(tmp_path / "imgs" / f"p{i}.png")
    return tmp_path


def write_jsonl(path, records, extra_lines=()):
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = [
    {"id": "q1", "question": "What colour?\nA. red\nB. blue\nC. green", "answer": "B", "ability": "color",
     "data_source": "synthetic-x", "image_path": "imgs/p0.png"},
    {"id": "q2", "question": "How many dots?", "answer": "12", "image_path": ["imgs/p1.png", "imgs/p2.png"]},
    {"question": "Which city is shown?", "answer": "Paris", "image_path": "imgs/p2.png"},
]


def test_pyvision_jsonl_reads_rows_lazily_with_relative_paths(pyvision_dir, monkeypatch):
    path = write_jsonl(pyvision_dir / "train.jsonl", GOOD)
    monkeypatch.chdir("/")  # paths resolve against the data file, not the working directory
    ds = load_dataset(path)
    assert isinstance(ds, TaskDataset) and len(ds) == 3 and ds.source_path == path and ds.format == "pyvision"
    t0, t1, t2 = ds[0], ds[1], ds[2]
    assert (t0.id, t0.grader, dict(t0.grader_args)) == ("q1", "choice", {"choices": ["red", "blue", "green"]})
    assert t0.family == "synthetic-x" and t0.meta["ability"] == "color" and list(t0.public["choices"]) == [
        "red", "blue", "green"]
    assert grade(t0, "B") == 1.0 and grade(t0, "blue") == 1.0 and grade(t0, "A") == 0.0
    assert (t1.grader, len(t1.images)) == ("numeric", 2) and grade(t1, "12 dots") == 1.0
    assert t2.grader == "exact" and t2.id == "train-3" and t2.family == "imageqa"
    assert np.array_equal(np.asarray(t1.images[1]), np.asarray(picture(2)))
    assert [t.id for t in ds[0:2]] == ["q1", "q2"]


def test_images_are_opened_only_when_a_row_is_indexed(pyvision_dir):
    ds = load_dataset(write_jsonl(pyvision_dir / "d.jsonl", GOOD))
    (pyvision_dir / "imgs" / "p0.png").write_bytes(b"not a png any more")
    assert ds[1].images  # other rows still load
    with pytest.raises(DatasetError, match=r"d\.jsonl, line 1: image could not be read"):
        ds[0]


def test_pyvision_json_list(pyvision_dir):
    path = pyvision_dir / "d.json"
    path.write_text(json.dumps(GOOD, indent=2))
    ds = load_dataset(path)
    assert len(ds) == 3 and ds[0].answer == "B"
    bad = GOOD[:1] + [{"question": "x?", "image_path": "imgs/p0.png"}]
    path.write_text(json.dumps(bad))
    with pytest.raises(DatasetError, match=r"d\.json, item 1: field 'answer': missing or empty"):
        load_dataset(path)


@pytest.mark.parametrize(
    "record, extra, message",
    [
        ({"question": "x?", "image_path": "imgs/p0.png"}, (), r"line 4: field 'answer': missing or empty"),
        ({"question": "x?", "answer": "1", "image_path": "imgs/nope.png"}, (),
         r"line 4: field 'image_path': file 'imgs/nope.png' not found"),
        ({"question": "x?", "answer": "1"}, (), r"line 4: field 'image_path': missing"),
        (None, ("{not json",), r"line 4: field '<line>': not valid JSON"),
    ],
)
def test_broken_pyvision_rows_are_rejected_by_file_line_and_field(pyvision_dir, record, extra, message):
    path = write_jsonl(pyvision_dir / "bad.jsonl", GOOD + ([record] if record else []), extra)
    with pytest.raises(DatasetError, match=message) as err:
        load_dataset(path)
    assert str(path) in str(err.value) and "on_error='skip'" in str(err.value)


def test_skip_counts_bad_rows_in_one_warning(pyvision_dir):
    bad = [{"question": "x?", "image_path": "imgs/p0.png"}, {"question": "y?", "answer": "2", "image_path": "zz.png"}]
    path = write_jsonl(pyvision_dir / "mixed.jsonl", GOOD + bad, ("[broken",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_dataset(path, on_error="skip")
    assert len(ds) == 3 and ds.skipped == 3
    assert len(caught) == 1 and issubclass(caught[0].category, DatasetWarning)
    text = str(caught[0].message)
    assert "skipped 3 bad row(s) of 6" in text and "line 4, line 5, line 6" in text and "mixed.jsonl" in text


def write_tsv(path, rows):
    path.write_text("\n".join("\t".join(str(c) for c in r) for r in [HEADER, *rows]) + "\n")
    return path


def hr_rows():
    return [
        [0, "What is written on the sign?", "C", "STOP", "GO", "EXIT", "SLOW", b64(picture(10, (64, 40))),
         "single", "cycle_a"],
        [1, "What colour is the car?", "A", "red", "blue", "white", "black", b64(picture(11)), "cross", "cycle_b"],
        [2, "What is written on the sign? (again)", "D", "GO", "EXIT", "SLOW", "STOP", "0", "single", "cycle_a"],
    ]


def test_hrbench_tsv_with_base64_images_and_shared_image_rows(tmp_path):
    ds = load_dataset(write_tsv(tmp_path / "hr_bench_4k.tsv", hr_rows()))
    assert len(ds) == 3 and ds.format == "hrbench"
    t0, t2 = ds[0], ds[2]
    assert t0.answer == "C" and list(t0.grader_args["choices"]) == ["STOP", "GO", "EXIT", "SLOW"]
    assert t0.question.endswith("Answer with the option letter.") and "\nC. EXIT\n" in t0.question
    assert grade(t0, "EXIT") == 1.0 and t0.meta["cycle_category"] == "cycle_a" and t0.id == "hr_bench_4k-0"
    assert t0.images[0].size == (64, 40) and t2.images[0].size == (64, 40)  # row 2 shares row 0's image
    assert np.array_equal(np.asarray(t0.images[0]), np.asarray(t2.images[0]))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r[1].__setitem__(7, "%%%not-base64%%%"), r"line 3: field 'image': not valid base64"),
        (lambda r: r[1].__setitem__(7, base64.b64encode(b"plain text").decode()),
         r"line 3: field 'image': base64 decodes to .*not a JPEG/PNG"),
        (lambda r: r[1].__setitem__(2, "E"), r"line 3: field 'answer': 'E' is not the letter"),
        (lambda r: r[2].__setitem__(7, "9"), r"line 4: field 'image': refers to row index 9"),
        (lambda r: r[1].pop(), r"line 3: field '<row>': 9 tab-separated cells"),
    ],
)
def test_broken_hrbench_rows_are_rejected(tmp_path, change, message):
    rows = hr_rows()
    change(rows)
    with pytest.raises(DatasetError, match=message):
        load_dataset(write_tsv(tmp_path / "hr.tsv", rows))


def test_hrbench_header_must_have_the_columns(tmp_path):
    path = tmp_path / "hr.tsv"
    path.write_text("idx\tquestion\tanswer\n0\tq\tA\n")
    with pytest.raises(DatasetError, match=r"header lacks column\(s\) \['index', 'image'\]"):
        load_dataset(path)


def make_vstar(root):
    specs = {
        "direct_attributes/sa_1.jpg": {"question": "What is the colour of the bag?",
                                       "options": ["red", "blue", "green", "black"], "target_object": ["bag"]},
        "direct_attributes/sa_2.jpg": {"question": "What is the material of the cup?",
                                       "options": ["glass", "paper", "steel", "wood"]},
        "relative_position/sa_3.png": {"question": "Is the dog on the left or right of the cat?",
                                       "options": ["left", "right"], "answer": "B"},
    }
    for i, (rel, ann) in enumerate(specs.items()):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        picture(20 + i).save(p)
        p.with_suffix(".json").write_text(json.dumps(ann))
    return specs


def test_vstar_folder_layout(tmp_path):
    specs = make_vstar(tmp_path)
    ds = load_dataset(tmp_path)
    assert ds.format == "vstar" and len(ds) == 3
    by_id = {t.id: t for t in (ds[i] for i in range(3))}
    for rel, ann in specs.items():
        task = by_id[f"vstar/{rel}"]
        correct = ann["options"][1] if "answer" in ann else ann["options"][0]
        assert sorted(task.grader_args["choices"]) == sorted(ann["options"])
        assert grade(task, correct) == 1.0 and grade(task, task.answer) == 1.0
        assert task.meta["category"] == rel.split("/")[0] and task.images[0].size == (48, 32)
    again = load_dataset(tmp_path)
    assert [again[i].answer for i in range(3)] == [ds[i].answer for i in range(3)]


def test_vstar_option_order_moves_the_answer_letter(tmp_path):
    for i in range(12):
        p = tmp_path / "direct_attributes" / f"img_{i}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        picture(i).save(p)
        p.with_suffix(".json").write_text(json.dumps({"question": "Colour?", "options": ["a", "b", "c", "d"]}))
    letters = {load_dataset(tmp_path)[i].answer for i in range(12)}
    assert len(letters) >= 3


def test_broken_vstar_items(tmp_path):
    make_vstar(tmp_path)
    (tmp_path / "direct_attributes" / "sa_2.json").unlink()
    with pytest.raises(DatasetError, match=r"direct_attributes/sa_2\.jpg: field '<annotation>': no sa_2\.json"):
        load_dataset(tmp_path)
    (tmp_path / "direct_attributes" / "sa_2.json").write_text(json.dumps({"question": "q", "options": "red"}))
    with pytest.raises(DatasetError, match=r"sa_2\.jpg: field 'options'"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="no <category>/<name>.jpg images"):
        load_dataset(tmp_path / "direct_attributes")


def test_paths_formats_and_options_are_checked(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "missing.jsonl")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(DatasetError, match="cannot tell the format"):
        load_dataset(tmp_path / "data.csv")
    with pytest.raises(DatasetError, match="unknown format 'parquet'"):
        load_dataset(tmp_path / "data.csv", format="parquet")
    with pytest.raises(ValueError, match="on_error"):
        load_dataset(tmp_path / "data.csv", on_error="ignore")


def test_grading_for_maps_answers_to_graders():
    assert grading_for("(C)", "Pick:\n(A) x\n(B) y\n(C) z") == ("choice", {"choices": ["x", "y", "z"]})
    assert grading_for("A", "Yes or no?") == ("choice", {})
    assert grading_for("1,024", "How many?") == ("numeric", {})
    assert grading_for("-0.5", "?") == ("numeric", {}) and grading_for("3/4", "?") == ("numeric", {})
    assert grading_for("a red car", "?") == ("exact", {})


# ----- hostile data: encodings, paths out of the data root, decompression bombs -----
def test_non_utf8_lines_name_the_file_line_and_field(pyvision_dir):
    path = pyvision_dir / "train.jsonl"
    good = [json.dumps(r).encode() for r in GOOD]
    path.write_bytes(b"\n".join([good[0], b'{"question": "caf\xe9?", "answer": "1"}', good[1]]) + b"\n")
    with pytest.raises(DatasetError, match=r"train\.jsonl, line 2: field '<line>': not UTF-8 text \(byte 0xe9 at "
                                           r"column 18\); save the file as UTF-8"):
        load_dataset(path)
    with pytest.warns(DatasetWarning, match="skipped 1 bad row"):
        assert len(load_dataset(path, on_error="skip")) == 2
    path.write_bytes(good[0] + b"\n" + b"[" * 100_000 + b"\n")
    with pytest.raises(DatasetError, match=r"train\.jsonl, line 2: field '<line>': JSON nested too deeply to read"):
        load_dataset(path)
    (pyvision_dir / "deep.json").write_bytes(b"[" * 100_000)
    with pytest.raises(DatasetError, match=r"deep\.json: JSON nested too deeply to read"):
        load_dataset(pyvision_dir / "deep.json")
    listed = pyvision_dir / "list.json"
    listed.write_bytes(b'[\n{"question": "a", "answer": "1", "image_path": "imgs/p0.png"},\n{"question": "\xff"}]')
    with pytest.raises(DatasetError, match=r"list\.json: not UTF-8 text at line 3 \(byte 0xff\)"):
        load_dataset(listed)


def _outside_layout(tmp_path):
    """data/ holds the dataset; outside.png sits beside it; data/imgs/ has symlinks out."""
    data = tmp_path / "data"
    (data / "imgs").mkdir(parents=True)
    picture(0).save(data / "imgs" / "inside.png")
    picture(1).save(tmp_path / "outside.png")
    (data / "imgs" / "link_out.png").symlink_to(tmp_path / "outside.png")
    (data / "imgs" / "shadow.png").symlink_to("/etc/shadow")
    (data / "imgs" / "link_in.png").symlink_to(data / "imgs" / "inside.png")
    return data


@pytest.mark.parametrize("ref, resolved", [
    ("../outside.png", "outside.png"),
    ("ABS", "outside.png"),
    ("imgs/link_out.png", "outside.png"),
    ("imgs/shadow.png", "/etc/shadow"),
    ("imgs/../../outside.png", "outside.png"),
])
def test_paths_resolving_outside_the_data_root_are_refused(tmp_path, ref, resolved):
    data = _outside_layout(tmp_path)
    ref = str(tmp_path / "outside.png") if ref == "ABS" else ref
    path = write_jsonl(data / "d.jsonl", [{"question": "q", "answer": "1", "image_path": ref}])
    with pytest.raises(DatasetError, match=rf"d\.jsonl, line 1: field 'image_path': .*resolves to \S*{resolved}, "
                                           r"outside the data root .*allow_outside_root=True"):
        load_dataset(path)
    if resolved != "/etc/shadow":  # with the opt-in, a trusted dataset may point anywhere
        assert load_dataset(path, allow_outside_root=True)[0].images[0].size == (48, 32)


def test_paths_inside_the_root_are_fine_absolute_or_linked(tmp_path):
    data = _outside_layout(tmp_path)
    rows = [{"question": "q", "answer": "1", "image_path": p}
            for p in ("imgs/inside.png", str(data / "imgs" / "inside.png"), "imgs/link_in.png")]
    assert len(load_dataset(write_jsonl(data / "d.jsonl", rows))) == 3


def test_vstar_symlinks_out_of_the_folder_are_refused(tmp_path):
    make_vstar(tmp_path / "vstar")
    picture(5).save(tmp_path / "secret.jpg")
    (tmp_path / "vstar" / "direct_attributes" / "zz.jpg").symlink_to(tmp_path / "secret.jpg")
    (tmp_path / "vstar" / "direct_attributes" / "zz.json").write_text(json.dumps({"question": "q",
                                                                                  "options": ["a", "b"]}))
    with pytest.raises(DatasetError, match=r"direct_attributes/zz\.jpg: field '<image>': .*outside the data root"):
        load_dataset(tmp_path / "vstar")


def huge_png(path, width=20_000, height=20_000):
    """A real, valid 1-bit greyscale PNG of ``width x height`` (all black): ~40 kB on disk, streamed row by row."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    z, row = zlib.compressobj(9), b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_a_decompression_bomb_is_refused_from_its_header(pyvision_dir):
    huge_png(pyvision_dir / "imgs" / "huge.png")
    path = write_jsonl(pyvision_dir / "d.jsonl", [{"id": "big", "question": "q", "answer": "1",
                                                   "image_path": "imgs/huge.png"}])
    ds = load_dataset(path)  # validation reads no pixels
    with pytest.raises(DatasetError, match=r"d\.jsonl, line 1: field 'image_path': \S*huge\.png is too large to "
                                           r"open \(.*400000000 pixels.*\); the limit is max_pixels=50,000,000"):
        ds[0]


def test_images_over_max_pixels_are_refused_with_their_size(pyvision_dir):
    path = write_jsonl(pyvision_dir / "d.jsonl", GOOD[:1])
    with pytest.raises(DatasetError, match=r"line 1: field 'image_path': \S*p0\.png is 48 x 32 = 1,536 pixels, "
                                           r"over max_pixels=1,000; downscale the file, or raise max_pixels"):
        load_dataset(path, max_pixels=1000)[0]
    assert load_dataset(path, max_pixels=1536)[0].images[0].size == (48, 32)


def test_hrbench_bomb_is_a_bad_row_at_load(tmp_path):
    bomb = base64.b64encode(huge_png(tmp_path / "huge.png").read_bytes()).decode()
    rows = [["1", "Which?", "A", "x", "y", "z", "w", bomb, "c", "cc"]]
    path = tmp_path / "hr.tsv"
    path.write_text("\t".join(HEADER) + "\n" + "\n".join("\t".join(r) for r in rows) + "\n")
    with pytest.raises(DatasetError, match=r"hr\.tsv, line 2: field 'image': the base64 image is too large"):
        load_dataset(path)
