"""The receiving side of the protocol: every check a participant makes on a message before it
acts, and the signed answer it gives when it won't.

Simulators (the switch, the reference institution and its peers) answer through this one
class, so the checks a real SUT is held to are the checks qrinterop's own participants make.
Order matters: a message is authenticated before its freshness is judged (so forged traffic
cannot burn an honest sender's nonces) and before its content is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qrinterop.profile import Profile
from qrinterop.protocol.bindings import Binding, Wire, WireError, binding, signature_ok
from qrinterop.protocol.canonical import has_lone_surrogate, unicode_text
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.replay import REUSED, ReplayGuard
from qrinterop.protocol.validation import schema_problems

#: Response codes for the ways a message can be refused before it is acted on.
NOT_JSON, BAD_SIGNATURE, DUPLICATE = "10", "11", "12"


def response_type(msg_type: object) -> str:
    """``x.y.request`` is answered by ``x.y.response``; anything else by ``reject``."""
    if isinstance(msg_type, str) and msg_type.endswith(".request"):
        return msg_type.removesuffix(".request") + ".response"
    return "reject"


def _header(message: object) -> dict:
    header = message.get("header") if isinstance(message, dict) else None
    return header if isinstance(header, dict) else {}


def _echoed(value: object) -> str | None:
    """A header value an answer carries over (message type, test-case ID): only a string, and
    one that can be signed, whatever arrived."""
    return unicode_text(value) if isinstance(value, str) else None


class Responder:
    """One participant's inbound checks and answers."""

    def __init__(self, profile: Profile, party: Party, keyring: KeyRing,
                 guard: ReplayGuard | None,
                 verifier: Callable[[object, KeyRing], bool] = signature_ok,
                 wire: Binding | None = None, answer_leg: str = "response.to-switch") -> None:
        self.profile = profile
        self.party = party
        self.keyring = keyring
        self.wire = wire or binding(None, profile)
        # A binding without timestamps and nonces (UnionPay QRC) has no replay window: its
        # repeats are the transactions' own (orderNo and orderTime, voucherNum).
        self.guard = guard if self.wire.carries("nonce") else None
        self.verifier = verifier    # another only in a deliberately defective simulator
        self.answer_leg = answer_leg    # the leg this participant's answers travel on
        # Who sends the requests that reach it where the wire names no sender it knows (a
        # QRC request whose certId no registered key has): the switch, for an institution.
        self.counterpart: str | None = None

    def reply(self, request: object, body: dict) -> dict:
        """Sign an answer to ``request``, carrying over its test-case correlation ID."""
        header = _header(request)
        sender = header.get("sender")
        receiver = sender if isinstance(sender, str) and sender in self.keyring \
            else self.party.inst_id
        return seal(self.party, self._answer_type(header.get("msgType")), receiver, body,
                    test_case_id=_echoed(header.get("testCaseId")), signer=self.wire,
                    leg=self.answer_leg)

    def _answer_type(self, msg_type: object) -> str:
        """A request's answer type; ``reject`` for one that is no request of the leg it came
        on (an answer type, or a message that leg never carries: its answer has no type)."""
        answer = response_type(_echoed(msg_type))
        leg = self.answer_leg.removeprefix("response.")
        return answer if self.profile.message_schema_uri(answer, leg) else "reject"

    def encode(self, answer: dict) -> Wire:
        """An answer of this participant's on the wire."""
        return self.wire.encode(answer, self.answer_leg)

    def refuse(self, request: object, code: str, detail: str = "") -> dict:
        body = self.profile.response(code)
        if detail:
            body["respMsg"] = unicode_text(f"{body['respMsg']}: {detail}")[:256]
        return self.reply(request, body)

    def check(self, raw: bytes, leg: str, verify: bool = True,
              validate: bool = True, test_case: str | None = None) -> tuple[Any, dict | None]:
        """Decode and check a received request: ``(message, None)`` when it may be acted on
        (then a dict), otherwise ``(message, signed refusal to send back)``, the message as
        it came (any JSON value) for the log. ``leg``: ``to-switch`` or ``from-switch``;
        ``test_case``: the scenario's ID where the binding carries it beside the message.
        ``verify=False`` skips the signature, ``validate=False`` the schema — only
        deliberately defective simulators do that."""
        try:
            message = self.wire.decode(Wire(raw, self.wire.content_type, test_case),
                                       f"request.{leg}", self.keyring, self.party.inst_id,
                                       self.counterpart)
        except WireError as exc:
            return {}, self.refuse({}, NOT_JSON, str(exc))
        if not isinstance(message, dict):
            return message, self.refuse({}, NOT_JSON, f"a message is a JSON object, not "
                                        f"{type(message).__name__} {raw[:40]!r}")
        if has_lone_surrogate(message):     # no canonical form, so it cannot be signed
            return message, self.refuse(message, NOT_JSON, "the message holds a lone "
                                        "surrogate (\\uD800-\\uDFFF), which is not Unicode")
        header = _header(message)
        sender = header.get("sender")
        if sender not in self.keyring:
            return message, self.refuse(message, BAD_SIGNATURE, f"unknown sender {sender!r}")
        if verify and not self.verifier(message, self.keyring):
            return message, self.refuse(message, BAD_SIGNATURE)
        if header.get("receiver") != self.party.inst_id:
            return message, self.refuse(message, NOT_JSON, f"addressed to "
                                        f"{header.get('receiver')!r}, not to this participant")
        if refusal := self._replayed(message, header):
            return message, refusal
        if validate and (problems := schema_problems(self.profile, message, leg)):
            return message, self.refuse(message, NOT_JSON, "; ".join(problems))
        return message, None

    def _replayed(self, message: dict, header: dict) -> dict | None:
        if self.guard is None:
            return None
        verdict = self.guard.check(str(header.get("sender")), str(header.get("timestamp")),
                                   str(header.get("nonce")))
        if verdict.ok:
            return None
        code = DUPLICATE if verdict.status == REUSED else NOT_JSON
        return self.refuse(message, code, verdict.detail)
