"""``qrinterop msg`` on UnionPay QRC forms, as an engineer uses it from their own folder with
relative paths: sign a form as the SDK does, verify it, be told which signing mistake was made,
and validate a form against the binding's rules and its message's schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qrinterop.cli.main import main
from qrinterop.profile import load_profile
from qrinterop.protocol.bindings.qrc import QrcBinding, cert_id, form_decode, form_encode
from qrinterop.protocol.crypto import SigningKey
from tests.conftest import ROOT
from vectors import qrc_forms

ACQUIRER, LEG = "48020000", "request.to-switch"
VECTORS = json.loads((ROOT / "vectors" / "qrc_message_test.json").read_text(encoding="utf-8"))
BINDING = QrcBinding(load_profile())
SM2_KID = "10000001-sm2-2026"


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """An engineer's own folder, the working directory, holding the acquirer's public keys."""
    for year in (qrc_forms.CURRENT, qrc_forms.RETIRED):
        shutil.copy(ROOT / "vectors" / "keys" / f"{ACQUIRER}-rsa-{year}.pub.pem",
                    tmp_path / f"acq-{year}.pem")
    for suffix in ("key", "pub"):
        shutil.copy(ROOT / "mocks" / "keys" / f"{SM2_KID}.{suffix}.pem",
                    tmp_path / f"sm2.{suffix}.pem")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["msg", *args])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def vector(flag: str) -> dict:
    """The acquirer's purchase request vector with ``flag``."""
    return next(t for g in VECTORS["testGroups"] for t in g["tests"]
                if t["flags"] == [flag] and t["message"] == "cpm.purchase" and t["leg"] == LEG)


def verify(capsys, form: str, *extra: str) -> tuple[int, str, str]:
    Path("form.txt").write_text(form + "\n", encoding="ascii")
    return run(capsys, "verify", "--pub", f"{ACQUIRER}-rsa-2026=acq-2026.pem", "--retired",
               f"{ACQUIRER}-rsa-2025=acq-2025.pem", "--leg", LEG, *extra, "form.txt")


# --- verify names each mistake ------------------------------------------------------------

def test_a_form_signed_as_the_sdk_signs_verifies(capsys, here):
    assert verify(capsys, vector("QrcSigned")["form"]) == (0, "form.txt: valid\n", "")


@pytest.mark.parametrize(("flag", "code"), [(flag, code) for flag, code, _c, _s
                                            in qrc_forms.MISTAKES
                                            if flag != "OtherParticipantKey"])
def test_verify_names_the_mistake(capsys, here, flag, code):
    """One line, naming the mistake: the vector's, made by the acquirer on a purchase."""
    exit_code, out, _ = verify(capsys, vector(flag)["form"])
    assert exit_code == 1 and out.count("\n") == 1, out
    assert out.startswith("form.txt: ") and out.endswith(f"[{code}]\n"), out


def test_verify_explains_each_mistake_in_words(capsys, here):
    words = {"UnsortedSigningString": "not sorted", "UrlEncodedValues": "URL-encoded",
             "RawStringSigned": "not its lowercase hex SHA-256 digest",
             "UppercaseDigest": "uppercase", "Sha1Digest": "SHA1withRSA",
             "WrongCertId": f"{ACQUIRER}-rsa-2026", "RetiredKey": "retired or expired",
             "WrongSignType": "only signType is wrong", "UnknownCertId": "only certId is wrong",
             "ContentChanged": "the content changed after signing or another key signed it"}
    for flag, text in words.items():
        assert text in verify(capsys, vector(flag)["form"])[1], flag
    out = verify(capsys, vector("EmptyFieldSigned")["form"])[1]
    assert "signed an empty" in out and "filterBlank" in out
    out = verify(capsys, vector("EmptyFieldNotSigned")["form"])[1]
    assert "left the empty field(s)" in out


def test_without_the_retired_key_a_retired_signature_names_no_key(capsys, here):
    Path("form.txt").write_text(vector("RetiredKey")["form"], encoding="ascii")
    code, out, _ = run(capsys, "verify", "--pub", f"{ACQUIRER}-rsa-2026=acq-2026.pem",
                       "--leg", LEG, "form.txt")
    assert code == 1 and "[unknown-cert-id]" in out


