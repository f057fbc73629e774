"""Protocol figures: signature throughput per algorithm, canonicalisation and schema checks of
a typical ``cpm.purchase.request``, and what the envelope layer costs on top of the raw
signature operations (target: under 1 ms per message).

The overhead is measured in one run: (seal + signature_ok + schema_problems) minus (raw sign +
raw verify of the same bytes), batches alternating, median of the differences. It is measured
with SM2, the profile's default; the bundled envelope schema still admits only SM3withSM2, so an
RSA-signed message would time the schema's error path instead.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from qrinterop.profile import load_profile
from qrinterop.protocol.canonical import canonicalize
from qrinterop.protocol.crypto import RSA_ALGORITHM, SM2_ALGORITHM, SigningKey
from qrinterop.protocol.envelope import Party, canonical_bytes, seal, signature_ok
from qrinterop.protocol.validation import schema_problems

ACQUIRER_ID, SWITCH_ID = "48020000", "00010000"


def purchase_body() -> dict:
    """A CPM purchase as an acquirer sends it to the switch, Chinese merchant name included."""
    return {"code": "6212345678901234567", "amount": 1250, "currency": "156",
            "merchant": {"id": "123456789012345", "name": "最佳运输", "mcc": "4111",
                         "city": "北京"},
            "termId": "T0000001", "orderNo": "ORD20261201000001", "orderTime": "20261201120000"}


def per_second(action: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        action()
    return count / (time.perf_counter() - start)


def batch_seconds(action: Callable[[], object], count: int) -> float:
    """Mean time of one ``action`` over a batch of ``count``."""
    start = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - start) / count


def sign_verify_rate(key: SigningKey, count: int) -> float:
    """Sign-and-verify pairs per second over a purchase request's canonical bytes."""
    message = seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, purchase_body())
    data = canonical_bytes(message["header"], message["body"])
    return per_second(lambda: key.public.verify(key.sign(data), data), count)


def overhead_ms(key: SigningKey, count: int) -> float:
    """Milliseconds the envelope layer adds per message to the bare signature operations."""
    profile, party = load_profile(), Party(ACQUIRER_ID, key)
    message = seal(party, "cpm.purchase.request", SWITCH_ID, purchase_body())
    data = canonical_bytes(message["header"], message["body"])

    def protocol() -> None:
        sent = seal(party, "cpm.purchase.request", SWITCH_ID, purchase_body())
        assert signature_ok(sent, key.public)
        schema_problems(profile, sent, "to-switch")

    def raw() -> None:
        key.public.verify(key.sign(data), data)

    protocol()      # warm the schema validator cache outside the measurement
    # Alternate the two batches and take the median difference, so drift affects both sides.
    return statistics.median(batch_seconds(protocol, count) - batch_seconds(raw, count)
                             for _ in range(7)) * 1000


def figures(quick: bool) -> list[tuple[str, float]]:
    count = 200 if quick else 2000
    sm2, rsa = SigningKey.generate(SM2_ALGORITHM), SigningKey.generate(RSA_ALGORITHM)
    profile = load_profile()
    message = seal(Party(ACQUIRER_ID, sm2), "cpm.purchase.request", SWITCH_ID, purchase_body())
    content = {"body": message["body"], "header": message["header"]}
    schema_problems(profile, message, "to-switch")
    return [
        ("SM3withSM2 sign+verify pairs/s", sign_verify_rate(sm2, count)),
        ("SHA256withRSA-2048 sign+verify pairs/s", sign_verify_rate(rsa, count // 4)),
        ("JCS canonical form of cpm.purchase.request/s", per_second(
            lambda: canonicalize(content), count * 25)),
        ("schema validation of cpm.purchase.request/s", per_second(
            lambda: schema_problems(profile, message, "to-switch"), count * 5)),
        ("protocol overhead per message, SM2 (ms, target < 1)", overhead_ms(sm2, count // 4)),
    ]

