"""Run one simulated participant as a process, the way the runner starts it.

The runner binds the listening socket itself and hands it over by file descriptor, so every
port is known before any process starts and no two services can race for one. The process
announces readiness with one JSON line on stdout and exits when its stdin closes, so it never
outlives the harness that started it.

A service that uses every core (the switch: :func:`run_processes`) is one process to the
runner all the same: the first starts its siblings on the same socket, as the runner started
it (its stdin and stdout are pipes they answer on, so none outlives it), announces readiness
once all of them serve, and stops them when it stops, or stops when one of them ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from mocks.defects import UnknownDefect
from qrinterop.errors import UsageError
from qrinterop.ics.service_config import ServiceConfig, ServiceConfigError
from qrinterop.inputs import load_checked

CONFIG_SCHEMA = Path(__file__).with_name("service-config.schema.json")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="JSON config from the runner")
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--worker", type=int, default=0,
                        help="which of a service's processes this is (0: the first, which "
                             "starts the others)")
    return parser.parse_args()


async def _ended(pipe: object) -> None:
    """Until the pipe (a file of this process: stdin, or a sibling's stdout) closes."""
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), pipe)
    await reader.read()


async def _until_told_to_stop(watch_stdin: bool, siblings: list[subprocess.Popen]) -> None:
    """Until SIGTERM or SIGINT, or (for a child of the harness) until stdin closes, or until
    one of the sibling processes ends."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.ensure_future(stop.wait()),
             *(asyncio.ensure_future(_ended(sibling.stdout)) for sibling in siblings)]
    if watch_stdin:
        waits.append(asyncio.ensure_future(_ended(sys.stdin)))
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)


async def serve(app: web.Application, sock: socket.socket, watch_stdin: bool = True,
                siblings: list[subprocess.Popen] | None = None) -> None:
    """Serve ``app`` on ``sock``, announce it with one JSON line once the ``siblings`` serve
    too, and stop when told (or when a sibling ends)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock, shutdown_timeout=1.0).start()
    for sibling in siblings or ():
        if not json.loads(await asyncio.to_thread(sibling.stdout.readline) or "{}").get("ready"):
            raise SystemExit(f"error: process {sibling.pid} of this service ended on starting")
    host, port = sock.getsockname()[:2]
    print(json.dumps({"ready": True, "url": f"http://{host}:{port}"}), flush=True)
    try:
        await _until_told_to_stop(watch_stdin, siblings or [])
    finally:
        await runner.cleanup()


def _configured(args: argparse.Namespace, make_app: Callable[..., web.Application],
                *more: object) -> tuple[ServiceConfig, web.Application]:
    """The config and the app built from it; a config that breaks
    ``service-config.schema.json``, or names a defect the catalogue lacks, is one line on
    stderr (which the runner keeps in the service's log) and exit status 2."""
    try:
        config = ServiceConfig.from_dict(
            load_checked(args.config, "service configuration", CONFIG_SCHEMA))
        return config, make_app(config, *more)
    except (UsageError, ServiceConfigError, UnknownDefect) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(UsageError.exit_code)


def run(make_app: Callable[[ServiceConfig], web.Application]) -> None:
    """Entry point of a service module: build its app from the config and serve it."""
    args = _arguments()
    _config, app = _configured(args, make_app)
    asyncio.run(serve(app, socket.socket(fileno=args.fd)))


def run_processes(make_app: Callable[[ServiceConfig, int], web.Application]) -> None:
    """Entry point of a service that runs as ``config.processes`` processes accepting on one
    socket: ``make_app(config, worker)`` builds each one's app (worker 0 first, which may
    prepare the state they share before the others start)."""
    args = _arguments()
    config, app = _configured(args, make_app, args.worker)
    siblings = [] if args.worker else [_sibling(args, n) for n in range(1, config.processes or 1)]
    try:
        asyncio.run(serve(app, socket.socket(fileno=args.fd), siblings=siblings))
    finally:
        for sibling in siblings:
            _stop_sibling(sibling)


def _sibling(args: argparse.Namespace, worker: int) -> subprocess.Popen:
    """Another process of this service on the same socket, in this one's process group (a
    SIGKILL of the group reaches it); its stdin is a pipe only this process holds."""
    return subprocess.Popen(
        [sys.executable, "-m", sys.modules["__main__"].__spec__.name, "--config",
         str(args.config), "--fd", str(args.fd), "--worker", str(worker)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=[args.fd], text=True)


def _stop_sibling(sibling: subprocess.Popen) -> None:
    """Close its stdin (the polite request), then SIGKILL it if it does not end."""
    sibling.stdin.close()
    try:
        sibling.wait(timeout=3.0)
    except subprocess.TimeoutExpired:
        sibling.kill()
        sibling.wait()
