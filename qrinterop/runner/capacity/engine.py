"""``run_capacity``: one capacity run against an SUT in a running network, from opening the
accounts to the measured section (issue 18).

This is the harness's side and never imports Locust: it opens each worker's share of
accounts and codes, starts the Locust master (``python -m qrinterop.runner.capacity.master``,
its configuration on stdin) and the local workers as child processes, turns the master's
per-second lines into progress calls (and faults, when asked), then settles the run and
judges money on the network it holds. Remote workers (scale-out) join the same master by its
address: ``python -m qrinterop.runner.capacity.worker --master-host H --master-port P``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qrinterop.errors import LaunchError, UsageError
from qrinterop.ics.model import Ics
from qrinterop.profile import Profile, load_profile, profile_folder
from qrinterop.protocol.bindings.base import DEFAULT_BINDING
from qrinterop.runner.capacity.faults import FaultFeeder
from qrinterop.runner.capacity.plan import Plan
from qrinterop.runner.capacity.section import aborted_section, measured_section
from qrinterop.runner.capacity.settle import settle
from qrinterop.runner.capacity.shares import PERSONAS, addresses, open_shares
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.processes.network import Network
from qrinterop.runner.scenarios.conservation import network_clients

#: Seconds a run lasts when neither the options nor the ICS say.
DEFAULT_DURATION_S = 60


@dataclass
class CapacityOptions:
    ics: Path | None = None
    tps: float | None = None            # None: the ICS's declared peak (capacity.peak_tps)
    duration_s: int | None = None       # None: the ICS's capacity.duration_s, else 60
    workers: int = 2                    # local worker processes the engine starts
    remote_workers: int = 0             # workers started elsewhere, waited for
    master_host: str = "127.0.0.1"      # the address the master binds (remote: reachable)
    master_port: int = 0                # 0: a free port
    wait_workers_s: float = 60.0        # how long the master waits for every worker
    fault_share: float = 0.0            # share of transactions whose answer is spoilt
    out: Path | None = None
    defects: tuple[str, ...] = ()       # added to the ICS's own; used by selftest
    binding: str | None = None          # in place of the ICS's sut.binding; used by selftest
    sign_key: Path | None = None        # the bundle signing key (qrinterop keygen)
    command: str = "qrinterop capacity"
    base_port: int = 0                  # the switch's port, the SUT and peers the next (0: free)


@contextmanager
def capacity_network(options: CapacityOptions, run_dir: Path) -> Iterator[Network]:
    """The network a capacity run needs around the ICS's SUT, started as certify starts it;
    stopped on leaving. A switch SUT is refused (one line)."""
    suite, _profile, ics, _path = load_inputs(inputs_of(options))
    if ics.institution.is_switch:
        raise UsageError("capacity runs certify an institution; a switch SUT is not supported "
                         "yet")
    # Only the peers the traffic uses: no more processes on the machine than it needs.
    # The simulated switch on every core, so that it is not what caps the SUT's rate.
    with running_network(suite, ics, run_dir, options.base_port, PERSONAS,
                         switch_processes=os.cpu_count() or 1) as network:
        yield network


def inputs_of(options: CapacityOptions) -> CertifyOptions:
    """The certification inputs a capacity run reads: its ICS, with selftest's additions."""
    return CertifyOptions(ics=options.ics, defects=options.defects, binding=options.binding)


def run_capacity(options: CapacityOptions, network: Network, run_dir: Path,
                 on_progress: Callable[[dict], None] = lambda _line: None) -> dict:
    """Drive the SUT of ``network`` at the target rate through the profile's stages and
    return the measured section (before judging). ``on_progress`` gets each second's line:
    t, tps, p50_ms, p99_ms, requests, errors, users, stage, target_tps, left_s; before the
    run, while the master waits for its workers, lines of stage "waiting" (workers, expect,
    master)."""
    ics = _sut_ics(network)
    profile = load_profile(profile_folder(ics.profile))
    plan = plan_of(options, ics, profile)
    timeout_s = ics.sut.control_timeout_s or profile.timing["upper_tester_timeout_s"]
    shares = open_shares(network, ics, profile, plan,
                         options.workers + options.remote_workers, timeout_s,
                         _common(network, ics, plan, timeout_s))
    config = {"bind_host": options.master_host,
              "port": options.master_port or _free_port(options.master_host),
              "stages": [s.as_dict() for s in plan.stages], "shares": shares.shares,
              "stop_timeout_s": timeout_s + 5, "wait_workers_s": options.wait_workers_s}
    injected: list[int] = []
    try:
        with _faults(network, ics, options.fault_share, on_progress, injected) as progress:
            result = drive(config, options.workers, run_dir / "logs", progress)
    except LaunchError as exc:      # the engine or the SUT failed: what ran is still evidence
        return aborted_section(plan, options.workers + options.remote_workers, str(exc))
    settlement = settle(network, result["pending"], result["settle_dates"], plan.settle_s,
                        shares.openings)
    return measured_section(plan, result, settlement, sum(injected))


