"""Building payloads: from (id, value) pairs or a structured value, with a correct CRC, or
deliberately wrong ones for test vectors and defective simulators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union

from qrinterop.codes.emv_mpm.parse import DataObject, parse
from qrinterop.codes.emv_mpm.rules import Rules
from qrinterop.codes.emv_mpm.syntax import CRC_ID, IDS, PayloadError, crc_of, join

#: An object's value: text, or a template's (id, value) pairs.
Pairs = Iterable[tuple[str, Union[str, "list[Any]"]]]
#: A structured value: ID -> text, or a nested mapping for a template.
Structured = Mapping[str, Union[str, "Structured"]]


def encode_objects(objects: Pairs, length: Callable[[str], int] = len) -> str:
    """Serialise ``(id, value)`` pairs; a list value is a template of nested pairs.

    ``length`` counts a value's length: characters, as EMVCo says. Passing another counter
    (UTF-8 bytes) reproduces the commonest defect of real generators, for test vectors and
    deliberately defective simulators."""
    out = []
    for obj_id, value in objects:
        text = value if isinstance(value, str) else encode_objects(value, length)
        size = length(text)
        if not 0 < size <= 99:
            raise PayloadError(f"value length {size} outside 1-99", obj_id)
        out.append(f"{obj_id}{size:02d}{text}")
    return "".join(out)


def build_payload(objects: Pairs, length: Callable[[str], int] = len) -> str:
    """A complete payload: the given objects (``00`` first) followed by a correct CRC."""
    body = encode_objects(objects, length) + CRC_ID + "04"
    return body + crc_of(body)


def utf8_length(text: str) -> int:
    """A value's length in UTF-8 bytes: wrong for EMV (R-MPM-02), common in the wild."""
    return len(text.encode("utf-8"))


def with_wrong_crc(payload: str) -> str:
    """The same payload with a CRC value that does not match: a code damaged or forged."""
    wrong = int(crc_of(payload[:-4]), 16) ^ 0x0001
    return f"{payload[:-4]}{wrong:04X}"


def with_objects(payload: str, objects: Pairs) -> str:
    """``payload`` (CRC last, as EMVCo requires) with ``objects`` added before its CRC, and
    the CRC made right again: a merchant's code given a tip or convenience fee (IDs 55-57)."""
    at = payload.rfind(CRC_ID + "04")
    if at < 0:
        raise PayloadError("no CRC object to add objects before", CRC_ID)
    body = payload[:at] + encode_objects(objects) + CRC_ID + "04"
    return body + crc_of(body)


def rehomed(payload: str, guid: str, to: str) -> str:
    """``payload`` with the merchant account GUID ``guid`` replaced everywhere by ``to``, as
    long, and its CRC value as right, as lower-case or as wrong as it was: a code vector moved
    onto another participant's account breaks the rules it broke, and no other."""
    if len(to) != len(guid):
        raise ValueError(f"GUID {to!r} is not as long as {guid!r}: lengths would change")
    moved = payload.replace(guid, to)
    at = payload.rfind(CRC_ID + "04") + 4       # the CRC value, wherever it was put
    if at < 4 or moved == payload or len(payload) < at + 4:
        return moved
    crc, right, now = payload[at:at + 4], crc_of(payload[:at]), crc_of(moved[:at])
    if crc.upper() == right:
        now = now if crc == right else now.lower()
    elif crc.upper() == now:        # wrong before, and would be right by chance
        now = with_wrong_crc(moved[:at] + now)[-4:]
    else:
        now = crc
    return moved[:at] + now + moved[at + 4:]


# -- structured values ----------------------------------------------------------------------------

def _as_mapping(objects: list[DataObject], path: str) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for obj in objects:
        if obj.id in value:
            raise PayloadError("duplicate ID: a mapping cannot hold it", join(path, obj.id))
        value[obj.id] = (obj.value if obj.children is None
                         else _as_mapping(obj.children, join(path, obj.id)))
    return value


def decode(payload: str, rules: Rules) -> dict[str, Any]:
    """The payload as an ordered mapping ID -> value, templates as nested mappings (63 holds
    the CRC as found). Raises :class:`PayloadError` when the payload does not parse or repeats
    an ID at one level."""
    return _as_mapping(parse(payload, rules).objects, "")


def _encode_object(obj_id: str, value: object, parent: str) -> str:
    path = join(parent, obj_id)
    if obj_id not in IDS:
        raise PayloadError(f"ID {obj_id!r} is not two digits", parent)
    if isinstance(value, str):
        text = value
    elif isinstance(value, Mapping):
        text = "".join(_encode_object(k, v, path) for k, v in value.items())
    else:
        raise PayloadError(f"value must be a string or a mapping, not {type(value).__name__}",
                           path)
    if not 0 < len(text) <= 99:
        raise PayloadError(f"value length {len(text)} outside 1-99", path)
    return f"{obj_id}{len(text):02d}{text}"


def encode(value: Structured, rules: Rules) -> str:
    """The payload of a structured value: objects in the mapping's order, except that the
    rules' first object (00) goes first and their last (63, the CRC) is recomputed and written
    last (in upper case)."""
    first, last = rules.payload.first, rules.payload.last
    parts = []
    if first in value:
        parts.append(_encode_object(first, value[first], ""))
    parts.extend(_encode_object(k, v, "") for k, v in value.items() if k not in (first, last))
    body = "".join(parts) + last + "04"
    return body + crc_of(body)
