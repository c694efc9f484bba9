"""decode_png and downscale: what the live widget's thumbnails are made with.

The PNGs with filtered rows are written here by a plain-Python encoder that follows the PNG
specification byte for byte (every filter type, palettes, 16-bit samples), so the decoder is
checked against the format, not against itself."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from nbrun.data_types.png import decode_png, downscale, encode_png

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    """One scanline filtered with ``kind`` (PNG specification, section 9)."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predicted = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predicted) % 256)
    return bytes([kind]) + bytes(out)


def png_bytes(
    samples: np.ndarray,
    colour: int,
    depth: int = 8,
    filters: list[int] | None = None,
    extra: bytes = b"",
    split_idat: bool = False,
) -> bytes:
    """A PNG of ``samples`` (H, W, C) with the given row ``filters`` (cycled)."""
    height, width = samples.shape[:2]
    dtype = ">u2" if depth == 16 else np.uint8
    raw = np.ascontiguousarray(samples.astype(dtype)).reshape(height, -1).view(np.uint8)
    bpp = max(1, samples.shape[2] * depth // 8)
    rows, prior = [], bytes(raw.shape[1])
    for r in range(height):
        row = raw[r].tobytes()
        kind = filters[r % len(filters)] if filters else 0
        rows.append(filter_row(kind, row, prior, bpp))
        prior = row
    data = zlib.compress(b"".join(rows))
    parts = [data[: len(data) // 2], data[len(data) // 2 :]] if split_idat else [data]
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        SIGNATURE
        + chunk(b"IHDR", header)
        + extra
        + b"".join(chunk(b"IDAT", p) for p in parts)
        + chunk(b"IEND", b"")
    )


def random_pixels(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_what_encode_png_writes_decodes_to_the_same_pixels(channels: int) -> None:
    pixels = random_pixels(9, 13, channels)
    assert np.array_equal(decode_png(encode_png(pixels)), pixels)


@pytest.mark.parametrize(
    "filters", [[1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 4, 3, 1, 1]]
)
@pytest.mark.parametrize(("channels", "colour"), [(1, 0), (2, 4), (3, 2), (4, 6)])
def test_every_row_filter_is_undone(filters: list[int], channels: int, colour: int) -> None:
    pixels = random_pixels(11, 7, channels, seed=len(filters))
    assert np.array_equal(decode_png(png_bytes(pixels, colour, filters=filters)), pixels)


def test_a_wide_and_a_tall_image_with_paeth_rows() -> None:
    for shape in [(3, 40, 3), (40, 3, 3), (1, 1, 3), (1, 25, 4), (25, 1, 1)]:
        pixels = random_pixels(*shape, seed=sum(shape))
        decoded = decode_png(png_bytes(pixels, {1: 0, 3: 2, 4: 6}[shape[2]], filters=[4, 3]))
        assert np.array_equal(decoded, pixels), shape


def test_sixteen_bit_samples_keep_their_high_byte() -> None:
    samples = np.random.default_rng(1).integers(0, 65536, size=(6, 5, 3), dtype=np.uint16)
    decoded = decode_png(png_bytes(samples, 2, depth=16, filters=[0, 1, 2, 3, 4]))
    assert decoded.dtype == np.uint8
    assert np.array_equal(decoded, (samples >> 8).astype(np.uint8))


def test_a_palette_expands_to_rgb_or_rgba_with_its_transparency() -> None:
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)[:, :, None]
    plte = chunk(b"PLTE", palette.tobytes())

    rgb = decode_png(png_bytes(index, 3, filters=[1], extra=plte))
    assert np.array_equal(rgb, palette[index[:, :, 0]])

    rgba = decode_png(png_bytes(index, 3, extra=plte + chunk(b"tRNS", bytes([0, 128]))))
    assert rgba.shape == (2, 3, 4)
    assert rgba[0, 0].tolist() == [255, 0, 0, 0]
    assert rgba[0, 1].tolist() == [0, 255, 0, 128]
    assert rgba[0, 2].tolist() == [0, 0, 255, 255]  # past tRNS: opaque


def test_image_data_split_over_several_chunks() -> None:
    pixels = random_pixels(20, 20, 3)
    assert np.array_equal(decode_png(png_bytes(pixels, 2, split_idat=True)), pixels)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + bytes(40), "not a PNG"),
        (encode_png(random_pixels(4, 4, 3))[:40], "cut short"),
        (
            SIGNATURE
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""),
            "without a header or image data",
        ),
    ],
)
def test_what_is_not_a_whole_png_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_png(data)


def test_unsupported_kinds_damaged_data_and_huge_images_are_refused() -> None:
    good = png_bytes(random_pixels(4, 4, 1), 0)
    header = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 1)  # interlaced
    interlaced = good.replace(good[8:33], chunk(b"IHDR", header))
    with pytest.raises(ValueError, match="interlaced"):
        decode_png(interlaced)
    four_bit = good.replace(
        good[8:33], chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 4, 0, 0, 0, 0))
    )
    with pytest.raises(ValueError, match="bit depth 4"):
        decode_png(four_bit)
    with pytest.raises(ValueError, match="too large"):
        decode_png(good, max_pixels=15)
    damaged = good[:41] + bytes(len(good) - 53) + good[-12:]
    with pytest.raises(ValueError, match="damaged"):
        decode_png(damaged)
    bad_filter = png_bytes(random_pixels(2, 2, 1), 0)
    raw = zlib.decompress(bad_filter[41:-16])
    rows = bytes([7]) + raw[1:]
    forged = bad_filter[:33] + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    with pytest.raises(ValueError, match="filter 7"):
        decode_png(forged)


def test_a_palette_index_past_the_palette_is_refused() -> None:
    plte = chunk(b"PLTE", bytes([1, 2, 3]))
    with pytest.raises(ValueError, match="palette"):
        decode_png(png_bytes(np.array([[[0], [1]]], dtype=np.uint8), 3, extra=plte))


def test_downscale_fits_the_longest_side_and_keeps_the_aspect() -> None:
    for shape, expected in [
        ((300, 200, 3), (128, 85, 3)),
        ((1000, 1000, 4), (128, 128, 4)),
        ((130, 129, 1), (128, 127, 1)),
        ((4000, 30, 3), (128, 1, 3)),
        ((256, 64, 2), (128, 32, 2)),
    ]:
        assert downscale(random_pixels(*shape), 128).shape == expected


def test_downscale_leaves_small_images_alone() -> None:
    pixels = random_pixels(28, 28, 1)
    assert downscale(pixels, 128) is pixels


def test_downscale_averages_the_area_each_pixel_covers() -> None:
    quarters = np.zeros((4, 4, 1), dtype=np.uint8)
    quarters[:2, :2] = 255
    assert downscale(quarters, 2)[:, :, 0].tolist() == [[255, 0], [0, 0]]
    # 3 -> 2: each output pixel covers 1.5 x 1.5 input pixels
    ramp = np.arange(9, dtype=np.uint8).reshape(3, 3, 1) * 10
    assert downscale(ramp, 2)[:, :, 0].tolist() == [[13, 27], [53, 67]]
    flat = np.full((301, 257, 3), 77, dtype=np.uint8)
    assert np.unique(downscale(flat, 128)).tolist() == [77]
    noise = random_pixels(999, 517, 3)
    assert abs(float(downscale(noise, 128).mean()) - float(noise.mean())) < 1.0
