"""The merchant's side: merchant codes and the peer acquirer's terminal."""

from behave import given, then, when

from qrinterop.checks import fields, wire
from qrinterop.checks.transactions import (
    expected_outcome,
    holds,
    merchant_credited,
    not_stopped_by_limit,
    nothing_approved,
    refund_after_window,
    transaction_outcome,
    undo_outcome,
)
from qrinterop.codes.emv_mpm import with_wrong_crc
from qrinterop.errors import ControlRefused
from qrinterop.protocol.builders import inquiry_from_switch, mpm_payment_from_switch, new_txn_no
from qrinterop.protocol.fields import encrypt_field
from qrinterop.runner.bdd.vocabulary import delivered, observed, verify, voucher_of


@given('a static merchant code of the peer acquirer for merchant "{name}"')
@given('a static merchant code of the {party:Party}\'s acquirer for merchant "{name}"')
@given('a static merchant code of the peer acquirer for merchant "{name}" known locally as '
       '"{local}" in "{city}"')
def step_merchant_code(context, name, party="peer", local=None, city=None):
    if party != "sut":
        context.counterpart = context.session.client(party)
    in_chinese = {"localName": local, "localCity": city} if local else {}
    context.merchant = context.session.client(party).create_merchant_code(name, **in_chinese)


@given('a static merchant code of the peer acquirer for merchant "{name}" in orders of type '
       '{order_type}')
def step_merchant_code_of_type(context, name, order_type):
    context.merchant = context.peer.create_merchant_code(name, orderType=order_type)


@given("a dynamic merchant code of the {party:Party}'s acquirer for {amount:Money}")
def step_dynamic_code(context, party, amount):
    context.merchant = context.session.client(party).create_merchant_code("Dynamic Order Shop",
                                                                    amount=amount)


@given("a dynamic merchant code of the SUT's acquirer for {amount:Money} for that same merchant")
def step_dynamic_code_same_merchant(context, amount):
    """A second code for the merchant the scenario's code is for, named by its merchantId."""
    context.first_merchant = context.merchant
    context.merchant = context.sut.create_merchant_code(
        "Dynamic Order Shop", merchantId=context.merchant["merchantId"], amount=amount)


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
@when("the peer acquirer's terminal scans the payment code for {amount:Money} in an order of"
      " type {order_type}")
@when("the terminal of the {party:Party}'s acquirer scans the payment code for {amount:Money} in"
      " an order of type {order_type}")
def step_terminal_charges(context, amount, party="peer", order_type=None):
    context.counterpart = context.session.client(party)
    context.purchase = context.counterpart.charge_payment_code(context.payment_code, amount,
                                                               order_type)


@then("the switch returned the {party:Party}'s reserved field unchanged in its answers and "
      "notices")
def step_reserved_returned(context, party):
    requester = context.session.client(party).inst_id
    msg_type = "cpm.purchase" if getattr(context, "purchase", None) else "mpm.payment"
    verify(context, fields.reserved_returned(observed(context), requester, msg_type))


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


@then('the peer acquirer\'s purchase was not stopped at a daily limit with response code "{code}"')
def step_purchase_not_stopped_at_limit(context, code):
    verify(context, not_stopped_by_limit("purchase at the peer", context.purchase, code))


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


@then("the peer acquirer reports the refund as the profile's refund window lets the issuer answer "
      "it")
def step_refund_after_window(context):
    rules = context.session.profile.business["refund"]
    minimum = rules.get("window_is_minimum", {}).get("value", False)  # 1.0: a deadline
    verify(context, refund_after_window(context.refund, minimum))


@then("the payer account at the SUT holds {declined:Money}, or {approved:Money} if that refund "
      "was approved")
def step_balance_after_refund(context, declined, approved):
    balance = context.session.client("sut").balance(context.payer[1])
    expected = approved if context.refund.get("status") == "approved" else declined
    verify(context, holds("payer balance", balance, expected))


