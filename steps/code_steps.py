"""Codes the SUT generates, checked by the same library as ``qrinterop lint``."""

import base64

from behave import then, when

from qrinterop.checks import codes, wire
from qrinterop.codes import image
from qrinterop.codes.emv_mpm import Rules
from qrinterop.codes.findings import STRICT
from qrinterop.codes.lint import lint
from qrinterop.runner.bdd.vocabulary import observed, verify
from qrinterop.runner.scenarios.clients import ControlRefused


@when('the SUT\'s acquirer creates a static merchant code for "{name}" known locally as '
      '"{local}" in "{city}"')
def step_static_code(context, name, local, city):
    context.merchant = context.sut.create_merchant_code(name, localName=local, localCity=city)
    context.code = context.merchant["code"]


@when("the SUT's acquirer creates a dynamic merchant code for {amount:Money}")
def step_dynamic_code(context, amount):
    context.merchant = context.sut.create_merchant_code("Dynamic Order Shop", amount=amount)
    context.code = context.merchant["code"]


@when('the SUT\'s acquirer prints a static merchant code for "{name}" known locally as '
      '"{local}"')
def step_printed_code(context, name, local):
    context.merchant = context.sut.create_merchant_code(name, localName=local, image=True)
    context.code = context.merchant["code"]
    context.scan = image.scan_png(base64.b64decode(context.merchant["image"]))


@then("the merchant code passes the profile's code checks in strict mode")
@then("the payment code passes the profile's code checks in strict mode")
def step_lint_strict(context):
    rules = Rules.of(context.session.profile.folder)
    context.lint = lint(getattr(context, "code", None) or context.payment_code,
                        context.session.routes, STRICT, rules=rules)
    verify(context, codes.code_conforms(codes.binding(context.lint.findings,
                                                      context.session.excused)))


@then("it is a {static_or_dynamic} merchant code that routes to the SUT as {role}")
@then("it is a payment code that routes to the {party:Party} as {role}")
def step_routes_to(context, role, static_or_dynamic=None, party="sut"):
    owner = context.session.network.sut if party == "sut" else \
        context.session.peer_participant(party)
    if static_or_dynamic is None:
        verify(context, codes.payment_code_routes(context.lint.route, owner.id, role))
        return
    verify(context, codes.merchant_code_routes(context.lint.route, owner.id, role) +
           codes.initiated(context.lint.fields, static_or_dynamic))


@then("it is a dynamic merchant code for {amount:Money} with an order reference")
def step_dynamic_amount(context, amount):
    verify(context, codes.dynamic_for(context.lint.fields, amount))


@then('its language template names the merchant "{local}" in "{city}"')
def step_language_template(context, local, city):
    verify(context, codes.language_template(context.lint.fields, local, city))


@then("the printed symbol scans back to exactly the merchant code")
def step_scan_equals(context):
    verify(context, codes.scans_back(context.scan.text, context.code))


@then("the printed symbol passes the profile's symbol checks")
def step_symbol_checks(context):
    verify(context, codes.symbol_conforms(image.check_symbol(context.scan, STRICT)))


@when('the SUT\'s acquirer applies to the switch for a static collection code of a {owner} '
      'payee "{name}"')
def step_apply_static(context, owner, name):
    context.merchant = context.sut.create_merchant_code(name, owner=owner)
    context.code = context.merchant["code"]


@when('the SUT\'s acquirer is asked for a static collection code for remote use of a {owner} '
      'payee "{name}"')
def step_ask_remote_code(context, owner, name):
    """A refusal is an outcome here: a personal code is not for remote collection."""
    context.merchant, context.code = None, None
    try:
        context.merchant = context.sut.create_merchant_code(name, owner=owner, remote=True)
        context.code = context.merchant["code"]
    except ControlRefused:
        pass


@then("the SUT applied to the switch for a {owner} code for remote use")
def step_remote_code_declared(context, owner):
    verify(context, wire.code_use_declared(observed(context), context.session.network.sut.id,
                                           [f"{owner} code for remote use"]))


@then("the SUT issued no collection code, and applied to the switch for none")
def step_no_remote_code(context):
    verify(context, wire.no_code_issued("collection code for remote use", context.code) +
           wire.code_use_declared(observed(context), context.session.network.sut.id, []))


@when("the SUT's acquirer applies to the switch for a dynamic merchant code for {amount:Money}")
def step_apply_dynamic(context, amount):
    context.merchant = context.sut.create_merchant_code("Dynamic Order Shop", amount=amount,
                                                        owner="merchant")
    context.code = context.merchant["code"]


@then("the SUT's code application to the switch marked the code as a {owner} code")
def step_code_owner(context, owner):
    verify(context, wire.code_owner_marked(observed(context), context.session.network.sut.id,
                                           owner))
