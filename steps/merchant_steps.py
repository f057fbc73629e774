"""The merchant's side: merchant codes and the peer acquirer's terminal."""

from behave import given, then, when

from qrinterop.checks.transactions import (
    expected_outcome,
    merchant_credited,
    transaction_outcome,
    undo_outcome,
)
from qrinterop.codes.emv_mpm import with_wrong_crc
from qrinterop.runner.bdd.vocabulary import verify, voucher_of


@given('a static merchant code of the peer acquirer for merchant "{name}"')
@given('a static merchant code of the {party:Party}\'s acquirer for merchant "{name}"')
@given('a static merchant code of the peer acquirer for merchant "{name}" known locally as '
       '"{local}" in "{city}"')
def step_merchant_code(context, name, party="peer", local=None, city=None):
    if party != "sut":
        context.counterpart = context.session.client(party)
    in_chinese = {"localName": local, "localCity": city} if local else {}
    context.merchant = context.session.client(party).create_merchant_code(name, **in_chinese)


@given("a dynamic merchant code of the {party:Party}'s acquirer for {amount:Money}")
def step_dynamic_code(context, party, amount):
    context.merchant = context.session.client(party).create_merchant_code("Dynamic Order Shop",
                                                                    amount=amount)


@given("the merchant code was altered so that its CRC no longer matches")
def step_corrupt_code(context):
    context.merchant["code"] = with_wrong_crc(context.merchant["code"])


@given("the peer acquirer's terminal was paid {amount:Money} with that payment code")
def step_earlier_purchase(context, amount):
    context.earlier = context.peer.charge_payment_code(context.payment_code, amount)
    verify(context, transaction_outcome(context.earlier, expected_outcome("approved"),
                                        "first purchase with a fresh payment code"))


@when("the peer acquirer's terminal scans the payment code for {amount:Money}")
@when("the peer acquirer's terminal scans the same payment code again for {amount:Money}")
@when("the terminal of the {party:Party}'s acquirer scans the payment code for {amount:Money}")
def step_terminal_charges(context, amount, party="peer"):
    context.counterpart = context.session.client(party)
    context.purchase = context.counterpart.charge_payment_code(context.payment_code, amount)


@then("the peer acquirer reports the purchase as approved")
@then("the {party:Party}'s acquirer reports the purchase as approved")
def step_purchase_approved(context, party="peer"):
    verify(context, transaction_outcome(context.purchase, expected_outcome("approved"),
                                        f"purchase at the {party}"))


@then('the peer acquirer reports the purchase as declined with response code "{code}"')
@then('the {party:Party}\'s acquirer reports the purchase as declined with response code "{code}"')
def step_purchase_declined(context, code, party="peer"):
    verify(context, transaction_outcome(context.purchase, expected_outcome("declined", code),
                                        f"purchase at the {party}"))


@when("the peer acquirer refunds {amount:Money} of that purchase")
def step_refund(context, amount):
    voucher = voucher_of(context, context.earlier, "the purchase")
    context.refund = context.peer.refund(voucher, amount)


@when("the peer acquirer refunds {amount:Money} of that payment")
@when("the {party:Party}'s acquirer refunds {amount:Money} of that payment")
def step_refund_payment(context, amount, party="peer"):
    """A refund of the MPM payment the payer made to the merchant code; one the wallet did
    not approve leaves nothing to refund: the scenario fails here, not the harness."""
    verify(context, transaction_outcome(context.payment, expected_outcome("approved"),
                                        "payment to refund", context.refusal))
    context.refund = context.session.client(party).refund(context.payment["voucherNum"], amount)


@when("the peer acquirer voids that purchase")
@when("the peer acquirer voids that purchase again")
def step_void(context):
    context.refund = context.peer.void(voucher_of(context, context.earlier, "the purchase"))


@then("the peer acquirer reports the void as approved")
@then("the peer acquirer reports the refund as approved")
@then("the {party:Party}'s acquirer reports the refund as approved")
def step_refund_approved(context, party="peer"):
    verify(context, undo_outcome(context.refund, expected_outcome("approved")))


@then("the peer acquirer reports the void as declined")
@then("the peer acquirer reports the refund as declined")
def step_undo_refused(context):
    verify(context, undo_outcome(context.refund, "declined"))


@then('the peer acquirer reports the void as declined with response code "{code}"')
@then('the peer acquirer reports the refund as declined with response code "{code}"')
def step_refund_declined(context, code):
    verify(context, undo_outcome(context.refund, expected_outcome("declined", code)))


@then("the peer acquirer recorded a credit of {amount:Money} to the merchant")
@then("the {party:Party}'s acquirer recorded a credit of {amount:Money} to the merchant")
def step_merchant_credited(context, amount, party="peer"):
    voucher = voucher_of(context, context.payment, "the payment")
    booked = context.session.client(party).transaction(voucher)
    verify(context, merchant_credited(booked, amount, context.merchant["merchantId"]))
