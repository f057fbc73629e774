"""Checks on what the SUT put on the wire, as the switch (or, around an SUT switch, its
peers) observed it: what it sent and what it answered.

Each takes the observed ``Record``s (``checks/record.py``) and the SUT's institution ID, or
the answer the SUT gave the harness's injector; none reads anything itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from qrinterop.checks.codes import code_passed_on
from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.record import Record
from qrinterop.codes.findings import Finding
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.fields import FieldDecryptionError, decrypt_field

#: What an answer is held to when the SUT answers the same request twice.
SAME_ANSWER = ("respCode", "voucherNum", "amount")


def sent(records: list[Record], sut: str, msg_type: str | None = None) -> list[Record]:
    """The messages the SUT sent (of one type)."""
    return [r for r in records if r.sent_by(sut) and r.is_message
            and msg_type in (None, r.msg_type)]


def answer_body(answer: object) -> dict:
    """The body of an answer to the injector; ``{}`` for one that has none."""
    body = answer.get("body") if isinstance(answer, dict) else None
    return body if isinstance(body, dict) else {}


def response_code(answer: object) -> object:
    """The response code of an answer to the injector; the answer itself when it is not a
    message (None: no answer, or not JSON)."""
    return answer_body(answer).get("respCode") if isinstance(answer, dict) else answer


@check()
def nothing_sent(records: list[Record], sut: str) -> list[Violation]:
    """The SUT sent the switch nothing (it refused what it was shown before acting on it).
    Generic: it bears on whatever its scenario verifies (a code vector's own rule)."""
    return unequal("messages from the SUT to the switch",
                   [r.msg_type for r in sent(records, sut)], [])


@check()
def went_on(records: list[Record], sut: str, msg_type: str) -> list[Violation]:
    """The SUT went on with a code it should read: it sent the switch a ``msg_type``. Generic:
    a wallet that refuses a valid code breaks what its scenario is about (reading codes issued
    abroad, counting a Chinese name's characters), not the rule that what it sends is what it
    scanned (``code_carried``)."""
    return unless(bool(sent(records, sut, msg_type)), f"SUT's {msg_type}",
                  "sent: the code read and passed on", "none: the code refused")


@check()
def answered_with(answer: object, codes: list[str]) -> list[Violation]:
    """The SUT answered the harness's message with one of ``codes`` (a refusal of a
    badly signed, stale or spoilt message: under the requirement its scenario verifies)."""
    observed = response_code(answer)
    return unless(observed in codes, "SUT's answer",
                  f"response code {' or '.join(codes)}", observed)


@check()
def refused(answer: object, failures: list[str]) -> list[Violation]:
    """The SUT refused the harness's message with a final failure code of the profile's
    table (``failures``): not approved, not unknown, not a code the profile lacks."""
    observed = response_code(answer)
    return unless(observed in failures, "SUT's answer",
                  "a refusal (a response code whose outcome is failure)", observed)


@check("R-FLOW-06")
def answered_alike(first: object, second: object) -> list[Violation]:
    """A repeated request got the first one's final answer, not a second transaction."""
    def outcome(answer: object) -> dict:
        return {key: answer_body(answer).get(key) for key in SAME_ANSWER}
    return unequal("SUT's answer to the repeated request", outcome(second), outcome(first))


@check("R-FLOW-06")
def repeat_answered(expected: str, first: object, second: object) -> list[Violation]:
    """An identical repeat got what the profile says its receiver's role answers
    (``Profile.repeat_answer``): the first final answer again, or that refusal code."""
    if expected == "first_answer":
        return answered_alike(first, second)
    return unless(response_code(second) == expected, "SUT's answer to the identical repeat",
                  f"response code {expected} (business.json idempotency.identical_repeat)",
                  response_code(second))


@check("R-CPM-02")
def code_issued(answer: object) -> list[Violation]:
    """The SUT (as the switch) issued a payment code on a wallet's application."""
    body = answer_body(answer)
    return [*unequal("SUT's answer to the application", body.get("respCode"), "00"),
            *unless(bool(body.get("code")) or body.get("respCode") != "00",
                    "payment code in the answer", "a code", body.get("code"))]


@check("R-FLOW-05")
def reversal_answered(records: list[Record], sut: str, code: str) -> list[Violation]:
    """The SUT's first answer to a reversal has ``code``."""
    answers = [r.body.get("respCode") for r in sent(records, sut, "cpm.reversal.response")]
    return unequal("SUT's answers to the reversal", answers[:1], [code])


@check("R-FLOW-11")
def code_owner_marked(records: list[Record], sut: str, owner: str) -> list[Violation]:
    """The SUT's one code application says whose code it is (``codeOwner``)."""
    marked = [r.body.get("codeOwner", "(no codeOwner)")
              for r in sent(records, sut, "mpm.code_apply.request")]
    return unequal("codeOwner of the SUT's code applications", marked, [owner])


#: The position of EMV MPM v1.1 62-11 (media, location, presence) that says where a code is
#: used, and its value for remote commerce.
LOCATION, REMOTE_COMMERCE = 1, "2"


def declared_use(body: dict) -> str:
    """A code application in words: the class of code and where it is used, by its
    ``merchantChannel`` (none declared: face to face, as profile 1.0 knew no other use)."""
    channel = body.get("merchantChannel")
    remote = isinstance(channel, str) and channel[LOCATION:LOCATION + 1] == REMOTE_COMMERCE
    return f"{body.get('codeOwner', '(no codeOwner)')} code for " \
           f"{'remote' if remote else 'face-to-face'} use"


@check("R-FLOW-16")
def code_use_declared(records: list[Record], sut: str, expected: list[str]) -> list[Violation]:
    """The SUT's code applications, each as its class and its use (``declared_use``), are
    ``expected``: a code for remote collection says so (62-11 location 2), and none is for a
    personal code's remote use."""
    declared = [declared_use(r.body) for r in sent(records, sut, "mpm.code_apply.request")]
    return unequal("the SUT's code applications", declared, expected)


@check("R-FLOW-16")
def no_code_issued(what: str, code: str | None) -> list[Violation]:
    """The acquirer issued no code (``code`` None): it refused the request."""
    return unless(code is None, what, "refused by the acquirer", f"issued {code}")


@check("R-FLOW-01")
def code_carried(records: list[Record], sut: str, msg_type: str, code: str,
                 findings: Sequence[Finding] = ()) -> list[Violation]:
    """The SUT sent one ``msg_type`` carrying exactly the ``code`` it was shown, untouched.
    ``findings`` (of a lenient lint of the code) are what it went on with: an error fails, a
    finding of severity warning warns (``codes.code_passed_on``)."""
    carried = [r.body.get("code") for r in sent(records, sut, msg_type)]
    return [*unequal(f"codes the SUT sent in {msg_type}", carried, [code]),
            *code_passed_on(list(findings))]


@check("R-SEC-05")
def payer_encrypted(records: list[Record], sut: str, key: SigningKey, key_id: str,
                    account: str) -> list[Violation]:
    """The SUT's wallet sent the payer's details in ``mpm.payment`` encrypted for the switch:
    opened with the switch's own ``key`` (only a field really encrypted for it opens), they
    name the payer's ``account``."""
    payers = [r.body.get("payer") for r in sent(records, sut, "mpm.payment.request")]
    if len(payers) != 1:
        return unequal("mpm.payment requests from the SUT", len(payers), 1)
    try:
        opened = decrypt_field(payers[0], key, key_id)
    except FieldDecryptionError as exc:
        return [Violation("payer field of the SUT's mpm.payment",
                          "encrypted for the switch's key", f"{exc}: {payers[0]!r}"[:300])]
    return unequal("payer account reference, decrypted", opened.get("accountRef"), account)


@check("R-SEC-05")
def payer_reference_kept(booked: dict, account: str) -> list[Violation]:
    """The acquirer opened the payer's encrypted details and kept the payer's reference."""
    return unequal("payer reference in the acquirer's record", booked.get("account"), account)
