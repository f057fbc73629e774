"""The reference institution's issuer side: the wallet, its payment codes and payer accounts,
and what it does with the purchases, password steps, reversals, refunds and voids it is sent.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mocks.code_reader import check_merchant_code
from mocks.control_api import (
    PASSWORD_RESULTS,
    ControlError,
)
from mocks.merchant_codes import fee
from qrinterop.codes import cpm_cryptogram, emv_cpm, terminal
from qrinterop.protocol import clock
from qrinterop.protocol.envelope import BEIJING, beijing_now

#: How the issuer records an EMV CPM payload: by its PAN and ATC, each pair usable once.
EMV_KEY = "emv:"
#: The longest PAN EMV allows (5A: 10 bytes of BCD).
MAX_PAN_DIGITS = 19


def emv_key(pan: str, atc: int) -> str:
    return f"{EMV_KEY}{pan}:{atc}"


class Issuing:
    """Mixed into :class:`mocks.institution.Institution`, whose ledger, codes and
    switch connection it uses."""

    def issue_payment_code(self, account: str, form: str = "numeric") -> dict:
        """A payment code for ``account``: digits, or an EMV CPM payload (R-CPM-01) whose
        (PAN, ATC) is what the issuer records as the code, used once (R-CPM-07)."""
        if self.ledger.balance(account) is None:
            raise ControlError(404, f"no account {account}")
        code = shown = secrets.choice(self.code_rules).new_code()
        if form == "emv-cpm":
            shown, code = self.emv_payload(account)
        validity = self.payment_code_validity()
        if self.defects.on("payment-code-validity-in-ms"):     # the profile's seconds as ms
            validity /= 1000
        if self.defects.on("payment-code-validity-in-minutes"):  # the declared seconds as min
            validity *= 60
        expires = self.ledger.issue_code(code, account, validity)
        return {"code": shown, "account": account, "expiresAt": expires}

    def emv_payload(self, account: str) -> tuple[str, str]:
        """An EMV CPM payload for the account's token PAN (in this issuer's routed range, at
        most 19 digits) at its next ATC, and the key it is recorded under."""
        if self.emv_scheme is None or not self.offers("emv-cpm"):
            raise ControlError(422, "this wallet shows no EMV CPM payload under this profile")
        rules = [rule for rule in self.code_rules if rule.length <= MAX_PAN_DIGITS]
        if not rules:
            raise ControlError(422, "no payment-code range of at most 19 digits for a PAN")
        pan, atc = self.ledger.next_atc(account, secrets.choice(rules).new_code())
        payload = cpm_cryptogram.build(self.emv_scheme, pan, atc, secrets.token_bytes(4))
        return payload, emv_key(pan, atc)

    def payment_code_validity(self) -> float:
        """How long a payment code stays usable, in seconds as this network runs: what the
        ICS declares (codes.payment_code_validity_s, R-CPM-08), else the profile's."""
        if self.declared_code_validity_s is None:
            return self.timing("payment_code_validity_s")
        return float(self.declared_code_validity_s) * self.scale

    async def pay_merchant_code(self, account: str, code: str, amount: int | None,
                                test_case: str | None) -> dict:
        """The payer scanned a merchant code: inquire, then pay, through the switch. The
        money is set aside (and the payment recorded, unknown) before the switch is asked,
        so that parallel payments cannot spend it twice and a crash leaves a record to
        resolve; the answer takes or releases it."""
        if not code.startswith("https://") or self.defects.on("wallet-refuses-url-codes"):
            # a URL code is checked by its acquirer
            check_merchant_code(code, self.codes.rules, self.defects)
        if not self.defects.on("wallet-skips-code-checks") and self.codes.owns(code):
            raise ControlError(422, "on-us code: not an interconnection payment")
        if self.ledger.balance(account) is None:
            raise ControlError(404, f"no account {account}")
        order_no = self.new_ref("M")
        base = {"ref": order_no, "role": "issuer", "mode": "MPM", "amount": amount,
                "currency": self.codes.currency, "account": account, "order_no": order_no}
        inquiry = await self.to_switch("mpm.inquiry.request", {"code": code}, test_case)
        if isinstance(inquiry, str) or inquiry["body"]["respCode"] != "00":
            # The inquiry's answer is the outcome: the payer sees it, the ledger keeps it.
            with self.ledger.atomic() as db:
                return self.ledger.record(db, **base, **self.payer_outcome(inquiry))
        order = inquiry["body"]
        amount = base["amount"] = self.payable(code, order.get("amount"), amount)
        base.update(txn_no=order["txnNo"], counterparty=order["acquirer"],
                    code_type=order["codeType"], order_time=f"{beijing_now():%Y%m%d%H%M%S}",
                    risk_tier=self.payment_tier(order["codeType"] == "static", "none"),
                    order_type=order.get("orderType", "10"))
        if amount is None:
            raise ControlError(422, "static code: the payer must enter an amount")
        if self.defects.on("wallet-declines-other-acquirers"):
            # as before interconnection: only acquirers with a bilateral agreement (none here)
            with self.ledger.atomic() as db:
                return self.ledger.record(db, **base, status="declined", resp_code="62")
        with self.ledger.atomic() as db:
            needed = amount
            if self.defects.on("wallet-balance-must-exceed-amount"):
                needed += 1     # the balance must exceed the amount, not cover it
            if self.ledger.available(account) < needed:
                raise ControlError(422, "insufficient balance")
            if self.over_daily_limit(account, amount, static=order["codeType"] == "static",
                                     acquirer=order["acquirer"]):
                # declined by the wallet: nothing is sent
                return self.ledger.record(db, **base, status="declined", resp_code="33")
            if not self.defects.on("wallet-ignores-order-type") and (refusal := \
                    self.order_type_refusal(account, order.get("orderType"), amount,
                                            order["acquirer"])):
                return self.ledger.record(db, **base, status="declined", resp_code=refusal[0])
            self.ledger.hold(db, order_no, account, amount)
            self.ledger.record(db, **base, status="unknown")
        payer = {"accountRef": account if self.defects.on("payer-reference-unmasked")
                 else self.profile.payer_reference(account)}
        answer = await self.to_switch("mpm.payment.request", {
            "txnNo": order["txnNo"], "amount": amount, "currency": order["currency"],
            "payer": payer if self.defects.on("payer-in-clear") else self.encrypt_for(
                self.switch_id, payer), "orderNo": order_no,
            "orderTime": base["order_time"], **self.payment_extras(account, order_no)},
            test_case)
        txn = self.book_payer_side(order_no, answer)
        if txn["status"] == "unknown":
            self.spawn(self.resolve_payment(txn, test_case))
        return txn

    def payment_extras(self, account: str, order_no: str) -> dict:
        """What an MPM payment carries beside 1.0's fields where the profile in use has them
        (1.1, as QRC 0130: the wallet's device risk data, the payer's account type for the
        acquirer, and a reserved field the switch returns unchanged)."""
        extras = {"riskInfo": {"deviceId": f"WALLET-{self.id}", "deviceType": "1"},
                  "payerAccountType": self.told_type(account), "reqReserved": f"order={order_no}"}
        return self.profile.carried("mpm.payment", "request.to-switch", extras)

    def payable(self, code: str, ordered: int | None, typed: int | None) -> int | None:
        """What the payer pays: the amount of the order the switch's signed answer gave (a
        dynamic code, URL ones included: R-SEC-03), else what the payer entered, with the
        merchant code's convenience fee added once (R-MPM-10)."""
        url = code.startswith("https://")
        amount = typed if ordered is None or (
            url and typed is not None and self.defects.on("url-code-paid-as-typed")) else ordered
        if amount is None or self.defects.on("tip-fee-ignored"):
            return amount
        return amount + fee(code, amount, self.codes.rules) * (
            2 if self.defects.on("tip-fee-added-twice") else 1)

    def resume(self) -> None:
        """Wallet payments whose outcome was unknown when the process stopped (those it was
        sending too): query them again from the start of the schedule. Password decisions it
        was telling the switch: tell them again."""
        super().resume()
        for txn in self.ledger.unresolved_payments():
            self.spawn(self.resolve_payment(txn, None))
        for step_up in self.ledger.unreported_step_ups():
            self.spawn(self.report_password_again(step_up["voucher_num"], step_up["code"],
                                                  step_up["resp_code"], None))

    async def resolve_payment(self, txn: dict, test_case: str | None) -> None:
        """Query a wallet payment whose outcome is unknown on the profile's schedule
        (R-FLOW-04) and book the first final answer: an approval takes the money set aside,
        a decline releases it. None final: it stays set aside, for the reconciliation file
        to decide (timing.json, after_last)."""
        schedule = self.profile.schedules["status_query"]
        # The switch has answered, or given up, by then: only after it is "not found" final.
        settled_by = txn["created_at"] + self.timing("switch_response_timeout_s")
        for delay in schedule["delays_s"][:schedule["max_attempts"]]:
            await asyncio.sleep(0 if self.defects.on("wallet-queries-at-once") else
                                delay * self.scale)
            answer = await self.to_switch("mpm.payment_query.request", {
                "origOrderNo": txn["order_no"], "origOrderTime": txn["order_time"],
                "origMsgType": "mpm.payment"}, test_case)
            if isinstance(answer, str) or (answer["body"]["respCode"] == "35"
                                           and clock.now_s() < settled_by):
                continue
            found = answer["body"]
            result = {**found, "respCode": found.get("origRespCode", found["respCode"])}
            if self.status_of(result["respCode"]) != "unknown":
                self.book_payer_side(txn["ref"], {"body": result})
                return

    def payer_outcome(self, answer: dict | str) -> dict:
        """The fields an answer to the wallet gives its transaction: no answer leaves it
        unknown, with the code the switch connection gave (03 or 04)."""
        if isinstance(answer, str):
            return {"status": "unknown", "resp_code": answer}
        result = answer["body"]
        outcome = {"status": self.status_of(result["respCode"]), "resp_code": result["respCode"]}
        if outcome["status"] == "approved":
            outcome.update(voucher_num=result.get("voucherNum"),
                           settle_date=result.get("settleDate"),
                           settle_key=result.get("settleKey"))
        return outcome

    def book_payer_side(self, ref: str, answer: dict | str) -> dict:
        """Apply an MPM payment's answer to the payment recorded before it was sent: an
        approval takes the money set aside, a final decline releases it, and an unknown
        outcome keeps it set aside until a query tells."""
        outcome = self.payer_outcome(answer)
        with self.ledger.atomic() as db:
            txn = self.ledger.one("SELECT * FROM transactions WHERE ref = ?", ref)
            if txn["status"] != "unknown":
                return txn          # already settled (a query that overtook the answer)
            if outcome["status"] == "approved":
                debit = txn["amount"] * (10 if self.defects.on("mpm-debit-wrong-amount") else 1)
                self.ledger.take(db, ref, debit)
            elif outcome["status"] != "unknown" and \
                    not self.defects.on("hold-kept-after-decline"):
                self.ledger.release(db, ref)
            return self.ledger.settle(db, ref, **outcome)

    def over_daily_limit(self, account: str, amount: int, static: bool,
                         acquirer: str | None = None, verification: str = "none") -> bool:
        """Whether paying ``amount`` takes the payer past a daily limit (R-FLOW-10): the limit
        of the payment's risk tier (:meth:`limits`). The day is Beijing's; tier A has no limit
        but the one agreed. The day's total counts every acquirer's payments (``acquirer``:
        the one asking now)."""
        if self.defects.on("ignore-daily-limit"):
            return False
        today = self.day_began()
        through = acquirer if self.defects.on("daily-limit-per-acquirer") else None
        declined = self.defects.on("declined-attempt-counts-toward-limit")
        this = 0 if self.defects.on("daily-limit-ignores-this-payment") else amount
        return any(self.past_limit(this + self.ledger.paid_since(
            account, today, through=through, declined=declined, **counted), limit)
            for limit, counted in self.limits(account, static, verification))

    def limits(self, account: str, static: bool, verification: str
               ) -> list[tuple[int | None, dict]]:
        """The daily limits a payment counts against, each with the payments of the day it
        is counted with (``Ledger.paid_since``'s filters). Where the profile gives each
        payment the tier of its verification (business.json risk_tiers.by_verification, R-FLOW-15)
        that tier's limit, over that tier's payments; without it (profile 1.0) the account's
        tier's, over every payment, and for a static code tier D's besides, over static ones."""
        tiers = self.profile.business["risk_tiers"]["tiers"]
        tier = self.payment_tier(static, verification)
        if tier is not None and not self.defects.on("risk-tier-of-account"):
            every = tier == "D" and self.defects.on("static-limit-counts-every-payment")
            return [(tiers[tier]["daily_limit_fen"]["value"],
                     {"static_only": False} if every else {"static_only": False, "tier": tier})]
        found = [(tiers[self.ledger.account(account)["risk_tier"]]["daily_limit_fen"]["value"],
                  {"static_only": False})]
        if static and not self.defects.on("static-code-not-tier-d"):
            every = self.defects.on("static-limit-counts-every-payment")
            found.append((tiers["D"]["daily_limit_fen"]["value"], {"static_only": not every}))
        return found

    def payment_tier(self, static: bool, verification: str) -> str | None:
        """The risk tier of one payment by the verification it used (296号: none → C,
        password → B, certificate → A; a static code D whatever the verification), as the
        profile's business.json risk_tiers.by_verification says; None where the profile has
        no such rule (1.0: the tier is the account's)."""
        by_verification = self.profile.business["risk_tiers"].get("by_verification")
        if by_verification is None:
            return None
        if static and not self.defects.on("static-code-not-tier-d"):
            return str(self.profile.business["codes"]["static_code_risk_tier"]["value"])
        return str(by_verification["value"][verification])

    def told_type(self, account: str) -> str:
        """The payer's account type as the issuer tells the acquirer (payerAccountType)."""
        if self.defects.on("issuer-reports-every-account-debit"):
            return "debit"
        return self.ledger.account(account)["account_type"]

    def order_type_refusal(self, account: str, order_type: str | None, amount: int,
                           acquirer: str) -> tuple[str, str] | None:
        """Why a credit account may not pay an order of ``order_type`` (R-FLOW-20): never an
        order of type 11; in one of type 12 (a small merchant's collection) not past the day's
        or the month's cap, counted per payer at this acquirer (business.json
        small_merchant_credit). None: it may. A profile without the rule (1.0) has none."""
        rules = self.profile.business.get("small_merchant_credit")
        if rules is None or self.defects.on("order-type-ignored") or \
                self.ledger.account(account)["account_type"] != "credit":
            return None
        codes = rules["decline_codes"]["value"]
        if order_type == rules["no_credit_order_type"]["value"]:
            return codes["no_credit"], "this order may not be paid from a credit account"
        if order_type != rules["order_type"]["value"] or \
                self.defects.on("small-merchant-credit-uncapped"):
            return None
        for since, cap in ((self.day_began(), rules["daily_limit_fen"]["value"]),
                           (self.month_began(), rules["monthly_limit_fen"]["value"])):
            if self.ledger.paid_to_acquirer(account, acquirer, since, order_type) + amount > cap:
                return codes["over_cap"], "over the small-merchant credit cap at this acquirer"
        return None

    def month_began(self) -> float:
        """When the payer's month began: the 1st, midnight, Beijing time, by the clock."""
        if self.defects.on("small-merchant-cap-daily-only"):
            return self.day_began()
        now = datetime.fromtimestamp(clock.now_s(), BEIJING)
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()

    def past_limit(self, total: int, limit: int | None) -> bool:
        """A day's ``total`` goes past ``limit`` (None: none): reaching it exactly is allowed."""
        if limit is None:
            return False
        return total >= limit if self.defects.on("daily-limit-reached-declined") else total > limit

    def day_began(self) -> float:
        """When the payer's day began (R-FLOW-10): midnight, Beijing time, by the clock."""
        if self.defects.on("daily-limit-never-resets"):
            return 0.0
        if self.defects.on("daily-limit-rolling-24-hours"):
            return clock.now_s() - 86_400
        zone = UTC if self.defects.on("daily-limit-per-utc-day") else BEIJING
        # a day turning at 23:00, as the clearing day does
        turn = timedelta(hours=1 if self.defects.on("daily-limit-per-clearing-day") else 0)
        now = datetime.fromtimestamp(clock.now_s(), zone) + turn
        return (now.replace(hour=0, minute=0, second=0, microsecond=0) - turn).timestamp()

    def expired(self, code: dict) -> bool:
        """Whether a payment code is past its validity (R-CPM-03), by the clock."""
        if self.defects.on("payment-code-never-expires"):
            return False
        grace = self.profile.business["replay"]["window_s"]["value"] \
            if self.defects.on("payment-code-expiry-grace") else 0   # the skew messages get
        return code["expires_at"] + grace < clock.now_s()

    def code_key(self, scanned: str) -> tuple[str, str | None]:
        """What the issuer recorded the scanned code under, or why it cannot pay: an EMV CPM
        payload (R-CPM-06) is its (PAN, ATC) once its cryptogram verifies, else 74."""
        if self.emv_scheme is None or not emv_cpm.is_cpm(scanned):
            return scanned, None
        data, problem = cpm_cryptogram.verify(self.emv_scheme, scanned)
        if data is None or (problem and not self.defects.on("issuer-skips-arqc-check")):
            return scanned, "74"
        return emv_key(data.pan, data.atc), None

    def use_payment_code(self, value: str) -> tuple[dict | None, str | None]:
        """The payment code, now used, or why it cannot pay: 61 unknown, 72 used, 73 expired
        (an expired code is used up all the same); 74 an EMV CPM payload whose cryptogram
        does not verify."""
        value, refusal = self.code_key(value)
        if refusal:
            return None, refusal
        code = self.ledger.payment_code(value)
        if code is None:
            return None, "61"
        replay_allowed = self.defects.on("issuer-accepts-replayed-atc") \
            if value.startswith(EMV_KEY) else self.defects.on("accept-reused-payment-code")
        if code["used_at"] is not None and not replay_allowed:
            return None, "61" if self.defects.on("used-code-answers-unknown") else "72"
        self.ledger.mark_code_used(value)
        if self.expired(code):
            return None, "73"
        return code, None

    def on_purchase(self, message: dict) -> dict:
        """Decide a purchase, a decline remembered (:meth:`remembered`)."""
        return self.remembered(message, self.decide_purchase(message))

    def on_status_query(self, message: dict) -> dict:
        """The switch lost this issuer's answer to a purchase and asks what became of it:
        00, and the purchase's own outcome in origRespCode; 35 for a purchase never seen.
        The voucher names the purchase: an orderNo is the acquirer's, and only unique with
        its orderTime and acquirer."""
        body = message["body"]
        if self.defects.on("issuer-ignores-status-queries"):
            return self.refuse(message, "10", "this institution does not take that message")
        txn = self.ledger.one("SELECT * FROM transactions WHERE role = 'issuer' AND"
                              " kind = 'payment' AND ref = ?", body["origVoucherNum"])
        if txn is None and self.defects.on("issuer-query-by-order-only"):
            txn = self.ledger.one("SELECT * FROM transactions WHERE role = 'issuer' AND"
                                  " kind = 'payment' AND order_no = ?", body.get("origOrderNo"))
        code = txn["resp_code"] if txn else self.refused.get(body["origVoucherNum"])
        if code and self.defects.on("issuer-query-approves-declines"):
            code = "00"
        return self.tell_outcome(message, txn, code, "cpm.purchase")

    def terminal_unchecked(self, message: dict) -> bool:
        """Whether this variant lets a purchase's terminal information pass unchecked: it
        ignores it, or (QRC) it checks the termInfo sub-structure as the base64 text it
        arrived as, which is there and not empty, never the members it holds."""
        text = message.get("wire", {}).get("fields", {}).get("termInfo")
        return self.defects.on("issuer-ignores-terminal-info") or bool(
            text and self.defects.on("qrc-sub-structure-checked-undecoded"))

    def decide_purchase(self, message: dict) -> dict:
        body = message["body"]
        if (self.ledger.transaction(body["voucherNum"]) is not None
                and not self.defects.on("accept-duplicate-voucher")):
            return self.refuse(message, "12", "voucher number already booked: no second debit")
        if not self.terminal_unchecked(message) and \
                (wrong := terminal.fault(self.profile, body)) is not None:
            return self.refuse(message, terminal.refusal_code(self.profile), wrong)
        code, refusal = self.use_payment_code(body["code"])
        if refusal:
            return self.refuse(message, refusal)
        if decline := self.purchase_decline(code["account"], body):
            if self.defects.on("declined-code-reusable"):
                self.ledger.unuse_code(body["code"])    # only an approval uses it up
            if decline[0] not in self.profile.response_codes:   # another scheme's code
                return self.reply(message, {"respCode": decline[0], "respMsg": "余额不足"})
            return self.refuse(message, *decline)
        if self.defects.on("issuer-amount-via-float-yuan"):
            body = {**body, "amount": int(body["amount"] / 100 * 100)}  # 435 → 434
        with self.ledger.atomic() as db:
            self.ledger.debit(db, code["account"], body["amount"])
            self.book_approval(db, body, role="issuer", mode="CPM", account=code["account"],
                               counterparty=body["acquirer"], order_no=body["orderNo"],
                               code_type="dynamic", risk_tier=self.payment_tier(False, "none"),
                               order_type=body.get("orderType", "10"))
        amount = f"{Decimal(body['amount']) / 100:.2f}" \
            if self.defects.on("purchase-amount-as-text") else body["amount"]
        extra = {"promotion": "none"} if self.defects.on("answer-with-unknown-field") else {}
        extra.update(self.profile.carried("cpm.purchase", "response.to-switch",
                                          {"payerAccountType": self.told_type(code["account"])}))
        return self.reply(message, {**self.profile.response("00"), "voucherNum": body["voucherNum"],
                                    "amount": amount, "currency": body["currency"], **extra})

    def book_declined(self, body: dict, account: str, resp_code: str = "64") -> None:
        """A declined purchase kept under the switch's voucher, as the defects
        refund-of-declined-accepted (its refunds then find it, whatever its status) and
        declined-attempt-counts-toward-limit (the day's total then counts it) do."""
        with self.ledger.atomic() as db:
            self.ledger.record(db, ref=body["voucherNum"], role="issuer", mode="CPM",
                               status="declined", resp_code=resp_code, amount=body["amount"],
                               currency=body["currency"], account=account,
                               counterparty=body["acquirer"], order_no=body["orderNo"],
                               voucher_num=body["voucherNum"], code_type="dynamic",
                               risk_tier=self.payment_tier(False, "none"))

    def purchase_decline(self, account: str, body: dict) -> tuple[str, ...] | None:
        """Why the issuer declines a purchase of a valid payment code, as (code, detail):
        64 for a balance short of the amount (money set aside for payments in flight is
        not there), 33 past the daily limit, counted over every acquirer; None: approve."""
        amount, pin_free = body["amount"], self.profile.business["password"]
        if self.ledger.available(account) < amount:
            if self.defects.on("refund-of-declined-accepted"):
                self.book_declined(body, account)
            return ("51" if self.defects.on("insufficient-funds-51") else "64",)
        if self.over_daily_limit(account, amount, static=False, acquirer=body["acquirer"]):
            if self.defects.on("declined-attempt-counts-toward-limit"):
                self.book_declined(body, account, "33")
            return "33", "over the payer's daily limit"
        if refusal := self.order_type_refusal(account, body.get("orderType"), amount,
                                              body["acquirer"]):
            return refusal
        if self.defects.on("pin-free-limit-inclusive") and \
                amount >= pin_free["pin_free_limit_fen"]["value"]:
            return "65", "a purchase at the pin-free limit needs the password"
        return None

    def on_password_request(self, message: dict) -> dict:
        """The switch holds a purchase above the pin-free limit until the payer types the
        password (R-FLOW-09): acknowledge, and wait for the payer's decision."""
        body = message["body"]
        code, refusal = self.use_payment_code(body["code"])
        if refusal:
            return self.refuse(message, refusal)
        if self.over_daily_limit(code["account"], body["amount"], static=False,
                                 acquirer=body["acquirer"], verification="password") \
                and not self.defects.on("daily-limit-skipped-at-password-step"):
            return self.refuse(message, "33", "over the payer's daily limit")
        # the code as scanned: what the password result names (an EMV CPM payload's record
        # is under its PAN and ATC)
        self.ledger.add_step_up(body["voucherNum"], {**code, "code": body["code"]}, body)
        if self.defects.on("debit-before-password"):
            with self.ledger.atomic() as db:
                self.ledger.debit(db, code["account"], body["amount"])
        if self.defects.on("step-up-auto-confirm"):
            self.spawn(self.decide_password(code["account"], "confirm",
                                            message["header"].get("testCaseId")))
        return self.reply(message, {**self.profile.response("00"),
                                    "voucherNum": body["voucherNum"]})

    async def decide_password(self, account: str, decision: str,
                              test_case: str | None) -> dict:
        """The payer confirms with the password (or types a wrong one, or cancels) the
        oldest purchase waiting for it; the switch is told, and an acknowledged
        confirmation debits the payer. A confirmation sets the money aside before the switch
        is told, so that two confirmations cannot spend it twice."""
        with self.ledger.atomic() as db:
            waiting = self.ledger.waiting_step_up(account)
            if waiting is None:
                raise ControlError(404, f"no purchase is waiting for the password of {account}")
            voucher, result = waiting["voucher_num"], PASSWORD_RESULTS[decision]
            if decision != "confirm" and self.defects.on("password-cancel-is-wrong-password"):
                result = PASSWORD_RESULTS["wrong-password"]
            if result == "00" and not self.ledger.hold(db, voucher, account, waiting["amount"]) \
                    and not self.defects.on("password-confirm-skips-balance"):
                result = "64"
            db.execute("UPDATE step_ups SET answered = 1 WHERE voucher_num = ?", (voucher,))
            if result != "00" and self.defects.on("cancelled-code-reusable"):
                self.ledger.unuse_code(waiting["code"])     # as if never presented
            # Recorded before the switch is told: a crash leaves it unknown, not unseen.
            self.ledger.record(
                db, ref=voucher, role="issuer", mode="CPM", status="unknown",
                resp_code=result, amount=waiting["amount"], currency=waiting["currency"],
                account=account, counterparty=waiting["acquirer"],
                order_no=waiting["order_no"], voucher_num=voucher,
                settle_date=waiting["settle_date"], code_type="dynamic",
                risk_tier=self.payment_tier(False, "password"))
        return await self.report_password(voucher, waiting["code"], result, test_case)

    async def report_password(self, voucher: str, code: str, result: str,
                              test_case: str | None) -> dict:
        """Tell the switch the payer's decision on the purchase ``voucher`` (recorded, its
        money set aside) and book the answer; with none, the purchase stays unknown and the
        decision is told again in the background (:meth:`report_password_again`)."""
        answer = await self.to_switch("cpm.additional_processing_result.request", {
            "code": code, "voucherNum": voucher, "resultCode": result}, test_case)
        if isinstance(answer, str):
            self.spawn(self.report_password_again(voucher, code, result, test_case))
            return self.ledger.transaction(voucher)
        return self.book_password(voucher, result, answer)

    async def report_password_again(self, voucher: str, code: str, result: str,
                                    test_case: str | None) -> None:
        """Tell the switch the same decision again, spaced as status queries are, until it
        answers (it acknowledges a repeat alike); none answering, the money stays set aside
        for the reconciliation file to decide."""
        schedule = self.profile.schedules["status_query"]
        for delay in schedule["delays_s"][:schedule["max_attempts"]]:
            await asyncio.sleep(delay * self.scale)
            answer = await self.to_switch("cpm.additional_processing_result.request", {
                "code": code, "voucherNum": voucher, "resultCode": result}, test_case)
            if not isinstance(answer, str):
                self.book_password(voucher, result, answer)
                return

    def book_password(self, voucher: str, result: str, answer: dict) -> dict:
        """The switch answered the payer's decision: an acknowledged confirmation debits the
        money set aside; anything else releases it (the purchase is declined)."""
        acknowledged = answer["body"]["respCode"] == "00"
        status = "approved" if result == "00" and acknowledged else "declined"
        with self.ledger.atomic() as db:
            txn = self.ledger.one("SELECT * FROM transactions WHERE ref = ?", voucher)
            if txn["status"] != "unknown":
                return txn
            if status == "approved" and not self.defects.on("debit-before-password"):
                self.ledger.take(db, voucher, txn["amount"])
            self.ledger.release(db, voucher)
            return self.ledger.settle(db, voucher, status=status)

    def on_reversal(self, message: dict) -> dict:
        """Undo a purchase whose acquirer never learnt its outcome: give an approved one's
        money back, once; a purchase never seen is answered 00 as well (it had no effect),
        and the same reversal again gets the same answer and moves nothing."""
        body = message["body"]
        done = self.ledger.one("SELECT 1 FROM transactions WHERE kind = 'reversal' AND"
                               " orig_voucher = ?", body["origVoucherNum"])
        original = self.ledger.approved_payment(body["origVoucherNum"], "issuer")
        if original is None and self.defects.on("reversal-of-unknown-refused"):
            return self.refuse(message, "35", "no purchase with that voucher to reverse")
        if not done or self.defects.on("reversal-not-idempotent"):
            with self.ledger.atomic() as db:
                if original is not None and not self.defects.on("reversal-keeps-the-money"):
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
        if original is None and self.defects.on("refund-of-declined-accepted"):
            original = self.ledger.transaction(body["origVoucherNum"])   # any status
        if original is not None and original["mode"] != mode.upper():
            original = None         # a purchase is not refunded as an MPM payment, nor back
        if original is None:
            return self.refuse(message, "35", "no approved purchase with that voucher")
        if self.ledger.one("SELECT 1 FROM transactions WHERE role = 'issuer' AND kind = ? AND"
                           " order_no = ? AND counterparty = ?", kind, body["orderNo"],
                           body["acquirer"]) and not self.defects.on("refund-retry-paid-twice"):
            return self.refuse(message, "12", f"{kind} already made under this orderNo")
        if refusal := self.undo_refusal(kind, body, original):
            return self.refuse(message, *refusal)
        credit = original["amount"] if kind == "void" and self.defects.on(
            "partial-void-as-full") else body["amount"]
        with self.ledger.atomic() as db:
            self.ledger.credit_account(db, original["account"], credit)
            if self.defects.on("refund-not-booked"):
                return self.reply(message, {**self.profile.response("00"),
                                            "voucherNum": body["voucherNum"],
                                            "amount": body["amount"],
                                            "currency": body["currency"]})
            self.book_approval(db, body, role="issuer", mode=mode.upper(), kind=kind,
                               account=original["account"], counterparty=body["acquirer"],
                               order_no=body["orderNo"], orig_voucher=body["origVoucherNum"])
        return self.reply(message, {**self.profile.response("00"), "voucherNum": body["voucherNum"],
                                    "amount": body["amount"], "currency": body["currency"]})

    def void_too_late(self, body: dict, original: dict) -> bool:
        """A void is on the purchase's clearing day when the switch gives both one settlement
        date (R-FLOW-13: the day turns at 23:00 Beijing time)."""
        if self.defects.on("void-after-cutoff"):
            return False
        zone = BEIJING if self.defects.on("void-cutoff-at-midnight") else \
            UTC if self.defects.on("void-cutoff-by-utc-date") else None
        if zone is not None:                    # calendar days, not clearing days
            return datetime.fromtimestamp(original["created_at"], zone).date() != \
                datetime.fromtimestamp(clock.now_s(), zone).date()
        return body["settleDate"] != original["settle_date"]

    def refund_too_late(self, original: dict) -> bool:
        """Whether the time this issuer accepts refunds in (from the original's booking, by
        the clock) is over (R-FLOW-07): where the profile's window is a minimum
        (business.json refund.window_is_minimum), the reference's own longer bound
        (refund.longest_days); else (profile 1.0 lacks the key) the window itself."""
        rules = self.profile.business["refund"]
        minimum = rules.get("window_is_minimum", {}).get("value", False)
        days = rules["longest_days" if minimum else "window_days"]["value"]
        unit_s = 3600 if self.defects.on("refund-window-in-hours") else 86_400
        return clock.now_s() > original["created_at"] + days * unit_s

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
        if voided and not self.defects.on("void-twice") and not (
                kind == "refund" and self.defects.on("refund-after-void")):
            return ("35" if self.defects.on("voided-answers-unknown") else "45"), \
                "the purchase was voided"
        if kind == "void":
            return self.void_refusal(body, original, refunded)
        return self.refund_refusal(body, original, refunded)

    def void_refusal(self, body: dict, original: dict, refunded: int) -> tuple[str, str] | None:
        """A void is for the full amount, on the purchase's clearing day, of a purchase
        nothing was refunded of (R-FLOW-13)."""
        if refunded and not self.defects.on("void-after-refund"):
            return "45", "the purchase was already refunded in part"
        if body["amount"] != original["amount"] and not self.defects.on("partial-void-as-full"):
            return "36", "a void is for the full amount of the purchase"
        if self.void_too_late(body, original):
            return "39", "a void must fall on the purchase's clearing day"
        return None

    def refund_refusal(self, body: dict, original: dict, refunded: int) -> tuple[str, str] | None:
        """Refunds together stay within the original amount and the profile's count
        (business.json refund.max_count, R-FLOW-07)."""
        if self.refund_too_late(original):
            return "39", "the refund window of the purchase is over"
        total, cap = refunded + body["amount"], original["amount"]
        if self.defects.on("refund-cap-per-refund"):
            total = body["amount"]      # each refund checked alone against what was paid
        if self.defects.on("refund-remainder-refused"):
            cap -= 1                # the exact remainder counted as one fen over
        if self.defects.on("refund-cap-one-fen-over"):
            cap += 1
        if total > cap and not self.defects.on("refund-beyond-original"):
            return "33", f"refunds would total {total} fen, more than the {cap} fen paid"
        count = self.ledger.one("SELECT COUNT(*) AS n FROM transactions WHERE orig_voucher = ?"
                                " AND role = 'issuer' AND kind = 'refund' AND status = 'approved'",
                                original["voucher_num"])["n"]
        if count >= self.profile.business["refund"]["max_count"]["value"] and \
                not self.defects.on("refund-count-unlimited"):
            return "33", f"the purchase was refunded {count} times already, the most allowed"
        return None
