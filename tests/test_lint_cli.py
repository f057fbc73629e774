"""``qrinterop lint`` as a user runs it: single payloads, images, batches, and bad input."""

from __future__ import annotations

import json

import pytest

from qrinterop.codes.image import render_png
from tests.conftest import run_cli

ANNEX_B = ("00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
           "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京5405"
           "23.7253031565502016233030412340603***0708A60086670902ME91320016A011223344998877"
           "0708123456786304A13A")


def test_annex_b_sample_is_valid_and_shows_the_chinese_name():
    done = run_cli("lint", ANNEX_B)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("emv-mpm: valid")
    assert "最佳运输" in done.stdout and "北京" in done.stdout


def test_one_changed_crc_digit_names_the_crc_requirement():
    done = run_cli("lint", ANNEX_B[:-1] + "B")
    assert done.returncode == 1
    assert "R-MPM-05" in done.stdout and "INVALID" in done.stdout


def test_json_output_has_the_documented_keys():
    done = run_cli("lint", "--json", "120061098828009406")
    result = json.loads(done.stdout)
    assert done.returncode == 0
    assert set(result) == {"kind", "valid", "fields", "findings", "route"}
    assert result["kind"] == "payment-code" and result["route"]["institution"] == "wechat"
    assert result["route"]["role"] == "issuer"


def test_strict_turns_warnings_into_errors():
    lower = ANNEX_B[:-4] + "a13a"
    assert run_cli("lint", lower).returncode == 0
    strict = run_cli("lint", "--strict", "--json", lower)
    assert strict.returncode == 1
    finding = json.loads(strict.stdout)["findings"][0]
    assert (finding["requirement"], finding["severity"], finding["path"]) == \
        ("R-MPM-06", "error", "63")


def test_image_round_trip_with_chinese_name(tmp_path):
    png = tmp_path / "code.png"
    png.write_bytes(render_png(ANNEX_B))
    done = run_cli("lint", "--json", "--image", str(png))
    result = json.loads(done.stdout)
    assert done.returncode == 0, result["findings"]
    assert result["fields"]["alternateLanguage"]["merchantName"] == "最佳运输"
    assert result["fields"]["symbol"]["eci"] == [26]


def test_image_without_eci_is_invalid(tmp_path):
    png = tmp_path / "code.png"
    png.write_bytes(render_png(ANNEX_B, eci=False))
    done = run_cli("lint", "--json", "--image", str(png))
    result = json.loads(done.stdout)
    assert done.returncode == 1
    assert "R-MPM-15" in {f["requirement"] for f in result["findings"]}


def test_batch_prints_one_result_per_line_in_order(tmp_path):
    lines = [ANNEX_B.encode(), b"", b"\xff\xfe garbage", b"6225735053201615202",
             b"wxp://f2f0Lz4QkXkAkHjvZDNYx0k1LyQXjWr9kHu", b"9" * 1_000_000]
    batch = tmp_path / "batch.txt"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    done = run_cli("lint", "--batch", str(batch), "--json")
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5, 6]
    assert [r["valid"] for r in results] == [True, False, False, True, True, False]
    assert "UTF-8" in results[2]["findings"][0]["message"]
    human = run_cli("lint", "--batch", str(batch))
    assert len(human.stdout.splitlines()) == 6
    assert human.stdout.splitlines()[0] == "line 1: emv-mpm valid"


def test_batch_from_standard_input():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "qrinterop.cli", "lint", "--batch", "-"],
                          input=f"{ANNEX_B}\n120061098828009406\n".encode(),
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.decode().splitlines()) == 2


@pytest.mark.parametrize(("args", "words"), [
    (("--image", "/nonexistent/code.png"), ("cannot read",)),
    (("--batch", "/nonexistent/batch.txt"), ("batch.txt",)),
    ((), ("exactly one",)),
    ((ANNEX_B, "--batch", "-"), ("exactly one",)),
])
def test_usage_errors_are_one_line(args, words):
    done = run_cli("lint", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert all(w in lines[0] for w in words), lines


def test_not_an_image_is_a_usage_error(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    done = run_cli("lint", "--image", str(text))
    assert done.returncode == 2 and "not a PNG/JPEG image" in done.stderr


def test_png_without_a_code_is_a_finding(tmp_path):
    from PIL import Image
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    done = run_cli("lint", "--json", "--image", str(blank))
    assert done.returncode == 1
    assert "no QR code" in json.loads(done.stdout)["findings"][0]["message"]


@pytest.mark.parametrize("payload", ["", "\x01\x02\x7f", "x" * 5000, "hQVDUFYwMWE"])
def test_garbage_is_a_result_not_a_crash(payload):
    done = run_cli("lint", "--json", payload)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["valid"] is False
