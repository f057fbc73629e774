"""The reference institution: issuer (wallet) and acquirer (merchants, terminals) in one
service, with its own SQLite ledger, its own SM2 key and the profile's test-control API.

It is what ``qrinterop certify`` certifies by default, and what every simulated peer runs, so it
must follow the profile exactly. Named defects from ``mocks/defects.json`` each break one rule,
to prove that the scenarios notice.

Run by the runner as ``python -m mocks.institution --config FILE --fd N``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import secrets
import sqlite3
import time
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from aiohttp import web

from mocks.code_reader import check_merchant_code, read_payment_code
from mocks.control_api import (
    PASSWORD_RESULTS,
    ControlApi,
    ControlError,
    checked_by_contract,
    json_answers,
)
from mocks.ledger import Ledger
from mocks.merchant_codes import MerchantCodeStyle
from mocks.node import Node
from mocks.service import run
from qrinterop.codes import emv_mpm, image
from qrinterop.codes.payment_code import CodeRule
from qrinterop.codes.routing import payment_code_rules
from qrinterop.protocol.envelope import beijing_now
from qrinterop.protocol.fields import FieldDecryptionError
from qrinterop.protocol.transport import PeerError

DEFECTS_FILE = Path(__file__).with_name("defects.json")


def known_defects() -> set[str]:
    return set(json.loads(DEFECTS_FILE.read_text(encoding="utf-8"))["defects"])


class Institution(Node):
    def __init__(self, config: dict) -> None:
        super().__init__(config)
        unknown = set(config.get("defects", [])) - known_defects()
        if unknown:
            raise SystemExit(f"unknown defect(s): {', '.join(sorted(unknown))}")
        self.defects = set(config.get("defects", []))
        if "crash-on-start" in self.defects:
            raise SystemExit("defect crash-on-start: exiting during start-up")
        self.ledger = Ledger(config["state_file"])
        codes = config["codes"]
        wrong_prefix = "payment-code-wrong-prefix" in self.defects
        self.code_rules = [CodeRule(self.id, "70" if wrong_prefix else prefix, length)
                           for rule in payment_code_rules(codes)
                           for prefix in rule["prefixes"] for length in rule["lengths"]]
        self.codes = MerchantCodeStyle(
            codes.get("merchant_codes", "emv-guid"), self.id, self.switch_id,
            codes.get("merchant_guid"), self.profile.manifest["envelope"]["currency"],
            emv_mpm.utf8_length if self.has("merchant-code-byte-length") else len,
            with_amount=not self.has("dynamic-code-without-amount"))
        self.terminal: dict = config.get("terminal", {})
        self.roles: set[str] = set(config.get("roles", ("issuer", "acquirer")))
        self.features: set[str] | None = set(config["features"]) if "features" in config \
            else None
        self.serial = itertools.count(1)

    def join(self, network: dict) -> None:
        super().join(network)
        self.switch_id: str = network["switch_id"]

    def status_of(self, resp_code: str) -> str:
        """How a response code leaves a transaction: approved, declined, or unknown (query)."""
        entry = self.profile.response_codes.get(resp_code, {"outcome": "failure"})
        if entry["outcome"] == "unknown" and self.has("pending-as-declined"):
            return "declined"
        return {"success": "approved", "unknown": "unknown"}.get(entry["outcome"], "declined")


    @cached_property
    def payment_code_form(self) -> re.Pattern:
        """What a purchase message can carry as a payment code, in ASCII digits only."""
        return re.compile(self.profile.definition("paymentCode")["pattern"].strip("^$"),
                          re.ASCII)

    def offers(self, feature: str) -> bool:
        """Whether this institution implements an optional feature: what its ICS declares
        (a peer of the simulated network implements them all)."""
        return self.features is None or feature in self.features or \
            self.has("acts-beyond-its-ics")

    def has(self, defect: str) -> bool:
        return defect in self.defects

    def new_ref(self, kind: str) -> str:
        return f"{kind}{beijing_now():%Y%m%d%H%M%S}{next(self.serial):06d}"

    def new_merchant_id(self) -> str:
        return f"{self.id[:7]}{secrets.randbelow(10**8):08d}"

    # -- acquirer: merchant codes and the terminal ----------------------------------------------
    def create_merchant_code(self, spec: dict) -> dict:
        """A new merchant (or the one ``merchantId`` names) and a code for it."""
        merchant, amount, reference = self.merchant_and_order(spec)
        code = self.codes.build(merchant, amount, reference)
        created = {"merchantId": merchant["id"], "code": code, "dynamic": amount is not None}
        if spec.get("image"):
            symbol = image.render_png(code, eci=False if self.has("qr-without-eci") else None)
            created["image"] = base64.b64encode(symbol).decode("ascii")
        return created

    async def apply_for_code(self, spec: dict, owner: str, test_case: str | None) -> dict:
        """A collection code applied for at the switch (mpm.code_apply), marked as a
        merchant's or a person's (R-FLOW-11); the switch's code names this acquirer, so it
        reads it as one of its own URL-form codes."""
        merchant, amount, reference = self.merchant_and_order(spec)
        now = beijing_now()
        body = {"orderNo": reference or self.new_ref("C"), "orderTime": f"{now:%Y%m%d%H%M%S}",
                "merchant": {"id": merchant["id"], "name": merchant["name"],
                             "mcc": merchant["mcc"], "city": merchant["city"]},
                "codeType": "static" if amount is None else "dynamic",
                "currency": self.codes.currency}
        if not self.has("code-apply-without-owner"):
            body["codeOwner"] = owner
        if amount is not None:
            body["amount"] = amount
        answer = await self.to_switch("mpm.code_apply.request", body, test_case)
        if isinstance(answer, str) or answer["body"]["respCode"] != "00":
            code = answer if isinstance(answer, str) else answer["body"]["respCode"]
            raise ControlError(502, f"the switch issued no code (response code {code})")
        return {"merchantId": merchant["id"], "code": answer["body"]["code"],
                "dynamic": amount is not None}

    def merchant_and_order(self, spec: dict) -> tuple[dict, int | None, str | None]:
        """The merchant a code is for (a new one, or the one ``merchantId`` names) and, for
        a dynamic code, its amount and the order reference it is registered under."""
        merchant = self.ledger.merchant(spec["merchantId"]) if spec.get("merchantId") else None
        if merchant is None:
            merchant_id = spec.get("merchantId") or self.new_merchant_id()
            self.ledger.add_merchant(merchant_id, spec["name"], spec["mcc"], spec["city"],
                                     spec.get("localName"), spec.get("localCity"))
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
            self.ledger.add_merchant(merchant_id, self.terminal["merchant_name"],
                                     self.terminal["mcc"], self.terminal["city"])
        return self.ledger.merchant(merchant_id)

    async def charge(self, code: str, amount: int, test_case: str | None) -> dict:
        """The terminal scanned a payment code: send a purchase and book what the switch says."""
        if self.has("terminal-hangs"):
            await asyncio.Event().wait()        # never answers: the harness must time out
        code = read_payment_code(code, self.payment_code_form, self.defects)
        merchant = self.terminal_merchant()
        now = beijing_now()
        order_no = self.new_ref("P")
        currency = self.profile.manifest["envelope"]["currency"]
        body = {"code": code, "amount": amount, "currency": currency,
                "merchant": {"id": merchant["id"], "name": merchant["name"],
                             "mcc": merchant["mcc"], "city": merchant["city"]},
                "termId": self.terminal["id"], "orderNo": order_no,
                "orderTime": f"{now:%Y%m%d%H%M%S}"}
        base = {"ref": order_no, "role": "acquirer", "mode": "CPM", "amount": amount,
                "currency": currency, "merchant_id": merchant["id"], "order_no": order_no,
                "order_time": body["orderTime"]}
        answer = await self.to_switch("cpm.purchase.request", body, test_case)
        txn = self.book_terminal(base, answer, amount)
        if txn["status"] == "unknown":
            self.spawn(self.resolve_purchase(txn, test_case))
        elif txn["status"] == "declined" and self.has("terminal-queries-declines"):
            self.spawn(self.query(txn, test_case, after_s=self.first_query_delay))
        return txn

    def resume(self) -> None:
        """Purchases whose outcome this terminal did not know when it stopped: query them
        again from the start of the schedule, and reverse them if that finds nothing."""
        for txn in self.ledger.unresolved_purchases():
            self.spawn(self.resolve_purchase(txn, None))

    async def resolve_purchase(self, txn: dict, test_case: str | None) -> None:
        """Query a purchase whose outcome is unknown on the profile's schedule (R-FLOW-04)
        until an answer is final, and book that answer; if none is, reverse it."""
        schedule = self.profile.schedules["status_query"]
        delays = schedule["delays_s"][:schedule["max_attempts"]]
        for delay in [] if self.has("reverse-without-querying") else delays:
            await asyncio.sleep(0 if self.has("query-too-early") else delay * self.scale)
            if self.ledger.transaction(txn["ref"])["status"] != "unknown":
                return          # a result notice told the outcome in the meantime
            answer = await self.query(txn, test_case)
            if isinstance(answer, str) or self.status_of(answer["body"]["respCode"]) == "unknown":
                continue
            found = answer["body"]
            # 35: the switch never had the purchase, which is then final and declined.
            result = {**found, "respCode": found.get("origRespCode", found["respCode"])}
            if self.status_of(result["respCode"]) != "unknown":
                with self.ledger.atomic() as db:
                    self.ledger.settle(db, txn["ref"], **self.terminal_outcome(
                        db, txn["merchant_id"], result, txn["amount"]))
                return
        if not self.has("never-reverse"):
            await self.reverse(txn, test_case)

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
        await asyncio.sleep(max(0.0, earliest - time.time()))
        body = {"origOrderNo": txn["order_no"], "origOrderTime": txn["order_time"],
                "amount": txn["amount"], "currency": txn["currency"],
                "merId": txn["merchant_id"], "termId": self.terminal["id"]}
        for delay in self.profile.schedules["status_query"]["delays_s"]:
            answer = await self.to_switch("cpm.reversal.request", body, test_case)
            if not isinstance(answer, str) and \
                    self.status_of(answer["body"]["respCode"]) != "unknown":
                if answer["body"]["respCode"] == "00":
                    self.book_reversal(txn, answer["body"])
                return
            await asyncio.sleep(delay * self.scale)

    async def undo(self, kind: str, voucher: str, amount: int | None, order_no: str | None,
                   test_case: str | None) -> dict:
        """The merchant refunds (``kind`` "refund": part or all) or voids (``kind`` "void":
        all, same clearing day) one of the payments it took, a CPM purchase at its terminal or
        an MPM payment to its code, through the switch."""
        original = self.ledger.approved_payment(voucher, "acquirer")
        if original is None:
            raise ControlError(404, f"no approved payment with voucher {voucher}")
        amount = original["amount"] if amount is None else amount
        now = beijing_now()
        order_no = order_no or self.new_ref("R" if kind == "refund" else "V")
        body = {"orderNo": order_no, "orderTime": f"{now:%Y%m%d%H%M%S}",
                "origVoucherNum": voucher, "amount": amount, "currency": original["currency"],
                "merId": original["merchant_id"]}
        if original["mode"] == "CPM":
            body["termId"] = self.terminal["id"]
        else:
            body["origTxnNo"] = original["txn_no"]
        mode = "cpm" if self.has("mpm-refund-sent-as-cpm") else original["mode"].lower()
        answer = await self.to_switch(f"{mode}.{kind}.request", body, test_case)
        base = {"ref": order_no, "role": "acquirer", "mode": original["mode"], "kind": kind,
                "amount": amount, "currency": original["currency"], "order_no": order_no,
                "merchant_id": original["merchant_id"], "orig_voucher": voucher}
        return self.book_terminal(base, answer, -amount)

    def book_reversal(self, txn: dict, result: dict) -> None:
        """The purchase is reversed, and the reversal booked under its own voucher as the
        switch cleared it; no money had reached the merchant, so none leaves."""
        with self.ledger.atomic() as db:
            self.ledger.settle(db, txn["ref"], status="reversed")
            self.ledger.record(db, ref=result["voucherNum"], role="acquirer", mode="CPM",
                               kind="reversal", status="approved", resp_code="00",
                               amount=txn["amount"], currency=txn["currency"],
                               merchant_id=txn["merchant_id"], order_no=txn["order_no"],
                               order_time=txn["order_time"], counterparty=result.get("issuer"),
                               voucher_num=result["voucherNum"],
                               settle_date=result.get("settleDate"),
                               settle_key=result.get("settleKey"))

    def book_terminal(self, base: dict, answer: dict | str, merchant_credit: int) -> dict:
        """Book what the switch answered to one of the terminal's requests; an approval
        moves ``merchant_credit`` fen (negative: back out of the merchant's balance)."""
        with self.ledger.atomic() as db:
            if isinstance(answer, str):
                return self.ledger.record(db, **base, status="unknown", resp_code=answer)
            return self.ledger.record(db, **base, **self.terminal_outcome(
                db, base["merchant_id"], answer["body"], merchant_credit))

    def terminal_outcome(self, db, merchant_id: str, result: dict, merchant_credit: int) -> dict:
        """The fields an answer (or a query's finding) gives a terminal transaction, crediting
        the merchant inside the same database transaction when it is an approval."""
        status = self.status_of(result["respCode"])
        if status == "approved":
            self.ledger.credit_merchant(db, merchant_id, merchant_credit)
        return {"status": status, "resp_code": result["respCode"],
                "counterparty": result.get("issuer"), "voucher_num": result.get("voucherNum"),
                "settle_date": None if self.has("terminal-drops-settle-date")
                else result.get("settleDate"), "settle_key": result.get("settleKey")}

    async def to_switch(self, msg_type: str, body: dict, test_case: str | None) -> dict | str:
        """Send to the switch; no usable answer leaves the outcome unknown (03 or 04)."""
        try:
            return await self.send(self.switch_id, msg_type, body, "from-switch", test_case,
                                   self.timing("participant_request_timeout_s"))
        except PeerError as exc:
            return "03" if exc.kind in ("timeout", "unreachable") else "04"

    # -- answering the switch -------------------------------------------------------------------
    def book_approval(self, db, body: dict, **details: object) -> None:
        """Record a transaction this institution approved for the switch; the switch's voucher
        number is its reference, as it is on the other side."""
        settle_date = body["settleDate"]
        if self.has("wrong-settle-date"):      # its own calendar day, not the switch's
            settle_date = f"{beijing_now() - timedelta(days=1):%m%d}"
        self.ledger.record(db, ref=body["voucherNum"], status="approved", resp_code="00",
                           amount=body["amount"], currency=body["currency"],
                           voucher_num=body["voucherNum"], settle_date=settle_date, **details)

    # -- acquirer: answering the switch ---------------------------------------------------------
    def on_inquiry(self, message: dict) -> dict:
        body = message["body"]
        read = self.codes.read(body["code"])
        dynamic = self.ledger.dynamic_code(read.reference) if read and read.reference else None
        merchant_id = dynamic["merchant_id"] if dynamic else read and read.merchant_id
        merchant = self.ledger.merchant(merchant_id) if merchant_id else None
        if merchant is None or (read.reference is not None and (
                dynamic is None or read.merchant_id not in (None, merchant_id))):
            return self.refuse(message, "31", "not a merchant code of this acquirer")
        if dynamic and dynamic["used"] and not self.has("dynamic-code-reusable"):
            return self.refuse(message, "35", "dynamic code already paid (single use)")
        amount = dynamic["amount"] if dynamic else None
        currency = read.currency or self.codes.currency
        self.ledger.open_order(body["txnNo"], merchant_id, amount, currency, body["issuer"],
                               read.reference)
        reply = {**self.profile.response("00"), "txnNo": body["txnNo"],
                 "merchant": {k: merchant[k] for k in ("id", "name", "mcc", "city")},
                 "codeType": "dynamic" if dynamic else "static", "currency": currency}
        if amount is not None:
            reply["amount"] = amount
        return self.reply(message, reply)

    def on_mpm_payment(self, message: dict) -> dict:
        body = message["body"]
        order = self.ledger.order(body["txnNo"])
        if order is None or order["paid"]:
            return self.refuse(message, "35", "unknown or already paid txnNo")
        if body["currency"] != order["currency"] or order["amount"] not in (None, body["amount"]):
            return self.refuse(message, "35", "amount or currency differs from the order")
        if (order["reference"] and self.ledger.dynamic_code(order["reference"])["used"]
                and not self.has("dynamic-code-reusable")):
            return self.refuse(message, "35", "dynamic code already paid (single use)")
        try:
            payer = self.open_field(body["payer"])
        except FieldDecryptionError as exc:
            return self.refuse(message, "10", f"payer: {exc}")
        with self.ledger.atomic() as db:
            db.execute("UPDATE mpm_orders SET paid = 1 WHERE txn_no = ?", (body["txnNo"],))
            db.execute("UPDATE dynamic_codes SET used = 1 WHERE reference = ?",
                       (order["reference"],))
            self.ledger.credit_merchant(db, order["merchant_id"], body["amount"])
            self.book_approval(db, body, role="acquirer", mode="MPM",
                               merchant_id=order["merchant_id"], counterparty=body["issuer"],
                               txn_no=body["txnNo"], account=None
                               if self.has("payer-details-not-kept") else payer.get("accountRef"))
        return self.reply(message, {**self.profile.response("00"), "txnNo": body["txnNo"],
                                    "voucherNum": body["voucherNum"], "amount": body["amount"],
                                    "currency": body["currency"]})

    # -- issuer: the wallet ---------------------------------------------------------------------
    def issue_payment_code(self, account: str) -> dict:
        if self.ledger.balance(account) is None:
            raise ControlError(404, f"no account {account}")
        code = secrets.choice(self.code_rules).new_code()
        expires = self.ledger.issue_code(code, account, self.timing("payment_code_validity_s"))
        return {"code": code, "account": account, "expiresAt": expires}

    async def pay_merchant_code(self, account: str, code: str, amount: int | None,
                                test_case: str | None) -> dict:
        """The payer scanned a merchant code: inquire, then pay, through the switch."""
        if not code.startswith("https://") or self.has("wallet-refuses-url-codes"):
            check_merchant_code(code, self.defects)     # a URL code is checked by its acquirer
        if not self.has("wallet-skips-code-checks") and self.codes.owns(code):
            raise ControlError(422, "on-us code: not an interconnection payment")
        balance = self.ledger.balance(account)
        if balance is None:
            raise ControlError(404, f"no account {account}")
        order_no = self.new_ref("M")
        base = {"ref": order_no, "role": "issuer", "mode": "MPM", "amount": amount,
                "currency": self.codes.currency, "account": account, "order_no": order_no}
        inquiry = await self.to_switch("mpm.inquiry.request", {"code": code}, test_case)
        if isinstance(inquiry, str) or inquiry["body"]["respCode"] != "00":
            # The inquiry's answer is the outcome: the payer sees it, the ledger keeps it.
            return self.book_payer_side(base, inquiry)
        order = inquiry["body"]
        amount = base["amount"] = order.get("amount", amount)
        base.update(txn_no=order["txnNo"], counterparty=order["acquirer"],
                    code_type=order["codeType"])
        if amount is None:
            raise ControlError(422, "static code: the payer must enter an amount")
        if amount > balance:
            raise ControlError(422, "insufficient balance")
        if self.over_daily_limit(account, amount, static=order["codeType"] == "static"):
            with self.ledger.atomic() as db:    # declined by the wallet: nothing is sent
                return self.ledger.record(db, **base, status="declined", resp_code="33")
        now, payer = beijing_now(), {"accountRef": account}
        answer = await self.to_switch("mpm.payment.request", {
            "txnNo": order["txnNo"], "amount": amount, "currency": order["currency"],
            "payer": payer if self.has("payer-in-clear") else self.encrypt_for(
                self.switch_id, payer), "orderNo": order_no,
            "orderTime": f"{now:%Y%m%d%H%M%S}"}, test_case)
        return self.book_payer_side(base, answer)

    def book_payer_side(self, base: dict, answer: dict | str) -> dict:
        with self.ledger.atomic() as db:
            if isinstance(answer, str):
                return self.ledger.record(db, **base, status="unknown", resp_code=answer)
            result = answer["body"]
            if result["respCode"] != "00":
                return self.ledger.record(db, **base, status=self.status_of(result["respCode"]),
                                          resp_code=result["respCode"])
            debit = base["amount"] * (10 if self.has("mpm-debit-wrong-amount") else 1)
            self.ledger.debit(db, base["account"], debit)
            return self.ledger.record(db, **base, status="approved", resp_code="00",
                                      voucher_num=result["voucherNum"],
                                      settle_date=result["settleDate"],
                                      settle_key=result["settleKey"])

    def over_daily_limit(self, account: str, amount: int, static: bool) -> bool:
        """Whether paying ``amount`` takes the payer past a daily limit (R-FLOW-10): the
        limit of the account's risk tier, and for a static code tier D's, whatever the
        account's tier. The day is Beijing's; tier A has no limit but the one agreed."""
        if self.has("ignore-daily-limit"):
            return False
        tiers = self.profile.business["risk_tiers"]["tiers"]
        limits = [(tiers[self.ledger.account(account)["risk_tier"]], False)]
        if static and not self.has("static-code-not-tier-d"):
            limits.append((tiers["D"], True))
        today = beijing_now().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        return any(tier["daily_limit_fen"]["value"] is not None and amount
                   + self.ledger.paid_since(account, today, static_only)
                   > tier["daily_limit_fen"]["value"] for tier, static_only in limits)

    # -- issuer: answering the switch -----------------------------------------------------------
    def use_payment_code(self, value: str) -> tuple[dict | None, str | None]:
        """The payment code, now used, or why it cannot pay: 61 unknown, 72 used, 73 expired
        (an expired code is used up all the same)."""
        code = self.ledger.payment_code(value)
        if code is None:
            return None, "61"
        if code["used_at"] is not None and not self.has("accept-reused-payment-code"):
            return None, "72"
        self.ledger.mark_code_used(value)
        if code["expires_at"] < time.time():
            return None, "73"
        return code, None

    def on_purchase(self, message: dict) -> dict:
        body = message["body"]
        if (self.ledger.transaction(body["voucherNum"]) is not None
                and not self.has("accept-duplicate-voucher")):
            return self.refuse(message, "12", "voucher number already booked: no second debit")
        code, refusal = self.use_payment_code(body["code"])
        if refusal:
            return self.refuse(message, refusal)
        if self.ledger.balance(code["account"]) < body["amount"]:
            return self.refuse(message, "64")
        if self.over_daily_limit(code["account"], body["amount"], static=False):
            return self.refuse(message, "33", "over the payer's daily limit")
        with self.ledger.atomic() as db:
            self.ledger.debit(db, code["account"], body["amount"])
            self.book_approval(db, body, role="issuer", mode="CPM", account=code["account"],
                               counterparty=body["acquirer"], order_no=body["orderNo"],
                               code_type="dynamic")
        amount = f"{Decimal(body['amount']) / 100:.2f}" if self.has("purchase-amount-as-text") \
            else body["amount"]
        extra = {"promotion": "none"} if self.has("answer-with-unknown-field") else {}
        return self.reply(message, {**self.profile.response("00"), "voucherNum": body["voucherNum"],
                                    "amount": amount, "currency": body["currency"], **extra})

    def on_password_request(self, message: dict) -> dict:
        """The switch holds a purchase above the pin-free limit until the payer types the
        password (R-FLOW-09): acknowledge, and wait for the payer's decision."""
        body = message["body"]
        code, refusal = self.use_payment_code(body["code"])
        if refusal:
            return self.refuse(message, refusal)
        if self.over_daily_limit(code["account"], body["amount"], static=False):
            return self.refuse(message, "33", "over the payer's daily limit")
        self.ledger.add_step_up(body["voucherNum"], code, body)
        if self.has("debit-before-password"):
            with self.ledger.atomic() as db:
                self.ledger.debit(db, code["account"], body["amount"])
        if self.has("step-up-auto-confirm"):
            self.spawn(self.decide_password(code["account"], "confirm",
                                            message["header"].get("testCaseId")))
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": body["voucherNum"]})

    async def decide_password(self, account: str, decision: str,
                              test_case: str | None) -> dict:
        """The payer confirms with the password (or types a wrong one, or cancels) the
        oldest purchase waiting for it; the switch is told, and an acknowledged
        confirmation debits the payer."""
        waiting = self.ledger.waiting_step_up(account)
        if waiting is None:
            raise ControlError(404, f"no purchase is waiting for the password of {account}")
        result = PASSWORD_RESULTS[decision]
        if result == "00" and self.ledger.balance(account) < waiting["amount"]:
            result = "64"
        self.ledger.db.execute("UPDATE step_ups SET answered = 1 WHERE voucher_num = ?",
                               (waiting["voucher_num"],))
        answer = await self.to_switch("cpm.additional_processing_result.request", {
            "code": waiting["code"], "voucherNum": waiting["voucher_num"],
            "resultCode": result}, test_case)
        acknowledged = not isinstance(answer, str) and answer["body"]["respCode"] == "00"
        status = "approved" if result == "00" and acknowledged else "declined"
        with self.ledger.atomic() as db:
            if status == "approved" and not self.has("debit-before-password"):
                self.ledger.debit(db, account, waiting["amount"])
            return self.ledger.record(
                db, ref=waiting["voucher_num"], role="issuer", mode="CPM", status=status,
                resp_code=result, amount=waiting["amount"], currency=waiting["currency"],
                account=account, counterparty=waiting["acquirer"],
                order_no=waiting["order_no"], voucher_num=waiting["voucher_num"],
                settle_date=waiting["settle_date"], code_type="dynamic")

    def on_reversal(self, message: dict) -> dict:
        """Undo a purchase whose acquirer never learnt its outcome: give an approved one's
        money back, once; a purchase never seen is answered 00 as well (it had no effect),
        and the same reversal again gets the same answer and moves nothing."""
        body = message["body"]
        done = self.ledger.one("SELECT 1 FROM transactions WHERE kind = 'reversal' AND"
                               " orig_voucher = ?", body["origVoucherNum"])
        if not done:
            original = self.ledger.approved_payment(body["origVoucherNum"], "issuer")
            with self.ledger.atomic() as db:
                if original is not None and not self.has("reversal-keeps-the-money"):
                    self.ledger.credit_account(db, original["account"], original["amount"])
                self.book_approval(db, body, role="issuer", mode="CPM", kind="reversal",
                                   account=original["account"] if original else None,
                                   counterparty=body["acquirer"],
                                   order_no=body["origOrderNo"],
                                   orig_voucher=body["origVoucherNum"])
        return self.reply(message, {**self.profile.response("00"), "voucherNum": body["voucherNum"],
                                    "amount": body["amount"], "currency": body["currency"]})

    def on_collection_notice(self, message: dict) -> dict:
        """The switch tells the acquirer an MPM payment to one of its codes is cleared
        (R-FLOW-08): acknowledged, every copy. The payment was booked when this acquirer
        approved it, so the notice changes nothing here."""
        if self.has("notice-unacknowledged"):
            return self.refuse(message, "06", "notices are not taken")
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": message["body"]["voucherNum"]})

    def on_notice(self, message: dict) -> dict:
        """A result notice: acknowledged always, every copy (R-FLOW-08); acted on only when
        it matches a purchase of this acquirer whose outcome it does not know yet."""
        body = message["body"]
        if self.has("notice-unacknowledged"):
            return self.refuse(message, "06", "notices are not taken")
        txn = self.ledger.one("SELECT * FROM transactions WHERE role = 'acquirer' AND"
                              " kind = 'payment' AND order_no = ?", body.get("orderNo"))
        acts = txn is not None and (self.has("notice-unchecked") or (
            txn["status"] == "unknown"
            and (txn["amount"], txn["currency"]) == (body["amount"], body["currency"])))
        result = {**body, "respCode": body["origRespCode"]}
        if acts:
            with self.ledger.atomic() as db:
                self.ledger.settle(db, txn["ref"], **self.terminal_outcome(
                    db, txn["merchant_id"], result, txn["amount"]))
        elif txn is None and self.has("notice-books-unknown-order"):
            merchant = self.terminal_merchant()
            with self.ledger.atomic() as db:
                self.ledger.record(db, ref=body["voucherNum"], role="acquirer", mode="CPM",
                                   amount=body["amount"], currency=body["currency"],
                                   merchant_id=merchant["id"], order_no=body["orderNo"],
                                   order_time=body["orderTime"], **self.terminal_outcome(
                                       db, merchant["id"], result, body["amount"]))
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": body["voucherNum"]})

    def on_undo(self, message: dict) -> dict:
        """Refund (partial and repeated, never beyond what was paid) or void (same clearing
        day, full amount, once) a payment, CPM or MPM, and give the payer the money back."""
        body = message["body"]
        mode, kind, _ = message["header"]["msgType"].split(".")
        original = self.ledger.approved_payment(body["origVoucherNum"], "issuer")
        if original is not None and original["mode"] != mode.upper():
            original = None         # a purchase is not refunded as an MPM payment, nor back
        if original is None:
            return self.refuse(message, "35", "no approved purchase with that voucher")
        if self.ledger.one("SELECT 1 FROM transactions WHERE role = 'issuer' AND kind = ? AND"
                           " order_no = ? AND counterparty = ?", kind, body["orderNo"],
                           body["acquirer"]):
            return self.refuse(message, "12", f"{kind} already made under this orderNo")
        if refusal := self.undo_refusal(kind, body, original):
            return self.refuse(message, *refusal)
        with self.ledger.atomic() as db:
            self.ledger.credit_account(db, original["account"], body["amount"])
            if self.has("refund-not-booked"):
                return self.reply(message, {**self.profile.response("00"),
                                            "voucherNum": body["voucherNum"],
                                            "amount": body["amount"],
                                            "currency": body["currency"]})
            self.book_approval(db, body, role="issuer", mode=mode.upper(), kind=kind,
                               account=original["account"], counterparty=body["acquirer"],
                               order_no=body["orderNo"], orig_voucher=body["origVoucherNum"])
        return self.reply(message, {**self.profile.response("00"), "voucherNum": body["voucherNum"],
                                    "amount": body["amount"], "currency": body["currency"]})

    def undo_refusal(self, kind: str, body: dict, original: dict) -> tuple[str, str] | None:
        """Why a refund or void of ``original`` is refused, as (code, detail); None if not."""
        partial = kind == "refund" and body["amount"] < original["amount"]
        for feature in (["void"] if kind == "void" else []) + (["partial-refund"] if partial
                                                                 else []):
            if not self.offers(feature):
                return "43", f"{feature} is not among the features this institution declares"
        voided = self.ledger.one("SELECT 1 FROM transactions WHERE kind = 'void' AND"
                                 " orig_voucher = ? AND status = 'approved'",
                                 original["voucher_num"])
        refunded = self.ledger.refunded(original["voucher_num"], "issuer")
        if voided and not self.has("void-twice"):
            return "45", "the purchase was voided"
        if kind == "void":
            if refunded:
                return "45", "the purchase was already refunded in part"
            if body["amount"] != original["amount"]:
                return "36", "a void is for the full amount of the purchase"
            if body["settleDate"] != original["settle_date"]:
                return "39", "a void must fall on the purchase's clearing day"
            return None
        if refunded + body["amount"] > original["amount"] and \
                not self.has("refund-beyond-original"):
            return "33", (f"refunds would total {refunded + body['amount']} fen, more than "
                          f"the {original['amount']} fen paid")
        return None

    def on_message(self, raw: bytes) -> dict:
        message, refusal = self.check_inbound(
            raw, "from-switch", verify=not self.has("skip-signature-check"),
            validate=not self.has("skip-message-validation"))
        if refusal:
            return refusal
        if message["header"]["sender"] != self.switch_id:
            return self.refuse(message, "11", "only the switch may send to a participant")
        handler = {"mpm.inquiry.request": self.on_inquiry,
                   "mpm.payment.request": self.on_mpm_payment,
                   "cpm.purchase.request": self.on_purchase,
                   "cpm.additional_processing.request": self.on_password_request,
                   "cpm.reversal.request": self.on_reversal,
                   "notice.result.request": self.on_notice,
                   "mpm.collection_notice.request": self.on_collection_notice,
                   "cpm.refund.request": self.on_undo,
                   "cpm.void.request": self.on_undo,
                   "mpm.refund.request": self.on_undo,
                   "mpm.void.request": self.on_undo}.get(message["header"]["msgType"])
        if handler is None:
            return self.refuse(message, "10", "this institution does not take that message")
        try:
            return handler(message)
        except sqlite3.IntegrityError:      # the ledger's own guard: one booking per voucher
            return self.refuse(message, "12", "voucher number already booked for another "
                                              "transaction")


def make_app(config: dict) -> web.Application:
    institution = Institution(config)

    async def messages(request: web.Request) -> web.Response:
        return institution.answer(institution.on_message(await request.read()))

    app = institution.application(messages,
                                  middlewares=[json_answers, checked_by_contract(institution)])
    app.router.add_routes(ControlApi(institution).routes())
    return app


if __name__ == "__main__":
    run(make_app)
