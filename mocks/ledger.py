"""The reference institution's books, in SQLite, so a restart loses nothing.

Each money movement and the transaction record that explains it are written in one SQLite
transaction: the ledger can never show a debit without its transaction, or the reverse.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from qrinterop.protocol import clock

#: The most a payer's balance may hold, in fen, unless the contract says otherwise: far below
#: SQLite's 64-bit INTEGER, so that no sum of bounded amounts overflows into a REAL.
MAX_BALANCE = 999_999_999_999_999

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    balance INTEGER NOT NULL CHECK (balance >= 0 AND balance <= {max_balance}),
    risk_tier TEXT NOT NULL DEFAULT 'C',           -- 296号 tiers A-D
    created_at REAL NOT NULL,
    account_type TEXT NOT NULL DEFAULT 'debit'     -- debit | credit (QRC cardAttr 01 | 02)
);
CREATE TABLE IF NOT EXISTS holds (   -- a payer's money set aside for a payment in flight
    ref TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(id),
    amount INTEGER NOT NULL CHECK (amount > 0), created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, mcc TEXT NOT NULL, city TEXT NOT NULL,
    local_name TEXT, local_city TEXT,                 -- in Chinese, for template 64
    balance INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL,
    order_type TEXT NOT NULL DEFAULT '10'       -- QRC orderType its orders carry (R-FLOW-20)
);
CREATE TABLE IF NOT EXISTS dynamic_codes (          -- one order each: single use (R-MPM-14)
    reference TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(id),
    amount INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS payment_codes (
    code TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(id),
    created_at REAL NOT NULL, expires_at REAL NOT NULL, used_at REAL
);
CREATE TABLE IF NOT EXISTS emv_cards (      -- issuer side: an account's token PAN and its ATC
    account TEXT PRIMARY KEY REFERENCES accounts(id), pan TEXT NOT NULL UNIQUE,
    atc INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mpm_orders (         -- acquirer side: one per code inquiry
    txn_no TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(id),
    amount INTEGER, currency TEXT NOT NULL, issuer TEXT NOT NULL, paid INTEGER NOT NULL DEFAULT 0,
    reference TEXT,                                -- the dynamic code's, if it was one
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    ref TEXT PRIMARY KEY,
    role TEXT NOT NULL,            -- issuer | acquirer
    mode TEXT NOT NULL,            -- MPM | CPM
    status TEXT NOT NULL,          -- approved | declined | unknown
    resp_code TEXT,
    amount INTEGER,                -- null: refused before the amount was known
    currency TEXT NOT NULL,
    account TEXT, merchant_id TEXT, counterparty TEXT,
    order_no TEXT, order_time TEXT,         -- the requester's order: how a query names it
    txn_no TEXT, voucher_num TEXT, settle_date TEXT, settle_key TEXT,
    created_at REAL NOT NULL,
    kind TEXT NOT NULL DEFAULT 'payment',   -- payment | refund
    orig_voucher TEXT,                      -- a refund's original transaction
    code_type TEXT,                         -- static | dynamic: the code a payer paid with
    risk_tier TEXT,                         -- A-D: the tier of the verification it used (296号)
    order_type TEXT                         -- QRC orderType 10 | 11 | 12 (R-FLOW-20)
);
CREATE TABLE IF NOT EXISTS step_ups (      -- issuer side: purchases waiting for the password
    voucher_num TEXT PRIMARY KEY, code TEXT NOT NULL, account TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, acquirer TEXT NOT NULL,
    order_no TEXT, settle_date TEXT NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
);
-- a transaction is found by the switch's voucher, its order, its payer (daily limits) or day
CREATE INDEX IF NOT EXISTS transactions_by_voucher ON transactions (voucher_num);
CREATE INDEX IF NOT EXISTS transactions_by_order ON transactions (order_no);
CREATE INDEX IF NOT EXISTS transactions_by_payer ON transactions (account, created_at);
CREATE INDEX IF NOT EXISTS transactions_by_day ON transactions (settle_date);
CREATE INDEX IF NOT EXISTS step_ups_by_payer ON step_ups (account, answered);
CREATE INDEX IF NOT EXISTS holds_by_payer ON holds (account);
"""

TRANSACTION_FIELDS = ("ref", "role", "mode", "status", "resp_code", "amount", "currency",
                      "account", "merchant_id", "counterparty", "order_no", "order_time", "txn_no",
                      "voucher_num", "settle_date", "settle_key", "created_at", "kind",
                      "orig_voucher", "code_type", "risk_tier",
                      "order_type")


