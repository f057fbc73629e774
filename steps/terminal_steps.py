"""Purchases whose outcome has to wait: the password step-up above the pin-free limit and
answers the network spoilt, and the status queries and reversals that settle them; and what
follows a purchase: refunds, voids and reversals in sequence, at the SUT's terminal or
delivered to the SUT's issuer as the switch relays them."""

import time
import uuid

from behave import then, when

from qrinterop.checks import aftersales, correlation, quiet, reversals, stepup, timing, wire
from qrinterop.checks.transactions import (
    declined_as_answered,
    expected_outcome,
    holds,
    in_status,
    transaction_outcome,
    undo_outcome,
    unknown_not_failed,
)
from qrinterop.protocol.builders import (
    clearing_now,
    purchase_from_switch,
    reversal_from_switch,
    undo_from_switch,
)
from qrinterop.runner.bdd.vocabulary import awaited, delivered, exchanged, observed, verify
from qrinterop.runner.scenarios.clients import ControlRefused


def charge(context, amount: int) -> None:
    """The SUT's terminal charges the scenario's payment code; a refusal is an outcome."""
    try:
        context.purchase = context.sut.charge_payment_code(context.payment_code, amount)
    except ControlRefused as refusal:      # a valid code refused is an outcome, and wrong
        context.purchase = {"status": "refused by the terminal", "respCode": refusal.detail}


def purchase_exchanges(context) -> list[correlation.Exchange]:
    """The SUT's exchanges about the scenario's purchase (``correlation.of_purchase``)."""
    return correlation.of_purchase(observed(context),
                                   context.session.network.sut.id, context.purchase["orderNo"])


def settled(context, client, queries: int = 2) -> dict:
    """The terminal's purchase once its outcome is final, waiting as long as the first
    ``queries`` queries of the profile's schedule take (and a margin for the machine): by
    default two, as the outcome is known by then and the first query finds it; the second
    covers a query that crossed the decision."""
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    return awaited(lambda: client.transaction(context.purchase["ref"]),
                   lambda purchase: purchase["status"] != "unknown",
                   sum(delays[:queries]) * context.session.timing_scale + 2)


def answer_prompt(context, party: str, decision: str) -> None:
    """The payer answers the wallet's password prompt; a wallet with none refuses."""
    refusal = None
    try:
        context.session.client(party).answer_password(context.payer[1], decision)
    except ControlRefused as refused:
        refusal = refused.detail
    verify(context, stepup.prompt_shown(party, refusal))


@when("the SUT's terminal scans the payment code for {amount:Money}")
def step_sut_terminal_charges(context, amount):
    charge(context, amount)


@when('the SUT\'s terminal scans the payment code "{code}" for {amount:Money}')
def step_terminal_scans_vector(context, code, amount):
    context.payment_code = code
    charge(context, amount)


@then("the peer acquirer reports the purchase as waiting for the payer")
def step_peer_waiting(context):
    verify(context, stepup.waits_for_payer("purchase at the peer acquirer", context.purchase))


@then("the SUT reports the purchase as waiting for the payer, not as failed")
def step_sut_waiting(context):
    verify(context, stepup.waits_for_payer("purchase at the SUT", context.purchase))


@then("the SUT acknowledged the switch's request to have the payer confirm with the password")
def step_sut_acknowledged(context):
    requests = exchanged(context, "cpm.additional_processing",
                         receiver=context.session.network.sut.id)
    verify(context, stepup.password_request_acknowledged(requests))


@when("the payer confirms the purchase with the password in the {party:Party}'s wallet")
def step_confirm(context, party):
    answer_prompt(context, party, "confirm")


@when("the payer cancels the purchase at the password prompt of the {party:Party}'s wallet")
def step_cancel(context, party):
    answer_prompt(context, party, "cancel")


@then("the SUT reports the purchase as approved once it has queried it")
def step_sut_approved_after_query(context):
    context.purchase = settled(context, context.sut)
    verify(context, transaction_outcome(context.purchase, expected_outcome("approved"),
                                        "purchase at the SUT"))


@then("the peer acquirer reports the purchase as approved once it has queried it")
def step_peer_approved_after_query(context):
    context.purchase = settled(context, context.peer)
    verify(context, transaction_outcome(context.purchase, expected_outcome("approved"),
                                        "purchase at the peer acquirer"))


@then('the peer acquirer reports the purchase as declined with response code "{code}" once it '
      'has queried it')
