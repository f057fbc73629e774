"""Run the bundled reference institution the way ``launch: command`` runs an institution's own
implementation, so that the harness's path for real SUTs is itself certified every night.

The harness names the network's configuration in ``QRINTEROP_SUT_CONFIG`` (JSON: the SUT's ID
and key ID, its ``url`` and ``control_url``, the switch's URL, every participant's
registration with its keys, the timing scale). The reference adds what only the institution
knows, its private key (``mocks/keys/<key ID>.key.pem``), and serves both endpoints on the
port of ``control_url``, the message endpoint at ``/messages``, until SIGTERM.

    command: [python, -m, mocks.launch_reference]     (workdir: the suite's root)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from mocks.institution import make_app
from mocks.service import serve
from qrinterop.protocol.transport import MESSAGE_PATH
from qrinterop.runner.services import listen

KEYS = Path(__file__).with_name("keys")


def main() -> None:
    path = os.environ.get("QRINTEROP_SUT_CONFIG")
    if not path:
        sys.exit("QRINTEROP_SUT_CONFIG is not set: qrinterop certify sets it (launch: command)")
    config = json.loads(Path(path).read_text(encoding="utf-8"))
    if config["url"] != config["control_url"].rstrip("/") + MESSAGE_PATH:
        sys.exit(f"the reference serves its messages at control_url + {MESSAGE_PATH}: "
                 f"url {config['url']} does not follow control_url {config['control_url']}")
    config["key_file"] = str(KEYS / f"{config['key_id']}.key.pem")
    sock = listen(urlsplit(config["control_url"]).port or 80)
    asyncio.run(serve(make_app(config), sock, watch_stdin=False))


if __name__ == "__main__":
    main()
