"""What crosses the wire: messages the harness sends as the switch, and what the switch saw."""

import functools
import json
import secrets
from datetime import timedelta

import yaml
from behave import given, then, when

from qrinterop.checks import wire
from qrinterop.checks.transactions import in_status
from qrinterop.codes.emv_mpm import rehomed
from qrinterop.protocol.builders import (
    payment_code_application,
    purchase_from_switch,
    purchase_to_switch,
)
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, beijing_now, with_altered_signature
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.bdd.vocabulary import (
    awaited,
    delivered,
    from_peer_terminal,
    observed,
    verify,
    voucher_of,
)
from qrinterop.runner.processes.network import Participant
from qrinterop.runner.scenarios.clients import Injector


@functools.cache
def vectors_guid() -> str:
    """The merchant account GUID the merchant-code vectors are built on: reference
    institution A's (vectors/generate.py MERCHANT_GUID)."""
    ics = yaml.safe_load((locate().mocks / "reference-ics.yaml").read_text(encoding="utf-8"))
    return ics["codes"]["merchant_guid"]


def peer_purchase(context, amount: int) -> dict:
    """A purchase of the scenario's payment code, as the switch forwards one from the peer."""
    acquirer = context.session.network.peers[0].id
    return from_peer_terminal(context, purchase_from_switch(context.payment_code, amount,
                                                            acquirer=acquirer))


@when("the switch delivers a purchase of {amount:Money} for that payment code, altered after "
      "signing")
def step_tampered_purchase(context, amount):
    body = peer_purchase(context, amount)

    def alter(message):
        message["body"]["amount"] = amount * 10

    delivered(context, "cpm.purchase.request", body, tamper=alter)


@when("the switch delivers a purchase of {amount:Money} for that payment code, signed "
      "{seconds:d} seconds ago")
def step_stale_purchase(context, amount, seconds):
    body = peer_purchase(context, amount)
    signed_at = beijing_now() - timedelta(seconds=seconds)
    delivered(context, "cpm.purchase.request", body,
              header={"timestamp": signed_at.isoformat(timespec="milliseconds")})


@when("the switch delivers a purchase of {amount:Money} for that payment code")
def step_purchase(context, amount):
    context.purchase_body = peer_purchase(context, amount)
    delivered(context, "cpm.purchase.request", context.purchase_body)


@when('the switch delivers its acknowledgement "{msg_type}" to the SUT as a request')
def step_deliver_stray_answer(context, msg_type):
    """A message valid on the switch's leg that no participant takes as a request: one of
    the switch's own answers, posted to the SUT's /messages (a bare acknowledgement)."""
    delivered(context, msg_type, context.session.profile.response("00"))


@when("the switch delivers the same purchase again, with a fresh message ID and nonce")
def step_purchase_again(context):
    context.first_answer = context.answer
    delivered(context, "cpm.purchase.request", context.purchase_body)


@then("the SUT answers the second {what} as the profile says its {role} answers an identical "
      "repeat")
def step_repeat_answered(context, what, role):
    expected = context.session.profile.repeat_answer(role)
    verify(context, wire.repeat_answered(expected, context.first_answer, context.answer))


@then('the SUT answers with response code "{code}"')
def step_sut_answer(context, code):
    verify(context, wire.answered_with(context.answer, [code]))


@then("the SUT sent no message to the switch")
def step_nothing_sent(context):
    verify(context, wire.nothing_sent(observed(context), context.session.network.sut.id))


@then("the SUT's wallet sent the payer's account details encrypted for the switch")
def step_payer_encrypted(context):
    network = context.session.network
    reference = context.session.profile.payer_reference(context.payer[1])
    verify(context, wire.payer_encrypted(observed(context), network.sut.id, network.switch.key,
                                         network.switch.key.public.id, reference))


@then("the {party:Party}'s acquirer recorded the payer's account reference from the encrypted "
      "details")
def step_payer_opened(context, party):
    voucher = voucher_of(context, context.payment, "the payment")
    booked = context.session.client(party).transaction(voucher)
    reference = context.session.profile.payer_reference(context.payer[1])
    verify(context, wire.payer_reference_kept(booked, reference))


@given('the switch will spoil its answer to the SUT\'s next purchase with the fault "{fault}"')
def step_spoil_answer(context, fault):
    context.session.program_fault(fault)


@given("the switch will deliver its next purchase to the SUT twice")
def step_deliver_twice(context):
    context.session.program_fault("deliver-twice")


@given("the switch will lose the SUT's next purchase on its way to the issuer")
def step_lose_purchase(context):
    context.session.program_fault("lose-request", party="peer")


@given("the switch will drop its answer to the SUT's next reversal")
def step_drop_reversal_answer(context):
    context.session.program_fault("drop-answer", msg_type="cpm.reversal.request")


@given("the switch will stop waiting for the SUT's answer to the next purchase")
@given("the switch will stop waiting for the {party:Party}'s answer to the SUT's next purchase")
def step_abandon_purchase(context, party="SUT"):
    context.session.program_fault("abandon-request", party=party)


