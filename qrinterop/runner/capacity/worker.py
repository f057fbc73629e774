"""A capacity run's Locust worker: ``python -m qrinterop.runner.capacity.worker
--master-host H --master-port P``.

It needs nothing but the master's address, so the same command run on another machine adds
load (scale-out): the master sends each worker its share (accounts, merchant codes, the
addresses of the SUT and the peers, the switch's key for status queries) in a custom
message, and each worker reports its samples every second with its Locust stats.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import locust.runners
from locust import events
from locust.env import Environment

from qrinterop.runner.capacity.traffic import Traffic
from qrinterop.runner.capacity.users import (
    CONFIG,
    CONFIGURED,
    RATE,
    STATE,
    TransactionUser,
    exit_with_parent,
)

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
