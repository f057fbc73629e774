"""The simulated switch (转接清算机构): routes, re-signs, times out, assigns clearing data, and
records every message it sees — it is the harness's point of control and observation.

Run by the runner as ``python -m mocks.switch --config FILE --fd N``; with ``processes``
in its config, as that many processes accepting on the one socket (mocks/service.py
``run_processes``), all of them keeping their state in the one SQLite database
(mocks/switch_store.py): none of them knows anything the others do not.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
from datetime import UTC, datetime, timedelta

from aiohttp import web

from mocks.clearing import ClearingBook
from mocks.control_api import clock_routes
from mocks.faults import SharedFaultPlan
from mocks.merchant_codes import URL_BASE
from mocks.node import Node, header_text
from mocks.service import run_processes
from mocks.switch_store import SharedNonces, SwitchStore
from mocks.tap import Tap
from qrinterop.codes import cpm_cryptogram, emv_cpm, emv_mpm, terminal
from qrinterop.codes.findings import ERROR
from qrinterop.codes.routing import RoutingTable
from qrinterop.ics.service_config import ServiceConfig
from qrinterop.protocol import clock
from qrinterop.protocol.canonical import canonicalize
from qrinterop.protocol.envelope import beijing_now
from qrinterop.protocol.fields import FieldDecryptionError
from qrinterop.protocol.transport import PeerError

#: A static collection code applied for without a validity lives as long as the message set
#: allows (validitySeconds' maximum: the 10 years UnionPay uses for reusable codes).
STATIC_CODE_VALIDITY_S = 315_360_000
#: Voucher and txn numbers carry a trace number of six digits.
TRACES = 1_000_000
#: Requests whose receiver answers a repeat alike and moves no money twice: one claimed but not
#: answered when the switch stopped is relayed again (a reversal must get through, R-FLOW-03).
RESENT_AFTER_RESTART = ("cpm.reversal.request",)


class Switch(Node):
    """Routing tables come from the participants' registrations in the runner's config."""

    ANSWER_LEG = "response.from-switch"

    def __init__(self, config: ServiceConfig, worker: int = 0) -> None:
        super().__init__(config)
        self.store = SwitchStore(config.state_file)
        self.worker, self.processes = worker, config.processes or 1
        if worker == 0:     # the first process, starting before its siblings
            self.store.forget_volatile()
            self.store.release_all(RESENT_AFTER_RESTART)
        if self.processes > 1 and self.responder.guard is not None:
            self.responder.guard = SharedNonces(self.responder.guard, self.store.db)
        # Only the participants: a code of an institution outside this network is not routable.
        self.routes = RoutingTable().extended(
            p for p in self.participants.values() if p["id"] != self.id)
        self.mpm_rules = emv_mpm.Rules.of(self.profile.folder)
        self.traces = itertools.count(1)
        # Notices this process sends, by voucher: the first copy answered (notify-before-answer
        # holds the answer of the request that made the notice, in the same process, for it).
        self.first_notices: dict[str, asyncio.Future] = {}
        self.tap = Tap(self.store.db, self.profile.faults, self.profile.response_codes,
                       self.answer, self.wire, faults=SharedFaultPlan(
                           self.store.db, self.profile.faults, self.profile.response_codes))
        # Money-moving requests, by the fields that name their transaction (the catalogue's
        # idempotency_key): each is claimed before it goes anywhere, so copies wait for the
        # first one's answer instead of going on too.
        self.claim_fields = {
            f"{name}.request": entry["idempotency_key"]
            for name, entry in self.profile.messages["messages"].items()
            if entry.get("moves_money") and entry["initiator"] != "switch"}
        # A repeat of these gets the first final answer from the answers table; a purchase
        # answers from its own record, whose outcome may change.
        self.idempotency_keys = {name: fields for name, fields in self.claim_fields.items()
                                 if name != "cpm.purchase.request"}
        # Purchases delivered whose answer was lost on the way back (fault lose-answer): the
        # issuer acted, so a query about one is put to the issuer (cpm.status_query); MPM
        # payments among them are asked about from the acquirer. Both in store.lost_*.
        self.book = ClearingBook(self.store.db, self.id,
                                 self.profile.manifest["envelope"]["currency"], self.defects)

    # -- evidence -------------------------------------------------------------------------------
    # -- clearing data --------------------------------------------------------------------------
    def settle_date(self, now: datetime | None = None) -> str:
        """The clearing day under way: one runs from 23:00 the day before to 23:00
        (cn-spec.md §2.5), so it is the Beijing date one hour from now, by the clock."""
        now = now or beijing_now()
        if self.defects.on("switch-settle-date-from-utc"):
            now = now.astimezone(UTC)
        turn = timedelta(hours=0 if self.defects.on("switch-clearing-day-at-midnight") else 1)
        return f"{now + turn:%m%d}"

    def trace(self) -> int:
        """A new trace number, below TRACES: each process of the switch draws from its own
        residue class, so no two of them ever give one voucher or txn number."""
        return self.worker + self.processes * (next(self.traces) % (TRACES // self.processes))

    def clearing(self) -> dict:
        """Voucher number and settlement date for a new financial transaction."""
        now = beijing_now()
        return {"voucherNum": f"{now:%Y%m%d}{now:%H%M%S}{self.trace():06d}",
                "settleDate": self.settle_date(now)}

    def settle_key(self, acquirer: str, clearing: dict) -> str:
        """38 characters: acquirer code and forwarder code space-padded to 11, then the trace
        number and the time (MMDDhhmmss), both read back from the voucher number."""
        voucher = clearing["voucherNum"]
        return f"{acquirer:<11}{self.id:<11}{voucher[14:20]}{voucher[4:14]}"

    def new_txn_no(self) -> str:
        now = beijing_now()
        return f"{now:%Y%m%d%H%M%S}{self.trace():08d}"

    # -- routing --------------------------------------------------------------------------------
    def acquirer_of(self, code: str) -> str | None:
        """The participant owning a merchant code: an EMV code by its merchant account
        templates if it keeps every coding rule (a broken code is nobody's to be asked about),
        a URL-form code by its pattern."""
        if self.defects.on("switch-routes-by-guid-text") and (owner := next(
                (owner for guid, owner in self.routes.guids.items() if guid in code.upper()),
                None)):
            return owner
        if code.startswith("00"):
            parsed, findings = emv_mpm.validate(code, self.mpm_rules)
            broken = parsed is None or any(f.severity == ERROR for f in findings)
            route = None if broken else self.routes.merchant_code(parsed)
        else:
            found = self.routes.collection_url(code)
            route = found[0] if found else None
        return route.institution if route else None

    async def forward(self, request: dict, receiver: str, body: dict,
                      outbound_type: str | None = None) -> dict | str:
        """Relay to ``receiver`` under the switch's own signature (as ``outbound_type``, by
        default the request's own type); return the checked answer, or the response code to
        give the requester when there is none. A programmed ``request`` fault may send it
        twice or with a skewed clock; the first answer counts."""
        outbound_type = outbound_type or request["header"]["msgType"]
        # Only what the receiver's leg has in this version goes on (1.1: riskInfo and
        # reqReserved stay at the switch).
        body = self.profile.carried(outbound_type.removesuffix(".request"),
                                    "request.from-switch", body)
        fault = self.tap.faults.take("request", receiver, outbound_type)
        if fault and fault.name == "lose-answer":   # delivered and acted on; the answer lost
            await self.relay_once(request, receiver, body, outbound_type, 0.0)
            self.store.lose_answer(body.get("voucherNum", ""))
            return "03"
        if fault and fault.name in ("lose-request", "abandon-request"):
            if fault.name == "abandon-request":     # delivered, but its answer comes too late
                self.spawn(self.late_answer(request, receiver, body, outbound_type))
            return "03"         # as far as the switch knows, no answer came
        skew = float(fault.params["skew_s"]) if fault and fault.name == "skew-clock" else 0.0
        copies = 2 if fault and fault.name == "deliver-twice" else 1
        answers = [await self.relay_once(request, receiver, body, outbound_type, skew)
                   for _ in range(copies)]
        return answers[0]

    async def late_answer(self, request: dict, receiver: str, body: dict,
                          outbound_type: str) -> None:
        """An answer that came after the switch stopped waiting: it does not reach the
        requester (who queries, then reverses), but an approval is final at the participant
        and so is cleared; the reversal that follows nets it out in the file (R-FLOW-05)."""
        answer = await self.relay_once(request, receiver, body, outbound_type, 0.0)
        if isinstance(answer, str) or answer["body"]["respCode"] != "00" \
                or not body.get("voucherNum"):
            return
        # A request to the issuer names its acquirer, one to the acquirer its issuer.
        acquirer, issuer = (body["acquirer"], receiver) if "acquirer" in body else \
            (receiver, body["issuer"])
        self.book.clear(outbound_type, body, body["voucherNum"], body["settleDate"],
                        self.settle_key(acquirer, body), acquirer, issuer)

    async def relay_once(self, request: dict, receiver: str, body: dict, outbound_type: str,
                         clock_skew_s: float) -> dict | str:
        clock.set_offset(self.store.clock_offset())     # a notice resent: no request came
        try:
            return await self.send(receiver, outbound_type, body, "to-switch",
                                   request["header"].get("testCaseId"),
                                   self.timing("switch_response_timeout_s"),
                                   clock_skew_s=clock_skew_s)
        except PeerError as exc:
            return "03" if exc.kind in ("timeout", "unreachable") else "04"

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        lenient = self.defects.on("switch-lenient-parsing")
        message, refusal = self.check_inbound(
            request, raw, "to-switch",
            verify=not self.defects.on("switch-skips-signature-check"),
            validate=not lenient)
        if lenient and not refusal:
            message["body"] = self.coerced(message)
        sender = header_text(message, "sender")
        note = refusal["body"]["respMsg"] if refusal else None
        if not message:
            note = f"{note}; received {raw[:2000].decode('utf-8', 'replace')!r}"
        self.tap.record("in", sender, "to-switch", message or None, note=note)
        refused = None if refusal else self.tap.faults.take("refusal", sender,
                                                            message["header"]["msgType"])
        if refused is not None:
            reply = self.reply(message, self.profile.response(str(refused.params["code"])))
            self.tap.record("out", sender, "from-switch", reply, deliberate=True,
                            note=f"fault injected: {refused.name}")
            self.tap.flush()
            return self.answer(reply)
        reply = refusal or await self.route(message)
        fault = None if refusal else self.tap.faults.take("answer", sender,
                                                          message["header"]["msgType"])
        if fault is not None and fault.name == "notify-before-answer":
            await self.first_notice_delivered(reply["body"].get("voucherNum"))
            fault = None        # the answer itself goes out intact, only later
        return await self.tap.respond(request, sender, "from-switch", reply, fault,
                                      lambda code: self.recoded(message, code))

    def recoded(self, message: dict, code: str) -> dict:
        """The switch's answer to ``message`` with another response code (fault
        answer-code). A 00 to a purchase is the switch's acceptance of it, with the clearing
        data it gave the purchase, whatever the issuer decided: the result notice or a
        status query tells the outcome (R-FLOW-17)."""
        body = self.profile.response(code)
        sender, request = header_text(message, "sender"), message["body"]
        row = self.store.purchase_by_order(request.get("orderNo"), request.get("orderTime"),
                                           sender) if code == "00" and \
            message["header"]["msgType"] == "cpm.purchase.request" else None
        if row is not None:
            body.update(voucherNum=row["voucher_num"], amount=row["amount"],
                        currency=row["currency"], settleDate=row["settle_date"],
                        settleKey=row["settle_key"], issuer=row["issuer"])
        return self.reply(message, body)

    async def route(self, message: dict) -> dict:
        """The switch's answer to a request, with the requester's reserved field returned
        unchanged where the profile in use has one (R-MSG-02)."""
        return self.echoed(message, await self.routed(message))

    def echoed(self, message: dict, reply: dict) -> dict:
        """``reply`` with the request's reqReserved returned unchanged, if its message type
        has one in the answer in this version (1.1: UnionPay reqReserved)."""
        reserved = message["body"].get("reqReserved")
        name = message["header"]["msgType"].removesuffix(".request")
        if reserved is None or "reqReserved" in reply["body"] or \
                self.defects.on("switch-drops-req-reserved") or \
                not self.profile.carries(name, "response.from-switch", "reqReserved"):
            return reply
        return self.reply(message, {**reply["body"], "reqReserved": reserved})

    async def routed(self, message: dict) -> dict:
        handler = {
            "mpm.inquiry.request": self.route_inquiry,
            "mpm.payment.request": self.route_mpm_payment,
            "cpm.purchase.request": self.route_purchase,
            "cpm.additional_processing_result.request": self.route_password_result,
            "cpm.status_query.request": self.route_status_query,
            "cpm.reversal.request": self.route_reversal,
            "cpm.refund.request": self.route_refund,
            "cpm.void.request": self.route_refund,
            "mpm.payment_query.request": self.route_mpm_query,
            "mpm.collection_query.request": self.route_mpm_query,
            "mpm.refund.request": self.route_refund,
            "mpm.void.request": self.route_refund,
            "mpm.code_apply.request": self.issue_collection_code,
            "cpm.code_apply.request": self.issue_payment_code,
        }.get(message["header"]["msgType"])
        if handler is None:
            return self.refuse(message, "10", "this switch does not route that message")
        claim = self._claim_key(message)
        if claim is not None and (holder := self.store.holder(claim)) is not None:
            return await self.answer_of_first(message, holder)
        if (earlier := self.earlier_answer(message)) is not None:
            return earlier
        if claim is None:
            return await handler(message, message["header"]["sender"], message["body"])
        # Claimed before the first await, in SQLite: a copy arriving meanwhile at any of the
        # switch's processes finds the claim (or loses the race for it, and waits too).
        first = self.store.take_claim(claim, self._request_text(message))
        if first is None:           # another copy claimed it since: as if it came first
            return await self.routed(message)
        self.claim(message)
        answer = None
        try:
            reply = await handler(message, message["header"]["sender"], message["body"])
            self.keep_answer(message, reply)
            answer = reply["body"]
            return reply
        finally:
            self.store.finish_claim(first, answer)
            if answer is None:      # the handler failed: the copies are told so
                self.release(message)
            # Kept while a copy may still be waiting for it.
            asyncio.get_running_loop().call_later(
                self.timing("switch_response_timeout_s") + 1.0, self.store.drop_claim, first)

    # -- idempotency ------------------------------------------------------------------------------
    def _transaction_key(self, message: dict) -> str | None:
        fields = self.idempotency_keys.get(message["header"]["msgType"])
        return json.dumps([message["body"].get(f) for f in fields]) if fields else None

    def _claim_key(self, message: dict) -> str | None:
        """What names a money-moving request's transaction in this process: its sender, its
        type and its catalogue idempotency_key; None for any other request."""
        header = message["header"]
        fields = self.claim_fields.get(header["msgType"])
        return json.dumps([header["sender"], header["msgType"],
                           *(message["body"].get(f) for f in fields)]) if fields else None

    @staticmethod
    def _request_text(message: dict) -> str:
        return canonicalize(message["body"]).decode("utf-8")

    async def answer_of_first(self, message: dict, first: int) -> dict:
        """A copy of a request under way (its claim's token ``first``): the first copy's
        answer once it comes, 12 if this is another request under the same transaction key;
        03 (query it) if the first copy takes longer than the switch waits for any answer."""
        try:
            outcome = await self.store.outcome(first, self.timing("switch_response_timeout_s"))
        except TimeoutError:
            return self.refuse(message, "03", "the first copy of this request is under way")
        if outcome is None:
            return self.refuse(message, "06", "the first copy of this request failed")
        request, body = outcome
        by_key = self.defects.on("switch-answers-altered-repeats-from-record")
        if request != self._request_text(message) and not by_key:
            return self.refuse(message, "12", "transaction key already names another request")
        return self.reply(message, body)

    def claim(self, message: dict) -> None:
        """Put a money-moving request on disk before it goes anywhere: a repeat after a
        restart then learns that its outcome is unknown instead of moving money again (a
        purchase is on record in ``purchases`` instead)."""
        if (txn_key := self._transaction_key(message)) is None:
            return
        header = message["header"]
        self.store.claim(header["sender"], header["msgType"], txn_key, header["msgId"],
                         self._request_text(message))

    def release(self, message: dict) -> None:
        """Drop the claim of a request whose outcome is unknown: a repeat is routed again."""
        header = message["header"]
        self.store.release(header["sender"], header["msgType"], self._transaction_key(message))

    def earlier_answer(self, message: dict) -> dict | None:
        """The answer to a request this sender made before (same message ID, or same
        transaction by the catalogue's idempotency_key): the first final answer again if it is
        the same request, 12 if the ID or key now names another; None for a new request."""
        header, txn_key = message["header"], self._transaction_key(message)
        if self.defects.on("switch-relays-repeated-refunds") and ".refund." in header["msgType"]:
            return None
        earlier = self.store.earlier(header["sender"], header["msgId"], header["msgType"],
                                     txn_key)
        if earlier is None:
            return None
        # defect: the whole envelope compared, whose msgId and nonce are new in every copy
        by_envelope = self.defects.on("switch-compares-repeats-with-envelope")
        # defect: the transaction key alone taken as the request, its amount never compared
        by_key = self.defects.on("switch-answers-altered-repeats-from-record")
        if (earlier.request != self._request_text(message) and not by_key) or by_envelope:
            return self.refuse(message, "12", "message ID or transaction key already names"
                                              " another request")
        if earlier.answer is None:      # claimed by a process that stopped before it was answered
            return self.refuse(message, "03", "the outcome of the first copy is unknown")
        return self.reply(message, earlier.answer)

    def keep_answer(self, message: dict, reply: dict) -> None:
        """Remember a final answer to a money-moving request; one whose outcome is unknown is
        not final, so a repeat of that request is routed again."""
        txn_key = self._transaction_key(message)
        outcome = self.profile.response_codes.get(reply["body"]["respCode"], {}).get("outcome")
        if txn_key is None:
            return
        if outcome == "unknown":
            self.release(message)
            return
        header = message["header"]
        self.store.keep_answer(header["sender"], header["msgType"], txn_key, reply["body"])

    async def issue_payment_code(self, message: dict, issuer: str, body: dict) -> dict:
        """A payment code applied for by an issuer (cpm.code_apply): one of the issuer's own
        registered prefix and length, so that the switch routes it back to that issuer."""
        rules = [r for r in self.routes.code_rules if r.owner == issuer]
        if not rules and self.defects.on("switch-mints-codes-for-any-applicant"):
            rules = list(self.routes.code_rules)    # defect: whoever applies, from the table
        if not rules:
            return self.refuse(message, "32", "only an issuer with registered payment codes"
                                              " applies for them")
        code = secrets.choice(rules).new_code()
        if self.defects.on("switch-mints-unroutable-codes"):
            code += "0"         # one digit more than the issuer registered
        return self.reply(message, {**self.profile.response("00"), "code": code,
                                    "validitySeconds": body.get("validitySeconds", 60)})

    async def issue_collection_code(self, message: dict, acquirer: str, body: dict) -> dict:
        """A collection code applied for by an acquirer (mpm.code_apply): a URL-form code that
        names the acquirer and, for a static code, the merchant, or, for a dynamic one, the
        acquirer's order, so that inquiries about it are routed back to that acquirer."""
        anyone = self.defects.on("switch-mints-collection-codes-for-anyone")
        if "acquirer" not in self.participants[acquirer]["roles"] and not anyone:
            return self.refuse(message, "32", "only an acquirer applies for collection codes")
        token = body["orderNo"] if body["codeType"] == "dynamic" else body["merchant"]["id"]
        default = self.profile.business["codes"]["dynamic_merchant_code_validity_s"]["value"] \
            if body["codeType"] == "dynamic" else STATIC_CODE_VALIDITY_S
        return self.reply(message, {**self.profile.response("00"),
                                    "code": f"{URL_BASE}/{acquirer}/{token}",
                                    "validitySeconds": body.get("validitySeconds", default)})

    async def route_inquiry(self, message: dict, issuer: str, body: dict) -> dict:
        acquirer = self.acquirer_of(body["code"])
        if acquirer is None:
            return self.refuse(message, "31" if self.defects.on("switch-unroutable-merchant-31")
                               else "44", "no participant owns this merchant code")
        txn_no = self.new_txn_no()
        answer = await self.forward(message, acquirer, {**body, "txnNo": txn_no, "issuer": issuer})
        if isinstance(answer, str):
            return self.refuse(message, answer)
        if answer["body"]["respCode"] == "00":
            self.store.add_mpm_order(txn_no, acquirer, issuer)
            return self.reply(message, {**answer["body"], "acquirer": acquirer})
        return self.reply(message, answer["body"])

    async def route_mpm_payment(self, message: dict, issuer: str, body: dict) -> dict:
        acquirer = self.store.mpm_order_acquirer(body["txnNo"], issuer)
        if acquirer is None:
            return self.refuse(message, "35", "unknown txnNo")
        try:    # the payer's details are the switch's to open, and the acquirer's next
            payer = self.open_field(body["payer"])
            if not self.defects.on("switch-forwards-payer-in-clear"):
                payer = self.encrypt_for(acquirer, payer)
        except FieldDecryptionError as exc:
            return self.refuse(message, "10", f"payer: {exc}")
        clearing = self.clearing()
        reply = await self.relay_financial(message, acquirer, acquirer=acquirer, issuer=issuer,
                                           extra={"issuer": issuer, "payer": payer},
                                           answered_by="acquirer", clearing=clearing)
        if self.store.answer_lost(clearing["voucherNum"]):  # the acquirer acted: ask it later
            self.store.lose_payment(issuer, self._order_key(body), message, clearing, acquirer)
        self.collected(acquirer, issuer, body, reply["body"], message["header"].get("testCaseId"))
        return reply

    @staticmethod
    def _order_key(body: dict) -> str:
        """How an issuer's MPM payment is named: its orderNo and orderTime."""
        return json.dumps([body.get("orderNo", body.get("origOrderNo")),
                           body.get("orderTime", body.get("origOrderTime"))])

    def collected(self, acquirer: str, issuer: str, body: dict, answer: dict,
                  test_case: str | None) -> None:
        """An approved MPM payment: the acquirer hears of the collection (R-FLOW-08)."""
        if answer["respCode"] == "00":
            self.notify(acquirer, "mpm.collection_notice", {
                "txnNo": body["txnNo"], "amount": body["amount"], "currency": body["currency"],
                **{k: answer[k] for k in ("voucherNum", "settleDate", "settleKey")},
                **{k: body[k] for k in ("payerAccountType",) if k in body},
                "issuer": issuer}, test_case)

    async def ask_acquirer(self, message: dict, issuer: str) -> bool:
        """The issuer queries an MPM payment whose acquirer's answer the switch lost: ask the
        acquirer (mpm.payment_query) and, if it tells a final outcome, keep it as the
        payment's answer (an approval cleared, and its collection notified). Whether the
        switch now knows the outcome."""
        lost = self.store.lost_payment(issuer, self._order_key(message["body"]))
        if lost is None:
            return False
        original, clearing, acquirer = lost
        body = original["body"]
        answer = await self.forward(message, acquirer, {
            "origTxnNo": body["txnNo"], "origVoucherNum": clearing["voucherNum"],
            "origOrderNo": body["orderNo"], "origOrderTime": body["orderTime"],
            "origMsgType": "mpm.payment", "issuer": issuer}, "mpm.payment_query.request")
        code = self.told_outcome(answer)
        if code is None:
            return False
        if not self.store.payment_found(issuer, self._order_key(body)):
            return True         # another process of the switch learnt it meanwhile
        self.store.answer_found(clearing["voucherNum"])
        found = {**self.profile.response(code), "txnNo": body["txnNo"]}
        if code == "00":
            found.update(amount=body["amount"], currency=body["currency"], acquirer=acquirer,
                         voucherNum=clearing["voucherNum"], settleDate=clearing["settleDate"],
                         settleKey=self.settle_key(acquirer, clearing))
            self.book.clear("mpm.payment.request", {**body, "issuer": issuer},
                            clearing["voucherNum"], clearing["settleDate"], found["settleKey"],
                            acquirer, issuer)
        self.claim(original)
        self.keep_answer(original, {"body": found})
        self.collected(acquirer, issuer, body, found, original["header"].get("testCaseId"))
        return True

    def told_outcome(self, answer: dict | str) -> str | None:
        """The final outcome an institution's answer to the switch's status query tells
        (its origRespCode; 35: it never saw the transaction); None if none."""
        told = None if isinstance(answer, str) else answer["body"]
        code = told and (told.get("origRespCode") if told["respCode"] == "00"
                         else told["respCode"] if told["respCode"] == "35" else None)
        final = self.profile.response_codes.get(code or "", {}).get("outcome")
        return None if final in (None, "unknown") else code

    async def route_mpm_query(self, message: dict, requester: str, body: dict) -> dict:
        """What the switch's record says of an MPM payment: mpm.payment_query from the payer's
        issuer, mpm.collection_query from the merchant's acquirer; found by the payment's
        txnNo, its voucher number, or (for the issuer) its own orderNo and orderTime."""
        side = "issuer" if message["header"]["msgType"] == "mpm.payment_query.request" \
            else "acquirer"
        if side == "issuer" and await self.ask_acquirer(message, requester):
            return await self.route_mpm_query(message, requester, body)
        by_txn = not self.defects.on("switch-finds-mpm-payments-by-order-only")
        payment = self.store.mpm_payment(
            side, requester, body.get("origTxnNo") if by_txn else None, body.get("origVoucherNum"),
            json.dumps([body.get("origOrderNo"), body.get("origOrderTime")]))
        if payment is None:
            return self.refuse(message, "35", f"no MPM payment of this {side} matches the query")
        # A payment whose answer the switch has not had (or lost in a crash) is unknown.
        request = payment.request
        answer = payment.answer or self.profile.response("03")
        found = {**self.profile.response("00"), "origMsgType": "mpm.payment",
                 "origRespCode": answer["respCode"], "origRespMsg": answer["respMsg"],
                 "origTxnNo": payment.txn_no, "origOrderNo": request["orderNo"],
                 "origOrderTime": request["orderTime"], "amount": request["amount"],
                 "currency": request["currency"]}
        if answer["respCode"] == "00":
            found.update({k: answer[k] for k in ("voucherNum", "settleDate", "settleKey")},
                         origVoucherNum=answer["voucherNum"])
            if side == "issuer":
                found["acquirer"] = payment.acquirer
            else:
                found["issuer"] = payment.issuer
        return self.reply(message, found)

    def coerced(self, message: dict) -> dict:
        """A lenient gateway's reading of a request (defect switch-lenient-parsing): fields
        the schema does not know dropped, numbers and text turned into what it wants."""
        name = message["header"]["msgType"].removesuffix(".request")
        try:
            fields = self.profile.leg_body_schema(name, "request.to-switch")["properties"]
        except KeyError:
            return message["body"]
        kinds = {key: self.profile.definition(spec["$ref"].rsplit("/", 1)[1]).get("type")
                 if "$ref" in spec else spec.get("type") for key, spec in fields.items()}
        cast = {"string": str, "integer": lambda v: int(str(v)) if str(v).isdigit() else v}
        return {key: cast.get(kinds[key], lambda v: v)(value)
                for key, value in message["body"].items() if key in kinds}

    def issuer_of(self, code: str) -> str | None:
        """The participant owning a payment code, by prefix and length (R-CPM-02); an EMV
        CPM payload, where the profile carries them, by its PAN in the same table (R-CPM-05;
        business.json emv_cpm.routing), the payload itself left as it came."""
        if "emv_cpm" in self.profile.business and emv_cpm.is_cpm(code):
            try:
                code = cpm_cryptogram.pan_of(code)
            except cpm_cryptogram.CryptogramError:
                return None
        if self.defects.on("switch-routes-by-prefix-only"):
            rules = [r for r in self.routes.code_rules if code.startswith(r.prefix)]
            return max(rules, key=lambda r: len(r.prefix)).owner if rules else None
        if self.defects.on("switch-routes-by-length-only"):
            return next((r.owner for r in self.routes.code_rules if len(code) == r.length), None)
        route = self.routes.payment_code(code)
        return route.institution if route else None

    async def route_purchase(self, message: dict, acquirer: str, body: dict) -> dict:
        issuer = self.issuer_of(body["code"])
        if issuer is None:
            return self.refuse(message, "61" if self.defects.on("switch-unroutable-code-answers-61")
                               else "44", "no participant owns this payment code")
        if (wrong := self.terminal_fault(acquirer, body)) is not None:
            return self.refuse(message, terminal.refusal_code(self.profile), wrong)
        earlier = self.store.purchase_by_order(body["orderNo"], body["orderTime"], acquirer)
        if earlier is not None and not self.defects.on("switch-forwards-repeated-purchases") \
                and (self.same_purchase(message, earlier)
                     or not self.defects.on("switch-relays-altered-repeats")):
            return self.repeated_purchase(message, earlier)
        clearing = self.clearing()
        if body["amount"] > self.profile.business["password"]["pin_free_limit_fen"]["value"] \
                and not self.defects.on("switch-skips-password-step-up"):
            return await self.ask_for_password(message, issuer, acquirer, clearing)
        # On record, its outcome unknown, before the issuer sees it: if the switch stops
        # before the answer, queries find it and a reversal can name it (R-FLOW-04, -05).
        self.remember_purchase(body, acquirer, issuer, clearing, "03")
        extra = {"acquirer": acquirer}
        if self.defects.on("switch-strips-transparent-templates") and emv_cpm.is_cpm(body["code"]):
            # keeps only the POI data it routes by, and re-encodes the payload
            extra["code"] = cpm_cryptogram.stripped(body["code"])
        reply = await self.relay_financial(message, issuer, acquirer=acquirer, issuer=issuer,
                                           extra=extra, answered_by="issuer",
                                           clearing=clearing)
        # What the issuer tells the acquirer of the payer (R-MSG-03) goes in the notice too,
        # and in the answer to a repeat of the purchase (R-FLOW-06).
        told = {k: reply["body"][k] for k in ("payerAccountType",) if k in reply["body"]}
        if told and self.defects.on("switch-drops-payer-account-type"):
            told, reply = {}, self.reply(message, {
                k: v for k, v in reply["body"].items() if k != "payerAccountType"})
        self.store.conclude_purchase(clearing["voucherNum"], reply["body"]["respCode"], told)
        if self.defects.on("switch-generalises-code-declines") and \
                reply["body"]["respCode"] in ("72", "73"):
            return self.refuse(message, "01", "transaction failed")   # the reason lost
        # Approvals only: 「支付失败的交易银联不会发送后台通知」 (R-FLOW-08).
        if reply["body"]["respCode"] == "00" or (
                self.defects.on("switch-notifies-declines")
                and self.profile.response_codes.get(reply["body"]["respCode"], {}).get(
                    "outcome") == "failure"):
            self.notify_acquirer(clearing["voucherNum"], message["header"].get("testCaseId"),
                                 told=told)
        return reply

    def terminal_fault(self, acquirer: str, body: dict) -> str | None:
        """What is wrong with a purchase's terminal (R-CPM-09): its termInfo, or a termId
        the acquirer did not register; None under a profile without the rule."""
        if self.defects.on("switch-leaves-terminal-info-to-issuer"):
            return None                                 # relayed unchecked: the issuer's job
        if self.defects.on("switch-accepts-unregistered-terminal"):
            return terminal.fault(self.profile, body)   # the factor checked, never the list
        registration = self.participants.get(acquirer, {})
        return terminal.fault(self.profile, body, terminal.registered_terminals(registration))

    def same_purchase(self, message: dict, earlier: dict) -> bool:
        """Whether a purchase under the orderNo and orderTime of ``earlier`` is the very same
        request (merchant, terminal and all), not another one under a key already used."""
        body = message["body"]
        if self.defects.on("switch-compares-repeats-by-code-and-amount"):
            return (body["code"], body["amount"]) == (earlier["code"], earlier["amount"])
        return self._request_text(message) == earlier["request"]

    def repeated_purchase(self, message: dict, earlier: dict) -> dict:
        """The same purchase again (its orderNo and orderTime, R-FLOW-06) gets the first one's
        outcome as it stands and goes nowhere; another purchase under them is refused."""
        if not self.same_purchase(message, earlier):
            return self.refuse(message, "12", "orderNo and orderTime already name another"
                                              " purchase")
        return self.reply(message, {**self.profile.response(earlier["resp_code"]),
                                    **self.purchase_facts(earlier),
                                    **json.loads(earlier["told"] or "{}")})

    def purchase_facts(self, row: dict) -> dict:
        """What an answer about a purchase on record tells: its voucher and amount, and its
        clearing data once it is approved."""
        facts = {"voucherNum": row["voucher_num"], "amount": row["amount"],
                 "currency": row["currency"]}
        if row["resp_code"] == "00":
            facts.update(settleDate=row["settle_date"], settleKey=row["settle_key"],
                         issuer=row["issuer"])
        return facts

    # -- result notices ----------------------------------------------------------------------------
    def notify_acquirer(self, voucher: str, test_case: str | None,
                        side: str = "acquirer", told: dict | None = None) -> None:
        """Tell the acquirer a purchase is final (R-FLOW-08), in the background: the notice is
        sent at once and again on the profile's schedule until a signed 00 comes back. It
        carries what the issuer ``told`` of the payer, and the purchase's reqReserved where
        the profile has them (1.1)."""
        row = self.store.purchase_by_voucher(voucher)
        reserved = json.loads(row["request"]).get("reqReserved")
        told = {**(told or {}), **({"reqReserved": reserved} if reserved and
                                   not self.defects.on("switch-drops-req-reserved") else {})}
        notice = {"origMsgType": "cpm.purchase", "origRespCode": row["resp_code"],
                  "origRespMsg": self.profile.response(row["resp_code"])["respMsg"],
                  "orderNo": row["order_no"], "orderTime": row["order_time"],
                  "code": row["code"], "voucherNum": voucher, "settleDate": row["settle_date"],
                  "settleKey": row["settle_key"], "amount": row["amount"],
                  "currency": row["currency"], "acquirer": row["acquirer"],
                  "issuer": row["issuer"], **told}
        self.notify(row[side], "notice.result", notice, test_case)

    def notify(self, receiver: str, msg_type: str, notice: dict, test_case: str | None) -> None:
        """Send a notice (``notice.result`` or ``mpm.collection_notice``) in the background,
        kept on disk until it is done with."""
        self.store.keep_notice(receiver, msg_type, notice, test_case)
        self.start_notice(receiver, msg_type, notice, test_case)

    def resume(self) -> None:
        """Notices not yet acknowledged when the switch stopped are sent again from the start
        of their schedule, by its first process: a restart does not lose them. (A request
        that may safely be relayed twice has lost the claim it had then: ``__init__``.)"""
        if self.worker != 0:
            return
        for pending in self.store.pending_notices():
            self.start_notice(pending.receiver, pending.msg_type, pending.notice,
                              pending.test_case)

    def start_notice(self, receiver: str, msg_type: str, notice: dict,
                     test_case: str | None) -> None:
        first_sent = asyncio.get_running_loop().create_future()
        self.first_notices[notice["voucherNum"]] = first_sent
        self.spawn(self.send_notice(receiver, msg_type, notice, test_case, first_sent))

    async def send_notice(self, receiver: str, msg_type: str, notice: dict,
                          test_case: str | None, first_sent: asyncio.Future) -> None:
        """Send on the schedule until a signed 00 comes back or the attempts run out; either
        way the notice is done with."""
        schedule = self.profile.schedules["notification_retry"]
        carrier = {"header": {"msgType": f"{msg_type}.request", "testCaseId": test_case}}
        try:
            attempts = 1 if self.defects.on("switch-never-resends-notices") \
                else schedule["max_attempts"]
            at_once = self.defects.on("switch-resends-notices-at-once")
            for delay in schedule["delays_s"][:attempts]:
                await asyncio.sleep(0 if at_once else delay * self.scale)
                answer = await self.forward(carrier, receiver, notice)
                if not first_sent.done():
                    first_sent.set_result(None)
                if not isinstance(answer, str) and answer["body"]["respCode"] == "00":
                    break
            self.store.drop_notice(notice["voucherNum"])
        finally:
            self.first_notices.pop(notice["voucherNum"], None)

    async def first_notice_delivered(self, voucher: object) -> None:
        """Wait until the first copy of the result notice about ``voucher`` has been answered
        (or given up on); at once if no notice about it is under way."""
        first_sent = self.first_notices.get(voucher) if isinstance(voucher, str) else None
        if first_sent is not None:
            await asyncio.shield(first_sent)

    # -- password step-up and status queries (CPM) ----------------------------------------------
    async def ask_for_password(self, message: dict, issuer: str, acquirer: str,
                               clearing: dict) -> dict:
        """Above the pin-free limit a purchase waits for the payer's password (R-FLOW-09): the
        issuer is asked with cpm.additional_processing, the acquirer is told 70 and queries.
        The purchase is on record before the issuer is asked, so that an answer arriving at
        once finds it."""
        body = message["body"]
        due = clock.now_s() + self.timing("payment_code_validity_s")
        self.remember_purchase(body, acquirer, issuer, clearing, "70", password_due=due)
        ask = {**{k: body[k] for k in ("code", "amount", "currency", "merchant", "orderNo",
                                       "orderTime")},
               "voucherNum": clearing["voucherNum"], "settleDate": clearing["settleDate"],
               "acquirer": acquirer, "reason": "pin_free_limit_exceeded"}
        answer = await self.forward(message, issuer, ask, "cpm.additional_processing.request")
        code = answer if isinstance(answer, str) else answer["body"]["respCode"]
        if code != "00" and self.profile.response_codes.get(code, {}).get("outcome") == "failure":
            self.conclude(clearing["voucherNum"], code)      # the issuer refused the code
            return self.reply(message, self.profile.response(code))
        return self.reply(message, {**self.profile.response("70"),
                                    "voucherNum": clearing["voucherNum"],
                                    "amount": body["amount"], "currency": body["currency"]})

    async def route_password_result(self, message: dict, issuer: str, body: dict) -> dict:
        """The issuer reports the payer's decision; the same report again changes nothing."""
        row = self.store.purchase_by_voucher(body["voucherNum"], issuer=issuer)
        if row is None:
            return self.refuse(message, "35", "no purchase of this issuer with that voucher")
        if row["resp_code"] == "70":
            if self.conclude(row["voucher_num"], body["resultCode"],
                             message["header"].get("testCaseId"), waiting=True):
                if body["resultCode"] != "00" and \
                        self.defects.on("switch-clears-declined-step-ups"):
                    self.clear_purchase(row["voucher_num"])
                return self.reply(message, self.profile.response("00"))
            # Final meanwhile, by a report another process of the switch took.
            row = self.store.purchase_by_voucher(body["voucherNum"], issuer=issuer) or row
        if row["resp_code"] != body["resultCode"]:
            if self.defects.on("switch-takes-latest-password-result"):    # defect: last word wins
                self.conclude(row["voucher_num"], body["resultCode"],
                              message["header"].get("testCaseId"))
                return self.reply(message, self.profile.response("00"))
            return self.refuse(message, "35", f"the purchase is already final "
                                              f"(response code {row['resp_code']})")
        return self.reply(message, self.profile.response("00"))

    async def route_status_query(self, message: dict, acquirer: str, body: dict) -> dict:
        """What the switch knows of one of the acquirer's purchases: the query's own answer
        is 00, the purchase's is origRespCode (70 while the payer has not decided)."""
        if body.get("origVoucherNum"):
            row = self.store.purchase_by_voucher(body["origVoucherNum"], acquirer=acquirer)
        else:
            row = self.store.purchase_by_order(body.get("origOrderNo"), body.get("origOrderTime"),
                                               acquirer)
        if row is None:
            return self.refuse(message, "35", "no purchase of this acquirer matches the query")
        if self.store.answer_lost(row["voucher_num"]):
            row = await self.ask_issuer(message, row)
        if row["resp_code"] == "70" \
                and self.defects.on("switch-reports-waiting-purchases-approved"):
            row = {**row, "resp_code": "00"}
        return self.reply(message, {
            **self.profile.response("00"), "origRespCode": row["resp_code"],
            "origRespMsg": self.profile.response(row["resp_code"])["respMsg"],
            "origMsgType": "cpm.purchase", "origOrderNo": row["order_no"],
            "origOrderTime": row["order_time"], **self.purchase_facts(row)})

    async def ask_issuer(self, message: dict, row: dict) -> dict:
        """The switch's record of a purchase is not final because the issuer's answer was
        lost: ask the issuer (cpm.status_query, as the acquirer's query ``message`` goes
        on), and take a final outcome it tells (its origRespCode; 35: it never saw the
        purchase) as the purchase's. The purchase as the switch now knows it."""
        ask = {"origVoucherNum": row["voucher_num"], "origOrderNo": row["order_no"],
               "origOrderTime": row["order_time"], "code": row["code"],
               "origMsgType": "cpm.purchase", "acquirer": row["acquirer"]}
        answer = await self.forward(message, row["issuer"], ask, "cpm.status_query.request")
        code = self.told_outcome(answer)
        if code is None:
            return row          # nothing final learnt: asked again at the next query
        if self.store.answer_found(row["voucher_num"]):     # once, if two queries asked
            self.conclude(row["voucher_num"], code)
        return self.store.purchase_by_voucher(row["voucher_num"])

    async def route_reversal(self, message: dict, acquirer: str, body: dict) -> dict:
        """A reversal goes to the issuer of the purchase it names (by the purchase's own
        orderNo and orderTime), under a voucher of its own, and is cleared when approved. The
        same reversal again is relayed again: the issuer answers it alike."""
        row = self.store.purchase_by_order(body["origOrderNo"], body["origOrderTime"], acquirer)
        if row is None:
            return self.refuse(message, "35", "no purchase of this acquirer with that order")
        answer = await self.relay_financial(
            message, row["issuer"], acquirer=acquirer, issuer=row["issuer"],
            extra={"acquirer": acquirer, "origVoucherNum": row["voucher_num"]},
            answered_by="issuer")
        if answer["body"]["respCode"] == "00" and not self.defects.on("switch-forgets-reversals"):
            # Final now, whatever the switch knew of it: a query finds it reversed (R-FLOW-05).
            self.conclude(row["voucher_num"], "46")
        return answer

    def remember_purchase(self, body: dict, acquirer: str, issuer: str, clearing: dict,
                          resp_code: str, password_due: float | None = None) -> None:
        self.store.add_purchase(clearing["voucherNum"], acquirer, issuer, body, resp_code,
                                clearing["settleDate"], self.settle_key(acquirer, clearing),
                                password_due)

    def conclude(self, voucher: str, resp_code: str, test_case: str | None = None,
                 waiting: bool = False) -> bool:
        """A waiting purchase becomes final; an approved one is cleared, and its acquirer
        told (R-FLOW-08). ``waiting``: only if it still waits for the payer; whether it was
        concluded here."""
        if not self.store.conclude_purchase(voucher, resp_code, waiting=waiting):
            return False
        if resp_code == "00":
            if not self.defects.on("switch-never-notifies-after-step-up"):
                # defect: told the institution that reported the password result instead
                to_issuer = self.defects.on("switch-notifies-issuer-after-step-up")
                self.notify_acquirer(voucher, test_case, "issuer" if to_issuer else "acquirer")
            self.clear_purchase(voucher)
        return True

    def clear_purchase(self, voucher: str) -> None:
        """Clear a purchase on record, as its record says."""
        row = self.store.purchase_by_voucher(voucher)
        if row is not None:
            self.book.clear("cpm.purchase", {"orderNo": row["order_no"],
                                             "orderTime": row["order_time"],
                                             "amount": row["amount"], "currency": row["currency"]},
                            voucher, row["settle_date"], row["settle_key"], row["acquirer"],
                            row["issuer"])

    async def route_refund(self, message: dict, acquirer: str, body: dict) -> dict:
        """A refund or void goes to the issuer of the original payment (a CPM purchase, or an
        MPM payment then named by its txnNo too), and only its acquirer may ask for one."""
        mode, kind, _ = message["header"]["msgType"].split(".")
        original = self.book.payment(body.get("origVoucherNum"), acquirer,
                                     "cpm.purchase" if mode == "cpm" else "mpm.payment")
        if original is None or body.get("origTxnNo") not in (None, original.get("txnNo")):
            return self.refuse(message, "35", "no payment of this acquirer with that voucher")
        extra = {"acquirer": acquirer} if mode == "cpm" else {
            "acquirer": acquirer, "origTxnNo": original["txnNo"]}
        clearing = {**self.clearing(), "settleDate": original["settleDate"]} if kind == "void" \
            and self.defects.on("switch-void-on-original-clearing-day") else None
        to_acquirer = self.defects.on("switch-relays-mpm-refunds-to-acquirer")
        receiver = original["acquirer"] if mode == "mpm" and to_acquirer else original["issuer"]
        as_refund = kind == "void" and self.defects.on("switch-relays-voids-as-refunds")
        return await self.relay_financial(message, receiver, acquirer=acquirer,
                                          issuer=original["issuer"], extra=extra,
                                          answered_by="issuer", clearing=clearing,
                                          outbound_type=f"{mode}.refund.request" if as_refund
                                          else None)

    async def relay_financial(self, message: dict, receiver: str, acquirer: str, issuer: str,
                              extra: dict, answered_by: str, clearing: dict | None = None,
                              outbound_type: str | None = None) -> dict:
        """Forward a money-moving request with clearing data; add the settlement key and the
        answering institution (as ``answered_by``) to an approval on the way back."""
        clearing = clearing or self.clearing()
        told = {**clearing, "settleDate": f"{int(clearing['settleDate']) % 1231 + 1:04d}"} \
            if self.defects.on("switch-splits-settle-dates") else clearing
        answer = await self.forward(message, receiver, {**message["body"], **told, **extra},
                                    outbound_type)
        if isinstance(answer, str):
            return self.refuse(message, answer)
        body = answer["body"]
        if body["respCode"] == "00":
            body = {**body, "settleDate": clearing["settleDate"],
                    "settleKey": self.settle_key(acquirer, clearing), answered_by: receiver}
            self.book.clear(message["header"]["msgType"], {**message["body"], **extra},
                            clearing["voucherNum"], clearing["settleDate"], body["settleKey"],
                            acquirer, issuer)
        return self.reply(message, body)

    # -- control API (the harness's view of the wire) -----------------------------------------
    @web.middleware
    async def shared_clock(self, request: web.Request, handler) -> web.StreamResponse:
        """This process's clock as ``PUT /control/clock`` last set it, through whichever
        process of the switch took it."""
        clock.set_offset(self.store.clock_offset())
        return await handler(request)

    async def get_reconciliation(self, request: web.Request) -> web.Response:
        """A participant's reconciliation file; by default for the current clearing day."""
        settle_date = request.query.get("settleDate") or self.settle_date()
        if not re.fullmatch(self.profile.definition("settleDate")["pattern"], settle_date,
                            re.ASCII):
            return web.json_response({"error": f"settleDate must be MMDD, got "
                                               f"{settle_date[:20]!r}"}, status=400)
        if request.match_info["participant"] not in self.participants:
            return web.json_response({"error": "no such participant"}, status=404)
        return web.json_response(self.book.statement(request.match_info["participant"],
                                                     settle_date),
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))


def make_app(config: ServiceConfig, worker: int = 0) -> web.Application:
    switch = Switch(config, worker)
    app = switch.application(switch.handle, middlewares=[switch.shared_clock])
    app.router.add_routes(switch.tap.routes())
    app.router.add_get("/sim/reconciliation/{participant}", switch.get_reconciliation)
    app.router.add_routes(clock_routes(switch.store.set_clock_offset))
    # The same file through the test-control API, as any switch under test serves it.
    app.router.add_get("/control/reconciliation/{participant}", switch.get_reconciliation)
    return app


if __name__ == "__main__":
    run_processes(make_app)
