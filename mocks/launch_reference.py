"""Run the bundled reference institution the way an institution runs its own implementation,
so that the harness's paths for real SUTs are themselves certified every night.

``launch: command`` and ``container``: the harness names the run's network in
``QRINTEROP_SUT_CONFIG`` (JSON: the SUT's ID and key ID, its ``url`` and ``control_url``, the
switch's ID and URL, every participant's registration with its keys, the timing scale).

``launch: url`` (``--ics FILE``): started beforehand from its own ICS, it knows only itself
until the harness sends the run's network by ``PUT /control/network``.

Either way the reference adds what only the institution knows, its private key
(``mocks/keys/<key ID>.key.pem``), and serves both endpoints on the port of ``control_url``,
the message endpoint at ``/messages``, until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from mocks.defects import catalogue
from mocks.institution import make_app
from mocks.service import CONFIG_SCHEMA, serve
from qrinterop.errors import UsageError
from qrinterop.ics.loader import load_ics, profile_for
from qrinterop.ics.service_config import ServiceConfig, ServiceConfigError
from qrinterop.inputs import load_checked
from qrinterop.protocol.transport import MESSAGE_PATH, listen

KEYS = Path(__file__).with_name("keys")
NETWORK = Path(__file__).with_name("network.json")


def from_ics(path: Path) -> ServiceConfig:
    """A configuration from the institution's own ICS, before it knows any run's network."""
    profile = profile_for(path)
    ics = load_ics(path, set(catalogue()), set(profile.features))
    if ics.signing_key is None or ics.codes is None:
        sys.exit(f"{path}: the reference needs the keys and codes of its ICS")
    state = Path(tempfile.mkdtemp(prefix="qrinterop-reference-")) / "state.sqlite"
    described = ics.description()
    return ServiceConfig(
        id=ics.institution.id, key_id=ics.signing_key.id, state_file=str(state),
        codes=described["codes"], terminal=described.get("terminal", {}),
        roles=ics.institution.roles, url=ics.sut.url, control_url=ics.sut.control_url,
        switch_id=json.loads(NETWORK.read_text(encoding="utf-8"))["switch"]["id"],
        timing_scale=ics.sut.timing_scale, profile_dir=str(profile.folder),
        binding=ics.sut.binding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ics", type=Path, help="start from this ICS (launch: url) instead "
                                                 "of QRINTEROP_SUT_CONFIG")
    args = parser.parse_args()
    if args.ics:
        config = from_ics(args.ics)
    elif path := os.environ.get("QRINTEROP_SUT_CONFIG"):
        try:
            config = ServiceConfig.from_dict(
                load_checked(Path(path), "QRINTEROP_SUT_CONFIG", CONFIG_SCHEMA))
        except ServiceConfigError as exc:
            raise UsageError(f"QRINTEROP_SUT_CONFIG {path}: {exc}") from None
    else:
        sys.exit("give --ics FILE, or let qrinterop certify set QRINTEROP_SUT_CONFIG")
    control_url = config.control_url or ""
    if config.url != control_url.rstrip("/") + MESSAGE_PATH:
        sys.exit(f"the reference serves its messages at control_url + {MESSAGE_PATH}: "
                 f"url {config.url} does not follow control_url {config.control_url}")
    config = replace(config, key_file=str(KEYS / f"{config.key_id}.key.pem"))
    sock = listen(urlsplit(control_url).port or 80)
    asyncio.run(serve(make_app(config), sock, watch_stdin=False))


if __name__ == "__main__":
    try:
        main()
    except UsageError as exc:      # an unusable ICS or config: one line, as the harness's own
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
