"""Loading image files with errors that name the file and say what is wrong."""

from __future__ import annotations

import os

from PIL import Image, UnidentifiedImageError

from pyvision_envs.media.base import MediaError, describe_exception


class ImageError(MediaError):
    """An image file is missing, empty, truncated or not an image. The message names the file."""


def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Read an image file fully into memory as an RGB PIL image.

    Args:
        path: The image file.

    Returns:
        The decoded image, converted to RGB (the file handle is closed).

    Raises:
        ImageError: The file is missing, empty, not an image, or truncated.
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise ImageError(f"{p}: no such image file; check the path")
    if os.path.getsize(p) == 0:
        raise ImageError(f"{p}: the image file is empty (0 bytes)")
    try:
        with Image.open(p) as img:
            img.load()  # decode now: a truncated file fails here, not later in a worker
            return img.convert("RGB")
    except UnidentifiedImageError as exc:
        raise ImageError(f"{p}: not an image file PIL can read ({describe_exception(exc)})") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{p}: the image could not be decoded ({describe_exception(exc)}); it is probably "
                         "truncated or corrupt") from exc
