"""Lint throughput: 100,000 generated MPM payloads (mixed valid and invalid) through the
library and through ``qrinterop lint --batch``, in one run so the ratio is fair."""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qrinterop.cli.lint import mpm_rules, routing_table
from qrinterop.codes.emv_mpm import build_payload, with_wrong_crc
from qrinterop.codes.findings import LENIENT
from qrinterop.codes.lint import lint

NAMES = ["LAO BEIJING NOODLES", "TEA HOUSE", "BEST TRANSPORT", "JADE GARDEN", "RIVER CAFE"]
LOCAL = ["老北京炸酱面", "茶馆", "最佳运输", "翡翠园", "河畔咖啡"]


def payloads(count: int, seed: int = 20261125) -> list[str]:
    """Deterministic mix: static and dynamic codes, Chinese names, and one in five broken
    (wrong CRC, over-long name, or a bad amount)."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        i = rng.randrange(len(NAMES))
        objects = [("00", "01"), ("01", "12" if n % 2 else "11"),
                   ("26", [("00", "cn.qrinterop.insta"), ("01", f"{rng.randrange(10**15):015d}")]),
                   ("52", "5812"), ("53", "156"), ("58", "CN"), ("59", NAMES[i]),
                   ("60", "BEIJING"), ("64", [("00", "ZH"), ("01", LOCAL[i]), ("02", "北京")])]
        if n % 2:
            objects.insert(5, ("54", f"{rng.randrange(1, 100000) / 100:.2f}"))
        if n % 10 == 3:
            objects[6] = ("59", NAMES[i] + " AND SONS LIMITED")
        if n % 10 == 7:
            objects.insert(5, ("54", "0.00"))
        payload = build_payload(objects)
        out.append(with_wrong_crc(payload) if n % 10 == 5 else payload)
    return out


def library_rate(items: list[str]) -> float:
    table, rules = routing_table(), mpm_rules()
    start = time.perf_counter()
    for item in items:
        lint(item, table, LENIENT, rules=rules)
    return len(items) / (time.perf_counter() - start)


def batch_rate(items: list[str]) -> float:
    """Whole command, process start included, output discarded."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.txt"
        path.write_text("\n".join(items) + "\n", encoding="utf-8")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qrinterop.cli", "lint", "--batch", str(path)],
                       stdout=subprocess.DEVNULL, check=False)
        return len(items) / (time.perf_counter() - start)


def figures(count: int = 100_000) -> list[tuple[str, float]]:
    items = payloads(count)
    library, batch = library_rate(items), batch_rate(items)
    return [(f"lint, library: MPM payloads/s ({count:,})", library),
            (f"lint --batch: MPM payloads/s ({count:,})", batch),
            ("lint library / --batch (ratio, target <= 1.5)", library / batch)]
