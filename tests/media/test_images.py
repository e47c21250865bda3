import pytest
from PIL import Image

from pyvision_envs.media import ImageError, load_image


def test_load_image_roundtrip(tmp_path):
    img = Image.new("RGBA", (30, 20), (10, 200, 30, 128))
    img.save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.mode == "RGB" and out.size == (30, 20) and out.getpixel((3, 3)) == (10, 200, 30)


def test_load_image_errors(tmp_path):
    with pytest.raises(ImageError, match="no such image"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ImageError, match="not an image") as info:
        load_image(tmp_path / "text.png")
    assert "text.png" in str(info.value)
    Image.effect_noise((200, 200), 50).convert("RGB").save(tmp_path / "big.png")
    data = (tmp_path / "big.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_image(tmp_path / "cut.png")
