"""EMV CPM payloads that carry an application cryptogram, made and checked with test keys.

An EMV consumer-presented payload (:mod:`qrinterop.codes.emv_cpm`) carries, in the transparent
template 63 of its application template, the chip data of the transaction: the application
cryptogram 9F26 (an ARQC), its information data 9F27, the issuer application data 9F10, the
application transaction counter 9F36, the AIP 82 and the unpredictable number 9F37, as the
UnionPay International sample does. The POI forwards that template to the acquirer untouched;
only the issuer checks it (EMV CPM v1.0 §3.1, §7).

Real issuers keep their keys in HSMs. Certification needs a scheme every party can run, with
keys nobody uses in production, so the profile names one (``business.json`` ``emv_cpm``): the
profile's own **test scheme**, built the way EMV Book 2 builds its own, with AES:

- card key ``MK = AES-CMAC(IMK, PAN)``, the PAN as BCD padded with ``F`` (cf. Book 2 A1.4);
- session key ``SK = AES-ECB_MK(ATC || F0 || 00 * 13)`` (cf. Book 2 A1.3, common session key);
- ``ARQC = AES-CMAC(SK, D)[:8]`` over ``D = 9F02 || 9F37 || 82 || 9F36 || 9F10`` (cf. A1.2),
  9F02 being six zero bytes: the code is shown before the amount is known.

Everything here is deterministic given its inputs, so vectors can be regenerated bit for bit.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from qrinterop.codes.emv_cpm import (
    APP,
    APP_TRANSPARENT,
    PAYLOAD_FORMAT,
    PFI,
    CpmCode,
    CpmError,
    Tlv,
    TlvError,
    decode,
    encode,
    parse_pan,
    parse_track2,
)

#: The chip data template 63 carries, in the order the UnionPay International sample has it.
CHIP_TAGS = ("9F26", "9F27", "9F10", "9F36", "82", "9F37")
#: The amount authorised as the cryptogram covers it: unknown when the code is shown.
NO_AMOUNT = bytes(6)


class CryptogramError(ValueError):
    """The payload cannot be checked: not EMV CPM, no PAN, or chip data missing."""


@dataclass(frozen=True, slots=True)
class TestScheme:
    """The profile's test key scheme: issuer master key and the card's fixed data."""

    imk: bytes
    aid: bytes
    label: str
    aip: bytes
    iad: bytes
    cid: bytes

    @classmethod
    def from_value(cls, value: dict) -> TestScheme:
        """From ``business.json`` ``emv_cpm.cryptogram.value``."""
        return cls(bytes.fromhex(value["issuer_master_key"]), bytes.fromhex(value["aid"]),
                   value["label"], bytes.fromhex(value["aip"]), bytes.fromhex(value["iad"]),
                   bytes.fromhex(value["cid"]))


@dataclass(frozen=True, slots=True)
class ChipData:
    """What an issuer reads from a payload: the card's PAN and template 63's contents."""

    pan: str
    atc: int
    values: dict[str, bytes]


def _cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def pan_bytes(pan: str) -> bytes:
    """The PAN as EMV format cn: BCD, padded with F to whole bytes."""
    return bytes.fromhex(pan + "F" * (len(pan) % 2))


def card_key(scheme: TestScheme, pan: str) -> bytes:
    return _cmac(scheme.imk, pan_bytes(pan))


def session_key(scheme: TestScheme, pan: str, atc: int) -> bytes:
    encryptor = Cipher(algorithms.AES(card_key(scheme, pan)), modes.ECB()).encryptor()
    return encryptor.update(atc.to_bytes(2, "big") + b"\xF0" + bytes(13)) + encryptor.finalize()


def arqc(scheme: TestScheme, pan: str, atc: int, un: bytes, aip: bytes, iad: bytes) -> bytes:
    """The application cryptogram the test scheme gives these data."""
    data = NO_AMOUNT + un + aip + atc.to_bytes(2, "big") + iad
    return _cmac(session_key(scheme, pan, atc), data)[:8]


def build(scheme: TestScheme, pan: str, atc: int, un: bytes) -> str:
    """An EMV CPM payload (base64) for ``pan`` with a valid cryptogram for ``atc`` and the
    unpredictable number ``un``: 85, then 61 with 4F, 50, 5A and the transparent template 63."""
    chip = {"9F26": arqc(scheme, pan, atc, un, scheme.aip, scheme.iad), "9F27": scheme.cid,
            "9F10": scheme.iad, "9F36": atc.to_bytes(2, "big"), "82": scheme.aip, "9F37": un}
    app = Tlv.template(APP, [Tlv("4F", scheme.aid), Tlv("50", scheme.label.encode("ascii")),
                             Tlv("5A", pan_bytes(pan)),
                             Tlv.template(APP_TRANSPARENT, [Tlv(t, chip[t]) for t in CHIP_TAGS])])
    return encode([Tlv(PFI, PAYLOAD_FORMAT), app])


def _decoded(payload: str) -> CpmCode:
    try:
        return decode(payload)
    except (CpmError, TlvError, binascii.Error) as exc:
        raise CryptogramError(f"not an EMV CPM payload: {exc}") from None


def _pan(app: Tlv) -> str:
    try:
        if (found := app.child("5A")) is not None:
            return parse_pan(found.value)
        if (track := app.child("57")) is not None:
            return parse_track2(track.value).pan
    except ValueError as exc:
        raise CryptogramError(f"PAN unreadable: {exc}") from None
    raise CryptogramError("no PAN (5A) or track 2 (57) in the application template")


def pan_of(payload: str) -> str:
    """The PAN of the payload's first application template: what the switch routes by."""
    apps = _decoded(payload).applications
    if not apps:
        raise CryptogramError("no application template 61")
    return _pan(apps[0])


