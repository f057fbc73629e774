"""Assemble the simulated network around the SUT: keys, sockets, configs and processes.

Every participant's public registration (ID, URL, public key, code prefix, merchant GUID) goes
into ``network.json`` in the run folder as evidence; private keys stay in a temporary folder
that is deleted when the run ends, so they never reach a report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qrinterop.codes.routing import code_registration
from qrinterop.protocol.crypto import SigningKey
from qrinterop.runner.services import Service, ServiceGroup, listen
from qrinterop.runner.suite import Suite


@dataclass
class Participant:
    """One institution or switch as the network knows it."""

    description: dict          # ICS-shaped: institution, codes, terminal (switch: id and name)
    key: SigningKey
    service: Service | None = None

    @property
    def id(self) -> str:
        return self.description["institution"]["id"]

    @property
    def registration(self) -> dict:
        """What the switch and every peer know of this participant."""
        return {**code_registration(self.description), "url": self.service.url,
                "public_key": self.key.public.pem.decode(), "key_id": self.key.public.id}


@dataclass
class Network:
    """The switch, the SUT and the peers, started as one :class:`ServiceGroup`."""

    switch: Participant
    sut: Participant
    peers: list[Participant]
    group: ServiceGroup

    @property
    def participants(self) -> list[Participant]:
        return [self.switch, self.sut, *self.peers]

    def registrations(self) -> list[dict]:
        return [p.registration for p in self.participants]


def build_network(suite: Suite, ics: dict, run_dir: Path, secrets_dir: Path,
                  base_port: int = 0, timing_scale: float = 1.0) -> Network:
    """Create keys, sockets and configs; nothing runs until ``network.group.start_all()``."""
    layout = suite.network_layout()
    switch_desc = {"institution": {**layout["switch"], "roles": ["switch"]}}
    institutions = [ics, *layout["peers"]]
    group = ServiceGroup(suite.root)
    parts = [Participant(d, SigningKey.generate()) for d in [switch_desc, *institutions]]
    for n, part in enumerate(parts):
        sock = listen(base_port + n if base_port else 0)
        part.service = group.add(Service(
            name=f"{part.description['institution']['name']} ({part.id})",
            module="mocks.switch" if n == 0 else "mocks.institution",
            config_file=run_dir / "services" / f"{part.id}.json",
            log_file=run_dir / "logs" / f"{part.id}.log", sock=sock))
    network = Network(parts[0], parts[1], parts[2:], group)
    _write_configs(network, run_dir, secrets_dir, ics, timing_scale)
    return network


def _write_configs(network: Network, run_dir: Path, secrets_dir: Path, ics: dict,
                   timing_scale: float) -> None:
    for folder in ("services", "logs", "state"):
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    registrations = network.registrations()
    (run_dir / "network.json").write_text(
        json.dumps({"participants": registrations}, indent=2, ensure_ascii=False),
        encoding="utf-8")
    for part in network.participants:
        key_file = secrets_dir / f"{part.id}.pem"
        part.key.save(key_file)
        config = {"id": part.id, "key_file": str(key_file), "timing_scale": timing_scale,
                  "state_file": str(run_dir / "state" / f"{part.id}.sqlite"),
                  "network": {"participants": registrations}}
        if part is not network.switch:
            config.update(switch_id=network.switch.id, codes=part.description["codes"],
                          terminal=part.description["terminal"],
                          defects=ics["sut"].get("defects", []) if part is network.sut else [])
        part.service.config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
