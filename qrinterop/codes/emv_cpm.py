"""EMV consumer-presented QR codes (EMV QRCPS CPM v1.0): BER-TLV, decode, validate, describe.

A CPM code is BER-TLV (EMV Book 3 Annex B) carried as base64 (RFC 4648). The POI decides from
the first bytes whether a scanned code is EMV CPM at all, then picks an application template
by its ADF name and forwards the transparent templates untouched to the acquirer, so the
checks here follow what a POI needs (domain.md §2; requirement R-CPM-01), plus a heuristic
for cleartext card numbers (R-CPM-04).

Decoding keeps everything byte for byte (unknown tags, transparent templates, non-minimal
length fields): a harness that re-encodes a code it forwards must not alter it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qrinterop.codes.findings import ERROR, LENIENT, WARNING, Finding, Policy

R_FORMAT = "R-CPM-01"
R_CLEARTEXT = "R-CPM-04"

#: Base64 of ``85 05 'CPV01'``: how a POI recognises an EMV CPM code (CPM v1.0 §5).
CPM_PREFIX = "hQVDUFY"
PAYLOAD_FORMAT = b"CPV01"
PFI, APP, COMMON = "85", "61", "62"
#: Transparent templates: opaque to the POI, forwarded to the acquirer as they are.
APP_TRANSPARENT, COMMON_TRANSPARENT = "63", "64"
MAX_APPLICATIONS = 2

_B64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class CpmError(ValueError):
    """The text is not an EMV CPM code at all (not base64)."""


class TlvError(ValueError):
    """The bytes are not BER-TLV; ``offset`` is the byte where reading failed."""

    def __init__(self, message: str, path: str, offset: int) -> None:
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message} at byte {offset}")
        self.path = path
        self.offset = offset


# --------------------------------------------------------------------------- BER-TLV


@dataclass
class Tlv:
    """One BER-TLV data object.

    ``value`` is always the raw value bytes; ``children`` holds the decoded contents of a
    constructed object, or ``None`` for a primitive object or a constructed one kept opaque
    because its contents are not BER-TLV. ``length_octets`` records a length field coded in
    more bytes than needed (0 = minimal), so that re-encoding reproduces the input exactly.
    """

    tag: str
    value: bytes = b""
    children: list[Tlv] | None = None
    length_octets: int = 0

    def __post_init__(self) -> None:
        self.tag = self.tag.upper()

    @classmethod
    def template(cls, tag: str, children: list[Tlv]) -> Tlv:
        """A constructed object whose value is the encoding of ``children``."""
        return cls(tag, encode_tlv(children), list(children))

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte (EMV Book 3 Annex B1)."""
        return bool(int(self.tag[:2], 16) & 0x20)

    @property
    def long_length(self) -> bool:
        """The length field uses more bytes than the value length needs."""
        return self.length_octets > _min_length_octets(len(self.value))

    def child(self, tag: str) -> Tlv | None:
        return next((c for c in self.children or [] if c.tag == tag), None)


def _min_length_octets(length: int) -> int:
    return 1 if length < 0x80 else 2 if length <= 0xFF else 3


def _read_tag(data: bytes, pos: int, path: str, base: int) -> int:
    """End of the tag starting at ``pos``: more bytes follow a first byte with low bits 11111,
    while bit 8 of each subsequent byte is set."""
    if data[pos] == 0x00:
        raise TlvError("byte 00 where a tag was expected", path, base + pos)
    end = pos + 1
    if data[pos] & 0x1F == 0x1F:
        while True:
            if end >= len(data):
                raise TlvError("tag truncated", path, base + pos)
            end += 1
            if not data[end - 1] & 0x80:
                break
    return end


def _read_length(data: bytes, pos: int, path: str, base: int) -> tuple[int, int]:
    """(value length, number of length bytes) of the length field at ``pos``."""
    if pos >= len(data):
        raise TlvError("length missing", path, base + pos)
    first = data[pos]
    if first < 0x80:
        return first, 1
    extra = first & 0x7F
    if extra == 0:
        raise TlvError("indefinite length (80) is not allowed", path, base + pos)
    if extra > 2:
        raise TlvError(f"length field {first:02X}: EMV uses at most 81/82", path, base + pos)
    if pos + 1 + extra > len(data):
        raise TlvError("length truncated", path, base + pos)
    return int.from_bytes(data[pos + 1:pos + 1 + extra], "big"), 1 + extra


