"""Terminal information in CPM purchases and terminal registration (R-CPM-09).

From profile 1.1 an acquirer sends, in every purchase its terminal makes, the terminal's
information (``termInfo``, 银发〔2021〕259号): device type, serial number, IP address and the
encryption random factor, the last digits of the payment code scanned. The switch knows each
acquirer's terminals from the network's registrations (``terminals``, what the acquirer
declared: the terminal of its ICS), as 银办发〔2017〕242号 has terminals registered with the
clearing institution. The profile's ``business.json`` ``terminal`` section says which
messages carry it, how many digits the factor keeps and the refusal code; a profile without
it (1.0) carries no termInfo and checks no terminal.

One module for the three that need it: the reference acquirer builds ``termInfo``, the
switch and the issuer find what is wrong with one, and the checks judge what they saw.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from qrinterop.codes.cpm_cryptogram import CryptogramError, pan_of
from qrinterop.profile import Profile

#: What the reference terminals report when their ICS says nothing else: an auxiliary
#: acceptance terminal (a till's scanner) reached on the loopback interface.
DEFAULT_DEVICE_TYPE = "11"
DEFAULT_DEVICE_IP = "127.0.0.1"


def rule(profile: Profile) -> dict | None:
    """The profile's terminal rule, or None: 1.0 has none (no termInfo, no registration)."""
    found = profile.business.get("terminal")
    return found if isinstance(found, dict) else None


def carried_in(profile: Profile, message: str) -> bool:
    """Whether ``message`` (``cpm.purchase``) carries termInfo under ``profile``."""
    found = rule(profile)
    return found is not None and message in found["info_in"]["value"]


def refusal_code(profile: Profile) -> str:
    """The response code for a purchase refused for its terminal (58 in 1.1)."""
    found = rule(profile)
    return str(found["refusal_code"]["value"]) if found else "58"


def random_factor(code: str, digits: int) -> str:
    """The encryption random factor (加密随机因子) of a payment code: its last ``digits``;
    of an EMV CPM payload, the last digits of its PAN (tag 5A or 57), as UnionPay's public
    termInfo tables say (「若付款码码为EMV二维码，则取其tag57的卡/token号的后6位」). A payload
    whose PAN cannot be read gives the payload's own last characters, which no schema takes."""
    if code.isdigit():
        return code[-digits:]
    try:
        return pan_of(code)[-digits:]
    except CryptogramError:
        return code[-digits:]


def term_info(code: str, terminal: Mapping[str, object], digits: int = 6) -> dict:
    """The termInfo a terminal described like an ICS's ``terminal`` sends for ``code``."""
    device = str(terminal.get("device_type", DEFAULT_DEVICE_TYPE))
    info = {"deviceType": device, "deviceIp": str(terminal.get("ip", DEFAULT_DEVICE_IP)),
            "encryptRandNum": random_factor(code, digits)}
    if device == "10" or terminal.get("serial"):
        info["serialNum"] = str(terminal.get("serial") or f"SN-{terminal.get('id', '')}")
    return info


def with_term_info(profile: Profile, body: dict, terminal: Mapping[str, object]) -> dict:
    """``body`` (a purchase) with the termInfo of ``terminal`` when ``profile`` carries it,
    its termId then the terminal's; unchanged under a profile without the rule."""
    found = rule(profile)
    if found is None or "cpm.purchase" not in found["info_in"]["value"]:
        return body
    digits = int(found["random_factor_digits"]["value"])
    return {**body, "termId": str(terminal.get("id", body.get("termId"))),
            "termInfo": term_info(str(body["code"]), terminal, digits)}


def fault(profile: Profile, body: Mapping[str, object],
          registered: Collection[str] | None = None) -> str | None:
    """What is wrong with a purchase's terminal information, or None: termInfo missing,
    a random factor that is not the code's last digits, a device type the profile does not
    know, or (``registered``: the acquirer's registered termIds, for the switch) a termId
    it did not register."""
    found = rule(profile)
    if found is None:
        return None
    info = body.get("termInfo")
    if not isinstance(info, Mapping):
        return "the purchase carries no termInfo"
    digits = int(found["random_factor_digits"]["value"])
    expected = random_factor(str(body.get("code", "")), digits)
    if info.get("encryptRandNum") != expected:
        return (f"termInfo.encryptRandNum {info.get('encryptRandNum')!r} is not the payment "
                f"code's last {digits} digits")
    if info.get("deviceType") not in found["device_types"]["value"]:
        return f"termInfo.deviceType {info.get('deviceType')!r} is not a known device type"
    if registered is not None and found["registered_only"]["value"] and \
            body.get("termId") not in registered:
        return f"termId {body.get('termId')!r} is not registered by the acquirer"
    return None


def registered_terminals(registration: Mapping[str, object]) -> list[str]:
    """The termIds a participant's registration declares (none: an issuer only)."""
    listed = registration.get("terminals")
    return [str(t) for t in listed] if isinstance(listed, list) else []
