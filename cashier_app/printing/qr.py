"""QR code matrix for ГОСТ Р 56042 payment strings: one byte-mode segment, no ECI.

Why an own encoder rather than zxing-cpp's writer: zxing-cpp 3.x writes through
libzint, which (a) adds ECI 899 («binary») to any ``bytes`` content — GOST
5.4.3 says no ECI, since some scanners mishandle it — and (b) splits the data
into numeric / alphanumeric / byte segments.  ``eci="0"`` removes the ECI, but
nothing turns off the segment optimisation, and GOST 5.1 prescribes the 8-bit
byte mode.  This module follows ISO/IEC 18004 for a single byte-mode segment;
the tests decode every symbol with zxing-cpp and read the bit stream back.

``qr_matrix`` gives the module grid (``True`` = dark, no quiet zone) that the
document printer draws as vector rectangles; ``qr_png`` is for screens.
"""

from __future__ import annotations

import re
import struct
import zlib
from functools import cache, lru_cache
from itertools import pairwise

from cashier_app.domain.errors import UserError

Matrix = list[list[bool]]

# ISO/IEC 18004 Table 9, by EC level then version (index 0 unused).
_ECC_PER_BLOCK: dict[str, tuple[int, ...]] = {
    "L": (
        -1,
        7,
        10,
        15,
        20,
        26,
        18,
        20,
        24,
        30,
        18,
        20,
        24,
        26,
        30,
        22,
        24,
        28,
        30,
        28,
        28,
        28,
        28,
        30,
        30,
        26,
        28,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
    ),
    "M": (
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
    ),
    "Q": (
        -1,
        13,
        22,
        18,
        26,
        18,
        24,
        18,
        22,
        20,
        24,
        28,
        26,
        24,
        20,
        30,
        24,
        28,
        28,
        26,
        30,
        28,
        30,
        30,
        30,
        30,
        28,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
    ),
    "H": (
        -1,
        17,
        28,
        22,
        16,
        22,
        28,
        26,
        26,
        24,
        28,
        24,
        28,
        22,
        24,
        24,
        30,
        28,
        28,
        26,
        28,
        30,
        24,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
        30,
    ),
}
_BLOCKS: dict[str, tuple[int, ...]] = {
    "L": (
        -1,
        1,
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        2,
        4,
        4,
        4,
        4,
        4,
        6,
        6,
        6,
        6,
        7,
        8,
        8,
        9,
        9,
        10,
        12,
        12,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        19,
        20,
        21,
        22,
        24,
        25,
    ),
    "M": (
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
    ),
    "Q": (
        -1,
        1,
        1,
        2,
        2,
        4,
        4,
        6,
        6,
        8,
        8,
        8,
        10,
        12,
        16,
        12,
        17,
        16,
        18,
        21,
        20,
        23,
        23,
        25,
        27,
        29,
        34,
        34,
        35,
        38,
        40,
        43,
        45,
        48,
        51,
        53,
        56,
        59,
        62,
        65,
        68,
    ),
    "H": (
        -1,
        1,
        1,
        2,
        4,
        4,
        4,
        5,
        6,
        8,
        8,
        11,
        11,
        16,
        16,
        18,
        16,
        19,
        21,
        25,
        25,
        25,
        34,
        30,
        32,
        35,
        37,
        40,
        42,
        45,
        48,
        51,
        54,
        57,
        60,
        63,
        66,
        70,
        74,
        77,
        81,
    ),
}
_FORMAT_BITS = {"L": 1, "M": 0, "Q": 3, "H": 2}
_BYTE_MODE = 0b0100


class QrTooLong(UserError):
    """The payment string does not fit into the largest QR code."""


# ---------------------------------------------------------------- Reed–Solomon over GF(256)

_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]
del _x, _i


@cache
def _rs_generator(degree: int) -> tuple[int, ...]:
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        poly = nxt
    return tuple(poly[1:])


def _rs_remainder(data: list[int], degree: int) -> list[int]:
    gen = [_LOG[c] if c else -1 for c in _rs_generator(degree)]
    rem = [0] * degree
    for byte in data:
        factor = byte ^ rem[0]
        rem = [*rem[1:], 0]
        if factor:
            lf = _LOG[factor]
            for k, lg in enumerate(gen):
                if lg >= 0:
                    rem[k] ^= _EXP[lg + lf]
    return rem


# ---------------------------------------------------------------- symbol geometry


def _size(version: int) -> int:
    return version * 4 + 17


def _raw_data_modules(version: int) -> int:
    result = (16 * version + 128) * version + 64
    if version >= 2:
        n = version // 7 + 2
        result -= (25 * n - 10) * n - 55
        if version >= 7:
            result -= 36
    return result