@pytest.mark.parametrize(("flag", "code"), [("UnsortedSigningString", "unsorted-signing-string"),
                                            ("UppercaseDigest", "uppercase-digest"),
                                            ("Sha1Digest", "sha1-digest"),
                                            ("RawStringSigned", "raw-string-signed")])
def test_sm2_mistakes_are_named_too(capsys, here, flag, code):
    key = SigningKey.load(here / "sm2.key.pem")
    sender = qrc_forms.sender(BINDING, "cpm.purchase", LEG, ACQUIRER, key, SM2_KID)
    body = json.loads((ROOT / "vectors" / "sources" / "message-examples.json").read_text(
        encoding="utf-8"))["examples"]["cpm.purchase"][LEG]
    spoil = next(s for f, _c, _t, s in qrc_forms.MISTAKES if f == flag)
    sent = spoil(sender, sender.unsigned(body, ACQUIRER))
    assert sent is not None
    Path("sm2-form.txt").write_bytes(form_encode(sent))
    out = run(capsys, "verify", "--pub", f"{SM2_KID}=sm2.pub.pem", "sm2-form.txt")[1]
    assert out.endswith(f"[{code}]\n"), out
    assert "SM3" in out or code == "unsorted-signing-string", out


# --- sign ---------------------------------------------------------------------------------

def test_sign_as_the_sdk_then_verify(capsys, here):
    """Empty fields dropped, certId from the key ID, signType 03 for SM2; verify accepts it."""
    fields = form_decode(vector("QrcSigned")["form"].encode())
    del fields["signature"]
    Path("unsigned.txt").write_bytes(form_encode({**fields, "reqReserved": ""}) + b"\n")
    code, out, err = run(capsys, "sign", "--key", "sm2.key.pem", "--key-id", SM2_KID,
                         "unsigned.txt")
    assert code == 0, err
    signed = form_decode(out.strip().encode())
    assert signed["certId"] == cert_id(SM2_KID) and signed["signType"] == "03"
    assert "reqReserved" not in signed
    Path("signed.txt").write_text(out, encoding="ascii")
    assert run(capsys, "verify", "--pub", f"{SM2_KID}=sm2.pub.pem", "signed.txt") == \
        (0, "signed.txt: valid\n", "")
    code, out, _ = run(capsys, "verify", "--pub", "sm2.pub.pem", "signed.txt")
    assert code == 1 and "[unknown-cert-id]" in out and "only certId is wrong" in out


def test_sign_refuses_a_file_forced_as_qrc_that_is_no_form(capsys, here):
    Path("bad.txt").write_text("a=1&a=2", encoding="ascii")
    code, _, err = run(capsys, "sign", "--key", "sm2.key.pem", "--binding", "unionpay-qrc",
                       "bad.txt")
    assert code == 2 and "bad.txt" in err and "sent twice" in err


# --- validate -----------------------------------------------------------------------------

def test_validate_a_good_form(capsys, here):
    Path("form.txt").write_text(vector("QrcSigned")["form"], encoding="ascii")
    assert run(capsys, "validate", "--leg", LEG, "form.txt") == (0, "form.txt: valid\n", "")
    # a bare direction: a form without respCode is a request
    assert run(capsys, "validate", "form.txt")[0] == 0


def test_validate_reports_the_binding_rules_and_the_schema(capsys, here):
    fields = form_decode(vector("QrcSigned")["form"].encode())
    spoilt = {**fields, "txnAmt": "12.50", "memo": "x", "reqReserved": "",
              "termInfo": "not base64 {}"}
    Path("form.txt").write_bytes(form_encode(spoilt))
    code, out, _ = run(capsys, "validate", "--leg", LEG, "form.txt")
    assert code == 1
    for text in ("memo: ", "[unknown-field]", "reqReserved: ", "[empty-field]", "termInfo: ",
                 "[not-a-sub-structure]", "amount"):
        assert text in out, (text, out)
    code, out, _ = run(capsys, "validate", "--json", "--leg", LEG, "form.txt")
    assert code == 1 and json.loads(out)["valid"] is False


