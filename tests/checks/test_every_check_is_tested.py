"""Every declared check (``@check``) of qrinterop/checks/ has unit tests: some test of
tests/checks/ calls it by name. A check no test holds to a recorded transcript is a check
nobody has seen fail."""

import importlib
import pkgutil
from pathlib import Path

import qrinterop.checks
from qrinterop.checks.outcome import REGISTRY

MODULES = [importlib.import_module(f"qrinterop.checks.{module.name}")
           for module in pkgutil.iter_modules(qrinterop.checks.__path__)]
#: The checks the library declares (tests declare some of their own).
DECLARED = sorted(name for module in MODULES for name, value in vars(module).items()
                  if name in REGISTRY and getattr(value, "__module__", None) == module.__name__)
TESTS = "\n".join(path.read_text(encoding="utf-8")
                  for path in Path(__file__).parent.glob("test_*.py"))


def test_every_check_is_called_by_a_test():
    assert len(DECLARED) > 20
    # A report names a failed check by its name alone (and REGISTRY is keyed by it).
    assert sorted(set(DECLARED)) == DECLARED, "two checks of one name"
    assert [name for name in DECLARED if f"{name}(" not in TESTS] == []
