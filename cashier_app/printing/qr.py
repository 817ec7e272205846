"""QR code matrix for ГОСТ Р 56042 payment strings: one byte-mode segment, no ECI.

GOST 5.1 prescribes the 8-bit byte mode and 5.4.3 forbids ECI (some scanners
mishandle it).  ``segno`` and ``qrcode`` can make such a symbol too; this module
is kept for three reasons of its own, not for anything those libraries lack:

* Speed: about 650–2 600 codes/s on one core here (``bench/bench_qr.py``;
  2 575/s for a 250-byte string) against roughly 30–50/s for the pure-Python
  libraries, which matters to the debtors batch (hundreds of ПД-4 a second).
* Frozen output: the documents journal proves a reprint by the PDF's SHA-256,
  so the same payload must give the same modules forever.  Version, mask and
  block layout are decided here and change only with this file — a library
  upgrade that picks another mask would make every old document unreprintable.
* Control of the bit stream: exactly one byte-mode segment, no ECI, no
  segment optimisation, whatever the content looks like; the tests read it back.

(zxing-cpp, used in the tests to decode every symbol, is not a candidate: its
writer adds ECI to ``bytes`` content and splits numeric runs into segments.)
The encoding follows ISO/IEC 18004.

``qr_matrix`` gives the module grid (``True`` = dark, no quiet zone) that the
document printer draws as vector rectangles; ``qr_png`` is for screens.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache, lru_cache
from operator import itemgetter

from cashier_app.domain.errors import UserError
from cashier_app.printing.qr_tables import BLOCKS, ECC_PER_BLOCK

Matrix = list[list[bool]]

# ISO/IEC 18004 Table 9 (codewords per block, number of blocks) lives in qr_tables.
_ECC_PER_BLOCK = ECC_PER_BLOCK
_BLOCKS = BLOCKS
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


@cache
def _rs_products(degree: int) -> tuple[int, ...]:
    """For every factor f, the generator (without its leading 1) times f, packed big-endian in an int."""
    gen = _rs_generator(degree)
    table = [0]
    for f in range(1, 256):
        lf = _LOG[f]
        table.append(int.from_bytes(bytes(_EXP[_LOG[g] + lf] if g else 0 for g in gen), "big"))
    return tuple(table)


def _rs_remainder(data: bytes, degree: int) -> bytes:
    """The ``degree`` error-correction codewords of ``data`` (polynomial division, one byte a step).

    The remainder is kept as one int, first coefficient in the top byte.
    """
    table = _rs_products(degree)
    top = 8 * (degree - 1)
    keep = (1 << top) - 1
    rem = 0
    for byte in data:
        rem = (rem & keep) << 8 ^ table[byte ^ rem >> top]
    return rem.to_bytes(degree, "big")


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


# ---------------------------------------------------------------- bit-parallel symbol layout
#
# The penalty of a masked symbol is computed on one big int that holds every row
# and then every column of the symbol ("lines"), each line framed by four light
# padding modules on both sides, so a shift by one is a step along the line, a
# shift by a whole stride is a step across lines, and the padding keeps runs and
# patterns from leaking from one line into the next.  Positions count from the
# most significant bit (the first character of the binary string), padding included:
#
#   rows:    stride * y + 4 + x            for y in 0..size-1
#   gap:     one all-light stride (keeps 2×2 blocks from pairing row size-1 with column 0)
#   columns: stride * (size + 1 + x) + 4 + y
#
# Both halves hold the same modules, so dark modules and 2×2 blocks are counted
# twice and halved; N1 and N3 need both directions anyway.

_PAD = 4


class _Layout:
    __slots__ = ("full", "gather", "nbits", "planes", "real", "row_shift", "size", "stride")

    def __init__(self, version: int) -> None:
        size = _size(version)
        stride = size + 2 * _PAD
        total = (2 * size + 1) * stride
        dark, func, order = _template(version)
        nbits = _raw_data_modules(version) // 8 * 8
        zero, one = nbits, nbits + 1  # indices of "0" and "1" appended to the data bit string

        def positions(x: int, y: int) -> tuple[int, int]:
            return stride * y + _PAD + x, stride * (size + 1 + x) + _PAD + y

        index = [zero] * total
        real = ["0"] * total
        for y in range(size):
            for x in range(size):
                r, c = positions(x, y)
                real[r] = real[c] = "1"
                if func[y][x]:
                    index[r] = index[c] = one if dark[y][x] else zero
        for k, pos in enumerate(order):
            r, c = positions(pos % size, pos // size)
            index[r] = index[c] = k if k < nbits else zero  # remainder bits are light before masking
        planes = []
        for mask in _MASKS:
            plane = ["0"] * total
            for pos in order:
                x, y = pos % size, pos // size
                if mask(x, y):
                    r, c = positions(x, y)
                    plane[r] = plane[c] = "1"
            planes.append(int("".join(plane), 2))

        self.size = size
        self.stride = stride
        self.nbits = nbits
        self.gather = itemgetter(*index)
        self.real = int("".join(real), 2)
        self.full = (1 << total) - 1
        self.planes = tuple(planes)
        self.row_shift = (size + 1) * stride

    def format_plane(self, ec: str, mask: int) -> int:
        """The 30 format modules (both copies, in rows and columns) for this EC level and mask."""
        size = self.size
        grid = [[False] * size for _ in range(size)]
        _draw_format(grid, ec, mask)
        grid[size - 8][8] = False  # the dark module is part of the function patterns already
        top = self.full.bit_length() - 1
        bits = 0
        for y in range(size):
            for x in range(size) if y == 8 else (8,):  # format modules are all in row 8 or column 8
                if grid[y][x]:
                    for pos in (self.stride * y + _PAD + x, self.stride * (size + 1 + x) + _PAD + y):
                        bits |= 1 << (top - pos)
        return bits


@lru_cache(maxsize=64)
def _layout(version: int) -> _Layout:
    return _Layout(version)


@lru_cache(maxsize=256)
def _mask_planes(version: int, ec: str) -> tuple[int, ...]:
    """Per mask pattern: what to XOR onto the unmasked symbol (data mask and format bits)."""
    layout = _layout(version)
    return tuple(plane ^ layout.format_plane(ec, m) for m, plane in enumerate(layout.planes))


# ---------------------------------------------------------------- penalty (ISO/IEC 18004 7.8.3)


def _penalty(dark: int, layout: _Layout) -> int:
    """N1 + N2 + N3 + N4 of the symbol laid out as described above.

    N1: each run of ≥ 5 same-coloured modules in a row or column scores its length − 2.
    N2: each 2×2 block of one colour scores 3 (overlapping blocks all count).
    N3: each 1:1:3:1:1 finder-like pattern with 4 light modules on one side
        (outside the symbol counts as light) scores 40, each side counted apart.
    N4: 10 per 5 % step the dark share deviates from 50 % (integer formula unchanged).
    """
    light_all = layout.full ^ dark  # with the padding
    light = light_all & layout.real  # without: padding must not lengthen light runs
    score = 0
    # N1 and N2.  ``pairs`` marks a module whose neighbour along the line has its colour;
    # ``run5`` the first module of five in a row; a run of length L ≥ 5 leaves L − 4
    # consecutive marks, and the top mark of each group is one run.
    blocks = 0
    for plane in (dark, light):
        pairs = plane & plane >> 1
        run5 = pairs & pairs >> 2 & plane >> 4
        score += run5.bit_count() + 2 * (run5 & ~(run5 >> 1)).bit_count()
        blocks += (pairs & pairs >> layout.stride).bit_count()
    score += 3 * (blocks >> 1)
    # N3.  core: dark-light-dark-dark-dark-light-dark (symmetric); quiet: 4 light.
    core = dark & light_all >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light_all >> 5 & dark >> 6
    quiet = light_all & light_all >> 1
    quiet &= quiet >> 2
    score += 40 * ((core & quiet >> 7).bit_count() + (quiet & core >> 4).bit_count())
    # N4.
    total = layout.size * layout.size
    k = (abs((dark.bit_count() >> 1) * 20 - total * 10) + total - 1) // total - 1
    return score + 10 * k


# ---------------------------------------------------------------- encoding


def _codewords(payload: bytes, version: int, ec: str) -> bytes:
    """Data and error-correction codewords, interleaved (ISO/IEC 18004 7.6)."""
    count_bits = 8 if version < 10 else 16
    capacity = _data_codewords(version, ec)
    # Mode, count, the bytes, and the 4-bit terminator: the header is 12 or 20 bits,
    # so the terminator always fits (capacity is whole bytes) and ends on a byte boundary.
    used = (4 + count_bits + 8 * len(payload) + 4) // 8
    header = _BYTE_MODE << count_bits | len(payload)
    stream = (header << 8 * len(payload) | int.from_bytes(payload, "big")) << 4
    data = stream.to_bytes(used, "big") + (b"\xec\x11" * ((capacity - used + 1) // 2))[: capacity - used]

    blocks_n = _BLOCKS[ec][version]
    ecc_len = _ECC_PER_BLOCK[ec][version]
    raw = _raw_data_modules(version) // 8
    short_n = blocks_n - raw % blocks_n
    short_data = raw // blocks_n - ecc_len
    datas: list[bytes] = []
    eccs: list[bytes] = []
    k = 0
    for i in range(blocks_n):
        n = short_data + (0 if i < short_n else 1)
        dat = data[k : k + n]
        k += n
        datas.append(dat)
        eccs.append(_rs_remainder(dat, ecc_len))
    out = bytearray()
    for i in range(short_data):
        out += bytes(dat[i] for dat in datas)
    out += bytes(dat[short_data] for dat in datas[short_n:])  # only long blocks have this one
    for i in range(ecc_len):
        out += bytes(ecc[i] for ecc in eccs)
    return bytes(out)


def _symbol_rows(payload: bytes | bytearray, ec_level: str, mask: int | None) -> list[str]:
    """The rows of the symbol as strings of "1" (dark) and "0"."""
    if not isinstance(payload, bytes | bytearray):
        raise TypeError("qr_matrix needs bytes; encode the payment string first")
    if ec_level not in _FORMAT_BITS:
        raise ValueError("ec_level must be one of L, M, Q, H")
    if not payload:
        raise ValueError("empty payload")
    if mask is not None and mask not in range(8):
        raise ValueError("mask must be 0–7")
    version = choose_version(len(payload), ec_level)
    layout = _layout(version)
    codewords = _codewords(bytes(payload), version, ec_level)
    data_bits = format(int.from_bytes(codewords, "big"), f"0{layout.nbits}b") + "01"
    unmasked = int("".join(layout.gather(data_bits)), 2)
    planes = _mask_planes(version, ec_level)

    if mask is not None:
        best = unmasked ^ planes[mask]
    else:
        best, best_score = 0, -1
        for plane in planes:
            candidate = unmasked ^ plane
            score = _penalty(candidate, layout)
            if best_score < 0 or score < best_score:  # the first of equal scores wins
                best, best_score = candidate, score
    size, stride = layout.size, layout.stride
    rows = format(best >> layout.row_shift, f"0{size * stride}b")
    return [rows[y * stride + _PAD : y * stride + _PAD + size] for y in range(size)]


_IS_DARK = "1".__eq__


def qr_matrix(payload: bytes, *, ec_level: str = "M", mask: int | None = None) -> Matrix:
    """Module grid of a QR code holding ``payload`` as one byte-mode segment, no ECI.

    ``True`` is a dark module; the quiet zone (4 modules) is not included.
    ``mask`` forces a mask pattern (0–7); by default the lowest penalty wins.
    """
    return [list(map(_IS_DARK, row)) for row in _symbol_rows(payload, ec_level, mask)]


def qr_png(payload: bytes, scale: int = 8, *, quiet_zone: int = 4, ec_level: str = "M") -> bytes:
    """A black-and-white PNG of the QR code, ``scale`` pixels per module."""
    if scale < 1 or quiet_zone < 0:
        raise ValueError("scale must be ≥ 1 and quiet_zone ≥ 0")
    rows = _symbol_rows(payload, ec_level, None)
    modules = len(rows) + 2 * quiet_zone
    side = modules * scale
    width = (side + 7) // 8
    # 1-bit greyscale: a set bit is white; each line padded with 0 bits to a whole byte.
    pixels = str.maketrans({"1": "0" * scale, "0": "1" * scale})
    margin = "1" * (quiet_zone * scale)
    tail = "0" * (-side % 8)
    blank = b"\x00" + int("1" * side + tail, 2).to_bytes(width, "big")
    raw = bytearray(blank * (scale * quiet_zone))
    for row in rows:
        line = b"\x00" + int(margin + row.translate(pixels) + margin + tail, 2).to_bytes(width, "big")
        raw += line * scale
    raw += blank * (scale * quiet_zone)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )
