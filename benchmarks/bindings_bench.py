"""Binding figures: what a wire binding costs per message, ``unionpay-qrc`` against
``qrinterop-json``, and where the time goes.

Every message example of ``vectors/sources/message-examples.json`` (every message and leg) is
signed, encoded, decoded and verified in each binding, with an SM2 key and an RSA-2048 key,
in one run: rounds alternate the bindings so that drift affects both, and each figure is the
median over rounds of the mean per message. The time is split in two: the signature's own
cryptography (signing and verifying the very bytes the binding signs: the RFC 8785 form for
JSON, the hex digest of the signing string for QRC) and the rest, the binding's work (building
the signed form, encoding, decoding, finding the key), which is what the ratio is about.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from qrinterop.profile import load_profile
from qrinterop.protocol.bindings import Binding, binding, signed_content
from qrinterop.protocol.crypto import RSA_ALGORITHM, SM2_ALGORITHM, SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing

EXAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "sources" / "message-examples.json"
BINDINGS = ("qrinterop-json", "unionpay-qrc")
SENDER, RECEIVER, KEY_ID = "48020000", "00010000", "48020000-bench"
PHASES = ("sign", "encode", "decode", "verify", "crypto")


@dataclass(frozen=True)
class Example:
    """One message of one leg, its header made once (the header is not the binding's)."""

    leg: str
    header: dict
    body: dict


def examples() -> list[Example]:
    """Every message and leg of the profile's examples."""
    data = json.loads(EXAMPLES.read_text(encoding="utf-8"))["examples"]
    party = Party(SENDER, SigningKey.generate(SM2_ALGORITHM), KEY_ID)
    return [Example(leg, seal(party, f"{message}.{leg.split('.')[0]}", RECEIVER, body)["header"],
                    body)
            for message, legs in data.items() for leg, body in legs.items()]


def round_trip(wire: Binding, key: SigningKey, keys: KeyRing, example: Example,
               spent: dict[str, float]) -> None:
    """Sign, encode, decode and verify ``example`` once, adding each phase's seconds to
    ``spent``; and the bare signature operations over the bytes the binding signed."""
    clock = time.perf_counter
    t0 = clock()
    signature = wire.sign(key, example.header, example.body, KEY_ID, example.leg)
    t1 = clock()
    sent = wire.encode({"header": example.header, "body": example.body,
                        "signature": signature}, example.leg)
    t2 = clock()
    received = wire.decode(sent, example.leg, keys, RECEIVER)
    t3 = clock()
    ok = wire.verify(received, key.public)
    t4 = clock()
    if not ok:
        raise AssertionError(f"{wire.name}: {example.header['msgType']} on {example.leg} "
                             "does not verify after its round trip")
    data = signed_content(received, key.algorithm)
    t5 = clock()
    key.public.verify(key.sign(data), data)
    t6 = clock()
    for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t6 - t5),
                              strict=True):
        spent[phase] += seconds


def one_round(wire: Binding, key: SigningKey, keys: KeyRing,
              messages: list[Example]) -> dict[str, float]:
    """Microseconds per message of each phase over every example once."""
    spent = dict.fromkeys(PHASES, 0.0)
    for example in messages:
        round_trip(wire, key, keys, example, spent)
    return {phase: seconds / len(messages) * 1e6 for phase, seconds in spent.items()}


def measured(rounds: int) -> dict[tuple[str, str], dict[str, float]]:
    """By (binding, algorithm), the median over ``rounds`` of each phase's µs per message."""
    profile, messages = load_profile(), examples()
    found: dict[tuple[str, str], list[dict[str, float]]] = {}
    for algorithm in (SM2_ALGORITHM, RSA_ALGORITHM):
        key, keys = SigningKey.generate(algorithm), KeyRing()
        keys.add(SENDER, key.public, KEY_ID)
        wires = [binding(name, profile) for name in BINDINGS]
        for wire in wires:                      # warm caches outside the measurement
            one_round(wire, key, keys, messages)
        for _ in range(rounds):
            for wire in wires:
                found.setdefault((wire.name, algorithm), []).append(
                    one_round(wire, key, keys, messages))
    return {pair: {phase: statistics.median(r[phase] for r in runs) for phase in PHASES}
            for pair, runs in found.items()}


def total_us(phases: dict[str, float]) -> float:
    """µs per message of encode + sign + verify + decode."""
    return sum(phases[phase] for phase in PHASES[:4])


def binding_us(phases: dict[str, float]) -> float:
    """The binding's own work: the total without the signature's cryptography."""
    return total_us(phases) - phases["crypto"]


def figures(quick: bool, rounds: int | None = None) -> list[tuple[str, float]]:
    found = measured(rounds or (3 if quick else 15))
    out: list[tuple[str, float]] = [("message examples (every message and leg)",
                                     float(len(examples())))]
    for algorithm, short in ((SM2_ALGORITHM, "SM2"), (RSA_ALGORITHM, "RSA-2048")):
        for name in BINDINGS:
            phases, label = found[name, algorithm], f"{name}, {short}"
            out += [(f"{label}: µs per message, encode+sign+verify+decode", total_us(phases)),
                    *[(f"{label}:   {phase} µs", phases[phase]) for phase in PHASES[:4]],
                    (f"{label}:   of which the signature's cryptography µs", phases["crypto"]),
                    (f"{label}:   of which the binding's work µs", binding_us(phases))]
        qrc, json_ = found["unionpay-qrc", algorithm], found["qrinterop-json", algorithm]
        out += [(f"unionpay-qrc / qrinterop-json, {short}: ratio per message",
                 total_us(qrc) / total_us(json_)),
                (f"unionpay-qrc / qrinterop-json, {short}: ratio of the binding's work",
                 binding_us(qrc) / binding_us(json_))]
    return out
