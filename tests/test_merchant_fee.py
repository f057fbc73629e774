"""The reference wallet's convenience fee (mocks/merchant_codes.fee, R-MPM-10): a fixed fee
(55 02, 56) or a percentage (55 03, 57) of the amount entered, half a fen rounded up; nothing
for a tip prompt (01), a URL code, or a value a wallet skipping the code checks could meet."""

from __future__ import annotations

import pytest

from mocks.merchant_codes import fee
from qrinterop.codes.emv_mpm import Rules, build_payload, with_objects
from qrinterop.profile import load_profile

RULES = Rules.of(load_profile().folder)
STATIC = build_payload([("00", "01"), ("01", "11"), ("26", [("00", "cn.qrinterop.instb"),
                                                            ("01", "M0000001")]),
                        ("52", "5411"), ("53", "156"), ("58", "CN"), ("59", "Tip Cafe"),
                        ("60", "SHANGHAI")])


@pytest.mark.parametrize(("objects", "amount", "expected"), [
    ([("55", "02"), ("56", "1.50")], 2000, 150),
    ([("55", "03"), ("57", "10.00")], 2000, 200),
    ([("55", "03"), ("57", "3.33")], 1015, 34),         # 33.7995 fen → 34
    ([("55", "01")], 2000, 0),
    ([("55", "03"), ("57", "5%")], 2000, 0),
    ([("55", "02"), ("56", "abc")], 2000, 0),
    ([], 2000, 0),
])
def test_the_fee_a_code_adds(objects, amount, expected):
    code = with_objects(STATIC, objects) if objects else STATIC
    assert fee(code, amount, RULES) == expected


def test_a_url_code_adds_no_fee():
    assert fee("https://qr.qrinterop.invalid/40000001/M0000001", 2000, RULES) == 0
