"""The payer's side: accounts, payment codes, and paying merchant codes in a wallet."""

from behave import given, then, when

from qrinterop.checks import codes, fields, wire
from qrinterop.checks.registration import code_follows_registration
from qrinterop.checks.transactions import (
    expected_outcome,
    holds,
    payment_outcome,
    transaction_outcome,
    unknown_not_failed,
)
from qrinterop.codes.emv_mpm import Rules
from qrinterop.codes.findings import Finding
from qrinterop.codes.lint import lint
from qrinterop.runner.bdd.vocabulary import awaited, observed, verify
from qrinterop.runner.scenarios.clients import ControlRefused


def payer_at(context, party: str) -> str:
    """The scenario's payer account, which a step names by the institution holding it: a
    step naming another is a scenario written wrong, the harness's error, not the SUT's."""
    if party != context.payer[0]:
        raise ValueError(f"the scenario's payer account is at the {context.payer[0]}, "
                         f"not at the {party}")
    return context.payer[1]


def pay(context, party: str, amount: int | None = None) -> None:
    """The payer pays the scenario's merchant code in the wallet; a refusal is an outcome."""
    account = payer_at(context, party)
    context.payment, context.refusal = None, None
    try:
        context.payment = context.session.client(party).pay_merchant_code(
            account, context.merchant["code"], amount)
    except ControlRefused as refusal:
        context.refusal = refusal.detail


def findings(context, code: str) -> list[Finding]:
    """What the profile's code checks find in ``code``, judged leniently: an error is what a
    wallet must refuse, a warning what it may take (a vector's ``acceptable``)."""
    return codes.binding(lint(code, context.session.routes,
                              rules=Rules.of(context.session.profile.folder)).findings,
                         context.session.excused)


@given("a payer account at the {party:Party} holding {amount:Money}")
def step_payer_account(context, party, amount):
    context.payer = (party, context.session.client(party).open_account(amount))
    if party != "sut":
        context.counterpart = context.session.client(party)


@given("the {party:Party}'s wallet shows a payment code for that account")
@when("the {party:Party}'s wallet shows a payment code for that account")
def step_payment_code(context, party):
    account = payer_at(context, party)
    context.shown_code = context.session.client(party).show_payment_code(account)
    context.payment_code, context.code_issuer = context.shown_code["code"], party


@then("the payment code has the prefix and length the {party:Party} registered with the switch")
def step_code_follows_rule(context, party):
    rules = context.session.registration(party)["payment_codes"]
    verify(context, code_follows_registration(context.payment_code, party, rules))


@when("the payer scans the merchant code in the {party:Party}'s wallet and pays {amount:Money}")
def step_wallet_pays(context, party, amount):
    pay(context, party, amount)


@when("the payer scans the merchant code in the {party:Party}'s wallet")
@when("the payer scans the same merchant code in the {party:Party}'s wallet again")
def step_wallet_pays_dynamic(context, party):
    pay(context, party)


@when('the payer scans the merchant code "{code}" in the SUT\'s wallet and pays {amount:Money}')
def step_wallet_pays_vector(context, code, amount):
    context.merchant = {"code": code}
    pay(context, "sut", amount)


@then("the SUT's wallet asked the switch about exactly that merchant code")
def step_inquired(context):
    code, records, sut = context.merchant["code"], observed(context), context.sut.inst_id
    verify(context, wire.went_on(records, sut, "mpm.inquiry.request") or wire.code_carried(
        records, sut, "mpm.inquiry.request", code, findings(context, code)))


@then("the {party:Party} reports the payment as approved")
def step_payment_approved(context, party):
    verify(context, transaction_outcome(context.payment, expected_outcome("approved"),
                                        f"payment at the {party}", context.refusal))


@then('the {party:Party} reports the payment as declined with response code "{code}"')
def step_payment_declined(context, party, code):
    verify(context, transaction_outcome(context.payment, expected_outcome("declined", code),
                                        f"payment at the {party}", context.refusal))


@then("the SUT's wallet refuses the code")
def step_wallet_refuses(context):
    verify(context, codes.code_refused(findings(context, context.merchant["code"]),
                                       context.refusal is not None,
                                       payment_outcome(context.payment, context.refusal)))


@then("the payer account at the {party:Party} holds {amount:Money}")
def step_payer_balance(context, party, amount):
    balance = context.session.client(party).balance(context.payer[1])
    verify(context, holds("payer balance", balance, amount))


@given("the payer account at the {party:Party} is in risk tier {tier}")
def step_risk_tier(context, party, tier):
    context.session.client(party).set_risk_tier(payer_at(context, party), tier)


@given("the payer account at the {party:Party} is a {account_type} account")
def step_account_type(context, party, account_type):
    context.session.client(party).set_account_type(payer_at(context, party), account_type)


@then("the acquirer was told the payer pays from a {account_type} account")
def step_account_type_told(context, account_type):
    txn = getattr(context, "purchase", None) or context.payment
    verify(context, fields.payer_account_type_told(observed(context), txn["orderNo"],
                                                   account_type))


@given('the switch will refuse the SUT\'s next payment with response code "{code}"')
def step_refuse_payment(context, code):
    context.session.program_fault("refuse-request", "mpm.payment.request", code=code)


@given('the switch will answer the SUT\'s next payment with response code "{code}", whatever its '
       'outcome')
def step_recode_payment(context, code):
    context.session.program_fault("answer-code", "mpm.payment.request", code=code)


@then("the SUT reports the payment as unknown, not as failed")
def step_payment_unknown(context):
    verify(context, unknown_not_failed("payment at the SUT", context.payment or {"status": str(
        context.refusal)}, context.session.fault_requirements()))


@then("the SUT reports the payment as approved once it has queried it")
def step_payment_queried(context):
    """Waiting as long as the schedule's first two queries take, and a margin."""
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    payment = awaited(lambda: context.sut.transaction(context.payment["ref"]),
                      lambda txn: txn["status"] != "unknown",
                      sum(delays[:2]) * context.session.timing_scale + 2)
    verify(context, transaction_outcome(payment, expected_outcome("approved"), "payment"))
