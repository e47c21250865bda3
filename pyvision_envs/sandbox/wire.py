"""Framing between the host and a worker: a JSON header plus raw binary blobs. Never pickle.

The worker is untrusted, so everything the host reads from it is parsed as data: a size-capped JSON header
and blobs whose sizes are checked before they are read, all under one deadline for the whole message (a
peer that trickles one byte at a time cannot stretch it). Images travel as raw pixels (mode, size, bytes),
so the host never runs an image decoder on worker output.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

import numpy as np
from PIL import Image

_PREFIX = struct.Struct("<II")  # header length, number of blobs
_BLOB_LEN = struct.Struct("<Q")

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_BLOB_BYTES = 256 * 1024 * 1024
MAX_BLOBS = 1024
IMAGE_MODES = {"RGB": 3, "RGBA": 4, "L": 1}


class WireError(Exception):
    """The peer sent something malformed or oversized, or the connection closed."""


class WireTimeout(WireError, TimeoutError):
    """The whole message was not sent or received before its deadline."""


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise WireTimeout("deadline passed")
    return left


def send(sock: socket.socket, header: dict[str, Any], blobs: list[bytes] | tuple[bytes, ...] = (),
         deadline: float | None = None) -> None:
    """Send one message; with a ``deadline`` (``time.monotonic()`` seconds) the whole message must go by then."""
    head = json.dumps(header).encode()
    parts = [_PREFIX.pack(len(head), len(blobs)), head]
    for blob in blobs:
        parts.append(_BLOB_LEN.pack(len(blob)))
        parts.append(blob)
    if sum(map(len, parts)) < (1 << 20):
        parts = [b"".join(parts)]  # one syscall for the common small message
    try:
        for part in parts:  # big images: no extra copy of the whole message
            sock.settimeout(_remaining(deadline))
            sock.sendall(part)  # its timeout bounds the whole call, not each chunk
    except TimeoutError:
        raise WireTimeout("send deadline passed") from None


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    try:
        while got < n:
            sock.settimeout(_remaining(deadline))  # the clock is the message's, never restarted per byte
            k = sock.recv_into(view[got:], n - got)
            if k == 0:
                raise WireError("connection closed")
            got += k
    except TimeoutError:
        raise WireTimeout("receive deadline passed") from None
    return buf  # not copied again: a blob can be megabytes


def recv(
    sock: socket.socket,
    max_total: int = MAX_BLOB_BYTES,
    *,
    deadline: float | None = None,
    max_header: int = MAX_HEADER_BYTES,
    max_blobs: int = MAX_BLOBS,
) -> tuple[dict[str, Any], list[bytearray]]:
    """Receive one message by ``deadline``, refusing oversized headers, too many blobs or too many bytes."""
    head_len, n_blobs = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size, deadline))
    if head_len > max_header or n_blobs > max_blobs:
        raise WireError(f"oversized message (header {head_len} bytes, {n_blobs} blobs)")
    header = parse_header(_recv_exact(sock, head_len, deadline))
    blobs, total = [], 0
    for _ in range(n_blobs):
        (size,) = _BLOB_LEN.unpack(_recv_exact(sock, _BLOB_LEN.size, deadline))
        total += size
        if total > max_total:
            raise WireError(f"message exceeds {max_total} bytes")
        blobs.append(_recv_exact(sock, size, deadline))
    return header, blobs


def parse_header(raw: bytes | bytearray) -> dict[str, Any]:
    """A JSON object, or ``WireError`` for anything else (bad UTF-8, deep nesting, huge numbers, lists)."""
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise WireError(f"malformed header: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise WireError("malformed header: not an object")
    return header


def pack_images(images: list[Image.Image] | tuple[Image.Image, ...]) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Describe images as (mode, size) records plus raw pixel blobs."""
    metas, blobs = [], []
    for img in images:
        meta, blob = pack_image(img)
        metas.append(meta)
        blobs.append(blob)
    return metas, blobs


def pack_image(img: Image.Image) -> tuple[dict[str, Any], bytes]:
    """One image as a (mode, size) record plus its raw pixels (other modes become RGB)."""
    if img.mode not in IMAGE_MODES:
        img = img.convert("RGB")
    return {"mode": img.mode, "size": list(img.size)}, img.tobytes()


def image_bytes(img: Image.Image) -> int:
    """Bytes an image takes on the wire (and, about, in memory)."""
    return img.width * img.height * IMAGE_MODES.get(img.mode, 3)


def unpack_images(metas: Any, blobs: list[bytes] | list[bytearray], max_pixels: int) -> list[Image.Image]:
    """Rebuild images from raw pixels, validating every record (the sender may be hostile)."""
    if not isinstance(metas, list) or len(metas) != len(blobs):
        raise WireError("image records do not match the blobs")
    out = []
    for meta, blob in zip(metas, blobs):
        try:
            mode, (w, h) = meta["mode"], meta["size"]
            if not isinstance(mode, str) or type(w) is not int or type(h) is not int:
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise WireError(f"malformed image record {str(meta)[:200]}") from None
        channels = IMAGE_MODES.get(mode)
        if channels is None or w <= 0 or h <= 0 or w * h > max_pixels or len(blob) != w * h * channels:
            raise WireError(f"bad image record {str(meta)[:200]} with {len(blob)} bytes")
        out.append(Image.frombytes(mode, (w, h), blob))
    return out


def pack_array(arr: np.ndarray) -> tuple[dict[str, Any], bytes]:
    """Describe a uint8 array as (shape) plus its raw bytes."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return {"shape": list(arr.shape)}, arr.tobytes()


def unpack_array(meta: dict[str, Any], blob: bytes | bytearray) -> np.ndarray:
    """Rebuild a uint8 array from ``pack_array``'s output."""
    shape = tuple(int(s) for s in meta["shape"])
    if int(np.prod(shape)) != len(blob):
        raise WireError(f"array of shape {shape} does not match {len(blob)} bytes")
    return np.frombuffer(blob, dtype=np.uint8).reshape(shape).copy()
