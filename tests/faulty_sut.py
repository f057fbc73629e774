"""SUTs that misbehave the way real ones do, for ``launch: command`` in the harness's tests.

``python -m tests.faulty_sut garbage KIND``: an HTTP server on the port of the ICS's
``control_url`` that answers every request, test-control or message, with HTTP 200 and a
body the contract does not allow (KIND: ``text``, ``array`` or ``fields``).

``python -m tests.faulty_sut exit-at TEST_CASE CODE``: the bundled reference institution,
which ends its own process with exit status CODE on the first test-control call of scenario
TEST_CASE (as an SUT that crashes mid-run).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

GARBAGE = {"text": (b"OK", "text/plain"), "array": (b"[1]", "application/json"),
           "fields": (b'{"ok": true}', "application/json")}


def serve_garbage(kind: str) -> None:
    config = json.loads(Path(os.environ["QRINTEROP_SUT_CONFIG"]).read_text(encoding="utf-8"))
    body, content_type = GARBAGE[kind]

    class Garbage(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = answer

        def log_message(self, *_args: object) -> None:
            pass

    port = urlsplit(config["control_url"]).port
    ThreadingHTTPServer(("127.0.0.1", port), Garbage).serve_forever()


def exit_at(test_case: str, code: int) -> None:
    from aiohttp import web

    import mocks.institution

    checked = mocks.institution.checked_by_contract

    def dying_at(institution):
        check = checked(institution)

        @web.middleware
        async def middleware(request: web.Request, handler):
            if request.headers.get("X-Test-Case-Id") == test_case:
                os._exit(code)       # no clean-up, as a crash
            return await check(request, handler)
        return middleware

    mocks.institution.checked_by_contract = dying_at
    sys.argv = sys.argv[:1]
    runpy.run_module("mocks.launch_reference", run_name="__main__")


if __name__ == "__main__":
    if sys.argv[1] == "garbage":
        serve_garbage(sys.argv[2])
    else:
        exit_at(sys.argv[2], int(sys.argv[3]))
