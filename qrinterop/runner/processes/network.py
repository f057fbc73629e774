"""Assemble the simulated network around the SUT: keys, sockets, configs and processes.

Every participant's public registration (ID, URL, public keys with their IDs, code prefix,
merchant GUID) goes into ``network.json`` in the run folder as evidence; private keys stay in a
temporary folder that is deleted when the run ends, so they never reach a report.

The switch and the peers get a new key for every run. The SUT is registered with every key its
ICS lists, and signs with the last; with ``launch: reference`` and no keys listed, it too gets
a new key. The bundled reference institution's private keys are in ``mocks/keys/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from qrinterop.codes.routing import code_registration
from qrinterop.errors import UsageError
from qrinterop.ics.model import Ics, Sut
from qrinterop.ics.service_config import ServiceConfig
from qrinterop.profile import profile_folder
from qrinterop.protocol.crypto import KeyFormatError, SigningKey, VerifyKey
from qrinterop.protocol.keyring import registered
from qrinterop.protocol.transport import MESSAGE_PATH
from qrinterop.runner.bdd.suite import Suite
from qrinterop.runner.processes.services import (
    CommandService,
    ContainerService,
    ExternalService,
    Service,
    ServiceGroup,
    UrlService,
    listen,
)


@dataclass
class Participant:
    """One institution or switch as the network knows it."""

    description: dict          # ICS-shaped: institution, codes, terminal (switch: id and name)
    key: SigningKey | None     # the private key it signs with (None: an SUT that has its own)
    key_id: str                # ...under this key ID
    keys: list[dict]           # every key the others accept from it (`registered` entries)
    service: Service | ExternalService | None = None
    ics: Ics | None = None     # an institution that comes with an ICS: the SUT, or the peer

    @classmethod
    def with_new_key(cls, description: dict) -> Participant:
        """A participant with a key made for this run, named by its fingerprint."""
        key = SigningKey.generate()
        return cls(description, key, key.public.id, [registered(key.public.id, key.public)])

    @property
    def id(self) -> str:
        return self.description["institution"]["id"]

    @property
    def persona(self) -> str:
        """A peer's persona name (mocks/network.json); the institution ID for the others."""
        return self.description.get("persona", self.id)

    @property
    def own_key(self) -> SigningKey:
        """The private key it signs with: only a participant the harness holds it for (the
        switch, a simulated peer, the bundled reference)."""
        if self.key is None:
            raise RuntimeError(f"{self.persona} signs with a key of its own, not the harness's")
        return self.key

    @property
    def running(self) -> Service | ExternalService:
        """Its service; only asked for once the network is built."""
        if self.service is None:
            raise RuntimeError(f"{self.persona} has no service yet: build the network first")
        return self.service

    @property
    def message_url(self) -> str:
        """Where the switch sends it messages (POST)."""
        service = self.running
        if isinstance(service, ExternalService):
            return service.url
        return service.url + MESSAGE_PATH

    @property
    def control_url(self) -> str:
        """Base URL of its test-control API (and, for the switch, of its /sim/ API)."""
        service = self.running
        if isinstance(service, ExternalService):
            return service.control_url
        return service.url

    @property
    def registration(self) -> dict:
        """What the switch and every peer know of this participant: ``url`` is its message
        endpoint."""
        registration = {**code_registration(self.description), "url": self.message_url,
                        "keys": self.keys}
        if terminal := self.description.get("terminal"):
            # The terminal the acquirer declares is registered with the switch (R-CPM-09).
            registration["terminals"] = [terminal["id"]]
        return registration


@dataclass
class Network:
    """The switch, the SUT and the peers, started as one :class:`ServiceGroup`."""

    switch: Participant
    sut: Participant
    peers: list[Participant]
    group: ServiceGroup

    @property
    def participants(self) -> list[Participant]:
        """The switch first, then the SUT (unless it is the switch), then the peers."""
        return [self.switch, *([self.sut] if self.sut is not self.switch else []), *self.peers]

    def registrations(self) -> list[dict]:
        return [p.registration for p in self.participants]


