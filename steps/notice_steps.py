"""Result notices from the switch, and how the SUT's terminal takes them."""

from behave import given, then, when

from qrinterop.protocol.builders import notice_to_acquirer
from qrinterop.runner.bdd.vocabulary import awaited, expect_equal, outcome


@given("the switch will deliver its next result notice to the SUT twice")
def step_notice_twice(context):
    context.session.program_fault("deliver-twice", "notice.result.request")


@then("the SUT reports the purchase as approved")
def step_sut_approved(context):
    expect_equal("purchase at the SUT", outcome(context.purchase), "approved (response code 00)")


@then('the SUT reports the purchase as declined with response code "{code}"')
def step_sut_declined(context, code):
    purchase = context.sut.transaction(context.purchase["ref"])
    expect_equal("purchase at the SUT", outcome(purchase), f"declined (response code {code})")


@when("the switch notifies the SUT that the purchase was approved, for {amount:Money}")
def step_false_notice(context, amount):
    """A notice as the switch would send one, but for another amount than the purchase's."""
    network = context.session.network
    context.answer = context.session.injector.deliver(
        network.sut.id, "notice.result.request",
        notice_to_acquirer(context.purchase, context.payment_code, amount, network.sut.id,
                           network.peers[0].id, network.switch.id))


@given("the switch will send the result notice of the SUT's next purchase before its answer")
def step_notice_first(context):
    context.session.program_fault("notify-before-answer")


@then('the SUT acknowledged the result notice with response code "{code}"')
def step_notice_acknowledged(context, code):
    expect_acknowledgements(context, [code])


@then('the SUT acknowledged both copies of the result notice with response code "{code}"')
def step_notices_acknowledged(context, code):
    expect_acknowledgements(context, [code, code])


@then('the SUT acknowledged the switch\'s collection notice of that payment with response code '
      '"{code}"')
def step_collection_notice_acknowledged(context, code):
    expect_acknowledgements(context, [code], "mpm.collection_notice",
                            voucherNum=context.payment["voucherNum"])


def expect_acknowledgements(context, expected: list[str], msg_type: str = "notice.result",
                            **about: str) -> None:
    """One notice sent per expected answer, and every one answered so, however late: the
    switch waits its own timeout for each. ``about``: the notice's body fields that say which
    transaction it is about (default: the SUT's purchase, by its orderNo)."""
    about = about or {"orderNo": context.purchase["orderNo"]}
    sent, answers = awaited(lambda: notice_exchanges(context, msg_type, about),
                            lambda found: len(found[1]) >= len(expected),
                            2 * context.session.seconds("switch_response_timeout_s"))
    expect_equal(f"{msg_type} notices sent to the SUT", len(sent), len(expected))
    expect_equal("SUT's acknowledgements", answers, expected, "R-FLOW-08")


def notice_exchanges(context, msg_type: str, about: dict) -> tuple[list[dict], list[str]]:
    """The notices of ``msg_type`` the switch sent the SUT about one transaction, and the
    SUT's answers."""
    sut = context.session.network.sut.id
    records = [r for r in context.session.switch_records() if r["peer"] == sut]
    sent = [r for r in records if r["msg_type"] == f"{msg_type}.request"
            and all(r["message"]["body"].get(k) == v for k, v in about.items())]
    answers = [r["message"]["body"]["respCode"] for r in records
               if r["msg_type"] == f"{msg_type}.response"]
    return sent, answers


@given("the switch will lose its result notices to the SUT")
def step_lose_notices(context):
    schedule = context.session.profile.schedules["notification_retry"]
    context.session.program_fault("lose-request", "notice.result.request",
                                  times=schedule["max_attempts"])