def chip_data(payload: str) -> ChipData:
    """The PAN and the chip data of template 63 of the first application template."""
    apps = _decoded(payload).applications
    if not apps:
        raise CryptogramError("no application template 61")
    pan = _pan(apps[0])
    template = apps[0].child(APP_TRANSPARENT)
    values = {c.tag: c.value for c in (template.children or [])} if template else {}
    missing = [tag for tag in CHIP_TAGS if tag not in values]
    if missing:
        raise CryptogramError(f"transparent template 63 lacks {', '.join(missing)}")
    if len(values["9F36"]) != 2 or len(values["9F37"]) != 4:
        raise CryptogramError("ATC 9F36 must be 2 bytes and unpredictable number 9F37 4 bytes")
    return ChipData(pan, int.from_bytes(values["9F36"], "big"), values)


def verify(scheme: TestScheme, payload: str) -> tuple[ChipData | None, str | None]:
    """The payload's chip data and, if its cryptogram does not verify, why (None: it does)."""
    try:
        data = chip_data(payload)
    except CryptogramError as exc:
        return None, str(exc)
    v = data.values
    expected = arqc(scheme, data.pan, data.atc, v["9F37"], v["82"], v["9F10"])
    if v["9F26"] != expected:
        return data, (f"application cryptogram 9F26 {v['9F26'].hex().upper()} does not verify "
                      "over the data of template 63")
    return data, None


def _replaced(tlv: Tlv, tag: str, change: bytes) -> Tlv:
    """``tlv`` with the first byte of every ``tag`` inside it XORed with ``change``."""
    if tlv.children is None:
        if tlv.tag != tag:
            return tlv
        return Tlv(tlv.tag, bytes([tlv.value[0] ^ change[0]]) + tlv.value[1:])
    return Tlv.template(tlv.tag, [_replaced(c, tag, change) for c in tlv.children])


def altered(payload: str, tag: str) -> str:
    """The payload with the first byte of ``tag`` (inside template 61 or 63) flipped: what a
    faulty or dishonest party in transit makes of it. Lengths are kept."""
    code = _decoded(payload)
    return encode([_replaced(o, tag, b"\x01") for o in code.objects])


def stripped(payload: str) -> str:
    """The payload re-encoded without its transparent templates 63 and 64: what a POI that
    keeps only the data it understands forwards."""
    code = _decoded(payload)

    def keep(tlv: Tlv) -> Tlv:
        if tlv.children is None or tlv.tag not in (APP, "62"):
            return tlv
        return Tlv.template(tlv.tag, [c for c in tlv.children if c.tag not in ("63", "64")])
    return encode([keep(o) for o in code.objects])

