"""Signed CPM purchases through the switch to an issuer persona, from several concurrent
clients: transactions per second and latency percentiles (issue 5, item 8), beside the
machine's SM2 ceiling (issue 18: the simulators must not be the bottleneck of a capacity run).

The switch runs as one process per core (``os.cpu_count()``), as under a capacity run. The
clients play the acquirer (the ``peer`` persona, whose key the harness made): each is a
process of its own with its own connection pool, so the load generator does not share the
switch's interpreters. Each client signs its purchases before the clock starts and checks every
answer's signature after it stops, so what is timed is what the switch and the issuer do:
verify, validate, route, re-sign, debit, clear, answer, and notify the acquirer persona. Every
answer must be a signed approval.

The ceiling is what the machine could do if SM2 were all it did: per purchase the switch
verifies the purchase, signs it on, verifies the issuer's answer and signs its own, signs the
result notice and verifies its acknowledgement; the issuer verifies and signs once, and so
does the acquirer persona for the notice: 5 signatures and 5 verifications, on every core.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import aiohttp
import requests

from qrinterop.codes import terminal
from qrinterop.ics.model import DEFAULT_TIMING_SCALE
from qrinterop.profile import Profile
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, beijing_now, seal, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.transport import MESSAGE_PATH, PeerError, encode, exchange
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.processes.network import Participant

ISSUER, ACQUIRER = "wallet-w", "peer"
#: Purchases per payer: many payers, as under a capacity run (the issuer sums a payer's day
#: for its daily limit, so one payer for every purchase would measure that sum growing).
PER_PAYER = 25
#: Per purchase, on all the machine's processes together (see the module's docstring).
SIGNS, VERIFIES = 5, 5
JSON_HEADERS = {"Content-Type": "application/json"}


def _purchases(profile: Profile, acquirer: Participant, codes: list[str]) -> list[dict]:
    """The bodies of a purchase of 1.00 CNY for each code, from the acquirer's registered
    terminal (with its termInfo where the profile has one, R-CPM-09)."""
    now = beijing_now()
    return [terminal.with_term_info(profile, {
        "code": code, "amount": 100, "currency": "156",
        "merchant": {"id": f"{acquirer.id[:7]}00000000", "name": "BENCH", "mcc": "5411",
                     "city": "BEIJING"},
        "termId": "T0000001", "orderNo": f"B{n:012d}", "orderTime": f"{now:%Y%m%d%H%M%S}"},
        acquirer.description.get("terminal", {})) for n, code in enumerate(codes)]


async def _drive(url: str, messages: list[bytes], concurrency: int,
                 start_at: float) -> tuple[list[float], list[object]]:
    latencies: list[float] = []
    answers: list[object] = []
    pending = iter(messages)

    async def lane(http: aiohttp.ClientSession) -> None:
        for message in pending:
            sent = time.perf_counter()
            try:
                _status, raw, _test_case = await exchange(http, url, message, JSON_HEADERS, 30.0)
                answer: object = json.loads(raw)
            except (PeerError, ValueError) as exc:
                answer = f"{type(exc).__name__}: {exc}"
            latencies.append(time.perf_counter() - sent)
            answers.append(answer)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(lane(http) for _ in range(concurrency)))
    return latencies, answers


def _client(args: tuple) -> tuple[list[float], float, int]:
    """One client process: sign, wait for the common start, send, then check the answers."""
    key_pem, key_id, acquirer, switch, url, switch_keys, bodies, concurrency, start_at = args
    party = Party(acquirer, SigningKey.from_pem(key_pem), key_id)
    messages = [encode(seal(party, "cpm.purchase.request", switch, body)) for body in bodies]
    cpu = time.process_time()
    latencies, answers = asyncio.run(_drive(url, messages, concurrency, start_at))
    finished, cpu = time.time(), time.process_time() - cpu
    keys = KeyRing.from_registrations(switch_keys)
    approved = [isinstance(answer, dict) and signature_ok(answer, keys)
                and answer["body"]["respCode"] == "00" for answer in answers]
    bad = next((answer for answer, ok in zip(answers, approved, strict=True) if not ok), None)
    return latencies, finished, sum(approved), repr(bad)[:300], cpu


def throughput(count: int, clients: int, concurrency: int,
               processes: int) -> dict[str, float]:
    """Purchases per second, latency percentiles (ms) and CPU ms per purchase of every
    process for ``count`` purchases, through a switch of ``processes`` processes."""
    suite, profile, ics, _path = load_inputs(CertifyOptions())
    # Real time: codes must stay valid while they are made.
    ics = replace(ics, sut=replace(ics.sut, timing_scale=DEFAULT_TIMING_SCALE))
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, (ACQUIRER, ISSUER),
                            switch_processes=processes) as network:
        issuer = next(p for p in network.peers if p.persona == ISSUER)
        acquirer = next(p for p in network.peers if p.persona == ACQUIRER)
        control = issuer.service.url
        # Made in parallel: a code is valid for a minute, the first one until the last is sent
        # (1,500 purchases fit in it on a machine shared with other work; 3,000 did not).
        with ThreadPoolExecutor(8) as pool:
            accounts = list(pool.map(_payer, [control] * -(-count // PER_PAYER)))
            codes = list(pool.map(lambda n: requests.post(
                f"{control}/control/payment-codes",
                json={"account": accounts[n // PER_PAYER]}).json()["code"], range(count)))
        bodies = _purchases(profile, acquirer, codes)
        share = -(-count // clients)
        start_at = time.time() + 2.0        # every client signs its share before this
        jobs = [(acquirer.key.private_pem(), acquirer.key_id, acquirer.id,
                 network.switch.id, network.switch.service.url + MESSAGE_PATH,
                 [network.switch.registration],
                 bodies[i * share:(i + 1) * share], concurrency, start_at)
                for i in range(clients)]
        switch = network.switch.service.process.pid
        services = {**{f"switch #{n}": pid
                       for n, pid in enumerate([switch, *_children(switch)])},
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


def _payer(control: str) -> str:
    """A new payer's account at the issuer persona, holding more than the run spends, of
    tier A (a limit agreed with the customer, so that a day's limit does not cap the run)."""
    account = requests.post(f"{control}/control/accounts",
                            json={"balance": 10**9}).json()["account"]
    requests.put(f"{control}/control/accounts/{account}", json={"riskTier": "A"})
    return account


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (the switch's siblings), by /proc (Linux)."""
    return sorted(int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
                  if _stat_fields(stat)[1] == str(pid))


def _stat_fields(stat: Path) -> list[str]:
    """A /proc stat file's fields after the command name (state, ppid, ...); none if the
    process has gone."""
    try:
        return stat.read_text().rpartition(")")[2].split()
    except OSError:
        return ["", ""]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crypto_ceiling(signs: int, verifies: int, cores: int) -> float:
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
    cores = os.cpu_count() or 1
    result = throughput(400 if quick else 1500, clients=2, concurrency=16, processes=cores)
    ceiling = crypto_ceiling(SIGNS, VERIFIES, cores)
    cpu = {name[len("cpu_ms_per_tx["):-1]: value for name, value in result.items()
           if name.startswith("cpu_ms_per_tx")}
    return [(f"signed CPM purchases/s, switch of {cores} processes -> issuer persona, "
             f"2 clients x 16", result["tps"]),
            (f"  ceiling: SM2 alone, {SIGNS} signs + {VERIFIES} verifies on {cores} cores (/s)",
             ceiling),
            ("  achieved share of the ceiling (%)", 100 * result["tps"] / ceiling),
            ("  latency p50 (ms)", result["p50_ms"]),
            ("  latency p99 (ms)", result["p99_ms"]),
            *((f"  CPU ms per purchase, {name}", value) for name, value in cpu.items()),
            ("  CPU ms per purchase, SM2 alone (the ceiling's)", 1000 * cores / ceiling)]