def _split(data: bytes, path: str, base: int) -> list[tuple[Tlv, int]]:
    """One level of objects, each with the offset of its value; children not decoded."""
    objects, pos = [], 0
    while pos < len(data):
        tag_end = _read_tag(data, pos, path, base)
        length, octets = _read_length(data, tag_end, path, base)
        start = tag_end + octets
        if start + length > len(data):
            tag = data[pos:tag_end].hex().upper()
            raise TlvError(f"value of {tag} truncated: length {length}, "
                           f"{len(data) - start} bytes left", path, base + pos)
        kept = octets if octets > _min_length_octets(length) else 0
        tlv = Tlv(data[pos:tag_end].hex().upper(), data[start:start + length], None, kept)
        objects.append((tlv, base + start))
        pos = start + length
    return objects


def _decode(data: bytes, path: str, base: int, strict: bool) -> list[Tlv]:
    """Decode ``data``; nested constructed objects that fail are an error only if ``strict``."""
    objects = []
    for tlv, value_at in _split(data, path, base):
        if tlv.constructed:
            tlv.children = _children(tlv.value, _join(path, tlv.tag), value_at, strict)
        objects.append(tlv)
    return objects


def _children(value: bytes, path: str, base: int, strict: bool) -> list[Tlv] | None:
    try:
        return _decode(value, path, base, strict)
    except TlvError:
        if strict:
            raise
        return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def decode_tlv(data: bytes, path: str = "") -> list[Tlv]:
    """Decode BER-TLV bytes, descending into every constructed object.

    Raises :class:`TlvError` naming the byte offset (from the start of ``data``) where the
    encoding breaks; ``path`` prefixes the location in messages.
    """
    return _decode(data, path, 0, strict=True)


def _tag_bytes(tag: str) -> bytes:
    """The tag's bytes, refusing a string that is not one well-formed BER tag."""
    try:
        raw = bytes.fromhex(tag)
    except ValueError:
        raise ValueError(f"tag {tag!r} is not hex") from None
    if not raw or raw[0] == 0 or _read_tag_safe(raw) != len(raw):
        raise ValueError(f"tag {tag!r} is not one BER-TLV tag")
    return raw


def _read_tag_safe(raw: bytes) -> int:
    try:
        return _read_tag(raw, 0, "", 0)
    except TlvError:
        return -1


def _length_bytes(length: int, octets: int) -> bytes:
    if length > 0xFFFF:
        raise ValueError(f"value of {length} bytes is longer than EMV lengths allow (65535)")
    size = max(octets, _min_length_octets(length))
    if size == 1:
        return bytes([length])
    if size > 3:
        raise ValueError(f"length field of {size} bytes: EMV uses at most 3")
    return bytes([0x80 | (size - 1)]) + length.to_bytes(size - 1, "big")


def encode_tlv(objects: Iterable[Tlv]) -> bytes:
    """Encode objects; a constructed object with ``children`` is encoded from them, otherwise
    from ``value``. Lengths are minimal unless ``length_octets`` asks for more."""
    out = bytearray()
    for tlv in objects:
        body = encode_tlv(tlv.children) if tlv.children is not None else tlv.value
        out += _tag_bytes(tlv.tag) + _length_bytes(len(body), tlv.length_octets) + body
    return bytes(out)


# --------------------------------------------------------------------------- CPM code


@dataclass
class CpmCode:
    """A decoded EMV CPM code: its root objects in order, nothing dropped."""

    objects: list[Tlv]

    def all(self, tag: str) -> list[Tlv]:
        return [o for o in self.objects if o.tag == tag]

    @property
    def payload_format(self) -> str | None:
        first = self.objects[0] if self.objects else None
        return _text(first.value) if first and first.tag == PFI else None

    @property
    def applications(self) -> list[Tlv]:
        """Application templates 61, in code order (paths number them from 1)."""
        return self.all(APP)

    @property
    def common(self) -> Tlv | None:
        """The (first) common data template 62."""
        return next(iter(self.all(COMMON)), None)


def is_cpm(text: str) -> bool:
    """Whether a POI would try this code as EMV CPM: it starts with base64 of ``85 05 'CPV'``."""
    return text.startswith(CPM_PREFIX)


