"""Certification and simulator figures: the whole command, the network's fixed cost, and
end-to-end CPM throughput through the switch."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from qrinterop.codes import emv_mpm
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE
from qrinterop.protocol.crypto import SigningKey
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

MERCHANT_CODE = ("00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
                 "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京5405"
                 "23.7253031565502016233030412340603***0708A60086670902ME91320016A011223344998877"
                 "0708123456786304A13A")


def median_time(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def per_second(action: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        action()
    return count / (time.perf_counter() - start)


def certify_wall_time(repeats: int, jobs: int = 1, ics: Path | None = None) -> tuple[float, int]:
    """Wall time of the whole command, as a user runs it (process start included), and how
    many scenarios applied to the SUT (the others are not applicable and take no time)."""
    applied = []

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, "-m", "qrinterop.cli", "certify", "--jobs",
                            str(jobs), "--out", str(Path(folder) / "run"),
                            *(["--ics", str(ics)] if ics else [])],
                           capture_output=True)
            # The reference switch is inconclusive (exit 3) by design; any verdict will do.
            summary = json.loads((Path(folder) / "run" / "report.json").read_text())["summary"]
            assert summary["fail"] == summary["error"] == 0, summary
            applied.append(sum(summary.values()) - summary["not_applicable"])
    return median_time(run, repeats), applied[0]


def network_start_time(repeats: int) -> float:
    """Starting the switch and both institutions and tearing them down: the fixed cost."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder, \
                running_network(suite, ics, Path(folder), 0):
            pass
    return median_time(run, repeats)


def cpm_throughput(count: int, workers: int) -> float:
    """Cross-institution CPM purchases per second, end to end through the switch: the peer's
    terminal API → switch → issuer, with signing and schema checks at every hop."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut, peer = network.sut.service.url, network.peers[0].service.url
        http = requests.Session()
        account = http.post(f"{sut}/control/accounts", json={"balance": 10**9}).json()["account"]
        codes = [http.post(f"{sut}/control/payment-codes", json={"account": account}).json()
                 ["code"] for _ in range(count)]

        def charge(code: str) -> str:
            return requests.post(f"{peer}/control/terminal/charge",
                                 json={"code": code, "amount": 100}).json()["status"]

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            statuses = list(pool.map(charge, codes))
        elapsed = time.perf_counter() - start
    assert set(statuses) == {"approved"}, set(statuses)
    return count / elapsed


def figures(quick: bool) -> list[tuple[str, float]]:
    repeats = 1 if quick else 5
    key = SigningKey.generate()
    data = b'{"body":{"amount":1250},"header":{"msgType":"cpm.purchase.request"}}'
    signature = key.sign(data)
    rules = emv_mpm.Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE))
    (certify, scenarios), network = certify_wall_time(repeats), network_start_time(repeats)
    parallel, _ = certify_wall_time(repeats, jobs=2)
    switch, switch_scenarios = certify_wall_time(
        repeats, jobs=2, ics=locate().mocks / "reference-switch-ics.yaml")
    return [
        (f"certify --jobs 1, whole command ({scenarios} scenarios apply) (s)", certify),
        ("certify --jobs 1: scenarios/s", scenarios / certify),
        ("certify --jobs 2, whole command (s)", parallel),
        ("certify --jobs 2: scenarios/s", scenarios / parallel),
        ("certify --jobs 1 / --jobs 2 (ratio)", certify / parallel),
        (f"certify the reference switch --jobs 2 ({switch_scenarios} scenarios apply) (s)",
         switch),
        ("network start and stop, switch + SUT + 5 peers (s)", network),
        ("certify / network start (ratio)", certify / network),
        ("CPM purchases/s end to end, 8 clients", cpm_throughput(100 if quick else 400, 8)),
        ("SM2 signatures/s", per_second(lambda: key.sign(data), 2000)),
        ("SM2 verifications/s", per_second(lambda: key.public.verify(signature, data), 2000)),
        ("MPM parse + CRC check/s",
         per_second(lambda: emv_mpm.parse(MERCHANT_CODE, rules).crc_ok, 20000)),
    ]
