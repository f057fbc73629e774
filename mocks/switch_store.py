"""The simulated switch's own records, in SQLite, so a restart loses nothing: what it was
asked (claims and final answers), the MPM orders it routed, every CPM purchase, and the
notices it still has to deliver. The switch decides; this module only remembers, beside the
institutions' :class:`mocks.ledger.Ledger`. The tap's log (``mocks/tap.py``) and the clearing
(``mocks/clearing.py``) keep their own tables in the same database.

The switch may run as several processes on one socket (``ServiceConfig.processes``): what
one of them learns, another must see, so the state a single process kept in memory is here
too (:data:`VOLATILE`: the requests under way, answers lost on the way back, the faults
programmed, the clock's offset, the nonces seen), and is forgotten when the switch starts, as
a process's memory was.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mocks.ledger import open_database
from qrinterop.protocol import clock
from qrinterop.protocol.canonical import canonicalize
from qrinterop.protocol.replay import REUSED, ReplayGuard, ReplayVerdict

SCHEMA = """
CREATE TABLE IF NOT EXISTS mpm_orders (
    txn_no TEXT PRIMARY KEY, acquirer TEXT NOT NULL, issuer TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS purchases (              -- every CPM purchase: what a query finds
    voucher_num TEXT PRIMARY KEY, acquirer TEXT NOT NULL, issuer TEXT NOT NULL,
    order_no TEXT NOT NULL, order_time TEXT NOT NULL, code TEXT NOT NULL, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, resp_code TEXT NOT NULL, settle_date TEXT NOT NULL,
    settle_key TEXT NOT NULL,
    password_due REAL,                              -- waiting for the payer until then
    request TEXT NOT NULL,          -- its body, canonical JSON: is a repeat the same purchase?
    told TEXT                       -- JSON: what the issuer told of the payer, for repeats
);
CREATE TABLE IF NOT EXISTS answers (    -- final answers to money-moving requests, for repeats
    sender TEXT NOT NULL, msg_type TEXT NOT NULL,
    txn_key TEXT NOT NULL,                          -- JSON: the catalogue's idempotency_key
    msg_id TEXT NOT NULL, request TEXT NOT NULL,    -- the request's body, canonical JSON
    answer TEXT,            -- JSON: the body of the switch's answer; null: still under way
    PRIMARY KEY (sender, msg_type, txn_key)
);
CREATE INDEX IF NOT EXISTS answers_by_msg_id ON answers (sender, msg_id);
CREATE TABLE IF NOT EXISTS notices (    -- notices still being sent: resumed on restart
    voucher_num TEXT PRIMARY KEY, receiver TEXT NOT NULL,
    msg_type TEXT NOT NULL,                         -- notice.result or mpm.collection_notice
    notice TEXT NOT NULL, test_case TEXT            -- JSON: the notice's body
);
-- What one process of the switch kept in memory, shared with its siblings (VOLATILE).
CREATE TABLE IF NOT EXISTS claims (     -- money-moving requests under way: copies wait on them
    token INTEGER PRIMARY KEY AUTOINCREMENT, claim_key TEXT NOT NULL,
    request TEXT NOT NULL,                          -- the first copy's body, canonical JSON
    state TEXT NOT NULL,                            -- open, answered or failed
    answer TEXT                                     -- JSON: the body of its answer
);
CREATE UNIQUE INDEX IF NOT EXISTS claims_open ON claims (claim_key) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS lost_answers (           -- delivered, the answer lost (lose-answer)
    voucher_num TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS lost_payments (          -- MPM payments among them, to ask about
    issuer TEXT NOT NULL, order_key TEXT NOT NULL,  -- JSON [orderNo, orderTime]
    request TEXT NOT NULL, clearing TEXT NOT NULL, acquirer TEXT NOT NULL,
    PRIMARY KEY (issuer, order_key)
);
CREATE TABLE IF NOT EXISTS faults (     -- the fault plan (mocks/faults.py SharedFaultPlan)
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, place TEXT NOT NULL,
    peer TEXT NOT NULL, msg_type TEXT, params TEXT NOT NULL, times INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS shared (name TEXT PRIMARY KEY, value);   -- the clock's offset
CREATE TABLE IF NOT EXISTS nonces (                 -- the replay guard's memory (mocks.lax)
    sender TEXT NOT NULL, nonce TEXT NOT NULL, moment REAL NOT NULL,
    PRIMARY KEY (sender, nonce)
) WITHOUT ROWID;
-- how queries, reversals and repeated purchases find a purchase; what waits for a password
CREATE INDEX IF NOT EXISTS purchases_by_order ON purchases (order_no, order_time, acquirer);
CREATE INDEX IF NOT EXISTS purchases_waiting ON purchases (password_due)
    WHERE password_due IS NOT NULL;
"""

#: The tables of what lived in one process's memory: emptied when the switch starts.
VOLATILE = ("claims", "lost_answers", "lost_payments", "shared", "nonces", "faults")
#: How often a copy of a request under way looks whether the first copy has its answer.
POLL_S = 0.005

#: A purchase on record: its ``purchases`` row by column name.
Purchase = dict[str, Any]


@dataclass(frozen=True)
class Earlier:
    """A request this sender made before: its body (canonical JSON) and the switch's final
    answer to it (None while it is under way, or if the switch stopped before answering)."""

    request: str
    answer: dict[str, Any] | None


@dataclass(frozen=True)
class MpmPayment:
    """An MPM payment as the switch relayed it: the request, the acquirer's answer (None if
    the switch never had it) and the order it belongs to."""

    request: dict[str, Any]
    answer: dict[str, Any] | None
    txn_no: str
    acquirer: str
    issuer: str


@dataclass(frozen=True)
class PendingNotice:
    receiver: str
    msg_type: str
    notice: dict[str, Any]
    test_case: str | None


class SwitchStore:
    """The switch's claims, answers, MPM orders, purchases and pending notices."""

    def __init__(self, path: str) -> None:
        self.db: sqlite3.Connection = open_database(path)
        self.db.executescript(SCHEMA)

    def forget_volatile(self) -> None:
        """Start afresh what a process kept in memory (the switch is starting)."""
        for table in VOLATILE:
            self.db.execute(f"DELETE FROM {table}")

    # -- requests under way, across the switch's processes ---------------------------------------
    def take_claim(self, claim_key: str, request: str) -> int | None:
        """Claim a request under way: its token, or None if another copy holds the claim."""
        try:
            return self.db.execute("INSERT INTO claims (claim_key, request, state)"
                                   " VALUES (?, ?, 'open')", (claim_key, request)).lastrowid
        except sqlite3.IntegrityError:
            return None

    def holder(self, claim_key: str) -> int | None:
        """The token of the open claim on ``claim_key``, if a copy is under way."""
        row = self.db.execute("SELECT token FROM claims WHERE claim_key = ? AND state = 'open'",
                              (claim_key,)).fetchone()
        return row[0] if row else None

    def finish_claim(self, token: int, answer: dict | None) -> None:
        """The first copy's answer (None: it failed), for the copies waiting on it."""
        self.db.execute("UPDATE claims SET state = ?, answer = ? WHERE token = ?",
                        ("failed" if answer is None else "answered",
                         None if answer is None else json.dumps(answer, ensure_ascii=False),
                         token))

    def drop_claim(self, token: int) -> None:
        """A finished claim nobody can be waiting on any more."""
        self.db.execute("DELETE FROM claims WHERE token = ?", (token,))

    async def outcome(self, token: int, within_s: float) -> tuple[str, dict] | None:
        """The first copy's request text and answer body once it has them; None if it failed.
        TimeoutError if it is still under way after ``within_s``."""
        deadline = time.monotonic() + within_s
        while True:
            row = self.db.execute("SELECT state, request, answer FROM claims WHERE token = ?",
                                  (token,)).fetchone()
            if row is None or row[0] == "failed":
                return None
            if row[0] == "answered":
                return row[1], json.loads(row[2])
            if time.monotonic() > deadline:
                raise TimeoutError
            await asyncio.sleep(POLL_S)

    # -- answers lost on the way back (fault lose-answer) -----------------------------------------
    def lose_answer(self, voucher: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO lost_answers VALUES (?)", (voucher,))

    def answer_lost(self, voucher: str) -> bool:
        return self.db.execute("SELECT 1 FROM lost_answers WHERE voucher_num = ?",
                               (voucher,)).fetchone() is not None

    def answer_found(self, voucher: str) -> bool:
        """The lost answer's outcome is known now; True for the one process that learnt it."""
        return self.db.execute("DELETE FROM lost_answers WHERE voucher_num = ?",
                               (voucher,)).rowcount == 1

    def lose_payment(self, issuer: str, order_key: str, request: dict, clearing: dict,
                     acquirer: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO lost_payments VALUES (?, ?, ?, ?, ?)",
                        (issuer, order_key, json.dumps(request, ensure_ascii=False),
                         json.dumps(clearing), acquirer))

    def lost_payment(self, issuer: str, order_key: str) -> tuple[dict, dict, str] | None:
        """An MPM payment of ``issuer`` whose acquirer's answer was lost: (request, clearing,
        acquirer)."""
        row = self.db.execute("SELECT request, clearing, acquirer FROM lost_payments"
                              " WHERE issuer = ? AND order_key = ?", (issuer, order_key)
                              ).fetchone()
        return (json.loads(row[0]), json.loads(row[1]), row[2]) if row else None

    def payment_found(self, issuer: str, order_key: str) -> bool:
        """The lost payment's outcome is known now; True for the one process that learnt it."""
        return self.db.execute("DELETE FROM lost_payments WHERE issuer = ? AND order_key = ?",
                               (issuer, order_key)).rowcount == 1

    # -- the clock's offset (PUT /control/clock), for every process -------------------------------
    def set_clock_offset(self, offset_s: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO shared VALUES ('clock_offset_s', ?)",
                        (offset_s,))

    def clock_offset(self) -> float:
        row = self.db.execute("SELECT value FROM shared WHERE name = 'clock_offset_s'"
                              ).fetchone()
        return float(row[0]) if row else 0.0

    # -- claims and final answers to money-moving requests -------------------------------------
    def claim(self, sender: str, msg_type: str, txn_key: str, msg_id: str, request: str) -> None:
        """The request is under way (no answer yet); a claim already there stays."""
        self.db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, NULL)",
                        (sender, msg_type, txn_key, msg_id, request))

    def release(self, sender: str, msg_type: str, txn_key: str | None) -> None:
        """Drop a claim still unanswered; a final answer stays."""
        self.db.execute("DELETE FROM answers WHERE sender = ? AND msg_type = ? AND txn_key = ?"
                        " AND answer IS NULL", (sender, msg_type, txn_key))

    def earlier(self, sender: str, msg_id: str, msg_type: str,
                txn_key: str | None) -> Earlier | None:
        """The sender's earlier request with this message ID, or of this type and
        transaction key."""
        row = self.db.execute(
            "SELECT request, answer FROM answers WHERE sender = ? AND (msg_id = ?"
            " OR (msg_type = ? AND txn_key = ?))", (sender, msg_id, msg_type, txn_key)).fetchone()
        if row is None:
            return None
        return Earlier(row[0], json.loads(row[1]) if row[1] is not None else None)

    def keep_answer(self, sender: str, msg_type: str, txn_key: str,
                    answer: dict[str, Any]) -> None:
        """The final answer to a claimed request (a request answered already keeps its
        first)."""
        self.db.execute("UPDATE answers SET answer = ? WHERE sender = ? AND msg_type = ?"
                        " AND txn_key = ? AND answer IS NULL",
                        (json.dumps(answer, ensure_ascii=False), sender, msg_type, txn_key))

    def release_all(self, msg_types: Sequence[str]) -> None:
        """Drop every unanswered claim of these message types (on restart)."""
        self.db.execute(f"DELETE FROM answers WHERE answer IS NULL AND msg_type IN"
                        f" ({', '.join('?' * len(msg_types))})", tuple(msg_types))

    # -- MPM orders and payments ---------------------------------------------------------------
    def add_mpm_order(self, txn_no: str, acquirer: str, issuer: str) -> None:
        self.db.execute("INSERT INTO mpm_orders VALUES (?, ?, ?, ?)",
                        (txn_no, acquirer, issuer, clock.now_s()))

    def mpm_order_acquirer(self, txn_no: str, issuer: str) -> str | None:
        """The acquirer of an MPM order this issuer inquired about; None if there is none."""
        row = self.db.execute("SELECT acquirer FROM mpm_orders WHERE txn_no = ? AND issuer = ?",
                              (txn_no, issuer)).fetchone()
        return row[0] if row else None

    def mpm_payment(self, side: Literal["issuer", "acquirer"], party: str, txn_no: object,
                    voucher: object, order_key: str) -> MpmPayment | None:
        """The MPM payment of an order of ``party`` (on ``side``) found by its txnNo, the
        voucher of its answer, or the issuer's order key (JSON [orderNo, orderTime])."""
        row = self.db.execute(
            "SELECT a.request, a.answer, o.txn_no, o.acquirer, o.issuer FROM answers a"
            " JOIN mpm_orders o ON o.txn_no = json_extract(a.request, '$.txnNo')"
            f" WHERE a.msg_type = 'mpm.payment.request' AND o.{side} = ? AND (o.txn_no = ?"
            " OR json_extract(a.answer, '$.voucherNum') = ? OR a.txn_key = ?)",
            (party, txn_no, voucher, order_key)).fetchone()
        if row is None:
            return None
        return MpmPayment(json.loads(row[0]), json.loads(row[1]) if row[1] else None,
                          row[2], row[3], row[4])

    # -- CPM purchases ---------------------------------------------------------------------------
    def add_purchase(self, voucher: str, acquirer: str, issuer: str, order: dict[str, Any],
                     resp_code: str, settle_date: str, settle_key: str,
                     password_due: float | None = None) -> None:
        """A purchase on record (``order`` is its request body), with its outcome so far."""
        self.db.execute(
            "INSERT INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (voucher, acquirer, issuer, order["orderNo"], order["orderTime"], order["code"],
             order["amount"], order["currency"], resp_code, settle_date, settle_key,
             password_due, canonicalize(order).decode("utf-8")))

    def purchase_by_order(self, order_no: object, order_time: object,
                          acquirer: str) -> Purchase | None:
        """The acquirer's purchase under its orderNo and orderTime."""
        return self._purchase("order_no = ? AND order_time = ? AND acquirer = ?",
                              order_no, order_time, acquirer)

    def purchase_by_voucher(self, voucher: object, acquirer: str | None = None,
                            issuer: str | None = None) -> Purchase | None:
        """The purchase with this voucher number, if it is ``acquirer``'s or ``issuer``'s
        when one is given."""
        where, args = "voucher_num = ?", [voucher]
        for column, party in (("acquirer", acquirer), ("issuer", issuer)):
            if party is not None:
                where += f" AND {column} = ?"
                args.append(party)
        return self._purchase(where, *args)

    def conclude_purchase(self, voucher: str, resp_code: str, told: dict | None = None,
                          waiting: bool = False) -> bool:
        """The purchase's outcome is final: nobody waits for a password any more. ``told``:
        what the issuer's answer said of the payer (payerAccountType), which a repeat of the
        purchase gets again. ``waiting``: only if it still waits for the payer (70), so that
        of two processes told at once one concludes it. Whether it was concluded."""
        return self.db.execute(
            "UPDATE purchases SET resp_code = ?, password_due = NULL, told = ?"
            " WHERE voucher_num = ?" + (" AND resp_code = '70'" if waiting else ""),
            (resp_code, json.dumps(told) if told else None, voucher)).rowcount == 1

    def _purchase(self, where: str, *args: object) -> Purchase | None:
        """A purchase on record; one whose payer let the code's validity pass without
        deciding is declined with 69 (payer input timed out) on the way."""
        now = clock.now_s()
        # Read first: an UPDATE takes the database's write lock even when it changes nothing.
        if self.db.execute("SELECT 1 FROM purchases WHERE password_due < ? AND resp_code = '70'"
                           " LIMIT 1", (now,)).fetchone():
            self.db.execute("UPDATE purchases SET resp_code = '69', password_due = NULL"
                            " WHERE password_due < ? AND resp_code = '70'", (now,))
        cursor = self.db.execute(f"SELECT * FROM purchases WHERE {where}", args)
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None

    # -- notices still to deliver ----------------------------------------------------------------
    def keep_notice(self, receiver: str, msg_type: str, notice: dict[str, Any],
                    test_case: str | None) -> None:
        """A notice under way, by its voucher number (a newer one replaces it)."""
        self.db.execute("INSERT OR REPLACE INTO notices VALUES (?, ?, ?, ?, ?)",
                        (notice["voucherNum"], receiver, msg_type,
                         json.dumps(notice, ensure_ascii=False), test_case))

    def pending_notices(self) -> list[PendingNotice]:
        return [PendingNotice(receiver, msg_type, json.loads(notice), test_case)
                for receiver, msg_type, notice, test_case in self.db.execute(
                    "SELECT receiver, msg_type, notice, test_case FROM notices").fetchall()]

    def drop_notice(self, voucher: str) -> None:
        """The notice about ``voucher`` is done with (acknowledged or given up on)."""
        self.db.execute("DELETE FROM notices WHERE voucher_num = ?", (voucher,))


class SharedNonces:
    """The replay guard of one of the switch's processes (``inner``: the reference's, or a
    defect's lax one) with the nonces it accepts remembered in SQLite too, so that a message
    replayed to a sibling process is refused as reused as it would be by the same one."""

    #: Nonces older than the window are forgotten once every this many accepted.
    SWEEP_EVERY = 1000

    def __init__(self, inner: ReplayGuard, db: sqlite3.Connection) -> None:
        self.inner, self.db = inner, db
        self.accepted = 0

    def check(self, sender: str, timestamp: str, nonce: str) -> ReplayVerdict:
        verdict = self.inner.check(sender, timestamp, nonce)
        if not verdict.ok:
            return verdict
        now = clock.now_s()
        if self.db.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)",
                           (sender, nonce, now)).rowcount == 0:
            return ReplayVerdict(REUSED, f"nonce {nonce} was already used by {sender}")
        self.accepted += 1
        if self.accepted % self.SWEEP_EVERY == 0:
            self.db.execute("DELETE FROM nonces WHERE moment < ?", (now - self.inner.window_s,))
        return verdict