def _from_base64(text: str) -> tuple[bytes, str | None]:
    """The bytes of ``text``, and a note if it is base64 but not in RFC 4648 canonical form
    (padding missing, unused bits set): POIs differ in whether they accept that."""
    if not _B64_TEXT.fullmatch(text):
        bad = next((i for i, ch in enumerate(text) if not re.fullmatch(r"[A-Za-z0-9+/=]", ch)),
                   None)
        where = (f"character {text[bad]!r} at position {bad}" if bad is not None
                 else "'=' padding misplaced")
        raise CpmError(f"not base64 (RFC 4648): {where}")
    padded = text if "=" in text else text + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(padded, validate=True)
    except binascii.Error as exc:
        raise CpmError(f"not base64 (RFC 4648): {exc}") from None
    canonical = base64.b64encode(data).decode("ascii")
    if canonical == text:
        return data, None
    if canonical == padded:
        return data, "base64 padding '=' is missing (RFC 4648 §3.2 requires it)"
    return data, "base64 is not canonical: unused bits of the last character are set (§3.5)"


def _decode_root(data: bytes) -> list[Tlv]:
    """Root objects; 61 and 62 must be BER-TLV inside, any other constructed object (63, 64,
    unknown templates) is kept opaque when its contents are not."""
    objects, apps = [], 0
    for tlv, value_at in _split(data, "", 0):
        apps += tlv.tag == APP
        name = _root_name(tlv.tag, apps)
        if tlv.tag in (APP, COMMON):
            tlv.children = _decode(tlv.value, name, value_at, strict=False)
        elif tlv.constructed:
            tlv.children = _children(tlv.value, name, value_at, strict=False)
        objects.append(tlv)
    return objects


def _root_name(tag: str, app_number: int) -> str:
    return f"{APP}[{app_number}]" if tag == APP else tag


def decode(text: str) -> CpmCode:
    """Decode a CPM code without judging its content (that is :func:`validate`'s job).

    Like a tolerant POI it accepts base64 without padding. Raises :class:`CpmError` if the
    text is not base64 and :class:`TlvError` (with the byte offset) if it is not BER-TLV.
    """
    data, _ = _from_base64(text)
    return CpmCode(_decode_root(data))


def encode(value: CpmCode | Iterable[Tlv]) -> str:
    """Base64 (RFC 4648, padded) of the BER-TLV encoding: what goes into the QR symbol."""
    objects = value.objects if isinstance(value, CpmCode) else value
    return base64.b64encode(encode_tlv(objects)).decode("ascii")


# --------------------------------------------------------------------------- field rules


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _ans(raw: bytes) -> bool:
    """EMV Book 4 common character set: printable ASCII."""
    return all(0x20 <= b <= 0x7E for b in raw)


def _an(raw: bytes) -> bool:
    return raw.isascii() and raw.isalnum()


def _label(raw: bytes) -> bool:
    """Application label: ans with the special characters limited to space."""
    return all(chr(b).isascii() and (chr(b).isalnum() or b == 0x20) for b in raw)


def _bcd(raw: bytes) -> bool:
    return raw.hex().isdigit()


@dataclass(frozen=True, slots=True)
class Track2:
    """Track 2 equivalent data (57), split into its fields."""

    pan: str
    expiry: str          # YYMM
    service_code: str
    discretionary: str


def parse_track2(value: bytes) -> Track2:
    """Split the nibbles: PAN, 'D', YYMM, service code, discretionary data, 'F' pad.
    Messages never contain the PAN."""
    nibbles = value.hex().upper()
    body = nibbles[:-1] if nibbles.endswith("F") else nibbles
    if "F" in body:
        raise ValueError("'F' padding is allowed only as the last nibble")
    pan, sep, rest = body.partition("D")
    if not sep:
        raise ValueError("field separator 'D' missing")
    if not pan.isdigit() or len(pan) > 19:
        raise ValueError(f"PAN must be 1-19 digits, found {len(pan)} nibbles")
    if not rest.isdigit() or len(rest) < 7:
        raise ValueError("after 'D' expected YYMM expiry, 3-digit service code and digits")
    if not 1 <= int(rest[2:4]) <= 12:
        raise ValueError(f"expiry month {rest[2:4]} is not 01-12")
    return Track2(pan, rest[:4], rest[4:7], rest[7:])


def parse_pan(value: bytes) -> str:
    """Application PAN (5A), format cn: digits, left-justified, trailing 'F' padding."""
    digits = value.hex().upper().rstrip("F")
    if not digits.isdigit() or len(digits) > 19:
        raise ValueError("PAN must be 1-19 digits followed only by 'F' padding")
    return digits


