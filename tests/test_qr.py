"""QR encoder: decoded by zxing-cpp byte-exact, and its bit stream read back independently.

zxing-cpp's ``symbology_identifier`` says ``]Q1`` even for a symbol that carries
ECI 899, so "no ECI" and "one byte-mode segment" are checked here by reading the
data bits out of the module matrix (ISO/IEC 18004: format bits, unmasking,
zigzag placement, block de-interleaving, mode indicators).
"""

from __future__ import annotations

import random

import pytest
import zxingcpp

from cashier_app.printing.qr import QrTooLong, byte_capacity, choose_version, qr_matrix, qr_png

# ---------------------------------------------------------------- independent bit-stream reader

_ECC_M = [
    -1,
    10,
    16,
    26,
    18,
    24,
    16,
    18,
    22,
    22,
    26,
    30,
    22,
    22,
    24,
    24,
    28,
    28,
    26,
    26,
    26,
    26,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
]
_BLOCKS_M = [
    -1,
    1,
    1,
    1,
    2,
    2,
    4,
    4,
    4,
    5,
    5,
    5,
    8,
    9,
    9,
    10,
    10,
    11,
    13,
    14,
    16,
    17,
    17,
    18,
    20,
    21,
    23,
    25,
    26,
    28,
    29,
    31,
    33,
    35,
    37,
    38,
    40,
    43,
    45,
    47,
    49,
]


def _function_modules(ver: int, size: int) -> list[list[bool]]:
    f = [[False] * size for _ in range(size)]

    def mark(x0: int, y0: int, w: int, h: int) -> None:
        for y in range(max(0, y0), min(size, y0 + h)):
            for x in range(max(0, x0), min(size, x0 + w)):
                f[y][x] = True

    for i in range(size):
        f[6][i] = f[i][6] = True
    mark(0, 0, 9, 9)
    mark(size - 8, 0, 8, 9)
    mark(0, size - 8, 9, 8)
    if ver > 1:
        n = ver // 7 + 2
        step = (ver * 8 + n * 3 + 5) // (n * 4 - 4) * 2
        pos = sorted([size - 7 - i * step for i in range(n - 1)] + [6])
        for i, a in enumerate(pos):
            for j, b in enumerate(pos):
                if (i, j) not in ((0, 0), (0, len(pos) - 1), (len(pos) - 1, 0)):
                    mark(a - 2, b - 2, 5, 5)
    if ver >= 7:
        mark(size - 11, 0, 3, 6)
        mark(0, size - 11, 6, 3)
    return f


_MASK = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


def read_data_codewords(matrix: list[list[bool]]) -> list[int]:
    """The data codewords of a level-M symbol, unmasked and de-interleaved."""
    size = len(matrix)
    ver = (size - 17) // 4
    fmt = sum(matrix[i][8] << i for i in range(6)) | matrix[7][8] << 6 | matrix[8][8] << 7 | matrix[8][7] << 8
    fmt |= sum(matrix[8][14 - i] << i for i in range(9, 15))
    fmt ^= 0x5412
    assert fmt >> 13 == 0, "EC level is not M"
    mask = _MASK[(fmt >> 10) & 7]
    func = _function_modules(ver, size)
    bits: list[int] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vert in range(size):
            for x in (right, right - 1):
                y = size - 1 - vert if ((right + 1) & 2) == 0 else vert
                if not func[y][x]:
                    bits.append(int(matrix[y][x] ^ mask(x, y)))
    raw = (16 * ver + 128) * ver + 64
    if ver >= 2:
        n = ver // 7 + 2
        raw -= (25 * n - 10) * n - 55 + (36 if ver >= 7 else 0)
    total = raw // 8
    words = [int("".join(map(str, bits[i * 8 : i * 8 + 8])), 2) for i in range(total)]
    nblocks, ecc = _BLOCKS_M[ver], _ECC_M[ver]
    nshort, short_data = nblocks - total % nblocks, total // nblocks - ecc
    blocks: list[list[int]] = [[] for _ in range(nblocks)]
    k = 0
    for i in range(short_data + 1):
        for b in range(nblocks):
            if not (i == short_data and b < nshort):
                blocks[b].append(words[k])
                k += 1
    return [c for blk in blocks for c in blk]


def read_segments(matrix: list[list[bool]]) -> list[tuple[str, int]]:
    """(mode, count) of every segment of a level-M symbol; ("eci", designator) for ECI."""
    ver = (len(matrix) - 17) // 4
    stream = "".join(f"{c:08b}" for c in read_data_codewords(matrix))
    pos = 0
    out: list[tuple[str, int]] = []

    def take(n: int) -> int:
        nonlocal pos
        pos += n
        return int(stream[pos - n : pos], 2)

    while pos + 4 <= len(stream):
        mode = take(4)
        if mode == 0:
            break
        if mode == 0b0111:
            first = take(8)
            if first >> 7 == 0:
                out.append(("eci", first))
            elif first >> 6 == 0b10:
                out.append(("eci", (first & 0x3F) << 8 | take(8)))
            else:
                out.append(("eci", (first & 0x1F) << 16 | take(16)))
            continue
        small, mid, large = {
            0b0001: (10, 12, 14),
            0b0010: (9, 11, 13),
            0b0100: (8, 16, 16),
            0b1000: (8, 10, 12),
        }[mode]
        count = take(small if ver < 10 else mid if ver < 27 else large)
        name = {0b0001: "numeric", 0b0010: "alnum", 0b0100: "byte", 0b1000: "kanji"}[mode]
        out.append((name, count))
        pos += {
            "numeric": 10 * (count // 3) + (0, 4, 7)[count % 3],
            "alnum": 11 * (count // 2) + 6 * (count % 2),
            "byte": 8 * count,
            "kanji": 13 * count,
        }[name]
    return out


# ---------------------------------------------------------------- helpers


def render(matrix: list[list[bool]], scale: int = 3, quiet: int = 4) -> memoryview:
    """Grey image (dark = 0) as the buffer zxing-cpp reads; no numpy needed."""
    n = len(matrix)
    side = (n + 2 * quiet) * scale
    buf = bytearray(b"\xff") * (side * side)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = ((y + quiet) * scale + dy) * side + (x + quiet) * scale
                    buf[start : start + scale] = b"\x00" * scale
    return memoryview(buf).cast("B", (side, side))


def decode(matrix: list[list[bool]], scale: int = 3) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcodes(render(matrix, scale), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0]


PAYLOAD = (
    "ST00011|Name=ООО «Интерра»|PersonalAcc=40702810138250123017|BankName=ПАО СБЕРБАНК|BIC=044525225"
    "|CorrespAcc=30101810400000000225|Sum=100050|Purpose=Оплата по лицевому счету 271556 — интернет"
    "|PayeeINN=7707083893|KPP=770701001|PersAcc=271556|LastName=Иванов|TechCode=09"
).encode("cp1251")


# ---------------------------------------------------------------- tests


def test_payment_payload_round_trip_byte_mode_no_eci() -> None:
    matrix = qr_matrix(PAYLOAD)
    code = decode(matrix)
    assert code.bytes == PAYLOAD
    assert code.ec_level == "M"
    assert code.symbology_identifier == "]Q1"
    assert code.extra["UEC"] == 1.0  # nothing needed correcting: the Reed–Solomon words are right
    assert read_segments(matrix) == [("byte", len(PAYLOAD))]


@pytest.mark.parametrize(("payload", "header_bits"), [(b"x", 12), (b"ST00011|" * 30, 20)])
def test_terminator_and_pad_codewords(payload: bytes, header_bits: int) -> None:
    words = read_data_codewords(qr_matrix(payload))
    used = -(-(header_bits + 8 * len(payload) + 4) // 8)
    assert words[used:] == [0xEC, 0x11] * ((len(words) - used) // 2) + [0xEC] * ((len(words) - used) % 2)
    stream = "".join(f"{c:08b}" for c in words)
    assert stream[header_bits + 8 * len(payload) :][:4] == "0000"


def test_c1_range_bytes_survive() -> None:
    # cp1251 puts “ ” — € № in 0x80–0x9F / 0xB9; a text-based writer would add ECI 26 here.
    payload = "ST00011|Name=“Ъ” — 5 € №1 ‰".encode("cp1251")
    matrix = qr_matrix(payload)
    assert decode(matrix).bytes == payload
    assert read_segments(matrix) == [("byte", len(payload))]


def test_every_byte_value() -> None:
    payload = bytes(range(256))
    matrix = qr_matrix(payload)
    assert decode(matrix).bytes == payload
    assert read_segments(matrix) == [("byte", 256)]


@pytest.mark.parametrize("version", [1, 2, 6, 7, 9, 10, 13, 20, 26, 27, 33, 40])
def test_full_capacity_every_size_class(version: int) -> None:
    rnd = random.Random(version)
    n = byte_capacity(version)
    payload = bytes(rnd.randrange(256) for _ in range(n))
    matrix = qr_matrix(payload)
    assert len(matrix) == 17 + 4 * version
    code = decode(matrix, scale=2 if version > 20 else 3)
    assert code.bytes == payload
    assert code.extra["Version"] == str(version)
    assert read_segments(matrix) == [("byte", n)]


@pytest.mark.parametrize("ec", ["L", "Q", "H"])
def test_other_ec_levels_decode(ec: str) -> None:
    matrix = qr_matrix(PAYLOAD, ec_level=ec)
    code = decode(matrix)
    assert code.bytes == PAYLOAD
    assert code.ec_level == ec


@pytest.mark.parametrize("mask", range(8))
def test_every_mask_decodes(mask: int) -> None:
    matrix = qr_matrix(PAYLOAD, mask=mask)
    code = decode(matrix)
    assert code.bytes == PAYLOAD
    assert code.extra["DataMask"] == mask


def test_smallest_version_is_chosen() -> None:
    assert byte_capacity(40) == 2331  # ISO/IEC 18004 Table 7, 40-M byte mode
    assert byte_capacity(1) == 14
    assert choose_version(14) == 1
    assert choose_version(15) == 2
    assert len(qr_matrix(b"x" * 14)) == 21
    assert len(qr_matrix(b"x" * 15)) == 25


def test_too_long_is_a_user_error() -> None:
    with pytest.raises(QrTooLong) as err:
        qr_matrix(b"x" * 2332)
    assert "2332" in str(err.value)


def test_refuses_text() -> None:
    with pytest.raises(TypeError):
        qr_matrix("ST00011|Name=x")  # type: ignore[arg-type]


def test_fits_gost_print_size() -> None:
    # 5.4.3: module ≥ 0.4064 mm and symbol ≤ 80 mm; a typical payment string must allow both.
    modules = len(qr_matrix(PAYLOAD)) + 8
    assert modules * 0.4064 <= 80


def test_png_decodes() -> None:
    import io

    from PIL import Image

    png = qr_png(PAYLOAD, scale=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.size == ((len(qr_matrix(PAYLOAD)) + 8) * 4,) * 2
    found = zxingcpp.read_barcodes(image)
    assert [c.bytes for c in found] == [PAYLOAD]


def test_zxing_writer_adds_eci_for_bytes() -> None:
    """Why qr.py has its own encoder: zxing-cpp (libzint) marks bytes with ECI 899 and
    splits them into numeric/alphanumeric segments, yet its reader still reports ]Q1.
    If this test starts failing after an upgrade, the writer may have become usable."""
    code = zxingcpp.create_barcode(PAYLOAD, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)
    view = memoryview(image)
    h, w = image.shape
    matrix = [[view[y, x] < 128 for x in range(w)] for y in range(h)]
    segments = read_segments(matrix)
    assert segments[0] == ("eci", 899)
    assert {name for name, _ in segments} > {"byte"}
    assert code.symbology_identifier == "]Q1"