def step_declined_after_query(context, code):
    declined_after_query(context, code, context.peer, "purchase at the peer acquirer")


@then('the SUT reports the purchase as declined with response code "{code}" once it has '
      'queried it')
def step_sut_declined_after_query(context, code):
    declined_after_query(context, code, context.sut, "purchase at the SUT")


def declined_after_query(context, code: str, client, what: str) -> None:
    """The terminal's purchase, once final, is the decline a query found."""
    context.purchase = settled(context, client)
    verify(context, transaction_outcome(context.purchase, expected_outcome("declined", code),
                                        what))


@then("the SUT queried the purchase no sooner than the profile's first query delay")
def step_query_timing(context):
    verify(context, timing.first_query_delay(purchase_exchanges(context),
                                             context.session.seconds("query_first_delay_s")))


@then("the SUT reports the purchase as unknown, not as failed")
def step_sut_unknown(context):
    verify(context, unknown_not_failed("purchase at the SUT", context.purchase,
                                       context.session.fault_requirements()))


@then("the SUT reports the purchase as reversed once its queries found no outcome")
def step_sut_reversed(context):
    context.purchase = settled(context, context.sut, queries=6)
    verify(context, reversals.ended_reversed("purchase at the SUT", context.purchase))


@then("the peer acquirer reports the purchase as reversed once its queries found no outcome")
def step_peer_reversed(context):
    context.purchase = settled(context, context.peer, queries=6)
    verify(context, reversals.ended_reversed("purchase at the peer acquirer", context.purchase))


@then("the SUT reversed the purchase, querying it first as the style it declares says")
def step_queries_then_reversal(context):
    """Judged by the acquirer's declared style (``timing.reversal_judged``)."""
    session = context.session
    verify(context, timing.reversal_judged(
        purchase_exchanges(context), session.profile.schedules, session.features,
        session.timing_scale, session.seconds("reversal_earliest_s"),
        session.seconds("observation_grace_s")))


@then("the SUT sent the switch one purchase carrying exactly that payment code")
def step_purchase_carries_code(context):
    verify(context, wire.code_carried(observed(context), context.session.network.sut.id,
                                      "cpm.purchase.request", context.payment_code))


@then("the SUT reports the purchase as declined with the response code the switch gave it")
def step_declined_as_answered(context):
    answers = context.session.sent_to_sut("cpm.purchase.response")
    verify(context, declined_as_answered(context.purchase, answers))


@then("the SUT's terminal refuses the code")
def step_terminal_refuses(context):
    verify(context, in_status("purchase at the SUT", context.purchase, "refused by the terminal"))


@then("the SUT neither queried nor reversed the purchase")
def step_left_alone(context):
    """Watched for as long as a terminal that queries would take to do it: the first query
    delay, then a grace that is not scaled, so that a loaded machine does not hide a late
    query; never less than twice that delay."""
    first = context.session.seconds("query_first_delay_s")
    time.sleep(max(2 * first, first + context.session.seconds("observation_grace_s")))
    verify(context, quiet.left_alone(purchase_exchanges(context)))


# -- after the purchase: refunds and voids at the SUT's terminal -------------------------------

def undo_at(context, client, kind: str, txn: dict, amount=None, refund_id=None) -> None:
    """Ask ``client``'s terminal to refund or void ``txn``; a refusal is an outcome. A declined
    payment has no voucher: its order number is asked for, to be refused (not a harness error)."""
    voucher, context.refund, context.undo_refusal = txn.get("voucherNum") or txn.get("ref"), \
        None, None
    try:
        context.refund = client.void(voucher) if kind == "void" else client.refund(
            voucher, amount, refund_id)
    except ControlRefused as refusal:
        context.undo_refusal = refusal.detail


@when("the SUT's terminal voids that purchase")
def step_sut_voids(context):
    undo_at(context, context.sut, "void", context.purchase)


@when("the SUT's terminal refunds {amount:Money} of that purchase")
def step_sut_refunds(context, amount):
    context.refund_id = f"R{uuid.uuid4().hex[:20]}"
    context.refund_amount = amount
    undo_at(context, context.sut, "refund", context.purchase, amount, context.refund_id)


@when("the merchant asks the SUT's terminal for that refund again, under its refund ID")
def step_sut_refunds_again(context):
    undo_at(context, context.sut, "refund", context.purchase, context.refund_amount,
            context.refund_id)


