"""A capacity run's Locust worker: ``python -m qrinterop.runner.capacity.worker
--master-host H --master-port P``.

It needs nothing but the master's address, so the same command run on another machine adds
load (scale-out): the master sends each worker its share (accounts, merchant codes, the
addresses of the SUT and the peers, the switch's key for status queries) in a custom
message, and each worker reports its samples every second with its Locust stats.

The worker's users share its start slots (:class:`~.pacing.Pacer`), spaced at the rate the
master sends it each second; the load shape sets how many users there are. A transaction is
one Locust request event (type ``TXN``, named by its kind), fired by hand rather than by an
HTTP client per call (as ``HttpUser``'s would): a setup call is no request, and the latency
is that of the call that made the payment, refund or query.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import gevent
import locust.runners
import requests
from locust import User, events, task
from locust.env import Environment

from qrinterop.runner.capacity.messages import CONFIG, CONFIGURED, RATE
from qrinterop.runner.capacity.pacing import LOOK_AGAIN_S, Pacer
from qrinterop.runner.capacity.series import Samples
from qrinterop.runner.capacity.traffic import Done, Failed, Traffic


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


#: Seconds between a worker's reports (Locust's default is 3): the master's per-second
#: progress line shows the second before last.
REPORT_INTERVAL_S = 1.0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, required=True)
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="end when stdin closes (a worker the harness started itself)")
    args = parser.parse_args(argv)
    if args.exit_with_stdin:
        exit_with_parent()
    locust.runners.WORKER_REPORT_INTERVAL = REPORT_INTERVAL_S
    environment = Environment(user_classes=[TransactionUser], events=events)
    runner = environment.create_worker_runner(args.master_host, args.master_port)

    def configure(environment: Environment, msg: locust.runners.Message, **_: object) -> None:
        """Take the share; tell the master it did, or why not (a remote worker's log is not
        where the user looks)."""
        try:
            STATE.traffic = Traffic(msg.data)
        except Exception as exc:    # any: the master stops the run with the reason
            runner.send_message(CONFIGURED, {"error": f"{type(exc).__name__}: {exc}"})
            return
        runner.send_message(CONFIGURED, {"error": None})

    def rate(environment: Environment, msg: locust.runners.Message, **_: object) -> None:
        STATE.pacer.tps = msg.data["tps"]

    def stopped(**_: object) -> None:
        """Its users are stopped (each finished the transaction it was making): the next
        report is the last. Not a message from the master: a stopping worker handles none
        for the stop timeout."""
        STATE.flushing = True

    def report(client_id: str, data: dict) -> None:
        data["qrinterop"] = STATE.report()

    runner.register_message(CONFIG, configure)
    runner.register_message(RATE, rate)
    environment.events.test_stop.add_listener(stopped)
    environment.events.report_to_master.add_listener(report)
    runner.greenlet.join()


if __name__ == "__main__":
    main()
