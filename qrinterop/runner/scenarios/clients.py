"""The harness's hands on the network: the upper tester (an institution's test-control API),
the taps on the simulators' message logs, and the injector that speaks to a participant as the
switch would. Every exchange lands in the current scenario's transcript."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import requests

from qrinterop.errors import AnswerLacks, ContractBroken, ControlRefused, SutUnreachable
from qrinterop.evidence.transcript import Transcript
from qrinterop.inputs import loads_json
from qrinterop.protocol.bindings import Binding, Wire, WireError
from qrinterop.protocol.bindings.base import TEST_CASE_HEADER
from qrinterop.protocol.bindings.json_binding import JsonBinding
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing

HARNESS = "harness"


class Answer(dict):
    """What an institution answered, as a dict whose missing field is :class:`AnswerLacks`
    naming the call and whose fault it is, not a bare ``KeyError`` that would make the SUT's
    refusal a harness error: a step that goes on from a declined payment to refund it fails
    the scenario under its requirements. Nested objects and lists of them are answers too."""

    def __init__(self, value: dict, call: str, by_sut: bool) -> None:
        super().__init__({key: answer_of(item, call, by_sut) for key, item in value.items()})
        self.call = call
        self.by_sut = by_sut

    def __missing__(self, key: object) -> object:
        raise AnswerLacks(key, self.call, self, self.by_sut or self.not_approved)

    @property
    def not_approved(self) -> bool:
        """An answer (the contract held it to its shape) telling of a transaction that was
        not approved: a simulator's wallet reporting a payment the SUT's acquirer declined
        lacks its voucher number through the SUT's doing, not the harness's."""
        return self.get("status", "approved") != "approved" or \
            self.get("respCode", "00") != "00"


def answer_of(value: Any, call: str, by_sut: bool) -> Any:
    """``value`` with every object in it an :class:`Answer`."""
    if isinstance(value, dict):
        return Answer(value, call, by_sut)
    if isinstance(value, list):
        return [answer_of(item, call, by_sut) for item in value]
    return value


class Channel:
    """What a client needs from the scenario under way: where to record, which test case."""

    def __init__(self) -> None:
        self.transcript: Transcript | None = None
        self.test_case: str | None = None

    def record(self, pco: str, sender: str | None, receiver: str | None, kind: str,
               content: object, at: float | None = None, **details: object) -> None:
        """One hop on the scenario's transcript (:meth:`Transcript.add`), if one is open."""
        if self.transcript is not None:
            self.transcript.add(pco, sender, receiver, kind, content, at, **details)


