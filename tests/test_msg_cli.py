"""``qrinterop msg`` as an engineer uses it: sign a message, verify it, and be told exactly why
a verification fails; bad input ends in one line and exit code 2, never a traceback."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qrinterop.cli.main import main
from qrinterop.protocol.crypto import RSA_ALGORITHM, SigningKey
from qrinterop.protocol.envelope import Party, canonical_bytes, seal

ACQUIRER_ID = "48020000"
SWITCH_ID = "00010000"


def purchase_body() -> dict:
    return {"code": "6212345678901234567", "amount": 1250, "currency": "156",
            "merchant": {"id": "123456789012345", "name": "最佳运输", "mcc": "4111",
                         "city": "北京"},
            "termId": "T0000001", "orderNo": "ORD20261201000001", "orderTime": "20261201120000",
            "termInfo": {"deviceType": "11", "deviceIp": "127.0.0.1",     # 1.1: R-CPM-09
                         "encryptRandNum": "234567"}}


class Keys:
    """A private key file and its public key file."""

    def __init__(self, folder: Path, name: str, algorithm: str) -> None:
        self.key = SigningKey.generate(algorithm)
        self.private = folder / f"{name}.pem"
        self.public = folder / f"{name}.pub.pem"
        self.key.save(self.private)
        self.public.write_bytes(self.key.public.pem)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("msg")


@pytest.fixture(scope="module")
def sm2(folder) -> Keys:
    return Keys(folder, "sm2", "SM3withSM2")


@pytest.fixture(scope="module")
def rsa(folder) -> Keys:
    return Keys(folder, "rsa", RSA_ALGORITHM)


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    """``qrinterop msg ARGS``: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as info:
        main(["msg", *(str(arg) for arg in args)])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def write(folder: Path, name: str, message: object, **dumps: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(message, ensure_ascii=False, **dumps), encoding="utf-8")
    return path


def signed_file(folder: Path, keys: Keys, name: str = "signed.json", **seal_args) -> Path:
    message = seal(Party(ACQUIRER_ID, keys.key, seal_args.pop("key_id", None)),
                   "cpm.purchase.request", SWITCH_ID, purchase_body(), **seal_args)
    return write(folder, name, message, indent=2)


def assert_usage_error(result: tuple[int, str, str], *words: str) -> None:
    code, out, err = result
    lines = err.strip().splitlines()
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("qrinterop: error: "), err
    for word in words:
        assert word in lines[0], (word, lines[0])


# --- sign and verify ---------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["SM3withSM2", RSA_ALGORITHM])
def test_sign_then_verify_round_trip(capsys, folder, sm2, rsa, algorithm):
    """An unsigned message file, signed by ``msg sign``, passes ``msg verify``."""
    keys = sm2 if algorithm == "SM3withSM2" else rsa
    unsigned = json.loads(signed_file(folder, keys).read_text(encoding="utf-8"))
    del unsigned["signature"]
    code, out, err = run(capsys, "sign", "--key", keys.private,
                         write(folder, "unsigned.json", unsigned, indent=2))
    assert code == 0, err
    signed = json.loads(out)
    assert signed["signature"]["alg"] == algorithm
    assert signed["signature"]["keyId"] == keys.key.public.id
    assert "最佳运输" in out
    path = write(folder, "resigned.json", signed)
    assert run(capsys, "verify", "--pub", keys.public, path) == (0, f"{path}: valid\n", "")


def test_custom_key_id_round_trip(capsys, folder, sm2):
    """``--key-id`` labels the signature; the verifier registers the key under that ID."""
    code, out, _ = run(capsys, "sign", "--key", sm2.private, "--key-id", "acq-2026",
                       signed_file(folder, sm2))
    assert code == 0 and json.loads(out)["signature"]["keyId"] == "acq-2026"
    path = folder / "custom.json"
    path.write_text(out, encoding="utf-8")
    assert run(capsys, "verify", "--pub", f"acq-2026={sm2.public}", path)[0] == 0
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, path)
    assert code == 1 and "[unknown-key-id]" in out and sm2.key.public.id in out


def test_verify_accepts_the_second_key_of_a_rotation(capsys, folder, sm2, rsa):
    path = signed_file(folder, rsa)
    assert run(capsys, "verify", "--pub", sm2.public, "--pub", rsa.public, path)[0] == 0


# --- verify explains each failure cause --------------------------------------------------

def test_verify_explains_a_wrong_canonical_form(capsys, folder, sm2):
    """Signed over json.dumps without ensure_ascii=False: the usual cause, named."""
    message = json.loads(signed_file(folder, sm2).read_text(encoding="utf-8"))
    content = {"body": message["body"], "header": message["header"]}
    message["signature"]["value"] = sm2.key.sign(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode())
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, write(folder, "ascii.json", message))
    assert code == 1
    assert out.count("\n") == 1
    assert "signed a non-canonical form" in out and "\\uXXXX" in out
    assert "[wrong-canonical-form]" in out and "signature/value" in out


def test_verify_explains_a_wrong_key_id(capsys, folder, sm2, rsa):
    path = signed_file(folder, sm2, key_id="old-key")
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, "--pub", rsa.public, path)
    assert code == 1 and "[unknown-key-id]" in out and "old-key" in out
    assert sm2.key.public.id in out and rsa.key.public.id in out


def test_verify_explains_a_wrong_algorithm(capsys, folder, sm2):
    message = json.loads(signed_file(folder, sm2).read_text(encoding="utf-8"))
    message["signature"]["alg"] = RSA_ALGORITHM
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, write(folder, "alg.json", message))
    assert code == 1 and "[algorithm-mismatch]" in out and "SM3withSM2 key" in out


