"""Each worker's share of the network: the test accounts it pays from and the merchant codes
it pays to, opened before the load through the test-control APIs, so that no two workers
spend one balance and no account reaches a daily limit during the run.

Accounts are opened with a large balance and risk tier A (a limit agreed with the customer:
profile 1.0 takes the account's tier); profile 1.1 counts each payment against the tier of
its verification (a password-free payment: C; a static merchant code: D), so a worker gets
enough accounts that none pays past the lowest daily limit of the profile's tiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qrinterop.ics.model import Ics
from qrinterop.profile import Profile
from qrinterop.runner.capacity.plan import Plan
from qrinterop.runner.capacity.shape import expected_transactions
from qrinterop.runner.processes.network import Network, Participant
from qrinterop.runner.scenarios.clients import Channel, ControlClient

#: The peers the traffic goes through: the peer (issuer and acquirer, EMV merchant codes) and
#: a wallet. Any institution handles them; the others' codes (UnionPay ID 15, URL codes) need
#: a feature the SUT may not declare, so a network with every persona (certify's) uses these.
PERSONAS = ("peer", "wallet-w")
#: A payer account's opening balance (fen): more than any run spends.
OPENING_FEN = 10**10
#: Room above the payments a worker is expected to make (a spike, a slow start).
HEADROOM = 1.5


@dataclass
class Shares:
    """What every worker gets, and the opening balance of each account opened, by
    (institution, account), for the conservation check."""

    shares: list[dict]
    openings: dict[tuple[str, str], int]


def party(participant: Participant) -> dict:
    """How a worker reaches one institution."""
    return {"id": participant.id, "control": participant.control_url,
            "message": participant.message_url, "roles": _roles(participant)}


def payments_per_account(profile: Profile, amount: int) -> int:
    """Payments of ``amount`` one account can make in a day under the lowest daily limit
    the profile's risk tiers set (business.json risk_tiers)."""
    limits = [tier["daily_limit_fen"]["value"]
              for tier in profile.business["risk_tiers"]["tiers"].values()
              if tier["daily_limit_fen"]["value"]]
    return max(1, min(limits, default=10**12) // amount)


def open_shares(network: Network, ics: Ics, profile: Profile, plan: Plan, workers: int,
                timeout_s: float, base: dict) -> Shares:
    """Open every worker's accounts and merchant codes; ``base`` is what every share
    carries besides (addresses, mix, keys)."""
    clients = {p.id: ControlClient(p.id, p.control_url, timeout_s, Channel(),
                                   [a.id for a in ics.accounts] if p is network.sut else ())
               for p in network.participants if p is not network.switch}
    institutions = [network.sut, *_peers(network)]
    issuers = [p.id for p in institutions if "issuer" in _roles(p)]
    acquirers = [p.id for p in institutions if "acquirer" in _roles(p)]
    per_worker = expected_transactions(plan.stages) * HEADROOM / workers
    count = math.ceil(per_worker / payments_per_account(profile, plan.amount_fen)) + 1
    openings: dict[tuple[str, str], int] = {}
    shares = []
    for n in range(workers):
        accounts = {inst: [_open(clients[inst], openings) for _ in range(count)]
                    for inst in issuers}
        codes = {inst: clients[inst].create_merchant_code(f"CAPACITY SHOP {n + 1}")["code"]
                 for inst in acquirers}
        shares.append({**base, "accounts": accounts, "merchant_codes": codes})
    return Shares(shares, openings)


def _open(client: ControlClient, openings: dict[tuple[str, str], int]) -> str:
    account = client.open_account(OPENING_FEN)
    client.set_risk_tier(account, "A")
    openings[(client.inst_id, account)] = OPENING_FEN
    return account


def _roles(participant: Participant) -> list[str]:
    return list(participant.description["institution"].get("roles", []))


def addresses(network: Network) -> dict:
    """Where a worker reaches the SUT and the peers: the peers acquiring for the SUT's
    wallet, the peers' wallets paying at the SUT's merchants."""
    return {"sut": party(network.sut),
            "acquirers": [party(p) for p in _peers(network) if "acquirer" in _roles(p)],
            "issuers": [party(p) for p in _peers(network) if "issuer" in _roles(p)]}


def _peers(network: Network) -> list[Participant]:
    return [p for p in network.peers if p.persona in PERSONAS]
