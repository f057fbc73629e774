"""What the two institutions and the switch agree on."""

from behave import then, when

from qrinterop.checks.books import books_agree, records_agree
from qrinterop.runner.bdd.vocabulary import verify


@then("both institutions recorded the same amount, currency, voucher number and settlement date")
def step_ledgers_agree(context):
    other = getattr(context, "counterpart", context.peer)     # the peer the SUT dealt with
    expect_same_records(context, context.sut, other, "SUT's record vs peer's record")


@then("the payer's institution and the merchant's recorded the same amount, currency, voucher "
      "number and settlement date")
def step_both_sides_agree(context):
    """Both peers' books, when the SUT between them is the switch."""
    expect_same_records(context, context.session.client(context.payer[0]), context.counterpart,
                        "payer's institution's record vs merchant's institution's record")


def expect_same_records(context, one, other, what: str) -> None:
    """The two institutions' records of the scenario's purchase or payment agree."""
    voucher = (getattr(context, "purchase", None) or context.payment or {}).get("voucherNum")
    books = (one.transaction(voucher), other.transaction(voucher)) if voucher else ({}, {})
    verify(context, records_agree(voucher, *books, what))


@when("the switch writes the SUT's reconciliation file for the day")
def step_reconciliation_file(context):
    session = context.session
    context.statement = session.observation.reconciliation(session.network.sut.id)
    session.keep("reconciliation", context.statement)


@then("the SUT's books for the day agree with the switch's reconciliation file")
def step_books_agree(context):
    booked = context.sut.transactions(context.statement["header"]["settleDate"])
    verify(context, books_agree(context.statement, booked, context.session.injector.vouchers,
                                context.session.fault_requirements()))
