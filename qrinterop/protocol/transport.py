"""Sending one signed message over HTTP and getting one signed answer back.

Every participant exposes a single endpoint that takes a JSON envelope by POST and answers with
a JSON envelope; the message type travels in the header, not in the URL.
"""

from __future__ import annotations

import json

import aiohttp

MESSAGE_PATH = "/messages"
JSON_TYPE = "application/json; charset=utf-8"


class PeerError(Exception):
    """The peer gave no usable answer; ``kind`` is ``unreachable``, ``timeout`` or ``malformed``."""

    def __init__(self, kind: str, detail: str, answer: object = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.answer = answer  # a malformed answer is still evidence


def encode(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


async def exchange(session: aiohttp.ClientSession, url: str, message: dict,
                   timeout_s: float) -> tuple[int, object]:
    """POST ``message`` to ``url``; return the HTTP status and the decoded JSON answer."""
    try:
        async with session.post(url, data=encode(message), headers={"Content-Type": JSON_TYPE},
                                timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            raw = await response.read()
            status = response.status
    except TimeoutError:
        raise PeerError("timeout", f"no answer from {url} within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise PeerError("unreachable", f"{url}: {exc}") from None
    try:
        return status, json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PeerError("malformed", f"{url} answered HTTP {status} with a body that is not JSON") \
            from None
