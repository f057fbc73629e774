"""Status queries the switch puts to the SUT: to its issuer about a purchase whose answer it
lost, to its acquirer about an MPM payment."""

from behave import given, then, when

from qrinterop.checks import queries
from qrinterop.checks.transactions import expected_outcome, transaction_outcome
from qrinterop.protocol.builders import clearing_now
from qrinterop.runner.bdd.vocabulary import answered, awaited, exchanged, verify


@given("the switch will lose the SUT's answer to the next purchase")
def step_lose_answer(context):
    context.session.program_fault("lose-answer")


#: The switch's queries, as scenarios name them.
QUERIES = {"status": "cpm.status_query", "payment": "mpm.payment_query"}


@then('the SUT answered the switch\'s {kind} query with "00" and the original response code '
      '"{code}"')
def step_query_answered(context, kind, code):
    sut = context.session.network.sut.id
    found = awaited(lambda: exchanged(context, QUERIES[kind], receiver=sut), answered(1),
                    2 * context.session.seconds("switch_response_timeout_s"))
    verify(context, queries.told_outcome(found, code))


@given("the switch will lose the SUT's answer to the next payment to its merchant code")
def step_lose_payment_answer(context):
    context.session.program_fault("lose-answer", "mpm.payment.request")


@then("the peer reports the payment as approved once it has queried it")
def step_payment_approved_after_query(context):
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    context.payment = awaited(lambda: context.peer.transaction(context.payment["ref"]),
                              lambda payment: payment["status"] != "unknown",
                              sum(delays[:2]) * context.session.timing_scale + 2)
    verify(context, transaction_outcome(context.payment, expected_outcome("approved"),
                                        "payment at the peer"))


@when("the switch asks the SUT's acquirer what became of that payment")
def step_payment_query(context):
    body, network = context.payment_body, context.session.network
    context.refused_with = context.answer["body"]["respCode"]
    context.answer = context.session.injector.deliver(network.sut.id, "mpm.payment_query.request", {
        "origTxnNo": body["txnNo"], "origVoucherNum": body["voucherNum"],
        "origOrderNo": body["orderNo"], "origOrderTime": body["orderTime"],
        "origMsgType": "mpm.payment", "issuer": body["issuer"]})


@then('the SUT answers "00" with the code it refused the payment with as the original response '
      'code')
def step_told_refusal(context):
    verify(context, queries.answer_tells(context.answer and context.answer.get("body"),
                                         context.refused_with))


@when("the switch asks the SUT about a purchase under the same order number at another time")
def step_query_other_purchase(context):
    """A query naming a purchase the SUT never saw (its own voucher) whose acquirer's orderNo
    is that of one it did: a voucher and an order time tell the two apart."""
    purchase, network = context.purchase, context.session.network
    context.answer = context.session.injector.deliver(network.sut.id, "cpm.status_query.request", {
        "origVoucherNum": clearing_now()["voucherNum"], "origOrderNo": purchase["orderNo"],
        "origOrderTime": "20200101000000", "origMsgType": "cpm.purchase",
        "acquirer": network.peers[0].id})
