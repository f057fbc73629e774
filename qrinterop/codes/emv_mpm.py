"""EMV merchant-presented QR payloads: parse, build and CRC.

Lengths count characters, not bytes, and the CRC runs over UTF-8 bytes (EMV QRCPS MPM v1.0
§4.4, §4.7.3; Annex B carries Chinese text counted this way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

CRC_ID = "63"
#: Templates whose value is itself a list of data objects (MPM v1.0 Table 3.6).
TEMPLATE_IDS = frozenset({*(f"{i:02d}" for i in range(26, 52)), "62", "64",
                          *(f"{i:02d}" for i in range(80, 100))})


class PayloadError(ValueError):
    """The payload is not a well-formed sequence of ID-length-value data objects."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no xorout.
    Table-driven, one lookup per byte: the bitwise form is eight times slower."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def crc_of(payload_through_6304: str) -> str:
    """The four upper-case hex characters that complete a payload ending in ``6304``."""
    return f"{crc16_ccitt_false(payload_through_6304.encode('utf-8')):04X}"


@dataclass
class DataObject:
    """One ID-length-value object; ``children`` is set for templates."""

    id: str
    value: str
    children: list[DataObject] | None = field(default=None)

    def child(self, sub_id: str) -> DataObject | None:
        return next((c for c in self.children or [] if c.id == sub_id), None)


def parse_objects(text: str, path: str = "") -> list[DataObject]:
    """Split ``text`` into data objects, descending into known templates."""
    objects, pos = [], 0
    while pos < len(text):
        head = text[pos:pos + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise PayloadError(f"malformed ID/length {head!r} at character {pos}", path)
        obj_id, length = head[:2], int(head[2:])
        where = f"{path}.{obj_id}" if path else obj_id
        if length == 0:
            raise PayloadError("length 00 is not allowed", where)
        value = text[pos + 4:pos + 4 + length]
        if len(value) < length:
            raise PayloadError(f"value truncated: length says {length}, {len(value)} left", where)
        children = parse_objects(value, where) if not path and obj_id in TEMPLATE_IDS else None
        objects.append(DataObject(obj_id, value, children))
        pos += 4 + length
    return objects


def encode_objects(objects: Iterable[tuple[str, str | list]]) -> str:
    """Serialise ``(id, value)`` pairs; a list value is a template of nested pairs."""
    out = []
    for obj_id, value in objects:
        text = value if isinstance(value, str) else encode_objects(value)
        if not 0 < len(text) <= 99:
            raise PayloadError(f"value length {len(text)} outside 1-99", obj_id)
        out.append(f"{obj_id}{len(text):02d}{text}")
    return "".join(out)


def build_payload(objects: Iterable[tuple[str, str | list]]) -> str:
    """A complete payload: the given objects (``00`` first) followed by a correct CRC."""
    body = encode_objects(objects) + CRC_ID + "04"
    return body + crc_of(body)


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


def parse(payload: str) -> MerchantCode:
    """Parse a payload; raises :class:`PayloadError` unless it is structurally an EMV MPM code
    with ``00`` first, ``63`` last and a four-character CRC value."""
    objects = parse_objects(payload)
    if not objects or objects[0].id != "00":
        raise PayloadError("payload format indicator 00 must be the first object", "00")
    if objects[-1].id != CRC_ID or len(objects[-1].value) != 4:
        raise PayloadError("CRC 63 with a 4-character value must be the last object", CRC_ID)
    return MerchantCode(payload, objects)


def with_wrong_crc(payload: str) -> str:
    """The same payload with a CRC value that does not match: a code damaged or forged."""
    wrong = int(crc_of(payload[:-4]), 16) ^ 0x0001
    return f"{payload[:-4]}{wrong:04X}"
