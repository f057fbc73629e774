"""The Locust side shared by the master and the workers: the user class and the worker's
state. Imported only in their processes (Locust's gevent patches sockets on import).

The worker's users share its start slots (:class:`~.pacing.Pacer`), spaced at the rate the
master sends it each second; the load shape sets how many users there are. A transaction is
one Locust request event (type ``TXN``, named by its kind), fired by hand rather than by an
HTTP client per call (as ``HttpUser``'s would): a setup call is no request, and the latency
is that of the call that made the payment, refund or query.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import gevent
import requests
from locust import User, task

from qrinterop.runner.capacity.pacing import LOOK_AGAIN_S, Pacer
from qrinterop.runner.capacity.series import Samples
from qrinterop.runner.capacity.traffic import Done, Failed, Traffic

#: The custom messages between master and workers: a share, its receipt, the worker's rate.
CONFIG, CONFIGURED, RATE = "qrinterop-config", "qrinterop-configured", "qrinterop-rate"


@dataclass
class WorkerState:
    """What a worker knows: its share (None until the master sent it), the samples not yet
    reported, and whether its users have stopped (the next report is the last)."""

    traffic: Traffic | None = None
    pacer: Pacer = field(default_factory=Pacer)
    samples: Samples = field(default_factory=Samples)
    flushing: bool = False

    def report(self) -> dict:
        """Everything gathered since the last report, for the master."""
        extra = self.traffic.drain() if self.traffic else {"pending": [], "settle_dates": []}
        return {**self.samples.drain(), **extra, "final": self.flushing}


STATE = WorkerState()


def exit_with_parent() -> None:
    """End this process when its stdin reaches its end: the harness that started it ended,
    even killed by SIGKILL, and leaves no Locust process behind (read in a real thread:
    gevent does not make a pipe cooperative)."""
    watcher = gevent.get_hub().threadpool.spawn(sys.stdin.buffer.read)
    watcher.rawlink(lambda _result: os._exit(3))


class TransactionUser(User):
    slot = False        # whether the user holds a start slot (none before its first wait)

    def on_start(self) -> None:
        self.http = requests.Session()

    def wait_time(self) -> float:
        """Until the user's next start slot, or, with none free, until it looks again."""
        delay = STATE.pacer.reserve(time.time())
        self.slot = delay is not None
        return LOOK_AGAIN_S if delay is None else delay

    @task
    def transact(self) -> None:
        traffic = STATE.traffic
        if traffic is None or not self.slot:    # not configured yet, or no slot
            return
        try:
            done = traffic.one(self.http)
        except Exception as exc:    # counted, never lost: a harness fault
            done = Done("harness", 0.0, 0.0, f"{type(exc).__name__} in the harness")
        STATE.samples.add(done.kind, done.ended_at, done.ms, done.error)
        self.environment.events.request.fire(
            request_type="TXN", name=done.kind, response_time=done.ms, response_length=0,
            exception=Failed(done.error) if done.error else None, context={})
