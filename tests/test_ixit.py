"""The ICS's IXIT in a run: the SUT is registered with every key its ICS lists and signs with
the last (a rotation), private keys stay out of the run folder, and listed test accounts are
used in turn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from qrinterop.errors import UsageError
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.processes.network import build_network
from qrinterop.runner.scenarios.clients import Channel, ControlClient
from tests.conftest import ROOT, edited_ics, run_cli

KEYS = ROOT / "mocks" / "keys"
OLD, NEW = "10000001-sm2-2025", "10000001-sm2-2026"
NEW_ID = f'- id: "{NEW}"'


@pytest.fixture
def built(tmp_path):
    """The reference network built, not started: keys, registrations and configs written."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    network = build_network(suite, ics, tmp_path / "run", secrets)
    yield network, tmp_path / "run", secrets
    for service in network.group.services:
        service.sock.close()


def signed_by(key_id: str, label: str | None = None) -> dict:
    """A message from the reference institution signed with its key ``key_id``."""
    party = Party("10000001", SigningKey.load(KEYS / f"{key_id}.key.pem"), label or key_id)
    return seal(party, "cpm.purchase.response", "90000000", {"respCode": "00"})


def test_the_sut_is_registered_with_every_key_its_ics_lists(built):
    network, run_dir, _secrets = built
    keys = network.sut.registration["keys"]
    assert [(k["key_id"], k["algorithm"]) for k in keys] == [(OLD, "SM3withSM2"),
                                                             (NEW, "SM3withSM2")]
    assert [k["public_key"] for k in keys] == [
        (KEYS / f"{key_id}.pub.pem").read_text(encoding="ascii") for key_id in (OLD, NEW)]
    published = json.loads((run_dir / "network.json").read_text(encoding="utf-8"))
    assert published["participants"] == network.registrations()


def test_a_message_signed_with_the_older_key_still_verifies(built):
    network, _run_dir, _secrets = built
    ring = KeyRing.from_registrations(network.registrations())
    assert signature_ok(signed_by(OLD), ring) and signature_ok(signed_by(NEW), ring)
    assert not signature_ok(signed_by(OLD, label=NEW), ring)


def test_the_sut_signs_with_the_last_key_kept_out_of_the_run_folder(built):
    network, run_dir, secrets = built
    config = json.loads(network.sut.service.config_file.read_text(encoding="utf-8"))
    key_file = Path(config["key_file"])
    assert config["key_id"] == NEW and key_file.parent == secrets
    assert SigningKey.load(key_file).public.pem == (KEYS / f"{NEW}.pub.pem").read_bytes()
    assert not [path for path in run_dir.rglob("*")
                if path.is_file() and b"PRIVATE KEY" in path.read_bytes()]


def test_the_switch_and_the_peers_get_a_key_for_the_run(built):
    network, _run_dir, _secrets = built
    for part in (network.switch, *network.peers):
        [entry] = part.registration["keys"]
        assert entry["key_id"] == part.key_id == part.key.public.id


def test_a_reference_launch_without_the_private_key_of_its_last_key_stops(tmp_path):
    path = edited_ics(tmp_path, (NEW_ID, '- id: "10000001-sm2-2027"'))
    done = run_cli("certify", "--ics", str(path), "--out", str(tmp_path / "run"))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"qrinterop: error: ICS file {path}: keys.1: launch: reference "
                               "signs with the last key listed, '10000001-sm2-2027'")
    assert f"{KEYS / '10000001-sm2-2027.key.pem'} not found" in lines[0]
    assert not (tmp_path / "run").exists()


def test_a_reference_key_must_be_the_pair_of_the_listed_public_key(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(KEYS / f"{OLD}.pub.pem", keys)
    (keys / f"{NEW}.pub.pem").write_bytes(SigningKey.generate().public.pem)
    path = edited_ics(tmp_path)
    with pytest.raises(UsageError, match=rf"ICS file {path}: keys\.1: the reference "
                       rf"institution's private key .*{NEW}\.key\.pem is not the pair of "
                       rf"public_key .*{NEW}\.pub\.pem$"):
        load_inputs(CertifyOptions(ics=path))


@pytest.mark.e2e
def test_listed_accounts_are_used_in_turn_with_their_balance_set(tmp_path):
    """The ICS's accounts exist at the SUT already: each new payer is the next, its balance
    set through the test-control API (the first again after the last)."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    pool = ["POOL 1", "POOL-2"]       # a space: IDs are quoted in the URL path
    with running_network(suite, ics, tmp_path, 0) as network:
        url = network.sut.service.url
        for account in pool:
            requests.post(f"{url}/control/accounts", json={"account": account, "balance": 1},
                          timeout=10).raise_for_status()
        pooled = ControlClient(network.sut.id, url, 10, Channel(), pool)
        assert [pooled.open_account(fen) for fen in (500, 700, 900)] == [*pool, pool[0]]
        assert [pooled.balance(account) for account in pool] == [900, 700]
        opened = ControlClient(network.sut.id, url, 10, Channel()).open_account(300)
        assert opened not in pool and pooled.balance(opened) == 300
