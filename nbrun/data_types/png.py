"""A small PNG encoder for 8-bit arrays, so ``Image`` needs neither Pillow nor matplotlib."""

from __future__ import annotations

import struct
import zlib
from typing import Any

_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(pixels: Any) -> bytes:
    """PNG bytes of a uint8 NumPy array shaped (H, W) or (H, W, 1|2|3|4)."""
    import numpy as np

    array = np.ascontiguousarray(pixels, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    height, width, channels = array.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    # Filter type 0 (none) on every scanline: one zero byte in front of each row.
    raw = np.zeros((height, width * channels + 1), dtype=np.uint8)
    raw[:, 1:] = array.reshape(height, width * channels)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG header, or None if ``data`` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


# -- decoding, for thumbnails -------------------------------------------------------------------
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def decode_png(data: bytes, max_pixels: int = 16_000_000) -> Any:
    """The pixels of a PNG as a uint8 NumPy array shaped (H, W, C): C is 1 (grey), 2 (grey and
    alpha), 3 (RGB) or 4 (RGBA); palettes are expanded and 16-bit samples keep their high byte.
    Non-interlaced 8- and 16-bit images only (what nbrun, Pillow and matplotlib write); anything
    else, a damaged file or more than ``max_pixels`` pixels raises ``ValueError``."""
    import numpy as np

    width, height, depth, colour, interlace, idat, palette, alpha = _read_chunks(data)
    if colour not in _CHANNELS or depth not in (8, 16) or (colour == 3 and depth != 8):
        raise ValueError(f"PNG colour type {colour} at bit depth {depth} is not supported")
    if interlace:
        raise ValueError("interlaced PNG images are not supported")
    if not 0 < width * height <= max_pixels:
        raise ValueError(f"PNG image of {width}x{height} pixels is empty or too large")
    channels = _CHANNELS[colour]
    pixel_bytes = channels * depth // 8
    stride = width * pixel_bytes
    expected = height * (stride + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(idat, expected)
    except zlib.error as exc:
        raise ValueError(f"PNG image data is damaged ({exc})") from None
    if len(raw) != expected:
        raise ValueError(f"PNG image data holds {len(raw)} bytes, expected {expected}")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    pixels = _unfilter(rows, pixel_bytes).reshape(height, width, pixel_bytes)
    if depth == 16:
        pixels = pixels[:, :, 0::2]  # big-endian samples: the high byte of each
    if colour == 3:
        if palette is None:
            raise ValueError("PNG palette image without a palette")
        table = np.frombuffer(palette, dtype=np.uint8)[: len(palette) // 3 * 3].reshape(-1, 3)
        if alpha:
            opacity = np.full((len(table), 1), 255, dtype=np.uint8)
            opacity[: len(alpha), 0] = np.frombuffer(alpha, dtype=np.uint8)[: len(table)]
            table = np.hstack([table, opacity])
        index = pixels[:, :, 0]
        if int(index.max()) >= len(table):
            raise ValueError("PNG pixel refers past the end of its palette")
        pixels = table[index]
    return np.ascontiguousarray(pixels)


def _read_chunks(data: bytes) -> tuple[int, int, int, int, int, bytes, bytes | None, bytes]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    pos, header, palette, alpha, idat = 8, b"", None, b"", []
    while True:
        if pos + 8 > len(data):
            raise ValueError("PNG image is cut short")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise ValueError("PNG image is cut short")
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            alpha = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) != 13 or not idat:
        raise ValueError("PNG image without a header or image data")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    return width, height, depth, colour, interlace, b"".join(idat), palette, alpha


def _unfilter(rows: Any, bpp: int) -> Any:
    """Undo the PNG scanline filters of ``rows`` (H, 1 + stride): the bytes, (H, stride).

    No filter, Sub and Up are undone a row at a time with whole-row NumPy operations. Average
    and Paeth depend on the byte to the left as well as the row above; a pixel depends only on
    pixels above and to its left, so the pixels of one anti-diagonal are independent: those
    images are undone one anti-diagonal at a time (H + W - 1 vector steps, not H x W)."""
    import numpy as np

    filters = rows[:, 0]
    data = rows[:, 1:]
    if not filters.any():
        return data
    if int(filters.max()) > 4:
        raise ValueError(f"PNG row filter {int(filters.max())} does not exist")
    if int(filters.max()) >= 3:
        return _unfilter_diagonals(data, filters, bpp)
    out = np.empty_like(data)
    prior = np.zeros(data.shape[1], dtype=np.uint8)
    for r in range(data.shape[0]):
        kind = filters[r]
        if kind == 0:
            out[r] = data[r]
        elif kind == 1:  # Sub: a running sum along the row, per byte of the pixel, modulo 256
            out[r] = np.cumsum(data[r].reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        else:  # Up
            out[r] = data[r] + prior
        prior = out[r]
    return out


def _unfilter_diagonals(data: Any, filters: Any, bpp: int) -> Any:
    import numpy as np

    height, stride = data.shape
    width = stride // bpp
    pixels = data.reshape(height, width, bpp)
    # done[d + 2, r + 1] holds the finished pixel (r, d - r); the zero row 0 and the zero
    # diagonals 0 and 1 stand for the pixels outside the image (PNG counts them as 0).
    diagonals = height + width - 1
    done = np.zeros((diagonals + 2, height + 1, bpp), dtype=np.uint8)
    r_index, c_index = np.indices((height, width))
    skewed = np.zeros((diagonals, height, bpp), dtype=np.uint8)
    skewed[r_index + c_index, r_index] = pixels
    kinds = filters.astype(np.intp)[:, None]
    zero = np.zeros((1, 1), dtype=np.int16)
    for d in range(diagonals):
        lo, hi = max(0, d - width + 1), min(height - 1, d) + 1
        left = done[d + 1, lo + 1 : hi + 1].astype(np.int16)
        up = done[d + 1, lo:hi].astype(np.int16)
        corner = done[d, lo:hi].astype(np.int16)
        # Paeth: the neighbour nearest to left + up - corner, ties to left, then up.
        off_left, off_up = np.abs(up - corner), np.abs(left - corner)
        off_corner = np.abs(left + up - 2 * corner)
        paeth = np.where(
            (off_left <= off_up) & (off_left <= off_corner),
            left,
            np.where(off_up <= off_corner, up, corner),
        )
        predicted = np.choose(kinds[lo:hi], (zero, left, up, (left + up) >> 1, paeth))
        done[d + 2, lo + 1 : hi + 1] = (skewed[d, lo:hi] + predicted) & 0xFF
    return done[r_index + c_index + 2, r_index + 1].reshape(height, stride)


def downscale(pixels: Any, max_side: int) -> Any:
    """``pixels`` (H, W, C) shrunk to fit ``max_side`` (the longest side then ``max_side``),
    each output pixel the mean of the input area it covers; smaller images come back as they
    are. A whole-factor box average first brings the image under twice ``max_side``; an exact
    area average of that small image does the rest."""
    import numpy as np

    height, width, channels = pixels.shape
    longest = max(height, width)
    if longest <= max_side:
        return pixels
    factor = longest // max_side
    if factor > 1:
        rows = np.arange(0, height, factor)
        cols = np.arange(0, width, factor)
        sums = np.add.reduceat(pixels, rows, axis=0, dtype=np.uint32)
        sums = np.add.reduceat(sums, cols, axis=1, dtype=np.uint32)
        counts = np.minimum(factor, height - rows)[:, None] * np.minimum(factor, width - cols)
        counts = counts[:, :, None].astype(np.uint32)
        pixels = ((sums + counts // 2) // counts).astype(np.uint8)
        height, width = len(rows), len(cols)
        if max(height, width) <= max_side:
            return pixels
    scale = max_side / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    flat = pixels.reshape(height, width * channels).astype(np.float32)
    mixed = (_area_weights(height, out_h) @ flat).reshape(out_h, width, channels)
    mixed = _area_weights(width, out_w) @ mixed  # (out_w, W) @ (out_h, W, C) per output row
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _area_weights(size: int, out: int) -> Any:
    """(out, size): how much of each input pixel each output pixel covers, rows summing to 1."""
    import numpy as np

    edges = np.arange(out + 1) * (size / out)
    start = np.arange(size)
    overlap = np.minimum(edges[1:, None], start[None, :] + 1) - np.maximum(
        edges[:-1, None], start[None, :]
    )
    weights = np.clip(overlap, 0.0, None)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)
