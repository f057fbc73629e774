"""``qrinterop serve``: the simulated network, for an engineer developing against it.

It says where everything is (each service's URL, institution ID, persona and public key file)
and then follows the switch's log, one readable line per message, until Ctrl-C: whatever the
switch logged, and whether or not the switch is up, so that it can be stopped and started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import requests

from qrinterop.protocol.envelope import BEIJING
from qrinterop.report.visible import one_line
from qrinterop.runner.processes.network import Network, Participant
from qrinterop.runner.scenarios.clients import TapClient

#: Body fields worth a glance on one line, in this order.
GLANCE = ("respCode", "origRespCode", "amount", "code", "txnNo", "voucherNum", "orderNo",
          "origOrderNo", "resultCode")
#: What a broken contact with the switch looks like: no connection, or an answer that is not
#: its log (a half-started switch, another service on its port).
LOST = (requests.RequestException, ValueError, LookupError, TypeError)


def describe(network: Network, run_dir: Path) -> list[str]:
    """One line per participant, its public keys written beside the run's logs."""
    keys = run_dir / "keys"
    keys.mkdir(exist_ok=True)
    return [_line(part, _public_keys(part, keys), role)
            for part, role in [(network.switch, "switch"), (network.sut, "SUT"),
                               *((peer, peer.persona) for peer in network.peers)]]


def _public_keys(part: Participant, folder: Path) -> Path:
    path = folder / f"{part.id}.pub.pem"
    path.write_text("".join(k["public_key"] for k in part.registration["keys"]),
                    encoding="utf-8")
    return path


def _line(part: Participant, key_file: Path, role: str) -> str:
    reg = part.registration
    return (f"  {reg['id']}  {role:<11} {reg['url']:<33} {', '.join(reg['roles']):<16} "
            f"{reg['name']}  (public key: {key_file})")


def message_line(record: dict) -> str:
    """One hop the switch logged, as a person reads it at a glance: one line, hidden
    characters shown as <U+XXXX> (the same escaping as the reports')."""
    at = datetime.fromtimestamp(record["at"], BEIJING).strftime("%H:%M:%S.%f")[:-3]
    switch_side = "switch"
    ends = (record["peer"], switch_side) if record["direction"] == "in" else \
        (switch_side, record["peer"])
    message = record["message"]     # whatever arrived: any JSON value, or None
    body = message.get("body") if isinstance(message, dict) else None
    body = body if isinstance(body, dict) else {}
    fields = " ".join(f"{k}={body[k]}" for k in GLANCE if k in body)
    note = f"  [{record['note']}]" if record["note"] else ""
    line = (f"{at}  {ends[0] or '?':>8} → {ends[1] or '?':<8}  {record['msg_type'] or '-':<42}"
            f" {fields}{note}")
    return one_line(line)


def follow(tap: TapClient, show: Callable[[str], None], every_s: float = 0.5,
           sleep: Callable[[float], None] = time.sleep) -> None:
    """Print the switch's log as it grows, until interrupted. When the switch cannot be
    reached, say so once and keep trying; when it is back, go on from where the log was, or
    from its start if it came back with a fresh log. The log is shown from its start: what
    a client sent before the first look belongs to the session too."""
    seen = 0        # the last record shown
    lost = False
    while True:
        try:
            if lost and tap.cursor() < seen:     # back with a fresh log
                seen = 0
            records = tap.records_after(seen)
        except LOST as exc:
            if not lost:
                show(f"Lost contact with the switch ({type(exc).__name__}); trying again "
                     f"every {every_s:g} s.")
            lost = True
            sleep(every_s)
            continue
        if lost:
            show("In contact with the switch again.")
            lost = False
        for record in records:
            show(message_line(record))
            seen = record["seq"]
        sleep(every_s)
