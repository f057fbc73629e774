"""The profile's test key scheme for EMV CPM cryptograms (qrinterop.codes.cpm_cryptogram):
deterministic, so vectors regenerate bit for bit; every spoilt payload fails for its reason."""

from __future__ import annotations

import pytest

from qrinterop.codes import cpm_cryptogram as cc
from qrinterop.codes import emv_cpm
from qrinterop.codes.findings import ERROR
from qrinterop.profile import load_profile

PAN, UN = "8212345678901234567", bytes.fromhex("EA0658C8")


@pytest.fixture(scope="module")
def scheme() -> cc.TestScheme:
    return cc.TestScheme.from_value(load_profile().business["emv_cpm"]["cryptogram"]["value"])


def test_aes_cmac_is_rfc_4493():
    """RFC 4493 §4, example 1 (empty message): the MAC the scheme is built on."""
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    assert cc._cmac(key, b"").hex() == "bb1d6929e95937287fa37d129b756746"


def test_known_answer(scheme):
    """Pinned: a change to the derivation changes every published vector."""
    assert cc.arqc(scheme, PAN, 1, UN, scheme.aip, scheme.iad).hex().upper() == "120D0323FBFD0C75"


def test_a_payload_built_verifies_and_is_well_formed(scheme):
    payload = cc.build(scheme, PAN, 7, UN)
    data, problem = cc.verify(scheme, payload)
    assert problem is None and data is not None
    assert (data.pan, data.atc, data.values["9F37"]) == (PAN, 7, UN)
    assert list(data.values) == list(cc.CHIP_TAGS)      # the UnionPay sample's order
    _, findings = emv_cpm.validate(payload)
    assert [f for f in findings if f.severity == ERROR] == []
    assert cc.pan_of(payload) == PAN


@pytest.mark.parametrize("tag", ["9F26", "9F37", "9F10", "82", "9F36"])
def test_any_data_the_cryptogram_covers_altered_fails(scheme, tag):
    _, problem = cc.verify(scheme, cc.altered(cc.build(scheme, PAN, 1, UN), tag))
    assert problem and "does not verify" in problem


def test_another_issuer_master_key_fails(scheme):
    other = cc.TestScheme(bytes(16), scheme.aid, scheme.label, scheme.aip, scheme.iad,
                          scheme.cid)
    _, problem = cc.verify(scheme, cc.build(other, PAN, 1, UN))
    assert problem and "does not verify" in problem


def test_a_payload_stripped_of_template_63_cannot_be_checked(scheme):
    stripped = cc.stripped(cc.build(scheme, PAN, 1, UN))
    data, problem = cc.verify(scheme, stripped)
    assert data is None and "lacks 9F26" in problem
    assert cc.pan_of(stripped) == PAN          # still routable: only the chip data is gone


def test_the_unionpay_international_sample_reads_as_chip_data():
    """UPI-CPM-SAMPLE (sources.json): its template 63 holds the six objects, track 2 a PAN."""
    sample = ("hQVDUFYwMWFYTwigAAADMwEBAVcTYpJhA1hEQzVkHSIQIBAAABiAH180AQBjM58mCFaLEtnaC9l/nyc"
              "BgJ8QEQcAAQOgAAABCDM5OTk5OTk5nzYCAAGCAgAAnzcE6gZYyA==")
    data = cc.chip_data(sample)
    assert (data.pan, data.atc) == ("6292610358444335641", 1)
    assert list(data.values) == list(cc.CHIP_TAGS)


@pytest.mark.parametrize("text, why", [
    ("not base64!", "not an EMV CPM payload"),
    ("hQVDUFYwMQ==", "no application template"),
    (emv_cpm.encode([emv_cpm.Tlv("85", b"CPV01"),
                     emv_cpm.Tlv.template("61", [emv_cpm.Tlv("4F", bytes(7))])]), "no PAN"),
])
def test_unreadable_payloads_say_why(scheme, text, why):
    data, problem = cc.verify(scheme, text)
    assert data is None and why in problem
