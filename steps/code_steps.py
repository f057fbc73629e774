"""Codes the SUT generates, checked by the same library as ``qrinterop lint``."""

import base64

from behave import then, when

from qrinterop.codes import image
from qrinterop.codes.findings import STRICT
from qrinterop.codes.lint import lint
from qrinterop.runner.bdd.vocabulary import expect_equal, yuan


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
    code = getattr(context, "code", None) or context.payment_code
    context.lint = lint(code, context.session.routes, STRICT)
    findings = [f"{f.requirement} {f.path}: {f.message}" for f in context.lint.findings]
    first = context.lint.findings[0].requirement if findings else None
    expect_equal("findings on the SUT's code", findings, [], first)


@then("it is a {static_or_dynamic} merchant code that routes to the SUT as {role}")
@then("it is a payment code that routes to the {party:Party} as {role}")
def step_routes_to(context, role, static_or_dynamic=None, party="sut"):
    route = context.lint.route or {}
    owner = context.session.network.sut if party == "sut" else \
        context.session.peer_participant(party)
    expect_equal("route", (route.get("institution"), route.get("role")), (owner.id, role))
    if static_or_dynamic:
        expect_equal("point of initiation", context.lint.fields["pointOfInitiation"],
                     static_or_dynamic, "R-MPM-14")


@then("it is a dynamic merchant code for {amount:Money} with an order reference")
def step_dynamic_amount(context, amount):
    fields = context.lint.fields
    expect_equal("point of initiation", fields["pointOfInitiation"], "dynamic", "R-MPM-14")
    expect_equal("amount in the code", f"{fields.get('amount')} CNY", yuan(amount), "R-MPM-14")
    expect_equal("order reference (62.05) present",
                 bool(fields.get("additionalData", {}).get("05")), True, "R-MPM-14")


@then('its language template names the merchant "{local}" in "{city}"')
def step_language_template(context, local, city):
    alternate = context.lint.fields.get("alternateLanguage") or {}
    expect_equal("language template 64", (alternate.get("merchantName"),
                                          alternate.get("merchantCity")), (local, city),
                 "R-MPM-13")


@then("the printed symbol scans back to exactly the merchant code")
def step_scan_equals(context):
    expect_equal("scanned text", context.scan.text, context.code, "R-MPM-15")


@then("the printed symbol passes the profile's symbol checks")
def step_symbol_checks(context):
    findings = [f"{f.requirement}: {f.message}" for f in image.check_symbol(context.scan,
                                                                           STRICT)]
    expect_equal("findings on the printed symbol", findings, [], "R-MPM-15")


@when('the SUT\'s acquirer applies to the switch for a static collection code of a {owner} '
      'payee "{name}"')
def step_apply_static(context, owner, name):
    context.merchant = context.sut.create_merchant_code(name, owner=owner)
    context.code = context.merchant["code"]


@when("the SUT's acquirer applies to the switch for a dynamic merchant code for {amount:Money}")
def step_apply_dynamic(context, amount):
    context.merchant = context.sut.create_merchant_code("Dynamic Order Shop", amount=amount,
                                                        owner="merchant")
    context.code = context.merchant["code"]


@then("the SUT's code application to the switch marked the code as a {owner} code")
def step_code_owner(context, owner):
    marked = [r["message"]["body"].get("codeOwner", "(no codeOwner)")
              for r in context.session.sent_by_sut("mpm.code_apply.request")]
    expect_equal("codeOwner of the SUT's code applications", marked, [owner], "R-FLOW-11")
