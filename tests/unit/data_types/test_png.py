import zlib

import numpy as np

from nbrun.data_types.png import encode_png, png_size


def _decode(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, colour type and raw scanlines of a PNG with one IDAT chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(
            data[pos + 8 + length : pos + 12 + length], "big"
        )
        chunks[kind] = body
        pos += 12 + length
    header = chunks[b"IHDR"]
    return (
        int.from_bytes(header[0:4], "big"),
        int.from_bytes(header[4:8], "big"),
        header[9],
        zlib.decompress(chunks[b"IDAT"]),
    )


def test_an_rgb_array_encodes_as_a_valid_png_with_its_pixels() -> None:
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)

    width, height, colour, raw = _decode(encode_png(pixels))

    assert (width, height, colour) == (3, 2, 2)
    rows = [raw[i * 10 : (i + 1) * 10] for i in range(2)]
    assert [row[0] for row in rows] == [0, 0]
    assert b"".join(row[1:] for row in rows) == pixels.tobytes()


def test_a_greyscale_array_encodes_as_greyscale() -> None:
    assert _decode(encode_png(np.zeros((4, 5), dtype=np.uint8)))[:3] == (5, 4, 0)


def test_png_size_reads_the_header_and_rejects_other_bytes() -> None:
    assert png_size(encode_png(np.zeros((7, 9), dtype=np.uint8))) == (9, 7)
    assert png_size(b"GIF89a....") is None
