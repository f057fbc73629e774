"""Splitting payloads into data objects, and the parsed :class:`MerchantCode` the switch and
wallets read. Which IDs are templates (and so are split further) is the profile's rules'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qrinterop.codes.emv_mpm.rules import Container, Rules
from qrinterop.codes.emv_mpm.syntax import (
    BYTE_IDS,
    BYTE_LENGTHS,
    CRC_ID,
    IDS,
    LENGTHS,
    PayloadError,
    crc_of,
    join,
)

#: Where a level stops splitting: (offset, problem, ID of the object or None).
Problem = tuple[int, str, str | None]


@dataclass(slots=True)
class DataObject:
    """One ID-length-value object; ``children`` is set for templates."""

    id: str
    value: str
    children: list[DataObject] | None = field(default=None)

    def child(self, sub_id: str) -> DataObject | None:
        return next((c for c in self.children or [] if c.id == sub_id), None)


@dataclass
class MerchantCode:
    """A parsed merchant-presented code, with the checks the switch and wallets rely on."""

    payload: str
    objects: list[DataObject]

    def get(self, obj_id: str) -> DataObject | None:
        return next((o for o in self.objects if o.id == obj_id), None)

    @property
    def crc_ok(self) -> bool:
        """The CRC value matches, in either letter case (upper case is what EMVCo shows;
        whether lower case is acceptable is a policy the linter decides, R-MPM-06)."""
        return self.payload[-4:].upper() == crc_of(self.payload[:-4])

    @property
    def is_static(self) -> bool:
        poi = self.get("01")
        return poi is None or poi.value == "11"

    def account_templates(self) -> list[DataObject]:
        """Merchant account information templates 26-51, in payload order."""
        return [o for o in self.objects if o.children is not None and "26" <= o.id <= "51"]

    def guids(self) -> list[str]:
        return [g.value for t in self.account_templates() if (g := t.child("00"))]


def split(text: str) -> tuple[list[tuple[str, str]], Problem | None]:
    """Split ``text`` into (id, value) pairs, lengths counted in characters. On damage, return
    the pairs read so far and the problem."""
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    lengths_get = LENGTHS.get
    while pos < end:
        obj_id = text[pos:pos + 2]
        length = lengths_get(text[pos + 2:pos + 4])
        if length is None or obj_id not in IDS:
            return pairs, header_problem(text[pos:pos + 4], pos)
        stop = pos + 4 + length
        if stop > end:
            return pairs, truncated(length, end - pos - 4, pos, obj_id)
        pairs.append((obj_id, text[pos + 4:stop]))
        pos = stop
    return pairs, None


def split_bytes(text: str) -> list[tuple[str, str]] | None:
    """Split with lengths read as UTF-8 byte counts (the classic defect); None if that fails
    too, or if it cuts a character in two."""
    data = text.encode("utf-8", "surrogatepass")
    pairs = []
    pos, end = 0, len(data)
    while pos < end:
        obj_id = data[pos:pos + 2]
        length = BYTE_LENGTHS.get(data[pos + 2:pos + 4])
        if length is None or obj_id not in BYTE_IDS or pos + 4 + length > end:
            return None
        try:
            value = data[pos + 4:pos + 4 + length].decode("utf-8")
        except UnicodeDecodeError:
            return None
        pairs.append((obj_id.decode(), value))
        pos += 4 + length
    return pairs


def _gbk_size(char: str) -> int:
    return len(char.encode("gbk")) if char != "\uFFFD" else 2


def _utf16_size(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


#: How legacy code counts a character when it writes an EMV length: GBK bytes (a Chinese
#: character is 2), UTF-16 code units (Java's String.length: a character outside the BMP is 2).
MISCOUNTS = (("GBK bytes", _gbk_size), ("UTF-16 code units", _utf16_size))


def split_miscounted(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Split with lengths read as GBK byte counts or UTF-16 unit counts, whichever reads the
    whole text (and changes something); the count's name and the pairs, or None."""
    for name, size in MISCOUNTS:
        try:
            pairs = _split_sized(text, size)
        except UnicodeEncodeError:     # a character GBK cannot encode: not written as GBK
            continue
        if pairs is not None and any(sum(map(size, v)) != len(v) for _, v in pairs):
            return name, pairs
    return None


def _split_sized(text: str, size: Callable[[str], int]) -> list[tuple[str, str]] | None:
    pairs, pos = [], 0
    while pos < len(text):
        obj_id, head = text[pos:pos + 2], text[pos + 2:pos + 4]
        if not (obj_id.isascii() and obj_id.isdigit() and head.isascii() and head.isdigit()):
            return None
        want, end, used = int(head), pos + 4, 0
        while used < want and end < len(text):
            used += size(text[end])
            end += 1
        if used != want or want == 0:
            return None
        pairs.append((obj_id, text[pos + 4:end]))
        pos = end
    return pairs


def header_problem(head: str, pos: int) -> Problem:
    if len(head) == 4 and head.isascii() and head.isdigit():
        return pos, f"length 00 is not allowed (object at character {pos})", head[:2]
    if len(head) < 4:
        return pos, (f"malformed ID/length {head!r} at character {pos}: fewer than 4 "
                     "characters left"), None
    return pos, (f"malformed ID/length {head!r} at character {pos}: IDs and lengths are two "
                 "digits each"), None


def truncated(length: int, left: int, pos: int, obj_id: str) -> Problem:
    return pos, f"value truncated: length says {length}, {left} left (object at character " \
                f"{pos})", obj_id


def _tree(text: str, path: str, container: Container | None) -> list[DataObject]:
    pairs, problem = split(text)
    if problem is not None:
        _, message, obj_id = problem
        raise PayloadError(message, join(path, obj_id) if obj_id else path)
    objects = []
    for obj_id, value in pairs:
        sub = container.rules[obj_id].container if container else None
        objects.append(DataObject(obj_id, value, None if sub is None
                                  else _tree(value, join(path, obj_id), sub)))
    return objects


def parse_objects(text: str, rules: Rules, path: str = "") -> list[DataObject]:
    """Split ``text`` into data objects, descending into the templates ``rules`` define (26-51,
    62, 64, 80-99 at the root, and 50-99 inside 62 in cn-interconnect 1.0). ``path`` names
    where ``text`` sits ("" for the root)."""
    return _tree(text, path, rules.container_of(path))


def parse(payload: str, rules: Rules) -> MerchantCode:
    """Parse a payload; raises :class:`PayloadError` unless it is structurally an EMV MPM code
    with ``00`` first, ``63`` last and a four-character CRC value."""
    objects = parse_objects(payload, rules)
    if not objects or objects[0].id != "00":
        raise PayloadError("payload format indicator 00 must be the first object", "00")
    if objects[-1].id != CRC_ID or len(objects[-1].value) != 4:
        raise PayloadError("CRC 63 with a 4-character value must be the last object", CRC_ID)
    return MerchantCode(payload, objects)
