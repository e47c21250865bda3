"""Framing between the host and a worker: a JSON header plus raw binary blobs. Never pickle.

The worker is untrusted, so everything the host reads from it is parsed as data: a size-capped JSON header
and blobs whose sizes are checked before they are read. Images travel as raw pixels (mode, size, bytes),
so the host never runs an image decoder on worker output.
"""

from __future__ import annotations

import json
import socket
import struct
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


def send(sock: socket.socket, header: dict[str, Any], blobs: list[bytes] | tuple[bytes, ...] = ()) -> None:
    """Send one message."""
    head = json.dumps(header).encode()
    parts = [_PREFIX.pack(len(head), len(blobs)), head]
    for blob in blobs:
        parts.append(_BLOB_LEN.pack(len(blob)))
        parts.append(blob)
    if sum(map(len, parts)) < (1 << 20):
        sock.sendall(b"".join(parts))  # one syscall for the common small message
    else:
        for part in parts:  # big images: no extra copy of the whole message
            sock.sendall(part)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise WireError("connection closed")
        got += k
    return bytes(buf)


def recv(sock: socket.socket, max_total: int = MAX_BLOB_BYTES) -> tuple[dict[str, Any], list[bytes]]:
    """Receive one message, refusing oversized headers, too many blobs or too many bytes in all."""
    head_len, n_blobs = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size))
    if head_len > MAX_HEADER_BYTES or n_blobs > MAX_BLOBS:
        raise WireError(f"oversized message (header {head_len} bytes, {n_blobs} blobs)")
    try:
        header = json.loads(_recv_exact(sock, head_len))
    except ValueError as exc:
        raise WireError(f"malformed header: {exc}") from None
    if not isinstance(header, dict):
        raise WireError("malformed header: not an object")
    blobs, total = [], 0
    for _ in range(n_blobs):
        (size,) = _BLOB_LEN.unpack(_recv_exact(sock, _BLOB_LEN.size))
        total += size
        if total > max_total:
            raise WireError(f"message exceeds {max_total} bytes")
        blobs.append(_recv_exact(sock, size))
    return header, blobs


def pack_images(images: list[Image.Image] | tuple[Image.Image, ...]) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Describe images as (mode, size) records plus raw pixel blobs."""
    metas, blobs = [], []
    for img in images:
        if img.mode not in IMAGE_MODES:
            img = img.convert("RGB")
        metas.append({"mode": img.mode, "size": list(img.size)})
        blobs.append(img.tobytes())
    return metas, blobs


def unpack_images(metas: Any, blobs: list[bytes], max_pixels: int) -> list[Image.Image]:
    """Rebuild images from raw pixels, validating every record (the sender may be hostile)."""
    if not isinstance(metas, list) or len(metas) != len(blobs):
        raise WireError("image records do not match the blobs")
    out = []
    for meta, blob in zip(metas, blobs):
        try:
            mode, (w, h) = meta["mode"], meta["size"]
            w, h = int(w), int(h)
        except (KeyError, TypeError, ValueError):
            raise WireError(f"malformed image record {meta!r}") from None
        channels = IMAGE_MODES.get(mode)
        if channels is None or w <= 0 or h <= 0 or w * h > max_pixels or len(blob) != w * h * channels:
            raise WireError(f"bad image record {meta!r} with {len(blob)} bytes")
        out.append(Image.frombytes(mode, (w, h), blob))
    return out


def pack_array(arr: np.ndarray) -> tuple[dict[str, Any], bytes]:
    """Describe a uint8 array as (shape) plus its raw bytes."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return {"shape": list(arr.shape)}, arr.tobytes()


def unpack_array(meta: dict[str, Any], blob: bytes) -> np.ndarray:
    """Rebuild a uint8 array from ``pack_array``'s output."""
    shape = tuple(int(s) for s in meta["shape"])
    if int(np.prod(shape)) != len(blob):
        raise WireError(f"array of shape {shape} does not match {len(blob)} bytes")
    return np.frombuffer(blob, dtype=np.uint8).reshape(shape).copy()
