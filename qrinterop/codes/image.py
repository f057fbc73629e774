"""QR images of payment codes: render them, scan them, and check EMVCo's symbology rules.

EMV QRCPS MPM v1.0 §4.1/§4.12 (R-MPM-15): byte mode only (no numeric, alphanumeric, Kanji,
structured append or FNC1), ECI 000026 (UTF-8) when any character is outside the EMV common
character set (printable ASCII 0x20-0x7E), and a payload of at most 512 characters.

What the scanner can tell, found by experiment with zxing-cpp 3.1:

* text, raw content bytes, version and EC level (``Barcode.extra``/``ec_level``), and the
  symbology (model 2 QR Code, Micro QR, rMQR) — directly;
* ECI designators — only through ``TextMode.HexECI``, which yields the AIM transmission
  ``]Q2\\000026…`` (``]Q1`` without ECI); ``Barcode.symbology_identifier`` stays ``]Q1``
  either way, and there is no ``has_eci``/``bytes_eci``/``version`` attribute. The FNC1
  modifiers (``]Q3``-``]Q6``) show up there too;
* segment modes — **not at all**: a code in alphanumeric mode decodes to the same text and
  bytes as one in byte mode. This module therefore samples the module grid itself at the
  corners zxing-cpp reports, unmasks it and parses the segment headers. That reading has no
  Reed-Solomon correction, so it is accepted only when the segments reproduce zxing-cpp's
  bytes exactly; otherwise (a blurred or damaged photo) ``Scan.modes`` is ``None`` and the
  check says the byte-mode rule could not be verified, rather than guessing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import segno
import zxingcpp
from PIL import Image
from segno import consts as segno_consts

from qrinterop.codes.findings import ERROR, LENIENT, WARNING, Finding, Policy

REQUIREMENT = "R-MPM-15"
UTF8_ECI = 26
MAX_CHARS = 512
#: Charsets of the ECIs a payment code might plausibly carry, for readable messages.
ECI_NAMES = {3: "ISO-8859-1", 20: "Shift_JIS", 26: "UTF-8", 28: "Big5", 29: "GB 2312",
             32: "GB 18030"}
BYTE_MODES = frozenset({"byte", "eci"})


class ImageError(ValueError):
    """The input cannot be checked: not an image, or no QR code in it."""


class NoCodeFound(ImageError):
    """A readable image that holds no QR code: a result about the image, not a usage error."""


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scanner reads from one image; the fields describe its first QR symbol."""

    text: str                       # as zxing-cpp presents it (it guesses a charset without ECI)
    data: bytes                     # content bytes, ECI designators removed
    version: int | None             # 1-40; None for Micro QR/rMQR or if not reported
    error_correction: str | None    # "L", "M", "Q" or "H"
    ecis: tuple[int, ...]           # ECI assignment numbers, in symbol order (26 = UTF-8)
    modes: tuple[str, ...] | None   # segment modes, e.g. ("eci", "byte"); None: not readable
    symbology: str = "QR Code"      # zxing-cpp's format name: "QR Code" (model 2), "rMQR Code"
    aim_id: str = "]Q1"             # AIM symbology identifier incl. ECI/FNC1 modifier
    content_type: str = "Text"      # zxing-cpp's ContentType: Text, Binary, GS1, ...
    symbols: int = 1                # QR symbols found in the image

    @property
    def eci(self) -> bool:
        return bool(self.ecis)

    def as_dict(self) -> dict:
        """The symbol's properties as a linter reports them (not the text: that is the code)."""
        return {"version": self.version, "errorCorrection": self.error_correction,
                "eci": list(self.ecis), "modes": list(self.modes) if self.modes else None,
                "symbology": self.symbology, "symbols": self.symbols}


def needs_eci(text: str) -> bool:
    """True if ``text`` has a character outside the EMV common character set (0x20-0x7E)."""
    return any(not " " <= ch <= "~" for ch in text)


# --- rendering -------------------------------------------------------------------------------