def _parses(parse: Callable[[bytes], object]) -> Callable[[bytes], str | None]:
    """A field check from a parser: the parser's complaint, or None when it parses."""
    def problem(raw: bytes) -> str | None:
        try:
            parse(raw)
        except ValueError as exc:
            return str(exc)
        return None
    return problem


_track2_problem = _parses(parse_track2)
_pan_problem = _parses(parse_pan)


def _format(check: Callable[[bytes], bool], what: str) -> Callable[[bytes], str | None]:
    return lambda raw: None if check(raw) else f"not {what}"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Length in bytes and content of one POI data object (CPM v1.0 Table 6.1)."""

    name: str
    min_len: int
    max_len: int | None
    problem: Callable[[bytes], str | None] | None = None


FIELD_RULES: dict[str, FieldRule] = {
    "4F": FieldRule("ADF name", 5, 16),
    "50": FieldRule("application label", 1, 16,
                    _format(_label, "ans (letters, digits and space only)")),
    "57": FieldRule("track 2 equivalent data", 1, 19, _track2_problem),
    "5A": FieldRule("application PAN", 1, 10, _pan_problem),
    "5F20": FieldRule("cardholder name", 2, 26, _format(_ans, "ans")),
    "5F2D": FieldRule("language preference", 2, 8, _format(_an, "an")),
    "5F50": FieldRule("issuer URL", 1, None, _format(_ans, "ans")),
    "9F08": FieldRule("application version number", 2, 2),
    # Format n, 6 bytes: the digits are BCD (EMV: token requestor ID is n 11 in 6 bytes).
    "9F19": FieldRule("token requestor ID", 6, 6, _format(_bcd, "n (BCD digits)")),
    "9F24": FieldRule("payment account reference", 29, 29, _format(_an, "an")),
    "9F25": FieldRule("last 4 digits of PAN", 2, 2, _format(_bcd, "n (BCD digits)")),
}


def _error(path: str, message: str) -> Finding:
    return Finding(R_FORMAT, ERROR, path, message)


def _length_text(rule: FieldRule) -> str:
    if rule.max_len is None:
        return f"at least {rule.min_len}"
    return str(rule.min_len) if rule.min_len == rule.max_len else f"{rule.min_len}-{rule.max_len}"


def _check_field(tlv: Tlv, path: str) -> list[Finding]:
    rule = FIELD_RULES.get(tlv.tag)
    if rule is None:
        return []          # unknown: ignored, but kept
    size = len(tlv.value)
    if size < rule.min_len or (rule.max_len is not None and size > rule.max_len):
        skipped = tlv.tag == "4F" and path.startswith(APP)
        extra = ": the POI skips this application template" if skipped else ""
        return [_error(path, f"{rule.name} is {size} bytes, must be {_length_text(rule)}"
                             f"{extra}")]
    problem = rule.problem(tlv.value) if rule.problem else None
    return [_error(path, f"{rule.name}: {problem}")] if problem else []


# --------------------------------------------------------------------------- validation


def _check_first(code: CpmCode) -> list[Finding]:
    first = code.objects[0] if code.objects else None
    if first is None or first.tag != PFI:
        found = f"tag {first.tag}" if first else "nothing"
        return [_error(PFI, f"first object is {found}, not payload format indicator 85: "
                            "a POI does not treat this as an EMV CPM code")]
    if first.value != PAYLOAD_FORMAT:
        return [_error(PFI, f"payload format indicator is {_text(first.value)!r}, "
                            "not 'CPV01'")]
    return []


def _check_counts(code: CpmCode) -> list[Finding]:
    apps, commons = len(code.applications), len(code.all(COMMON))
    findings = []
    if apps == 0:
        findings.append(_error(APP, "no application template 61 (mandatory)"))
    if apps > MAX_APPLICATIONS:
        findings.append(_error(f"{APP}[{MAX_APPLICATIONS + 1}]",
                               f"{apps} application templates 61: at most two are allowed"))
    if commons > 1:
        findings.append(_error(COMMON, f"{commons} common data templates 62: at most one"))
    if commons and apps < MAX_APPLICATIONS:
        findings.append(_error(COMMON, "common data template 62 with a single application "
                                       "template: CPM v1.0 Table 3.1 allows 62 only when two "
                                       "application templates 61 are present"))
    return findings


def _check_order(code: CpmCode) -> list[Finding]:
    """85, then the 61s, then 62 must come first; other objects may only follow them."""
    tags = [o.tag for o in code.objects]
    pos = _skip(tags, 0, PFI, once=True)
    pos = _skip(tags, pos, APP, once=False)
    pos = _skip(tags, pos, COMMON, once=True)
    findings, apps = [], tags[:pos].count(APP)
    for tag in tags[pos:]:
        apps += tag == APP
        if tag in (APP, COMMON):
            findings.append(_error(_root_name(tag, apps),
                                   f"{tag} out of order: payload format indicator 85, the "
                                   "application templates 61, then the common data "
                                   "template 62 must come before any other object"))
    return findings


def _skip(tags: list[str], pos: int, tag: str, once: bool) -> int:
    """Position after one (``once``) or all consecutive ``tag`` from ``pos``."""
    while pos < len(tags) and tags[pos] == tag:
        pos += 1
        if once:
            break
    return pos


def _duplicates(objects: list[Tlv], path: str, name: Callable[[str], str]) -> list[Finding]:
    """The same primitive object twice in one template (POI data must be unambiguous)."""
    counts = Counter(o.tag for o in objects if not o.constructed)
    return [_error(_join(path, name(tag)), f"duplicate: {tag} occurs {n} times in this "
                                           "template") for tag, n in counts.items() if n > 1]


def _check_root(code: CpmCode) -> list[Finding]:
    return [*_check_first(code), *_check_counts(code), *_check_order(code),
            *_duplicates(code.objects, "", lambda tag: tag)]


def _check_template(tlv: Tlv, path: str) -> list[Finding]:
    children = tlv.children or []
    findings = _duplicates(children, path, lambda tag: tag)
    for child in children:
        findings += _check_field(child, _join(path, child.tag))
    return findings


def _check_application(app: Tlv, path: str, common: Tlv | None) -> list[Finding]:
    findings = _check_template(app, path)
    if app.child("4F") is None:
        findings.append(_error(f"{path}.4F", "ADF name 4F is mandatory: the POI cannot "
                                             "select this application template"))
    holders = [t for t in (app, common) if t is not None]
    if not any(t.child(tag) is not None for t in holders for tag in ("57", "5A")):
        findings.append(_error(path, "neither track 2 equivalent data 57 nor application "
                                     "PAN 5A, in this template or in 62"))
    if common is not None:
        findings += _cross_duplicates(app, path, common)
    return findings


def _cross_duplicates(app: Tlv, path: str, common: Tlv) -> list[Finding]:
    """A data object must not be both in an application template and in 62."""
    in_app = {c.tag for c in app.children or [] if not c.constructed}
    return [_error(f"{COMMON}.{c.tag}", f"duplicate: {c.tag} is also in {path}")
            for c in common.children or [] if not c.constructed and c.tag in in_app]


def _check_templates(code: CpmCode) -> list[Finding]:
    common = code.common
    findings = []
    for number, app in enumerate(code.applications, 1):
        findings += _check_application(app, f"{APP}[{number}]", common)
    if common is not None:
        findings += _check_template(common, COMMON)
    return findings


def _poi_objects(code: CpmCode, root: bool = True) -> list[tuple[str, Tlv]]:
    """The contents of 61/62 (and, if ``root``, the root objects), with their paths; the
    contents of transparent templates are not POI data and are left out."""
    pairs, apps = [], 0
    for tlv in code.objects:
        apps += tlv.tag == APP
        name = _root_name(tlv.tag, apps)
        if root:
            pairs.append((name, tlv))
        if tlv.tag in (APP, COMMON):
            pairs += [(f"{name}.{c.tag}", c) for c in tlv.children or []]
    return pairs


def _check_lengths(code: CpmCode, policy: Policy) -> list[Finding]:
    """Long-form length where the short form would do: valid BER, but EMV Book 3 Annex B
    codes 0-127 in one byte and some readers reject anything else."""
    return [Finding(R_FORMAT, policy.lenient_severity, path,
                    f"length {len(tlv.value)} coded in {tlv.length_octets} bytes; "
                    f"{_min_length_octets(len(tlv.value))} would do")
            for path, tlv in _poi_objects(code) if tlv.long_length]


def luhn_ok(digits: str) -> bool:
    """ISO/IEC 7812 check digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _pans(code: CpmCode) -> list[tuple[str, str]]:
    """(path, PAN) for every well-formed 57 and 5A in 61 and 62."""
    found = []
    for path, tlv in _poi_objects(code, root=False):
        try:
            if tlv.tag == "57":
                found.append((path, parse_track2(tlv.value).pan))
            elif tlv.tag == "5A":
                found.append((path, parse_pan(tlv.value)))
        except ValueError:
            continue       # reported by the format checks
    return found


