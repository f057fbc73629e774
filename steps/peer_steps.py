"""An SUT switch seen from the simulated institutions around it: the faults they answer it
with, and what reached them (each peer's tap, mocks/tap.py)."""

from behave import given, then, when

from qrinterop.runner.bdd.vocabulary import awaited, expect_equal, expect_true


@given("the {party:Party} will answer the SUT's next purchase only after the SUT stops waiting")
def step_issuer_answers_late(context, party):
    """Later than a switch waits (switch_response_timeout_s, never scaled): the issuer has
    approved, but its approval never reaches the switch, and the acquirer is left to query
    and then to reverse."""
    session = context.session
    session.program_peer_fault(party, "answer-late", "cpm.purchase.request",
                               delay_s=session.seconds("switch_response_timeout_s") + 1)


@given("the {party:Party} will not acknowledge the SUT's next result notice")
def step_notice_unacknowledged(context, party):
    """The notice is taken, but answered 06 (system busy): not the 00 that stops resends."""
    context.session.program_peer_fault(party, "answer-code", "notice.result.request",
                                       code="06")


def exchanged_with(context, party: str, msg_type: str, **about: str) -> list[dict]:
    """The requests of ``msg_type`` the SUT sent ``party`` about the transaction the body
    fields ``about`` name, each with the peer's answer: a peer answers a request at once,
    so its log has the answer as the next record."""
    peer = context.session.peer_participant(party).id
    picked, asked = [], False
    for record in context.session.switch_records():
        if record["peer"] != peer or not record["message"]:
            continue
        if record["msg_type"] == f"{msg_type}.request":
            body = record["message"]["body"]
            asked = all(body.get(key) == value for key, value in about.items())
            picked += [record] if asked else []
        else:
            picked += [record] if asked and record["msg_type"] == f"{msg_type}.response" else []
            asked = False
    return picked


@then('the {party:Party} answered the SUT\'s reversal of the purchase with response code "{code}"')
def step_reversal_answered(context, party, code):
    answers = [r["message"]["body"]["respCode"] for r in exchanged_with(
        context, party, "cpm.reversal", origOrderNo=context.purchase["orderNo"])
        if r["direction"] == "in"]
    expect_equal(f"{party}'s answers to the SUT's reversal", answers[:1], [code], "R-FLOW-05")


@when("the peer acquirer asks the SUT what became of the purchase")
def step_query_switch(context):
    network = context.session.network
    context.answer = context.session.injector.deliver(network.sut.id, "cpm.status_query.request", {
        "origOrderNo": context.purchase["orderNo"],
        "origOrderTime": context.purchase["orderTime"], "origMsgType": "cpm.purchase"})


@then("the SUT answers that the purchase was reversed")
def step_switch_says_reversed(context):
    body = context.answer["body"] if isinstance(context.answer, dict) else {}
    expect_equal("SUT's answer to the query (respCode, origRespCode)",
                 (body.get("respCode"), body.get("origRespCode")), ("00", "46"), "R-FLOW-05")


def notices(context, party: str, wait_for: int) -> list[dict]:
    """The SUT's result notices to ``party`` about the purchase and the answers, waiting for
    ``wait_for`` copies as long as the schedule's delays take, plus a grace, plus the time a
    switch may wait for an acknowledgement before it resends."""
    session = context.session
    delays = session.profile.schedules["notification_retry"]["delays_s"]
    return awaited(
        lambda: exchanged_with(context, party, "notice.result",
                               orderNo=context.purchase["orderNo"]),
        lambda records: sum(r["direction"] == "out" for r in records) >= wait_for,
        sum(delays[:wait_for]) * session.timing_scale + session.seconds("observation_grace_s")
        + session.seconds("notification_ack_timeout_s"))


@then("the SUT sent the {party:Party} the result notice of the purchase again after the "
      "profile's first resend delay")
def step_notice_resent(context, party):
    """Two copies, the second no sooner than the schedule's delay after the first, less the
    observation grace: the times are those of arrival, and the first copy may have been the
    slower to arrive."""
    session = context.session
    context.notices = notices(context, party, 2)
    sent = [r["at"] for r in context.notices if r["direction"] == "out"]
    expect_equal(f"result notices the SUT sent the {party}", len(sent), 2, "R-FLOW-08")
    delay = session.profile.schedules["notification_retry"]["delays_s"][1] * session.timing_scale
    expect_true("time between the two copies",
                sent[1] - sent[0] >= delay - session.seconds("observation_grace_s"),
                f"no sooner than {delay:g} s", f"{sent[1] - sent[0]:.3f} s", "R-FLOW-08")


@then('the {party:Party} acknowledged the second copy with response code "{code}"')
def step_second_acknowledged(context, party, code):
    answers = [r["message"]["body"]["respCode"] for r in context.notices
               if r["direction"] == "in"]
    expect_equal(f"{party}'s answers to the notices", answers, ["06", code], "R-FLOW-08")