@then("the SUT's acquirer reports the void as approved")
@then("the SUT's terminal reports the void as approved")
@then("the SUT's terminal reports the refund as approved")
def step_sut_undo_approved(context):
    verify(context, aftersales.approved(context.refund, context.undo_refusal,
                                        "refund or void at the SUT"))


@then("the SUT's terminal reports the void as declined")
@then("the SUT's terminal reports the refund as declined")
def step_sut_undo_declined(context):
    verify(context, aftersales.not_approved(context.refund, context.undo_refusal,
                                            "refund or void at the SUT"))


@then("the SUT sent the switch a {kind:w} naming that purchase, under an order number of its "
      "own")
def step_sut_named_original(context, kind):
    sent = wire.sent(observed(context), context.session.network.sut.id, f"cpm.{kind}.request")
    verify(context, aftersales.names_original(sent, context.purchase, f"cpm.{kind}")
           + aftersales.own_order_no(sent, context.purchase))


@then("every refund the SUT sent for that refund ID was the same request")
def step_sut_retried_alike(context):
    sent = wire.sent(observed(context), context.session.network.sut.id, "cpm.refund.request")
    verify(context, aftersales.retried_alike(sent))


def merchant_balance(context) -> int:
    """What the SUT's acquirer owes the merchant of the scenario's merchant code, or else of
    its purchase at the SUT's terminal, in fen."""
    merchant = context.merchant if "merchant" in context else context.purchase
    return context.sut.merchant_balance(merchant.get("merchantId") or "unknown")


@then("the merchant's balance at the SUT is noted")
def step_merchant_noted(context):
    context.merchant_before = merchant_balance(context)


@then("the merchant's balance at the SUT went down by {amount:Money}")
def step_merchant_down(context, amount):
    verify(context, holds("change of the merchant's balance at the SUT",
                          merchant_balance(context) - context.merchant_before, -amount))


# -- after the purchase: the peer acquirer's refunds and voids of the SUT's payer -------------

@when("the peer acquirer voids that payment")
@when("the {party:Party}'s acquirer voids that payment")
def step_voids_payment(context, party="peer"):
    verify(context, transaction_outcome(context.payment, expected_outcome("approved"),
                                        "payment to void", context.refusal))
    undo_at(context, context.session.client(party), "void", context.payment)


@when("the peer acquirer refunds {amount:Money} of that purchase as many times as the profile "
      "allows")
def step_peer_refunds_to_cap(context, amount):
    cap = context.session.profile.business["refund"]["max_count"]["value"]
    context.refunds = [context.peer.refund(context.earlier["voucherNum"], amount)
                       for _ in range(cap)]


@then("the peer acquirer reports every one of those refunds as approved")
def step_peer_refunds_approved(context):
    verify(context, [v for refund in context.refunds
                     for v in undo_outcome(refund, expected_outcome("approved"))][:1])


# -- after the purchase: refunds, voids and reversals delivered to the SUT as the switch ------

@when("the switch delivers a reversal of that purchase")
def step_deliver_reversal(context):
    context.reversal_body = reversal_from_switch(context.purchase_body)
    delivered(context, "cpm.reversal.request", context.reversal_body)


@when("the switch delivers the same reversal again, under a voucher of its own")
def step_deliver_reversal_again(context):
    delivered(context, "cpm.reversal.request", {**context.reversal_body, **clearing_now()})


@when("the switch delivers a reversal of a purchase the SUT never saw")
def step_deliver_unknown_reversal(context):
    acquirer = context.session.network.peers[0].id
    never = purchase_from_switch(context.payment_code, 4000, acquirer=acquirer)
    delivered(context, "cpm.reversal.request", reversal_from_switch(never))


@when("the switch delivers a {kind:w} of {amount:Money} of that purchase")
def step_deliver_undo(context, kind, amount):
    context.undo_body, context.undo_type = undo_from_switch(context.purchase_body, amount), \
        f"cpm.{kind}.request"
    delivered(context, context.undo_type, context.undo_body)


@when("the switch delivers the same refund again, under a voucher of its own")
def step_deliver_undo_again(context):
    delivered(context, context.undo_type, {**context.undo_body, **clearing_now()})


@then("the SUT answers the copy with response code {codes}")
def step_copy_answered(context, codes):
    verify(context, wire.answered_with(context.answer, codes.replace('"', "").split(" or ")))
