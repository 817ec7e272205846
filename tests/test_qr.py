"""QR encoder: decoded by zxing-cpp byte-exact, and its bit stream read back independently.

zxing-cpp's ``symbology_identifier`` says ``]Q1`` even for a symbol that carries
ECI 899, so "no ECI" and "one byte-mode segment" are checked here by reading the
data bits out of the module matrix (ISO/IEC 18004: format bits, unmasking,
zigzag placement, block de-interleaving, mode indicators).
"""

from __future__ import annotations

import hashlib
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


# ---------------------------------------------------------------- frozen outputs
#
# Digests of the symbols the original (string/regex based) encoder produced,
# generated with it before the bit-parallel rewrite and pasted here: the mask
# choice and every module must stay exactly as they were.  Versions 1–40, all
# EC levels, random and text and one-byte-repeated payloads, every forced mask.


def _hashed_bytes(seed: str, n: int) -> bytes:
    out = bytearray()
    k = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{k}".encode()).digest()
        k += 1
    return bytes(out[:n])


def _payment_text(seed: int, n: int) -> bytes:
    text = b""
    i = seed
    while len(text) < n:
        text += (
            f"ST00011|Name=ООО «Интерра»|PersonalAcc=4070281013825{i:07d}|Sum={i * 37 % 100000}"
            f"|Purpose=Оплата по лицевому счету {i} — интернет|LastName=Иванов|"
        ).encode("cp1251")
        i += 1
    return text[:n]


def _frozen_cases() -> list[tuple[str, bytes, str, int | None]]:
    cases: list[tuple[str, bytes, str, int | None]] = []
    for version in range(1, 41):
        ec = "LMQH"[version % 4]
        lo = byte_capacity(version - 1, ec) + 1 if version > 1 else 1
        hi = byte_capacity(version, ec)
        n = hi if version % 3 == 0 else (lo + hi) // 2
        data = _hashed_bytes(f"v{version}", n) if version % 2 == 0 else _payment_text(version, n)
        cases.append((f"v{version}-{ec}-{n}", data, ec, None))
    for ec in "LMQH":
        for n in (1, 17, 100, 250, 400):
            cases.append((f"text-{ec}-{n}", _payment_text(n, n), ec, None))
    for n, fill in ((30, 0x00), (200, 0xFF), (120, 0x55), (77, 0xAA), (300, 0x20)):
        cases.append((f"fill{fill:02x}-{n}", bytes([fill]) * n, "M", None))
    cases.append(("bytes-256", bytes(range(256)), "M", None))
    for m in range(8):
        cases.append((f"mask{m}", _payment_text(m, 250), "M", m))
        cases.append((f"mask{m}-v1-H", _hashed_bytes(f"m{m}", 5), "H", m))
    return cases