def _data_codewords(version: int, ec: str) -> int:
    return _raw_data_modules(version) // 8 - _ECC_PER_BLOCK[ec][version] * _BLOCKS[ec][version]


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    n = version // 7 + 2
    step = (version * 8 + n * 3 + 5) // (n * 4 - 4) * 2
    return sorted([_size(version) - 7 - i * step for i in range(n - 1)] + [6])


def byte_capacity(version: int, ec: str = "M") -> int:
    """Bytes one byte-mode segment can carry in this version and EC level."""
    count_bits = 8 if version < 10 else 16
    return (_data_codewords(version, ec) * 8 - 4 - count_bits) // 8


def choose_version(length: int, ec: str = "M") -> int:
    """Smallest version that holds ``length`` bytes; :class:`QrTooLong` if none."""
    for version in range(1, 41):
        if byte_capacity(version, ec) >= length:
            return version
    raise QrTooLong(
        f"Строка для QR-кода слишком длинная: {length} байт, помещается не больше {byte_capacity(40, ec)}. "
        "Сократите назначение платежа или адрес."
    )


@lru_cache(maxsize=64)
def _template(
    version: int,
) -> tuple[tuple[tuple[bool, ...], ...], tuple[tuple[bool, ...], ...], tuple[int, ...]]:
    """Function patterns, which modules they occupy, and the data modules in placement order."""
    size = _size(version)
    dark = [[False] * size for _ in range(size)]
    func = [[False] * size for _ in range(size)]

    def put(x: int, y: int, on: bool) -> None:
        dark[y][x] = on
        func[y][x] = True

    for i in range(size):
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                x, y = cx + dx, cy + dy
                if 0 <= x < size and 0 <= y < size:
                    put(x, y, max(abs(dx), abs(dy)) not in (2, 4))
    positions = _alignment_positions(version)
    last = len(positions) - 1
    for i, ax in enumerate(positions):
        for j, ay in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    put(ax + dx, ay + dy, max(abs(dx), abs(dy)) != 1)
    # Reserve the format areas; the real bits are drawn once the mask is chosen.
    for i in range(9):
        put(8, i, False)
        put(i, 8, False)
    for i in range(8):
        put(size - 1 - i, 8, False)
        put(8, size - 1 - i, False)
    put(8, size - 8, True)
    if version >= 7:
        rem = version
        for _ in range(12):
            rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
        bits = version << 12 | rem
        for i in range(18):
            on = (bits >> i) & 1 == 1
            a, b = size - 11 + i % 3, i // 3
            put(a, b, on)
            put(b, a, on)

    order: list[int] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not func[y][x]:
                    order.append(y * size + x)
    return (
        tuple(tuple(r) for r in dark),
        tuple(tuple(r) for r in func),
        tuple(order),
    )


_MASKS = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


@lru_cache(maxsize=64)
def _mask_flags(version: int) -> tuple[tuple[bool, ...], ...]:
    size = _size(version)
    order = _template(version)[2]
    return tuple(tuple(mask(pos % size, pos // size) for pos in order) for mask in _MASKS)


def _format_bits(ec: str, mask: int) -> int:
    data = _FORMAT_BITS[ec] << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    return (data << 10 | rem) ^ 0x5412


def _draw_format(grid: list[list[bool]], ec: str, mask: int) -> None:
    size = len(grid)
    bits = _format_bits(ec, mask)

    def bit(i: int) -> bool:
        return (bits >> i) & 1 == 1

    for i in range(6):
        grid[i][8] = bit(i)
    grid[7][8] = bit(6)
    grid[8][8] = bit(7)
    grid[8][7] = bit(8)
    for i in range(9, 15):
        grid[8][14 - i] = bit(i)
    for i in range(8):
        grid[8][size - 1 - i] = bit(i)
    for i in range(8, 15):
        grid[size - 15 + i][8] = bit(i)
    grid[size - 8][8] = True


# ---------------------------------------------------------------- penalty (ISO/IEC 18004 7.8.3)

_RUN5 = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


def _penalty(rows: list[str]) -> int:
    size = len(rows)
    cols = ["".join(r[x] for r in rows) for x in range(size)]
    score = 0
    for line in rows + cols:
        for run in _RUN5.finditer(line):
            score += run.end() - run.start() - 2
        score += 40 * len(_FINDER_LIKE.findall("0000" + line + "0000"))
    ints = [int(r, 2) for r in rows]
    full = (1 << size) - 1
    inner = full >> 1
    for a, b in pairwise(ints):
        na, nb = ~a & full, ~b & full
        blocks = (a & (a >> 1) & b & (b >> 1)) | (na & (na >> 1) & nb & (nb >> 1))
        score += 3 * (blocks & inner).bit_count()
    dark = sum(r.count("1") for r in rows)
    total = size * size
    k = (abs(dark * 20 - total * 10) + total - 1) // total - 1
    return score + 10 * k


# ---------------------------------------------------------------- encoding


def _codewords(payload: bytes, version: int, ec: str) -> list[int]:
    count_bits = 8 if version < 10 else 16
    capacity_bits = _data_codewords(version, ec) * 8
    bits = f"{_BYTE_MODE:04b}{len(payload):0{count_bits}b}" + "".join(f"{b:08b}" for b in payload)
    bits += "0" * min(4, capacity_bits - len(bits))
    bits += "0" * (-len(bits) % 8)
    data = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    pad = 0xEC
    while len(data) < capacity_bits // 8:
        data.append(pad)
        pad ^= 0xEC ^ 0x11

    blocks_n = _BLOCKS[ec][version]
    ecc_len = _ECC_PER_BLOCK[ec][version]
    raw = _raw_data_modules(version) // 8
    short_n = blocks_n - raw % blocks_n
    short_len = raw // blocks_n
    blocks: list[list[int]] = []
    k = 0
    for i in range(blocks_n):
        n = short_len - ecc_len + (0 if i < short_n else 1)
        dat = data[k : k + n]
        k += n
        ecc = _rs_remainder(dat, ecc_len)
        if i < short_n:
            dat = [*dat, 0]
        blocks.append(dat + ecc)
    out: list[int] = []
    for i in range(len(blocks[0])):
        for j, blk in enumerate(blocks):
            # Short blocks carry a placeholder at the position only long blocks fill.
            if i != short_len - ecc_len or j >= short_n:
                out.append(blk[i])
    return out


def qr_matrix(payload: bytes, *, ec_level: str = "M", mask: int | None = None) -> Matrix:
    """Module grid of a QR code holding ``payload`` as one byte-mode segment, no ECI.

    ``True`` is a dark module; the quiet zone (4 modules) is not included.
    ``mask`` forces a mask pattern (0–7); by default the lowest penalty wins.
    """
    if not isinstance(payload, bytes | bytearray):
        raise TypeError("qr_matrix needs bytes; encode the payment string first")
    if ec_level not in _FORMAT_BITS:
        raise ValueError("ec_level must be one of L, M, Q, H")
    if not payload:
        raise ValueError("empty payload")
    version = choose_version(len(payload), ec_level)
    base, _func, order = _template(version)
    size = _size(version)
    codewords = _codewords(bytes(payload), version, ec_level)
    data_bits = [b == "1" for b in "".join(f"{c:08b}" for c in codewords)]
    data_bits += [False] * (len(order) - len(data_bits))
    flat_base = [v for row in base for v in row]

    best: tuple[int, list[bool]] | None = None
    candidates = range(8) if mask is None else (mask,)
    for m in candidates:
        flat = flat_base[:]
        flags = _mask_flags(version)[m]
        for pos, bit, flip in zip(order, data_bits, flags, strict=True):
            flat[pos] = bit != flip
        grid = [flat[y * size : (y + 1) * size] for y in range(size)]
        _draw_format(grid, ec_level, m)
        if mask is not None:
            return grid
        score = _penalty(["".join("1" if v else "0" for v in row) for row in grid])
        if best is None or score < best[0]:
            best = (score, [v for row in grid for v in row])
    assert best is not None
    flat = best[1]
    return [flat[y * size : (y + 1) * size] for y in range(size)]


def qr_png(payload: bytes, scale: int = 8, *, quiet_zone: int = 4, ec_level: str = "M") -> bytes:
    """A black-and-white PNG of the QR code, ``scale`` pixels per module."""
    if scale < 1 or quiet_zone < 0:
        raise ValueError("scale must be ≥ 1 and quiet_zone ≥ 0")
    matrix = qr_matrix(payload, ec_level=ec_level)
    modules = len(matrix) + 2 * quiet_zone
    side = modules * scale
    blank = [False] * quiet_zone
    raw = bytearray()
    for row in (
        [[False] * modules] * quiet_zone
        + [blank + r + blank for r in matrix]
        + [[False] * modules] * quiet_zone
    ):
        # 1-bit greyscale: a set bit is white.
        bits = "".join("0" if dark else "1" for dark in row for _ in range(scale))
        bits += "0" * (-len(bits) % 8)
        line = b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")
        raw += line * scale

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )
