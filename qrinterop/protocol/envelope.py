"""The message envelope every participant signs, and the checks every receiver makes.

The signature covers ``{"body": ..., "header": ...}`` serialised canonically (sorted keys, no
white space, UTF-8); amounts are integers, so no float formatting can make two honest
implementations disagree on the bytes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from qrinterop.protocol.crypto import ALGORITHM, SigningKey, VerifyKey

VERSION = "1.0"
BEIJING = timezone(timedelta(hours=8))


def canonical_bytes(header: dict, body: dict) -> bytes:
    """The exact bytes a signature covers."""
    return json.dumps({"body": body, "header": header}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def new_message_id() -> str:
    return secrets.token_hex(12)


@dataclass(frozen=True)
class Party:
    """Who signs: an institution ID and its key."""

    inst_id: str
    key: SigningKey


def seal(party: Party, msg_type: str, receiver: str, body: dict,
         test_case_id: str | None = None) -> dict[str, Any]:
    """Build and sign a message from ``party`` to ``receiver``."""
    header = {
        "version": VERSION,
        "msgType": msg_type,
        "msgId": new_message_id(),
        "sender": party.inst_id,
        "receiver": receiver,
        "timestamp": beijing_now().isoformat(timespec="milliseconds"),
        "nonce": secrets.token_hex(16),
    }
    if test_case_id:
        header["testCaseId"] = test_case_id
    return {"header": header, "body": body, "signature": sign(party.key, header, body)}


def sign(key: SigningKey, header: dict, body: dict) -> dict[str, str]:
    return {"alg": ALGORITHM, "keyId": key.public.id,
            "value": key.sign(canonical_bytes(header, body))}


def signature_ok(message: dict, key: VerifyKey) -> bool:
    """True when ``message`` carries a valid signature by ``key``; never raises on junk."""
    try:
        header, body, signature = message["header"], message["body"], message["signature"]
        return (signature["alg"] == ALGORITHM
                and key.verify(signature["value"], canonical_bytes(header, body)))
    except (KeyError, TypeError):
        return False