class ControlClient:
    """One institution's test-control API (the upper tester).

    ``accounts``: test accounts that already exist at the institution (the ICS's), handed out
    in turn instead of opening new ones; an institution may not let a test open accounts.
    ``under_test``: an institution being certified (the SUT, or a second one as the peer),
    whose refusals are its own doing; a simulator's are the harness's.
    ``contract``: the test-control API's contract every answer is checked against when it
    arrives, so that a broken answer is named as such, not met later as a step's KeyError.
    """

    def __init__(self, inst_id: str, base_url: str, timeout_s: float, channel: Channel,
                 accounts: Sequence[str] = (), under_test: bool = False,
                 contract: ControlApiSpec | None = None) -> None:
        self.inst_id = inst_id
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.channel = channel
        self.http = requests.Session()
        self.under_test = under_test
        self.contract = contract
        self._pool = itertools.cycle(accounts) if accounts else None
        # The balance each account was opened with since the session last cleared this, the
        # conservation check's opening balance (runner/scenarios/conservation.py); None: set twice.
        self.opened: dict[str, int | None] = {}

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """Make one call; raise :class:`SutUnreachable` when there is no answer at all,
        :class:`ContractBroken` for an answer the contract does not allow and
        :class:`ControlRefused` for a refusal it does."""
        url = self.base_url + path
        headers = {TEST_CASE_HEADER: self.channel.test_case} if self.channel.test_case else {}
        self.channel.record("upper-tester", HARNESS, self.inst_id, "request", body,
                            http={"method": method, "url": url})
        try:
            response = self.http.request(method, url, json=body, headers=headers,
                                         timeout=self.timeout_s)
        except requests.RequestException as exc:
            self.channel.record("upper-tester", self.inst_id, HARNESS, "response", None,
                                note=f"no answer: {exc}")
            raise SutUnreachable(f"{self.inst_id} test-control API {method} {path}: "
                                 f"{type(exc).__name__}") from None
        try:
            answer, note = loads_json(response.content), None
        except ValueError:    # kept as the text it is, not dressed as JSON
            answer, note = response.text[:2000], "not JSON"
        self.channel.record("upper-tester", self.inst_id, HARNESS, "response", answer,
                            http={"status": response.status_code}, note=note)
        if self.contract is not None and (problems := self.contract.answer_problems(
                method, path, response.status_code, response.content)):
            raise ContractBroken(f"{self.inst_id} {method} {path}", problems, self.under_test,
                                 self.contract.requirement)
        if response.status_code >= 400:
            detail = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise ControlRefused(response.status_code, str(detail),
                                 self.under_test, f"{self.inst_id} {method} {path}")
        return answer_of(answer, f"{self.inst_id} {method} {path}", self.under_test)

    # -- the test-control API, one method per operation ----------------------------------------
    def open_account(self, balance: int) -> str:
        """A payer account holding ``balance`` fen: the next pooled account, its balance set
        (after the last, the first again), or else a new one."""
        if self._pool is None:
            account = self.call("POST", "/control/accounts", {"balance": balance})["account"]
        else:
            account = next(self._pool)
            self.call("PUT", _account_path(account), {"balance": balance})
        self.opened[account] = None if account in self.opened else balance
        return account

    def balance(self, account: str) -> int:
        return self.call("GET", _account_path(account))["balance"]

    def create_merchant_code(self, name: str, **details: object) -> dict:
        """``details``: localName, city, localCity, mcc, amount (fen: a dynamic code),
        image (also return the printed QR symbol, base64 PNG)."""
        return self.call("POST", "/control/merchant-codes", {"name": name, **details})

    def create_payment_code(self, account: str, form: str | None = None) -> str:
        """``form``: None or "numeric" for digits, "emv-cpm" for an EMV CPM payload."""
        return self.show_payment_code(account, form)["code"]

    def show_payment_code(self, account: str, form: str | None = None) -> dict:
        """The wallet's answer: the code and when it expires (``expiresAt``, by its clock)."""
        body = {"account": account, **({"form": form} if form else {})}
        return self.call("POST", "/control/payment-codes", body)

    def pay_merchant_code(self, account: str, code: str, amount: int | None) -> dict:
        """``amount`` is what the payer types for a static code; None for a dynamic one."""
        body: dict[str, object] = {"account": account, "code": code}
        if amount is not None:
            body["amount"] = amount
        return self.call("POST", "/control/wallet/pay", body)

    def charge_payment_code(self, code: str, amount: int, order_type: str | None = None) -> dict:
        """The terminal charges ``code``; ``order_type`` (QRC orderType, 1.1) when given."""
        body: dict[str, object] = {"code": code, "amount": amount}
        if order_type is not None:
            body["orderType"] = order_type
        return self.call("POST", "/control/terminal/charge", body)

    def refund(self, voucher: str, amount: int, refund_id: str | None = None) -> dict:
        """``refund_id`` names the refund: asked again under it, it is the same refund."""
        body: dict[str, object] = {"voucherNum": voucher, "amount": amount}
        if refund_id is not None:
            body["refundId"] = refund_id
        return self.call("POST", "/control/terminal/refund", body)

    def void(self, voucher: str) -> dict:
        return self.call("POST", "/control/terminal/void", {"voucherNum": voucher})

    def transaction(self, ref: str) -> dict:
        return self.call("GET", f"/control/transactions/{ref}")

    def transactions(self, settle_date: str) -> list[dict]:
        """Every transaction the institution booked for one clearing day (MMDD)."""
        return self.call("GET", f"/control/transactions?settleDate={settle_date}")[
            "transactions"]

    def reconciliation(self, participant: str, settle_date: str | None = None) -> dict:
        """A switch's reconciliation file for ``participant`` and the clearing day
        ``settle_date`` (MMDD; by default the one under way)."""
        path = f"/control/reconciliation/{quote(participant, safe='')}"
        return self.call("GET", path + (f"?settleDate={settle_date}" if settle_date else ""))

    def set_risk_tier(self, account: str, tier: str) -> dict:
        return self.call("PUT", _account_path(account), {"riskTier": tier})

    def set_account_type(self, account: str, account_type: str) -> dict:
        """Make ``account`` a ``debit`` or a ``credit`` account (1.1's contract)."""
        return self.call("PUT", _account_path(account), {"accountType": account_type})

    def merchant_balance(self, merchant_id: str) -> int:
        """What the acquirer owes ``merchant_id`` (fen), for a books check."""
        return self.call("GET", f"/control/merchants/{quote(merchant_id, safe='')}")["balance"]

    def set_clock(self, offset_s: float) -> dict:
        """Move the institution's clock ``offset_s`` ahead of the wall clock (0: back to it);
        the answer says what it now takes as the time (``now``, Beijing time)."""
        return self.call("PUT", "/control/clock", {"offset_s": offset_s})

    def answer_password(self, account: str, decision: str) -> dict:
        """The payer answers the wallet's password prompt: confirm, wrong-password or cancel."""
        return self.call("POST", "/control/wallet/password",
                         {"account": account, "decision": decision})


