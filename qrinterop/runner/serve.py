"""``qrinterop serve``: the simulated network, for an engineer developing against it.

It says where everything is (each service's URL, institution ID, persona and public key file)
and then follows the switch's log, one readable line per message, until Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from qrinterop.protocol.envelope import BEIJING
from qrinterop.runner.clients import TapClient
from qrinterop.runner.network import Network, Participant

#: Body fields worth a glance on one line, in this order.
GLANCE = ("respCode", "origRespCode", "amount", "code", "txnNo", "voucherNum", "orderNo",
          "origOrderNo", "resultCode")


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
    """One hop the switch logged, as a person reads it at a glance."""
    at = datetime.fromtimestamp(record["at"], BEIJING).strftime("%H:%M:%S.%f")[:-3]
    switch_side = "switch"
    ends = (record["peer"], switch_side) if record["direction"] == "in" else \
        (switch_side, record["peer"])
    message = record["message"] or {}
    body = message.get("body") if isinstance(message.get("body"), dict) else {}
    fields = " ".join(f"{k}={body[k]}" for k in GLANCE if k in body)
    note = f"  [{record['note']}]" if record["note"] else ""
    return (f"{at}  {ends[0] or '?':>8} → {ends[1] or '?':<8}  {record['msg_type'] or '-':<42}"
            f" {fields}{note}")


def follow(tap: TapClient, show: Callable[[str], None], every_s: float = 0.5) -> None:
    """Print the switch's log as it grows, until interrupted."""
    seen = tap.cursor()
    while True:
        time.sleep(every_s)
        for record in tap.records_after(seen):
            show(message_line(record))
            seen = record["seq"]
