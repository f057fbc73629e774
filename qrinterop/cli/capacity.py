"""``qrinterop capacity`` and ``qrinterop capacity-worker``: an institution proves it holds its
declared peak (issue 18), alone or spread over several machines.

The load runs in Locust's own processes (a master and its workers, never this one: Locust's
gevent patches whatever imports it); this process starts the network and the SUT, shows one
live line a second and writes the bundle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.markup import escape

from qrinterop.cli.options import UserPath, port_option
from qrinterop.cli.terminal import STYLE, console


def progress_line(line: dict) -> str:
    """What the terminal shows of one second of the run: where the shape is, what the SUT
    holds against the target, its latency and errors, and the time left; while the master
    waits for its workers, how many have joined."""
    if line["stage"] == "waiting":
        return (f"waiting for workers: {line['workers']} of {line['expect']} joined the "
                f"master at {line['master']}")
    return (f"{line['t']:>4} s  {line['stage']:<8} {line['tps']:>7.1f} tps "
            f"(target {line['target_tps']:.1f})  p50 {_ms(line['p50_ms'])}  "
            f"p99 {_ms(line['p99_ms'])}  errors {line['errors']}  "
            f"users {line['users']}  {line['left_s']} s left")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


@contextmanager
def live_line() -> Iterator[Callable[[dict], None]]:
    """Show each second of a run: on a terminal one line rewritten in place; elsewhere every
    tenth second a line of its own (a CI log keeps a readable trace, not a thousand carriage
    returns)."""
    shown = []

    def show(line: dict) -> None:
        shown.append(True)
        if console.is_terminal:
            console.file.write("\r\x1b[2K" + progress_line(line))
            console.file.flush()
        elif line["stage"] == "waiting" or int(line["t"]) % 10 == 0:
            console.print(progress_line(line))
    try:
        yield show
    finally:
        if shown and console.is_terminal:
            console.file.write("\n")


@click.command("capacity")
@click.option("--ics", type=UserPath(dir_okay=False),
              help="The institution's ICS (YAML), with its capacity declaration. Default: the "
                   "bundled reference institution.")
@click.option("--tps", type=click.FloatRange(min=0, min_open=True),
              help="Target rate, transactions per second. Default: the ICS's capacity.peak_tps.")
@click.option("--duration", type=click.IntRange(10, 86_400),
              help="Seconds the load lasts, through the profile's stages. Default: the ICS's "
                   "capacity.duration_s.")
@click.option("--workers", type=click.IntRange(0, 64), default=2, show_default=True,
              help="Locust worker processes started on this machine.")
@click.option("--remote-workers", type=click.IntRange(0, 1024), default=0, show_default=True,
              help="Workers started on other machines (qrinterop capacity-worker), waited for.")
@click.option("--master-host", default="127.0.0.1", show_default=True,
              help="Address the Locust master binds; remote workers connect to it.")
@click.option("--master-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port of the Locust master (0: a free one; give one for remote workers).")
@click.option("--faults", type=click.FloatRange(0, 0.5), default=0.0, show_default=True,
              help="Share of the SUT's transactions whose answer the switch makes late or "
                   "loses (the profile's fault plan): a soak of the recovery paths.")
@click.option("--out", type=UserPath(file_okay=False),
              help="Run folder to create. Default: reports/<run-id>/ in the current folder.")
@click.option("--sign-key", type=UserPath(dir_okay=False),
              help="Sign the run folder's manifest with this key (qrinterop keygen).")
@port_option
def capacity_command(ics: Path | None, tps: float | None, duration: int | None, workers: int,
                     remote_workers: int, master_host: str, master_port: int, faults: float,
                     out: Path | None, sign_key: Path | None, base_port: int) -> None:
    """Certify that an institution sustains its declared peak of mixed traffic.

    Exit code 0 the capacity requirements are met, 1 not met, 2 usage or configuration
    error, 3 inconclusive.
    """
    from qrinterop.runner.capacity.certification import capacity
    from qrinterop.runner.capacity.engine import CapacityOptions

    if workers + remote_workers == 0:
        raise click.UsageError("no worker: give --workers or --remote-workers")
    console.print(f"qrinterop: capacity of {ics or 'the bundled reference institution'}")
    with live_line() as live:
        outcome = capacity(CapacityOptions(
            ics=ics, tps=tps, duration_s=duration, workers=workers,
            remote_workers=remote_workers, master_host=master_host, master_port=master_port,
            fault_share=faults, out=out, sign_key=sign_key, base_port=base_port), live)
    show_capacity(outcome.report["capacity"])
    console.print(f"\n[{STYLE[outcome.report['verdict']]}]Verdict: {outcome.report['verdict']}[/]"
                  f" — {escape(outcome.report['verdict_reason'])}")
    console.print(f"Report: {outcome.run_dir / 'report.html'}")
    sys.exit(outcome.exit_code)


def show_capacity(section: dict) -> None:
    """Each requirement the capacity run judged, with its verdict and why."""
    for ident, judged in section["requirements"].items():
        verdict = judged["verdict"]
        console.print(f"  [{STYLE[verdict]}]{verdict.upper():<14}[/] {ident:<10} "
                      f"{escape(judged['reason'])}")


@click.command("capacity-worker")
@click.option("--master-host", required=True, help="Address of the Locust master.")
@click.option("--master-port", type=click.IntRange(1, 65535), required=True,
              help="Port of the Locust master (qrinterop capacity --master-port).")
def capacity_worker_command(master_host: str, master_port: int) -> None:
    """Add this machine's load to a capacity run (scale-out): a Locust worker that needs only
    the master's address; the master sends it its share of accounts and the network's
    addresses. Runs until the master stops it."""
    # Its own interpreter: Locust's gevent must patch sockets before anything opens one.
    os.execv(sys.executable, [sys.executable, "-m", "qrinterop.runner.capacity.worker",
                              "--master-host", master_host, "--master-port", str(master_port)])
