"""An SUT switch seen from the simulated institutions around it: the faults they answer it
with, and what reached them (each peer's tap, mocks/tap.py)."""

import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor

from behave import given, then, when

from qrinterop.checks import correlation, notices, reversals, switching, wire
from qrinterop.protocol.builders import (
    collection_code_application,
    payment_code_application,
    purchase_to_switch,
    refund_to_switch,
)
from qrinterop.protocol.envelope import Party
from qrinterop.runner.bdd.vocabulary import (
    answered,
    awaited,
    delivered,
    exchanged,
    from_peer_terminal,
    verify,
)


@given("the {party:Party} will answer the SUT's next purchase only after the SUT stops waiting")
def step_issuer_answers_late(context, party):
    """Later than a switch waits (switch_response_timeout_s, never scaled): the issuer has
    approved, but its approval never reaches the switch, and the acquirer is left to query
    and then to reverse."""
    session = context.session
    session.program_fault("answer-late", "cpm.purchase.request", party,
                          delay_s=session.seconds("switch_response_timeout_s") + 1)


@given("the {party:Party} will answer the SUT's next purchase late, though within the time the "
      "SUT waits")
def step_issuer_answers_slowly(context, party):
    """A fifth of a switch's wait: long enough for a copy of the purchase to arrive meanwhile."""
    session = context.session
    session.program_fault("answer-late", "cpm.purchase.request", party,
                          delay_s=session.seconds("switch_response_timeout_s") / 5)


@given("the {party:Party} will not acknowledge the SUT's next result notice")
def step_notice_unacknowledged(context, party):
    """The notice is taken, but answered 06 (system busy): not the 00 that stops resends."""
    context.session.program_fault("answer-code", "notice.result.request", party, code="06")


def exchanged_with(context, party: str, msg_type: str,
                   **about: str) -> list[correlation.Exchange]:
    """The SUT's requests of ``msg_type`` to ``party`` about the transaction the body fields
    ``about`` name, each with the peer's answer."""
    session = context.session
    return exchanged(context, msg_type, session.network.sut.id,
                     session.peer_participant(party).id, **about)


@then('the {party:Party} answered the SUT\'s reversal of the purchase with response code "{code}"')
def step_reversal_answered(context, party, code):
    found = exchanged_with(context, party, "cpm.reversal", origOrderNo=context.purchase["orderNo"])
    verify(context, reversals.reversal_relayed(found, code, party))


@when("the peer acquirer asks the SUT what became of the purchase")
def step_query_switch(context):
    network = context.session.network
    context.answer = context.session.injector.deliver(network.sut.id, "cpm.status_query.request", {
        "origOrderNo": context.purchase["orderNo"],
        "origOrderTime": context.purchase["orderTime"], "origMsgType": "cpm.purchase"})


@then("the SUT answers that the purchase was reversed")
def step_switch_says_reversed(context):
    verify(context, reversals.told_reversed(context.answer))


def result_notices(context, party: str, copies: int) -> list[correlation.Exchange]:
    """The SUT's result notices to ``party`` about the purchase, with the answers, once
    ``copies`` are answered or the schedule's delays, a grace and the time a switch waits
    for an acknowledgement before it resends have passed."""
    session, order = context.session, context.purchase["orderNo"]
    delays = session.profile.schedules["notification_retry"]["delays_s"][:copies]
    return awaited(lambda: exchanged_with(context, party, "notice.result", orderNo=order),
                   answered(copies), sum(delays) * session.timing_scale
                   + session.seconds("observation_grace_s")
                   + session.seconds("notification_ack_timeout_s"))


@then("the SUT sent the {party:Party} the result notice of the purchase again after the "
      "profile's first resend delay")
def step_notice_resent(context, party):
    session = context.session
    context.notices = result_notices(context, party, 2)
    delay = session.profile.schedules["notification_retry"]["delays_s"][1] * session.timing_scale
    verify(context, notices.resent(context.notices, delay,
                                   session.seconds("observation_grace_s"), f"the {party}"))


@then('the {party:Party} acknowledged the second copy with response code "{code}"')
def step_second_acknowledged(context, party, code):
    verify(context, notices.acknowledged(context.notices, ["06", code], f"the {party}"))


def original(context) -> dict:
    """The payment a refund or void of the scenario undoes: the terminal's earlier purchase,
    else the wallet's payment."""
    return getattr(context, "earlier", None) or context.payment


@then("the SUT relayed the {undo} to the {party:Party} as {msg_type}, which approved it")
def step_undo_relayed(context, undo, party, msg_type):
    """Every refund and void the SUT sent any peer about the original, to whom and how."""
    voucher, mode = original(context)["voucherNum"], msg_type.split(".")[0]
    found = [e for kind in (f"{mode}.refund", f"{mode}.void") for e in exchanged(
        context, kind, context.session.network.sut.id, origVoucherNum=voucher)]
    verify(context, switching.relayed_to(found, context.session.peer_participant(party).id,
                                         msg_type, f"{undo}s of {voucher}"))


@then("the SUT asked the {party:Party} for the payer's password, and it acknowledged")
def step_password_asked(context, party):
    found = exchanged_with(context, party, "cpm.additional_processing",
                           orderNo=context.purchase["orderNo"])
    verify(context, switching.held_for_password(found,
                                                context.session.peer_participant(party).id))


@then("the SUT answers that the purchase waits for the payer")
def step_switch_says_waiting(context):
    verify(context, switching.told_waiting(context.answer))


