"""Bundle figures (issue 7): writing and signing the manifest of a run of 1,000 scenarios,
and verifying it, on a run folder made to the shape of a real one (a report, one hash-chained
transcript of 20 records per scenario, Allure results)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from qrinterop.evidence.bundle import chained_lines, sign_manifest, verify, write_manifest
from qrinterop.evidence.keys import ED25519, generate
from qrinterop.profile import load_profile
from qrinterop.protocol.crypto import SM2_ALGORITHM
from qrinterop.runner.bdd.suite import locate

RUN = {"id": "bench", "started": "2026-11-26T00:00:00+08:00",
       "finished": "2026-11-26T00:01:00+08:00",
       "harness": {"name": "qrinterop", "version": "0.1.0", "commit": None},
       "profile": {"id": "cn-interconnect", "version": "1.0"},
       "sut": {"id": "10000001"}, "environment": {"python": "3.11"}}


def make_run(folder: Path, scenarios: int, records: int = 20) -> None:
    """A run folder shaped like a real one: transcripts of signed-message-sized records."""
    message = {"header": {"msgType": "cpm.purchase.request", "sender": "10000002"},
               "body": {"code": "9921234567890123456", "amount": 3000, "currency": "156"},
               "signature": {"alg": "SM3withSM2", "keyId": "0" * 16, "value": "A" * 96}}
    (folder / "transcripts").mkdir(parents=True)
    (folder / "allure-results").mkdir()
    for n in range(scenarios):
        lines = chained_lines([{"n": i, "pco": "switch", "content": message}
                               for i in range(records)])
        (folder / "transcripts" / f"S-{n}.jsonl").write_text("\n".join(lines) + "\n")
        (folder / "allure-results" / f"{n}-result.json").write_text(json.dumps(message))
    (folder / "report.json").write_text(json.dumps({"scenarios": [message] * scenarios}))


def figures(quick: bool) -> list[tuple[str, float]]:
    scenarios = 200 if quick else 1000
    profile, suite = load_profile(), locate()
    out = []
    for algorithm in (ED25519, SM2_ALGORITHM):
        key = generate(algorithm)
        with tempfile.TemporaryDirectory() as folder:
            run = Path(folder)
            make_run(run, scenarios)
            start = time.perf_counter()
            write_manifest(run, RUN, profile.folder, suite.root / "vectors")
            sign_manifest(run, key)
            written = time.perf_counter() - start
            start = time.perf_counter()
            checks = verify(run, [key.public])
            verified = time.perf_counter() - start
            assert all(check.ok for check in checks), [c for c in checks if not c.ok]
        out += [(f"bundle of {scenarios} scenarios: write and sign, {algorithm} (s)", written),
                (f"bundle of {scenarios} scenarios: verify, {algorithm} (s)", verified)]
    return out