@then("the peer acquirer recorded a credit of {amount:Money} to the merchant")
@then("the {party:Party}'s acquirer recorded a credit of {amount:Money} to the merchant")
def step_merchant_credited(context, amount, party="peer"):
    voucher = voucher_of(context, context.payment, "the payment")
    booked = context.session.client(party).transaction(voucher)
    verify(context, merchant_credited(booked, amount, context.merchant["merchantId"]))


# -- the harness as the switch toward the SUT's acquirer ------------------------------------------
def payer_field(context, readable: bool = True) -> dict:
    """The payer's details as the switch passes them on: encrypted for the SUT's newest
    registered key, or (not ``readable``) for the switch's own, which the SUT cannot open."""
    session, sut = context.session, context.session.network.sut.id
    key_id = session.keys.key_ids(sut)[-1] if readable else session.network.switch.key_id
    key = session.keys.key(sut, key_id) if readable else session.network.switch.key.public
    return encrypt_field({"accountRef": "HARNESS-PAYER-1"}, key, key_id)


@when("the switch asks the SUT's acquirer about that merchant code for the peer's wallet")
@when("the switch asks the SUT's acquirer about that merchant code again for the peer's wallet")
def step_switch_inquiry(context):
    context.txn_no = new_txn_no()
    delivered(context, "mpm.inquiry.request", inquiry_from_switch(
        context.merchant["code"], context.txn_no, context.session.network.peers[0].id))
    context.orders = [*getattr(context, "orders", []), context.txn_no]


def pay_order(context, txn_no: str, amount: int, currency: str = "156",
              readable: bool = True) -> None:
    """The switch delivers the SUT's acquirer a payment of the order ``txn_no``."""
    context.payment_body = context.session.profile.carried(   # 1.0 has fewer fields
        "mpm.payment", "request.from-switch", mpm_payment_from_switch(
            txn_no, amount, currency, payer_field(context, readable),
            context.session.network.peers[0].id))
    delivered(context, "mpm.payment.request", context.payment_body)


@when("the switch delivers the payment of {amount:Money} for that order")
@when("the switch delivers the payment of {amount:Money} for the second order")
def step_pay_order(context, amount):
    pay_order(context, context.orders[-1], amount)


@when("the switch delivers the payment of {amount:Money} for the first order")
def step_pay_first_order(context, amount):
    pay_order(context, context.orders[0], amount)


@when('the switch delivers the payment of {amount:Money} for that order in currency "{currency}"')
def step_pay_in_currency(context, amount, currency):
    pay_order(context, context.orders[-1], amount, currency)


@when("the switch delivers a payment of {amount:Money} for an order nobody asked about")
def step_pay_unknown_order(context, amount):
    pay_order(context, new_txn_no(), amount)


@when("the switch delivers the payment of {amount:Money} for that order, its payer details "
      "encrypted for another key")
def step_pay_unreadable_payer(context, amount):
    pay_order(context, context.orders[-1], amount, readable=False)


@then("the SUT refuses the payment")
def step_payment_refused(context):
    codes = context.session.profile.response_codes
    verify(context, wire.refused(context.answer, [c for c, about in codes.items()
                                                  if about["outcome"] == "failure"]))


@then("the SUT's acquirer booked no payment under that voucher")
def step_nothing_booked(context):
    voucher = context.payment_body["voucherNum"]
    verify(context, nothing_approved(f"SUT's booking of voucher {voucher}",
                                     booked(context.sut, voucher)))


@then("the SUT's acquirer credited the merchant {amount:Money} in all")
def step_merchant_balance(context, amount):
    balance = context.sut.merchant_balance(context.merchant["merchantId"])
    verify(context, holds("merchant's balance at the SUT's acquirer", balance, amount))


def booked(client, ref: str) -> dict | None:
    """An institution's transaction ``ref``; None if its control API knows none (404)."""
    try:
        return client.transaction(ref)
    except ControlRefused as refused:
        if refused.status == 404:
            return None
        raise


@then("the SUT's acquirer credited the merchant of the first code {amount:Money} in all")
def step_first_merchant_balance(context, amount):
    balance = context.sut.merchant_balance(context.first_merchant["merchantId"])
    verify(context, holds("balance at the SUT's acquirer of the merchant both codes are for",
                          balance, amount))