@then("the SUT sent the {party:Party} the result notice of the purchase, acknowledged")
def step_notice_sent(context, party):
    verify(context, notices.acknowledged(result_notices(context, party, 1), ["00"],
                                         f"the {party}"))


@then("the SUT sent the {party:Party} no result notice of the declined purchase")
def step_no_notice_of_decline(context, party):
    """Watched as long as a switch notifying at once would take: twice the grace."""
    session = context.session
    time.sleep(2 * session.seconds("observation_grace_s"))
    rule = session.profile.business.get("cpm_purchase", {}).get("declines_notified", {})
    found = exchanged_with(context, party, "notice.result", orderNo=context.purchase["orderNo"])
    verify(context, notices.none_of_a_decline(found, rule.get("value"), f"the {party}"))


@when("the peer acquirer sends the SUT the same purchase again for {amount:Money}")
@when('the peer acquirer sends the SUT the same purchase again for merchant "{merchant}"')
def step_altered_purchase(context, amount=None, merchant=None):
    """The same orderNo and orderTime, another amount or merchant."""
    body = {**context.purchase_body, "amount": amount or context.purchase_body["amount"]}
    if merchant:
        body["merchant"] = {**body["merchant"], "name": merchant, "id": "1" * 15}
    delivered(context, "cpm.purchase.request", body)


def copy_while_under_way(context, party: str, copy: dict) -> tuple[Future, dict | None]:
    """The purchase under way, and the answer to ``copy`` of it sent while it is at ``party``."""
    session, order = context.session, context.purchase_body["orderNo"]
    send = functools.partial(session.injector.deliver, session.network.sut.id,
                             "cpm.purchase.request")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(send, context.purchase_body)
        awaited(lambda: exchanged_with(context, party, "cpm.purchase", orderNo=order), bool,
                session.seconds("switch_response_timeout_s"))
        return first, send(copy)


@when("the peer acquirer sends the SUT a purchase of {amount:Money} for that payment code, and "
      "the same purchase for {other:Money} while the first is at the {party:Party}")
def step_copy_under_way(context, amount, other, party):
    context.purchase_body = from_peer_terminal(context, purchase_to_switch(
        context.payment_code, amount, acquirer=context.session.network.peers[0].id))
    first, context.answer = copy_while_under_way(
        context, party, {**context.purchase_body, "amount": other})
    context.first_answer = first.result()


@then("the SUT relayed the {what:w} to the {party:Party} once")
def step_relayed_once(context, what, party):
    body = context.purchase_body if what == "purchase" else context.refund_body
    found = exchanged_with(context, party, f"cpm.{what}", orderNo=body["orderNo"])
    verify(context, switching.relayed_once(found, f"the {what}"))


@when("the peer acquirer sends the SUT a refund of {amount:Money} of that purchase")
@when("the peer acquirer sends the SUT the same refund again, with a fresh message ID and nonce")
def step_refund_to_switch(context, amount=None):
    """The harness, as the peer acquirer, sends the SUT switch a refund of its own."""
    if amount is not None:
        context.refund_body = refund_to_switch(context.earlier, amount)
    delivered(context, "cpm.refund.request", context.refund_body)
    if amount is not None:
        context.first_answer = context.answer


@when("the peer acquirer sends the SUT the same refund again for {amount:Money}")
def step_altered_refund(context, amount):
    """The same orderNo and orderTime (the refund's transaction key), another amount."""
    delivered(context, "cpm.refund.request", {**context.refund_body, "amount": amount})


def as_peer(context, party: str, msg_type: str, body: dict) -> None:
    """The harness, as the peer ``party``, sends the SUT switch a request of its own."""
    other = context.session.peer_participant(party)
    context.answer = context.session.injector.speaking_as(
        Party(other.id, other.own_key, other.key_id)).deliver(
        context.session.network.sut.id, msg_type, body)


@when("the {party:Party}, an acquirer only, applies to the SUT for a payment code")
def step_code_apply_by_acquirer(context, party):
    """A participant with no payment codes registered asks the switch to mint one for it."""
    as_peer(context, party, "cpm.code_apply.request",
            payment_code_application("HARNESS-ACCOUNT-1"))


@when('the {party:Party}, an issuer only, applies to the SUT for a collection code for '
      'merchant "{merchant}"')
def step_collection_code_by_issuer(context, party, merchant):
    """A participant that acquires nothing asks the switch for a collection code."""
    as_peer(context, party, "mpm.code_apply.request", collection_code_application(
        context.session.peer_participant(party).id, merchant))


@when("the {party:Party} tells the SUT that the payer cancelled that purchase at the password "
      "prompt")
def step_late_cancel(context, party):
    """A payer's decision (cpm.additional_processing_result) about a purchase already final."""
    as_peer(context, party, "cpm.additional_processing_result.request",
            {"code": context.payment_code, "voucherNum": context.earlier["voucherNum"],
             "resultCode": "30"})


@then("the SUT answers the second refund as it answered the first")
def step_same_refund_answer(context):
    verify(context, wire.answered_alike(context.first_answer, context.answer))


@when("the peer's wallet asks the SUT what became of the payment, by the switch's txnNo")
def step_query_payment(context):
    delivered(context, "mpm.payment_query.request",
              {"origTxnNo": context.payment["txnNo"], "origMsgType": "mpm.payment"})


@then("the SUT answers that the payment was approved, with its voucher number and amount")
def step_switch_says_paid(context):
    verify(context, switching.told_approved(context.answer, context.payment))
