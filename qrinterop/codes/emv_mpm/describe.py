"""What a linter shows of a merchant code: its main fields, and every object named by the
profile's rules."""

from __future__ import annotations

from typing import Any

from qrinterop.codes.emv_mpm.parse import DataObject, MerchantCode
from qrinterop.codes.emv_mpm.rules import Container, Rules


def _described(objects: list[DataObject], container: Container | None) -> list[dict[str, Any]]:
    out = []
    for obj in objects:
        rule = container.rules.get(obj.id) if container else None
        out.append({
            "id": obj.id,
            "name": rule.name if rule is not None and rule.defined else None,
            "value": obj.value,
            "children": ([] if obj.children is None else
                         _described(obj.children, rule.container if rule else None)),
        })
    return out


def _first_values(objects: list[DataObject]) -> dict[str, Any]:
    """Sub-ID -> value (a nested mapping for templates); a repeated ID keeps its first value."""
    out: dict[str, Any] = {}
    for obj in objects:
        out.setdefault(obj.id, obj.value if obj.children is None
                       else _first_values(obj.children))
    return out


def _accounts(code: MerchantCode) -> list[dict[str, str | None]]:
    accounts: list[dict[str, str | None]] = []
    for obj in code.objects:
        if "02" <= obj.id <= "51":
            if obj.children is None:
                accounts.append({"id": obj.id, "guid": None, "value": obj.value})
            else:
                guid = obj.child("00")
                accounts.append({"id": obj.id, "guid": guid.value if guid else None})
    return accounts


def describe(code: MerchantCode, rules: Rules) -> dict[str, Any]:
    """The fields a linter shows for a merchant code, with object names from ``rules``."""
    def value(obj_id: str) -> str | None:
        obj = code.get(obj_id)
        return obj.value if obj else None

    poi = value("01")
    fields: dict[str, Any] = {
        "merchantName": value("59"),
        "merchantCity": value("60"),
        "countryCode": value("58"),
        "mcc": value("52"),
        "currency": value("53"),
    }
    if (amount := value("54")) is not None:
        fields["amount"] = amount
    fields["pointOfInitiation"] = {"11": "static", "12": "dynamic"}.get(poi) if poi else None
    fields["merchantAccounts"] = _accounts(code)
    language = code.get("64")
    if language is not None and language.children is not None:
        names = {"00": "language", "01": "merchantName", "02": "merchantCity"}
        fields["alternateLanguage"] = {
            key: (c.value if (c := language.child(sub_id)) else None)
            for sub_id, key in names.items()}
    additional = code.get("62")
    fields["additionalData"] = (_first_values(additional.children)
                                if additional is not None and additional.children else {})
    fields["objects"] = _described(code.objects, rules.root)
    return fields
