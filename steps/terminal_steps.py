"""Purchases whose outcome has to wait: the password step-up above the pin-free limit and
answers the network spoilt, and the status queries and reversals that settle them."""

import time

from behave import then, when

from qrinterop.checks.outcome import Violation
from qrinterop.judging.verdicts import CheckFailed
from qrinterop.runner.bdd.vocabulary import awaited, expect_equal, expect_true, outcome
from qrinterop.runner.scenarios.clients import ControlRefused

WAITING = "unknown (response code 70)"


def charge(context, amount: int) -> None:
    """The SUT's terminal charges the scenario's payment code; a refusal is an outcome."""
    try:
        context.purchase = context.sut.charge_payment_code(context.payment_code, amount)
    except ControlRefused as refusal:      # a valid code refused is an outcome, and wrong
        context.purchase = {"status": "refused by the terminal", "respCode": refusal.detail}


@when("the SUT's terminal scans the payment code for {amount:Money}")
def step_sut_terminal_charges(context, amount):
    charge(context, amount)


@then("the peer acquirer reports the purchase as waiting for the payer")
def step_peer_waiting(context):
    expect_equal("purchase at the peer acquirer", outcome(context.purchase), WAITING,
                 "R-FLOW-09")


@then("the SUT reports the purchase as waiting for the payer, not as failed")
def step_sut_waiting(context):
    expect_equal("purchase at the SUT", outcome(context.purchase), WAITING, "R-FLOW-02")


@then("the SUT acknowledged the switch's request to have the payer confirm with the password")
def step_sut_acknowledged(context):
    sut = context.session.network.sut.id
    answers = [r["message"]["body"].get("respCode") for r in context.session.switch_records()
               if r["peer"] == sut and r["msg_type"] == "cpm.additional_processing.response"]
    expect_equal("SUT's answers to cpm.additional_processing", answers, ["00"], "R-FLOW-09")


def answer_prompt(context, party: str, decision: str) -> None:
    try:
        context.session.client(party).answer_password(context.payer[1], decision)
    except ControlRefused as refusal:
        raise CheckFailed([Violation(f"password prompt in the {party}'s wallet",
                                     "a purchase waiting for the payer's password",
                                     refusal.detail, "password_prompt", ("R-FLOW-09",))]
                          ) from None


@when("the payer confirms the purchase with the password in the {party:Party}'s wallet")
def step_confirm(context, party):
    answer_prompt(context, party, "confirm")


@when("the payer cancels the purchase at the password prompt of the {party:Party}'s wallet")
def step_cancel(context, party):
    answer_prompt(context, party, "cancel")


def settled(context, client, queries: int = 2) -> dict:
    """The terminal's purchase once its outcome is final, waiting as long as the first
    ``queries`` queries of the profile's schedule take (and a margin for the machine): by
    default two, as the outcome is known by then and the first query finds it; the second
    covers a query that crossed the decision."""
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    return awaited(lambda: client.transaction(context.purchase["ref"]),
                   lambda purchase: purchase["status"] != "unknown",
                   sum(delays[:queries]) * context.session.timing_scale + 2)


@then("the SUT reports the purchase as approved once it has queried it")
def step_sut_approved_after_query(context):
    context.purchase = settled(context, context.sut)
    expect_equal("purchase at the SUT", outcome(context.purchase),
                 "approved (response code 00)", "R-FLOW-02")


@then("the peer acquirer reports the purchase as approved once it has queried it")
def step_peer_approved_after_query(context):
    context.purchase = settled(context, context.peer)
    expect_equal("purchase at the peer acquirer", outcome(context.purchase),
                 "approved (response code 00)", "R-FLOW-09")


@then('the peer acquirer reports the purchase as declined with response code "{code}" once it '
      'has queried it')
def step_declined_after_query(context, code):
    context.purchase = settled(context, context.peer)
    expect_equal("purchase at the peer acquirer", outcome(context.purchase),
                 f"declined (response code {code})", "R-FLOW-09")


def purchase_exchanges(context) -> list[dict]:
    """The switch's records of the SUT's purchase (named by its orderNo): the purchase and
    the answer to it, and the SUT's queries, the answers to them and its reversals, apart
    from those of any other purchase still being resolved in the background."""
    sut, order = context.session.network.sut.id, context.purchase["orderNo"]
    exchanges, purchased = [], False
    for record in context.session.switch_records():
        body = record["message"]["body"] if record["peer"] == sut and record["message"] else {}
        ours = order in (body.get("orderNo"), body.get("origOrderNo"))
        answer = purchased and record["msg_type"] == "cpm.purchase.response" and \
            not any(r["msg_type"] == "cpm.purchase.response" for r in exchanges)
        if ours or answer:
            exchanges.append(record)
            purchased = purchased or record["msg_type"] == "cpm.purchase.request"
    return exchanges


