"""Message bodies the harness sends itself, when it plays the switch toward an SUT
institution, or a participant toward an SUT switch.

They are complete and valid by construction, so that a scenario which corrupts one thing
(a signature, an amount) tests exactly that thing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from qrinterop.protocol.envelope import beijing_now, new_message_id


def clearing_now() -> dict:
    """A voucher number and the settlement date of the clearing day under way (it runs from
    23:00 the day before to 23:00, cn-spec.md §2.5), as the switch gives them out."""
    now = beijing_now()
    return {"voucherNum": f"{now:%Y%m%d}{now:%H%M%S}{now.microsecond:06d}",
            "settleDate": f"{now + timedelta(hours=1):%m%d}"}


def purchase_to_switch(code: str, amount: int, acquirer: str, currency: str = "156") -> dict:
    """A CPM purchase as an acquirer sends it to the switch."""
    now = beijing_now()
    return {
        "code": code, "amount": amount, "currency": currency,
        "merchant": {"id": f"{acquirer[:7]}00000000", "name": "Harness Test Shop",
                     "mcc": "5411", "city": "BEIJING"},
        "termId": "HARNESS1", "orderNo": f"H{new_message_id()[:20]}",
        "orderTime": f"{now:%Y%m%d%H%M%S}",
    }


def refund_to_switch(purchase: dict, amount: int, currency: str = "156") -> dict:
    """A CPM refund of ``purchase`` (as the acquirer's books show it) as the acquirer sends it
    to the switch."""
    now = beijing_now()
    return {"orderNo": f"R{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
            "origVoucherNum": purchase["voucherNum"], "amount": amount, "currency": currency,
            "merId": purchase["merchantId"]}


def payment_code_application(account_ref: str, currency: str = "156") -> dict:
    """A payment-code application (cpm.code_apply) as an issuer sends it to the switch."""
    now = beijing_now()
    return {"orderNo": f"H{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
            "payer": {"accountRef": account_ref}, "accountType": "debit",
            "riskInfo": {"deviceId": "HARNESS-DEVICE-1", "deviceType": "1",
                         "sourceIp": "127.0.0.1"},
            "currency": currency, "validitySeconds": 60}


def collection_code_application(applicant: str, merchant: str, currency: str = "156") -> dict:
    """A static collection-code application (mpm.code_apply) as an acquirer sends it to the
    switch, for a merchant of ``applicant``'s."""
    now = beijing_now()
    return {"orderNo": f"C{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
            "merchant": {"id": f"{applicant[:7]}00000001", "name": merchant, "mcc": "5411",
                         "city": "BEIJING"},
            "codeType": "static", "codeOwner": "merchant", "currency": currency}


def purchase_from_switch(code: str, amount: int, acquirer: str, currency: str = "156") -> dict:
    """A CPM purchase as the switch forwards it to the issuer."""
    return {**purchase_to_switch(code, amount, acquirer, currency), "acquirer": acquirer,
            **clearing_now()}


def notice_to_acquirer(purchase: dict, code: str, amount: int, acquirer: str, issuer: str,
                       switch: str) -> dict:
    """A result notice saying the acquirer's ``purchase`` of ``code`` (as its control API
    shows the purchase) was approved for ``amount``."""
    clearing, now = clearing_now(), beijing_now()
    return {"origMsgType": "cpm.purchase", "origRespCode": "00", "code": code,
            "orderNo": purchase["orderNo"], "orderTime": purchase["orderTime"],
            "amount": amount, "currency": purchase["currency"], "acquirer": acquirer,
            "issuer": issuer, **clearing,
            "settleKey": f"{acquirer:<11}{switch:<11}{clearing['voucherNum'][-6:]}"
                         f"{now:%m%d%H%M%S}"}


def reversal_from_switch(purchase: dict) -> dict:
    """A reversal of ``purchase`` (as :func:`purchase_from_switch` made it), as the switch
    relays one: naming the purchase by its order and voucher, under a voucher of its own (a
    copy relayed again gets another, as the switch's clearing gives one per relay)."""
    return {"origOrderNo": purchase["orderNo"], "origOrderTime": purchase["orderTime"],
            "amount": purchase["amount"], "currency": purchase["currency"],
            "merId": purchase["merchant"]["id"], "termId": purchase["termId"],
            "origVoucherNum": purchase["voucherNum"], "acquirer": purchase["acquirer"],
            **clearing_now()}


def undo_from_switch(purchase: dict, amount: int) -> dict:
    """A refund or void of ``amount`` fen of ``purchase``, as the switch relays one: under an
    order number and a voucher of its own, naming the purchase by its voucher."""
    now = beijing_now()
    return {"orderNo": f"H{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
            "origVoucherNum": purchase["voucherNum"], "amount": amount,
            "currency": purchase["currency"], "merId": purchase["merchant"]["id"],
            "termId": purchase["termId"], "acquirer": purchase["acquirer"], **clearing_now()}


def new_txn_no() -> str:
    """An MPM order number as the switch gives them out with an inquiry (22 digits)."""
    now = beijing_now()
    return f"{now:%Y%m%d%H%M%S}{now.microsecond:06d}{secrets.randbelow(100):02d}"


def inquiry_from_switch(code: str, txn_no: str, issuer: str) -> dict:
    """An MPM code inquiry as the switch forwards it to the acquirer owning ``code``."""
    return {"code": code, "txnNo": txn_no, "issuer": issuer}


def mpm_payment_from_switch(txn_no: str, amount: int, currency: str, payer: dict,
                            issuer: str) -> dict:
    """An MPM payment of the order ``txn_no`` as the switch forwards it to the acquirer,
    ``payer`` being the payer's details already encrypted (for the acquirer, or not)."""
    now = beijing_now()
    # The payer's account type is 1.1's (R-MSG-03): a step cuts the body to the fields of the
    # profile in use (Profile.carried).
    return {"txnNo": txn_no, "amount": amount, "currency": currency, "payer": payer,
            "orderNo": f"H{new_message_id()[:20]}", "orderTime": f"{now:%Y%m%d%H%M%S}",
            "issuer": issuer, "payerAccountType": "debit", **clearing_now()}
