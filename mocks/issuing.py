"""The reference institution's issuer side: the wallet, its payment codes and payer accounts,
and what it does with the purchases, password steps, reversals, refunds and voids it is sent.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal

from mocks.code_reader import check_merchant_code
from mocks.control_api import (
    PASSWORD_RESULTS,
    ControlError,
)
from qrinterop.protocol.envelope import beijing_now


class Issuing:
    """Mixed into :class:`mocks.institution.Institution`, whose ledger, codes and
    switch connection it uses."""

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
