"""Signed CPM purchases through the switch to an issuer persona, from several concurrent
clients: transactions per second and latency percentiles (issue 5, item 8).

The clients play the acquirer (the ``peer`` persona, whose key the harness made): each is a
process of its own with its own connection pool, so the load generator does not share the
switch's interpreter. Each client signs its purchases before the clock starts and checks every
answer's signature after it stops, so what is timed is what the switch and the issuer do:
verify, validate, route, re-sign, debit, clear, answer. Every answer must be a signed approval.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import requests

from qrinterop.ics.model import DEFAULT_TIMING_SCALE
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, beijing_now, seal, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.transport import MESSAGE_PATH, PeerError, exchange
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

ISSUER, ACQUIRER = "wallet-w", "peer"


def _purchase(party: Party, switch: str, code: str, n: int) -> dict:
    now = beijing_now()
    return seal(party, "cpm.purchase.request", switch, {
        "code": code, "amount": 100, "currency": "156",
        "merchant": {"id": f"{party.inst_id[:7]}00000000", "name": "BENCH", "mcc": "5411",
                     "city": "BEIJING"},
        "termId": "T0000001", "orderNo": f"B{n:012d}", "orderTime": f"{now:%Y%m%d%H%M%S}"})


async def _drive(url: str, messages: list[dict], concurrency: int,
                 start_at: float) -> tuple[list[float], list[object]]:
    latencies: list[float] = []
    answers: list[object] = []
    pending = iter(messages)

    async def lane(http: aiohttp.ClientSession) -> None:
        for message in pending:
            sent = time.perf_counter()
            try:
                _status, answer = await exchange(http, url, message, 30.0)
            except PeerError as exc:
                answer = f"{exc.kind}: {exc}"
            latencies.append(time.perf_counter() - sent)
            answers.append(answer)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(lane(http) for _ in range(concurrency)))
    return latencies, answers


def _client(args: tuple) -> tuple[list[float], float, int]:
    """One client process: sign, wait for the common start, send, then check the answers."""
    key_pem, key_id, acquirer, switch, url, switch_keys, codes, first, concurrency, start_at = args
    party = Party(acquirer, SigningKey.from_pem(key_pem), key_id)
    messages = [_purchase(party, switch, code, first + n) for n, code in enumerate(codes)]
    cpu = time.process_time()
    latencies, answers = asyncio.run(_drive(url, messages, concurrency, start_at))
    finished, cpu = time.time(), time.process_time() - cpu
    keys = KeyRing.from_registrations(switch_keys)
    good = sum(signature_ok(answer, keys) and answer["body"]["respCode"] == "00"
               for answer in answers)
    bad = next((answer for answer in answers if not (
        signature_ok(answer, keys) and answer["body"]["respCode"] == "00")), None)
    return latencies, finished, good, repr(bad)[:300], cpu


def throughput(count: int, clients: int, concurrency: int) -> dict[str, float]:
    """Purchases per second and latency percentiles (ms) for ``count`` purchases."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    # Real time: codes must stay valid while they are made.
    ics = replace(ics, sut=replace(ics.sut, timing_scale=DEFAULT_TIMING_SCALE))
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, (ACQUIRER, ISSUER)) as network:
        issuer = next(p for p in network.peers if p.persona == ISSUER)
        acquirer = next(p for p in network.peers if p.persona == ACQUIRER)
        control = issuer.service.url
        account = requests.post(f"{control}/control/accounts",
                                json={"balance": 10**9}).json()["account"]
        # tier A: a limit agreed with the customer, so a day's limit does not cap the run
        requests.put(f"{control}/control/accounts/{account}", json={"riskTier": "A"})
        codes = [requests.post(f"{control}/control/payment-codes", json={"account": account})
                 .json()["code"] for _ in range(count)]
        share = -(-count // clients)
        start_at = time.time() + 2.0        # every client signs its share before this
        jobs = [(acquirer.key.private_pem(), acquirer.key_id, acquirer.id,
                 network.switch.id, network.switch.service.url + MESSAGE_PATH,
                 [network.switch.registration],
                 codes[i * share:(i + 1) * share], i * share, concurrency, start_at)
                for i in range(clients)]
        services = {"switch": network.switch.service.process.pid,
                    **{p.persona: p.service.process.pid for p in network.peers}}
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            pending = pool.map_async(_client, jobs)
            time.sleep(max(0.0, start_at - time.time()))
            before = {name: _cpu_seconds(pid) for name, pid in services.items()}
            results = pending.get()
            used = {name: _cpu_seconds(pid) - before[name] for name, pid in services.items()}
    latencies = sorted(t for result in results for t in result[0])
    good = sum(result[2] for result in results)
    if good != count:
        raise AssertionError(f"only {good} of {count} answers were signed approvals, e.g. "
                             f"{next(r[3] for r in results if r[3] != 'None')}")
    elapsed = max(result[1] for result in results) - start_at
    used["clients"] = sum(result[4] for result in results)
    return {"tps": count / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
            **{f"cpu_ms_per_tx[{name}]": 1000 * seconds / count for name, seconds in used.items()
               if seconds}}


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crypto_ceiling(signs: int, verifies: int, cores: int = 2) -> float:
    """Transactions per second the machine could reach if signing and verifying were all it
    did: ``signs`` SM2 signatures and ``verifies`` verifications per transaction, every core
    busy. What the switch does alone (its own share of them) caps it lower: see figures()."""
    key = SigningKey.generate()
    data = b'{"body":{"amount":100},"header":{"msgType":"cpm.purchase.request"}}'
    signature = key.sign(data)
    start = time.process_time()
    for _ in range(500):
        key.sign(data)
    sign_s = (time.process_time() - start) / 500
    start = time.process_time()
    for _ in range(500):
        key.public.verify(signature, data)
    verify_s = (time.process_time() - start) / 500
    return cores / (signs * sign_s + verifies * verify_s)


def figures(quick: bool) -> list[tuple[str, float]]:
    result = throughput(400 if quick else 3000, clients=2, concurrency=16)
    # Per purchase: the switch verifies the purchase, signs it on, verifies the issuer's
    # answer and signs its own; it signs the result notice and verifies its acknowledgement.
    # The issuer verifies and signs once, and so does the acquirer for the notice.
    return [("signed CPM purchases/s, switch -> issuer persona, 2 clients x 16", result["tps"]),
            ("  latency p50 (ms)", result["p50_ms"]),
            ("  latency p99 (ms)", result["p99_ms"]),
            *((f"  CPU ms per purchase, {name[len('cpu_ms_per_tx['):-1]}", value)
              for name, value in result.items() if name.startswith("cpu_ms_per_tx")),
            ("  ceiling: SM2 alone, 5 signs + 5 verifies on 2 cores (/s)", crypto_ceiling(5, 5)),
            ("  ceiling: the switch's own 3 + 3 on its one core (/s)", crypto_ceiling(3, 3, 1))]
