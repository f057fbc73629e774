"""Cut a run's transcript down to what the checks' unit tests read, and keep it here.

    python tests/transcripts/trim.py RUN_DIR SCENARIO VARIANT [--control]

writes ``tests/transcripts/SCENARIO.VARIANT.jsonl`` from ``RUN_DIR/transcripts/SCENARIO.jsonl``
(a ``qrinterop certify --tags @tc.SCENARIO --out RUN_DIR`` run, VARIANT naming what was
certified: ``reference``, or a defect of mocks/defects.json, certified with a copy of
mocks/reference-ics.yaml whose ``defects`` names it): every message of the
interconnection interface, its content without the signature (the checks read header and
body; passive checks, which verify signatures, have their own tests), and with ``--control``
the test-control answers that show a payment code or report a transaction (``status``),
the latter whenever its status or code changed (a step polling the SUT asks the same many
times). The chain (``prev``) and times as text go: a check reads ``at``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEPT = ("n", "at", "pco", "from", "to", "kind", "msg_type", "leg", "deliberate", "note")


def trimmed(line: dict) -> dict:
    content = line.get("content")
    if isinstance(content, dict) and line.get("leg") is not None:
        content = {k: v for k, v in content.items() if k != "signature"}
    return {k: line[k] for k in KEPT if k in line} | {"content": content}


def reported(line: dict) -> tuple | None:
    """What a test-control answer says of a transaction, or the payment code it shows;
    None for any other line."""
    content = line.get("content")
    if line.get("leg") is not None or line["kind"] != "response" or not isinstance(content,
                                                                                   dict):
        return None
    if "status" in content:
        return content.get("status"), content.get("respCode")
    return ("code", content["code"]) if "code" in content else None


def kept(lines: list[dict], control: bool) -> list[dict]:
    out, last = [], None
    for line in lines:
        if line.get("leg") is not None:
            out.append(trimmed(line))
        elif control and (said := reported(line)) is not None and said != last:
            out.append(trimmed(line))
            last = said
    return out


def main(run_dir: str, scenario: str, variant: str, *flags: str) -> None:
    lines = (json.loads(text) for text in (Path(run_dir) / "transcripts" / f"{scenario}.jsonl")
             .read_text(encoding="utf-8").splitlines())
    found = kept(list(lines), "--control" in flags)
    out = Path(__file__).parent / f"{scenario}.{variant}.jsonl"
    out.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in found),
                   encoding="utf-8")
    print(f"{out}: {len(found)} records")


if __name__ == "__main__":
    main(*sys.argv[1:])
