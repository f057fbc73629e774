"""What the two institutions and the switch agree on."""

from behave import then, when

from qrinterop.runner.reconcile import disagreements
from qrinterop.runner.vocabulary import expect_equal

AGREED = ("amount", "currency", "voucherNum", "settleDate", "status")


@then("both institutions recorded the same amount, currency, voucher number and settlement date")
def step_ledgers_agree(context):
    outcome = getattr(context, "purchase", None) or context.payment
    voucher = outcome["voucherNum"]
    expect_equal("voucher number from the switch", bool(voucher), True, "R-FLOW-12")
    other = getattr(context, "counterpart", context.peer)     # the peer the SUT dealt with
    at_sut, at_peer = context.sut.transaction(voucher), other.transaction(voucher)
    expect_equal("SUT's record vs peer's record",
                 {k: at_sut.get(k) for k in AGREED}, {k: at_peer.get(k) for k in AGREED},
                 "R-FLOW-12")


@then("the payer's institution and the merchant's recorded the same amount, currency, voucher "
      "number and settlement date")
def step_both_sides_agree(context):
    """Both peers' books, when the SUT between them is the switch."""
    outcome = getattr(context, "purchase", None) or context.payment
    payer_side = context.session.client(context.payer[0])
    at_payer, at_merchant = (side.transaction(outcome["voucherNum"])
                             for side in (payer_side, context.counterpart))
    expect_equal("payer's institution's record vs merchant's institution's record",
                 {k: at_payer.get(k) for k in AGREED}, {k: at_merchant.get(k) for k in AGREED},
                 "R-FLOW-12")


@when("the switch writes the SUT's reconciliation file for the day")
def step_reconciliation_file(context):
    session = context.session
    context.statement = session.tap.reconciliation(session.network.sut.id)
    session.keep("reconciliation", context.statement)


@then("the SUT's books for the day agree with the switch's reconciliation file")
def step_books_agree(context):
    header = context.statement["header"]
    booked = context.sut.transactions(header["settleDate"])
    injected = context.session.injector.vouchers
    expect_equal("differences between the SUT's books and the switch's file",
                 disagreements(context.statement, booked, injected), [], "R-FLOW-12")
