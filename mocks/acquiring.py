"""The reference institution's acquirer side: merchants and their codes, the test terminal,
and what it does with the answers, queries, reversals and notices about its purchases.
"""

from __future__ import annotations

import asyncio
import base64
import time
from functools import cached_property

from mocks.code_reader import read_payment_code
from mocks.control_api import ControlError
from qrinterop.codes import image, terminal
from qrinterop.protocol import clock
from qrinterop.protocol.envelope import beijing_now
from qrinterop.protocol.fields import FieldDecryptionError

#: The ICS feature of an acquirer that queries first and reverses only then, on WeChat's
#: schedule (features.json, timing.json schedules.query_before_reversal).
QUERY_FIRST = "query-before-reversal"


class Acquiring:
    """Mixed into :class:`mocks.institution.Institution`, whose ledger, codes and
    switch connection it uses."""

    def create_merchant_code(self, spec: dict) -> dict:
        """A new merchant (or the one ``merchantId`` names) and a code for it."""
        if self.defects.on("dynamic-mpm-declared-only"):    # every code static, amount or not
            spec = {key: value for key, value in spec.items() if key != "amount"}
        merchant, amount, reference = self.merchant_and_order(spec)
        code = self.codes.build(merchant, amount, reference)
        created = {"merchantId": merchant["id"], "code": code, "dynamic": amount is not None}
        if spec.get("image"):
            eci = False if self.defects.on("qr-without-eci") else None
            symbol = image.render_png(code, eci=eci)
            created["image"] = base64.b64encode(symbol).decode("ascii")
        return created

    async def apply_for_code(self, spec: dict, owner: str, test_case: str | None,
                             remote: bool = False) -> dict:
        """A collection code applied for at the switch (mpm.code_apply), marked as a
        merchant's, a person's or a person's business's (R-FLOW-11), and, where the profile
        has the rule, for use face to face or remote (R-FLOW-16); the switch's code names this
        acquirer, so it reads it as one of its own URL-form codes."""
        channel = self.collection_channel(owner, remote)
        merchant, amount, reference = self.merchant_and_order(spec)
        now = beijing_now()
        body = {"orderNo": reference or self.new_ref("C"), "orderTime": f"{now:%Y%m%d%H%M%S}",
                "merchant": {"id": merchant["id"], "name": merchant["name"],
                             "mcc": merchant["mcc"], "city": merchant["city"]},
                "codeType": "static" if amount is None else "dynamic",
                "currency": self.codes.currency}
        if not self.defects.on("code-apply-without-owner"):
            body["codeOwner"] = "personal" if owner == "personal-business" and \
                self.defects.on("personal-business-code-marked-personal") else owner
        if channel is not None:
            body["merchantChannel"] = channel
        if amount is not None:
            body["amount"] = amount
        answer = await self.to_switch("mpm.code_apply.request", body, test_case)
        if isinstance(answer, str) or answer["body"]["respCode"] != "00":
            code = answer if isinstance(answer, str) else answer["body"]["respCode"]
            raise ControlError(502, f"the switch issued no code (response code {code})")
        return {"merchantId": merchant["id"], "code": answer["body"]["code"],
                "dynamic": amount is not None}

    def collection_channel(self, owner: str, remote: bool) -> str | None:
        """The merchantChannel (EMV MPM v1.1 62-11) of a collection code for ``owner``'s use
        face to face or ``remote``, by business.json collection_codes; a class of code the
        profile does not allow remote use of is refused (R-FLOW-16: 259号, no personal code
        for remote collection). None where the profile has no such rule (1.0: no channel)."""
        rules = self.profile.business.get("collection_codes")
        if rules is None:
            return None
        if remote and not rules["remote_use"]["value"].get(owner, False) and \
                not self.defects.on("personal-code-for-remote-use"):
            raise ControlError(422, f"a {owner} collection code is not for remote,"
                                    " non-face-to-face collection (银发〔2021〕259号)")
        if self.defects.on("remote-use-not-declared"):
            return None
        return str(rules["channel"]["value"]["remote" if remote else "face_to_face"])

    def merchant_and_order(self, spec: dict) -> tuple[dict, int | None, str | None]:
        """The merchant a code is for (a new one, or the one ``merchantId`` names) and, for
        a dynamic code, its amount and the order reference it is registered under."""
        merchant = self.ledger.merchant(spec["merchantId"]) if spec.get("merchantId") else None
        if merchant is not None and spec.get("name") and \
                self.defects.on("merchant-code-makes-new-merchant"):
            merchant, spec = None, {**spec, "merchantId": None}   # the name wins: a new one
        if merchant is None:
            if not spec.get("name"):
                raise ControlError(400, f"no merchant {spec['merchantId']}: a new merchant"
                                        " needs a name")
            merchant_id = spec.get("merchantId") or self.new_merchant_id()
            self.ledger.add_merchant(merchant_id, spec["name"], spec["mcc"], spec["city"],
                                     spec.get("localName"), spec.get("localCity"),
                                     spec.get("orderType", "10"))
            merchant = self.ledger.merchant(merchant_id)
        amount, reference = spec.get("amount"), None
        if amount is not None:
            reference = self.new_ref("D")
            self.ledger.add_dynamic_code(reference, merchant["id"], amount)
        return merchant, amount, reference

    def terminal_merchant(self) -> dict:
        """The merchant behind this institution's test terminal, created on first use."""
        merchant_id = f"{self.id[:7]}00000000"
        if self.ledger.merchant(merchant_id) is None:
            # 套码: the charity category's zero fee instead of the shop's own (R-FLOW-19)
            mcc = "8398" if self.defects.on("terminal-mcc-charity-rate") else self.terminal["mcc"]
            self.ledger.add_merchant(merchant_id, self.terminal["merchant_name"], mcc,
                                     self.terminal["city"])
        return self.ledger.merchant(merchant_id)

    async def charge(self, code: str, amount: int, test_case: str | None,
                     order_type: str | None = None) -> dict:
        """The terminal scanned a payment code: send a purchase (of ``order_type``, QRC
        orderType, default 10) and book what the switch says."""
        if self.defects.on("terminal-hangs"):
            await asyncio.Event().wait()        # never answers: the harness must time out
        code = read_payment_code(code, self.payment_code_form, self.defects,
                                 emv=self.emv_scheme is not None and self.offers("emv-cpm"))
        if self.defects.on("terminal-amount-via-float-yuan"):
            amount = int(amount / 100 * 100)        # the till's yuan as a float: 1234 → 1233
        merchant = self.terminal_merchant()
        now = beijing_now()
        order_no = self.new_ref("P")
        currency = self.profile.manifest["envelope"]["currency"]
        body = {"code": code, "amount": amount, "currency": currency,
                "merchant": {"id": merchant["id"], "name": merchant["name"],
                             "mcc": merchant["mcc"], "city": merchant["city"]},
                "termId": self.terminal["id"], "orderNo": order_no,
                "orderTime": f"{now:%Y%m%d%H%M%S}",
                **self.purchase_extras(order_no, order_type)}
        body = self.with_terminal(body)
        base = {"ref": order_no, "role": "acquirer", "mode": "CPM", "amount": amount,
                "currency": currency, "merchant_id": merchant["id"], "order_no": order_no,
                "order_time": body["orderTime"]}
        self.intend(base)
        answer = await self.to_switch("cpm.purchase.request", body, test_case)
        if self.defects.on("terminal-retries-declined-purchase") and not isinstance(
                answer, str) and self.status_of(answer["body"]["respCode"]) == "declined":
            # the till tries the same code once more, as a new order
            answer = await self.to_switch("cpm.purchase.request",
                                          {**body, "orderNo": self.new_ref("P")}, test_case)
        if self.only_accepted(answer):
            return await self.await_confirmation(order_no, test_case)
        txn = self.book_terminal(order_no, answer, amount)
        if txn["status"] == "unknown":
            self.spawn(self.resolve_purchase(txn, test_case))
        elif txn["status"] == "declined" and self.defects.on("terminal-queries-declines"):
            self.spawn(self.query(txn, test_case, after_s=self.first_query_delay))
        return txn

    def only_accepted(self, answer: dict | str) -> bool:
        """Whether the switch's synchronous answer to a purchase is an acceptance, not its
        outcome (R-FLOW-17): a 00 where the profile says a synchronous 00 means accepted
        (business.json cpm_purchase.sync_answer; profile 1.0 lacks the key, and there the
        answer is final)."""
        rule = self.profile.business.get("cpm_purchase", {}).get("sync_answer", {})
        return not isinstance(answer, str) and answer["body"]["respCode"] == "00" and \
            rule.get("value", "final") == "accepted" and \
            not self.defects.on("purchase-final-on-sync-answer")

    async def await_confirmation(self, ref: str, test_case: str | None) -> dict:
        """A purchase the switch accepted: its result notice, or the first status queries
        of the schedule, make it final; the terminal waits for that as long as two queries
        take (and a second), then shows what it knows (unknown, if nothing yet), as a
        till shows "processing"."""
        delays = self.query_schedule["delays_s"]
        bound = sum(delays[:2]) * self.scale + 1.0
        txn = self.ledger.transaction(ref)
        if not self.defects.on("accepted-purchase-never-queried"):   # else: notices only
            self.spawn(self.resolve_purchase(txn, test_case))
        deadline = time.monotonic() + bound
        while txn["status"] == "unknown" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            txn = self.ledger.transaction(ref)
        return txn

    @property
    def query_schedule(self) -> dict:
        """The status-query schedule this terminal follows for a purchase whose outcome is
        unknown: WeChat's query-first one when its ICS declares query-before-reversal
        (R-FLOW-18), else UnionPay's (R-FLOW-04). A style, not a capability: a persona of
        the simulated network, which offers every feature, keeps UnionPay's."""
        wechat = self.features is not None and QUERY_FIRST in self.features and \
            not self.defects.on("query-first-on-unionpay-schedule")
        return self.profile.schedules["query_before_reversal" if wechat else "status_query"]

    def with_terminal(self, body: dict) -> dict:
        """The purchase with its terminal's information, where the profile asks for it
        (R-CPM-09; a 1.0 purchase carries none)."""
        if self.defects.on("terminal-info-omitted"):
            return body                         # the till's old integration: no termInfo
        body = terminal.with_term_info(self.profile, body, self.terminal)
        if "termInfo" in body and self.defects.on("terminal-random-factor-first-digits"):
            info = body["termInfo"]             # the factor cut from the wrong end
            body["termInfo"] = {**info, "encryptRandNum": body["code"][:len(
                info["encryptRandNum"])]}
        return body

    def purchase_extras(self, order_no: str, order_type: str | None) -> dict:
        """What a purchase carries beside 1.0's fields where the profile in use has them
        (1.1: the terminal's area, the order type, and a reserved field the switch returns
        unchanged); 1.0 has none of them."""
        extras = {"areaInfo": self.terminal.get("area", "1562900"),
                  "orderType": order_type or "10", "reqReserved": f"order={order_no}"}
        return self.profile.carried("cpm.purchase", "request.to-switch", extras)

    def intend(self, base: dict) -> dict | None:
        """Record a request of the terminal before it is sent (unknown, no response code
        yet), so that one killed before its answer is found on start and resolved
        (:meth:`resume`); the transaction ``base["ref"]`` already names, if one does."""
        with self.ledger.atomic() as db:
            earlier = self.ledger.one("SELECT * FROM transactions WHERE ref = ?", base["ref"])
            if earlier is None:
                self.ledger.record(db, **base, status="unknown")
            return earlier

    def resume(self) -> None:
        """Purchases whose outcome this terminal did not know when it stopped (those it was
        sending too): query them again from the start of the schedule, and reverse them if
        that finds nothing. Refunds and voids it was sending are sent again, as they were:
        the switch answers a repeat with its first final answer."""
        super().resume()
        for txn in self.ledger.unresolved_purchases():
            self.spawn(self.resolve_purchase(txn, None))
        for txn in self.ledger.unresolved_undos():
            original = self.ledger.approved_payment(txn["orig_voucher"], "acquirer")
            if original is not None:
                self.spawn(self.send_undo(txn, original, None, resend=True))

    async def resolve_purchase(self, txn: dict, test_case: str | None) -> None:
        """Query a purchase whose outcome is unknown on the profile's schedule (R-FLOW-04)
        until an answer is final, and book that answer; if none is, reverse it."""
        schedule = self.query_schedule
        delays = schedule["delays_s"][:schedule["max_attempts"]]
        for delay in [] if self.defects.on("reverse-without-querying") else delays:
            await asyncio.sleep(0 if self.defects.on("query-too-early") else delay * self.scale)
            if self.ledger.transaction(txn["ref"])["status"] != "unknown":
                return          # a result notice told the outcome in the meantime
            answer = await self.query(txn, test_case)
            if isinstance(answer, str) or self.status_of(answer["body"]["respCode"]) == "unknown" \
                    or self.maybe_on_its_way(txn, answer):
                continue
            found = answer["body"]
            # 35: the switch never had the purchase, which is then final and declined.
            result = {**found, "respCode": found.get("origRespCode", found["respCode"])}
            if self.status_of(result["respCode"]) != "unknown":
                self.settle_terminal(txn["ref"], result, txn["amount"])
                return
        if not self.defects.on("never-reverse"):
            await self.reverse(txn, test_case)

    def maybe_on_its_way(self, txn: dict, answer: dict) -> bool:
        """Whether ``answer`` says the switch has no such purchase (35) while it may still be
        on its way through the switch, which records it only once the issuer has answered
        or its own timeout has passed: after a restart the terminal asks that soon."""
        return answer["body"]["respCode"] == "35" and \
            clock.now_s() < txn["created_at"] + self.timing("switch_response_timeout_s")

    @property
    def first_query_delay(self) -> float:
        return self.profile.schedules["status_query"]["delays_s"][0] * self.scale

    async def query(self, txn: dict, test_case: str | None, after_s: float = 0.0) -> dict | str:
        """One status query of a purchase this terminal sent."""
        await asyncio.sleep(after_s)
        return await self.to_switch("cpm.status_query.request", {
            "origOrderNo": txn["order_no"], "origOrderTime": txn["order_time"],
            "origMsgType": "cpm.purchase"}, test_case)

    async def reverse(self, txn: dict, test_case: str | None) -> None:
        """No final outcome after the last query: reverse the purchase (R-FLOW-03), not
        sooner than reversal_earliest_s after it was sent, and send the same reversal
        again, spaced as the queries were, until the answer is final."""
        earliest = txn["created_at"] + self.timing("reversal_earliest_s")
        await asyncio.sleep(max(0.0, earliest - clock.now_s()))
        body = {"origOrderNo": txn["order_no"], "origOrderTime": txn["order_time"],
                "amount": txn["amount"], "currency": txn["currency"],
                "merId": txn["merchant_id"], "termId": self.terminal["id"]}
        for delay in self.profile.schedules["status_query"]["delays_s"]:
            answer = await self.to_switch("cpm.reversal.request", body, test_case)
            if isinstance(answer, str) and self.defects.on("reversal-sent-once"):
                return      # no answer taken as done: the purchase stays unknown
            if not isinstance(answer, str) and not self.maybe_on_its_way(txn, answer) and \
                    self.status_of(answer["body"]["respCode"]) != "unknown":
                if answer["body"]["respCode"] == "00":
                    self.book_reversal(txn, answer["body"])
                elif answer["body"]["respCode"] == "35":    # the switch never had it
                    self.settle_terminal(txn["ref"], answer["body"], txn["amount"])
                return
            await asyncio.sleep(delay * self.scale)

    async def undo(self, kind: str, voucher: str, amount: int | None, order_no: str | None,
                   test_case: str | None) -> dict:
        """The merchant refunds (``kind`` "refund": part or all) or voids (``kind`` "void":
        all, same clearing day) one of the payments it took, a CPM purchase at its terminal or
        an MPM payment to its code, through the switch. ``order_no`` (a refundId) names the
        refund: given again, it is the same refund, whose outcome the retry gets (waiting for
        it while it is in flight), never a second one."""
        original = self.ledger.approved_payment(voucher, "acquirer")
        if original is None and self.defects.on("terminal-refunds-declined") and \
                (unpaid := self.ledger.transaction(voucher)) is not None:
            return self.nothing_to_undo(kind, unpaid)
        if original is None:
            raise ControlError(404, f"no approved payment with voucher {voucher}")
        amount = original["amount"] if amount is None else amount
        feature = "void" if kind == "void" else "partial-refund" \
            if amount < original["amount"] else None
        if feature is not None and not self.offers(feature):
            raise ControlError(400, f"{feature} is not among the features this institution "
                                    "declares")
        base = {"ref": order_no or self.new_ref("R" if kind == "refund" else "V"),
                "role": "acquirer", "mode": original["mode"], "kind": kind, "amount": amount,
                "currency": original["currency"], "merchant_id": original["merchant_id"],
                "orig_voucher": voucher, "order_time": f"{beijing_now():%Y%m%d%H%M%S}"}
        base["order_no"] = base["ref"]
        earlier = self.intend(base)
        if earlier is not None and self.defects.on("refund-retry-new-order-no"):
            base["ref"] = base["order_no"] = self.new_ref("R")     # a retry taken as new
            earlier = self.intend(base)
        if earlier is None:
            return await self.send_undo(base, original, test_case)
        if (earlier["kind"], earlier["orig_voucher"], earlier["amount"]) != \
                (kind, voucher, amount):
            raise ControlError(400, f"refundId {base['ref']} already names another "
                                    f"transaction ({earlier['kind']} of {earlier['amount']}"
                                    f" fen of {earlier['orig_voucher']})")
        while (flight := self.in_flight.get(base["ref"])) is not None:
            await asyncio.shield(flight)
        earlier = self.ledger.one("SELECT * FROM transactions WHERE ref = ?", base["ref"])
        if earlier["status"] != "unknown":
            return earlier
        return await self.send_undo(earlier, original, test_case, resend=True)

    def nothing_to_undo(self, kind: str, unpaid: dict) -> dict:
        """The defect terminal-refunds-declined: a refund or void of a payment that took no
        money is booked approved at once, as done, without the switch."""
        ref = self.new_ref("R" if kind == "refund" else "V")
        with self.ledger.atomic() as db:
            return self.ledger.record(
                db, ref=ref, role="acquirer", mode=unpaid["mode"], kind=kind,
                status="approved", resp_code="00", amount=unpaid["amount"],
                currency=unpaid["currency"], merchant_id=unpaid["merchant_id"], order_no=ref,
                orig_voucher=unpaid["voucher_num"] or unpaid["ref"], voucher_num=ref,
                settle_date=f"{beijing_now():%m%d}")

    @cached_property
    def in_flight(self) -> dict[str, asyncio.Future]:
        """The terminal's refunds and voids on their way, by reference: a retry waits."""
        return {}

    async def send_undo(self, txn: dict, original: dict, test_case: str | None,
                        resend: bool = False) -> dict:
        """Send the refund or void ``txn`` (recorded already) and book its answer; sent
        again (``resend``: its outcome is unknown), it is the same request (same orderNo and
        orderTime)."""
        body = {"orderNo": txn["order_no"], "orderTime": txn["order_time"],
                "origVoucherNum": txn["orig_voucher"], "amount": txn["amount"],
                "currency": txn["currency"], "merId": txn["merchant_id"]}
        if txn["kind"] == "refund" and self.defects.on("refund-reuses-order-no"):
            body["orderNo"] = original["order_no"]      # the purchase's, not the refund's own
        if txn["kind"] == "void" and self.defects.on("void-names-wrong-original"):
            # the original named by the void's own order number, not the purchase's voucher
            del body["origVoucherNum"]
            body.update(origOrderNo=txn["order_no"], origOrderTime=original["order_time"])
        if self.defects.on("undo-booked-before-answer"):
            self.settle_terminal(txn["ref"], {"respCode": "00"}, -txn["amount"])
        if original["mode"] == "CPM":
            body["termId"] = self.terminal["id"]
        else:
            body["origTxnNo"] = original["txn_no"]
        mode = "cpm" if self.defects.on("mpm-refund-sent-as-cpm") else original["mode"].lower()
        flight = self.in_flight[txn["ref"]] = asyncio.get_running_loop().create_future()
        try:
            answer = await self.to_switch(f"{mode}.{txn['kind']}.request", body, test_case)
            if resend and not isinstance(answer, str) and answer["body"]["respCode"] == "12":
                answer = "04"   # a resend the issuer already has: the reconciliation decides
            return self.book_terminal(txn["ref"], answer, self.merchant_debit(txn))
        finally:
            del self.in_flight[txn["ref"]]
            flight.set_result(None)

    def merchant_debit(self, txn: dict) -> int:
        """What an approved refund or void moves in its merchant's balance: the amount back
        out of it (negative)."""
        if txn["kind"] == "void" and self.defects.on("void-leaves-merchant-credited"):
            return 0
        if txn["kind"] == "refund" and self.defects.on("refund-credits-merchant"):
            return txn["amount"]        # the sign lost: the merchant is paid the refund too
        return -txn["amount"]

    def book_reversal(self, txn: dict, result: dict) -> None:
        """The purchase is reversed, and the reversal booked under its own voucher as the
        switch cleared it; no money had reached the merchant, so none leaves."""
        with self.ledger.atomic() as db:
            if self.ledger.one("SELECT status FROM transactions WHERE ref = ?",
                               txn["ref"])["status"] == "approved":
                # A notice or a late answer had credited the merchant: that money goes back.
                self.ledger.credit_merchant(db, txn["merchant_id"], -txn["amount"])
            self.ledger.settle(db, txn["ref"], status="reversed")
            if self.defects.on("reversal-kept-as-status-only"):
                return      # the purchase marked reversed, the reversal itself never booked
            self.ledger.record(db, ref=result["voucherNum"], role="acquirer", mode="CPM",
                               kind="reversal", status="approved", resp_code="00",
                               amount=txn["amount"], currency=txn["currency"],
                               merchant_id=txn["merchant_id"], order_no=txn["order_no"],
                               order_time=txn["order_time"], counterparty=result.get("issuer"),
                               voucher_num=result["voucherNum"],
                               settle_date=result.get("settleDate"),
                               settle_key=result.get("settleKey"))

    def book_terminal(self, ref: str, answer: dict | str, merchant_credit: int) -> dict:
        """Book what the switch answered to one of the terminal's requests (``ref``,
        recorded before it was sent); an approval moves ``merchant_credit`` fen (negative:
        back out of the merchant's balance)."""
        result = {"respCode": answer} if isinstance(answer, str) else answer["body"]
        return self.settle_terminal(ref, result, merchant_credit)

    def settle_terminal(self, ref: str, result: dict, merchant_credit: int,
                        only_unknown: bool = True) -> dict:
        """Give a terminal transaction the outcome an answer, a query or a notice tells,
        once: whichever comes first counts, and the merchant is credited once."""
        with self.ledger.atomic() as db:
            txn = self.ledger.one("SELECT * FROM transactions WHERE ref = ?", ref)
            if only_unknown and txn["status"] != "unknown":
                return txn
            return self.ledger.settle(db, ref, **self.terminal_outcome(
                db, txn["merchant_id"], result, merchant_credit))

    def terminal_outcome(self, db, merchant_id: str, result: dict, merchant_credit: int) -> dict:
        """The fields an answer (or a query's finding) gives a terminal transaction, crediting
        the merchant inside the same database transaction when it is an approval."""
        status = self.status_of(result["respCode"])
        if status == "approved":
            self.ledger.credit_merchant(db, merchant_id, merchant_credit)
        settle_date = None if self.defects.on("terminal-drops-settle-date") else \
            result.get("settleDate") and (self.own_settle_date(
                self.defects.on("terminal-settle-date-at-midnight")) or result["settleDate"])
        return {"status": status, "resp_code": result["respCode"],
                "counterparty": result.get("issuer"), "voucher_num": result.get("voucherNum"),
                "settle_date": settle_date, "settle_key": result.get("settleKey")}

    def on_inquiry(self, message: dict) -> dict:
        body = message["body"]
        read = self.codes.read(body["code"])
        dynamic = self.ledger.dynamic_code(read.reference) if read and read.reference else None
        merchant_id = dynamic["merchant_id"] if dynamic else read and read.merchant_id
        merchant = self.ledger.merchant(merchant_id) if merchant_id else None
        if merchant is None or (read.reference is not None and (
                dynamic is None or read.merchant_id not in (None, merchant_id))):
            return self.refuse(message, "31", "not a merchant code of this acquirer")
        if dynamic and dynamic["used"] and not self.defects.on("dynamic-code-reusable"):
            return self.refuse(message, "35", "dynamic code already paid (single use)")
        amount = dynamic["amount"] if dynamic else None
        currency = read.currency or self.codes.currency
        self.ledger.open_order(body["txnNo"], merchant_id, amount, currency, body["issuer"],
                               read.reference)
        named = {k: merchant[k] for k in ("id", "name", "mcc", "city")}
        if self.defects.on("inquiry-answers-other-mcc"):
            named["mcc"] = "5311" if named["mcc"] != "5311" else "5411"  # the fee table's MCC
        reply = {**self.profile.response("00"), "txnNo": body["txnNo"], "merchant": named,
                 "codeType": "dynamic" if dynamic else "static", "currency": currency,
                 **self.order_details(merchant, dynamic)}
        if amount is not None:
            reply["amount"] = amount
        return self.reply(message, reply)

    def order_details(self, merchant: dict, dynamic: dict | None) -> dict:
        """What an inquiry's answer tells of the order beside 1.0's fields, where the profile
        in use has them (1.1, as QRC 0120 does): its order type (the merchant's), whether an
        invoice is issued and, for a dynamic code, its order number and the seconds it may
        still be paid."""
        details: dict = {"orderType": merchant["order_type"], "invoiceSt": "0"}
        if dynamic is not None:
            validity = self.profile.business["codes"]["dynamic_merchant_code_validity_s"]["value"]
            details.update(orderNo=dynamic["reference"], paymentValidTime=max(
                0, int(dynamic["created_at"] + validity - clock.now_s())))
        return self.profile.carried("mpm.inquiry", "response.to-switch", details)

    def on_mpm_payment(self, message: dict) -> dict:
        """Take or refuse a payment of an order, a refusal remembered (:meth:`remembered`)."""
        return self.remembered(message, self.decide_mpm_payment(message))

    def on_payment_query(self, message: dict) -> dict:
        """The switch lost this acquirer's answer to an MPM payment and asks what became of
        it: 00, and the payment's own outcome in origRespCode; 35 for one never seen."""
        body = message["body"]
        if self.defects.on("acquirer-ignores-payment-queries"):
            return self.refuse(message, "10", "this institution does not take that message")
        txn = self.ledger.one("SELECT * FROM transactions WHERE role = 'acquirer' AND"
                              " mode = 'MPM' AND kind = 'payment' AND ref = ?",
                              body["origVoucherNum"])
        code = txn["resp_code"] if txn else self.refused.get(body["origVoucherNum"])
        if code and self.defects.on("acquirer-query-approves-refusals"):
            code = "00"
        return self.tell_outcome(message, txn, code, "mpm.payment", origTxnNo=body["origTxnNo"])

    def decide_mpm_payment(self, message: dict) -> dict:
        body = message["body"]
        order = self.ledger.order(body["txnNo"])
        if order is None and self.defects.on("mpm-payment-unknown-order-booked"):
            order = {"paid": 0, "currency": body["currency"], "amount": None, "reference": None,
                     "merchant_id": self.terminal_merchant()["id"]}
        if order is None or (order["paid"] and not self.defects.on("mpm-order-paid-twice")):
            return self.refuse(message, "35", "unknown or already paid txnNo")
        if refusal := self.payment_mismatch(body, order):
            return self.refuse(message, "35", refusal)
        if (order["reference"] and self.ledger.dynamic_code(order["reference"])["used"]
                and not self.defects.on("dynamic-code-reusable")
                and not self.defects.on("dynamic-code-paid-twice")):
            return self.refuse(message, "35", "dynamic code already paid (single use)")
        try:
            payer = self.open_field(body["payer"])
        except FieldDecryptionError as exc:
            if not self.defects.on("undecryptable-payer-accepted"):
                return self.refuse(message, "10", f"payer: {exc}")
            payer = {}
        with self.ledger.atomic() as db:
            db.execute("UPDATE mpm_orders SET paid = 1 WHERE txn_no = ?", (body["txnNo"],))
            db.execute("UPDATE dynamic_codes SET used = 1 WHERE reference = ?",
                       (order["reference"],))
            self.ledger.credit_merchant(db, order["merchant_id"], body["amount"])
            self.book_approval(db, body, role="acquirer", mode="MPM",
                               merchant_id=order["merchant_id"], counterparty=body["issuer"],
                               txn_no=body["txnNo"],
                               account=None if self.defects.on("payer-details-not-kept")
                               else payer.get("accountRef"))
        return self.reply(message, {**self.profile.response("00"), "txnNo": body["txnNo"],
                                    "voucherNum": body["voucherNum"], "amount": body["amount"],
                                    "currency": body["currency"]})

    def payment_mismatch(self, body: dict, order: dict) -> str | None:
        """Why an MPM payment does not match the order its inquiry opened (another
        currency, or another amount than a dynamic code's), or None."""
        if body["currency"] != order["currency"] and \
                not self.defects.on("mpm-payment-currency-unchecked"):
            return f"currency {body['currency']} differs from the order's {order['currency']}"
        if order["amount"] not in (None, body["amount"]) and \
                not self.defects.on("mpm-payment-amount-unchecked"):
            return f"amount {body['amount']} differs from the dynamic code's {order['amount']}"
        return None

    def on_collection_notice(self, message: dict) -> dict:
        """The switch tells the acquirer an MPM payment to one of its codes is cleared
        (R-FLOW-08): acknowledged, every copy. The payment was booked when this acquirer
        approved it, so the notice changes nothing here."""
        if self.defects.on("notice-unacknowledged"):
            return self.refuse(message, "06", "notices are not taken")
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": message["body"]["voucherNum"]})

    def on_notice(self, message: dict) -> dict:
        """A result notice: acknowledged always, every copy (R-FLOW-08); acted on only when
        it matches a purchase of this acquirer whose outcome it does not know yet."""
        body = message["body"]
        if self.defects.on("notice-unacknowledged"):
            return self.refuse(message, "06", "notices are not taken")
        txn = self.ledger.one("SELECT * FROM transactions WHERE role = 'acquirer' AND"
                              " kind = 'payment' AND order_no = ?", body.get("orderNo"))
        acts = txn is not None and (self.defects.on("notice-unchecked") or (
            txn["status"] == "unknown"
            and (txn["amount"], txn["currency"]) == (body["amount"], body["currency"])))
        # An order still waiting for its answer has no outcome on record yet.
        unanswered = txn is None or (txn["status"] == "unknown" and txn["resp_code"] is None)
        result = {**body, "respCode": body["origRespCode"]}
        if unanswered and self.defects.on("notice-books-unknown-order"):
            merchant = self.terminal_merchant()
            with self.ledger.atomic() as db:
                self.ledger.record(db, ref=body["voucherNum"], role="acquirer", mode="CPM",
                                   amount=body["amount"], currency=body["currency"],
                                   merchant_id=merchant["id"], order_no=body["orderNo"],
                                   order_time=body["orderTime"], **self.terminal_outcome(
                                       db, merchant["id"], result, body["amount"]))
        elif acts:
            self.settle_terminal(txn["ref"], result, txn["amount"],
                                 only_unknown=not self.defects.on("notice-unchecked"))
        elif txn is not None and txn["status"] == "approved" and \
                (body["amount"], body["currency"]) != (txn["amount"], txn["currency"]) and \
                self.defects.on("notice-rewrites-amount"):
            with self.ledger.atomic() as db:        # the notice's amount taken as the truth
                db.execute("UPDATE transactions SET amount = ?, currency = ? WHERE ref = ?",
                           (body["amount"], body["currency"], txn["ref"]))
                self.ledger.credit_merchant(db, txn["merchant_id"],
                                            body["amount"] - txn["amount"])
        elif txn is not None and txn["status"] == "approved" and \
                self.defects.on("notice-credits-merchant-again"):
            with self.ledger.atomic() as db:        # the same purchase booked a second time
                self.ledger.record(db, **{**txn, "ref": f"N{body['voucherNum']}",
                                          "created_at": None})
                self.ledger.credit_merchant(db, txn["merchant_id"], txn["amount"])
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": body["voucherNum"]})
