"""The switch's clearing book: one record per approved transaction, the reconciliation file
each participant gets (valid against the profile's schema, its totals and net position
right), and how an institution's books are set beside it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from mocks.clearing import ClearingBook
from qrinterop.checks.reconcile import disagreements
from qrinterop.profile import load_profile
from tests.conftest import run_cli

PROFILE = load_profile()
ACQ, ISS, DAY = "10000002", "10000001", "1126"
KEY = f"{ACQ:<11}{'90000000':<11}0000011126043533"


def validator() -> Draft202012Validator:
    uri = PROFILE.messages["schema_base"] + "reconciliation.schema.json"
    return Draft202012Validator({"$ref": uri}, registry=PROFILE.schema_registry)


@pytest.fixture
def book() -> ClearingBook:
    book = ClearingBook(sqlite3.connect(":memory:"), "90000000", "156")
    order = {"orderNo": "P20261126000001", "orderTime": "20261126043533", "currency": "156"}
    book.clear("cpm.purchase.request", {**order, "amount": 3000, "code": "817515665934881894",
                                        "merchant": {"id": "100000000000000"},
                                        "termId": "TB000001"},
               "20261126043533000001", DAY, KEY, ACQ, ISS)
    book.clear("cpm.refund.request", {**order, "orderNo": "R20261126000001", "amount": 1000,
                                      "origVoucherNum": "20261126043533000001",
                                      "merId": "100000000000000"},
               "20261126043533000002", DAY, KEY, ACQ, ISS)
    book.clear("cpm.reversal.request", {"origOrderNo": "P20261126000001",
                                        "origOrderTime": "20261126043533",
                                        "origVoucherNum": "20261126043533000001",
                                        "amount": 500, "currency": "156"},
               "20261126043533000003", DAY, KEY, ACQ, ISS)
    book.clear("mpm.payment.request", {**order, "orderNo": "M20261126000001", "amount": 2000,
                                       "txnNo": "2026112604353300000001"},
               "20261126043533000004", DAY, KEY, ISS, ACQ)          # ACQ paid as issuer
    return book


def test_each_participant_gets_a_valid_file_with_its_totals_and_net_position(book):
    for participant in (ACQ, ISS):
        statement = book.statement(participant, DAY)
        assert list(validator().iter_errors(statement)) == []
        assert statement["header"]["recordCount"] == 4
    acquirer = book.statement(ACQ, DAY)
    assert acquirer["header"]["totals"]["cpm.purchase"] == {"count": 1, "amount": 3000}
    # +3000 purchase, -1000 refund, -500 reversal as acquirer; -2000 paid as issuer
    assert acquirer["header"]["netAmount"] == -500
    assert book.statement(ISS, DAY)["header"]["netAmount"] == 500
    assert [r["role"] for r in acquirer["records"]] == ["acquirer"] * 3 + ["issuer"]


def test_a_reversal_of_a_purchase_never_cleared_is_listed_but_moves_nothing(book):
    """Its purchase was lost on its way or its answer with a crash of the switch: whatever
    the issuer had done it undid itself, so no funds move between the two for it."""
    book.clear("cpm.reversal.request", {"origOrderNo": "P20261126000009",
                                        "origOrderTime": "20261126043533",
                                        "origVoucherNum": "20261126043533000009",
                                        "amount": 700, "currency": "156"},
               "20261126043533000005", DAY, KEY, ACQ, ISS)
    acquirer = book.statement(ACQ, DAY)
    assert acquirer["header"]["recordCount"] == 5
    assert acquirer["header"]["netAmount"] == -500
    assert book.statement(ISS, DAY)["header"]["netAmount"] == 500


def test_clearing_twice_changes_nothing_and_other_days_are_apart(book):
    book.clear("cpm.purchase.request", {"orderNo": "P20261126000001", "orderTime": "20261126043533",
                                        "currency": "156", "amount": 3000},
               "20261126043533000001", DAY, KEY, ACQ, ISS)
    assert book.statement(ACQ, DAY)["header"]["recordCount"] == 4
    assert book.statement(ACQ, "1127")["records"] == []
    assert book.payment("20261126043533000001", ACQ, "cpm.purchase")["issuer"] == ISS
    assert book.payment("20261126043533000001", ISS, "cpm.purchase") is None
    assert book.payment("20261126043533000004", ISS, "mpm.payment")["txnNo"] == \
        "2026112604353300000001"


def books_of(statement: dict) -> list[dict]:
    return [{"voucherNum": r["voucherNum"], "status": "approved", "kind": "payment",
             **{k: r[k] for k in ("amount", "currency", "settleDate")}}
            for r in statement["records"]]


def test_books_that_match_the_file_agree(book):
    statement = book.statement(ISS, DAY)
    assert disagreements(statement, books_of(statement)) == []


def test_every_difference_is_named(book):
    statement = book.statement(ISS, DAY)
    booked = books_of(statement)
    booked[0]["amount"] = 3001
    del booked[1]
    booked.append({"voucherNum": "20261126043533000077", "status": "approved",
                   "kind": "refund", "amount": 5, "currency": "156", "settleDate": DAY})
    booked.append({"voucherNum": "20261126043533000088", "status": "declined",
                   "kind": "payment", "amount": 5, "currency": "156", "settleDate": DAY})
    problems = disagreements(statement, booked)
    assert len(problems) == 3, problems
    assert "20261126043533000001: the books have amount 3001 (file: 3000)" in problems[0]
    assert "cpm.refund 20261126043533000002 (1000 fen) is in the switch's file" in problems[1]
    assert "refund 20261126043533000077 (5 fen) is approved" in problems[2]


def test_vouchers_the_harness_gave_out_are_not_expected_in_the_file(book):
    statement = book.statement(ISS, DAY)
    booked = [*books_of(statement), {"voucherNum": "V-INJECTED", "status": "approved",
                                     "kind": "payment", "amount": 1, "currency": "156",
                                     "settleDate": DAY}]
    assert disagreements(statement, booked, {"V-INJECTED"}) == []


def test_a_voucher_booked_twice_is_named(book):
    statement = book.statement(ISS, DAY)
    booked = books_of(statement)
    assert disagreements(statement, [*booked, booked[0]]) == [
        "20261126043533000001 is approved 2 times in the institution's books: one transaction"
        " booked more than once"]


def write(folder: Path, name: str, document: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def test_reconcile_command_compares_files(book, tmp_path):
    statement = book.statement(ISS, DAY)
    file = write(tmp_path, "file.json", statement)
    agree = run_cli("reconcile", str(file), str(write(tmp_path, "books.json", {
        "settleDate": DAY, "transactions": books_of(statement)})))
    assert agree.returncode == 0 and "agree with the file: 4 records" in agree.stdout
    differ = run_cli("reconcile", "--json", str(file),
                     str(write(tmp_path, "less.json", books_of(statement)[1:])))
    assert differ.returncode == 1
    assert len(json.loads(differ.stdout)["disagreements"]) == 1


@pytest.mark.parametrize(("document", "words"), [
    ("{not json", "does not parse as JSON"),
    ({"header": {}}, "not a reconciliation file: "),
], ids=["not-json", "schema"])
def test_reconcile_names_an_unusable_file(book, tmp_path, document, words):
    books = write(tmp_path, "books.json", [])
    done = run_cli("reconcile", str(write(tmp_path, "file.json", document)), str(books))
    assert done.returncode == 2 and words in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    missing = run_cli("reconcile", str(tmp_path / "nothing.json"), str(books))
    assert missing.returncode == 2 and "not found" in missing.stderr