def build_network(suite: Suite, ics: Ics, run_dir: Path, secrets_dir: Path,
                  base_port: int = 0, personas: tuple[str, ...] = (),
                  peer_ics: Ics | None = None, switch_processes: int = 1) -> Network:
    """Create keys, sockets and configs; nothing runs until ``network.group.start_all()``.
    ``personas``: only these peers (by persona name); none named: all of them. ``peer_ics``:
    a second institution, launched as its ICS says, in the place of the persona scenarios
    call "the peer": the two are certified against each other. ``switch_processes``: how
    many processes the simulated switch runs as (one for a certification; every core,
    ``os.cpu_count()``, under load)."""
    layout = suite.network_layout()
    group = ServiceGroup(suite.root)
    sut = from_ics(suite, ics, ics.description())
    # An SUT in the switch role takes the simulated switch's place; the peers stay.
    switch = sut if ics.institution.is_switch else Participant.with_new_key(
        {"institution": {**layout["switch"], "roles": ["switch"]}})
    peers = list(map(Participant.with_new_key, chosen_peers(layout["peers"], personas)))
    if peer_ics is not None:
        peers[0] = from_ics(suite, peer_ics, {**peer_ics.description(), "persona": "peer"})
    network = Network(switch, sut, peers, group)
    for n, part in enumerate(network.participants):
        # An institution that comes with an ICS (its `sut` section) runs as that says.
        if part.ics is not None and not part.ics.sut.is_reference:
            part.service = group.add(_external_service(part, part.ics.sut, run_dir))
            continue
        sock = listen(base_port + n if base_port else 0)
        part.service = group.add(Service(
            name=f"{part.description['institution']['name']} ({part.id})",
            module="mocks.switch" if part is switch else "mocks.institution",
            config_file=run_dir / "services" / f"{part.id}.json",
            log_file=run_dir / "logs" / f"{part.id}.log", sock=sock))
    # Every simulator follows the profile version the SUT's ICS certifies against, and speaks
    # the SUT's wire binding.
    _write_configs(network, run_dir, secrets_dir, ics.sut.timing_scale,
                   profile_folder(ics.profile), ics.sut.binding, switch_processes)
    return network


def from_ics(suite: Suite, ics: Ics, description: dict) -> Participant:
    """An institution that comes with an ICS (the SUT, or a second institution as the peer),
    registered with every key its ICS lists (paths made absolute by ``load_ics``): the
    bundled reference signs with the last one's private key, an implementation the harness
    starts with its own. With no keys listed (only the reference), a new key."""
    if ics.signing_key is None:
        return replace(Participant.with_new_key(description), ics=ics)
    keys = [registered(key.id, VerifyKey.load(key.public_key)) for key in ics.keys]
    key = reference_signing_key(suite, ics) if ics.sut.is_reference else None
    return Participant(description, key, ics.signing_key.id, keys, ics=ics)


def _external_service(part: Participant, launch: Sut, run_dir: Path) -> ExternalService:
    """An institution as its ICS says to reach it: by its command, its container image, or at
    the URLs where it already runs (the schema requires both URLs for these launches)."""
    assert launch.url is not None and launch.control_url is not None
    name = f"{part.description['institution']['name']} ({part.id})"
    config_file = run_dir / "services" / f"{part.id}.json"
    log_file = run_dir / "logs" / f"{part.id}.log"
    if launch.launch == "container":
        return ContainerService(name, config_file, log_file, launch.url, launch.control_url,
                                launch.ready_timeout_s, image=launch.image or "")
    if launch.launch == "url":
        return UrlService(name, config_file, log_file, launch.url, launch.control_url,
                          launch.ready_timeout_s)
    return CommandService(name, config_file, log_file, launch.url, launch.control_url,
                          launch.ready_timeout_s, command=list(launch.command),
                          workdir=launch.workdir or Path("."))


