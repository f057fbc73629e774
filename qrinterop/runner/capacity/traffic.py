"""The capacity run's traffic: each kind of transaction of the profile's mix made through the
real network, by the test-control APIs of the SUT and the simulated peers and, for status
queries, by a message the harness signs as the switch.

A worker holds one :class:`Traffic`, built from the share the master sent it (its accounts,
merchant codes, the switch's key), and every Locust user of the worker calls :meth:`one`.
No Locust here: what a transaction is and when it failed is plain HTTP, testable alone.
A transaction is one payment, refund or query, timed on that call only; a setup call (showing
a payment code) is not timed, but its failure is the transaction's error. An answer that is
not an approval, or a query answer that does not tell the original's approval, is an error
with a one-line reason that names no transaction, so that alike errors count together.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import requests

from qrinterop.profile import Profile, load_profile, profile_folder
from qrinterop.protocol.bindings import Wire, WireError, binding, signature_ok
from qrinterop.protocol.bindings.base import TEST_CASE_HEADER
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing

#: How many of the latest purchases with the SUT as issuer a worker keeps to query.
QUERYABLE = 200


class Failed(Exception):
    """A transaction that did not end as it should: its one-line reason, and how long the
    call that failed took (ms; 0 for a setup call)."""

    def __init__(self, reason: str, ms: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ms = ms


@dataclass(frozen=True)
class Payment:
    """An approved payment the worker may refund (at its acquirer) or query (at the SUT as
    its issuer, a CPM purchase only)."""

    acquirer: dict          # {"id", "control"}
    voucher: str
    amount: int
    order_no: str | None = None
    order_time: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Done:
    kind: str
    ended_at: float
    ms: float
    error: str | None


class Traffic:
    """One worker's share of the run: its accounts and codes, and what it made so far."""

    def __init__(self, share: dict) -> None:
        self.share = share
        self.amount = share["amount"]
        self.timeout_s = share["timeout_s"]
        self.sut = share["sut"]
        self.kinds, self.weights = zip(*share["mix"].items(), strict=True)
        self.accounts = {inst: itertools.cycle(accounts)
                         for inst, accounts in share["accounts"].items() if accounts}
        self.wire = binding(share["binding"], profile_named(share["profile"]))
        switch = share["switch"]
        self.switch = Party(switch["id"], SigningKey.from_pem(switch["key_pem"].encode()),
                            switch["key_id"])
        self.keys = KeyRing.from_registrations(share["registrations"])
        self.refundable: deque[Payment] = deque()
        self.queryable: deque[Payment] = deque(maxlen=QUERYABLE)
        self.pending: list[list[str]] = []      # [institution, ref] answered unknown
        self.settle_dates: set[str] = set()
        self.made: dict[str, Callable[[requests.Session], float]] = {
            "cpm-purchase-sut-issuer": self.cpm_sut_issuer,
            "cpm-purchase-sut-acquirer": self.cpm_sut_acquirer,
            "mpm-payment-sut-issuer": self.mpm_sut_issuer,
            "mpm-payment-sut-acquirer": self.mpm_sut_acquirer,
            "refund": self.refund, "status-query": self.status_query}

    def one(self, http: requests.Session) -> Done:
        """Make one transaction of a kind drawn by the mix's weights."""
        kind = random.choices(self.kinds, self.weights)[0]
        try:
            ms, error = self.made[kind](http), None
        except Failed as exc:
            ms, error = exc.ms, exc.reason
        return Done(kind, time.time(), ms, error)

    # -- the kinds -------------------------------------------------------------------------
    def cpm_sut_issuer(self, http: requests.Session) -> float:
        """The SUT's wallet shows a payment code; a peer acquirer's terminal charges it."""
        acquirer = random.choice(self.share["acquirers"])
        code = self.payment_code(http, self.sut)
        answer, ms = self.timed(http, acquirer, "/control/terminal/charge",
                                {"code": code, "amount": self.amount})
        self.queryable.append(self.approved(answer, acquirer, acquirer, ms, code))
        return ms

    def cpm_sut_acquirer(self, http: requests.Session) -> float:
        """A peer wallet shows a payment code; the SUT's terminal charges it."""
        code = self.payment_code(http, random.choice(self.share["issuers"]))
        answer, ms = self.timed(http, self.sut, "/control/terminal/charge",
                                {"code": code, "amount": self.amount})
        self.approved(answer, self.sut, self.sut, ms, code)
        return ms

    def mpm_sut_issuer(self, http: requests.Session) -> float:
        """The SUT's wallet pays a peer acquirer's static merchant code."""
        acquirer = random.choice(self.share["acquirers"])
        return self.pay(http, self.sut, acquirer)

    def mpm_sut_acquirer(self, http: requests.Session) -> float:
        """A peer wallet pays the SUT's static merchant code."""
        return self.pay(http, random.choice(self.share["issuers"]), self.sut)

    def refund(self, http: requests.Session) -> float:
        """The acquirer of an earlier approved payment refunds all of it (a purchase made
        first, untimed, when the worker has none left to refund)."""
        if not self.refundable:
            self.setup_purchase(http)
        payment = self.refundable.popleft()
        answer, ms = self.timed(http, payment.acquirer, "/control/terminal/refund",
                                {"voucherNum": payment.voucher, "amount": payment.amount})
        self.outcome(answer, payment.acquirer, ms)
        return ms

    def status_query(self, http: requests.Session) -> float:
        """As the switch, ask the SUT's issuer what became of a purchase it approved: the
        answer must be the SUT's, signed, 00, telling 00 as the original's outcome."""
        if not self.queryable:
            self.setup_purchase(http)
        payment = random.choice(self.queryable)
        body = {"origVoucherNum": payment.voucher, "origOrderNo": payment.order_no,
                "origOrderTime": payment.order_time, "code": payment.code,
                "origMsgType": "cpm.purchase", "acquirer": payment.acquirer["id"]}
        message = seal(self.switch, "cpm.status_query.request", self.sut["id"],
                       {k: v for k, v in body.items() if v is not None},
                       signer=self.wire, leg="request.from-switch")
        wire = self.wire.encode(message, "request.from-switch")
        started = time.perf_counter()
        try:
            response = http.post(self.sut["message"], data=wire.body, headers=wire.headers(),
                                 timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise Failed(f"no answer: {type(exc).__name__}", _ms(started)) from None
        ms = _ms(started)
        self.told_approved(response, ms)
        return ms

    # -- the steps they share --------------------------------------------------------------
    def setup_purchase(self, http: requests.Session) -> None:
        """A purchase made only so that a refund or a query has one: with the SUT as issuer
        when it is one (a query needs that), else as acquirer."""
        if "issuer" in self.sut["roles"]:
            self.cpm_sut_issuer(http)
        else:
            self.cpm_sut_acquirer(http)

    def payment_code(self, http: requests.Session, wallet: dict) -> str:
        account = next(self.accounts[wallet["id"]])
        answer, ms = self.timed(http, wallet, "/control/payment-codes", {"account": account})
        if not isinstance(answer.get("code"), str):
            raise Failed("the wallet showed no payment code", ms)
        return answer["code"]

    def pay(self, http: requests.Session, wallet: dict, acquirer: dict) -> float:
        account = next(self.accounts[wallet["id"]])
        code = self.share["merchant_codes"][acquirer["id"]]
        answer, ms = self.timed(http, wallet, "/control/wallet/pay",
                                {"account": account, "code": code, "amount": self.amount})
        self.approved(answer, wallet, acquirer, ms)
        return ms

    def approved(self, answer: dict, asked: dict, acquirer: dict, ms: float,
                 code: str | None = None) -> Payment:
        """The approved payment ``answer`` (from ``asked``) tells of (:class:`Failed` if it
        is not), kept for its ``acquirer`` to refund later."""
        self.outcome(answer, asked, ms)
        payment = Payment(acquirer, answer["voucherNum"], self.amount, answer.get("orderNo"),
                          answer.get("orderTime"), code)
        self.refundable.append(payment)
        return payment

    def outcome(self, answer: dict, at: dict, ms: float) -> None:
        """Fail unless ``answer`` (a control API's Transaction, from ``at``) is approved; one
        whose outcome is unknown there is noted, to be settled after the load."""
        status = answer.get("status")
        if answer.get("settleDate"):
            self.settle_dates.add(answer["settleDate"])
        if status == "unknown" and answer.get("ref"):
            self.pending.append([at["id"], answer["ref"]])
        if status != "approved" or not answer.get("voucherNum"):
            code = answer.get("respCode")
            raise Failed(f"{status or 'no status'}: "
                         f"{f'response code {code}' if code else 'no response code'}", ms)

    def told_approved(self, response: requests.Response, ms: float) -> None:
        """The SUT's answer to a status query is its own, signed, 00, telling approval."""
        try:
            answer = self.wire.decode(
                Wire(response.content, self.wire.content_type,
                     response.headers.get(TEST_CASE_HEADER)),
                "response.to-switch", self.keys, self.switch.inst_id, self.sut["id"])
        except WireError:
            raise Failed(f"HTTP {response.status_code}: not a message", ms) from None
        if answer.get("header", {}).get("sender") != self.sut["id"] or \
                not signature_ok(answer, self.keys):
            raise Failed("the query's answer is not signed by the SUT", ms)
        body = answer.get("body", {})
        told = f"{body.get('respCode')}/{body.get('origRespCode')}"
        if told != "00/00":
            raise Failed(f"query answered {told} (respCode/origRespCode), not 00/00", ms)

    def timed(self, http: requests.Session, party: dict, path: str, body: dict
              ) -> tuple[dict, float]:
        """One test-control call and how long it took (ms); :class:`Failed` when there is
        no answer or a refusal."""
        started = time.perf_counter()
        try:
            response = http.post(party["control"] + path, json=body, timeout=self.timeout_s)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Failed(f"{path}: no answer: {type(exc).__name__}", _ms(started)) from None
        ms = _ms(started)
        if response.status_code >= 400 or not isinstance(answer, dict):
            detail = answer.get("error", "") if isinstance(answer, dict) else ""
            raise Failed(f"{path}: HTTP {response.status_code} {str(detail)[:80]}".strip(), ms)
        return answer, ms

    def drain(self) -> dict:
        """The refs answered unknown and the clearing days seen since the last drain."""
        pending, self.pending = self.pending, []
        return {"pending": pending, "settle_dates": sorted(self.settle_dates)}


@functools.cache
def profile_named(reference: str) -> Profile:
    """The profile ``reference`` names (``cn-interconnect/1.1``), loaded once a process."""
    return load_profile(profile_folder(reference))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