FROZEN_MATRIX_SHA256 = {  # name → first 32 hex digits of SHA-256 over the rows as 0/1 text
    "v1-M-7": "e86e5c276747e6a9f7b99e84c735ffde",
    "v2-Q-16": "2b38a458d71d19d6c75ee049c3d89c5b",
    "v3-H-24": "0073996d5715f1b32fc6bc67a167bd71",
    "v4-L-66": "08008b91069d253efc194894405a2262",
    "v5-M-73": "8d6c5de39b1dd56baf8a14bf37f40067",
    "v6-Q-74": "3dbb1826080960d67cd2879a7665c99a",
    "v7-H-61": "d2bb6aaa44f407d64f64bd0bc076478e",
    "v8-L-173": "cded9ad064cccf327067a5405d1108a8",
    "v9-M-180": "5d3164a4208df0981018de5a66db733a",
    "v10-Q-141": "3a2d675d0141fdbd27ff3c5b6e71d626",
    "v11-H-128": "2987825232fc6a04a72bc0f194d45f5d",
    "v12-L-367": "2896040758a176653e46ce8112167d2e",
    "v13-M-309": "f7862236fd43abc08930fa5a1f1fa434",
    "v14-Q-250": "93978563d312ecbe3f9655651ec660c1",
    "v15-H-220": "a43d7626833fc7aeee2b52988cec41bb",
    "v16-L-553": "61b30e8e51527227089035e80166d99e",
    "v17-M-477": "ceb687eeb49083fce665f0d2cf271fc1",
    "v18-Q-394": "fc202d4ebd03145ef1dbe0de0fb02d33",
    "v19-H-324": "0142b5587eb97f1d17cd3339ac1c1c1e",
    "v20-L-825": "53b569a3ff6c132d906d8faef87f9f38",
    "v21-M-711": "8027f53bf125277f6abeb44746a53c1b",
    "v22-Q-537": "a1a0dd73b0efffff073f99b9421b10e7",
    "v23-H-450": "8d4c382628e872647e027ffe1a832d03",
    "v24-L-1171": "32aa0217dbc3156c12091a5d690c939a",
    "v25-M-954": "e26c5257073daf567fd758904252cc33",
    "v26-Q-733": "c48db6a40baefeebce8d328a387cf3ab",
    "v27-H-625": "93fa4ae0c826063c18f00435bfea2ad2",
    "v28-L-1497": "f3226f4e4217e05d4ecfa0dc630a5139",
    "v29-M-1227": "2c3cc901813c45dc2638f8cc6b65b87a",
    "v30-Q-982": "b27142fb40b2c53cfff430e7ce9d6750",
    "v31-H-766": "4f0009411c16b260b21fd84edecf93ad",
    "v32-L-1896": "62ca402f42558ffc7d257d7e11b71236",
    "v33-M-1628": "b01a4018b87b08202c5fc2e202115e47",
    "v34-Q-1198": "468e4056c399581ea39d2e857c56d2da",
    "v35-H-971": "8d0d3f38c277421f49ec5c4ccea0c9ec",
    "v36-L-2431": "cf30624ed297044782c14e4215337d06",
    "v37-M-1950": "65c8da4db21aed2eb040f8a2e4cff104",
    "v38-Q-1461": "9752c2e8917bfcbdad9e19411d4dd4c6",
    "v39-H-1219": "ae2ddfdf8104a13a4286ab64f9a03b7a",
    "v40-L-2881": "04e3ed426e66be49cbcdc7923370628f",
    "text-L-1": "7d77c35e6d68ba27de43dbf4235793c3",
    "text-L-17": "b3e5e5cd862f1036acf7d2cbd010a112",
    "text-L-100": "070cb6e882e0282930a40066e9f74c46",
    "text-L-250": "4b935355c1877974315a35306e09acdf",
    "text-L-400": "aa22afed640805a16413cec6195e00d4",
    "text-M-1": "22ce221d38d7a862f5d853fd74154735",
    "text-M-17": "082100cf8005cb261cf9c2b7280ea0de",
    "text-M-100": "cdc0bc68edf9f775cc31f5f2df946eca",
    "text-M-250": "1a29e649341119f22b46d582ab7387a5",
    "text-M-400": "0217f3d543e030d6ee06a922ccef2f11",
    "text-Q-1": "bc419246ed5866eef8184486b617f757",
    "text-Q-17": "a3d890a1b378f871ac61cc82662f6919",
    "text-Q-100": "99feeb80a208cbe0cf992ab286890528",
    "text-Q-250": "bb4cde9c95b9c38baef6c22a86d3d5fd",
    "text-Q-400": "2cb29927ca28b5b312bec61360961b06",
    "text-H-1": "06e997fafd882a96439d6cbb7b2cb9b1",
    "text-H-17": "c7139546f3ff122265d46f9c339cb98a",
    "text-H-100": "8b9bedd42cb0ab75558287ff2bcd495e",
    "text-H-250": "e68182354a74516c83702b0e97815693",
    "text-H-400": "af5274418c0996eeff0d9839ded6492c",
    "fill00-30": "d9677375160281eff62e88f078676fcd",
    "fillff-200": "06b3dff55dd0a7fd6e97c75cef049254",
    "fill55-120": "706f30263e2ae73a1e042ac15016714b",
    "fillaa-77": "7394b5cfd6803d71735311816a13f697",
    "fill20-300": "403c9146391c8158677ee5efcaf28909",
    "bytes-256": "083b1922db3177caed00309b85519bd5",
    "mask0": "aa414748e1e3ace37b75fe5e0fb950cd",
    "mask0-v1-H": "86f3c863b82d08828ea63df5e7430ee7",
    "mask1": "7a5f65420360c83a5b6741e39507e6be",
    "mask1-v1-H": "29e5570eab2a4a95217075c2ccdb620e",
    "mask2": "aec28e71fcc3be754259137137745dae",
    "mask2-v1-H": "e4b346908dee63220fb6bdafc4408561",
    "mask3": "112921cd70cb00734492425f176aaf4a",
    "mask3-v1-H": "f7df36d9db538344fe24c472678d2237",
    "mask4": "3151ae0d423905901741bc61c56102d7",
    "mask4-v1-H": "9ef3c812bc0883263653179502435cfa",
    "mask5": "1fd6c41cac731789ad2c27eb244cb730",
    "mask5-v1-H": "0b175f4d365e6830a9d46cf5f3e28263",
    "mask6": "66e89a02d302ffb6a2d994802e2f7071",
    "mask6-v1-H": "1068415dd84cd3d67e46800ce1f88e37",
    "mask7": "52f15cee73fa6eb9da608522b2001f78",
    "mask7-v1-H": "891279c752a7b229f96f15ffb8b09cf3",
}


