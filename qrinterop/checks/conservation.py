"""Money conservation across the network (R-FLOW-14), and each side's books agreeing with the
switch's (R-FLOW-12): what payers lost is what merchants gained (net of refunds, voids and
reversals), and every transaction the switch approved is booked alike, once, by its issuer
and its acquirer.

A pure check (no I/O): :func:`conservation_findings` judges :class:`Books`, plain data read
elsewhere (``runner/scenarios/conservation.py`` reads them over HTTP from a running network):
the switch's cleared records (its reconciliation files), each institution's transactions as its
test-control API lists them, and the balances of the payer accounts a test watched.
:func:`window_of` tells, from a scenario's transcript, which transactions its books are judged
on; :func:`well_formed` which of what an SUT answered the check can read at all.

Records are grouped into *chains*, one per original payment with everything that refers to
it (refunds, voids, a reversal, the acquirer's record of a purchase whose outcome it did not
know): linked by the switch's voucher and txnNo, and a CPM purchase by its acquirer's orderNo.
A chain with a record still ``unknown`` somewhere is money in flight and is not judged yet. In
a chain, a party that booked an approved reversal has moved nothing; otherwise it moved its
approved payments less its approved refunds and voids. Each institution must have moved what
the switch cleared against it, and each payer account must have moved by what its
institution booked against it. A finding shows an account as the books name it: masking it is
for whoever lets the finding out (the runner).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from qrinterop.checks.reconcile import AGREED
from qrinterop.checks.transactions import yuan

#: Money is conserved across the network (the profile's own rule, requirements.json).
CONSERVATION = "R-FLOW-14"
#: The issuer's and the acquirer's records agree with the switch's on each transaction.
AGREEMENT = "R-FLOW-12"
SWITCH = "switch"
#: What each message type the switch clears is, to the books of both sides.
KINDS = {"purchase": "payment", "payment": "payment", "refund": "refund", "void": "void",
         "reversal": "reversal"}
KIND_NAMES = frozenset(KINDS.values())
#: Message and transaction fields that name a transaction the switch knows.
MONEY_KEYS = ("voucherNum", "origVoucherNum", "txnNo", "origTxnNo")


@dataclass(frozen=True)
class Finding:
    """One way the books break conservation. ``party``: the institution whose books are at
    fault (None: the network as a whole, when no single party's books explain it)."""

    requirement: str
    party: str | None
    message: str
    voucher: str | None = None

    def as_passive(self, record: int = 0) -> dict:
        """As a scenario's passive findings list it (report.json), against transcript record
        ``record``."""
        return {"requirement": self.requirement, "record": record, "sender": self.party,
                "message": self.message}


@dataclass
class Books:
    """The books of the network, or of the part of it one test or scenario touched.

    ``cleared``: the switch's reconciliation records (each cleared transaction once; None
    when the switch's books were not read, e.g. around an SUT switch). ``ledgers``: each
    institution's transactions, in the test-control API's form. ``balances``: (institution,
    account) → (opening, closing) balance in fen of payer accounts watched over the window.
    ``window``: vouchers and txnNos the window saw; only chains holding one are judged (None:
    every chain). ``not_cleared``: vouchers the harness itself gave out as the switch, which
    the switch never cleared. ``judged``: the institutions whose books are judged (None:
    all); the others' records, read only in part, just link chains and show money in flight."""

    cleared: list[dict] | None
    ledgers: dict[str, list[dict]]
    balances: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    window: set[str] | None = None
    not_cleared: set[str] = field(default_factory=set)
    judged: set[str] | None = None


@dataclass(frozen=True)
class _Entry:
    """One record of one party's books, in the terms the check compares."""

    party: str
    role: str                   # issuer | acquirer (the switch's records: "switch")
    kind: str                   # payment | refund | void | reversal
    status: str
    amount: int
    record: dict
    issuer: str | None
    acquirer: str | None
    keys: frozenset[str]

    @property
    def voucher(self) -> str | None:
        return self.record.get("voucherNum")

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    def side(self, role: str) -> str | None:
        """The institution on ``role``'s side of this record."""
        return self.issuer if role == "issuer" else self.acquirer


def _keys(record: dict, kind: str, acquirer: str | None, cpm: bool) -> frozenset[str]:
    keys = {f"v:{record[k]}" for k in ("voucherNum", "origVoucherNum") if record.get(k)}
    keys |= {f"t:{record[k]}" for k in ("txnNo", "origTxnNo") if record.get(k)}
    order = record.get("origOrderNo") or record.get("orderNo")
    if cpm and kind in ("payment", "reversal") and order and acquirer:
        keys.add(f"o:{acquirer}:{order}")      # orderNo is unique only per acquirer
    return frozenset(keys)


def _from_switch(record: dict) -> _Entry:
    mode, _, kind = record["msgType"].partition(".")
    kind = KINDS[kind]
    return _Entry(SWITCH, SWITCH, kind, "approved", record["amount"], record,
                  record.get("issuer"), record.get("acquirer"),
                  _keys(record, kind, record.get("acquirer"), mode == "cpm"))


def _from_ledger(party: str, txn: dict) -> _Entry:
    issuer, acquirer = (party, txn.get("counterparty")) if txn["role"] == "issuer" else \
        (txn.get("counterparty"), party)
    kind = txn.get("kind") or "payment"
    return _Entry(party, txn["role"], kind, txn["status"], txn.get("amount") or 0, txn,
                  issuer, acquirer, _keys(txn, kind, acquirer, txn.get("mode") == "CPM"))


def _chains(entries: list[_Entry]) -> list[list[_Entry]]:
    """Entries grouped by the keys they share (union-find over keys)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key
    for entry in entries:
        first, *others = sorted(entry.keys) or [f"r:{entry.party}:{entry.record.get('ref')}"]
        for key in others:
            parent[root(key)] = root(first)
    groups: dict[str, list[_Entry]] = defaultdict(list)
    for entry in entries:
        first = min(entry.keys) if entry.keys else f"r:{entry.party}:{entry.record.get('ref')}"
        groups[root(first)].append(entry)
    return list(groups.values())


def moved(entries: Iterable[_Entry]) -> int:
    """What a party's records of one chain moved from payer to merchant, in fen: nothing if
    it booked an approved reversal, else approved payments less approved refunds and voids."""
    approved = [e for e in entries if e.approved]
    if any(e.kind == "reversal" for e in approved):
        return 0
    return sum(e.amount if e.kind == "payment" else -e.amount for e in approved)


def conservation_findings(books: Books) -> list[Finding]:
    """Every way ``books`` break conservation (R-FLOW-14) or disagree with the switch on a
    transaction (R-FLOW-12), each naming the party whose books are at fault."""
    entries = [_from_ledger(party, txn) for party, txns in books.ledgers.items()
               for txn in _latest(txns)]
    cleared = books.cleared is not None
    entries += [_from_switch(r) for r in _unique(books.cleared or [], "voucherNum")]
    chains = [c for c in _chains(entries) if books.window is None
              or any(k[2:] in books.window for e in c for k in e.keys if k[0] in "vt")]
    settled = [c for c in chains if not any(e.status == "unknown" for e in c)]
    judged = set(books.ledgers) if books.judged is None else books.judged
    findings: list[Finding] = []
    for chain in settled:
        if cleared:
            findings += _against_switch(chain, judged, books.not_cleared)
        findings += _across_network(chain, judged, findings)
    findings += _balances(books.balances, settled, chains)
    return findings


def _latest(txns: list[dict]) -> list[dict]:
    """Each transaction once, as last read (the books were read by day and by reference)."""
    return list({(t.get("ref"), t.get("role")): t for t in txns}.values())


def _unique(records: list[dict], key: str) -> list[dict]:
    return list({r[key]: r for r in records}.values())


def _against_switch(chain: list[_Entry], parties: set[str],
                    not_cleared: set[str]) -> list[Finding]:
    """Each institution whose books are known against what the switch cleared with it."""
    switch = [e for e in chain if e.party == SWITCH]
    if any(e.voucher in not_cleared for e in chain):
        return []                   # the harness acted as the switch: no clearing to compare
    reversed_ = any(e.kind == "reversal" for e in switch)
    findings = []
    sides = {(e.party, e.role) for e in chain if e.party in parties} | {
        (side, role) for e in switch for role in ("issuer", "acquirer")
        if (side := e.side(role)) is not None and side in parties}
    for party, role in sorted(sides):
        mine = [e for e in chain if e.party == party and e.role == role]
        theirs = [e for e in switch if e.side(role) == party]
        found = _by_voucher(party, role, mine, theirs, reversed_)
        if not found and (booked := moved(mine)) != (due := moved(theirs)):
            found = [Finding(CONSERVATION, party, f"as {role}, {party} booked {yuan(booked)} "
                             f"moved by this transaction and what refers to it; the switch "
                             f"cleared {yuan(due)}", next((e.voucher for e in theirs), None))]
        findings += found
    return findings


def _by_voucher(party: str, role: str, mine: list[_Entry], theirs: list[_Entry],
                reversed_: bool) -> list[Finding]:
    """Each cleared record booked once, approved, alike; nothing approved the switch did not
    clear. A reversed purchase may be kept as reversed, without the switch's voucher."""
    findings = []
    for record in theirs:
        same = [e for e in mine if e.voucher == record.voucher and e.kind == record.kind]
        approved = [e for e in same if e.approved]
        what = f"{record.record['msgType']} {record.voucher} ({yuan(record.amount)})"
        if len(approved) > 1:
            findings.append(Finding(CONSERVATION, party, f"{what}, approved at the switch, is "
                                    f"booked {len(approved)} times by its {role} {party}",
                                    record.voucher))
        elif approved:
            differing = [f"{k} {approved[0].record.get(k)!r} (switch: {record.record.get(k)!r})"
                         for k in AGREED if approved[0].record.get(k) != record.record.get(k)]
            if differing:
                findings.append(Finding(AGREEMENT, party, f"{what}: its {role} {party} booked "
                                        + ", ".join(differing), record.voucher))
        elif same:
            findings.append(Finding(CONSERVATION, party, f"{what}, approved at the switch, is "
                                    f"booked {same[0].status} by its {role} {party}",
                                    record.voucher))
        elif not (reversed_ and record.kind == "payment"):
            findings.append(Finding(CONSERVATION, party, f"{what}, approved at the switch, is "
                                    f"missing from the books of its {role} {party}",
                                    record.voucher))
    vouchers = {e.voucher for e in theirs}
    for entry in mine:
        if entry.approved and entry.voucher and entry.voucher not in vouchers and not (
                reversed_ and entry.kind == "payment"):
            findings.append(Finding(CONSERVATION, party, f"{entry.kind} {entry.voucher} "
                                    f"({yuan(entry.amount)}) is booked approved by {party} as "
                                    f"{role}, but the switch cleared no such transaction",
                                    entry.voucher))
    return findings


def _across_network(chain: list[_Entry], parties: set[str],
                    found: list[Finding]) -> list[Finding]:
    """What the payer's institution took equals what the merchant's gave, where both books
    are known; reported only when no party's own finding already explains it."""
    issuers = [e for e in chain if e.party in parties and e.role == "issuer"]
    acquirers = [e for e in chain if e.party in parties and e.role == "acquirer"]
    if not issuers or not acquirers:
        return []
    lost, gained = moved(issuers), moved(acquirers)
    vouchers = {e.voucher for e in chain}
    if lost == gained or any(f.voucher in vouchers for f in found):
        return []
    return [Finding(CONSERVATION, None, f"payers lost {yuan(lost)} and merchants gained "
                    f"{yuan(gained)} on {', '.join(sorted(v for v in vouchers if v))}",
                    next(iter(sorted(v for v in vouchers if v)), None))]


def _balances(balances: Mapping[tuple[str, str], tuple[int, int]],
              settled: list[list[_Entry]], chains: list[list[_Entry]]) -> list[Finding]:
    """Each watched payer account moved by what its institution booked against it."""
    findings = []
    for (party, account), (opening, closing) in balances.items():
        def mine(chain: list[_Entry], party: str = party, account: str = account) -> list:
            return [e for e in chain if e.party == party and e.role == "issuer"
                    and e.record.get("account") == account]
        if any(mine(c) for c in chains if c not in settled):
            continue                # money in flight: judged once it is final
        booked = -sum(moved(mine(c)) for c in settled)
        if closing - opening != booked:
            findings.append(Finding(CONSERVATION, party, f"account {account} at "
                                    f"{party} moved {yuan(closing - opening)}, but {party}'s "
                                    f"books explain {yuan(booked)}"))
    return findings


def is_fen(value: object) -> bool:
    """An amount in fen: an integer, not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def well_formed(txn: object) -> bool:
    """A transaction the check can read: whatever else an SUT's answer breaks is for the
    test-control contract to say, not for this check to trip over."""
    return isinstance(txn, dict) and txn.get("role") in ("issuer", "acquirer") \
        and isinstance(txn.get("status"), str) and txn.get("kind", "payment") in KIND_NAMES \
        and (txn.get("amount") is None or is_fen(txn["amount"])) \
        and all(isinstance(txn.get(k), str | None) for k in (*MONEY_KEYS, "ref", "orderNo",
                                                              "counterparty", "account",
                                                              "settleDate", "currency"))


@dataclass
class Window:
    """What one scenario's transcript says about the money it moved: the vouchers and
    txnNos it saw (``keys``), the settlement dates they fall on, the transactions each
    institution's test-control API answered with (``refs``), and the first transcript
    record that names each key (``first``), which a finding points at."""

    keys: set[str] = field(default_factory=set)
    settle_dates: set[str] = field(default_factory=set)
    refs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first: dict[str, int] = field(default_factory=dict)


def window_of(records: list[dict]) -> Window:
    """The money a scenario's transcript records (``Transcript.ordered``) tell of."""
    window = Window()
    for record in records:
        for found in _objects(record.get("content")):
            for key in MONEY_KEYS:
                if isinstance(value := found.get(key), str) and value:
                    window.keys.add(value)
                    window.first.setdefault(value, record["n"])
            if isinstance(date := found.get("settleDate"), str) and len(date) == 4 \
                    and date.isdigit():
                window.settle_dates.add(date)
        content = record.get("content")
        if record.get("pco") == "upper-tester" and isinstance(content, dict) \
                and isinstance(content.get("ref"), str) and "role" in content:
            window.refs[record["from"]].add(content["ref"])     # one transaction, not a list
    return window


def _objects(value: object, depth: int = 0) -> Iterable[dict]:
    """Every JSON object inside ``value`` (a signed message's body, a control answer);
    no deeper than a message nests, whatever a peer sent."""
    if depth > 8:
        return
    children: Iterable[object]
    if isinstance(value, dict):
        yield value
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return
    for child in children:
        yield from _objects(child, depth + 1)
