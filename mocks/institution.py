"""The reference institution: issuer (wallet) and acquirer (merchants, terminals) in one
service, with its own SQLite ledger, its own SM2 key and the profile's test-control API.

It is what ``qrinterop certify`` certifies by default, and what every simulated peer runs, so it
must follow the profile exactly. Named defects from ``mocks/defects.json`` each break one rule,
to prove that the scenarios notice.

Its two sides are mixins: ``mocks/acquiring.py`` (merchants, codes, the test terminal) and
``mocks/issuing.py`` (the wallet, payer accounts, what an issuer is sent); this module holds
what both use and the service itself.

Run by the runner as ``python -m mocks.institution --config FILE --fd N``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import secrets
import sqlite3
from dataclasses import replace
from datetime import timedelta
from functools import cached_property

from aiohttp import web

from mocks.acquiring import Acquiring
from mocks.control_api import (
    ControlApi,
    checked_by_contract,
    json_answers,
)
from mocks.issuing import Issuing
from mocks.ledger import Ledger
from mocks.merchant_codes import MerchantCodeStyle
from mocks.node import Node, header_text
from mocks.service import run
from mocks.tap import Tap
from qrinterop.codes import cpm_cryptogram, emv_mpm
from qrinterop.codes.payment_code import CodeRule
from qrinterop.codes.routing import payment_code_rules
from qrinterop.ics.service_config import ServiceConfig
from qrinterop.protocol import clock
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.protocol.envelope import beijing_now
from qrinterop.protocol.transport import PeerError


class Institution(Acquiring, Issuing, Node):
    def __init__(self, config: ServiceConfig) -> None:
        super().__init__(config)
        if self.defects.on("crash-on-start"):
            raise SystemExit("defect crash-on-start: exiting during start-up")
        self.contract = ControlApiSpec.of(self.profile)
        self.ledger = Ledger(config.state_file, self.contract.document["components"]
                             ["schemas"]["Balance"]["maximum"])
        codes = config.codes
        wrong_prefix = self.defects.on("payment-code-wrong-prefix")
        self.code_rules = [CodeRule(self.id, "70" if wrong_prefix else prefix, length)
                           for rule in payment_code_rules(codes)
                           for prefix in rule["prefixes"] for length in rule["lengths"]]
        self.codes = MerchantCodeStyle(
            codes.get("merchant_codes", "emv-guid"), self.id, self.switch_id,
            codes.get("merchant_guid"), self.profile.manifest["envelope"]["currency"],
            emv_mpm.Rules.of(self.profile.folder),
            emv_mpm.utf8_length if self.defects.on("merchant-code-byte-length") else len,
            with_amount=not self.defects.on("dynamic-code-without-amount"))
        #: the validity its ICS declares for its payment codes (R-CPM-08); None: the profile's
        self.declared_code_validity_s: float | None = codes.get("payment_code_validity_s")
        self.terminal: dict = config.terminal
        self.roles: set[str] = set(config.roles)
        self.features: set[str] | None = None if config.features is None \
            else set(config.features)
        # Order numbers must not repeat after a restart within the same second (the switch
        # would take a new purchase for the old one): the count starts anywhere.
        self.serial = itertools.count(secrets.randbelow(900_000) + 1)

    def join(self, network: dict) -> None:
        super().join(network)
        self.switch_id: str = network["switch_id"]
        self.responder.counterpart = self.switch_id

    def status_of(self, resp_code: str) -> str:
        """How a response code leaves a transaction: approved, declined, or unknown (query)."""
        entry = self.profile.response_codes.get(resp_code, {"outcome": "failure"})
        if resp_code == "73" and self.defects.on("expiry-taken-as-unknown"):
            return "unknown"        # a code table without 73: an unlisted code is "unknown"
        if entry["outcome"] == "unknown" and self.defects.on("pending-as-declined"):
            return "declined"
        return {"success": "approved", "unknown": "unknown"}.get(entry["outcome"], "declined")

    @cached_property
    def payment_code_form(self) -> re.Pattern:
        """What a purchase message can carry as a payment code, in ASCII digits only."""
        return re.compile(self.profile.definition("paymentCode")["pattern"].strip("^$"),
                          re.ASCII)

    @cached_property
    def emv_scheme(self) -> cpm_cryptogram.TestScheme | None:
        """The profile's test key scheme for EMV CPM cryptograms; None: the profile carries
        no EMV CPM payload (1.0's behaviour, where business.json has no emv_cpm)."""
        emv = self.profile.business.get("emv_cpm")
        if not emv:
            return None
        scheme = cpm_cryptogram.TestScheme.from_value(emv["cryptogram"]["value"])
        if self.defects.on("emv-own-test-keys"):    # its own test IMK, not the profile's
            scheme = replace(scheme, imk=hashlib.sha256(self.id.encode()).digest()[:16])
        return scheme

    def offers(self, feature: str) -> bool:
        """Whether this institution implements an optional feature: what its ICS declares
        (a peer of the simulated network implements them all)."""
        # Declared in the ICS, not implemented: the commonest gap between a claim and code.
        declared_only = {"partial-refund": self.defects.on("partial-refund-declared-only"),
                         "void": self.defects.on("void-declared-only")}
        if declared_only.get(feature):
            return False
        return self.features is None or feature in self.features or \
            self.defects.on("acts-beyond-its-ics")

    def reply(self, request: object, body: dict) -> dict:
        answer = super().reply(request, body)
        if self.defects.on("signs-pretty-json"):   # the classic: signing the bytes one logs
            shown = json.dumps({"body": answer["body"], "header": answer["header"]},
                               ensure_ascii=False, indent=2, sort_keys=True)
            answer["signature"]["value"] = self.party.key.sign(shown.encode("utf-8"))
        return answer

    def new_ref(self, kind: str) -> str:
        return f"{kind}{beijing_now():%Y%m%d%H%M%S}{next(self.serial):06d}"

    def new_merchant_id(self) -> str:
        return f"{self.id[:7]}{secrets.randbelow(10**8):08d}"

    async def to_switch(self, msg_type: str, body: dict, test_case: str | None) -> dict | str:
        """Send to the switch; no usable answer leaves the outcome unknown (03 or 04)."""
        try:
            return await self.send(self.switch_id, msg_type, body, "from-switch", test_case,
                                   self.timing("participant_request_timeout_s"))
        except PeerError as exc:
            if exc.kind in ("timeout", "unreachable"):
                return "98" if self.defects.on("timeout-invented-code") else "03"
            return "04"

    # -- talking to the switch ------------------------------------------------------------------
    def book_approval(self, db, body: dict, **details: object) -> None:
        """Record a transaction this institution approved for the switch; the switch's voucher
        number is its reference, as it is on the other side."""
        settle_date = body["settleDate"]
        if self.defects.on("wrong-settle-date"):      # its own calendar day, not the switch's
            settle_date = f"{beijing_now() - timedelta(days=1):%m%d}"
        elif own := self.own_settle_date(self.defects.on("settle-date-at-midnight"),
                                         self.defects.on("settle-date-from-utc")):
            settle_date = own
        self.ledger.record(db, ref=body["voucherNum"], status="approved", resp_code="00",
                           amount=body["amount"], currency=body["currency"],
                           voucher_num=body["voucherNum"], settle_date=settle_date, **details)

    @staticmethod
    def own_settle_date(at_midnight: bool, from_utc: bool = False) -> str | None:
        """A defective institution's own settlement date, instead of the switch's: its Beijing
        calendar date (the day turning at midnight, not 23:00), or the 23:00 turn of UTC."""
        if at_midnight:
            return f"{beijing_now():%m%d}"
        if from_utc:
            return f"{clock.utc_now() + timedelta(hours=1):%m%d}"
        return None

    async def respond(self, request: web.Request) -> web.StreamResponse:
        """Answer a message from the switch; with a tap, log it and spoil the answer if the
        harness programmed a fault for it (a peer that acknowledges late, or not at all)."""
        raw = await request.read()
        message, refusal = self.check_inbound(
            request, raw, "from-switch",
            verify=not self.defects.on("skip-signature-check"),
            validate=not self.defects.on("skip-message-validation"))
        sender, msg_type = header_text(message, "sender"), header_text(message, "msgType")
        self.log("in", sender, "from-switch", message or None,
                 note=refusal["body"]["respMsg"] if refusal else None)
        reply = refusal or self.on_message(message)
        if self.tap is None:
            return self.answer(reply)
        fault = None if refusal else self.tap.faults.take("answer", sender, msg_type)
        return await self.tap.respond(request, sender, "to-switch", reply, fault,
                                      lambda code: self.reply(message,
                                                              self.profile.response(code)))

    def remembered(self, message: dict, reply: dict) -> dict:
        """``reply`` to ``message``, a refusal noted by the message's voucher first, so that
        a query from the switch (whose answer was lost) learns its code."""
        if reply["body"]["respCode"] != "00":
            self.refused.setdefault(message["body"]["voucherNum"], reply["body"]["respCode"])
        return reply

    @cached_property
    def refused(self) -> dict[str, str]:
        """The purchases and MPM payments this institution refused, by voucher: their response
        codes (in memory; after a restart a refused one is one never seen, 35, refused all
        the same)."""
        return {}

    def tell_outcome(self, message: dict, txn: dict | None, code: str | None,
                     orig_msg_type: str, **facts: str) -> dict:
        """The answer to the switch's query about a transaction this institution decided
        (``txn`` as booked, or None if it booked none, and its response code): 00 and that
        code as origRespCode; 35 for one it never saw (``code`` None)."""
        if code is None:
            return self.refuse(message, "35", "no such transaction")
        facts["voucherNum"] = message["body"]["origVoucherNum"]
        if txn is not None:
            facts.update(amount=txn["amount"], currency=txn["currency"])
        return self.reply(message, {**self.profile.response("00"), "origRespCode": code,
                                    "origRespMsg": self.profile.response(code)["respMsg"],
                                    "origMsgType": orig_msg_type, **facts})

    def on_message(self, message: dict) -> dict:
        """The answer to a message that passed the checks every message gets."""
        from_peer = self.defects.on("accepts-requests-from-peers")
        if message["header"]["sender"] != self.switch_id and not from_peer:
            return self.refuse(message, "11", "only the switch may send to a participant")
        handler = {"mpm.inquiry.request": self.on_inquiry,
                   "mpm.payment.request": self.on_mpm_payment,
                   "cpm.purchase.request": self.on_purchase,
                   "cpm.additional_processing.request": self.on_password_request,
                   "cpm.reversal.request": self.on_reversal,
                   "cpm.status_query.request": self.on_status_query,
                   "mpm.payment_query.request": self.on_payment_query,
                   "notice.result.request": self.on_notice,
                   "mpm.collection_notice.request": self.on_collection_notice,
                   "cpm.refund.request": self.on_undo,
                   "cpm.void.request": self.on_undo,
                   "mpm.refund.request": self.on_undo,
                   "mpm.void.request": self.on_undo}.get(message["header"]["msgType"])
        if handler is None:
            if self.defects.on("acknowledges-messages-it-does-not-take"):
                return self.reply(message, self.profile.response("00"))     # a catch-all ack
            return self.refuse(message, "10", "this institution does not take that message")
        try:
            return handler(message)
        except sqlite3.IntegrityError as exc:
            if "CHECK" in str(exc):     # the ledger's bound on a balance
                return self.refuse(message, "33", "the payer's balance would pass its bound")
            # the ledger's own guard: one booking per voucher
            return self.refuse(message, "12", "voucher number already booked for another "
                                              "transaction")


#: How long the defect slows-under-load holds its one connection for each request: at a
#: scenario's few requests a second, a delay no step notices; at tens of transactions a
#: second (each two or three requests here), more than the one connection can serve: the
#: reference's declared peak, 10 a second, asks for twice what it serves.
ONE_CONNECTION_HOLD_S = 0.1


def one_connection(hold_s: float):
    """The defect slows-under-load, as real systems slow: every request, message or
    test-control call, waits its turn for one shared resource (a connection pool of one)
    and holds it ``hold_s``. Below 1/``hold_s`` requests a second nothing shows; above it
    the queue grows without end, latency climbs past any limit and the switch's and the
    harness's timeouts turn into errors. The resource is taken and given back before the
    handler runs, so a request the SUT itself causes (the switch asking it about its own
    purchase) waits its turn instead of a deadlock."""
    resource = asyncio.Lock()

    @web.middleware
    async def serialised(request: web.Request, handler) -> web.StreamResponse:
        async with resource:
            await asyncio.sleep(hold_s)
        return await handler(request)
    return serialised


def make_app(config: ServiceConfig) -> web.Application:
    institution = Institution(config)
    slow = [one_connection(ONE_CONNECTION_HOLD_S)] \
        if institution.defects.on("slows-under-load") else []
    app = institution.application(
        institution.respond,
        middlewares=[*slow, json_answers, checked_by_contract(institution)])
    app.router.add_routes(ControlApi(institution).routes())
    if config.tap:       # a peer around an SUT switch: the harness's eyes and hands
        institution.tap = Tap(institution.ledger.db, institution.profile.faults,
                              institution.profile.response_codes, institution.answer,
                              institution.wire, kinds=("answer",))
        app.router.add_routes(institution.tap.routes())
    return app


if __name__ == "__main__":
    run(make_app)
