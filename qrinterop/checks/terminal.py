"""Terminal information and true merchant fields in what an acquirer sends (R-CPM-09,
R-FLOW-19).

An acquirer's terminal purchase names the terminal it registered and carries that
terminal's information (``termInfo``: device type, address, the payment code's last digits as
the random factor, ``codes/terminal.py``); its merchant fields are those of the merchant and
terminal its ICS declares, and every MCC anyone sends is one of the national list
(GB/T 20548, the profile's ``codes/mcc.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from qrinterop.checks.consistency import Pair, read, spoilt, where
from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check
from qrinterop.checks.record import Record
from qrinterop.codes import terminal
from qrinterop.codes.emv_mpm import Rules, parse
from qrinterop.profile import Profile

#: The requirement an unknown MCC falls under.
MERCHANT_REQUIREMENT = "R-FLOW-19"


def purchases_from(records: list[Record], sender: str) -> list[Record]:
    """The CPM purchases ``sender`` sent (to the switch), in the order seen."""
    return [r for r in records if r.is_message and r.sender == sender
            and r.msg_type == "cpm.purchase.request"]


@check("R-CPM-09")
def terminal_info_sent(profile: Profile, records: list[Record], sut: str,
                       registered: list[str]) -> list[Violation]:
    """Every purchase the SUT's terminal sent names a terminal it registered and carries
    that terminal's information, its random factor the payment code's last digits."""
    sent = purchases_from(records, sut)
    if not sent:
        return [Violation("cpm.purchase from the SUT", "one at least", "none seen")]
    return [Violation(f"termInfo of {where(record)}", "the registered terminal's "
                      "information (business.json terminal)", wrong)
            for record in sent
            if (wrong := terminal.fault(profile, record.body, registered)) is not None]


@check("R-CPM-09")
def not_relayed(found: list[Exchange]) -> list[Violation]:
    """A purchase the switch refused for its terminal went no further: ``found`` is every
    copy of it that reached the issuer."""
    return [Violation("cpm.purchase relayed to the issuer", "none: refused at the switch",
                      f"{len(found)} cop{'y' if len(found) == 1 else 'ies'}")] if found else []


@check("R-FLOW-19")
def merchant_as_declared(records: list[Record], sut: str,
                         declared: Mapping[str, object]) -> list[Violation]:
    """The merchant fields of every purchase the SUT's terminal sent are those of the
    terminal and merchant its ICS declares (``terminal``: id, merchant_name, mcc, city):
    no other name, no substituted MCC (套码)."""
    expected = {"termId": declared.get("id"), "merchant.name": declared.get("merchant_name"),
                "merchant.mcc": declared.get("mcc"), "merchant.city": declared.get("city")}
    found: list[Violation] = []
    for record in purchases_from(records, sut):
        merchant = record.body.get("merchant") or {}
        said = {"termId": record.body.get("termId"), "merchant.name": merchant.get("name"),
                "merchant.mcc": merchant.get("mcc"), "merchant.city": merchant.get("city")}
        found += [Violation(f"{name} of {where(record)}", f"{value!r}, as the ICS declares",
                            repr(said[name]))
                  for name, value in expected.items() if value is not None and said[name] != value]
    return found


#: The merchant fields an EMV merchant code shows, by the data object that shows each.
CODED = {"mcc": "52", "name": "59", "city": "60"}


@check("R-FLOW-19")
def answer_merchant_as_coded(payload: str, answer: object, rules: Rules) -> list[Violation]:
    """The merchant the SUT's acquirer names in its answer about its own merchant code is
    the one the code shows (MCC, name, city): what the payer saw is what is cleared."""
    body = answer.get("body", {}) if isinstance(answer, dict) else {}
    named = body.get("merchant") if isinstance(body, dict) else None
    merchant: dict = named if isinstance(named, dict) else {}
    coded = parse(payload, rules)
    found: list[Violation] = []
    for field, obj_id in CODED.items():
        shown = coded.get(obj_id)
        if shown is not None and merchant.get(field) != shown.value:
            found.append(Violation(f"merchant.{field} of the SUT's answer",
                                   f"{shown.value!r}, as the merchant code's ID {obj_id} shows",
                                   repr(merchant.get(field))))
    return found


@cache
def _mcc_file(folder: Path) -> frozenset[str] | None:
    path = folder / "codes" / "mcc.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(entry["code"] for entry in data["codes"])


def national_mccs(profile: Profile) -> frozenset[str] | None:
    """The MCCs the profile knows (GB/T 20548, ``codes/mcc.json``); None: the profile has no
    list (1.0), and no MCC is judged."""
    return _mcc_file(Path(profile.folder))


def unknown_mccs_found(profile: Profile, records: list[Record]) -> list[Pair]:
    """Every merchant MCC outside the national list, in any message or reported
    transaction, held against the first party that sent it."""
    known, found, seen = national_mccs(profile), list[Pair](), set[str]()
    if known is None or MERCHANT_REQUIREMENT not in profile.requirements:
        return found
    for record in read(records):
        body = record.body if record.is_message else record.content
        merchant = body.get("merchant") if isinstance(body, dict) else None
        mcc = merchant.get("mcc") if isinstance(merchant, dict) else None
        if mcc is None or mcc in known or mcc in seen:
            continue
        seen.add(str(mcc))
        if not spoilt(record):
            found.append((record, Violation(
                f"merchant.mcc of {where(record)}",
                "an MCC of GB/T 20548 (the profile's codes/mcc.json)", repr(mcc))))
    return found


@check(MERCHANT_REQUIREMENT)
def mccs_national(profile: Profile, records: list[Record]) -> list[Violation]:
    """No message names a merchant category code outside GB/T 20548."""
    return [violation for _, violation in unknown_mccs_found(profile, records)]
