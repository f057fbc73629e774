"""Start simulated participants as child processes and make sure none outlives the run; reach
the SUT as its ICS says.

Each simulator gets its listening socket from us (bound here, passed by file descriptor),
prints one JSON line when it serves, and exits when its stdin closes — which happens even if
this process is killed, so a crashed harness leaves no orphans. An SUT that is not the bundled
reference (:class:`ExternalService`) binds its own ports, is started by its command or as its
container image, or is already running at its URLs.
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
from typing import TYPE_CHECKING, TypeVar

from qrinterop.errors import LaunchError, UsageError
from qrinterop.ics.model import DEFAULT_READY_TIMEOUT_S, Ics
from qrinterop.ics.service_config import ServiceConfig
from qrinterop.judging.verdicts import how_ended
from qrinterop.protocol.transport import listen

if TYPE_CHECKING:
    from docker.models.containers import Container

#: The simulators' start deadline (the bundled reference's too): four times what an ICS's SUT
#: gets unless its ICS says otherwise. A simulator that cannot start exits, which is seen at
#: once; one that is merely slow is an importing Python on a loaded machine (selftest and
#: ``certify --jobs`` start several networks of seven processes at once), and a run that gives
#: up on the harness's own simulator is inconclusive for no fault of the SUT.
READY_TIMEOUT_S = 4 * DEFAULT_READY_TIMEOUT_S
#: Names a coverage.py configuration under which every simulator runs (see ``_measured``).
COVERAGE_RC_VARIABLE = "QRINTEROP_COVERAGE_RC"


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
                [sys.executable, *_measured(), "-m", self.module,
                 "--config", str(self.config_file), "--fd", str(self.sock.fileno())],
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
                raise _ended_while_starting(self.name, f"exited with code "
                                            f"{self.process.returncode}", self.log_file)
            if json.loads(line).get("ready"):
                return

    def exit_code(self) -> int | None:
        """The process's exit status once it has ended (negative: killed by that signal),
        None while it runs."""
        return None if self.process is None else self.process.poll()

    def ended(self) -> str | None:
        """How the process ended ("exited with code 1"), or None while it runs."""
        return how_ended(self.exit_code())

    def restart(self, cwd: Path) -> None:
        """Kill the process as a crash would (SIGKILL, no clean-up) and start it again on the
        same port with the same config and state."""
        port = int(self.url.rsplit(":", 1)[1])
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            for pipe in (self.process.stdout, self.process.stdin):
                if pipe is not None:
                    pipe.close()
        self.sock = _listen_again(port)
        self.start(cwd)
        self.wait_ready(time.monotonic() + READY_TIMEOUT_S)

    def stop(self, grace_s: float = 3.0) -> None:
        """Close stdin (the polite request), then SIGTERM, then SIGKILL the process group."""
        if self.process is None:
            self.sock.close()
            return
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        _stop_group(self.process, grace_s)
        if self.process.stdout:
            self.process.stdout.close()


@dataclass
class ExternalService:
    """An SUT the harness starts but that binds its own port (the ICS's ``url`` and
    ``control_url``) and learns the network from the JSON file ``QRINTEROP_SUT_CONFIG``
    names. It is ready when both URLs accept connections; its output goes to the run
    folder's log."""

    name: str
    config_file: Path
    log_file: Path
    url: str                    # its message endpoint
    control_url: str
    ready_timeout_s: float

    def start(self, cwd: Path) -> None:
        """Start it (or nothing, for one already running)."""
        raise NotImplementedError

    def stop(self, grace_s: float = 3.0) -> None:
        """Stop what :meth:`start` started."""
        raise NotImplementedError

    def wait_ready(self, _deadline: float) -> None:
        """Its own ICS's ready_timeout_s, not the simulators' deadline, is the limit."""
        deadline = time.monotonic() + self.ready_timeout_s
        for url in (self.url, self.control_url):
            while not _accepts(url):
                if (ended := self.ended()) is not None:
                    raise _ended_while_starting(self.name, ended, self.log_file)
                if time.monotonic() > deadline:
                    raise LaunchError(f"{self.name} did not accept connections at {url} within "
                                      f"{self.ready_timeout_s:g} s (log: {self.log_file})")
                time.sleep(0.05)

    def exit_code(self) -> int | None:
        """The SUT's exit status once it has ended, None while it runs (or if the harness
        cannot tell: one it did not start)."""
        raise NotImplementedError

    def ended(self) -> str | None:
        """How the SUT ended ("exited with code 1"), or None while it runs."""
        return how_ended(self.exit_code())


@dataclass
class CommandService(ExternalService):
    """``launch: command``: the command line as given (no shell) in its workdir, with the
    harness's Python first on PATH."""

    command: list[str] = field(default_factory=list)
    workdir: Path = Path(".")
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, _cwd: Path) -> None:
        env = {**os.environ, "QRINTEROP_SUT_CONFIG": str(self.config_file),
               "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                        os.environ.get("PATH", "")])}
        with self.log_file.open("ab") as log:
            try:
                self.process = subprocess.Popen(
                    self.command, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=log, start_new_session=True)
            except OSError as exc:
                raise LaunchError(f"{self.name}: cannot run {self.command[0]!r} in "
                                  f"{self.workdir}: {exc.strerror}") from None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace_s: float = 3.0) -> None:
        if self.process is not None:
            _stop_group(self.process, grace_s)


