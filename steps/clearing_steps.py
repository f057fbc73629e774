"""What the two institutions and the switch agree on."""

from behave import then, when

from qrinterop.checks import switching
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


@when("the SUT writes the reconciliation files of the {acquirer:Party} acquirer and the "
      "{issuer:Party} issuer for the day")
def step_switch_files(context, acquirer, issuer):
    """The SUT switch's files, through its test-control API, for the day of the scenario's
    latest transaction."""
    session, latest = context.session, last_transaction(context)
    context.parties = {session.peer_participant(acquirer).id: acquirer,
                       session.peer_participant(issuer).id: issuer}
    context.roles = dict(zip(context.parties, ("acquirer", "issuer"), strict=True))
    context.files = {who: context.sut.reconciliation(who, latest.get("settleDate"))
                     for who in context.roles}
    session.keep("reconciliation", context.files)


def last_transaction(context) -> dict:
    """The scenario's latest transaction: a refund or void, else the purchase or payment."""
    return next(t for t in (getattr(context, name, None) for name in
                            ("refund", "purchase", "earlier", "payment")) if t)


def transaction_of(context, name: str) -> tuple[str, dict]:
    """The message type and the books' record of the scenario's ``name``: purchase, payment,
    refund or void."""
    purchase = getattr(context, "earlier", None) or getattr(context, "purchase", None)
    mode = "cpm" if purchase else "mpm"
    if name in ("refund", "void"):
        return f"{mode}.{name}", context.refund
    return ("cpm.purchase", purchase) if purchase else ("mpm.payment", context.payment)


@then("each file lists the {first} and the {second} once, with each side's role")
def step_files_list(context, first, second):
    done = {name: transaction_of(context, name) for name in (first, second)}
    expected = {t["voucherNum"]: (msg_type, t["amount"]) for msg_type, t in done.values()}
    verify(context, switching.listed_once(context.files, expected)
           + switching.listed_as(context.files, expected, context.roles))


@then("each file lists the purchase once, with each side's role")
def step_files_list_purchase(context):
    expected = {context.purchase["voucherNum"]: ("cpm.purchase", context.purchase["amount"])}
    verify(context, switching.listed_once(context.files, expected)
           + switching.listed_as(context.files, expected, context.roles))


@then("no file lists the purchase")
def step_files_omit(context):
    verify(context, switching.not_listed(context.files, [context.purchase["voucherNum"]]))


@then("each file's totals and net position add up from its records")
def step_files_add_up(context):
    verify(context, switching.adds_up(context.files))


@then("the books of both institutions for the day agree with their reconciliation files")
def step_both_books_agree(context):
    """On the scenario's own transactions: the day's others are other scenarios' business
    (some the harness made itself, as the peer, which no peer booked)."""
    session, mine = context.session, scenario_vouchers(context)
    for who, file in context.files.items():
        booked = session.client(context.parties[who]).transactions(file["header"]["settleDate"])
        verify(context, books_agree(
            {**file, "records": [r for r in file["records"] if r["voucherNum"] in mine]},
            [t for t in booked if t.get("voucherNum") in mine]))


def scenario_vouchers(context) -> set[str]:
    """The vouchers of the scenario's purchase or payment and of its refund or void."""
    return {t["voucherNum"] for t in (getattr(context, name, None) for name in
                                      ("refund", "purchase", "earlier", "payment"))
            if t and t.get("voucherNum")}
