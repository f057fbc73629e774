"""A capacity run's Locust master: ``python -m qrinterop.runner.capacity.master``, started by
:mod:`.engine` with the run's configuration as one JSON line on its stdin (it holds the
switch's private key: never a file). It talks on stdout, one JSON line per event:
``listening`` (its port), ``waiting`` (workers so far), ``progress`` (each second), and
``result`` (every sample merged) at the end, or ``failed`` with the reason.

It waits for the workers it is told to expect (local ones the engine starts, remote ones
started by hand with the master's address), hands each its share in a custom message, runs
the load shape, then waits for every worker's last report (sent once its users stopped)
before it answers.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import gevent
from locust import LoadTestShape, events
from locust.env import Environment
from locust.runners import MasterRunner, Message

from qrinterop.runner.capacity.messages import CONFIG, CONFIGURED, RATE
from qrinterop.runner.capacity.series import Samples, percentile
from qrinterop.runner.capacity.shape import Stage, mean_target, target_at, users_for
from qrinterop.runner.capacity.worker.__main__ import TransactionUser, exit_with_parent

#: Users a second Locust may add or remove: more than any step of a shape, so that the
#: users follow the target each second.
SPAWN_RATE = 1000.0
#: Seconds to wait for the workers' configuration and their last reports.
HANDSHAKE_S = 30.0


class Refused(Exception):
    """The run cannot go on; the reason is one line for the user."""


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class CapacityShape(LoadTestShape):
    """The profile's stages as Locust users, each second: None once they are over."""

    def __init__(self, stages: list[Stage]) -> None:
        super().__init__()
        self.stages = stages

    def tick(self) -> tuple[int, float] | None:
        found = target_at(self.stages, self.get_run_time())
        return None if found is None else (users_for(found[0]), SPAWN_RATE)


class Gathering:
    """What the workers reported: their samples merged, the transactions they left unknown,
    the clearing days they saw, and which of them sent their last report."""

    def __init__(self) -> None:
        self.samples = Samples()
        self.pending: list[list[str]] = []
        self.settle_dates: set[str] = set()
        self.final: set[str] = set()
        self.configured: set[str] = set()
        self.refused: list[str] = []        # why a worker could not take its share

    def on_configured(self, environment: Environment, msg: Message, **_: object) -> None:
        self.configured.add(msg.node_id)
        if msg.data.get("error"):
            self.refused.append(f"worker {msg.node_id}: {msg.data['error']}")

    def on_report(self, client_id: str, data: dict) -> None:
        part = data.get("qrinterop")
        if not part:
            return
        self.samples.absorb(part)
        self.pending.extend(part["pending"])
        self.settle_dates.update(part["settle_dates"])
        if part["final"]:
            self.final.add(client_id)


def wait_until(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        gevent.sleep(0.2)
    return True


def hand_out(runner: MasterRunner, gathering: Gathering, shares: list[dict],
             expect: int, wait_s: float) -> list[str]:
    """Wait for ``expect`` workers, send each its share; the IDs of those configured."""
    last = -1
    deadline = time.monotonic() + wait_s
    while runner.worker_count < expect and time.monotonic() < deadline:
        if runner.worker_count != last:
            last = runner.worker_count
            say("waiting", workers=last, expect=expect,
                master=f"{runner.master_bind_host}:{runner.master_bind_port}")
        gevent.sleep(0.2)
    if runner.worker_count < expect:
        raise Refused(f"only {runner.worker_count} of {expect} workers joined the master in "
                      f"{wait_s:g} s")
    workers = [client.id for client in runner.clients.ready][:expect]
    for client_id, share in zip(workers, shares, strict=True):
        runner.send_message(CONFIG, share, client_id=client_id)
    if not wait_until(lambda: gathering.configured >= set(workers), HANDSHAKE_S):
        raise Refused("the workers did not take their configuration")
    if gathering.refused:
        raise Refused("; ".join(gathering.refused))
    return workers


def pace(runner: MasterRunner, stages: list[Stage], second: int, workers: int) -> None:
    """Tell every worker, at ``second``, its share of the target: that of the next second,
    whose slots its users reserve now (``pacing.HORIZON_S`` ahead)."""
    runner.send_message(RATE, {"tps": mean_target(stages, second + 1) / workers})


def progress(runner: MasterRunner, gathering: Gathering, stages: list[Stage],
             started: float) -> dict:
    """The line of one second: the latest complete second's rate and latency (the workers
    report each second), errors so far, users, stage and time left."""
    now = time.time()
    t = now - started
    found = target_at(stages, t)
    second = gathering.samples.seconds.get(int(now) - 2, {"n": 0, "ms": []})
    return {"t": round(t, 1), "tps": second["n"],
            "p50_ms": percentile(second["ms"], 0.5), "p99_ms": percentile(second["ms"], 0.99),
            "requests": gathering.samples.requests, "errors": gathering.samples.failures,
            "users": runner.user_count, "stage": found[1] if found else "done",
            "target_tps": round(found[0], 2) if found else 0.0,
            "left_s": round(max(0.0, stages[-1].end_s - t), 1)}


def run(config: dict) -> dict:
    stages = [Stage(**s) for s in config["stages"]]
    environment = Environment(user_classes=[TransactionUser], events=events,
                              shape_class=CapacityShape(stages),
                              stop_timeout=config["stop_timeout_s"])
    runner = environment.create_master_runner(config["bind_host"], config["port"])
    gathering = Gathering()
    environment.events.worker_report.add_listener(gathering.on_report)
    runner.register_message(CONFIGURED, gathering.on_configured)
    say("listening", host=config["bind_host"], port=config["port"])
    workers = hand_out(runner, gathering, config["shares"], len(config["shares"]),
                       config["wait_workers_s"])
    # Start on a whole second: the workers count by whole Unix seconds, and the run's
    # seconds are then the same ones, none split between two rows.
    gevent.sleep(1.0 - time.time() % 1.0)
    started = time.time()
    pace(runner, stages, 0, len(workers))
    runner.start_shape()
    while runner.shape_greenlet is not None:
        say("progress", **progress(runner, gathering, stages, started))
        gevent.sleep(1.0 - (time.time() - started) % 1.0)
        pace(runner, stages, round(time.time() - started), len(workers))
    if not wait_until(lambda: gathering.final >= set(workers), HANDSHAKE_S):
        raise Refused(f"{len(set(workers) - gathering.final)} worker(s) sent no last report: "
                      f"their samples are incomplete")
    result = {"started_at": started, "workers": len(workers),
              "samples": gathering.samples.drain(), "pending": gathering.pending,
              "settle_dates": sorted(gathering.settle_dates)}
    runner.quit()
    return result


def main() -> None:
    config = json.loads(sys.stdin.readline())
    exit_with_parent()
    try:
        result = run(config)
    except Refused as exc:
        say("failed", reason=str(exc))
        return
    say("result", **result)


if __name__ == "__main__":
    main()
