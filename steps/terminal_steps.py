"""Purchases whose outcome has to wait: the password step-up above the pin-free limit and
answers the network spoilt, and the status queries and reversals that settle them."""

import time

from behave import then, when

from qrinterop.checks import correlation, quiet, reversals, stepup, timing, wire
from qrinterop.checks.transactions import (
    declined_as_answered,
    expected_outcome,
    in_status,
    transaction_outcome,
    unknown_not_failed,
)
from qrinterop.runner.bdd.vocabulary import awaited, exchanged, observed, verify
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
    context.purchase = settled(context, context.peer)
    verify(context, transaction_outcome(context.purchase, expected_outcome("declined", code),
                                        "purchase at the peer acquirer"))


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


@then("the SUT queried the purchase on the profile's schedule, then reversed it")
def step_queries_then_reversal(context):
    """In the order a reader of the failure needs: a reversal sent without querying is
    what breaks this first, queries off the schedule next, a reversal too early last."""
    session, found = context.session, purchase_exchanges(context)
    schedule = session.profile.schedules["status_query"]
    delays = [delay * session.timing_scale for delay in schedule["delays_s"]]
    verify(context, timing.queried_then_reversed(found)
           + timing.query_schedule(found, delays, schedule["max_attempts"])
           + timing.reversal_earliest(found, session.seconds("reversal_earliest_s"),
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
