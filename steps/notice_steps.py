"""Result notices from the switch, and how the SUT's terminal takes them."""

from behave import given, then, when

from qrinterop.checks import correlation, notices
from qrinterop.checks.transactions import booked_as_taken, expected_outcome, transaction_outcome
from qrinterop.protocol.builders import notice_to_acquirer
from qrinterop.protocol.envelope import beijing_now, new_message_id
from qrinterop.runner.bdd.vocabulary import answered, awaited, exchanged, verify


@given("the switch will deliver its next result notice to the SUT twice")
def step_notice_twice(context):
    context.session.program_fault("deliver-twice", "notice.result.request")


@given("the switch will send the result notice of the SUT's next purchase before its answer")
def step_notice_first(context):
    context.session.program_fault("notify-before-answer")


@given("the switch will lose its result notices to the SUT")
def step_lose_notices(context):
    schedule = context.session.profile.schedules["notification_retry"]
    context.session.program_fault("lose-request", "notice.result.request",
                                  times=schedule["max_attempts"])


@then("the SUT reports the purchase as approved")
def step_sut_approved(context):
    verify(context, transaction_outcome(context.purchase, expected_outcome("approved"),
                                        "purchase at the SUT"))


@then('the SUT reports the purchase as declined with response code "{code}"')
def step_sut_declined(context, code):
    purchase = context.sut.transaction(context.purchase["ref"])
    verify(context, transaction_outcome(purchase, expected_outcome("declined", code),
                                        "purchase at the SUT"))


@when("the switch notifies the SUT that the purchase was approved, for {amount:Money}")
@when('the switch notifies the SUT that the purchase was approved, for {amount:Money} in '
      'currency "{currency}"')
def step_false_notice(context, amount, currency=None):
    """A notice as the switch would send one, but for another amount (or currency) than the
    purchase's."""
    network = context.session.network
    purchase = {**context.purchase, "currency": currency or context.purchase["currency"]}
    context.answer = context.session.injector.deliver(
        network.sut.id, "notice.result.request",
        notice_to_acquirer(purchase, context.payment_code, amount, network.sut.id,
                           network.peers[0].id, network.switch.id))


@then('the SUT acknowledged the result notice with response code "{code}"')
def step_notice_acknowledged(context, code):
    verify(context, notices.acknowledged(acknowledgements(context, 1), [code]))


@then('the SUT acknowledged both copies of the result notice with response code "{code}"')
def step_notices_acknowledged(context, code):
    verify(context, notices.acknowledged(acknowledgements(context, 2), [code, code]))


@then('the SUT acknowledged the switch\'s collection notice of that payment with response code '
      '"{code}"')
def step_collection_notice_acknowledged(context, code):
    found = acknowledgements(context, 1, "mpm.collection_notice",
                             voucherNum=context.payment["voucherNum"])
    verify(context, notices.acknowledged(found, [code]))


def acknowledgements(context, copies: int, msg_type: str = "notice.result",
                     **about: str) -> list[correlation.Exchange]:
    """The switch's notices of ``msg_type`` to the SUT about one transaction (``about``; by
    default its purchase), with the SUT's answers, once ``copies`` are answered or the
    switch's own timeout for each has passed, however late."""
    about = about or {"orderNo": context.purchase["orderNo"]}
    sut = context.session.network.sut.id
    return awaited(lambda: exchanged(context, msg_type, receiver=sut, **about),
                   answered(copies), 2 * context.session.seconds("switch_response_timeout_s"))


@when("the switch notifies the SUT that a purchase it never made was approved, for {amount:Money}")
def step_notice_of_unknown_order(context, amount):
    """A notice about an order the SUT's terminal never sent: nothing to act on."""
    network, now = context.session.network, beijing_now()
    stranger = {"orderNo": f"H{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
                "currency": "156"}
    context.payment_body = notice_to_acquirer(stranger, context.payment_code, amount,
                                              network.sut.id, network.peers[0].id,
                                              network.switch.id)
    context.answer = context.session.injector.deliver(network.sut.id, "notice.result.request",
                                                      context.payment_body)


@then("the SUT's terminal still records the purchase as approved for {amount:Money}")
def step_books_kept(context, amount):
    purchase = context.sut.transaction(context.purchase["ref"])
    verify(context, booked_as_taken("purchase at the SUT", purchase, amount,
                                    context.purchase["currency"]))


@then("the peer acquirer has had the result notice of the purchase")
def step_peer_notified(context):
    """Wait (as long as the notice's first send and its answer may take) until the switch has
    sent the peer acquirer the result notice of the scenario's purchase; what it said is for
    the steps after this one to judge."""
    schedule = context.session.profile.schedules["notification_retry"]["delays_s"]
    within = schedule[0] * context.session.timing_scale + \
        context.session.seconds("notification_ack_timeout_s") + 2
    awaited(lambda: exchanged(context, "notice.result", receiver=context.peer.inst_id,
                              voucherNum=context.purchase.get("voucherNum")),
            bool, within)
