"""The switch's clearing book and the daily reconciliation file it writes for each participant.

Every approved money-moving transaction is cleared once, as the record the file will carry
(messages/reconciliation.schema.json); a participant's file for a settlement date lists the
records it took part in, with its role, the totals per message type and its net position.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from mocks.defects import Defects
from qrinterop.protocol import clock
from qrinterop.protocol.envelope import beijing_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS cleared (                -- every approved money-moving transaction
    voucher_num TEXT PRIMARY KEY, msg_type TEXT NOT NULL, issuer TEXT NOT NULL,
    acquirer TEXT NOT NULL, amount INTEGER NOT NULL, settle_date TEXT NOT NULL,
    record TEXT NOT NULL,                           -- JSON: the reconciliation record
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cleared_by_day ON cleared (settle_date);
"""
#: Request fields a reconciliation record repeats when the transaction had them.
COPIED = ("orderNo", "orderTime", "txnNo", "code", "termId", "origVoucherNum", "origOrderNo",
          "origOrderTime", "origTxnNo")
#: Which way money moves for the acquirer (the issuer's sign is the opposite).
ACQUIRER_SIGN = {"cpm.purchase": 1, "mpm.payment": 1, "cpm.reversal": -1, "cpm.void": -1,
                 "cpm.refund": -1, "mpm.refund": -1, "mpm.void": -1}


class ClearingBook:
    def __init__(self, db: sqlite3.Connection, switch_id: str, currency: str,
                 defects: Defects | None = None) -> None:
        self.db, self.switch_id, self.currency = db, switch_id, currency
        self.defects = defects or Defects()
        db.executescript(SCHEMA)

    def clear(self, msg_type: str, request: dict, voucher: str, settle_date: str,
              settle_key: str, acquirer: str, issuer: str) -> None:
        """Clear one approved transaction (once: a repeated clearing changes nothing)."""
        record = {"msgType": msg_type.removesuffix(".request"), "voucherNum": voucher,
                  "settleDate": settle_date, "settleKey": settle_key,
                  "amount": request["amount"], "currency": request["currency"],
                  "acquirer": acquirer, "issuer": issuer,
                  **{k: request[k] for k in COPIED if request.get(k) is not None}}
        merchant = request.get("merId") or (request.get("merchant") or {}).get("id")
        if merchant:
            record["merId"] = merchant
        keys = [voucher]
        if self.defects.on("switch-clears-voids-under-original-voucher") \
                and record["msgType"].endswith(".void"):
            keys = [request.get("origVoucherNum") or voucher]   # taken: the void is lost
        if self.defects.on("switch-clears-refunds-twice") \
                and record["msgType"].endswith(".refund"):
            keys.append(f"{voucher}/settled")       # once on the answer, once more on settling
        for key in keys:
            self.db.execute("INSERT OR IGNORE INTO cleared VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (key, record["msgType"], issuer, acquirer, request["amount"],
                             settle_date, json.dumps(record, ensure_ascii=False), clock.now_s()))

    def payment(self, voucher: object, acquirer: str, msg_type: str) -> dict | None:
        """The reconciliation record of one of ``acquirer``'s cleared payments of
        ``msg_type`` (``cpm.purchase`` or ``mpm.payment``): what its refunds refer to."""
        row = self.db.execute("SELECT record FROM cleared WHERE voucher_num = ? AND acquirer = ?"
                              " AND msg_type = ?", (voucher, acquirer, msg_type)).fetchone()
        return json.loads(row[0]) if row else None

    def moves_money(self, record: dict) -> bool:
        """A reversal gives back what its purchase moved: one of a purchase never cleared
        (lost on its way, or its answer lost with a crash of the switch) moves nothing,
        whatever the issuer had done, since the issuer undoes that itself."""
        return record["msgType"] != "cpm.reversal" or self.payment(
            record.get("origVoucherNum"), record["acquirer"], "cpm.purchase") is not None

    def _sign(self, msg_type: str) -> int:
        """Which way ``msg_type`` moves money for the acquirer."""
        if self.defects.on("switch-clears-voids-as-purchases") and msg_type.endswith(".void"):
            return 1
        if self.defects.on("switch-nets-refunds-as-payments") and msg_type.endswith(".refund"):
            return 1
        return ACQUIRER_SIGN[msg_type]

    def _fen(self, amount: int) -> int:
        """An amount as the file sums it: fen (defect switch-sums-file-in-yuan: through a
        float number of yuan, truncated back to fen)."""
        if self.defects.on("switch-sums-file-in-yuan"):
            return int(amount / 100 * 100)
        return amount

    def statement(self, participant: str, settle_date: str) -> dict:
        """The reconciliation file of ``participant`` for the clearing day ``settle_date``."""
        rows = self.db.execute("SELECT record, acquirer FROM cleared WHERE settle_date = ?"
                               " AND ? IN (acquirer, issuer) ORDER BY created_at",
                               (settle_date, participant))
        records, totals, net = [], defaultdict(lambda: {"count": 0, "amount": 0}), 0
        for text, acquirer in rows:
            record = json.loads(text)
            if self.defects.on("switch-omits-refunds-from-file") \
                    and record["msgType"].endswith(".refund"):
                continue
            role = "acquirer" if acquirer == participant else "issuer"
            records.append({**record, "role": role})
            amount = self._fen(record["amount"])
            totals[record["msgType"]]["count"] += 1
            totals[record["msgType"]]["amount"] += amount
            sign = self._sign(record["msgType"]) * (1 if role == "acquirer" else -1)
            if self.moves_money(record):
                net += sign * amount
        now = beijing_now()
        header = {"version": "1.0", "participant": participant, "switch": self.switch_id,
                  "clearingDate": f"{now:%Y}-{settle_date[:2]}-{settle_date[2:]}",
                  "settleDate": settle_date, "generatedAt": now.isoformat(timespec="seconds"),
                  "currency": self.currency, "recordCount": len(records),
                  "totals": dict(totals), "netAmount": net}
        return {"header": header, "records": records}