@then("the SUT queried the purchase no sooner than the profile's first query delay")
def step_query_timing(context):
    records = purchase_exchanges(context)
    answered = next(r["at"] for r in records if r["msg_type"] == "cpm.purchase.response")
    queries = [r["at"] for r in records if r["msg_type"] == "cpm.status_query.request"]
    first_delay = context.session.seconds("query_first_delay_s")
    expect_true("SUT's status queries", bool(queries), "at least one cpm.status_query",
                "none", "R-FLOW-04")
    expect_true("first status query after the purchase's answer", queries[0] - answered
                >= first_delay, f"no sooner than {first_delay:g} s",
                f"{queries[0] - answered:.3f} s", "R-FLOW-04")


@then("the SUT reports the purchase as unknown, not as failed")
def step_sut_unknown(context):
    expect_equal("purchase at the SUT", context.purchase["status"], "unknown", "R-FLOW-02")


@then("the SUT reports the purchase as reversed once its queries found no outcome")
def step_sut_reversed(context):
    context.purchase = settled(context, context.sut, queries=6)
    expect_equal("purchase at the SUT", context.purchase["status"], "reversed", "R-FLOW-03")


@then("the peer acquirer reports the purchase as reversed once its queries found no outcome")
def step_peer_reversed(context):
    context.purchase = settled(context, context.peer, queries=6)
    expect_equal("purchase at the peer acquirer", context.purchase["status"], "reversed",
                 "R-FLOW-05")


@then("the SUT queried the purchase on the profile's schedule, then reversed it")
def step_queries_then_reversal(context):
    """Every query no sooner after the previous answer than the schedule says, as many as
    it allows, then the reversal, no sooner than reversal_earliest_s after the purchase."""
    session = context.session
    schedule = session.profile.schedules["status_query"]
    records = purchase_exchanges(context)
    sent = next(r["at"] for r in records if r["msg_type"] == "cpm.purchase.request")
    answers = [r["at"] for r in records if r["msg_type"] in ("cpm.purchase.response",
                                                            "cpm.status_query.response")]
    queries = [r["at"] for r in records if r["msg_type"] == "cpm.status_query.request"]
    reversals = [r["at"] for r in records if r["msg_type"] == "cpm.reversal.request"]
    expect_equal("status queries before the reversal", len(queries),
                 schedule["max_attempts"], "R-FLOW-04")
    for n, (query, previous, delay) in enumerate(zip(queries, answers, schedule["delays_s"],
                                                     strict=False), 1):
        wait = delay * session.timing_scale
        expect_true(f"wait before query {n}", query - previous >= wait,
                    f"no sooner than {wait:g} s", f"{query - previous:.3f} s", "R-FLOW-04")
    expect_true("reversal", bool(reversals) and reversals[0] > queries[-1],
                "a cpm.reversal after the last query", f"{len(reversals)} reversal(s)",
                "R-FLOW-03")
    earliest = session.seconds("reversal_earliest_s")
    expect_true("reversal after the purchase", reversals[0] - sent >= earliest,
                f"no sooner than {earliest:g} s", f"{reversals[0] - sent:.3f} s", "R-FLOW-03")


@when('the SUT\'s terminal scans the payment code "{code}" for {amount:Money}')
def step_terminal_scans_vector(context, code, amount):
    context.payment_code = code
    charge(context, amount)


@then("the SUT sent the switch one purchase carrying exactly that payment code")
def step_purchase_carries_code(context):
    sent = [r["message"]["body"].get("code")
            for r in context.session.sent_by_sut("cpm.purchase.request")]
    expect_equal("payment codes in the SUT's purchases", sent, [context.payment_code],
                 "R-FLOW-01")


@then("the SUT reports the purchase as declined with the response code the switch gave it")
def step_declined_as_answered(context):
    answers = [r["message"]["body"].get("respCode")
               for r in context.session.sent_to_sut("cpm.purchase.response")]
    expect_equal("switch's answers to the SUT's purchase", len(answers), 1)
    expect_equal("purchase at the SUT", outcome(context.purchase),
                 f"declined (response code {answers[0]})", "R-FLOW-01")


@then("the SUT's terminal refuses the code")
def step_terminal_refuses(context):
    expect_equal("purchase at the SUT", context.purchase["status"], "refused by the terminal")


@then("the SUT neither queried nor reversed the purchase")
def step_left_alone(context):
    """Watched for as long as a terminal that queries would take to do it: the first query
    delay, then a grace that is not scaled, so that a loaded machine does not hide a late
    query; never less than twice that delay."""
    first = context.session.seconds("query_first_delay_s")
    time.sleep(max(2 * first, first + context.session.seconds("observation_grace_s")))
    followed = [r["msg_type"] for r in purchase_exchanges(context)
                if r["msg_type"] in ("cpm.status_query.request", "cpm.reversal.request")]
    expect_equal("SUT's queries and reversals of a declined purchase", followed, [],
                 "R-FLOW-02")