def render_png(payload: str, *, scale: int = 4, error: str = "m", eci: bool | None = None,
               mode: str | None = None) -> bytes:
    """A PNG of ``payload`` as a conforming EMV symbol: byte mode, UTF-8, ECI 000026 exactly
    when needed (``eci=None``). ``eci``/``mode`` override that so tests and deliberately
    defective simulators can make non-conforming symbols. The EC level is kept as asked:
    segno would otherwise silently raise it when the version has room, and the harness wants
    to report the level the generator chose."""
    qr = segno.make_qr(payload, error=error, mode=mode or "byte", encoding="utf-8",
                       eci=needs_eci(payload) if eci is None else eci, boost_error=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale)
    return out.getvalue()


# --- scanning --------------------------------------------------------------------------------

def scan_file(path: str | Path) -> Scan:
    """Scan a PNG or JPEG file; an unreadable file is an :class:`ImageError` too."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return scan_png(data)


def scan_png(data: bytes) -> Scan:
    """Scan a PNG or JPEG image (despite the name) for QR symbols.

    Raises :class:`ImageError` if ``data`` is not such an image or holds no QR symbol."""
    image = _open_image(data)
    found = _read(image, zxingcpp.TextMode.HRI)
    if not found:
        raise NoCodeFound("no QR code found in image")
    first = found[0]
    raw = _raw_transmission(image, first)
    aim_id, ecis = _parse_transmission(raw)
    extra = _extra(first)
    version = _int_or_none(extra.get("Version")) if first.format == zxingcpp.QRCode else None
    return Scan(text=first.text, data=bytes(first.bytes), version=version,
                error_correction=first.ec_level or None, ecis=ecis,
                modes=_modes(image, first, version), symbology=str(first.format),
                aim_id=aim_id, content_type=first.content_type.name, symbols=len(found))


def _open_image(data: bytes) -> Image.Image:
    """Decode to 8-bit grey, which both zxing-cpp and the module sampler take; PIL's own
    errors are wrapped so callers see one exception type with a plain message."""
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
        image.load()
        return image.convert("L")
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image too large to scan: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError("not a PNG/JPEG image") from exc


def _read(image: Image.Image, text_mode: zxingcpp.TextMode) -> list[zxingcpp.Barcode]:
    try:
        return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.QRCode),
                                      text_mode=text_mode)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ImageError(f"QR decoder failed on the image: {exc}") from exc


def _raw_transmission(image: Image.Image, first: zxingcpp.Barcode) -> bytes:
    """The first symbol's AIM transmission (identifier, ECI designators, data). zxing-cpp
    exposes ECIs only in this text mode, so the image is read a second time. (Since
    zxing-cpp PR #942, 2025, ``]Q2`` means designators really are in the symbol; older
    releases always claimed the ECI protocol.)"""
    again = _read(image, zxingcpp.TextMode.HexECI)
    match = next((b for b in again if b.bytes == first.bytes), None)
    if match is None:
        raise ImageError("QR decoder gave different results on a second reading")
    return bytes.fromhex(match.text)


def _parse_transmission(raw: bytes) -> tuple[str, tuple[int, ...]]:
    """Split ``]Qm`` + data into the identifier and the ECI numbers. With the ECI protocol
    (modifier 2, 5, 6) a designator is ``\\nnnnnn`` and a data backslash is doubled."""
    aim_id = raw[:3].decode("ascii", "replace")
    if aim_id[-1:] not in ("2", "5", "6"):
        return aim_id, ()
    ecis, pos = [], 3
    while (pos := raw.find(b"\\", pos)) >= 0:
        if raw[pos + 1:pos + 2] == b"\\":
            pos += 2
            continue
        designator = raw[pos + 1:pos + 7]
        if designator.isdigit():
            ecis.append(int(designator))
        pos += 7
    return aim_id, tuple(ecis)


def _extra(found: zxingcpp.Barcode) -> dict:
    """zxing-cpp >= 3.0's symbology details, e.g. {"Version": "12", "DataMask": 2, ...}
    (typed ``object`` in its stubs; a dict, perhaps empty, or None before 3.0)."""
    extra = found.extra
    return extra if isinstance(extra, dict) else {}


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, str | int) and str(value).isdigit() else None


# --- segment modes from the module grid ------------------------------------------------------

def _modes(image: Image.Image, found: zxingcpp.Barcode,
           version: int | None) -> tuple[str, ...] | None:
    """Segment modes of a model 2 symbol, or None when the grid cannot be read faithfully."""
    mask = _int_or_none(_extra(found).get("DataMask"))
    level = found.ec_level
    if version is None or mask is None or level not in segno_consts.ERROR_MAPPING:
        return None
    matrix = _sample(image, found.position, 17 + 4 * version)
    if matrix is None:
        return None
    codewords = _data_codewords(_codewords(matrix, version, mask), version, level)
    segments = _segments(codewords, version)
    if segments is None or b"".join(data for _, data in segments) != bytes(found.bytes):
        return None
    return tuple(name for name, _ in segments)


def _sample(image: Image.Image, position: zxingcpp.Position, size: int) -> list[list[bool]] | None:
    """Dark/light of each module: PIL warps the symbol onto a ``size`` x ``size`` grid (one
    pixel per module, sampled at its centre) through the perspective transform that maps the
    grid onto the four corners zxing-cpp located."""
    corners: list[tuple[float, float]] = [
        (p.x, p.y) for p in (position.top_left, position.top_right, position.bottom_right,
                             position.bottom_left)]
    coefficients = _square_to_quad(corners, size)
    if coefficients is None:
        return None
    grid = image.transform((size, size), Image.Transform.PERSPECTIVE, coefficients,
                           Image.Resampling.NEAREST, fillcolor=255)
    values = grid.tobytes()
    ranked = sorted(values)
    threshold = (ranked[len(ranked) // 20] + ranked[-1 - len(ranked) // 20]) / 2
    return [[v < threshold for v in values[r * size:(r + 1) * size]] for r in range(size)]


def _square_to_quad(quad: list[tuple[float, float]], side: int) -> tuple[float, ...] | None:
    """Coefficients (PIL's order) of the projective map from a ``side`` x ``side`` square
    onto ``quad`` (clockwise from top left), or None for a degenerate quad."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    dx3, dy3 = x0 - x1 + x2 - x3, y0 - y1 + y2 - y3
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    den = dx1 * dy2 - dx2 * dy1
    if den == 0:
        return None
    g, h = (dx3 * dy2 - dx2 * dy3) / den, (dx1 * dy3 - dx3 * dy1) / den
    a, b, d, e = x1 - x0 + g * x1, x3 - x0 + h * x3, y1 - y0 + g * y1, y3 - y0 + h * y3
    return a / side, b / side, x0, d / side, e / side, y0, g / side, h / side


_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
)


