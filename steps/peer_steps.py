"""An SUT switch seen from the simulated institutions around it: the faults they answer it
with, and what reached them (each peer's tap, mocks/tap.py)."""

from behave import given, then, when

from qrinterop.checks import correlation, notices, reversals
from qrinterop.runner.bdd.vocabulary import answered, awaited, exchanged, verify


@given("the {party:Party} will answer the SUT's next purchase only after the SUT stops waiting")
def step_issuer_answers_late(context, party):
    """Later than a switch waits (switch_response_timeout_s, never scaled): the issuer has
    approved, but its approval never reaches the switch, and the acquirer is left to query
    and then to reverse."""
    session = context.session
    session.program_fault("answer-late", "cpm.purchase.request", party,
                          delay_s=session.seconds("switch_response_timeout_s") + 1)


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