def test_verify_explains_a_stale_timestamp(capsys, folder, sm2):
    path = signed_file(folder, sm2)
    sent = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))
                                  ["header"]["timestamp"])
    later = (sent + timedelta(minutes=10)).isoformat()
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, "--now", later, path)
    assert code == 1 and "[stale-timestamp]" in out and "600 s before" in out
    assert run(capsys, "verify", "--pub", sm2.public, "--now", later, "--window", "900",
               path)[0] == 0


def test_verify_explains_a_reused_nonce(capsys, folder, sm2):
    """Files are checked in order with one replay guard: a replayed message is the second."""
    first = signed_file(folder, sm2, "first.json")
    replay = folder / "replay.json"
    replay.write_bytes(first.read_bytes())
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, first, replay)
    lines = out.splitlines()
    assert code == 1 and lines[0] == f"{first}: valid"
    assert lines[1].startswith(f"{replay}: header/nonce: ") and "[reused-nonce]" in lines[1]


def test_verify_explains_a_tampered_body_and_a_sender_without_keys(capsys, folder, sm2):
    message = json.loads(signed_file(folder, sm2).read_text(encoding="utf-8"))
    tampered = copy.deepcopy(message)
    tampered["body"]["amount"] = 125000
    code, out, _ = run(capsys, "verify", "--pub", sm2.public,
                       write(folder, "tampered.json", tampered))
    assert code == 1 and "[bad-signature]" in out
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, "--sender", "01020000",
                       signed_file(folder, sm2))
    assert code == 1 and "[unknown-sender]" in out and "01020000" in out


def test_verify_json_output(capsys, folder, sm2):
    good = signed_file(folder, sm2, "good.json")
    code, out, _ = run(capsys, "verify", "--json", "--pub", sm2.public, good, good)
    result = json.loads(out)
    assert code == 1 and result["valid"] is False
    assert [m["valid"] for m in result["messages"]] == [True, False]
    assert result["messages"][1]["problems"] == [
        {"code": "reused-nonce", "path": "header/nonce",
         "message": result["messages"][1]["problems"][0]["message"]}]


def test_verify_reports_a_file_that_is_not_json(capsys, folder, sm2):
    path = folder / "garbage.json"
    path.write_text("{not json", encoding="utf-8")
    code, out, _ = run(capsys, "verify", "--pub", sm2.public, path)
    assert code == 1 and "[not-json]" in out


# --- validate ------------------------------------------------------------------------------

def test_validate(capsys, folder, sm2):
    path = signed_file(folder, sm2)
    assert run(capsys, "validate", path) == (0, f"{path}: valid\n", "")
    code, out, _ = run(capsys, "validate", "--leg", "from-switch", path)
    assert code == 1 and len(out.splitlines()) == 3 and "voucherNum" in out
    code, out, _ = run(capsys, "validate", "--json", "--leg", "from-switch", path)
    result = json.loads(out)
    assert code == 1 and result["valid"] is False and len(result["problems"]) == 3


def test_validate_reports_a_file_that_is_not_json(capsys, folder):
    path = folder / "text.json"
    path.write_text("hello", encoding="utf-8")
    code, out, _ = run(capsys, "validate", path)
    assert code == 1 and "not JSON" in out


# --- usage errors --------------------------------------------------------------------------

def test_usage_errors_name_the_file(capsys, folder, sm2, rsa):
    message = signed_file(folder, sm2)
    missing = folder / "missing.json"
    assert_usage_error(run(capsys, "verify", "--pub", sm2.public, missing), str(missing),
                       "no such file")
    assert_usage_error(run(capsys, "validate", missing), str(missing))
    assert_usage_error(run(capsys, "verify", "--pub", folder / "nope.pem", message),
                       "nope.pem", "no such key file")
    assert_usage_error(run(capsys, "verify", "--pub", sm2.private, message),
                       str(sm2.private), "private key")
    assert_usage_error(run(capsys, "sign", "--key", sm2.public, message),
                       str(sm2.public), "public key")
    assert_usage_error(run(capsys, "sign", "--key", message, message), str(message),
                       "not a PEM key")
    assert_usage_error(run(capsys, "verify", "--pub", sm2.public, folder), str(folder))
    assert_usage_error(run(capsys, "verify", "--pub", sm2.public, "--now", "noon", message),
                       "--now")
    assert_usage_error(run(capsys, "verify", "--pub", sm2.public, "--window", "-1", message),
                       "--window")
    assert_usage_error(run(capsys, "verify", message), "--pub")
    assert_usage_error(run(capsys, "verify", "--pub", f"k1={sm2.public}", "--pub",
                           f"k1={rsa.public}", message), "k1")


def test_sign_refuses_what_it_cannot_sign(capsys, folder, sm2):
    floating = write(folder, "float.json", {"header": {"sender": ACQUIRER_ID},
                                            "body": {"amount": 12.5}})
    assert_usage_error(run(capsys, "sign", "--key", sm2.private, floating), str(floating),
                       "body/amount", "float")
    assert_usage_error(run(capsys, "sign", "--key", sm2.private,
                           write(folder, "list.json", [1])), "header")


def test_command_line_has_no_traceback_and_signs_what_verify_accepts(folder, sm2):
    """Through a real process: ``python -m qrinterop.cli msg``."""
    command = [sys.executable, "-m", "qrinterop.cli", "msg"]
    message = signed_file(folder, sm2)
    done = subprocess.run([*command, "sign", "--key", str(sm2.private), str(message)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    signed = json.loads(done.stdout)
    assert signed["signature"]["value"] != ""
    assert sm2.key.public.verify(signed["signature"]["value"],
                                 canonical_bytes(signed["header"], signed["body"]))
    done = subprocess.run([*command, "verify", "--pub", str(sm2.public), "no-such.json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == "qrinterop: error: no-such.json: no such file\n"