def _check_pans(code: CpmCode, token_pan_prefixes: tuple[str, ...]) -> list[Finding]:
    return [Finding(R_CLEARTEXT, WARNING, path,
                    f"cleartext PAN? {mask_pan(pan)} passes Luhn and does not start with a "
                    "known token BIN")
            for path, pan in _pans(code)
            if luhn_ok(pan) and not pan.startswith(token_pan_prefixes)]


def validate(text: str, policy: Policy = LENIENT, token_pan_prefixes: tuple[str, ...] = (),
             ) -> tuple[CpmCode | None, list[Finding]]:
    """Decode and check a CPM code, returning every problem found (R-CPM-01 unless noted).

    The code is ``None`` only if the text is not base64 or not BER-TLV. A Luhn-valid PAN
    not starting with one of ``token_pan_prefixes`` is a warning under R-CPM-04: only the
    caller knows which BINs are token ranges (UnionPay's token PANs start with 62, but so do
    its ordinary card numbers, so "62" is not a default).
    """
    try:
        data, note = _from_base64(text)
    except CpmError as exc:
        return None, [_error("", str(exc))]
    findings = [Finding(R_FORMAT, policy.lenient_severity, "", note)] if note else []
    try:
        code = CpmCode(_decode_root(data))
    except TlvError as exc:
        return None, [*findings, _error(exc.path, f"not BER-TLV: {exc}")]
    findings += [*_check_root(code), *_check_templates(code), *_check_lengths(code, policy),
                 *_check_pans(code, token_pan_prefixes)]
    return code, findings