def reference_signing_key(suite: Suite, ics: Ics) -> SigningKey:
    """The private key the bundled reference institution signs with as the SUT: that of the
    last key the ICS lists, ``mocks/keys/<key ID>.key.pem``. :class:`UsageError` when it is
    missing, unusable, or not the pair of the public key the ICS lists."""
    where = f"keys.{len(ics.keys) - 1}"
    last = ics.signing_key
    if last is None:
        raise UsageError("keys: launch: reference with keys signs with the last one listed; "
                         "this ICS lists none")
    path = suite.mocks / "keys" / f"{last.id}.key.pem"
    try:
        key = SigningKey.load(path)
    except FileNotFoundError:
        raise UsageError(f"{where}: launch: reference signs with the last key listed, "
                         f"{last.id!r}, but the reference institution has no private key "
                         f"for it: {path} not found (its keys are in {path.parent})") from None
    except (OSError, KeyFormatError) as exc:
        raise UsageError(f"{where}: cannot use the reference institution's private key {path}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    probe = b"is this the pair of the listed public key?"
    if not VerifyKey.load(last.public_key).verify(key.sign(probe), probe):
        raise UsageError(f"{where}: the reference institution's private key {path} is not the "
                         f"pair of public_key {last.public_key}")
    return key


def chosen_peers(peers: list[dict], personas: tuple[str, ...]) -> list[dict]:
    """The peers of the layout that ``personas`` names, in the layout's order."""
    unknown = set(personas) - {peer["persona"] for peer in peers}
    if unknown:
        raise UsageError(f"unknown persona {', '.join(sorted(unknown))}; the network has "
                         f"{', '.join(peer['persona'] for peer in peers)}")
    return [peer for peer in peers if not personas or peer["persona"] in personas]


def _write_configs(network: Network, run_dir: Path, secrets_dir: Path,
                   timing_scale: float, profile_dir: Path, binding: str | None,
                   switch_processes: int) -> None:
    for folder in ("services", "logs", "state"):
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    registrations = network.registrations()
    (run_dir / "network.json").write_text(
        json.dumps({"participants": registrations}, indent=2, ensure_ascii=False,
                   allow_nan=False),
        encoding="utf-8")
    for part in network.participants:
        config = ServiceConfig(
            id=part.id, key_id=part.key_id, timing_scale=timing_scale,
            profile_dir=str(profile_dir), binding=binding,
            state_file=str(run_dir / "state" / f"{part.id}.sqlite"),
            participants=tuple(registrations), **_identity(network, part),
            processes=switch_processes if simulated_switch(network, part) else None)
        if part.key is not None:       # an SUT the harness starts has a key of its own
            key_file = secrets_dir / f"{part.id}.pem"
            part.key.save(key_file)
            config = replace(config, key_file=str(key_file))
        config.write(part.running.config_file)


def simulated_switch(network: Network, part: Participant) -> bool:
    """Whether ``part`` is the simulated switch (not an SUT in the switch role)."""
    return part is network.switch and network.switch is not network.sut


def _identity(network: Network, part: Participant) -> dict:
    """What a participant's configuration says of it beyond its key and the network: an
    institution with an ICS its defects and features (a simulated peer has them all), one
    not the switch where the switch is and what its own codes, roles and terminal are."""
    identity: dict = {}
    if part.ics is not None:
        identity.update(defects=part.ics.sut.defects, features=part.ics.institution.features)
    if network.sut is network.switch and part is not network.switch:
        identity["tap"] = True    # around an SUT switch, the peers watch and spoil for us
    if part is not network.switch:
        identity.update(switch_id=network.switch.id, switch_url=network.switch.message_url,
                        url=part.message_url, control_url=part.control_url,
                        codes=part.description["codes"],
                        roles=tuple(part.description["institution"]["roles"]),
                        terminal=part.description.get("terminal", {}))
    return identity
