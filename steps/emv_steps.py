"""EMV consumer-presented payloads: shown by a wallet, spoilt in transit, carried as scanned."""

from behave import given, then, when

from qrinterop.checks.emv import payload_forwarded, payload_shown
from qrinterop.codes import cpm_cryptogram
from qrinterop.runner.bdd.vocabulary import observed, verify
from steps.payer_steps import payer_at


def scheme(context) -> cpm_cryptogram.TestScheme:
    """The profile's test key scheme (business.json emv_cpm.cryptogram)."""
    return cpm_cryptogram.TestScheme.from_value(
        context.session.profile.business["emv_cpm"]["cryptogram"]["value"])


@given("the {party:Party}'s wallet shows an EMV payment code for that account")
def step_emv_payment_code(context, party):
    context.payment_code = context.session.client(party).create_payment_code(
        payer_at(context, party), form="emv-cpm")


@then("the EMV payment code is well formed and its cryptogram verifies with the profile's "
      "test keys")
def step_emv_code_shown(context):
    verify(context, payload_shown(context.payment_code, scheme(context)))


@when("the peer acquirer's terminal scans the payment code, its {tag:w} altered in transit, for "
      "{amount:Money}")
def step_altered_payload_charged(context, tag, amount):
    """The harness hands the peer's terminal the SUT's payload with one data object changed,
    as a dishonest or faulty party between the payer and the issuer would."""
    context.counterpart = context.peer
    context.purchase = context.peer.charge_payment_code(
        cpm_cryptogram.altered(context.payment_code, tag), amount)


@then("the SUT sent the switch one purchase carrying exactly that EMV payment code")
def step_payload_sent_as_scanned(context):
    verify(context, payload_forwarded(observed(context), context.session.network.sut.id,
                                      context.payment_code))


@then("the {party:Party} received the EMV payment code exactly as the peer acquirer sent it")
def step_payload_relayed(context, party):
    """Around an SUT switch: the payload the peer acquirer sent, and the one the issuer got."""
    records, payload, network = observed(context), context.payment_code, context.session.network
    issuer = context.session.registration(party)["id"]
    verify(context, payload_forwarded(records, network.peers[0].id, payload)
           + payload_forwarded(records, network.switch.id, payload, issuer))
