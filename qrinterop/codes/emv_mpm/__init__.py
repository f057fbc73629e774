"""EMV merchant-presented QR payloads: parse, validate, encode/decode and describe, each
against the rules of the profile in use.

- :mod:`.syntax`: what every profile shares (two-digit IDs and lengths, the CRC);
- :mod:`.rules`: a profile's per-ID rules (``codes/emv-mpm.json``), compiled once per profile
  folder by :meth:`Rules.of`;
- :mod:`.parse`: splitting a payload into data objects, the parsed :class:`MerchantCode`;
- :mod:`.validate`: every rule checked, every problem a :class:`Finding`;
- :mod:`.encode`: building payloads (and deliberately broken ones), structured values;
- :mod:`.describe`: what a linter shows.

Nothing here picks a profile: a caller passes the :class:`Rules` of the one it works with,
and only the edges (command line, simulators) default to the bundled profile.
"""

from qrinterop.codes.emv_mpm.describe import describe
from qrinterop.codes.emv_mpm.encode import (
    build_payload,
    decode,
    encode,
    encode_objects,
    rehomed,
    utf8_length,
    with_objects,
    with_wrong_crc,
)
from qrinterop.codes.emv_mpm.parse import DataObject, MerchantCode, parse, parse_objects
from qrinterop.codes.emv_mpm.rules import Rules, load_rules, rules_path
from qrinterop.codes.emv_mpm.syntax import CRC_ID, PayloadError, crc16_ccitt_false, crc_of
from qrinterop.codes.emv_mpm.validate import validate

__all__ = [
    "CRC_ID", "DataObject", "MerchantCode", "PayloadError", "Rules", "build_payload",
    "crc16_ccitt_false", "crc_of", "decode", "describe", "encode", "encode_objects",
    "load_rules", "parse", "parse_objects", "rehomed", "rules_path", "utf8_length",
    "validate", "with_objects", "with_wrong_crc",
]
