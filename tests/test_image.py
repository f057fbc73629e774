"""QR images: render/scan round trips and the R-MPM-15 symbology check, on real PNG/JPEG
images decoded by zxing-cpp (no mocks: the point is what a real scanner sees)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageDraw
from segno import consts as segno_consts

from qrinterop.codes.findings import ERROR, STRICT, WARNING, has_errors
from qrinterop.codes.image import (
    ImageError,
    Scan,
    check_symbol,
    needs_eci,
    render_png,
    scan_file,
    scan_png,
)

#: EMVCo MPM v1.0 Annex B.7 sample, with Chinese merchant name and city (ID 64).
EMV_SAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
    "770708123456786304A13A"
)
ASCII_SAMPLE = EMV_SAMPLE[:EMV_SAMPLE.index("6420")] + "6304ABCD"


def segno_png(content: object, **options: object) -> bytes:
    """A PNG made by segno directly, for symbols render_png deliberately does not make."""
    out = io.BytesIO()
    segno.make_qr(content, **options).save(out, kind="png", scale=4)
    return out.getvalue()


def messages(scan: Scan, **kwargs: object) -> list[str]:
    return [f"{f.severity}: {f.message}" for f in check_symbol(scan, **kwargs)]


def reencode(png: bytes, change, fmt: str = "PNG") -> bytes:
    """The image after ``change`` (a function of a greyscale PIL image), saved as ``fmt``."""
    out = io.BytesIO()
    change(Image.open(io.BytesIO(png)).convert("L")).save(out, fmt)
    return out.getvalue()


# --- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [ASCII_SAMPLE, "HELLO WORLD 123", "a\\b c:d"])
def test_ascii_round_trip_is_byte_mode_without_eci(payload):
    scan = scan_png(render_png(payload))
    assert (scan.text, scan.data) == (payload, payload.encode())
    assert not scan.eci and scan.aim_id == "]Q1"
    assert scan.modes == ("byte",)
    assert check_symbol(scan) == []


@pytest.mark.parametrize("payload", [EMV_SAMPLE, "最佳运输", "北京\\路 ¥23.72"])
def test_chinese_round_trip_carries_utf8_eci(payload):
    scan = scan_png(render_png(payload))
    assert scan.text == payload
    assert scan.ecis == (26,) and scan.eci and scan.aim_id == "]Q2"
    assert scan.modes == ("eci", "byte")
    assert check_symbol(scan) == []


def test_version_and_error_correction_are_reported_as_asked():
    scan = scan_png(render_png(EMV_SAMPLE))
    assert (scan.version, scan.error_correction, scan.symbols) == (12, "M", 1)
    assert scan_png(render_png("HELLO", error="h")).error_correction == "H"
    assert scan.symbology == "QR Code" and scan.content_type == "Text"


def test_needs_eci_is_the_emv_common_character_set():
    assert not needs_eci(" ~AZaz09")
    assert all(needs_eci(t) for t in ("\t", "\x7f", "é", "北"))


def test_scan_file_reads_png_and_jpeg(tmp_path: Path):
    png = render_png(EMV_SAMPLE)
    jpeg = reencode(png, lambda im: im, "JPEG")
    for name, data in (("code.png", png), ("code.jpg", jpeg)):
        (tmp_path / name).write_bytes(data)
        scan = scan_file(tmp_path / name)
        assert (scan.text, scan.ecis, scan.modes) == (EMV_SAMPLE, (26,), ("eci", "byte"))


@pytest.mark.parametrize("change", [
    lambda im: im.rotate(90, expand=True),
    lambda im: im.rotate(17, expand=True, fillcolor=255),
    lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR),
    lambda im: im.resize((im.width * 3, im.height * 3)),
], ids=["rotated-90", "rotated-17", "half-size", "triple-size"])
def test_modes_are_read_from_turned_and_resized_images(change):
    scan = scan_png(reencode(render_png(EMV_SAMPLE), change))
    assert scan.text == EMV_SAMPLE and scan.modes == ("eci", "byte")


def test_large_symbol_with_version_information_and_many_blocks():
    payload = ("0002010102122630" * 40)[:600]
    scan = scan_png(render_png(payload, scale=2, error="q"))
    assert scan.version is not None and scan.version >= 7
    assert (scan.text, scan.modes) == (payload, ("byte",))


# --- R-MPM-15: modes -------------------------------------------------------------------------

def test_alphanumeric_mode_is_an_error_though_the_text_is_the_same():
    scan = scan_png(render_png("HELLO WORLD 123", mode="alphanumeric"))
    assert scan.text == "HELLO WORLD 123" and scan.modes == ("alphanumeric",)
    assert messages(scan) == ["error: alphanumeric mode used; EMV allows byte mode only"]


def test_mixed_segments_are_all_reported():
    scan = scan_png(segno_png([("000201", segno_consts.MODE_NUMERIC),
                               ("ABC", segno_consts.MODE_ALPHANUMERIC),
                               ("xyz", segno_consts.MODE_BYTE)], error="m"))
    assert scan.modes == ("numeric", "alphanumeric", "byte")
    assert messages(scan) == ["error: alphanumeric, numeric mode used; EMV allows byte mode only"]


@pytest.mark.parametrize(("text", "mode", "name"), [("最佳", None, "kanji"),
                                                    ("最佳运输", "hanzi", "hanzi")])
def test_double_byte_modes_for_chinese_are_errors(text, mode, name):
    """segno's default for text Shift_JIS can hold is Kanji mode; GB 2312 Hanzi mode is
    also possible. Both decode to the right text, and both break the rule."""
    scan = scan_png(segno_png(text, mode=mode))
    assert scan.text == text and scan.modes == (name,)
    assert f"error: {name} mode used; EMV allows byte mode only" in messages(scan)


def test_unreadable_grid_is_a_warning_not_a_guess():
    """Blot out the module holding the first mode bit: zxing-cpp's error correction still
    decodes the symbol, the raw grid no longer reproduces its bytes, so modes are None."""
    def blot(im: Image.Image) -> Image.Image:
        quiet, module, size = 16, 4, 17 + 4 * 12
        corner = quiet + module * (size - 1)
        dark = im.getpixel((corner + 1, corner + 1)) < 128
        ImageDraw.Draw(im).rectangle((corner, corner, corner + module - 1, corner + module - 1),
                                     fill=255 if dark else 0)
        return im

    scan = scan_png(reencode(render_png(EMV_SAMPLE), blot))
    assert scan.text == EMV_SAMPLE and scan.modes is None
    assert messages(scan) == ["warning: segment modes could not be read from the image; "
                              "byte-mode-only rule not verified"]


def test_structured_append_is_an_error():
    sequence = segno.make_sequence("HELLO WORLD " * 10, symbol_count=2, mode="byte", error="m")
    out = io.BytesIO()
    sequence[0].save(out, kind="png", scale=4)
    scan = scan_png(out.getvalue())
    assert scan.modes == ("structured append", "byte")
    assert messages(scan) == ["error: structured append mode used; EMV allows byte mode only"]


def test_fnc1_is_caught_from_the_aim_identifier_even_without_modes():
    scan = Scan(text="0104", data=b"0104", version=1, error_correction="M", ecis=(),
                modes=None, aim_id="]Q3")
    assert "error: FNC1 mode used; EMV allows byte mode only" in messages(scan)


# --- R-MPM-15: ECI ---------------------------------------------------------------------------

def test_chinese_without_eci_is_an_error_whatever_the_decoder_guesses():
    """zxing-cpp 3.1 guesses UTF-8 here and shows the right text; other readers do not, so
    the missing designator is reported from the raw bytes, not the text."""
    scan = scan_png(render_png(EMV_SAMPLE, eci=False))
    assert scan.text == EMV_SAMPLE and not scan.eci and scan.modes == ("byte",)
    assert messages(scan) == ["error: ECI 000026 missing: the payload has characters outside "
                              "the EMV common character set (0x20-0x7E)"]


def test_gb18030_without_eci_decodes_as_garbage_and_is_an_error():
    scan = scan_png(segno_png("最佳运输", mode="byte", encoding="gb18030"))
    assert scan.text != "最佳运输" and scan.data == "最佳运输".encode("gb18030")
    assert any("ECI 000026 missing" in m for m in messages(scan))


@pytest.mark.parametrize(("text", "encoding", "eci"), [("最佳运输", "gb18030", 29),
                                                       ("café", "latin-1", 3)])
def test_eci_other_than_utf8_is_an_error(text, encoding, eci):
    scan = scan_png(segno_png(text, mode="byte", encoding=encoding, eci=True))
    assert scan.text == text and scan.ecis == (eci,)
    assert len(check_symbol(scan)) == 1
    assert f"ECI {eci:06d}" in check_symbol(scan)[0].message


def test_utf8_eci_over_bytes_that_are_not_utf8_is_an_error():
    scan = scan_png(segno_png(b"\xff\xfe00", mode="byte", encoding="utf-8", eci=True))
    assert scan.ecis == (26,)
    assert messages(scan) == ["error: ECI 000026 (UTF-8) declared but the bytes are not UTF-8"]


def test_utf8_eci_on_ascii_is_allowed():
    scan = scan_png(render_png("HELLO", eci=True))
    assert scan.ecis == (26,) and check_symbol(scan) == []


# --- R-MPM-15: length, symbol count, symbology -----------------------------------------------

def test_payload_over_512_characters_is_a_warning_or_strict_error():
    scan = scan_png(render_png("A" * 600, scale=2))
    assert len(scan.text) == 600
    [finding] = check_symbol(scan)
    assert (finding.requirement, finding.severity, finding.path) == ("R-MPM-15", WARNING, "")
    assert "600 characters" in finding.message
    assert [f.severity for f in check_symbol(scan, STRICT)] == [ERROR]
    assert check_symbol(scan_png(render_png("A" * 512, scale=2))) == []


def test_two_symbols_in_one_image_is_an_error():
    first = Image.open(io.BytesIO(render_png("HELLO"))).convert("L")
    second = Image.open(io.BytesIO(render_png("WORLD"))).convert("L")
    both = Image.new("L", (first.width + second.width, max(first.height, second.height)), 255)
    both.paste(first, (0, 0))
    both.paste(second, (first.width, 0))
    out = io.BytesIO()
    both.save(out, "PNG")
    scan = scan_png(out.getvalue())
    assert scan.symbols == 2 and scan.text in ("HELLO", "WORLD")
    assert messages(scan)[0].startswith("error: image holds 2 QR symbols")


def test_micro_qr_is_not_a_payment_symbol():
    out = io.BytesIO()
    segno.make_micro("HELLO").save(out, kind="png", scale=4)
    scan = scan_png(out.getvalue())
    assert scan.symbology == "Micro QR Code" and scan.version is None
    assert has_errors(check_symbol(scan))
    assert not any("could not be read" in m for m in messages(scan))


# --- inputs that cannot be checked -----------------------------------------------------------

def test_png_without_code_raises_image_error():
    out = io.BytesIO()
    Image.new("L", (200, 200), 255).save(out, "PNG")
    with pytest.raises(ImageError, match=r"^no QR code found in image$"):
        scan_png(out.getvalue())


@pytest.mark.parametrize("data", [b"", b"00020101021263040000\n", render_png("HELLO")[:60],
                                  b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"],
                         ids=["empty", "text", "truncated-png", "gif"])
def test_non_image_raises_image_error(data):
    with pytest.raises(ImageError, match=r"^not a PNG/JPEG image$"):
        scan_png(data)


def test_text_file_and_missing_file_raise_image_error(tmp_path: Path):
    text = tmp_path / "payload.txt"
    text.write_text(EMV_SAMPLE, encoding="utf-8")
    with pytest.raises(ImageError, match="not a PNG/JPEG image"):
        scan_file(text)
    with pytest.raises(ImageError, match="cannot read"):
        scan_file(tmp_path / "absent.png")
    assert issubclass(ImageError, ValueError)
