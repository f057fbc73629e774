"""The ICS: what the institution claims to implement and how to reach it.

Written in TOML because people write it by hand; checked against ``ics.schema.json`` so that a
mistake is reported with the file and the key, before anything starts.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from qrinterop.profile import schema_error
from qrinterop.runner.errors import UsageError

SCHEMA_FILE = Path(__file__).with_name("ics.schema.json")


def load_ics(path: Path, known_defects: set[str], known_features: set[str]) -> dict:
    """Read and check an ICS file; any problem is a :class:`UsageError` naming file and key."""
    try:
        ics = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"ICS file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read ICS file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"ICS file {path} is not valid TOML: {exc}") from None
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    if problem := schema_error(schema, ics, separator="."):
        raise UsageError(f"ICS file {path}: {problem}")
    for where, declared, known in (("sut.defects", ics["sut"].get("defects", []), known_defects),
                                   ("institution.features",
                                    ics["institution"].get("features", []), known_features)):
        if unknown := set(declared) - known:
            raise UsageError(f"ICS file {path}: {where}: unknown {', '.join(sorted(unknown))}"
                             f" (known: {', '.join(sorted(known))})")
    return ics