def _account_path(account: str) -> str:
    """An account ID in the URL path: an ICS may name accounts with any characters."""
    return f"/control/accounts/{quote(account, safe='')}"


class TapClient:
    """A simulator's tap (mocks/tap.py): its log of every message it received and sent, and
    the faults it is to inject; the simulated switch's also serves reconciliation files."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def cursor(self) -> int:
        return self.http.get(self.base_url + "/sim/cursor", timeout=self.timeout_s).json()["seq"]

    def records_after(self, seq: int) -> list[dict]:
        return self.http.get(self.base_url + "/sim/records", params={"after": seq},
                             timeout=self.timeout_s).json()

    def program_fault(self, fault: str, peer: str, msg_type: str | None = None,
                      times: int = 1, **params: object) -> dict:
        """Have the simulator spoil its next ``times`` exchanges of ``msg_type`` with ``peer``
        (a fault of the profile's faults.json); a programme it refuses is a harness error."""
        response = self.http.post(self.base_url + "/sim/faults", timeout=self.timeout_s, json={
            "fault": fault, "peer": peer, "msgType": msg_type, "params": params,
            "times": times})
        response.raise_for_status()
        return response.json()

    def reconciliation(self, participant: str, settle_date: str | None = None) -> dict:
        """The switch's reconciliation file for ``participant`` (default: today's)."""
        response = self.http.get(self.base_url + f"/sim/reconciliation/{participant}",
                                 params={"settleDate": settle_date} if settle_date else None,
                                 timeout=self.timeout_s)
        response.raise_for_status()
        return response.json()

    def clear_faults(self) -> int:
        """Forget the faults programmed; how many uses of them were never taken."""
        response = self.http.delete(self.base_url + "/sim/faults", timeout=self.timeout_s)
        return int(response.json().get("unused", 0)) if response.ok else 0


class Injector:
    """Sends messages to the SUT as the party the harness plays toward it — the switch toward
    an institution, a participant toward a switch — optionally corrupted after signing: how a
    scenario shows that the SUT checks what it receives."""

    def __init__(self, sender: Party, urls: dict[str, str], timeout_s: float,
                 channel: Channel, to_switch: bool = False,
                 wire: Binding | None = None, keys: KeyRing | None = None) -> None:
        self.sender = sender
        # The SUT's wire binding (default: the JSON envelope), and the keys an answer in it
        # is decoded against (a QRC answer names its signer by certId only).
        self.wire = wire or JsonBinding()
        self.keys = keys or KeyRing()
        # The legs a request and its answer travel on, as the message set names them.
        self.legs = ("to-switch", "from-switch") if to_switch else ("from-switch", "to-switch")
        self.urls = urls
        self.timeout_s = timeout_s
        self.channel = channel
        # Vouchers the harness gave out as the switch: the simulated switch never cleared
        # them, so they are in no reconciliation file.
        self.vouchers: set[str] = set()

    def speaking_as(self, sender: Party) -> Injector:
        """The same injector speaking as another party: a peer that sends to an institution
        straight, not through the switch."""
        other = copy.copy(self)
        other.sender = sender
        return other

    def deliver(self, receiver: str, msg_type: str, body: dict,
                tamper: Callable[[dict], None] | None = None,
                header: dict | None = None, deliberate: bool = False,
                copies: int = 1, between: int = 0) -> dict | None:
        """``header`` overrides header fields before signing (a correctly signed message that
        is stale, say); ``tamper`` changes the message after signing (a forged one);
        ``deliberate`` marks a message spoilt on purpose in some other way (passive checks
        do not judge it); ``copies`` sends the very same message that many times (a replay),
        with ``between`` other messages (the same body, each sealed afresh) before each copy
        after the first, so that a receiver that remembers only the last few nonces is
        caught; returns the last answer (None if it was no JSON)."""
        message = self._sealed(receiver, msg_type, body, header)
        if tamper:
            tamper(message)
        answer = None
        for copy_no in range(copies):
            for _ in range(between if copy_no else 0):
                self._post(receiver, self._sealed(receiver, msg_type, body, None), True)
            answer = self._post(receiver, message, deliberate or tamper is not None)
        return answer

    def _sealed(self, receiver: str, msg_type: str, body: dict, header: dict | None) -> dict:
        """A message signed by the sender, ``header`` fields set before signing."""
        message = seal(self.sender, msg_type, receiver, body, test_case_id=self.channel.test_case,
                       signer=self.wire, leg=f"request.{self.legs[0]}")
        if body.get("voucherNum"):
            self.vouchers.add(body["voucherNum"])
        if header:
            message["header"].update(header)
            message["signature"] = self.sign(self.sender.key, message, self.sender.key_id)
        return message

    def sign(self, key: SigningKey, message: dict, key_id: str | None = None,
             label: str | None = None) -> dict:
        """The signature ``key`` gives ``message`` (as it now stands) on the SUT's wire,
        labelled ``label`` if not with the key's algorithm."""
        return self.wire.sign(key, message["header"], message["body"], key_id,
                              f"request.{self.legs[0]}", label)

    def _post(self, receiver: str, message: dict, deliberate: bool) -> dict | None:
        self.channel.record("injector", self.sender.inst_id, receiver, "request",
                            self.wire.evidence(message, f"request.{self.legs[0]}"),
                            leg=self.legs[0], deliberate=deliberate)
        wire = self.wire.encode(message, f"request.{self.legs[0]}")
        try:
            response = requests.post(self.urls[receiver], data=wire.body,
                                     headers=wire.headers(), timeout=self.timeout_s)
        except requests.RequestException as exc:
            self.channel.record("injector", receiver, self.sender.inst_id, "response", None,
                                note=f"no answer: {exc}")
            raise SutUnreachable(f"{receiver} message endpoint: {type(exc).__name__}") from None
        try:
            answer = self.wire.decode(
                Wire(response.content, self.wire.content_type,
                     response.headers.get(TEST_CASE_HEADER)),
                f"response.{self.legs[1]}", self.keys, self.sender.inst_id, receiver)
        except WireError:
            answer = None
        self.channel.record("injector", receiver, self.sender.inst_id, "response", answer,
                            leg=self.legs[1], http={"status": response.status_code},
                            note=None if answer is not None else response.text[:2000])
        return answer_of(answer, f"{receiver}'s answer to the injected message", True)
