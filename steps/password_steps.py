"""The password step-up above the pin-free limit, and the status queries it leads to."""

import time

from behave import then, when

from qrinterop.runner.clients import ControlRefused
from qrinterop.runner.verdicts import Mismatch
from qrinterop.runner.vocabulary import expect_equal, expect_true, outcome

WAITING = "unknown (response code 70)"


@when("the SUT's terminal scans the payment code for {amount:Money}")
def step_sut_terminal_charges(context, amount):
    context.purchase = context.sut.charge_payment_code(context.payment_code, amount)


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
        getattr(context, party).answer_password(context.payer[1], decision)
    except ControlRefused as refusal:
        raise Mismatch(f"password prompt in the {party}'s wallet",
                       "a purchase waiting for the payer's password", refusal.detail,
                       "R-FLOW-09") from None


@when("the payer confirms the purchase with the password in the {party:Party}'s wallet")
def step_confirm(context, party):
    answer_prompt(context, party, "confirm")


@when("the payer cancels the purchase at the password prompt of the {party:Party}'s wallet")
def step_cancel(context, party):
    answer_prompt(context, party, "cancel")


def settled(context, client) -> dict:
    """The terminal's purchase once its outcome is final, waiting as long as the first two
    queries of the profile's schedule take: the payer has decided, so the first query
    already finds the outcome, and the second covers a query that crossed the decision."""
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    deadline = time.monotonic() + sum(delays[:2]) + 2
    purchase = client.transaction(context.purchase["ref"])
    while purchase["status"] == "unknown" and time.monotonic() < deadline:
        time.sleep(0.2)
        purchase = client.transaction(context.purchase["ref"])
    return purchase


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


@then("the SUT queried the purchase no sooner than the profile's first query delay")
def step_query_timing(context):
    sut = context.session.network.sut.id
    records = [r for r in context.session.switch_records() if r["peer"] == sut]
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
