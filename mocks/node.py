"""What every simulated participant shares: its identity, its peers' keys, and the checks it
makes on every message it receives and every answer it gets back."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from mocks import lax
from mocks.defects import Defects
from qrinterop.ics.service_config import ServiceConfig, ServiceConfigError, timing_scale
from qrinterop.ics.service_config import participants as network_participants
from qrinterop.profile import Profile, load_profile
from qrinterop.protocol import transport
from qrinterop.protocol.bindings import Wire, WireError, binding, signature_ok
from qrinterop.protocol.bindings.base import TEST_CASE_HEADER
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, beijing_now, seal
from qrinterop.protocol.fields import decrypt_field, encrypt_field
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.server import NOT_JSON, Responder
from qrinterop.protocol.validation import schema_problems

if TYPE_CHECKING:
    from mocks.tap import Tap

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: The leg a request travels on, from the leg its answer travels on.
OTHER_LEG = {"to-switch": "from-switch", "from-switch": "to-switch"}


class NetworkConfigError(ServiceConfigError):
    """A network configuration (``PUT /control/network``, or the runner's config) that cannot
    be taken; nothing of it has been applied."""


def header_text(message: object, name: str) -> str | None:
    """A header field of a received message, if the message has it as a string: what arrives
    may be anything, and only a string may be looked up or stored."""
    header = message.get("header") if isinstance(message, dict) else None
    value = header.get(name) if isinstance(header, dict) else None
    return value if isinstance(value, str) else None


class Node:
    """A participant on the simulated network, configured by the runner's JSON config."""

    #: The leg this participant's answers travel on (the switch's: from-switch).
    ANSWER_LEG = "response.to-switch"

    def __init__(self, config: ServiceConfig, profile: Profile | None = None) -> None:
        self.config = config
        self.defects = Defects(config.defects)     # an unknown name: refused first
        self.id: str = config.id
        if config.key_file is None:
            raise ServiceConfigError(f"{config.id}: no key_file: a simulator signs with the "
                                     "key the harness made for it")
        self.party = Party(self.id, SigningKey.load(Path(config.key_file)), config.key_id)
        self.profile = profile or load_profile(
            Path(config.profile_dir) if config.profile_dir else None)
        check_freshness = not (self.defects.on("skip-freshness-check")
                               or self.defects.on("switch-skips-freshness-check"))
        guard = lax.guard(self.defects, self.profile.business["replay"]["window_s"]["value"])
        try:
            wire = lax.wire(self.defects, binding(config.binding, self.profile),
                            lambda: self.keys.key_ids(self.id))
        except KeyError as exc:
            raise ServiceConfigError(f"{config.id}: {exc.args[0]}") from None
        self.responder = Responder(self.profile, self.party, KeyRing(),
                                   guard if check_freshness else None,
                                   lax.verifier(self.defects), wire, self.ANSWER_LEG)
        self.join(config.as_dict())
        self.http: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task] = set()     # work that outlives a request
        self.tap: Tap | None = None               # the harness's view, where it has one

    def join(self, network: dict) -> None:
        """Take the run's network (a config, or ``PUT /control/network``): every
        participant's registration and keys, and the timing scale. All of it is read before
        any of it is applied, so a network that cannot be taken (:class:`NetworkConfigError`)
        leaves the participant as it was."""
        participants, keys, scale = self.read_network(network)
        self.participants = participants
        self.keys = self.responder.keyring = keys
        self.scale: float = scale

    @staticmethod
    def read_network(network: object) -> tuple[dict[str, dict], KeyRing, float]:
        """The registrations by ID, their key ring and the timing scale of a network (the
        service configuration's reading of them), or :class:`NetworkConfigError` naming what
        is wrong with it."""
        try:
            if not isinstance(network, dict):
                raise ServiceConfigError(f"a JSON object, not {type(network).__name__}")
            participants = {p["id"]: p for p in network_participants(network)}
            keys = KeyRing.from_registrations(participants.values())
            scale = timing_scale(network)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            raise NetworkConfigError(f"network cannot be joined: {type(exc).__name__}: "
                                     f"{exc}") from None
        return participants, keys, scale

    def encrypt_for(self, receiver: str, value: dict) -> dict:
        """A sensitive field encrypted for ``receiver``'s newest registered key (R-SEC-05)."""
        key_id = self.keys.key_ids(receiver)[-1]
        return encrypt_field(value, self.keys.key(receiver, key_id), key_id)

    def open_field(self, field: object) -> dict:
        """A sensitive field encrypted for this participant; :class:`FieldDecryptionError`
        says why it cannot be opened."""
        return decrypt_field(field, self.party.key, self.party.key_id)

    def spawn(self, work: Coroutine) -> None:
        """Run ``work`` in the background, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def timing(self, name: str) -> float:
        return self.profile.seconds(name, self.scale)

    async def _start_http(self, _app: web.Application) -> None:
        self.http = aiohttp.ClientSession()
        self.resume()

    def resume(self) -> None:
        """Take up again, after a restart, the background work the state on disk says was
        under way when the process stopped (none here; participants override)."""

    async def _stop_http(self, _app: web.Application) -> None:
        await self.http.close()

    async def _health(self, _request: web.Request) -> web.Response:
        """Alive; which process answered (one of the switch's several, say)."""
        return web.json_response({"ok": True, "id": self.id, "pid": os.getpid()})

    def application(self, on_message: Handler, middlewares: Iterable = ()) -> web.Application:
        """The participant's HTTP service: its message endpoint, a health check, and the HTTP
        client session it sends with, opened and closed with the service."""
        app = web.Application(middlewares=[self._bounded_body, *middlewares],
                              client_max_size=transport.MAX_BODY_BYTES)
        app.on_startup.append(self._start_http)
        app.on_cleanup.append(self._stop_http)
        app.router.add_post(transport.MESSAGE_PATH, self._never_unanswered(on_message))
        app.router.add_get("/health", self._health)
        return app

    @web.middleware
    async def _bounded_body(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Outermost on every path: the body is read here, within the size and time bounds
        (transport.read_body), so no handler waits on a stalled sender or holds a flood; and
        whatever reaches ``/messages`` (another method, a body over the bounds) is answered
        with a signed refusal, as every message is."""
        on_messages = request.path == transport.MESSAGE_PATH
        if on_messages and request.method != "POST":
            return self.answer(self.refuse({}, NOT_JSON, f"messages are sent by POST, not "
                                                         f"{request.method}"))
        try:
            await transport.read_body(request)
        except transport.BodyError as exc:
            if on_messages:
                return self.answer(self.refuse({}, NOT_JSON, str(exc)))
            return web.json_response({"error": str(exc)}, status=exc.status)
        return await handler(request)

    def _never_unanswered(self, on_message: Handler) -> Handler:
        """Whatever goes wrong inside, the sender gets a signed answer from the profile's
        vocabulary, never an HTTP 500 or a dropped connection."""
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                return await on_message(request)
            except Exception as exc:
                logging.getLogger(__name__).exception("message handler failed")
                try:       # for the answer's correlation; the body was read and bounded
                    message = self.decoded(await request.read(), request, "to-switch")
                except (WireError, ValueError):
                    message = {}
                return self.answer(self.refuse(message, "06",
                                               f"internal error: {type(exc).__name__}"))
        return handler

    def answer(self, message: dict) -> web.Response:
        """``message``, an answer of this participant's, on its binding's wire."""
        wire = self.responder.encode(message)
        return web.Response(body=wire.body, headers=wire.headers())

    @property
    def wire(self):
        """The binding this participant speaks."""
        return self.responder.wire

    def decoded(self, raw: bytes, request: web.Request, leg: str) -> object:
        """A received request decoded without any check (for correlating an answer)."""
        return self.wire.decode(Wire(raw, self.wire.content_type,
                                     request.headers.get(TEST_CASE_HEADER)),
                                f"request.{leg}", self.keys, self.id)

    def reply(self, request: object, body: dict) -> dict:
        return self.responder.reply(request, body)

    def refuse(self, request: object, code: str, detail: str = "") -> dict:
        return self.responder.refuse(request, code, detail)

    def check_inbound(self, request: web.Request, raw: bytes, leg: str, verify: bool = True,
                      validate: bool = True) -> tuple[dict, dict | None]:
        return self.responder.check(raw, leg, verify, validate,
                                    request.headers.get(TEST_CASE_HEADER))

    async def send(self, receiver: str, msg_type: str, body: dict, leg: str,
                   test_case_id: str | None, timeout_s: float,
                   clock_skew_s: float = 0.0) -> dict:
        """Send a signed message to ``receiver`` and return its answer once checked; ``leg``
        is the answer's. Both are logged on the tap.

        Raises :class:`transport.PeerError` for no answer, and kind ``malformed`` for an
        answer that is badly signed or breaks its schema: either way the outcome is unknown.
        """
        message = seal(self.party, msg_type, receiver, body, test_case_id=test_case_id,
                       sent_at=beijing_now() + timedelta(seconds=clock_skew_s),
                       signer=self.wire, leg=f"request.{OTHER_LEG[leg]}")
        self.log("out", receiver, OTHER_LEG[leg],
                 self.wire.evidence(message, f"request.{OTHER_LEG[leg]}"))
        try:
            answer = await self._checked_answer(receiver, message, leg, timeout_s)
        except transport.PeerError as exc:
            self.log("in", receiver, leg, exc.answer, note=str(exc))
            raise
        self.log("in", receiver, leg, answer)
        return answer

    def log(self, *hop: object, **details: object) -> None:
        """One hop on the tap (Tap.record), if this simulator has one."""
        if self.tap is not None:
            self.tap.record(*hop, **details)

    async def _checked_answer(self, receiver: str, message: dict, leg: str,
                              timeout_s: float) -> dict:
        url = self.participants[receiver]["url"]
        wire = self.wire.encode(message, f"request.{OTHER_LEG[leg]}")
        _status, raw, test_case = await transport.exchange(self.http, url, wire.body,
                                                           wire.headers(), timeout_s)
        try:
            answer = self.wire.decode(Wire(raw, self.wire.content_type, test_case),
                                      f"response.{leg}", self.keys, self.id, receiver)
        except WireError as exc:
            raise transport.PeerError("malformed", f"{receiver} answered with a body that is "
                                      f"no message: {exc}",
                                      raw[:2000].decode("utf-8", "replace")) from None
        trusted = self.defects.on("trust-unverified-answers") or (
            header_text(message, "msgType") == "mpm.inquiry.request"
            and self.defects.on("wallet-trusts-unsigned-inquiry")) or lax.trusts(
            self.defects, message["header"]["msgType"])
        signed = trusted or signature_ok(answer, self.keys)
        if header_text(answer, "sender") != receiver or not signed:
            raise transport.PeerError("malformed", f"answer from {receiver} is not signed by it",
                                      answer)
        problems = schema_problems(self.profile, answer, leg)
        if problems:
            raise transport.PeerError("malformed", "; ".join(problems), answer)
        return answer