def plan_of(options: CapacityOptions, ics: Ics, profile: Profile) -> Plan:
    """The run's plan, or a :class:`UsageError` saying why there can be none (called before
    anything starts, and again by :func:`run_capacity`)."""
    plan = Plan.of(profile.capacity, set(ics.institution.roles), *_rate(options, ics))
    if not plan.mix:
        raise UsageError("no kind of the profile's capacity mix applies to the SUT's roles")
    return plan


@contextmanager
def _faults(network: Network, ics: Ics, share: float, on_progress: Callable[[dict], None],
            injected: list[int]) -> Iterator[Callable[[dict], None]]:
    """``on_progress``, programming each second's faults first when ``share`` asks for
    some; the faults not used up are cleared at the end, and ``injected`` gets how many the
    switch did use: each may leave one transaction's outcome unknown, by the harness's doing."""
    tap, _clients = network_clients(network)
    if tap is None or not share:
        yield on_progress
        return
    feeder = FaultFeeder(tap, network.sut.id, set(ics.institution.roles), share)

    def progress(line: dict) -> None:
        if line["stage"] != "waiting":
            feeder.second(line["target_tps"])
        on_progress(line)
    try:
        yield progress
    finally:
        injected.append(len(feeder.programmed) - tap.clear_faults())


def _sut_ics(network: Network) -> Ics:
    if network.sut.ics is None:
        raise LaunchError("the network's SUT came with no ICS")
    return network.sut.ics


def _rate(options: CapacityOptions, ics: Ics) -> tuple[float, int]:
    """The target rate and duration: the options', else the ICS's declaration."""
    declared = ics.capacity
    tps = options.tps or (declared and declared.peak_tps)
    if not tps:
        raise UsageError("no target rate: give --tps or declare capacity.peak_tps in the ICS")
    duration = options.duration_s or (declared and declared.duration_s) or DEFAULT_DURATION_S
    return float(tps), int(duration)


def _common(network: Network, ics: Ics, plan: Plan, timeout_s: float) -> dict:
    """What every worker's share carries: where the parties are, the mix, and the switch's
    key and the network's registrations, to sign status queries and check their answers."""
    switch = network.switch
    return {**addresses(network), "profile": ics.profile,
            "binding": ics.sut.binding or DEFAULT_BINDING, "mix": plan.mix,
            "amount": plan.amount_fen, "timeout_s": timeout_s,
            "switch": {"id": switch.id, "key_pem": switch.own_key.private_pem().decode(),
                       "key_id": switch.key_id},
            "registrations": network.registrations()}


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _child(module: str, args: list[str], log: Path, stdin: int | None = None,
           stdout: int | None = None) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as err:
        return subprocess.Popen([sys.executable, "-m", module, *args], stdin=stdin,
                                stdout=stdout if stdout is not None else err, stderr=err)


def drive(config: dict, local_workers: int, logs: Path,
          on_progress: Callable[[dict], None]) -> dict:
    """Run the master and ``local_workers`` workers to the end of the shape; the master's
    result (every sample merged, the refs left unknown, the clearing days seen)."""
    with ExitStack() as stack:
        master = stack.enter_context(_stopping(_child(
            "qrinterop.runner.capacity.master", [], logs / "capacity-master.log",
            subprocess.PIPE, subprocess.PIPE)))
        assert master.stdin is not None and master.stdout is not None
        master.stdin.write(json.dumps(config).encode() + b"\n")
        master.stdin.flush()
        # The workers start beside the master, not after it (zmq connects when the master
        # binds): each spends seconds importing Locust.
        for n in range(local_workers):
            stack.enter_context(_stopping(_child(
                "qrinterop.runner.capacity.worker",
                ["--master-host", _reach(config["bind_host"]), "--master-port",
                 str(config["port"]), "--exit-with-stdin"],
                logs / f"capacity-worker-{n + 1}.log", subprocess.PIPE)))
        for line in _lines(master.stdout):
            if line["event"] in ("progress", "waiting"):
                on_progress(_progress_line(line))
            elif line["event"] in ("result", "failed"):
                return _result(line)
    raise LaunchError(f"the Locust master ended without a result: see "
                      f"{logs / 'capacity-master.log'}")


def _result(line: dict) -> dict:
    if line["event"] == "failed":
        raise LaunchError(f"capacity run: {line['reason']}")
    return line


def _progress_line(line: dict) -> dict:
    """A master's line as ``on_progress`` gets it: a second of the run, or, before the run,
    the workers that joined (``stage`` "waiting", ``workers`` of ``expect``, ``master``
    host:port, where remote workers are to join)."""
    fields = {k: v for k, v in line.items() if k != "event"}
    return {**fields, "stage": "waiting"} if line["event"] == "waiting" else fields


def _lines(stream: IO[bytes]) -> Iterator[dict]:
    for raw in stream:
        try:
            yield json.loads(raw)
        except ValueError:
            continue


def _reach(bind_host: str) -> str:
    """Where a local worker reaches a master bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "") else bind_host


@contextmanager
def _stopping(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """A child process, ended on leaving (asked, then killed)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
