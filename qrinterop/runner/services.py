"""Start simulated participants as child processes and make sure none outlives the run.

Each child gets its listening socket from us (bound here, passed by file descriptor), prints
one JSON line when it serves, and exits when its stdin closes — which happens even if this
process is killed, so a crashed harness leaves no orphans.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from qrinterop.runner.errors import LaunchError, UsageError

READY_TIMEOUT_S = 20.0


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


@dataclass
class Service:
    """One child process serving on an inherited socket."""

    name: str
    module: str
    config_file: Path
    log_file: Path
    sock: socket.socket
    url: str = field(init=False)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        host, port = self.sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"

    def start(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(cwd), *filter(None, [os.environ.get("PYTHONPATH")])])}
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module, "--config", str(self.config_file),
                 "--fd", str(self.sock.fileno())],
                cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                pass_fds=[self.sock.fileno()], start_new_session=True)
        # Only the child may hold the socket: if it dies, callers get "connection refused"
        # at once instead of hanging in a backlog nobody accepts from.
        self.sock.close()

    def wait_ready(self, deadline: float) -> None:
        """Block until the child announces it serves; raise LaunchError if it dies or hangs."""
        assert self.process and self.process.stdout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LaunchError(f"{self.name} did not start within {READY_TIMEOUT_S:g} s "
                                  f"(log: {self.log_file})")
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if not ready:
                continue
            line = self.process.stdout.readline()
            if not line:
                self.process.wait()
                raise LaunchError(f"{self.name} exited with code {self.process.returncode} "
                                  f"while starting: {self.last_log_line()} (log: {self.log_file})")
            if json.loads(line).get("ready"):
                return

    def restart(self, cwd: Path) -> None:
        """Kill the process as a crash would (SIGKILL, no clean-up) and start it again on the
        same port with the same config and state."""
        port = int(self.url.rsplit(":", 1)[1])
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process.stdout.close()
            self.process.stdin.close()
        self.sock = listen(port)
        self.start(cwd)
        self.wait_ready(time.monotonic() + READY_TIMEOUT_S)

    def last_log_line(self) -> str:
        lines = self.log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def stop(self, grace_s: float = 3.0) -> None:
        """Close stdin (the polite request), then SIGTERM, then SIGKILL the process group."""
        if self.process is None:
            self.sock.close()
            return
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
            try:
                self.process.wait(timeout=grace_s)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.process.stdout:
            self.process.stdout.close()


class ServiceGroup:
    """Services started together and always stopped together, in reverse order."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.services: list[Service] = []

    def add(self, service: Service) -> Service:
        self.services.append(service)
        return service

    def start_all(self) -> None:
        for service in self.services:
            service.start(self.cwd)
        deadline = time.monotonic() + READY_TIMEOUT_S
        for service in self.services:
            service.wait_ready(deadline)

    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_all()