@cache
def _function_modules(version: int) -> frozenset[tuple[int, int]]:
    """Modules that carry no data: finders, separators, format and version information,
    timing and alignment patterns (ISO/IEC 18004 §7.3, §7.7)."""
    size, taken = 17 + 4 * version, set[tuple[int, int]]()

    def box(top: int, left: int, rows: int, cols: int) -> None:
        taken.update((r, c) for r in range(top, top + rows) for c in range(left, left + cols))

    for area in ((0, 0, 9, 9), (0, size - 8, 9, 8), (size - 8, 0, 8, 9),  # finders, format
                 (6, 0, 1, size), (0, 6, size, 1)):  # timing
        box(*area)
    centres: Sequence[int] = segno_consts.ALIGNMENT_POS[version - 2] if version > 1 else ()
    for r in centres:
        for c in centres:
            if (r, c) not in {(6, 6), (6, centres[-1]), (centres[-1], 6)}:
                box(r - 2, c - 2, 5, 5)
    if version >= 7:  # version information
        box(0, size - 11, 6, 3)
        box(size - 11, 0, 3, 6)
    return frozenset(taken)


@cache
def _placement(version: int) -> tuple[tuple[int, int], ...]:
    """Data modules in placement order: two-column zigzags from the bottom right, skipping
    the vertical timing column (ISO/IEC 18004 §7.7.3)."""
    size, taken = 17 + 4 * version, _function_modules(version)
    order: list[tuple[int, int]] = []
    upward, col = True, size - 1
    while col > 0:
        if col == 6:
            col = 5
        for row in range(size - 1, -1, -1) if upward else range(size):
            order.extend((row, c) for c in (col, col - 1) if (row, c) not in taken)
        upward, col = not upward, col - 2
    return tuple(order)


