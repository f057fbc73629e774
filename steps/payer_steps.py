"""The payer's side: accounts, payment codes, and paying merchant codes in the wallet."""

from behave import given, then, when

from qrinterop.codes.payment_code import CodeRule
from qrinterop.runner.clients import ControlRefused
from qrinterop.runner.vocabulary import expect_equal, expect_true, yuan


@given("a payer account at the SUT holding {amount:Money}")
def step_payer_account(context, amount):
    context.payer = context.sut.open_account(amount)


@given("the SUT's wallet shows a payment code for that account")
def step_payment_code(context):
    context.payment_code = context.sut.create_payment_code(context.payer)


@then("the payment code has the prefix and length the SUT registered with the switch")
def step_code_follows_rule(context):
    rule = context.session.sut_registration["payment_code"]
    code = context.payment_code
    expect_true("payment code", CodeRule("SUT", rule["prefix"], rule["length"]).matches(code),
                f"{rule['length']} digits starting {rule['prefix']}", code, "R-CPM-02")


@when("the payer scans the merchant code in the SUT's wallet and pays {amount:Money}")
def step_wallet_pays(context, amount):
    context.payment, context.refusal = None, None
    try:
        context.payment = context.sut.pay_merchant_code(context.payer,
                                                        context.merchant["code"], amount)
    except ControlRefused as refusal:
        context.refusal = refusal


@then("the SUT reports the payment as approved")
def step_payment_approved(context):
    observed = context.payment["status"] if context.payment else f"refused ({context.refusal})"
    expect_equal("payment status", observed, "approved")


@then("the SUT's wallet refuses the code")
def step_wallet_refuses(context):
    expect_true("wallet", context.refusal is not None, "the code refused",
                f"payment {context.payment and context.payment['status']}", "R-MPM-05")


@then("the payer account at the SUT holds {amount:Money}")
def step_payer_balance(context, amount):
    expect_equal("payer balance", yuan(context.sut.balance(context.payer)), yuan(amount))
