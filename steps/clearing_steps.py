"""What the two institutions and the switch agree on."""

from behave import then

from qrinterop.runner.vocabulary import expect_equal

AGREED = ("amount", "currency", "voucherNum", "settleDate", "status")


@then("both institutions recorded the same amount, currency, voucher number and settlement date")
def step_ledgers_agree(context):
    outcome = getattr(context, "purchase", None) or context.payment
    voucher = outcome["voucherNum"]
    expect_equal("voucher number from the switch", bool(voucher), True, "R-FLOW-12")
    at_sut, at_peer = context.sut.transaction(voucher), context.peer.transaction(voucher)
    expect_equal("SUT's record vs peer's record",
                 {k: at_sut.get(k) for k in AGREED}, {k: at_peer.get(k) for k in AGREED},
                 "R-FLOW-12")