def check_launcher(ics: Ics) -> None:
    """:class:`UsageError` before anything starts when the ICS's launch needs a library that
    is not installed: ``launch: container`` needs the docker SDK, an optional extra, since
    nothing else does."""
    if ics.sut.launch != "container":
        return
    try:
        from docker import from_env  # noqa: F401  (a folder named docker/ is not the SDK)
    except ImportError:
        raise UsageError("launch: container needs the docker SDK, which is not installed: "
                         "pip install 'qrinterop[container]'") from None


@dataclass
class ContainerService(ExternalService):
    """``launch: container``: the ICS's image run with the docker SDK on the host's network
    (``init=True``, so SIGTERM reaches the program), the run folder (read-write) and the
    profile's folder (read-only) mounted at their own paths so that the configuration's paths
    hold inside; never pulled (no registry is reached).
    Its output is copied into the log and the container removed when the run ends."""

    image: str = ""
    container: Container | None = field(default=None, repr=False)

    def start(self, _cwd: Path) -> None:
        from docker.errors import DockerException, ImageNotFound

        import docker

        run_dir = self.config_file.parent.parent
        volumes = {str(run_dir): {"bind": str(run_dir), "mode": "rw"}}
        if profile_dir := ServiceConfig.read(self.config_file).profile_dir:
            volumes[profile_dir] = {"bind": profile_dir, "mode": "ro"}
        try:
            client = docker.from_env()
            client.images.get(self.image)
            self.container = client.containers.run(
                self.image, detach=True, init=True, network_mode="host",
                environment={"QRINTEROP_SUT_CONFIG": str(self.config_file)},
                volumes=volumes,
                labels={"qrinterop": run_dir.name})
        except ImageNotFound:
            raise LaunchError(f"{self.name}: container image {self.image} not found on this "
                              "machine's engine (images are never pulled: build or load it)"
                              ) from None
        except DockerException as exc:
            raise LaunchError(f"{self.name}: cannot run container image {self.image}: "
                              f"{exc}") from None

    def exit_code(self) -> int | None:
        if self.container is None:
            return None
        self.container.reload()
        if self.container.status in ("created", "running"):
            return None
        self._keep_logs()
        code: int = self.container.attrs["State"]["ExitCode"]
        return code

    def stop(self, grace_s: float = 3.0) -> None:
        if self.container is None:
            return
        try:
            self.container.stop(timeout=int(grace_s))
            self._keep_logs()
        finally:
            self.container.remove(force=True)
            self.container = None

    def _keep_logs(self) -> None:
        if self.container is not None:
            self.log_file.write_bytes(self.container.logs())


@dataclass
class UrlService(ExternalService):
    """``launch: url``: an SUT already running. Nothing is started or stopped; once both URLs
    accept connections, the run's network goes to it by ``PUT /control/network`` (the JSON
    that QRINTEROP_SUT_CONFIG names for the other launches)."""

    def start(self, _cwd: Path) -> None:
        pass

    def exit_code(self) -> int | None:
        return None

    def wait_ready(self, deadline: float) -> None:
        super().wait_ready(deadline)
        import requests

        config = json.loads(self.config_file.read_text(encoding="utf-8"))
        try:
            answer = requests.put(self.control_url.rstrip("/") + "/control/network",
                                  json=config, timeout=self.ready_timeout_s)
        except requests.RequestException as exc:
            raise LaunchError(f"{self.name} did not take the run's network: "
                              f"{type(exc).__name__}") from None
        if answer.status_code != 200:
            raise LaunchError(f"{self.name} refused the run's network (PUT /control/network): "
                              f"HTTP {answer.status_code} {answer.text[:200]}")

    def stop(self, grace_s: float = 3.0) -> None:
        pass



def _measured() -> list[str]:
    """``-m coverage run --rcfile RC`` when ``QRINTEROP_COVERAGE_RC`` names a coverage.py
    configuration (``python -m benchmarks coverage``, the e2e tests): the simulators are
    measured, each child writing its own data file; nothing otherwise."""
    rcfile = os.environ.get(COVERAGE_RC_VARIABLE)
    return ["-m", "coverage", "run", f"--rcfile={rcfile}"] if rcfile else []


def _listen_again(port: int, within_s: float = 5.0) -> socket.socket:
    """The port a killed service listened on, bound again once the last of its processes
    (a service of several, as the switch may be, dies process by process) has let it go."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            return listen(port)
        except UsageError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _accepts(url: str) -> bool:
    host, _, port = url.split("//", 1)[1].split("/", 1)[0].partition(":")
    try:
        socket.create_connection((host, int(port or 80)), timeout=0.5).close()
    except OSError:
        return False
    return True


def _ended_while_starting(name: str, how: str, log_file: Path) -> LaunchError:
    """``how`` a service ended before it was ready, with the last line it logged."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except FileNotFoundError:
        lines = []
    return LaunchError(f"{name} {how} while starting: {lines[-1] if lines else 'no output'} "
                       f"(log: {log_file})")


def _stop_group(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM, then SIGKILL, the process's whole group, waiting ``grace_s`` after each."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
        try:
            process.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue


AnyService = TypeVar("AnyService", Service, ExternalService)


class ServiceGroup:
    """Services started together and always stopped together, in reverse order."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.services: list[Service | ExternalService] = []

    def add(self, service: AnyService) -> AnyService:
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
