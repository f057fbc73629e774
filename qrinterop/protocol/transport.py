"""Sending one signed message over HTTP and getting one signed answer back.

Every participant exposes a single endpoint that takes a JSON envelope by POST and answers with
a JSON envelope; the message type travels in the header, not in the URL.
"""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from qrinterop.errors import UsageError
from qrinterop.protocol.bindings.base import TEST_CASE_HEADER

MESSAGE_PATH = "/messages"
JSON_TYPE = "application/json; charset=utf-8"

#: The largest request body any simulated service reads. The largest message of the profile is
#: a few kilobytes; a quarter megabyte leaves room for any honest one and refuses a flood.
MAX_BODY_BYTES = 256 * 1024
#: Seconds a service waits for a request's body to arrive in full: on loopback an honest
#: sender's whole body arrives in milliseconds; one that stalls must not hold a connection.
BODY_READ_TIMEOUT_S = 5.0


class PeerError(Exception):
    """The peer gave no usable answer; ``kind`` is ``unreachable``, ``timeout`` or ``malformed``."""

    def __init__(self, kind: str, detail: str, answer: object = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.answer = answer  # a malformed answer is still evidence


def encode(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


async def exchange(session: aiohttp.ClientSession, url: str, body: bytes,
                   headers: dict[str, str], timeout_s: float) -> tuple[int, bytes, str | None]:
    """POST ``body`` (a message on its binding's wire) to ``url``; return the HTTP status, the
    answer's bytes and its test-case header (a binding's side channel)."""
    try:
        async with session.post(url, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            raw = await response.read()
            return response.status, raw, response.headers.get(TEST_CASE_HEADER)
    except TimeoutError:
        raise PeerError("timeout", f"no answer from {url} within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise PeerError("unreachable", f"{url}: {exc}") from None


class BodyError(Exception):
    """A request body a service will not take: ``status`` is the HTTP status that says why
    (413 too large, 408 not arrived in time), for answers outside ``/messages``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def read_body(request: web.Request) -> bytes:
    """The whole body of ``request``, read once (aiohttp keeps it for the handler's own
    ``read()``), within :data:`MAX_BODY_BYTES` and :data:`BODY_READ_TIMEOUT_S`; the
    application's ``client_max_size`` must be :data:`MAX_BODY_BYTES`, which bounds a body
    that does not announce its length. aiohttp's server has no timeout of its own for a body
    (``keepalive_timeout`` closes idle connections between requests, ``handler_cancellation``
    acts only when the client disconnects), hence the one here."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise BodyError(413, f"body of {request.content_length} bytes is over the limit of "
                             f"{MAX_BODY_BYTES}")
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_S):
            return await request.read()
    except TimeoutError:
        raise BodyError(408, f"body did not arrive in full within {BODY_READ_TIMEOUT_S:g} s") \
            from None
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, f"body is over the limit of {MAX_BODY_BYTES} bytes") from None
    except (ConnectionError, HttpProcessingError) as exc:
        # the sender closed its side mid-body, or broke the chunked encoding: an answer is
        # still due, even if nobody reads it
        raise BodyError(400, f"body did not arrive in full: {exc}") from None


def listen(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (``port`` 0 picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A service restarted on its port must not wait for the old connections' TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
