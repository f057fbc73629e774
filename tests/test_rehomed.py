"""emv_mpm.rehomed moves a merchant-code vector onto another participant's account (SW-05
shows a switch the invalid vectors on a GUID it routes): every vector breaks exactly the
rules it broke before, and a valid code stays valid."""

from __future__ import annotations

import json

import pytest

from qrinterop.codes.emv_mpm import Rules, build_payload, rehomed, validate
from qrinterop.codes.findings import ERROR
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE
from tests.conftest import ROOT

RULES = Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE))

FROM, TO = "cn.qrinterop.insta", "cn.qrinterop.instb"
VECTORS = [t for g in json.loads((ROOT / "vectors/emv_mpm_test.json").read_text())["testGroups"]
           for t in g["tests"] if FROM in t["payload"]]


def broken(payload: str) -> set[str]:
    code, findings = validate(payload, RULES)
    return {f.requirement for f in findings if f.severity == ERROR} | (
        {"unparsed"} if code is None else set())


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: str(v["tcId"]))
def test_a_vector_breaks_the_same_rules_on_another_account(vector):
    moved = rehomed(vector["payload"], FROM, TO)
    assert FROM not in moved and TO in moved and len(moved) == len(vector["payload"])
    assert broken(moved) == broken(vector["payload"])


def test_a_right_crc_stays_right_and_a_lower_case_one_lower_case():
    codes = (build_payload([("00", "01"), ("01", "11"), ("26", [("00", FROM), ("01", "1")]),
                            ("52", "5812"), ("53", "156"), ("58", "CN"), ("59", name),
                            ("60", "BEIJING")]) for name in ("SHOP", "STORE", "CAFE", "BAR"))
    good = next(c for c in codes if not c[-4:].isdigit())      # a CRC with a letter in it
    assert broken(rehomed(good, FROM, TO)) == set()
    moved = rehomed(good[:-4] + good[-4:].lower(), FROM, TO)
    assert moved[-4:] == rehomed(good, FROM, TO)[-4:].lower() != moved[-4:].upper()


def test_a_guid_of_another_length_is_refused():
    with pytest.raises(ValueError, match="not as long"):
        rehomed("000201", FROM, "cn.other")