def _codewords(matrix: list[list[bool]], version: int, mask: int) -> bytes:
    """All codewords, unmasked, in placement order; remainder bits dropped."""
    flip = _MASKS[mask]
    bits = "".join("1" if matrix[r][c] ^ flip(r, c) else "0" for r, c in _placement(version))
    usable = len(bits) // 8
    return int(bits[:usable * 8], 2).to_bytes(usable, "big")


def _data_codewords(codewords: bytes, version: int, level: str) -> bytes:
    """Undo the block interleaving and drop the error correction codewords. The block
    tables come from segno, the project's encoder, rather than a second hand-typed copy;
    the round-trip tests would catch a change in them."""
    # segno's table mixes micro QR rows keyed by None: mypy infers its values as object.
    table = cast("dict[int, dict[int | None, tuple[Any, ...]]]", segno_consts.ECC)
    groups = table[version][segno_consts.ERROR_MAPPING[level]]
    sizes = [g.num_data for g in groups for _ in range(g.num_blocks)]
    blocks: list[bytearray] = [bytearray() for _ in sizes]
    pos = 0
    for i in range(max(sizes)):
        for block, size in zip(blocks, sizes, strict=True):
            if i < size:
                block.append(codewords[pos])
                pos += 1
    return b"".join(blocks)


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), len(data) * 8

    def read(self, count: int) -> int:
        if count > self.left:
            raise EOFError
        self.left -= count
        return (self.value >> self.left) & ((1 << count) - 1)


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_MODE_NAMES = {1: "numeric", 2: "alphanumeric", 3: "structured append", 4: "byte",
               5: "FNC1", 7: "eci", 8: "kanji", 9: "FNC1", 13: "hanzi"}


def _segments(data: bytes, version: int) -> list[tuple[str, bytes]] | None:
    """(mode, content bytes) per segment, or None if the bit stream does not parse."""
    bits, segments = _Bits(data), []
    try:
        while bits.left >= 4 and (indicator := bits.read(4)):
            name = _MODE_NAMES.get(indicator)
            if name is None:
                return None
            segments.append((name, _segment_data(bits, indicator, version)))
    except EOFError:
        return None
    return segments


def _segment_data(bits: _Bits, indicator: int, version: int) -> bytes:
    """Read one segment after its mode indicator; numeric/alphanumeric/Kanji/Hanzi content
    is returned as the bytes zxing-cpp reports (ASCII, Shift_JIS, GB 2312)."""
    if indicator == 7:
        first = bits.read(8)
        extra = 0 if first < 0x80 else 8 if first < 0xC0 else 16
        bits.read(extra)
        return b""
    if indicator in (3, 9):
        bits.read(16 if indicator == 3 else 8)
        return b""
    if indicator == 5:
        return b""
    if indicator == 13:
        bits.read(4)  # Hanzi subset
    span = 0 if version <= 9 else 1 if version <= 26 else 2
    count = bits.read(segno_consts.CHAR_COUNT_INDICATOR_LENGTH[indicator][span + 1])
    return _READERS[indicator](bits, count)