def open_database(path: str) -> sqlite3.Connection:
    """Autocommit connection in WAL mode: each commit survives a crash of the process without
    waiting for the disk on every statement (synchronous=NORMAL)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class Ledger:
    """Accounts, merchants, payment codes and transactions of one institution."""

    def __init__(self, path: str, max_balance: int = MAX_BALANCE) -> None:
        self.db = open_database(path)
        self.db.row_factory = sqlite3.Row
        self.max_balance = int(max_balance)
        self.db.executescript(SCHEMA.format(max_balance=self.max_balance))

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def one(self, sql: str, *args: object) -> dict | None:
        row = self.db.execute(sql, args).fetchone()
        return dict(row) if row else None

    # -- accounts and merchants -----------------------------------------------------------------
    def bounded(self, balance: int) -> int:
        """``balance``, if an account may hold it; ValueError says why not (SQLite would
        overflow past 2**63, or the CHECK refuse it, as an internal error)."""
        if not 0 <= balance <= self.max_balance:
            raise ValueError(f"balance must be between 0 and {self.max_balance} fen,"
                             f" got {balance}")
        return balance

    def open_account(self, account: str, balance: int, risk_tier: str = "C",
                     account_type: str = "debit") -> None:
        self.bounded(balance)
        self.db.execute("INSERT INTO accounts (id, balance, risk_tier, created_at, account_type)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (account, balance, risk_tier, clock.now_s(), account_type))

    def account(self, account: str) -> dict | None:
        return self.one("SELECT id, balance, risk_tier, account_type FROM accounts WHERE id = ?",
                        account)

    def update_account(self, account: str, balance: int | None, risk_tier: str | None,
                       account_type: str | None = None) -> None:
        if balance is not None:
            self.bounded(balance)
        self.db.execute("UPDATE accounts SET balance = COALESCE(?, balance),"
                        " risk_tier = COALESCE(?, risk_tier),"
                        " account_type = COALESCE(?, account_type) WHERE id = ?",
                        (balance, risk_tier, account_type, account))

    def balance(self, account: str) -> int | None:
        row = self.account(account)
        return row["balance"] if row else None

    def available(self, account: str) -> int | None:
        """The balance less what payments still in flight have set aside."""
        row = self.one("SELECT balance - (SELECT COALESCE(SUM(amount), 0) FROM holds"
                       " WHERE holds.account = accounts.id) AS available"
                       " FROM accounts WHERE id = ?", account)
        return row["available"] if row else None

    # -- holds: a payment's money set aside before the switch is asked ---------------------------
    def hold(self, db: sqlite3.Connection, ref: str, account: str, amount: int) -> bool:
        """Set ``amount`` aside for the payment ``ref`` inside an open :meth:`atomic` block,
        if the payer has it available; concurrent payments cannot both spend the same money,
        since the check and the hold are one SQLite transaction."""
        if (self.available(account) or 0) < amount:
            return False
        db.execute("INSERT INTO holds VALUES (?, ?, ?, ?)", (ref, account, amount, clock.now_s()))
        return True

    def release(self, db: sqlite3.Connection, ref: str) -> None:
        """The payment ``ref`` moved no money: what it set aside is available again."""
        db.execute("DELETE FROM holds WHERE ref = ?", (ref,))

    def take(self, db: sqlite3.Connection, ref: str, amount: int) -> None:
        """The payment ``ref`` is approved: debit ``amount`` and drop its hold."""
        row = db.execute("SELECT account FROM holds WHERE ref = ?", (ref,)).fetchone()
        if row is not None:
            self.debit(db, row[0], amount)
            self.release(db, ref)

    def holding(self) -> list[dict]:
        return [dict(row) for row in self.db.execute("SELECT * FROM holds")]

    def add_merchant(self, merchant_id: str, name: str, mcc: str, city: str,
                     local_name: str | None = None, local_city: str | None = None,
                     order_type: str = "10") -> None:
        self.db.execute("INSERT INTO merchants (id, name, mcc, city, local_name, local_city,"
                        " created_at, order_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (merchant_id, name, mcc, city, local_name, local_city, clock.now_s(),
                         order_type))

    def merchant(self, merchant_id: str) -> dict | None:
        return self.one("SELECT * FROM merchants WHERE id = ?", merchant_id)

    def add_dynamic_code(self, reference: str, merchant_id: str, amount: int) -> None:
        self.db.execute("INSERT INTO dynamic_codes (reference, merchant_id, amount, created_at)"
                        " VALUES (?, ?, ?, ?)", (reference, merchant_id, amount, clock.now_s()))

    def dynamic_code(self, reference: str) -> dict | None:
        return self.one("SELECT * FROM dynamic_codes WHERE reference = ?", reference)

    # -- payment codes --------------------------------------------------------------------------
    def issue_code(self, code: str, account: str, validity_s: float) -> float:
        now = clock.now_s()
        self.db.execute("INSERT INTO payment_codes VALUES (?, ?, ?, ?, NULL)",
                        (code, account, now, now + validity_s))
        return now + validity_s

    def payment_code(self, code: str) -> dict | None:
        return self.one("SELECT * FROM payment_codes WHERE code = ?", code)

    def mark_code_used(self, code: str) -> None:
        self.db.execute("UPDATE payment_codes SET used_at = ? WHERE code = ? AND used_at IS NULL",
                        (clock.now_s(), code))

    def next_atc(self, account: str, new_pan: str) -> tuple[str, int]:
        """The account's token PAN (``new_pan`` the first time) and its next ATC, counted up
        in the same SQLite transaction, so that no two payloads share one."""
        with self.atomic() as db:
            db.execute("INSERT OR IGNORE INTO emv_cards (account, pan) VALUES (?, ?)",
                       (account, new_pan))
            db.execute("UPDATE emv_cards SET atc = atc + 1 WHERE account = ?", (account,))
            card = self.one("SELECT pan, atc FROM emv_cards WHERE account = ?", account)
        return card["pan"], card["atc"]

    def unuse_code(self, code: str) -> None:
        """The payment code may pay again (wrong: for a defective variant)."""
        self.db.execute("UPDATE payment_codes SET used_at = NULL WHERE code = ?", (code,))

    # -- MPM orders (acquirer side) -------------------------------------------------------------
    def open_order(self, txn_no: str, merchant_id: str, amount: int | None, currency: str,
                   issuer: str, reference: str | None) -> None:
        self.db.execute("INSERT INTO mpm_orders (txn_no, merchant_id, amount, currency, issuer,"
                        " reference, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (txn_no, merchant_id, amount, currency, issuer, reference, clock.now_s()))

    def order(self, txn_no: str) -> dict | None:
        return self.one("SELECT * FROM mpm_orders WHERE txn_no = ?", txn_no)

    # -- money movements ------------------------------------------------------------------------
    def record(self, db: sqlite3.Connection, **txn: object) -> dict:
        """Insert a transaction record inside an open :meth:`atomic` block."""
        row = {field: txn.get(field) for field in TRANSACTION_FIELDS}
        row["created_at"] = row["created_at"] or clock.now_s()
        row["kind"] = row["kind"] or "payment"
        db.execute(f"INSERT INTO transactions VALUES ({', '.join('?' * len(row))})",
                   tuple(row.values()))
        return row

    def debit(self, db: sqlite3.Connection, account: str, amount: int) -> None:
        db.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, account))

    def credit_account(self, db: sqlite3.Connection, account: str, amount: int) -> None:
        db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, account))

    def refunded(self, orig_voucher: str, role: str) -> int:
        """What has been refunded of a transaction so far, in fen."""
        row = self.one("SELECT COALESCE(SUM(amount), 0) AS total FROM transactions WHERE"
                       " orig_voucher = ? AND role = ? AND kind = 'refund' AND status = 'approved'",
                       orig_voucher, role)
        return row["total"]

    def paid_since(self, account: str, since: float, static_only: bool,
                   through: str | None = None, declined: bool = False,
                   tier: str | None = None) -> int:
        """What the payer paid since ``since`` (a timestamp), in fen: every approved
        payment, or only those made with static codes, or only those of risk tier ``tier``,
        and those still in flight; ``through`` one acquirer only, ``declined`` declined
        attempts too (both wrong: for the defective variants)."""
        # A payment in flight (unknown) counts: parallel payments cannot pass the limit together.
        row = self.one("SELECT COALESCE(SUM(amount), 0) AS total FROM transactions WHERE"
                       " account = ? AND role = 'issuer' AND kind = 'payment'"
                       " AND status IN ('approved', 'unknown', ?) AND created_at >= ?"
                       + (" AND code_type = 'static'" if static_only else "")
                       + (" AND risk_tier = ?" if tier else "")
                       + (" AND counterparty = ?" if through else ""), account,
                       "declined" if declined else "unknown", since,
                       *([tier] if tier else []), *([through] if through else []))
        return row["total"]

    def paid_to_acquirer(self, account: str, acquirer: str, since: float,
                         order_type: str) -> int:
        """What the payer paid since ``since`` through ``acquirer`` in orders of
        ``order_type`` (R-FLOW-20), in fen; payments still in flight count, as for the daily
        limit."""
        row = self.one("SELECT COALESCE(SUM(amount), 0) AS total FROM transactions WHERE"
                       " account = ? AND role = 'issuer' AND kind = 'payment'"
                       " AND status IN ('approved', 'unknown') AND created_at >= ?"
                       " AND counterparty = ? AND order_type = ?",
                       account, since, acquirer, order_type)
        return row["total"]

    def unresolved_purchases(self) -> list[dict]:
        """The terminal's purchases whose outcome is still unknown."""
        rows = self.db.execute("SELECT * FROM transactions WHERE role = 'acquirer' AND"
                               " mode = 'CPM' AND kind = 'payment' AND status = 'unknown'")
        return [dict(row) for row in rows]

    def unresolved_payments(self) -> list[dict]:
        """The wallet's MPM payments whose outcome is still unknown."""
        rows = self.db.execute("SELECT * FROM transactions WHERE role = 'issuer' AND"
                               " mode = 'MPM' AND kind = 'payment' AND status = 'unknown'"
                               " AND order_time IS NOT NULL")
        return [dict(row) for row in rows]

    def unreported_step_ups(self) -> list[dict]:
        """Password decisions the wallet was telling the switch (recorded unknown, with the
        decision as their code), with the payment code the purchase was made with."""
        rows = self.db.execute("SELECT t.voucher_num, t.resp_code, s.code FROM transactions t"
                               " JOIN step_ups s ON s.voucher_num = t.voucher_num"
                               " WHERE t.role = 'issuer' AND t.mode = 'CPM'"
                               " AND t.status = 'unknown'")
        return [dict(row) for row in rows]

    def unresolved_undos(self) -> list[dict]:
        """The terminal's refunds and voids whose outcome is still unknown."""
        rows = self.db.execute("SELECT * FROM transactions WHERE role = 'acquirer' AND"
                               " kind IN ('refund', 'void') AND status = 'unknown'")
        return [dict(row) for row in rows]

    def approved_payment(self, voucher: str, role: str) -> dict | None:
        return self.one("SELECT * FROM transactions WHERE voucher_num = ? AND role = ?"
                        " AND kind = 'payment' AND status = 'approved'", voucher, role)

    def credit_merchant(self, db: sqlite3.Connection, merchant_id: str, amount: int) -> None:
        db.execute("UPDATE merchants SET balance = balance + ? WHERE id = ?",
                   (amount, merchant_id))

    def settle(self, db: sqlite3.Connection, ref: str, **outcome: object) -> dict:
        """Give a transaction whose outcome was unknown the outcome a query found."""
        columns = ", ".join(f"{name} = ?" for name in outcome)
        db.execute(f"UPDATE transactions SET {columns} WHERE ref = ?", (*outcome.values(), ref))
        return self.one("SELECT * FROM transactions WHERE ref = ?", ref)

    # -- password step-up (issuer side) ---------------------------------------------------------
    def add_step_up(self, voucher: str, code: dict, body: dict) -> None:
        self.db.execute("INSERT INTO step_ups (voucher_num, code, account, amount, currency,"
                        " acquirer, order_no, settle_date, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (voucher, code["code"], code["account"], body["amount"],
                         body["currency"], body["acquirer"], body.get("orderNo"),
                         body["settleDate"], clock.now_s()))

    def waiting_step_up(self, account: str) -> dict | None:
        """The oldest purchase still waiting for this payer's password."""
        return self.one("SELECT * FROM step_ups WHERE account = ? AND answered = 0"
                        " ORDER BY created_at LIMIT 1", account)

    def transaction(self, ref: str) -> dict | None:
        """A transaction by this institution's own reference or by the switch's voucher
        number, which both sides of a cross-institution transaction know."""
        return self.one("SELECT * FROM transactions WHERE ref = ? OR voucher_num = ?"
                        " ORDER BY created_at LIMIT 1", ref, ref)