# --------------------------------------------------------------------------- describe


def mask_pan(pan: str) -> str:
    """First 6 and last 4 digits, the rest '*'; short PANs show the last 4 at most."""
    if len(pan) > 10:
        return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
    keep = min(4, max(len(pan) - 4, 0))
    return "*" * (len(pan) - keep) + pan[len(pan) - keep:]


_TEXT_FIELDS = {"50": "label", "5F20": "cardholderName", "5F2D": "languagePreference",
                "5F50": "issuerUrl", "9F24": "paymentAccountReference"}
_HEX_FIELDS = {"4F": "aid", "9F08": "applicationVersion", "9F19": "tokenRequestorId",
               "9F25": "panLast4"}


def _describe_pan(tlv: Tlv, out: dict) -> None:
    """Masked PAN (and expiry, service code from track 2); discretionary data never shown."""
    try:
        if tlv.tag == "57":
            track = parse_track2(tlv.value)
            out.update(pan=mask_pan(track.pan), expiry=track.expiry,
                       serviceCode=track.service_code)
        else:
            out.setdefault("pan", mask_pan(parse_pan(tlv.value)))
    except ValueError:
        out.setdefault("pan", "(malformed)")


def _transparent(tlv: Tlv) -> dict[str, str]:
    if tlv.children is None:
        return {tlv.tag: tlv.value.hex().upper()}
    return {c.tag: c.value.hex().upper() for c in tlv.children}


def _describe_template(tlv: Tlv, transparent_tag: str) -> dict:
    out: dict = {}
    for child in tlv.children or []:
        if child.tag in ("57", "5A"):
            _describe_pan(child, out)
        elif child.tag in _TEXT_FIELDS:
            out[_TEXT_FIELDS[child.tag]] = _text(child.value)
        elif child.tag in _HEX_FIELDS:
            out[_HEX_FIELDS[child.tag]] = child.value.hex().upper()
        elif child.tag == transparent_tag:
            out.setdefault("transparent", {}).update(_transparent(child))
        else:
            out.setdefault("other", {})[child.tag] = child.value.hex().upper()
    return out


def describe(code: CpmCode) -> dict:
    """The decoded content a linter shows. PANs are masked; the track 2 discretionary data
    (it may carry a dynamic CVV) is left out."""
    common = code.common
    other = {o.tag: o.value.hex().upper() for o in code.objects
             if o.tag not in (PFI, APP, COMMON)}
    out = {"payloadFormat": code.payload_format,
           "applications": [_describe_template(a, APP_TRANSPARENT) for a in code.applications],
           "common": _describe_template(common, COMMON_TRANSPARENT) if common else None}
    if other:
        out["other"] = other
    return out
