"""Run one simulated participant as a process, the way the runner starts it.

The runner binds the listening socket itself and hands it over by file descriptor, so every
port is known before any process starts and no two services can race for one. The process
announces readiness with one JSON line on stdout and exits when its stdin closes, so it never
outlives the harness that started it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
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
    return parser.parse_args()


async def _until_told_to_stop(watch_stdin: bool) -> None:
    """Until SIGTERM or SIGINT, or (for a child of the harness) until stdin closes."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.ensure_future(stop.wait())]
    if watch_stdin:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        waits.append(asyncio.ensure_future(reader.read()))
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)


async def serve(app: web.Application, sock: socket.socket, watch_stdin: bool = True) -> None:
    """Serve ``app`` on ``sock``, announce it with one JSON line, and stop when told."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock, shutdown_timeout=1.0).start()
    host, port = sock.getsockname()[:2]
    print(json.dumps({"ready": True, "url": f"http://{host}:{port}"}), flush=True)
    try:
        await _until_told_to_stop(watch_stdin)
    finally:
        await runner.cleanup()


def run(make_app: Callable[[ServiceConfig], web.Application]) -> None:
    """Entry point of a service module: build its app from the config and serve it. A config
    that breaks ``service-config.schema.json``, or names a defect the catalogue lacks, is one
    line on stderr (which the runner keeps in the service's log) and exit status 2."""
    args = _arguments()
    try:
        config = ServiceConfig.from_dict(
            load_checked(args.config, "service configuration", CONFIG_SCHEMA))
        app = make_app(config)
    except (UsageError, ServiceConfigError, UnknownDefect) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(UsageError.exit_code)
    asyncio.run(serve(app, socket.socket(fileno=args.fd)))