@then('the SUT answered the reversal with response code "{code}"')
def step_reversal_answer(context, code):
    verify(context, wire.reversal_answered(observed(context), context.session.network.sut.id,
                                           code))


@given('the switch will refuse the SUT\'s next purchase with response code "{code}"')
def step_refuse_purchase(context, code):
    context.session.program_fault("refuse-request", code=code)


@given('the switch will answer the SUT\'s next purchase with response code "{code}", whatever '
       'its outcome')
def step_recode_answer(context, code):
    context.session.program_fault("answer-code", code=code)


def _altered_signature(message: dict) -> None:
    message["signature"] = with_altered_signature(message)["signature"]


def _altered_body(message: dict) -> None:
    body = message["body"]
    field = "amount" if isinstance(body.get("amount"), int) else next(iter(body))
    body[field] = body[field] + 1 if isinstance(body[field], int) else f"{body[field]}0"


def _labelled(injector: Injector, alg: str):
    """A valid signature by the sender's key, labelled with another algorithm (signed over
    that label where the wire signs it, as QRC's signType)."""
    def tamper(message: dict) -> None:
        signature = message["signature"]
        message["signature"] = injector.sign(injector.sender.key, message, signature["keyId"],
                                             alg)
    return tamper


def _unsigned(message: dict) -> None:
    del message["signature"]


def _signed_by(injector: Injector, other: Participant | None):
    """Signed again, validly, by ``other``'s registered key under its key ID, the sender
    unchanged (on a wire naming the sender by key alone, QRC's certId: the key ID kept), or
    (None) by a key nobody registered."""
    def tamper(message: dict) -> None:
        key, key_id = (other.own_key, other.key_id) if other else (SigningKey.generate(), None)
        kept = other and injector.wire.sender_by_key
        message["signature"] = injector.sign(key, message,
                                             message["signature"]["keyId"] if kept else key_id)
    return tamper


#: How a message vector's envelope is spoilt: keyword arguments of Injector.deliver.
ENVELOPE = {
    "none": {"deliberate": True},
    "signature-altered": {"tamper": _altered_signature},
    "body-altered-after-signing": {"tamper": _altered_body},
    "replayed": {"copies": 2},
    "unsigned": {"tamper": _unsigned},
    "replayed-after-50": {"copies": 2, "between": 50},
}


#: The algorithm a mutation labels a valid signature with.
LABELS = {"alg-rsa": "SHA256withRSA", "alg-unknown": "SM3withECDSA-P256"}

#: The header field a mutation spoils, which a wire binding may not carry (bindings.json).
NEEDS = {"stale": "timestamp", "future": "timestamp", "replayed-inside-window": "timestamp",
         "replayed": "nonce", "replayed-after-50": "nonce"}


def _stamped(seconds: float) -> dict:
    """A header timestamp ``seconds`` from now (negative: in the past), signed as such."""
    return {"timestamp": (beijing_now() + timedelta(seconds=seconds)).isoformat(
        timespec="milliseconds")}


def _timed(mutation: str, window: float) -> dict:
    """A correctly signed message stamped off the receiver's clock, sent once or twice."""
    return {"stale": {"header": _stamped(-600)},
            "future": {"header": _stamped(window + 300)},
            "replayed-inside-window": {"header": _stamped(20 - window), "copies": 2}}[mutation]


def _re_signed(injector: Injector, other: Participant, mutation: str):
    """The tamper of a mutation that signs the message again (another key, another label),
    or None."""
    if mutation in LABELS:
        return _labelled(injector, LABELS[mutation])
    if mutation in ("peer-key", "unknown-key"):
        return _signed_by(injector, other if mutation == "peer-key" else None)
    return None


def _envelope(context, mutation: str) -> tuple[Injector, dict]:
    """Who sends a vector, and how its envelope is spoilt (Injector.deliver's arguments)."""
    injector = context.session.injector
    other = next(p for p in context.session.network.peers if p.id != injector.sender.inst_id)
    if tamper := _re_signed(injector, other, mutation):
        return injector, {"tamper": tamper}
    if mutation == "from-a-peer":
        return injector.speaking_as(Party(other.id, other.own_key, other.key_id)), ENVELOPE["none"]
    return injector, ENVELOPE.get(mutation) or _timed(
        mutation, context.session.profile.business["replay"]["window_s"]["value"])


def in_profile(context, msg_type: str, body: dict) -> dict:
    """A vector's body without the fields the profile in use does not have on the SUT's
    receiving leg (the vectors are 1.1's; a 1.0 run gets 1.0's fields), the vectors' own
    unknown field (``extraField``) kept."""
    network = context.session.network
    leg = "request.to-switch" if network.sut is network.switch else "request.from-switch"
    kept = context.session.profile.carried(msg_type.removesuffix(".request"), leg, body)
    return {**kept, **{k: v for k, v in body.items() if k == "extraField"}}


#: The fields naming the transaction a request makes (not the one it refers to).
TRANSACTION_KEYS = ("voucherNum", "orderNo")


