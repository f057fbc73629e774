"""Every declared check (``@check``) has unit tests: some test of tests/checks/ calls it by
name. A check no test holds to a recorded transcript is a check nobody has seen fail."""

import importlib
import pkgutil
from pathlib import Path

import qrinterop.checks
from qrinterop.checks.outcome import REGISTRY

for module in pkgutil.iter_modules(qrinterop.checks.__path__):
    importlib.import_module(f"qrinterop.checks.{module.name}")

TESTS = "\n".join(path.read_text(encoding="utf-8")
                  for path in Path(__file__).parent.glob("test_*.py"))


def test_every_check_is_called_by_a_test():
    assert REGISTRY, "no check declared"
    assert [name for name in REGISTRY if f"{name}(" not in TESTS] == []