def test_validate_reports_an_unknown_req_type_and_a_wrong_leg(capsys, here):
    fields = form_decode(vector("QrcSigned")["form"].encode())
    Path("form.txt").write_bytes(form_encode({**fields, "reqType": "0999000903"}))
    code, out, _ = run(capsys, "validate", "--leg", LEG, "form.txt")
    assert code == 1 and "[unknown-req-type]" in out and "0999000903" in out
    Path("form.txt").write_text(vector("QrcSigned")["form"], encoding="ascii")
    code, out, _ = run(capsys, "validate", "--leg", "response.from-switch", "form.txt")
    assert code == 1 and "[unknown-field]" in out


def test_a_form_forced_as_json_is_not_json(capsys, here):
    Path("form.txt").write_text(vector("QrcSigned")["form"], encoding="ascii")
    code, out, _ = run(capsys, "validate", "--binding", "qrinterop-json", "form.txt")
    assert code == 1 and "not JSON" in out


def test_through_a_real_process_from_another_folder(here):
    Path("form.txt").write_text(vector("UppercaseDigest")["form"] + "\n", encoding="ascii")
    done = subprocess.run([sys.executable, "-m", "qrinterop.cli", "msg", "verify", "--pub",
                           f"{ACQUIRER}-rsa-2026=acq-2026.pem", "form.txt"],
                          capture_output=True, text=True, check=False, cwd=here)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stdout.startswith("form.txt: signature: ") and "[uppercase-digest]" in done.stdout


def test_validate_names_missing_envelope_fields_and_takes_a_bare_answer_as_a_reject(capsys,
                                                                                   here):
    Path("reject.txt").write_text("respCode=10&respMsg=bad", encoding="ascii")
    code, out, _ = run(capsys, "validate", "--binding", "unionpay-qrc", "--leg",
                       "response.from-switch", "reject.txt")
    assert code == 1 and "reqType" not in out, out        # no reqType: a reject, not a fault
    for name in ("version", "certId", "signType", "signature"):
        assert f"reject.txt: {name}: the form has no {name} [missing-field]" in out
    fields = form_decode(vector("QrcSigned")["form"].encode())
    Path("old.txt").write_bytes(form_encode({**fields, "version": "5.1.0"}))
    code, out, _ = run(capsys, "validate", "--leg", LEG, "old.txt")
    assert code == 1 and "[wrong-version]" in out and "5.1.0" in out


def test_an_answer_is_read_and_written_raw_as_the_sdk_writes_it(capsys, here):
    """A purchase answer from the switch: k=v&k=v, nothing percent-encoded (a bare direction
    finds it an answer by its respCode)."""
    for year in ("2025", "2026"):
        shutil.copy(ROOT / "vectors" / "keys" / f"00010000-rsa-{year}.pub.pem",
                    Path(f"switch-{year}.pem"))
    answer = next(t for g in VECTORS["testGroups"] for t in g["tests"]
                  if t["flags"] == ["QrcSigned"] and t["message"] == "cpm.purchase"
                  and t["leg"] == "response.from-switch")
    assert "%" not in answer["form"]
    Path("answer.txt").write_text(answer["form"], encoding="utf-8")
    assert run(capsys, "validate", "--leg", "from-switch", "answer.txt")[0] == 0
    pub = "00010000-rsa-2026=switch-2026.pem"
    assert run(capsys, "verify", "--leg", "from-switch", "--pub", pub, "answer.txt")[0] == 0
    fields = form_decode(answer["form"].encode(), percent_encoded=False)
    Path("unsigned.txt").write_text("&".join(f"{k}={v}" for k, v in fields.items()
                                             if k != "signature"), encoding="utf-8")
    code, out, _ = run(capsys, "sign", "--leg", "from-switch", "--key", "sm2.key.pem",
                       "unsigned.txt")
    assert code == 0 and "%" not in out and "signType=03" in out
