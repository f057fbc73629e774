"""The payer's side: accounts, payment codes, and paying merchant codes in a wallet."""

from behave import given, then, when

from qrinterop.codes.payment_code import CodeRule
from qrinterop.runner.bdd.vocabulary import expect_equal, expect_true, yuan
from qrinterop.runner.scenarios.clients import ControlRefused


@given("a payer account at the {party:Party} holding {amount:Money}")
def step_payer_account(context, party, amount):
    context.payer = (party, context.session.client(party).open_account(amount))
    if party != "sut":
        context.counterpart = context.session.client(party)


@given("the {party:Party}'s wallet shows a payment code for that account")
@when("the {party:Party}'s wallet shows a payment code for that account")
def step_payment_code(context, party):
    expect_equal("wallet of the payer", party, context.payer[0])
    context.payment_code = context.session.client(party).create_payment_code(context.payer[1])


@then("the payment code has the prefix and length the {party:Party} registered with the switch")
def step_code_follows_rule(context, party):
    rules = context.session.registration(party)["payment_codes"]
    code = context.payment_code
    expect_true("payment code", any(CodeRule(party, r["prefix"], r["length"]).matches(code)
                                    for r in rules),
                " or ".join(f"{r['length']} digits starting {r['prefix']}" for r in rules),
                code, "R-CPM-02")


def pay(context, amount=None):
    party, account = context.payer
    context.payment, context.refusal = None, None
    try:
        context.payment = context.session.client(party).pay_merchant_code(
            account, context.merchant["code"], amount)
    except ControlRefused as refusal:
        context.refusal = refusal


@when("the payer scans the merchant code in the {party:Party}'s wallet and pays {amount:Money}")
def step_wallet_pays(context, party, amount):
    expect_equal("wallet of the payer", party, context.payer[0])
    pay(context, amount)


@when("the payer scans the merchant code in the {party:Party}'s wallet")
@when("the payer scans the same merchant code in the {party:Party}'s wallet again")
def step_wallet_pays_dynamic(context, party):
    expect_equal("wallet of the payer", party, context.payer[0])
    pay(context)


def payment_outcome(context) -> str:
    if context.payment is None:
        return f"refused by the wallet ({context.refusal.detail})"
    return f"{context.payment['status']} (response code {context.payment['respCode']})"


@when('the payer scans the merchant code "{code}" in the SUT\'s wallet and pays {amount:Money}')
def step_wallet_pays_vector(context, code, amount):
    expect_equal("wallet of the payer", "sut", context.payer[0])
    context.merchant = {"code": code}
    pay(context, amount)


@then("the SUT's wallet asked the switch about exactly that merchant code")
def step_inquired(context):
    asked = [r["message"]["body"].get("code")
             for r in context.session.sent_by_sut("mpm.inquiry.request")]
    expect_equal("merchant codes the SUT's wallet asked the switch about", asked,
                 [context.merchant["code"]], "R-FLOW-01")


@then("the {party:Party} reports the payment as approved")
def step_payment_approved(context, party):
    expect_equal(f"payment at the {party}", payment_outcome(context),
                 "approved (response code 00)")


@then('the {party:Party} reports the payment as declined with response code "{code}"')
def step_payment_declined(context, party, code):
    expect_equal(f"payment at the {party}", payment_outcome(context),
                 f"declined (response code {code})")


@then("the SUT's wallet refuses the code")
def step_wallet_refuses(context):
    expect_true("wallet", context.refusal is not None, "the code refused",
                payment_outcome(context), "R-MPM-05")


@then("the payer account at the {party:Party} holds {amount:Money}")
def step_payer_balance(context, party, amount):
    balance = context.session.client(party).balance(context.payer[1])
    expect_equal("payer balance", yuan(balance), yuan(amount))


@given("the payer account at the {party:Party} is in risk tier {tier}")
def step_risk_tier(context, party, tier):
    expect_equal("institution of the payer", party, context.payer[0])
    context.session.client(party).set_risk_tier(context.payer[1], tier)