def new_to_the_sut(body: dict) -> dict:
    """``body`` with transaction keys no earlier message used (their last six digits drawn
    afresh): a replayed copy is then refused for being a replay alone, never because an
    earlier scenario, or an earlier run, booked the vector's own voucher or order."""
    return {k: f"{v[:-6]}{secrets.randbelow(10 ** 6):06d}"
            if k in TRANSACTION_KEYS and isinstance(v, str) and v[-6:].isdigit() else v
            for k, v in body.items()}


@when("the harness sends the SUT a {msg_type} (envelope: {mutation}) with this body:")
def step_send_vector(context, msg_type, mutation):
    body = in_profile(context, msg_type, json.loads(context.text))
    if reason := context.session.unsendable(msg_type, body, NEEDS.get(mutation)):
        return context.session.does_not_apply(context.scenario, reason)
    injector, spoil = _envelope(context, mutation)
    if spoil.get("copies", 1) > 1:
        body = new_to_the_sut(body)
    context.answer = injector.deliver(context.session.network.sut.id, msg_type, body, **spoil)


@then("the SUT refuses it with response code {answer}")
def step_refused_with(context, answer):
    verify(context, wire.answered_with(context.answer, answer.split(",")))


@when('the peer acquirer sends the SUT a purchase of {amount:Money} for the payment code "{code}"')
@when("the peer acquirer sends the SUT a purchase of {amount:Money} for that payment code")
def step_purchase_to_switch(context, amount, code=None):
    """The harness, as the peer acquirer, sends the SUT switch a purchase of its own."""
    network = context.session.network
    context.purchase_body = from_peer_terminal(context, purchase_to_switch(
        code or context.payment_code, amount, acquirer=network.peers[0].id))
    context.answer = context.first_answer = context.session.injector.deliver(
        network.sut.id, "cpm.purchase.request", context.purchase_body)


@when("the peer's wallet applies to the SUT for a payment code for a payer account")
def step_code_apply(context):
    """The harness, as the peer's wallet, applies for a payment code (cpm.code_apply)."""
    answer = context.session.injector.deliver(
        context.session.network.sut.id, "cpm.code_apply.request",
        payment_code_application(context.peer.open_account(0)))
    verify(context, wire.code_issued(answer))
    context.payment_code = answer["body"]["code"]


@when('the peer\'s wallet asks the SUT about the merchant code "{payload}" moved to the peer '
      'acquirer\'s merchant account')
def step_inquiry_to_switch(context, payload):
    """The harness, as the peer's wallet, asks the SUT switch about a merchant-code vector
    whose GUID is made the peer acquirer's (as long, so nothing else changes): the switch can
    route it, and only its own check of the code keeps it from the acquirer."""
    network = context.session.network
    code = rehomed(payload, vectors_guid(), network.peers[0].description["codes"]["merchant_guid"])
    context.answer = context.session.injector.deliver(network.sut.id, "mpm.inquiry.request",
                                                      {"code": code})


@when("the peer acquirer sends the SUT the same purchase again, with a fresh message ID and "
      "nonce")
def step_purchase_to_switch_again(context):
    delivered(context, "cpm.purchase.request", context.purchase_body)


#: The requests whose answers a scenario spoils, as its sentences name them.
REQUESTS = {"status query": "cpm.status_query.request", "payment": "mpm.payment.request",
            "purchase": "cpm.purchase.request"}


@given('the switch will answer the SUT\'s next {message} with response code "{code}", its '
       'envelope spoilt as "{spoil}"')
def step_spoilt_answer(context, message, code, spoil):
    """A forged answer: it claims ``code`` but does not verify, so it is no answer at all."""
    context.session.program_fault("spoilt-answer", msg_type=REQUESTS[message], code=code,
                                  spoil=spoil)


def outcome_after_queries(context, client, what: str) -> dict:
    """``client``'s purchase or payment of the scenario once final, waiting as long as the
    whole status-query schedule takes (and a margin), as a reversal may end it."""
    delays = context.session.profile.schedules["status_query"]["delays_s"]
    ref = (context.purchase if what == "purchase" else context.payment)["ref"]
    return awaited(lambda: client.transaction(ref), lambda found: found["status"] != "unknown",
                   sum(delays) * context.session.timing_scale + 2)


@then("the SUT did not take the spoilt answer: it reports the {what} as {status} once its "
      "queries found the outcome")
def step_spoilt_answer_ignored(context, what, status):
    txn = outcome_after_queries(context, context.sut, what)
    verify(context, in_status(f"{what} at the SUT", txn, status))


@given('the {party:Party}\'s wallet will answer the switch\'s next purchase with response code '
       '"{code}", its envelope spoilt as "{spoil}"')
def step_peer_spoilt_answer(context, party, code, spoil):
    context.session.program_fault("spoilt-answer", party=party, code=code, spoil=spoil)


@then("the SUT did not pass the spoilt answer on: the peer acquirer reports the purchase as "
      "{status} once its queries found the outcome")
def step_spoilt_answer_stopped(context, status):
    txn = outcome_after_queries(context, context.counterpart, "purchase")
    verify(context, in_status("purchase at the peer acquirer", txn, status))