def _numeric(bits: _Bits, count: int) -> bytes:
    digits = "".join(f"{bits.read(10):03d}" for _ in range(count // 3))
    tail = count % 3
    digits += f"{bits.read(7):02d}" if tail == 2 else f"{bits.read(4)}" if tail == 1 else ""
    return digits.encode("ascii")


def _alphanumeric(bits: _Bits, count: int) -> bytes:
    pairs = [divmod(bits.read(11), 45) for _ in range(count // 2)]
    chars = "".join(_ALNUM[a] + _ALNUM[b] for a, b in pairs)
    return (chars + (_ALNUM[bits.read(6)] if count % 2 else "")).encode("ascii")


def _byte(bits: _Bits, count: int) -> bytes:
    return bytes(bits.read(8) for _ in range(count))


def _double_byte(bits: _Bits, count: int, row: int, low: int, base: int, high: int) -> bytes:
    out = bytearray()
    for _ in range(count):
        packed = bits.read(13)
        value = (packed // row) << 8 | packed % row
        out += (value + (base if value < low else high)).to_bytes(2, "big")
    return bytes(out)


_READERS: dict[int, Callable[[_Bits, int], bytes]] = {
    1: _numeric, 2: _alphanumeric, 4: _byte,
    8: lambda bits, count: _double_byte(bits, count, 0xC0, 0x1F00, 0x8140, 0xC140),
    13: lambda bits, count: _double_byte(bits, count, 0x60, 0x0A00, 0xA1A1, 0xA6A1),
}


# --- the R-MPM-15 check ----------------------------------------------------------------------

def check_symbol(scan: Scan, policy: Policy = LENIENT) -> list[Finding]:
    """Every way the scanned symbol breaks EMVCo's symbology rules (R-MPM-15)."""
    return [*_symbol_findings(scan), *_mode_findings(scan), *_eci_findings(scan),
            *_length_findings(scan, policy)]


def _finding(severity: str, message: str) -> Finding:
    return Finding(REQUIREMENT, severity, "", message)


def _symbol_findings(scan: Scan) -> list[Finding]:
    found = []
    if scan.symbols > 1:
        found.append(_finding(ERROR, f"image holds {scan.symbols} QR symbols; a payment code "
                                     "is one symbol, or wallets may pay the wrong one"))
    if scan.symbology != "QR Code":
        found.append(_finding(ERROR, f"symbol is a {scan.symbology}, not a QR Code model 2 "
                                     "(ISO/IEC 18004)"))
    return found


def _mode_findings(scan: Scan) -> list[Finding]:
    """Modes other than byte. FNC1 is also visible in the AIM identifier, so it is caught
    even when the module grid could not be read; an unread grid is a warning because the
    harness, not the code, fell short (not said for symbols already wrong as a whole)."""
    if scan.modes is None:
        fnc1 = scan.aim_id[-1:] in ("3", "4", "5", "6")
        found = [_finding(ERROR, "FNC1 mode used; EMV allows byte mode only")] if fnc1 else []
        if scan.symbology == "QR Code":
            found.append(_finding(WARNING, "segment modes could not be read from the image; "
                                           "byte-mode-only rule not verified"))
        return found
    bad = sorted(set(scan.modes) - BYTE_MODES)
    if not bad:
        return []
    return [_finding(ERROR, f"{', '.join(bad)} mode used; EMV allows byte mode only")]


def _eci_findings(scan: Scan) -> list[Finding]:
    found = [_finding(ERROR, f"ECI {n:06d} ({ECI_NAMES.get(n, 'unknown charset')}) used; "
                             f"EMV requires ECI {UTF8_ECI:06d} (UTF-8)")
             for n in dict.fromkeys(scan.ecis) if n != UTF8_ECI]
    if not scan.ecis and any(not 0x20 <= b <= 0x7E for b in scan.data):
        found.append(_finding(ERROR, "ECI 000026 missing: the payload has characters outside "
                                     "the EMV common character set (0x20-0x7E)"))
    if UTF8_ECI in scan.ecis and not _is_utf8(scan.data):
        found.append(_finding(ERROR, "ECI 000026 (UTF-8) declared but the bytes are not UTF-8"))
    return found


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _length_findings(scan: Scan, policy: Policy) -> list[Finding]:
    if len(scan.text) <= MAX_CHARS:
        return []
    return [_finding(policy.lenient_severity, f"payload has {len(scan.text)} characters; "
                                              f"EMV recommends at most {MAX_CHARS}")]
