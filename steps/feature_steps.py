"""Optional features the SUT declares: URL-form collection codes, tips and convenience fees."""

from behave import given, then

from qrinterop.checks.features import fee_added, not_paid, paid_as_answered, url_code_routed
from qrinterop.codes.emv_mpm import Rules, parse, with_objects
from qrinterop.runner.bdd.vocabulary import observed, verify

#: Tip or convenience indicator (ID 55) and the ID holding the fee, by the fee's kind.
FEES = {"fixed": ("02", "56"), "percentage": ("03", "57")}


@given('a static merchant code of the {party:Party}\'s acquirer for merchant "{name}" with a '
       '{kind} fee of {fee}')
def step_code_with_fee(context, party, name, kind, fee):
    indicator, field = FEES[kind]
    context.merchant = context.session.client(party).create_merchant_code(name)
    context.merchant = {"code": with_objects(context.merchant["code"],
                                             [("55", indicator), (field, fee)])}


@then("the SUT's wallet asked the switch about the URL code")
def step_url_code_routed(context):
    verify(context, url_code_routed(observed(context), context.sut.inst_id,
                                    context.merchant["code"]))


@then("the SUT's wallet paid the amount and order of the switch's answer to its inquiry")
def step_paid_as_answered(context):
    verify(context, paid_as_answered(observed(context), context.sut.inst_id))


@then("the SUT's wallet paid {total:Money}, the fee included once")
def step_fee_added(context, total):
    verify(context, fee_added(observed(context), context.sut.inst_id, total))


@given('the switch will spoil its answer to the SUT\'s next merchant-code inquiry with the fault '
       '"{fault}"')
def step_spoil_inquiry(context, fault):
    context.session.program_fault(fault, "mpm.inquiry.request")


@then("the SUT's wallet paid nothing")
def step_not_paid(context):
    verify(context, not_paid(observed(context), context.sut.inst_id))


@given("its UnionPay ID 15 lost the last character of its merchant ID")
def step_id15_shortened(context):
    code = context.merchant["code"]
    id15 = parse(code, Rules.of(context.session.profile.folder)).get("15").value
    shorter = code.replace(f"1531{id15}", f"1530{id15[:-1]}", 1)
    context.merchant = {"code": with_objects(shorter[:-4], [])}    # its CRC right again