FROZEN_PNG_SHA256 = {  # (bytes, scale, quiet zone, EC level) → first 32 hex digits
    (14, 1, 0, "M"): "75462859dac6a57d66259864d4abd921",
    (100, 3, 4, "L"): "44b684ecd4e6dd4d54a9be1fa0f1b7ae",
    (250, 8, 4, "M"): "f1806535f9ecb4b2503dcfcfb26f0740",
    (400, 5, 2, "H"): "50e230a9d5fba32a48badb842bc5aa87",
    (1000, 2, 1, "Q"): "c5b1b3525be4b8cef61eb7da3477e1d6",
}


def _matrix_digest(matrix: list[list[bool]]) -> str:
    text = "\n".join("".join("1" if v else "0" for v in row) for row in matrix)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.mark.parametrize(("name", "payload", "ec", "mask"), _frozen_cases(), ids=lambda v: "")
def test_matrix_identical_to_frozen_reference(name: str, payload: bytes, ec: str, mask: int | None) -> None:
    matrix = qr_matrix(payload, ec_level=ec, mask=mask)
    assert all(type(v) is bool for row in matrix for v in row)
    assert _matrix_digest(matrix) == FROZEN_MATRIX_SHA256[name]


def test_frozen_cases_cover_every_version_level_and_mask() -> None:
    cases = _frozen_cases()
    assert {name for name, *_ in cases} == set(FROZEN_MATRIX_SHA256)
    assert {choose_version(len(p), ec) for _, p, ec, _ in cases} == set(range(1, 41))
    assert {ec for _, _, ec, _ in cases} == set("LMQH")
    # Format bits 10–12 (row 8, columns 4, 3, 2) are the mask number XOR 0b101.
    chosen = set()
    for _, payload, ec, mask in cases:
        if mask is None:
            row = qr_matrix(payload, ec_level=ec)[8]
            chosen.add((row[2] << 2 | row[3] << 1 | row[4]) ^ 0b101)
    assert chosen == set(range(8))  # the automatic choice lands on every mask pattern somewhere


@pytest.mark.parametrize(("n", "scale", "quiet", "ec"), list(FROZEN_PNG_SHA256))
def test_png_identical_to_frozen_reference(n: int, scale: int, quiet: int, ec: str) -> None:
    png = qr_png(_payment_text(n, n), scale, quiet_zone=quiet, ec_level=ec)
    assert hashlib.sha256(png).hexdigest()[:32] == FROZEN_PNG_SHA256[(n, scale, quiet, ec)]


@pytest.mark.parametrize("mask", [-1, 8, 100])
def test_bad_mask_is_refused(mask: int) -> None:
    with pytest.raises(ValueError):
        qr_matrix(b"ST00011|Name=x", mask=mask)
