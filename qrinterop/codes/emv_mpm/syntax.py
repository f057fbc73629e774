"""The fixed syntax of EMV merchant-presented payloads, the same in every profile: two-digit
IDs and lengths, and the CRC that closes a payload (EMV QRCPS MPM v1.0 §4.4, §4.7.3).

Lengths count characters, not bytes, and the CRC runs over UTF-8 bytes (Annex B carries
Chinese text counted this way). What each ID means is the profile's: :mod:`.rules`.
"""

from __future__ import annotations

import binascii

CRC_ID = "63"

# Header lookups: one dict hit both checks the two digits and converts them.
LENGTHS = {f"{i:02d}": i for i in range(1, 100)}
IDS = frozenset(f"{i:02d}" for i in range(100))
BYTE_LENGTHS = {k.encode(): v for k, v in LENGTHS.items()}
BYTE_IDS = frozenset(k.encode() for k in IDS)
HEX = frozenset("0123456789ABCDEFabcdef")


class PayloadError(ValueError):
    """The payload is not a well-formed sequence of ID-length-value data objects."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no xorout.
    ``binascii.crc_hqx`` is exactly this CRC, computed in C."""
    return binascii.crc_hqx(data, 0xFFFF)


def crc_of(payload_through_6304: str) -> str:
    """The four upper-case hex characters that complete a payload ending in ``6304``."""
    return f"{binascii.crc_hqx(payload_through_6304.encode('utf-8'), 0xFFFF):04X}"


def join(path: str, obj_id: str) -> str:
    """The path of object ``obj_id`` inside the object at ``path`` ("" is the root)."""
    return f"{path}.{obj_id}" if path else obj_id
