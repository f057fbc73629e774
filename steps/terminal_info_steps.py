"""Terminal information and true merchant fields in CPM purchases
(features/terminal_info.feature)."""

from behave import then, when

from qrinterop.checks import terminal as checks
from qrinterop.checks.wire import answered_with
from qrinterop.codes import terminal
from qrinterop.codes.emv_mpm import Rules
from qrinterop.protocol.builders import purchase_from_switch, purchase_to_switch
from qrinterop.runner.bdd.vocabulary import (
    delivered,
    exchanged,
    from_peer_terminal,
    observed,
    verify,
)


@then("the SUT's purchase carried the information of the terminal it registered")
def step_term_info_sent(context):
    sut = context.session.network.sut
    verify(context, checks.terminal_info_sent(context.session.profile, observed(context), sut.id,
                                              terminal.registered_terminals(sut.registration)))


@then("the SUT's purchase named the merchant and terminal its ICS declares")
def step_merchant_declared(context):
    sut = context.session.network.sut
    verify(context, checks.merchant_as_declared(observed(context), sut.id,
                                                sut.description.get("terminal", {})))


@when("the switch delivers a purchase of {amount:Money} for that payment code, its random factor "
      "cut from the code's first digits")
def step_wrong_random_factor(context, amount):
    acquirer = context.session.network.peers[0].id
    body = from_peer_terminal(context, purchase_from_switch(context.payment_code, amount, acquirer))
    info = body.get("termInfo", {})
    body["termInfo"] = {**info, "encryptRandNum": context.payment_code[:6]}
    delivered(context, "cpm.purchase.request", body)


@when("the peer acquirer sends the SUT a purchase of {amount:Money} for that payment code, its "
      "random factor cut from the code's first digits")
def step_wrong_factor_to_switch(context, amount):
    acquirer = context.session.network.peers[0].id
    body = from_peer_terminal(context, purchase_to_switch(context.payment_code, amount, acquirer))
    context.purchase_body = {**body, "termInfo": {**body.get("termInfo", {}),
                                                  "encryptRandNum": context.payment_code[:6]}}
    delivered(context, "cpm.purchase.request", context.purchase_body)


@then("the SUT relayed no purchase of it to the {party:Party}")
def step_relayed_none(context, party):
    session = context.session
    found = exchanged(context, "cpm.purchase", session.network.sut.id,
                      session.peer_participant(party).id, orderNo=context.purchase_body["orderNo"])
    verify(context, checks.not_relayed(found))


@when("the peer acquirer sends the SUT a purchase of {amount:Money} for that payment code from a "
      "terminal it never registered")
def step_unregistered_terminal(context, amount):
    acquirer = context.session.network.peers[0].id
    body = from_peer_terminal(context, purchase_to_switch(context.payment_code, amount, acquirer))
    context.purchase_body = {**body, "termId": "TZ999999"}
    delivered(context, "cpm.purchase.request", context.purchase_body)


@then("the SUT answers with the profile's code for a terminal refused")
def step_terminal_refused(context):
    verify(context, answered_with(context.answer, [terminal.refusal_code(context.session.profile)]))


@then("the merchant in the SUT's answer is the one its merchant code shows")
def step_answer_merchant_as_coded(context):
    rules = Rules.of(context.session.profile.folder)
    verify(context, checks.answer_merchant_as_coded(context.merchant["code"], context.answer,
                                                    rules))
