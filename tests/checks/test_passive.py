"""checks/passive.py over typed records: every observed message against its schema
(R-MSG-01) and its sender's registered key (R-SEC-01), on the reference's recorded purchase
answer (good) and on those of the variants that sign pretty-printed JSON or send the amount as
text (bad). The findings keep report.json's shape (``passive.findings``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrinterop.checks.passive import passive_findings
from qrinterop.checks.record import records
from qrinterop.profile import load_profile
from qrinterop.protocol.crypto import SigningKey, VerifyKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing
from tests.checks.recorded import SUT, transcript

PROFILE = load_profile()
KEYS = Path(__file__).resolve().parents[2] / "mocks" / "keys"


def reference_keys() -> KeyRing:
    """The reference institution's registered key (mocks/keys: published test keys)."""
    ring = KeyRing()
    ring.add(SUT, VerifyKey.load(KEYS / "10000001-sm2-2026.pub.pem"), "10000001-sm2-2026")
    return ring


@pytest.mark.parametrize(("sut", "expected"), [
    ("reference", []),
    ("signs-pretty-json", [("R-SEC-01", 8)]),
    ("purchase-amount-as-text", [("R-MSG-01", 8)]),
])
def test_the_sut_purchase_answer(sut, expected):
    findings = passive_findings(PROFILE, transcript(f"CPM-01-answer.{sut}"), reference_keys())
    assert [(f["requirement"], f["record"]) for f in findings] == expected
    for finding in findings:
        assert set(finding) == {"requirement", "record", "sender", "message"}
        assert finding["sender"] == SUT and finding["message"].startswith(f"{SUT} → 90000000: ")


def _purchase_answer(key, amount):
    body = {"respCode": "00", "respMsg": "成功", "voucherNum": "20261125120000000001",
            "amount": amount, "currency": "156", "payerAccountType": "debit"}
    return seal(Party(SUT, key), "cpm.purchase.response", "90000000", body)


def test_passive_check_flags_schema_and_signature_problems():
    key, other = SigningKey.generate(), SigningKey.generate()
    good = _purchase_answer(key, 3000)
    bad_schema = _purchase_answer(key, "30.00")
    forged = _purchase_answer(other, 3000)
    lines = records([{"n": n, "at": 0.0, "from": SUT, "to": "90000000", "leg": "to-switch",
                      "content": m} for n, m in enumerate([good, bad_schema, forged], 1)])
    ring = KeyRing()
    ring.add(SUT, key.public)
    findings = passive_findings(PROFILE, lines, ring)
    assert [(f["requirement"], f["record"]) for f in findings] == [("R-MSG-01", 2),
                                                                   ("R-SEC-01", 3)]
    assert all(f["sender"] == SUT for f in findings)


def test_passive_check_skips_deliberate_corruption_and_missing_answers():
    lines = records([{"n": 1, "at": 0.0, "from": "90000000", "to": SUT, "leg": "from-switch",
                      "content": {"junk": True}, "deliberate": True},
                     {"n": 2, "at": 0.0, "from": SUT, "to": "90000000", "leg": "to-switch",
                      "content": None, "note": "timeout"},
                     {"n": 3, "at": 0.0, "from": "harness", "to": SUT, "content": {"x": 1}}])
    assert passive_findings(PROFILE, lines, reference_keys()) == []
